//! What a fit reports: per-epoch losses, metrics and learning rate, and how the fit ended.

use serde::Serialize;

/// Loss, penalty and metrics of a model on one data set.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Evaluation {
    /// Data loss plus penalty (what Keras reports as `loss`).
    pub loss: f64,
    /// The mean data loss alone.
    pub data_loss: f64,
    /// The penalty alone.
    pub penalty: f64,
    /// One value per metric, in the trainer's order.
    pub metrics: Vec<f64>,
}

/// What one epoch did.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EpochRecord {
    /// 1-based epoch number.
    pub epoch: usize,
    /// Training values averaged over the epoch's batches (weighted by batch size), each batch
    /// measured before its update, as Keras reports them.
    pub train: Evaluation,
    /// Validation values after the epoch, when validation data was given.
    pub validation: Option<Evaluation>,
    /// The learning rate of the epoch's last step: the configured `lr`, or what the
    /// learning-rate schedule set (`lr` in `history.csv`).
    pub lr: f64,
}

/// Why a fit ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Stop {
    /// It ran every epoch it was given.
    #[default]
    Epochs,
    /// Early stopping: the monitored quantity did not improve for `patience` epochs.
    EarlyStopping,
    /// Convergence: the training loss did not improve by the relative `tol` for more than
    /// `n_iter_no_change` epochs.
    Converged,
}

/// Every epoch of a fit, and how it ended.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct History {
    /// Metric names, matching `Evaluation::metrics`.
    pub metric_names: Vec<String>,
    /// One record per epoch run.
    pub epochs: Vec<EpochRecord>,
    /// Why the fit ended.
    pub stop: Stop,
    /// The 1-based epoch at whose end training stopped early (early stopping or convergence);
    /// `None` when it ran every epoch.
    pub stopped_epoch: Option<usize>,
    /// With early stopping: the 1-based epoch with the best monitored value (Keras'
    /// `best_epoch + 1`), `None` before any epoch was monitored.
    pub best_epoch: Option<usize>,
    /// With early stopping: that best monitored value.
    pub best_value: Option<f64>,
    /// Whether the weights at the end are the best epoch's (early stopping's `restore_best`).
    pub restored_best: bool,
    /// With `tol` set: whether the convergence test stopped the fit (`false`: it ran out of
    /// epochs, or early stopping ended it, before converging — scikit-learn's
    /// `ConvergenceWarning` case). `None` without `tol`.
    pub converged: Option<bool>,
}

impl History {
    /// A training metric per epoch (`None` if the metric was not tracked).
    pub fn train_metric(&self, name: &str) -> Option<Vec<f64>> {
        let i = self.metric_names.iter().position(|n| n == name)?;
        Some(self.epochs.iter().map(|e| e.train.metrics[i]).collect())
    }

    /// A validation metric per epoch (`None` without validation data).
    pub fn validation_metric(&self, name: &str) -> Option<Vec<f64>> {
        let i = self.metric_names.iter().position(|n| n == name)?;
        self.epochs.iter().map(|e| e.validation.as_ref().map(|v| v.metrics[i])).collect()
    }
}
