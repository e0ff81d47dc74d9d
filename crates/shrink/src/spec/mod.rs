//! A model spec: the network, its penalties, the loss, the optimizer and the training settings
//! in one TOML or JSON document, so people who do not write Rust can train and fine-tune.
//!
//! ```toml
//! input_shape = [2]
//! scaling = "standard"            # standard | minmax | none, fitted on the training rows
//! loss = "binary_crossentropy"    # binary_crossentropy | categorical_crossentropy | mse
//! metrics = ["accuracy"]
//! epochs = 4000
//! batch_size = 32
//! seed = 0
//! optimizer = { name = "adam", lr = 0.001 }
//!
//! [[layers]]
//! type = "dense"
//! units = 500
//! activation = "relu"
//! kernel_penalty = { l2 = 1e-3 }   # bias_penalty is off unless given
//!
//! [[layers]]
//! type = "dense"
//! units = 1
//! activation = "sigmoid"
//! ```
//!
//! Penalties go on a layer's own keys (`kernel_penalty`, `bias_penalty`, `recurrent_penalty`,
//! `activity_penalty`), in the text form (`"l1:1e-3@proximal"`) or as a table, or by selector:
//!
//! ```toml
//! [[penalties]]
//! on = "dense_*.kernel"
//! penalty = "l2:1e-4"
//! ```
//!
//! Unknown keys and impossible values are errors that name the key and the line.

use crate::loss::Loss;
use crate::metrics::Metric;
pub use crate::nn::LayerConfig;
use crate::nn::{Activation, Model, ModelConfig};
use crate::optim::{LrSchedule, OptimizerConfig};
use crate::train::convergence::DEFAULT_N_ITER_NO_CHANGE;
use crate::train::{Convergence, EarlyStopping, FitConfig, Trainer};
use crate::Error;
use serde::{Deserialize, Serialize};
use shrink_data::series::SeriesSpec;
use shrink_data::{ColumnOptions, HandleUnknown, Scaling, DEFAULT_MAX_CATEGORIES};

/// One layer of a spec: the layer's own config type ([`LayerConfig`]).
pub type LayerSpec = LayerConfig;

fn default_epochs() -> usize {
    100
}
fn default_batch() -> usize {
    32
}
fn default_max_categories() -> usize {
    DEFAULT_MAX_CATEGORIES
}
fn is_default_max_categories(n: &usize) -> bool {
    *n == DEFAULT_MAX_CATEGORIES
}
fn is_default<T: Default + PartialEq>(v: &T) -> bool {
    *v == T::default()
}

