//! Early stopping with the rules of Keras 3's `EarlyStopping` callback
//! (`keras/src/callbacks/early_stopping.py`), at the end of every epoch:
//!
//! ```text
//! if epoch < start_from_epoch: return                       # 0-based epoch
//! if restore_best and no snapshot yet: snapshot, best_epoch = epoch
//! wait += 1
//! if current improves on best by more than min_delta:       # current < best − min_delta (min mode)
//!     best = current; best_epoch = epoch; snapshot (restore_best)
//!     if no baseline or current improves on baseline: wait = 0
//!     return
//! if wait ≥ patience and epoch > 0: stop
//! ```
//!
//! and, when training ends (stopped early or not, as Keras 3's `on_train_end`), the snapshot is
//! put back with `restore_best`. Only the weights are restored, not the optimizer state (Keras
//! restores `model.get_weights()` only). `best` starts at +∞ (−∞ for accuracy).

use super::Monitor;
use crate::nn::Model;
use crate::{Error, Float};
use serde::{Deserialize, Serialize};

/// `[early_stopping]` in a spec; Keras' `EarlyStopping` arguments and defaults.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EarlyStopping {
    /// The quantity watched: `loss`, `data_loss` or a metric, each optionally `val_…` (then the
    /// fit needs validation data). Smaller is better except for accuracy (Keras `mode =
    /// "auto"`). Default `val_loss`.
    #[serde(default = "crate::optim::lr_schedule::val_loss")]
    pub monitor: String,
    /// Epochs without improvement after which training stops (Keras: the stop comes when the
    /// wait counter reaches it). Default 0: the first epoch that does not improve stops.
    #[serde(default)]
    pub patience: usize,
    /// The least change that counts as an improvement, finite and ≥ 0. Default 0.
    #[serde(default)]
    pub min_delta: f64,
    /// End with the weights of the best epoch (Keras `restore_best_weights`). Default false.
    #[serde(default)]
    pub restore_best: bool,
    /// Epochs (from the first) that are not monitored, a warm-up. Default 0.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub start_from_epoch: usize,
    /// A value the monitor must beat before the wait counter resets, finite. Default none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub baseline: Option<f64>,
}

fn is_zero(v: &usize) -> bool {
    *v == 0
}

impl Default for EarlyStopping {
    fn default() -> Self {
        EarlyStopping {
            monitor: "val_loss".into(),
            patience: 0,
            min_delta: 0.0,
            restore_best: false,
            start_from_epoch: 0,
            baseline: None,
        }
    }
}

impl EarlyStopping {
    /// Checks the ranges that do not depend on the fit (the monitor is resolved by the fit).
    pub fn validate(&self) -> Result<(), Error> {
        let d = self.min_delta;
        if !(d.is_finite() && d >= 0.0) {
            return Err(Error::invalid("early_stopping.min_delta", "finite and ≥ 0", d));
        }
        if let Some(b) = self.baseline.filter(|b| !b.is_finite()) {
            return Err(Error::invalid("early_stopping.baseline", "finite", b));
        }
        Ok(())
    }
}

/// Early stopping's state over one fit.
pub(crate) struct EarlyStopper<F> {
    config: EarlyStopping,
    monitor: Monitor,
    wait: usize,
    best: f64,
    pub(crate) best_epoch: Option<usize>,
    pub(crate) best_value: Option<f64>,
    snapshot: Vec<F>,
    have_snapshot: bool,
}

impl<F: Float> EarlyStopper<F> {
    pub(crate) fn new(config: &EarlyStopping, monitor: Monitor) -> Self {
        EarlyStopper {
            config: config.clone(),
            monitor,
            wait: 0,
            best: monitor.worst(),
            best_epoch: None,
            best_value: None,
            snapshot: Vec::new(),
            have_snapshot: false,
        }
    }

    /// After 1-based epoch `epoch` with the monitored value `current`: whether to stop.
    pub(crate) fn on_epoch_end(&mut self, epoch: usize, current: f64, model: &mut Model<F>) -> bool {
        let zero_based = epoch - 1;
        if zero_based < self.config.start_from_epoch {
            return false;
        }
        if self.config.restore_best && !self.have_snapshot {
            self.take_snapshot(model);
            self.best_epoch = Some(epoch);
        }
        self.wait += 1;
        if self.monitor.improves(current, self.best, self.config.min_delta) {
            self.best = current;
            self.best_epoch = Some(epoch);
            self.best_value = Some(current);
            if self.config.restore_best {
                self.take_snapshot(model);
            }
            if self.config.baseline.is_none_or(|b| self.monitor.improves(current, b, self.config.min_delta)) {
                self.wait = 0;
            }
            return false;
        }
        self.wait >= self.config.patience && zero_based > 0
    }

