//! Early stopping, learning-rate schedules and the convergence test inside real fits.

use super::*;
use crate::nn::{Activation, Dense, Model};
use crate::optim::LrSchedule;
use crate::{Penalty, PenaltyMode};
use ndarray::Array2;

fn data(rows: usize, seed: u64) -> (Array2<f64>, Array2<f64>) {
    let mut rng = Rng::new(seed);
    let x = Array2::from_shape_fn((rows, 3), |_| rng.uniform(-1.0, 1.0));
    let y = Array2::from_shape_fn((rows, 1), |(r, _)| (3.0 * x[[r, 0]]).sin() + 0.3 * rng.normal());
    (x, y)
}

fn mlp(seed: u64) -> Model<f64> {
    Model::<f64>::builder(&[3])
        .layer(Dense::new(32).activation(Activation::Tanh))
        .layer(Dense::new(1))
        .build(seed)
        .unwrap()
}

fn weights(model: &Model<f64>) -> Vec<f64> {
    model.params().flat_map(|(_, p)| p.value.clone()).collect()
}

/// Records the weights at the end of every epoch.
#[derive(Default)]
struct Recorder(Vec<Vec<f64>>);

impl Callback<f64> for Recorder {
    fn on_epoch_end(&mut self, _record: &EpochRecord, model: &Model<f64>) {
        self.0.push(weights(model));
    }
}

fn sgd(lr: f64) -> OptimizerConfig {
    OptimizerConfig::Sgd { lr, momentum: 0.0, nesterov: false }
}

/// With `restore_best` the model ends with exactly (bit for bit) the weights it had at the end
/// of the best epoch, whether early stopping ended the fit or the epochs ran out (Keras 3
/// restores in `on_train_end` either way); without it, with the last epoch's.
#[test]
fn restore_best_puts_back_the_best_epochs_weights_bitwise() {
    let ((x, y), (vx, vy)) = (data(40, 1), data(40, 2));
    for (patience, restore_best) in [(3, true), (1000, true), (3, false)] {
        let mut model = mlp(0);
        let mut trainer = Trainer::new(Loss::MeanSquaredError, &sgd(0.3), &[]).unwrap();
        let early = EarlyStopping { patience, restore_best, ..EarlyStopping::default() };
        let config = FitConfig { epochs: 300, batch_size: 8, early_stopping: Some(early), ..FitConfig::default() };
        let mut recorder = Recorder::default();
        let history = trainer
            .fit(&mut model, x.view(), y.view(), Some((vx.view(), vy.view())), &config, Some(&mut recorder))
            .unwrap();
        let val: Vec<f64> = history.epochs.iter().map(|e| e.validation.as_ref().unwrap().loss).collect();
        // The best epoch is the first with the lowest val_loss (min_delta 0: a tie does not improve).
        let best = val.iter().enumerate().fold(0, |b, (i, v)| if *v < val[b] { i } else { b }) + 1;
        assert_eq!(history.best_epoch, Some(best), "patience {patience}");
        assert_eq!(history.best_value, Some(val[best - 1]));
        if patience == 3 {
            assert_eq!(history.stop, Stop::EarlyStopping);
            assert_eq!(history.stopped_epoch, Some(best + 3), "stops after 3 epochs without improvement");
            assert!(best + 3 < 300, "the fit must stop early for this test to mean something: {best}");
        } else {
            assert_eq!((history.stop, history.stopped_epoch, history.epochs.len()), (Stop::Epochs, None, 300));
        }
        let expected = if restore_best { &recorder.0[best - 1] } else { recorder.0.last().unwrap() };
        assert_eq!(history.restored_best, restore_best);
        assert!(weights(&model).iter().zip(expected).all(|(a, b)| a.to_bits() == b.to_bits()), "patience {patience}");
        assert_ne!(&recorder.0[best - 1], recorder.0.last().unwrap(), "best and last epoch differ");
    }
}

/// A schedule's formula from Keras' source: the rate at a 0-based step.
type KerasFormula = Box<dyn Fn(f64) -> f64>;

