//! `initial_epoch`: a fit continued from its own weights and optimizer state ends with the same
//! bits as the uninterrupted fit (what successive halving's promoted trials rely on).

use super::*;
use crate::nn::{Activation, Dense, Model};
use crate::optim::LrSchedule;
use crate::Penalty;

fn net() -> Model<f32> {
    Model::<f32>::builder(&[2])
        .layer(Dense::new(8).activation(Activation::Relu).kernel_penalty(Penalty::l1(1e-3).unwrap()))
        .layer(Dense::new(1).activation(Activation::Sigmoid))
        .build(3)
        .unwrap()
}

fn weights(model: &Model<f32>) -> Vec<f32> {
    model.layers().iter().flat_map(|l| l.params().iter().flat_map(|p| p.value.clone())).collect()
}

#[test]
fn a_continued_fit_equals_the_uninterrupted_one() {
    let data = shrink_data::moons(50, 0.2, 1).unwrap();
    let x = data.x.mapv(|v| v as f32);
    let y = data.y.mapv(|v| v as f32).insert_axis(ndarray::Axis(1));
    let schedule = LrSchedule::Step { decay_steps: 7, decay_rate: 0.5 };
    let base = FitConfig { epochs: 30, batch_size: 16, seed: 9, lr_schedule: Some(schedule), ..FitConfig::default() };
    assert!(base.continues_exactly());
    let run = |splits: &[usize]| {
        let mut model = net();
        let mut trainer = Trainer::new(Loss::BinaryCrossEntropy, &crate::optim::OptimizerConfig::adam(), &[]).unwrap();
        let mut from = 0;
        for &to in splits {
            let fit = FitConfig { epochs: to, initial_epoch: from, ..base.clone() };
            let h = trainer.fit(&mut model, x.view(), y.view(), None, &fit, None).unwrap();
            assert_eq!(h.epochs.first().map(|e| e.epoch), Some(from + 1));
            from = to;
        }
        weights(&model)
    };
    let whole = run(&[30]);
    assert_eq!(run(&[3, 10, 30]), whole);
    // Without the replayed shuffles and step count a second fit is a different fit.
    let mut model = net();
    let mut trainer = Trainer::new(Loss::BinaryCrossEntropy, &crate::optim::OptimizerConfig::adam(), &[]).unwrap();
    for epochs in [10, 20] {
        trainer.fit(&mut model, x.view(), y.view(), None, &FitConfig { epochs, ..base.clone() }, None).unwrap();
    }
    assert_ne!(weights(&model), whole);
    let early = FitConfig { early_stopping: Some(EarlyStopping::default()), ..base };
    assert!(!early.continues_exactly());
}
