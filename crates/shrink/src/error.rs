use crate::penalty::PenaltyError;

/// Everything that can go wrong while building or training a network.
///
/// Messages name the parameter, layer or epoch at fault, because they end up in front of a
/// user of the command line.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A penalty strength was rejected.
    #[error(transparent)]
    Penalty(#[from] PenaltyError),
    /// A hyperparameter outside its documented range.
    #[error("{parameter} must be {expected}, got {value}")]
    InvalidParameter {
        /// The parameter's name as the user writes it.
        parameter: &'static str,
        /// What the parameter must be.
        expected: &'static str,
        /// The rejected value, as text.
        value: String,
    },
    /// A training setting that cannot be used with this fit (an unknown or unavailable
    /// monitored quantity, a schedule parameter out of range).
    #[error("{key}: {message}")]
    Setting {
        /// The key as a spec writes it (`early_stopping.monitor`, `lr_schedule.decay_rate`).
        key: &'static str,
        /// What is wrong.
        message: String,
    },
    /// Arrays whose shapes do not fit the model or each other.
    #[error("shape mismatch: {0}")]
    Shape(String),
    /// A layer that cannot accept the input it is given.
    #[error("layer {layer}: {message}")]
    Layer {
        /// The layer's name (e.g. `dense_0`).
        layer: String,
        /// What is wrong.
        message: String,
    },
    /// A parameter selector (e.g. `dense_0.kernel`) that matches nothing.
    #[error("no parameter matches `{selector}`; the model has: {available}")]
    UnknownParameter {
        /// The selector as given.
        selector: String,
        /// The model's parameter names, comma-separated.
        available: String,
    },
    /// Input data containing NaN or infinity.
    #[error("{what} contains a non-finite value at row {row}, column {column}")]
    NonFinite {
        /// Which array (e.g. "training inputs").
        what: &'static str,
        /// 1-based row.
        row: usize,
        /// 1-based column.
        column: usize,
    },
    /// Training produced a NaN or infinite loss (before any clipping) or weights; the weights
    /// are no longer meaningful and nothing may be saved from them.
    #[error("training diverged at epoch {epoch}, batch {batch}: {what}; lower the learning rate or the penalty")]
    Diverged {
        /// 1-based epoch.
        epoch: usize,
        /// 1-based batch within the epoch.
        batch: usize,
        /// What stopped being finite (`loss is NaN`, `weights of dense_0.kernel`).
        what: String,
    },
    /// A fit stopped from outside ([`crate::train::Interrupt`]) before this batch; the model
    /// holds the weights of the steps before it.
    #[error("interrupted at epoch {epoch}, batch {batch}")]
    Interrupted {
        /// 1-based epoch.
        epoch: usize,
        /// 1-based batch within the epoch (not yet trained).
        batch: usize,
    },
    /// A model's output that is not a finite number.
    #[error("the prediction for row {row} is not finite ({value}): the inputs are outside what the model can handle")]
    NonFinitePrediction {
        /// 1-based row of the input.
        row: usize,
        /// The offending output.
        value: f64,
    },
    /// A model spec that cannot be used (the message names the key and line).
    #[error("spec: {0}")]
    Spec(String),
    /// Targets outside the values a task allows (e.g. not 0/1 for binary classification).
    #[error("{0}")]
    Target(String),
    /// Saved optimizer state that does not fit the trainer or model it is restored into (the
    /// message names the optimizers, or the parameter and both shapes).
    #[error("{0}")]
    OptimizerState(String),
    /// A model file that cannot be read as a shrink model.
    #[error("{path}: {message}")]
    ModelFile {
        /// The file.
        path: String,
        /// What is wrong with it.
        message: String,
    },
    /// An output that exists and may not be replaced.
    #[error("{path} exists (not replaced)")]
    Exists {
        /// The file.
        path: String,
    },
    /// Writing, locking or hashing a file failed (`shrink-files`).
    #[error(transparent)]
    Files(#[from] shrink_files::Error),
    /// The model was used before [`crate::nn::ModelBuilder::build`].
    #[error("the model has no layers")]
    EmptyModel,
    /// A data error from `shrink-data`.
    #[error(transparent)]
    Data(#[from] shrink_data::DataError),
    /// Writing results failed.
    #[error("{path}: {source}")]
    Io {
        /// The file being written or read.
        path: String,
        /// The underlying error.
        source: std::io::Error,
    },
}

impl Error {
    /// Shorthand for [`Error::InvalidParameter`].
    pub fn invalid(parameter: &'static str, expected: &'static str, value: impl ToString) -> Self {
        Error::InvalidParameter { parameter, expected, value: value.to_string() }
    }
}