/// A whole training setup.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelSpec {
    /// Per-sample input shape, e.g. `[2]`. May be omitted (empty): for a table it is then
    /// `[number of encoded input columns]`, known once the columns are picked and encoded; with
    /// [`ModelSpec::series`] it is `[window, n_columns]`.
    #[serde(default)]
    pub input_shape: Vec<usize>,
    /// Input scaling fitted on the training rows: `"standard"`, `"minmax"`, `"none"` or a
    /// fixed divisor `{ divide = 255 }`. Default none.
    #[serde(default)]
    pub scaling: Scaling,
    /// The input columns, in order (default: every column but the target and `ignore`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub features: Option<Vec<String>>,
    /// Columns that are not inputs (ids, dates); not with `features`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ignore: Vec<String>,
    /// Input columns to one-hot encode, categories fitted on the training rows.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub categorical: Vec<String>,
    /// A category unseen in training: `"error"` (default) or `"ignore"` (all-zero inputs).
    #[serde(default, skip_serializing_if = "is_default")]
    pub handle_unknown: HandleUnknown,
    /// The most categories a categorical column may have. Default 1000.
    #[serde(default = "default_max_categories", skip_serializing_if = "is_default_max_categories")]
    pub max_categories: usize,
    /// Scaling of a regression (mse) target, fitted on the training rows and inverted for
    /// predictions and evaluation: `"standard"`, `"minmax"` or `"none"` (default).
    #[serde(default, skip_serializing_if = "is_default")]
    pub target_scaling: Scaling,
    /// The layers, in order.
    pub layers: Vec<LayerConfig>,
    /// The data loss.
    pub loss: Loss,
    /// Metrics per epoch. Default none.
    #[serde(default)]
    pub metrics: Vec<Metric>,
    /// Optimizer and settings. Default Adam with Keras defaults.
    #[serde(default)]
    pub optimizer: OptimizerConfig,
    /// Epochs. Default 100.
    #[serde(default = "default_epochs")]
    pub epochs: usize,
    /// Rows per step, ≥ 1. Default 32.
    #[serde(default = "default_batch")]
    pub batch_size: usize,
    /// Seed of initialization, shuffling and validation splits. Default 0.
    #[serde(default)]
    pub seed: u64,
    /// Penalties by selector, applied after the layers' own `*_penalty` keys (a later rule
    /// overrides an earlier one on the parameters both match):
    /// `[[penalties]]` with `on = "conv2d_*.kernel,dense_0.kernel"` and
    /// `penalty = "l2:1e-4"` (text or table form). Default none.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub penalties: Vec<PenaltyRule>,
    /// A `[series]` table: the data is a time series turned into windows
    /// ([`shrink_data::series`]); the loss must be mse and the network has one output.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub series: Option<SeriesSpec>,
    /// `[early_stopping]`: stop when a monitored quantity stops improving (Keras
    /// `EarlyStopping`; `monitor`, `patience`, `min_delta`, `restore_best`, `start_from_epoch`,
    /// `baseline`). Default none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub early_stopping: Option<EarlyStopping>,
    /// `lr_schedule = { name = "step" | "exponential" | "cosine" | "plateau", … }`: the
    /// optimizer's `lr` over the fit (Keras' schedules and `ReduceLROnPlateau`). Default none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lr_schedule: Option<LrSchedule>,
    /// Stop once the training objective has converged: after more than `n_iter_no_change`
    /// epochs in a row whose loss fell by less than `tol` times the best loss so far
    /// (scikit-learn's MLP rule, with a relative `tol`). Default none (off).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tol: Option<f64>,
    /// With `tol`: the epochs without such an improvement that are tolerated, ≥ 1. Default 10.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub n_iter_no_change: Option<usize>,
    /// Cut every batch into this many micro-batches whose gradients are summed in order, ≥ 1
    /// ([`crate::train::FitConfig::micro_batches`]): what makes data-parallel training over any
    /// number of processes give the same bits. Default 1; `mpirun -n N shrink train` uses N
    /// when the spec leaves it out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub micro_batches: Option<usize>,
}

/// One `[[penalties]]` entry of a spec: a selector and the penalty for what it matches.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PenaltyRule {
    /// A selector ([`crate::nn::selector`]): `*.kernel`, `conv2d_*.kernel,lstm_0.recurrent_kernel`.
    pub on: String,
    /// The penalty; `"none"` removes one.
    pub penalty: crate::Penalty,
}

impl ModelSpec {
    /// Parses TOML; errors carry the line and the key.
    pub fn from_toml(text: &str) -> Result<Self, Error> {
        let mut spec: ModelSpec = toml::from_str(text).map_err(|e| Error::Spec(describe_toml(text, &e)))?;
        spec.validate_columns().map_err(|(key, e)| Error::Spec(locate::at_key(text, key, &e, false)))?;
        spec.infer_input_shape();
        spec.validate()?;
        Ok(spec)
    }

    /// Parses JSON; errors carry the line and column.
    pub fn from_json(text: &str) -> Result<Self, Error> {
        let mut spec: ModelSpec = serde_json::from_str(text).map_err(|e| Error::Spec(describe_json(text, &e)))?;
        spec.validate_columns().map_err(|(key, e)| Error::Spec(locate::at_key(text, key, &e, true)))?;
        spec.infer_input_shape();
        spec.validate()?;
        Ok(spec)
    }