/// The `lr` column is the rate of each epoch's last step, Keras' schedule evaluated at that
/// step's `optimizer.iterations` (0-based): 40 rows in batches of 16 are 3 steps per epoch, so
/// epoch e ends with step 3e − 1.
#[test]
fn step_schedules_follow_keras_formulas() {
    use std::f64::consts::PI;
    let (x, y) = data(40, 3);
    const LR0: f64 = 0.1;
    let lr0 = LR0;
    // keras.optimizers.schedules.ExponentialDecay.__call__:
    //   p = step / decay_steps; p = floor(p) if staircase; return lr0 * decay_rate ** p
    // CosineDecay._decay_function: lr0 * ((1 - alpha) * 0.5 * (1 + cos(pi * step / decay_steps)) + alpha),
    //   step = min(step, decay_steps); with warmup: step = min(step, decay_steps + warmup_steps),
    //   step < warmup_steps ? (target - lr0) * step / warmup_steps + lr0 : decay from target at step - warmup_steps.
    let cases: Vec<(LrSchedule, KerasFormula)> = vec![
        (
            LrSchedule::Exponential { decay_steps: 4, decay_rate: 0.5, staircase: false },
            Box::new(|s| LR0 * 0.5f64.powf(s / 4.0)),
        ),
        (
            LrSchedule::Exponential { decay_steps: 4, decay_rate: 0.5, staircase: true },
            Box::new(|s| LR0 * 0.5f64.powf((s / 4.0).floor())),
        ),
        (LrSchedule::Step { decay_steps: 5, decay_rate: 0.3 }, Box::new(|s| LR0 * 0.3f64.powf((s / 5.0).floor()))),
        (
            LrSchedule::Cosine { decay_steps: 20, alpha: 0.1, warmup_target: None, warmup_steps: 0 },
            Box::new(|s: f64| LR0 * (0.9 * 0.5 * (1.0 + (PI * s.min(20.0) / 20.0).cos()) + 0.1)),
        ),
        (
            LrSchedule::Cosine { decay_steps: 20, alpha: 0.0, warmup_target: Some(0.2), warmup_steps: 7 },
            Box::new(|s: f64| {
                let s = s.min(27.0);
                if s < 7.0 {
                    (0.2 - LR0) * s / 7.0 + LR0
                } else {
                    0.2 * 0.5 * (1.0 + (PI * (s - 7.0) / 20.0).cos())
                }
            }),
        ),
    ];
    for (schedule, keras) in cases {
        let mut model = mlp(1);
        let mut trainer = Trainer::new(Loss::MeanSquaredError, &sgd(lr0), &[]).unwrap();
        let config =
            FitConfig { epochs: 12, batch_size: 16, lr_schedule: Some(schedule.clone()), ..FitConfig::default() };
        let history = trainer.fit(&mut model, x.view(), y.view(), None, &config, None).unwrap();
        for e in &history.epochs {
            let expected = keras((3 * e.epoch - 1) as f64);
            assert!(
                (e.lr - expected).abs() <= 1e-15 * expected,
                "{schedule:?} epoch {}: {} vs {expected}",
                e.epoch,
                e.lr
            );
        }
        // A second fit starts the schedule again from the optimizer's lr.
        let again = trainer.fit(&mut model, x.view(), y.view(), None, &config, None).unwrap();
        assert_eq!(again.epochs[0].lr, history.epochs[0].lr);
    }
}

/// The scheduled rate is the one the steps use, proximal thresholds included: two full-batch
/// epochs under `step` (lr, then lr·0.5) give the same bits as one epoch at lr followed by one
/// at lr·0.5 from a fresh SGD.
#[test]
fn proximal_steps_use_the_scheduled_rate() {
    let (x, y) = data(30, 4);
    let build = || {
        Model::<f64>::builder(&[3])
            .layer(Dense::new(1).kernel_penalty(Penalty::l1(0.05).unwrap().with_mode(PenaltyMode::Proximal).unwrap()))
            .build(2)
            .unwrap()
    };
    let base = FitConfig { epochs: 1, batch_size: 30, shuffle: false, ..FitConfig::default() };
    let mut scheduled = build();
    let schedule = LrSchedule::Step { decay_steps: 1, decay_rate: 0.5 };
    let config = FitConfig { epochs: 2, lr_schedule: Some(schedule), ..base.clone() };
    Trainer::new(Loss::MeanSquaredError, &sgd(0.2), &[])
        .unwrap()
        .fit(&mut scheduled, x.view(), y.view(), None, &config, None)
        .unwrap();
    let mut by_hand = build();
    for lr in [0.2, 0.1] {
        Trainer::new(Loss::MeanSquaredError, &sgd(lr), &[])
            .unwrap()
            .fit(&mut by_hand, x.view(), y.view(), None, &base, None)
            .unwrap();
    }
    assert_eq!(weights(&scheduled), weights(&by_hand));
}