    /// Puts the best epoch's weights back (with `restore_best`); whether it did.
    pub(crate) fn finish(&self, model: &mut Model<F>) -> bool {
        if !(self.config.restore_best && self.have_snapshot) {
            return false;
        }
        let mut at = 0;
        model.for_each_param_mut(|_, p| {
            let n = p.value.len();
            p.value.copy_from_slice(&self.snapshot[at..at + n]);
            at += n;
        });
        true
    }

    /// Copies every weight (allocating only the first time).
    fn take_snapshot(&mut self, model: &mut Model<F>) {
        self.snapshot.clear();
        let snapshot = &mut self.snapshot;
        model.for_each_param_mut(|_, p| snapshot.extend_from_slice(&p.value));
        self.have_snapshot = true;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::nn::Dense;

    /// Keras' rules on scripted losses: which epoch stops and which is best. Each expectation
    /// is worked by hand from the rules in the module comment (the `EarlyStopping` source).
    #[test]
    fn wait_patience_min_delta_and_baseline_follow_keras() {
        let mut model = Model::<f64>::builder(&[1]).layer(Dense::new(1)).build(0).unwrap();
        let loss = Monitor::resolve("early_stopping.monitor", "loss", &[], false).unwrap();
        let mut run = |config: EarlyStopping, values: &[f64]| {
            let mut s = EarlyStopper::<f64>::new(&config, loss);
            let stop = values.iter().enumerate().position(|(i, &v)| s.on_epoch_end(i + 1, v, &mut model));
            (stop.map(|i| i + 1), s.best_epoch)
        };
        let values = [1.0, 0.9, 0.85, 0.86, 0.84, 0.845, 0.846, 0.847, 0.83];
        // patience 0 (Keras' default): the first epoch that does not improve (4) stops.
        assert_eq!(run(EarlyStopping { patience: 0, ..Default::default() }, &values), (Some(4), Some(3)));
        // patience 2: 4 (wait 1), 5 improves (0.84 < 0.85), 6 wait 1, 7 wait 2 → stop at 7.
        assert_eq!(run(EarlyStopping { patience: 2, ..Default::default() }, &values), (Some(7), Some(5)));
        // min_delta 0.02: 2 improves (0.9 + 0.02 < 1), 3 improves (0.85 + 0.02 < 0.9), 4
        // (0.86 + 0.02 ≥ 0.85) wait 1, 5 (0.84 + 0.02 ≥ 0.85) wait 2, 6 wait 3 → stop at 6.
        assert_eq!(
            run(EarlyStopping { patience: 3, min_delta: 0.02, ..Default::default() }, &values),
            (Some(6), Some(3))
        );
        // A baseline never beaten: improvements move `best` but do not reset the wait (1: wait
        // 1, 2: wait 2, 3: wait 3), yet an improving epoch returns before the patience test, so
        // the first epoch that does not improve (4, wait 4 ≥ 2) stops.
        let baseline = EarlyStopping { patience: 2, baseline: Some(0.5), ..Default::default() };
        assert_eq!(run(baseline, &values), (Some(4), Some(3)));
        // start_from_epoch 3 ignores epochs 1–3: 4 (0.86) and 5 (0.84) improve, 6 waits 1 → stop.
        let late = EarlyStopping { patience: 1, start_from_epoch: 3, ..Default::default() };
        assert_eq!(run(late, &values), (Some(6), Some(5)));
        // Accuracy is maximized.
        let acc = Monitor::resolve("early_stopping.monitor", "accuracy", &["accuracy".into()], false).unwrap();
        let mut s = EarlyStopper::<f64>::new(&EarlyStopping { patience: 1, ..Default::default() }, acc);
        let stops: Vec<bool> =
            [0.5, 0.7, 0.6, 0.8, 0.8].iter().enumerate().map(|(i, &v)| s.on_epoch_end(i + 1, v, &mut model)).collect();
        assert_eq!((stops, s.best_epoch), (vec![false, false, true, false, true], Some(4)));
    }
}
