//! Tests of penalty values, gradients, modes and serde.

use super::*;

#[test]
fn keras_convention_values_by_hand() {
    let w = [1.0f64, -2.0, 0.5, 0.0];
    // Σ|w| = 3.5, Σw² = 5.25
    assert_eq!(Penalty::l1(0.1).unwrap().value(&w), 0.1 * 3.5);
    assert_eq!(Penalty::l2(0.01).unwrap().value(&w), 0.01 * 5.25);
    let both = Penalty::l1_l2(0.1, 0.01).unwrap();
    assert!((both.value(&w) - (0.35 + 0.0525)).abs() < 1e-15);
    let mut g = [0.0f64; 4];
    let v = both.accumulate(&w, &mut g);
    assert!((v - 0.4025).abs() < 1e-15);
    // l1·sign(w) + 2·l2·w, sign(0) = 0
    assert_eq!(g, [0.1 + 0.02, -0.1 - 0.04, 0.1 + 0.01, 0.0]);
}

#[test]
fn gradient_matches_finite_differences_away_from_zero() {
    let w = [0.3f64, -1.7, 2.2, -0.05];
    for p in [Penalty::l1(0.3).unwrap(), Penalty::l2(0.7).unwrap(), Penalty::l1_l2(0.2, 0.9).unwrap()] {
        let mut g = [0.0; 4];
        p.accumulate(&w, &mut g);
        for i in 0..4 {
            let h = 1e-6;
            let (mut up, mut down) = (w, w);
            up[i] += h;
            down[i] -= h;
            let fd = (p.value(&up) - p.value(&down)) / (2.0 * h);
            assert!((fd - g[i]).abs() <= 1e-6 * fd.abs().max(1.0), "{p}: {fd} vs {}", g[i]);
        }
    }
}

#[test]
fn invalid_alpha_is_a_typed_error_naming_the_parameter() {
    let e = Penalty::l2(-1.0).unwrap_err();
    assert_eq!(e.to_string(), "alpha `l2` must be finite and ≥ 0, got -1");
    assert!(Penalty::l1(f64::NAN).is_err());
    assert!(Penalty::l1_l2(0.0, f64::INFINITY).is_err());
    assert!(Penalty::elastic_net(0.1, 1.5).is_err());
    assert!(Penalty::from_sklearn_alpha(0.1, 0).is_err());
    assert!(serde_json::from_str::<Penalty>(r#"{"l2": -0.5}"#).is_err());
    assert!(serde_json::from_str::<Penalty>(r#"{"l3": 0.5}"#).is_err());
}

#[test]
fn modes_parse_validate_and_round_trip() {
    let p: Penalty = serde_json::from_str(r#"{"l1": 0.001, "mode": "proximal"}"#).unwrap();
    assert_eq!(p, Penalty::l1(0.001).unwrap().with_mode(PenaltyMode::Proximal).unwrap());
    let g: Penalty = serde_json::from_str(r#"{"group": 0.01, "groups": "columns", "mode": "proximal"}"#).unwrap();
    assert_eq!((g.group_strength(), g.groups(), g.mode()), (0.01, Groups::Columns, PenaltyMode::Proximal));
    assert_eq!(serde_json::from_str::<Penalty>(&serde_json::to_string(&g).unwrap()).unwrap(), g);
    // a plain penalty is written as before (no new keys)
    assert_eq!(serde_json::to_string(&Penalty::l2(0.5).unwrap()).unwrap(), r#"{"l1":0.0,"l2":0.5}"#);
    let d: Penalty = serde_json::from_str(r#"{"l2": 0.01, "mode": "decoupled"}"#).unwrap();
    assert_eq!(d.mode(), PenaltyMode::Decoupled);
    let e = serde_json::from_str::<Penalty>(r#"{"l1": 0.01, "l2": 0.01, "mode": "decoupled"}"#).unwrap_err();
    assert!(e.to_string().contains("pure L2"), "{e}");
    assert!(serde_json::from_str::<Penalty>(r#"{"l1": 0.01, "mode": "sideways"}"#).is_err());
    assert!(serde_json::from_str::<Penalty>(r#"{"group": -1}"#).is_err());
    assert!(serde_json::from_str::<Penalty>(r#"{"group": 1, "groups": "diagonals"}"#).is_err());
    assert_eq!(p.to_string(), "L1(0.001) [proximal]");
}

#[test]
fn proximal_mode_keeps_only_the_l2_gradient_and_reports_the_full_value() {
    let w = [1.0f64, -2.0];
    let p = Penalty::l1_l2(0.1, 0.01).unwrap().with_mode(PenaltyMode::Proximal).unwrap();
    let mut g = [0.0; 2];
    let v = p.accumulate(&w, &mut g);
    assert!((v - (0.1 * 3.0 + 0.01 * 5.0)).abs() < 1e-15);
    assert_eq!(g, [0.02, -0.04]);
    let d = Penalty::l2(0.01).unwrap().with_mode(PenaltyMode::Decoupled).unwrap();
    let mut g = [0.0; 2];
    assert!((d.accumulate(&w, &mut g) - 0.05).abs() < 1e-15);
    assert_eq!(g, [0.0, 0.0]);
    let mut w2 = w;
    d.before_update(&mut w2, 0.5);
    assert_eq!(w2, [1.0 - 0.01, -2.0 + 0.02]);
    // the group value of a [2, 2] kernel by rows: ‖(3, 4)‖ + ‖(0, 0)‖ = 5
    let grp = Penalty::group_lasso(0.5, Groups::Rows).unwrap();
    assert_eq!(grp.value_shaped(&[3.0f64, 4.0, 0.0, 0.0], &[2, 2]), 2.5);
}

#[test]
fn conversions() {
    assert_eq!(Penalty::from_torch_weight_decay(0.01).unwrap().l2_strength(), 0.005);
    assert_eq!(Penalty::from_sklearn_alpha(0.0001, 50).unwrap().l2_strength(), 0.0001 / 100.0);
    let en = Penalty::elastic_net(0.2, 0.25).unwrap();
    assert!((en.l1_strength() - 0.05).abs() < 1e-15 && (en.l2_strength() - 0.075).abs() < 1e-15);
    let p: Penalty = serde_json::from_str(r#"{"l2": 0.001}"#).unwrap();
    assert_eq!(p, Penalty::l2(0.001).unwrap());
}
