//! The settings of one call to [`super::Trainer::fit`].

use super::{Convergence, EarlyStopping, Monitor};
use crate::optim::LrSchedule;
use crate::Error;
use serde::Serialize;

/// Settings of one call to [`super::Trainer::fit`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FitConfig {
    /// Passes over the training data, ≥ 0 (0 trains nothing); with early stopping or `tol`
    /// the most it may run. Default 1.
    pub epochs: usize,
    /// Rows per step, ≥ 1; the last batch of an epoch may be smaller. Default 32.
    pub batch_size: usize,
    /// Reshuffle the rows before every epoch (seeded). Default true.
    pub shuffle: bool,
    /// Seed of the shuffles. Default 0.
    pub seed: u64,
    /// Threads for the large products inside one step, ≥ 1. Default 1: many fits side by side
    /// should each use one thread; a single large fit may use all cores.
    pub threads: usize,
    /// Stop when a monitored quantity stops improving (Keras `EarlyStopping`). Default none.
    pub early_stopping: Option<EarlyStopping>,
    /// Change the optimizer's learning rate over the fit. Default none (constant `lr`).
    pub lr_schedule: Option<LrSchedule>,
    /// Stop once the training objective has converged (scikit-learn's `tol`). Default none.
    pub convergence: Option<Convergence>,
    /// Epochs already trained (Keras `initial_epoch`): the fit runs epochs
    /// `initial_epoch + 1 ..= epochs`, replaying the earlier epochs' shuffles and counting their
    /// steps, so a model and trainer fitted to `initial_epoch` and continued here end with the
    /// same bits as one fit of `epochs` — as long as nothing depends on the earlier epochs'
    /// history (see [`FitConfig::continues_exactly`]). Default 0.
    #[serde(skip_serializing_if = "is_zero")]
    pub initial_epoch: usize,
    /// Cut every batch into this many micro-batches whose gradients are computed separately and
    /// summed in order (see [`super::Exchange`]), ≥ 1: the definition that makes a data-parallel
    /// fit over any number of processes give the same bits as one process. Default 1 (one pass
    /// over the batch, the fastest in one process; another value changes only the rounding).
    #[serde(skip_serializing_if = "is_one")]
    pub micro_batches: usize,
}

fn is_one(n: &usize) -> bool {
    *n == 1
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

impl Default for FitConfig {
    fn default() -> Self {
        FitConfig {
            epochs: 1,
            batch_size: 32,
            shuffle: true,
            seed: 0,
            threads: 1,
            early_stopping: None,
            lr_schedule: None,
            convergence: None,
            initial_epoch: 0,
            micro_batches: 1,
        }
    }
}

impl FitConfig {
    /// Whether a fit continued with `initial_epoch` equals the uninterrupted fit: early
    /// stopping, `tol` and a plateau schedule decide from the epochs they saw, which a second
    /// call to `fit` has not seen.
    pub fn continues_exactly(&self) -> bool {
        self.early_stopping.is_none()
            && self.convergence.is_none()
            && !matches!(self.lr_schedule, Some(LrSchedule::Plateau { .. }))
    }

    /// Checks the documented ranges.
    pub fn validate(&self) -> Result<(), Error> {
        if self.batch_size == 0 {
            return Err(Error::invalid("batch_size", "≥ 1", 0));
        }
        if self.threads == 0 {
            return Err(Error::invalid("threads", "≥ 1", 0));
        }
        if self.micro_batches == 0 {
            return Err(Error::invalid("micro_batches", "≥ 1", 0));
        }
        if let Some(e) = &self.early_stopping {
            e.validate()?;
        }
        if let Some(s) = &self.lr_schedule {
            s.validate()?;
        }
        if let Some(c) = &self.convergence {
            c.validate()?;
        }
        Ok(())
    }

    /// The monitors of early stopping and of a plateau schedule, resolved against a trainer's
    /// metric names and whether the fit has validation data: the check a caller can make before
    /// any output is written (an unknown quantity, or `val_…` without validation data, is an
    /// error naming `early_stopping.monitor` or `lr_schedule.monitor`).
    pub fn monitors(
        &self,
        metric_names: &[String],
        has_validation: bool,
    ) -> Result<(Option<Monitor>, Option<Monitor>), Error> {
        self.validate()?;
        let early = match &self.early_stopping {
            Some(e) => Some(Monitor::resolve("early_stopping.monitor", &e.monitor, metric_names, has_validation)?),
            None => None,
        };
        let plateau = match self.lr_schedule.as_ref().and_then(|s| s.monitor()) {
            Some(name) => Some(Monitor::resolve("lr_schedule.monitor", name, metric_names, has_validation)?),
            None => None,
        };
        Ok((early, plateau))
    }

    /// Whether a monitor watches a validation quantity (the fit then needs validation data).
    pub fn needs_validation(&self) -> bool {
        let early = self.early_stopping.as_ref().map(|e| e.monitor.as_str());
        let plateau = self.lr_schedule.as_ref().and_then(|s| s.monitor());
        early.into_iter().chain(plateau).any(|m| m.starts_with("val_"))
    }

    /// The metrics the monitors name (beyond `loss` and `data_loss`), e.g. so that a search
    /// trial records them.
    pub fn monitored_metrics(&self) -> Vec<String> {
        let early = self.early_stopping.as_ref().map(|e| e.monitor.as_str());
        let plateau = self.lr_schedule.as_ref().and_then(|s| s.monitor());
        early
            .into_iter()
            .chain(plateau)
            .map(|m| m.strip_prefix("val_").unwrap_or(m))
            .filter(|m| !matches!(*m, "loss" | "data_loss"))
            .map(str::to_string)
            .collect()
    }
}