/// A plateau on the training loss: the `lr` column drops by `factor` after `patience` epochs
/// without improvement and never below `min_lr`.
#[test]
fn plateau_schedule_lowers_the_lr_column() {
    let (x, y) = data(40, 5);
    let mut model = mlp(3);
    // lr 2 makes SGD bounce on this problem, so the loss plateaus quickly.
    let mut trainer = Trainer::new(Loss::MeanSquaredError, &sgd(2.0), &[]).unwrap();
    let schedule = LrSchedule::Plateau {
        monitor: "loss".into(),
        factor: 0.5,
        patience: 2,
        min_delta: 0.0,
        cooldown: 0,
        min_lr: 0.1,
    };
    let config = FitConfig { epochs: 200, batch_size: 40, lr_schedule: Some(schedule), ..FitConfig::default() };
    let history = trainer.fit(&mut model, x.view(), y.view(), None, &config, None).unwrap();
    let rates: Vec<f64> = history.epochs.iter().map(|e| e.lr).collect();
    assert_eq!(rates[0], 2.0);
    assert!(rates.windows(2).all(|w| w[1] == w[0] || w[1] == (w[0] * 0.5).max(0.1)), "{rates:?}");
    assert_eq!(*rates.last().unwrap(), 0.1, "{rates:?}");
    // Replaying the rule on the recorded losses gives the recorded rates.
    let monitor = Monitor::resolve("lr_schedule.monitor", "loss", &[], false).unwrap();
    let mut plateau = crate::optim::lr_schedule::Plateau::new(config.lr_schedule.as_ref().unwrap(), monitor).unwrap();
    let mut lr = 2.0;
    for e in &history.epochs {
        assert_eq!(e.lr, lr, "epoch {}", e.epoch);
        lr = plateau.on_epoch_end(e.train.loss, lr);
    }
}

/// `tol` ends a converged fit and says so; a fit that runs out of epochs says it did not
/// converge; a `val_…` monitor without validation data is an error before any step.
#[test]
fn convergence_and_monitor_errors() {
    let (x, y) = data(40, 6);
    let fit = |epochs, tol| {
        let mut model = mlp(4);
        let mut trainer = Trainer::new(Loss::MeanSquaredError, &sgd(0.05), &[]).unwrap();
        let convergence = Some(Convergence::new(tol, Some(5)).unwrap());
        let config = FitConfig { epochs, batch_size: 40, convergence, ..FitConfig::default() };
        trainer.fit(&mut model, x.view(), y.view(), None, &config, None).unwrap()
    };
    let h = fit(100_000, 1e-3);
    assert_eq!((h.stop, h.converged), (Stop::Converged, Some(true)));
    assert!(h.epochs.len() < 100_000 && h.stopped_epoch == Some(h.epochs.len()));
    let h = fit(20, 1e-12);
    assert_eq!((h.stop, h.converged, h.epochs.len()), (Stop::Epochs, Some(false), 20));

    let mut model = mlp(5);
    let before = weights(&model);
    let mut trainer = Trainer::new(Loss::MeanSquaredError, &sgd(0.05), &[]).unwrap();
    let config = FitConfig { epochs: 3, early_stopping: Some(EarlyStopping::default()), ..FitConfig::default() };
    let e = trainer.fit(&mut model, x.view(), y.view(), None, &config, None).unwrap_err().to_string();
    assert!(e.starts_with("early_stopping.monitor: `val_loss` needs validation data"), "{e}");
    assert_eq!(weights(&model), before, "nothing was trained");
}
