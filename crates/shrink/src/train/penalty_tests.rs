//! The penalty a fit reports is the penalty `evaluate` reports on the same weights and batch,
//! in every mode, with and without row factors and an activity penalty: both go through the
//! one owner of a parameter's penalty (`penalty/apply.rs`).

use super::*;
use crate::nn::{Activation, Dense, Model};
use crate::penalty::PenaltyMode;
use crate::prox::Groups;
use crate::Penalty;

#[test]
fn fit_and_evaluate_report_the_same_penalty_in_every_mode() {
    let ds = shrink_data::moons(24, 0.2, 5).unwrap();
    let x = ds.x.mapv(|v| v as f32);
    let y = ds.y.mapv(|v| v as f32).insert_axis(ndarray::Axis(1));
    let sparse = Penalty::l1_l2(2e-2, 1e-2).unwrap().with_group(5e-2, Groups::Rows).unwrap();
    let kernels = [
        sparse.clone(),
        sparse.with_mode(PenaltyMode::Proximal).unwrap(),
        Penalty::l2(3e-2).unwrap().with_mode(PenaltyMode::Decoupled).unwrap(),
    ];
    let mut cases = 0;
    for kernel in kernels {
        for factors in [None, Some(vec![0.0, 2.5]), Some(vec![0.0, 0.0])] {
            for activity in [None, Some(Penalty::l1_l2(1e-3, 1e-2).unwrap())] {
                let mut hidden = Dense::new(8).activation(Activation::Tanh).kernel_penalty(kernel.clone());
                if let Some(f) = &factors {
                    hidden = hidden.kernel_row_factors(f.clone());
                }
                if let Some(a) = activity.clone() {
                    hidden = hidden.activity_penalty(a);
                }
                let out = Dense::new(1).activation(Activation::Sigmoid).bias_penalty(Penalty::l1(1e-2).unwrap());
                let mut model = Model::builder(&[2]).layer(hidden).layer(out).build(7).unwrap();
                let mut before = model.clone();
                let opt = OptimizerConfig::adam();
                let mut evaluator = Trainer::new(Loss::BinaryCrossEntropy, &opt, &[]).unwrap();
                let evaluated = evaluator.evaluate(&mut before, x.view(), y.view(), 24).unwrap();
                let mut trainer = Trainer::new(Loss::BinaryCrossEntropy, &opt, &[]).unwrap();
                let config = FitConfig { epochs: 1, batch_size: 24, shuffle: false, ..FitConfig::default() };
                let history = trainer.fit(&mut model, x.view(), y.view(), None, &config, None).unwrap();
                let reported = history.epochs[0].train.penalty;
                let what = format!("{kernel}, factors {factors:?}, activity {activity:?}");
                // Only the mean over the batch's rows (×b then ÷b) may round differently.
                assert!(
                    (reported - evaluated.penalty).abs() <= 1e-15 * evaluated.penalty.abs(),
                    "{what}: fit {reported} vs evaluate {}",
                    evaluated.penalty
                );
                if factors.as_deref() == Some(&[0.0, 0.0]) && activity.is_none() {
                    // Every row factor 0: only the output bias's L1 is left.
                    assert_eq!(
                        evaluated.penalty,
                        before.param(before.select("dense_1.bias").unwrap()[0]).penalty_value(),
                        "{what}"
                    );
                }
                cases += 1;
            }
        }
    }
    assert_eq!(cases, 18);
}
