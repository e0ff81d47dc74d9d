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
    assert_eq!(p.to_string(), "l1:0.001@proximal");
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

#[test]
fn text_form_round_trips_every_family_and_mode() {
    use crate::penalty::{Family, FamilyKind};
    let kinds = [
        FamilyKind::L1,
        FamilyKind::L2,
        FamilyKind::L1L2,
        FamilyKind::ElasticNet(0.25),
        FamilyKind::ElasticNet(0.0),
        FamilyKind::Group(Groups::Rows),
        FamilyKind::Group(Groups::Columns),
    ];
    let mut checked = 0;
    for kind in kinds {
        for mode in [PenaltyMode::Gradient, PenaltyMode::Proximal, PenaltyMode::Decoupled] {
            let Ok(family) = Family::new(kind, mode) else {
                // Only pure-L2 families take `decoupled`.
                assert_eq!(mode, PenaltyMode::Decoupled, "{kind:?}");
                assert!(!matches!(kind, FamilyKind::L2 | FamilyKind::ElasticNet(0.0)), "{kind:?}");
                continue;
            };
            let text = family.to_string();
            assert_eq!(text.parse::<Family>().unwrap(), family, "{text}");
            assert_eq!(text.contains('@'), mode != PenaltyMode::Gradient, "{text}");
            for alpha in [0.1, 1e-3, 3.7e-5, 1.0 / 3.0] {
                let p = family.at(alpha).unwrap();
                let printed = p.to_string();
                assert_eq!(printed.parse::<Penalty>().unwrap(), p, "{printed}");
                // The table form (model files) round-trips too.
                assert_eq!(serde_json::from_str::<Penalty>(&serde_json::to_string(&p).unwrap()).unwrap(), p);
                checked += 1;
            }
        }
    }
    assert_eq!(checked, 4 * (7 * 2 + 2));
}

#[test]
fn text_form_by_example() {
    let parse = |t: &str| t.parse::<Penalty>().unwrap();
    assert_eq!(parse("l1:1e-3"), Penalty::l1(1e-3).unwrap());
    assert_eq!(parse("l1l2:1e-5,1e-4"), Penalty::l1_l2(1e-5, 1e-4).unwrap());
    assert_eq!(parse("elastic-net:0.2,0.5"), Penalty::elastic_net(0.2, 0.5).unwrap());
    let sparse_group = parse("l1:1e-3+group-rows:0.1@proximal");
    assert_eq!((sparse_group.l1_strength(), sparse_group.group_strength()), (1e-3, 0.1));
    assert_eq!((sparse_group.groups(), sparse_group.mode()), (Groups::Rows, PenaltyMode::Proximal));
    assert_eq!(sparse_group.to_string(), "l1:0.001+group-rows:0.1@proximal");
    assert_eq!(parse("group-columns:0.5").to_string(), "group-columns:0.5");
    assert_eq!(parse("l2:1e-4@decoupled").to_string(), "l2:0.0001@decoupled");
    assert_eq!(parse("l2:1e-4@gradient").to_string(), "l2:0.0001");
    assert!(parse(" none ").is_zero() && Penalty::NONE.to_string() == "none");
    for (bad, needle) in [
        ("l3:1", "l1:A"),
        ("l1", "l1:A"),
        ("l1:x", "a number"),
        ("l1:-1", "≥ 0"),
        ("l1:nan", "finite"),
        ("l1:1+l1:2", "at most once"),
        ("group-rows:1+group-columns:1", "one group"),
        ("l1l2:1", "l1l2:L1,L2"),
        ("elastic-net:1,2", "l1_ratio"),
        ("l1:1@decoupled", "pure L2"),
        ("l2:1@sideways", "mode"),
        ("", "l1:A"),
    ] {
        let e = bad.parse::<Penalty>().unwrap_err().to_string();
        assert!(e.contains(needle), "{bad:?}: {e}");
    }
    // A hostile, very long text is echoed as a short prefix.
    let long = format!("l1:{}", "9".repeat(100_000));
    let e = format!("{}x", long).parse::<Penalty>().unwrap_err().to_string();
    assert!(e.len() < 300, "{} characters", e.len());
    // Specs take the text form beside the table.
    let p: Penalty = serde_json::from_str(r#""group-rows:0.1@proximal""#).unwrap();
    assert_eq!(p.mode(), PenaltyMode::Proximal);
    let e = serde_json::from_str::<Penalty>(r#""l2:-1""#).unwrap_err().to_string();
    assert!(e.contains("must be finite and ≥ 0"), "{e}");
}

#[test]
fn families_by_example() {
    use crate::penalty::Family;
    let f = |t: &str| t.parse::<Family>().unwrap();
    assert_eq!(f("l1l2").at(0.1).unwrap(), Penalty::l1_l2(0.1, 0.1).unwrap());
    assert_eq!(f("elastic-net:0.3").at(0.1).unwrap(), Penalty::elastic_net(0.1, 0.3).unwrap());
    let g = f("group-rows@proximal").at(0.2).unwrap();
    assert_eq!((g.group_strength(), g.groups(), g.mode()), (0.2, Groups::Rows, PenaltyMode::Proximal));
    assert!(f("group-rows@proximal").makes_zeros() && !f("l1").makes_zeros() && !f("l2@proximal").makes_zeros());
    for (bad, needle) in [
        ("l1:1e-3", "without a strength"),
        ("l3", "a family"),
        ("l1@decoupled", "pure L2"),
        ("elastic-net:1.5", "l1_ratio"),
        ("none", "a family"),
    ] {
        let e = bad.parse::<Family>().unwrap_err().to_string();
        assert!(e.contains(needle), "{bad:?}: {e}");
    }
    assert!(f("l1").at(-1.0).is_err());
}

#[test]
fn scaling_rejects_negative_and_non_finite_factors() {
    let p = Penalty::l1_l2(0.1, 0.2).unwrap();
    assert_eq!(p.scaled(2.0).unwrap(), Penalty::l1_l2(0.2, 0.4).unwrap());
    for bad in [-1.0, f64::NAN, f64::INFINITY] {
        assert!(matches!(p.scaled(bad), Err(PenaltyError::InvalidFactor(_))), "{bad}");
    }
    assert!(Penalty::l1(2.0).unwrap().scaled(f64::MAX).is_err(), "an overflowing strength is refused");
}
