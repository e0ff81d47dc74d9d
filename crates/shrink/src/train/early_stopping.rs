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