    /// An omitted `input_shape` is `[window, n_columns]` of the `[series]` table; for a table it
    /// stays empty until the encoded columns are known.
    fn infer_input_shape(&mut self) {
        if let (true, Some(series)) = (self.input_shape.is_empty(), &self.series) {
            self.input_shape = series.input_shape().to_vec();
        }
    }

    /// The spec as JSON (stored inside model files).
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("a spec always serializes")
    }

    /// Checks what serde cannot: non-empty layers and shapes, a valid optimizer, a loss that fits
    /// the output layer.
    pub fn validate(&self) -> Result<(), Error> {
        self.validate_columns().map_err(|(_, e)| Error::Spec(e))?;
        if self.input_shape.is_empty() {
            // Omitted: a table's encoded column count, known only once the table is read. The
            // rest of the spec is checked on one input, which is all a tabular network changes.
            let probe = ModelSpec { input_shape: vec![1], ..self.clone() };
            return probe.validate().map_err(|e| {
                Error::Spec(format!(
                    "{e} (input_shape is omitted: it is inferred as [inputs] for a table; give it for a network that needs more axes)"
                ))
            });
        }
        if self.input_shape.contains(&0) {
            return Err(Error::Spec(format!(
                "input_shape must be non-empty with no zero axis, got {:?}",
                self.input_shape
            )));
        }
        if self.layers.is_empty() {
            return Err(Error::Spec("layers: at least one layer is needed".into()));
        }
        if self.batch_size == 0 {
            return Err(Error::Spec("batch_size must be ≥ 1, got 0".into()));
        }
        if self.micro_batches == Some(0) {
            return Err(Error::Spec("micro_batches must be ≥ 1, got 0".into()));
        }
        self.optimizer.validate().map_err(|e| Error::Spec(format!("optimizer: {e}")))?;
        self.check_stopping()?;
        // Shapes and sizes are checked by building the layers once.
        let model = self.build_model().map_err(|e| Error::Spec(e.to_string()))?;
        let last = self.layers.last().expect("checked non-empty");
        let activation = match last {
            LayerConfig::Dense(dense) => Some(dense.activation),
            _ => None,
        };
        let units = model.output_size();
        if let Some(series) = &self.series {
            check_series(series, &self.input_shape, self.loss, units)?;
        }
        match (self.loss, units, activation) {
            (Loss::MeanSquaredError, _, _)
            | (Loss::BinaryCrossEntropy, 1, Some(Activation::Sigmoid))
            | (Loss::CategoricalCrossEntropy, 2.., Some(Activation::Softmax)) => Ok(()),
            (loss, units, activation) => Err(Error::Spec(format!(
                "loss {} does not fit the last layer ({units} outputs, {}): use binary_crossentropy with a Dense(1, \
                 sigmoid), categorical_crossentropy with a Dense(≥ 2, softmax), or mse",
                loss.as_str(),
                activation.map_or("not a Dense layer", |a| a.as_str())
            ))),
        }
    }

    /// The training-control keys: ranges, `n_iter_no_change` only with `tol`, and monitors that
    /// name a quantity the fit records (`loss`, `data_loss` or one of `metrics`; whether
    /// `val_…` has validation data is checked where the data is known).
    fn check_stopping(&self) -> Result<(), Error> {
        let spec = |e: Error| Error::Spec(e.to_string());
        if self.tol.is_none() && self.n_iter_no_change.is_some() {
            return Err(Error::Spec("n_iter_no_change needs tol (the convergence test is off without it)".into()));
        }
        let names: Vec<String> = self.metrics.iter().map(|m| m.as_str().to_string()).collect();
        self.fit_config().monitors(&names, true).map_err(spec)?;
        Ok(())
    }

    /// The column keys as [`ColumnOptions`] for reading a table.
    pub fn column_options(&self) -> ColumnOptions {
        ColumnOptions {
            features: self.features.clone(),
            ignore: self.ignore.clone(),
            categorical: self.categorical.clone(),
            handle_unknown: self.handle_unknown,
            max_categories: self.max_categories,
        }
    }

    /// The column and target keys' own checks, with the key at fault.
    fn validate_columns(&self) -> Result<(), (&'static str, String)> {
        if let shrink_data::DataError::Columns { key, message } =
            self.column_options().validate().err().unwrap_or(shrink_data::DataError::Shape(String::new()))
        {
            return Err((key, format!("{key}: {message}")));
        }
        if self.series.is_some() {
            // A series spec names its columns in `[series]`; the table keys would be ignored.
            let table_key = [
                ("features", self.features.is_some()),
                ("ignore", !self.ignore.is_empty()),
                ("categorical", !self.categorical.is_empty()),
            ]
            .into_iter()
            .find(|(_, set)| *set);
            if let Some((key, _)) = table_key {
                return Err((
                    key,
                    format!(
                        "{key}: a [series] spec takes its columns from series.column(s); other columns are ignored"
                    ),
                ));
            }
        }
        if self.target_scaling != Scaling::None && self.loss != Loss::MeanSquaredError {
            return Err((
                "target_scaling",
                format!(
                    "target_scaling: scales a regression (mse) target; loss {} is classification, whose classes are not scaled",
                    self.loss.as_str()
                ),
            ));
        }
        Ok(())
    }

    /// Builds the network with weights drawn from `self.seed`.
    pub fn build_model(&self) -> Result<Model<f32>, Error> {
        let mut model = self.model_config().build(self.seed)?;
        for (i, rule) in self.penalties.iter().enumerate() {
            model
                .set_penalty(&rule.on, Some(rule.penalty.clone()))
                .map_err(|e| Error::Spec(format!("penalties[{}]: {e}", i + 1)))?;
        }
        Ok(model)
    }

    /// The network part of the spec: input shape and layers.
    pub fn model_config(&self) -> ModelConfig {
        ModelConfig { input_shape: self.input_shape.clone(), layers: self.layers.clone() }
    }

    /// Replaces the network part with `config` (a built model's [`Model::describe`]), keeping
    /// the training settings. The `penalties` rules are dropped: the description already holds
    /// the penalties in force on every parameter.
    pub fn with_model_config(mut self, config: ModelConfig) -> Self {
        self.input_shape = config.input_shape;
        self.layers = config.layers;
        self.penalties.clear();
        self
    }

    /// A trainer with this spec's loss, optimizer and metrics.
    pub fn trainer(&self) -> Result<Trainer<f32>, Error> {
        Trainer::new(self.loss, &self.optimizer, &self.metrics)
    }

    /// The fit settings of this spec.
    pub fn fit_config(&self) -> FitConfig {
        FitConfig {
            epochs: self.epochs,
            batch_size: self.batch_size,
            seed: self.seed,
            early_stopping: self.early_stopping.clone(),
            lr_schedule: self.lr_schedule.clone(),
            // Invalid values are refused by `validate`; an unvalidated spec's `tol` is checked
            // again by `Trainer::fit`.
            convergence: self.tol.map(|tol| Convergence {
                tol,
                n_iter_no_change: self.n_iter_no_change.unwrap_or(DEFAULT_N_ITER_NO_CHANGE),
            }),
            micro_batches: self.micro_batches.unwrap_or(1),
            ..FitConfig::default()
        }
    }
}

/// A series spec trains one regression output on windows of `[window, n_columns]` values.
fn check_series(series: &SeriesSpec, input_shape: &[usize], loss: Loss, units: usize) -> Result<(), Error> {
    let [w, c] = series.input_shape();
    if input_shape.iter().product::<usize>() != w * c {
        return Err(Error::Spec(format!(
            "input_shape {input_shape:?} does not hold a series window of [window, columns] = [{w}, {c}] (omit \
             input_shape to use that)"
        )));
    }
    if loss != Loss::MeanSquaredError {
        return Err(Error::Spec(format!("loss {} does not fit a [series] spec: use mse", loss.as_str())));
    }
    if units != 1 {
        return Err(Error::Spec(format!(
            "a [series] spec forecasts one value: the last layer needs 1 unit, got {units}"
        )));
    }
    Ok(())
}

mod locate;
use locate::{describe_json, describe_toml};

#[cfg(test)]
mod tests;
