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
//! Unknown keys and impossible values are errors that name the key and the line.

use crate::loss::Loss;
use crate::metrics::Metric;
use crate::nn::{
    Activation, AveragePooling2D, Conv1D, Conv2D, Dense, Dropout, Flatten, GlobalAveragePooling1D,
    GlobalAveragePooling2D, Initializer, Lstm, MaxPooling1D, MaxPooling2D, Model, Padding,
};
use crate::optim::OptimizerConfig;
use crate::train::{FitConfig, Trainer};
use crate::{Constraint, Error, Penalty};
use serde::{Deserialize, Serialize};
use shrink_data::Scaling;

/// One layer of a spec. Names follow Keras (`conv2d`, `max_pooling2d`, `lstm`, …); sizes are
/// written `[h, w]` for 2-D layers and as one number for 1-D ones.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum LayerSpec {
    /// A fully connected layer.
    Dense {
        /// Outputs, ≥ 1.
        units: usize,
        /// Default linear.
        #[serde(default)]
        activation: Activation,
        /// Default true.
        #[serde(default = "yes")]
        use_bias: bool,
        /// Default glorot_uniform.
        #[serde(default)]
        kernel_initializer: Initializer,
        /// Penalty on the kernel; none by default.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        kernel_penalty: Option<Penalty>,
        /// Penalty on the bias; none by default.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        bias_penalty: Option<Penalty>,
        /// Penalty on the layer's outputs (Keras `activity_regularizer`, `{ l1 = …, l2 = … }`,
        /// divided by the batch size); none by default.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        activity_penalty: Option<Penalty>,
        /// Constraint on the kernel (`{ name = "max_norm", max_value = 2 }`, `unit_norm`,
        /// `non_neg`); none by default.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        kernel_constraint: Option<Constraint>,
        /// Constraint on the bias; none by default.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        bias_constraint: Option<Constraint>,
    },
    /// A 2-D convolution over `[height, width, channels]`.
    Conv2d {
        /// Output channels, ≥ 1.
        filters: usize,
        /// `[kh, kw]`.
        kernel_size: [usize; 2],
        /// Default `[1, 1]`.
        #[serde(default = "ones2")]
        strides: [usize; 2],
        /// `valid` (default) or `same`.
        #[serde(default)]
        padding: Padding,
        /// Default linear.
        #[serde(default)]
        activation: Activation,
        /// Default true.
        #[serde(default = "yes")]
        use_bias: bool,
        /// Penalty on the kernel `[kh, kw, in, filters]`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        kernel_penalty: Option<Penalty>,
        /// Penalty on the bias.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        bias_penalty: Option<Penalty>,
    },
    /// A 1-D convolution over `[steps, channels]`.
    Conv1d {
        /// Output channels, ≥ 1.
        filters: usize,
        /// Window length.
        kernel_size: usize,
        /// Default 1.
        #[serde(default = "one")]
        strides: usize,
        /// `valid` (default) or `same`.
        #[serde(default)]
        padding: Padding,
        /// Default linear.
        #[serde(default)]
        activation: Activation,
        /// Default true.
        #[serde(default = "yes")]
        use_bias: bool,
        /// Penalty on the kernel `[k, in, filters]`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        kernel_penalty: Option<Penalty>,
        /// Penalty on the bias.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        bias_penalty: Option<Penalty>,
    },
    /// Max over `[ph, pw]` windows.
    MaxPooling2d {
        /// Window.
        pool_size: [usize; 2],
        /// Default: the pool size.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        strides: Option<[usize; 2]>,
        /// Default valid.
        #[serde(default)]
        padding: Padding,
    },
    /// Max over windows of steps.
    MaxPooling1d {
        /// Window.
        pool_size: usize,
        /// Default: the pool size.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        strides: Option<usize>,
        /// Default valid.
        #[serde(default)]
        padding: Padding,
    },
    /// Mean over `[ph, pw]` windows.
    AveragePooling2d {
        /// Window.
        pool_size: [usize; 2],
        /// Default: the pool size.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        strides: Option<[usize; 2]>,
        /// Default valid.
        #[serde(default)]
        padding: Padding,
    },
    /// Mean over each channel of an image.
    GlobalAveragePooling2d,
    /// Mean over each channel of a sequence.
    GlobalAveragePooling1d,
    /// Flattens a sample to one axis (before Dense).
    Flatten,
    /// Inverted dropout during training.
    Dropout {
        /// Fraction dropped, in [0, 1).
        rate: f64,
    },
    /// A long short-term memory layer over `[timesteps, features]`.
    Lstm {
        /// Hidden units, ≥ 1.
        units: usize,
        /// Output every step (`[timesteps, units]`) instead of the last. Default false.
        #[serde(default)]
        return_sequences: bool,
        /// Penalty on the input kernel `[features, 4·units]`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        kernel_penalty: Option<Penalty>,
        /// Penalty on the recurrent kernel `[units, 4·units]`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        recurrent_penalty: Option<Penalty>,
        /// Penalty on the bias `[4·units]`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        bias_penalty: Option<Penalty>,
    },
}

fn ones2() -> [usize; 2] {
    [1, 1]
}
fn one() -> usize {
    1
}
fn yes() -> bool {
    true
}
fn default_epochs() -> usize {
    100
}
fn default_batch() -> usize {
    32
}

/// A whole training setup.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelSpec {
    /// Per-sample input shape, e.g. `[2]`.
    pub input_shape: Vec<usize>,
    /// Input scaling fitted on the training rows. Default none.
    #[serde(default)]
    pub scaling: Scaling,
    /// The layers, in order.
    pub layers: Vec<LayerSpec>,
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
}

impl ModelSpec {
    /// Parses TOML; errors carry the line and the key.
    pub fn from_toml(text: &str) -> Result<Self, Error> {
        let spec: ModelSpec = toml::from_str(text).map_err(|e| Error::Spec(describe_toml(text, &e)))?;
        spec.validate()?;
        Ok(spec)
    }

    /// Parses JSON; errors carry the line and column.
    pub fn from_json(text: &str) -> Result<Self, Error> {
        let spec: ModelSpec = serde_json::from_str(text).map_err(|e| Error::Spec(describe_json(text, &e)))?;
        spec.validate()?;
        Ok(spec)
    }

    /// The spec as JSON (stored inside model files).
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("a spec always serializes")
    }

    /// Checks what serde cannot: non-empty layers and shapes, a valid optimizer, a loss that fits
    /// the output layer.
    pub fn validate(&self) -> Result<(), Error> {
        if self.input_shape.is_empty() || self.input_shape.contains(&0) {
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
        self.optimizer.validate().map_err(|e| Error::Spec(format!("optimizer: {e}")))?;
        // Shapes and sizes are checked by building the layers once.
        let model = self.build_model().map_err(|e| Error::Spec(e.to_string()))?;
        let last = self.layers.last().expect("checked non-empty");
        let activation = match last {
            LayerSpec::Dense { activation, .. } => Some(*activation),
            _ => None,
        };
        let units = model.output_size();
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

    /// Builds the network with weights drawn from `self.seed`.
    pub fn build_model(&self) -> Result<Model<f32>, Error> {
        let mut builder = Model::builder(&self.input_shape);
        for layer in &self.layers {
            builder = match layer {
                LayerSpec::Dense {
                    units,
                    activation,
                    use_bias,
                    kernel_initializer,
                    kernel_penalty,
                    bias_penalty,
                    activity_penalty,
                    kernel_constraint,
                    bias_constraint,
                } => {
                    let mut l = Dense::new(*units)
                        .activation(*activation)
                        .use_bias(*use_bias)
                        .kernel_initializer(*kernel_initializer);
                    if let Some(c) = kernel_constraint {
                        l = l.kernel_constraint(*c);
                    }
                    if let Some(c) = bias_constraint {
                        l = l.bias_constraint(*c);
                    }
                    if let Some(p) = activity_penalty {
                        l = l.activity_penalty(*p);
                    }
                    builder.layer(with_penalties(l, *kernel_penalty, *bias_penalty))
                }
                LayerSpec::Conv2d {
                    filters,
                    kernel_size,
                    strides,
                    padding,
                    activation,
                    use_bias,
                    kernel_penalty,
                    bias_penalty,
                } => {
                    let l = Conv2D::new(*filters, (kernel_size[0], kernel_size[1]))
                        .strides((strides[0], strides[1]))
                        .padding(*padding)
                        .activation(*activation)
                        .use_bias(*use_bias);
                    builder.layer(with_penalties(l, *kernel_penalty, *bias_penalty))
                }
                LayerSpec::Conv1d {
                    filters,
                    kernel_size,
                    strides,
                    padding,
                    activation,
                    use_bias,
                    kernel_penalty,
                    bias_penalty,
                } => {
                    let l = Conv1D::new(*filters, *kernel_size)
                        .strides(*strides)
                        .padding(*padding)
                        .activation(*activation)
                        .use_bias(*use_bias);
                    builder.layer(with_penalties(l, *kernel_penalty, *bias_penalty))
                }
                LayerSpec::MaxPooling2d { pool_size, strides, padding } => {
                    let s = strides.unwrap_or(*pool_size);
                    builder
                        .layer(MaxPooling2D::new((pool_size[0], pool_size[1])).strides((s[0], s[1])).padding(*padding))
                }
                LayerSpec::MaxPooling1d { pool_size, strides, padding } => builder
                    .layer(MaxPooling1D::new(*pool_size).strides(strides.unwrap_or(*pool_size)).padding(*padding)),
                LayerSpec::AveragePooling2d { pool_size, strides, padding } => {
                    let s = strides.unwrap_or(*pool_size);
                    builder.layer(
                        AveragePooling2D::new((pool_size[0], pool_size[1])).strides((s[0], s[1])).padding(*padding),
                    )
                }
                LayerSpec::GlobalAveragePooling2d => builder.layer(GlobalAveragePooling2D::new()),
                LayerSpec::GlobalAveragePooling1d => builder.layer(GlobalAveragePooling1D::new()),
                LayerSpec::Flatten => builder.layer(Flatten::new()),
                LayerSpec::Dropout { rate } => builder.layer(Dropout::new(*rate)),
                LayerSpec::Lstm { units, return_sequences, kernel_penalty, recurrent_penalty, bias_penalty } => {
                    let mut l = Lstm::new(*units).return_sequences(*return_sequences);
                    if let Some(p) = kernel_penalty {
                        l = l.kernel_penalty(*p);
                    }
                    if let Some(p) = recurrent_penalty {
                        l = l.recurrent_penalty(*p);
                    }
                    if let Some(p) = bias_penalty {
                        l = l.bias_penalty(*p);
                    }
                    builder.layer(l)
                }
            };
        }
        builder.build(self.seed)
    }

    /// A trainer with this spec's loss, optimizer and metrics.
    pub fn trainer(&self) -> Result<Trainer<f32>, Error> {
        Trainer::new(self.loss, &self.optimizer, &self.metrics)
    }

    /// The fit settings of this spec.
    pub fn fit_config(&self) -> FitConfig {
        FitConfig { epochs: self.epochs, batch_size: self.batch_size, seed: self.seed, ..FitConfig::default() }
    }
}

/// Layers with a kernel and a bias that each take an optional penalty.
trait KernelAndBias: Sized {
    fn kernel_penalty(self, p: Penalty) -> Self;
    fn bias_penalty(self, p: Penalty) -> Self;
}

macro_rules! kernel_and_bias {
    ($($t:ident),*) => {$(
        impl KernelAndBias for $t<f32> {
            fn kernel_penalty(self, p: Penalty) -> Self {
                $t::kernel_penalty(self, p)
            }
            fn bias_penalty(self, p: Penalty) -> Self {
                $t::bias_penalty(self, p)
            }
        }
    )*};
}
kernel_and_bias!(Dense, Conv1D, Conv2D);

fn with_penalties<L: KernelAndBias>(layer: L, kernel: Option<Penalty>, bias: Option<Penalty>) -> L {
    let layer = match kernel {
        Some(p) => layer.kernel_penalty(p),
        None => layer,
    };
    match bias {
        Some(p) => layer.bias_penalty(p),
        None => layer,
    }
}

/// serde_json reports errors inside a tagged layer at the end of the layer's object; point at
/// the last mention of the quoted name (the unknown key, the bad value's key) before it.
fn describe_json(text: &str, e: &serde_json::Error) -> String {
    let message = e.to_string();
    let end = text.split_inclusive('\n').take(e.line().saturating_sub(1)).map(str::len).sum::<usize>() + e.column();
    let end = end.min(text.len());
    if let Some(word) = message.split('`').nth(1).filter(|w| !w.is_empty()) {
        if let Some(at) = text[..end].rfind(&format!("\"{word}\"")) {
            let line = text[..at].matches('\n').count() + 1;
            let column = at - text[..at].rfind('\n').map_or(0, |i| i + 1) + 1;
            let plain = message.rsplit_once(" at line ").map_or(message.as_str(), |(m, _)| m);
            return format!("line {line}, column {column}: {plain}");
        }
    }
    message
}

/// `line L, column C: message` from a TOML error, whose own text spans several lines.
fn describe_toml(text: &str, e: &toml::de::Error) -> String {
    let message = e.message().trim().to_string();
    let Some(span) = e.span() else { return message };
    let start = span.start.min(text.len());
    let mut line = text[..start].matches('\n').count() + 1;
    let mut column = start - text[..start].rfind('\n').map_or(0, |i| i + 1) + 1;
    // Errors inside a tagged layer table carry the table's span only; point at the first line
    // of the table's body that mentions the name quoted in the message (the unknown key, the
    // bad variant, the penalty's `l1`/`l2`).
    if text[start..].starts_with('[') {
        if let Some(word) = message.split('`').nth(1).filter(|w| !w.is_empty()) {
            let body = text[start..].find('\n').map_or(text.len(), |i| start + i + 1);
            let end = text[body..].find("\n[").map_or(text.len(), |i| body + i + 1);
            let mut offset = body;
            for l in text[body..end].split_inclusive('\n') {
                let mentions = l
                    .split(|c: char| !(c.is_alphanumeric() || c == '_' || c == '-' || c == '.'))
                    .any(|token| token == word);
                if mentions {
                    line = text[..offset].matches('\n').count() + 1;
                    column = 1;
                    break;
                }
                offset += l.len();
            }
        }
    }
    format!("line {line}, column {column}: {message}")
}

#[cfg(test)]
mod tests {
    use super::*;

    const SPEC: &str = r#"
input_shape = [2]
scaling = "standard"
loss = "binary_crossentropy"
metrics = ["accuracy"]
epochs = 10
optimizer = { name = "adam", lr = 0.01 }

[[layers]]
type = "dense"
units = 8
activation = "relu"
kernel_penalty = { l2 = 1e-3 }

[[layers]]
type = "dense"
units = 1
activation = "sigmoid"
"#;

    #[test]
    fn parses_builds_and_round_trips() {
        let spec = ModelSpec::from_toml(SPEC).unwrap();
        assert_eq!(spec.batch_size, 32);
        assert_eq!(spec.scaling, Scaling::Standard);
        let model = spec.build_model().unwrap();
        let kernel = model.param(model.select("dense_0.kernel").unwrap()[0]);
        assert_eq!(kernel.penalty, Some(Penalty::l2(1e-3).unwrap()));
        assert!(model.param(model.select("dense_0.bias").unwrap()[0]).penalty.is_none());
        assert_eq!(ModelSpec::from_json(&spec.to_json()).unwrap(), spec);
    }

    #[test]
    fn penalty_modes_and_groups_in_spec_form() {
        let prox = SPEC.replace("l2 = 1e-3", "group = 1e-2, groups = \"rows\", mode = \"proximal\"");
        let model = ModelSpec::from_toml(&prox).unwrap().build_model().unwrap();
        let pen = model.param(model.select("dense_0.kernel").unwrap()[0]).penalty.unwrap();
        assert_eq!((pen.group_strength(), pen.mode()), (1e-2, crate::PenaltyMode::Proximal));
        let e = ModelSpec::from_toml(&SPEC.replace("l2 = 1e-3", "l1 = 1e-3, mode = \"decoupled\""))
            .unwrap_err()
            .to_string();
        assert!(e.contains("pure L2") && e.contains("line 13"), "{e}");
        let e = ModelSpec::from_toml(&SPEC.replace("l2 = 1e-3", "l1 = 1e-3, mode = \"prox\"")).unwrap_err().to_string();
        assert!(e.contains("prox") && e.contains("line 13"), "{e}");
    }

    #[test]
    fn activity_penalty_in_spec_form() {
        let with = SPEC.replace("l2 = 1e-3 }", "l2 = 1e-3 }\nactivity_penalty = { l1 = 1e-4, l2 = 1e-3 }");
        let spec = ModelSpec::from_toml(&with).unwrap();
        let model = spec.build_model().unwrap();
        assert_eq!(model.layers()[0].activity_penalty(), Some(Penalty::l1_l2(1e-4, 1e-3).unwrap()));
        assert!(model.layers()[1].activity_penalty().is_none());
        assert!(model.has_activity_penalty());
        assert_eq!(ModelSpec::from_json(&spec.to_json()).unwrap(), spec); // kept in model files
        let prox = SPEC.replace("l2 = 1e-3 }", "l2 = 1e-3 }\nactivity_penalty = { l1 = 1e-4, mode = \"proximal\" }");
        let Err(e) = ModelSpec::from_toml(&prox).and_then(|s| s.build_model()) else { panic!("accepted") };
        let e = e.to_string();
        assert!(e.contains("activity penalty"), "{e}");
    }

    #[test]
    fn constraints_in_spec_form() {
        let with = SPEC.replace("l2 = 1e-3 }", "l2 = 1e-3 }\nkernel_constraint = { name = \"non_neg\" }");
        let model = ModelSpec::from_toml(&with).unwrap().build_model().unwrap();
        let kernel = model.param(model.select("dense_0.kernel").unwrap()[0]);
        assert_eq!(kernel.constraint, Some(Constraint::NonNeg));
        let bad =
            SPEC.replace("l2 = 1e-3 }", "l2 = 1e-3 }\nkernel_constraint = { name = \"max_norm\", max_value = -1 }");
        assert!(ModelSpec::from_toml(&bad).unwrap_err().to_string().contains("max_value"));
    }

    #[test]
    fn errors_name_the_key_and_line() {
        let unknown = SPEC.replace("units = 8", "units = 8\nunit_count = 3");
        let e = ModelSpec::from_toml(&unknown).unwrap_err().to_string();
        assert!(e.contains("unit_count") && e.contains("line 12"), "{e}");
        let negative = SPEC.replace("l2 = 1e-3", "l2 = -1e-3");
        let e = ModelSpec::from_toml(&negative).unwrap_err().to_string();
        assert!(e.contains("must be finite and ≥ 0") && e.contains("line 13"), "{e}");
        let typo = SPEC.replace("\"relu\"", "\"rleu\"");
        let e = ModelSpec::from_toml(&typo).unwrap_err().to_string();
        assert!(e.contains("rleu") && e.contains("line 12"), "{e}");
        let e = ModelSpec::from_toml(&SPEC.replace("lr = 0.01", "lr = -1")).unwrap_err().to_string();
        assert!(e.contains("lr must be finite and > 0"), "{e}");
        let e = ModelSpec::from_toml(&SPEC.replace("\"sigmoid\"", "\"relu\"")).unwrap_err().to_string();
        assert!(e.contains("does not fit the last layer"), "{e}");
        assert!(ModelSpec::from_toml("input_shape = [2]\nloss = \"mse\"\nlayers = []").is_err());
        let e = ModelSpec::from_json(r#"{"input_shape":[2],"loss":"mse","layers":[{"type":"dense","units":1,"x":1}]}"#)
            .unwrap_err()
            .to_string();
        assert!(e.contains("`x`") && e.contains("line 1"), "{e}");
    }

    #[test]
    fn convolutional_and_recurrent_specs_build_with_penalties_per_role() {
        let cnn = r#"
input_shape = [8, 8, 1]
loss = "categorical_crossentropy"
[[layers]]
type = "conv2d"
filters = 4
kernel_size = [3, 3]
padding = "same"
activation = "relu"
kernel_penalty = { l2 = 1e-3 }
[[layers]]
type = "max_pooling2d"
pool_size = [2, 2]
[[layers]]
type = "flatten"
[[layers]]
type = "dropout"
rate = 0.25
[[layers]]
type = "dense"
units = 10
activation = "softmax"
"#;
        let model = ModelSpec::from_toml(cnn).unwrap().build_model().unwrap();
        let names: Vec<String> = model.params().map(|(n, _)| n).collect();
        assert_eq!(names, ["conv2d_0.kernel", "conv2d_0.bias", "dense_0.kernel", "dense_0.bias"]);
        assert_eq!(model.param(model.select("conv2d_0.kernel").unwrap()[0]).shape, [3, 3, 1, 4]);
        let lstm = r#"
input_shape = [10, 1]
loss = "mse"
[[layers]]
type = "lstm"
units = 8
recurrent_penalty = { l1 = 1e-4 }
[[layers]]
type = "dense"
units = 1
"#;
        let spec = ModelSpec::from_toml(lstm).unwrap();
        let model = spec.build_model().unwrap();
        let rk = model.param(model.select("lstm_0.recurrent_kernel").unwrap()[0]);
        assert_eq!((rk.shape.as_slice(), rk.penalty), ([8, 32].as_slice(), Some(Penalty::l1(1e-4).unwrap())));
        assert!(model.param(model.select("lstm_0.kernel").unwrap()[0]).penalty.is_none());
        assert_eq!(ModelSpec::from_json(&spec.to_json()).unwrap(), spec);
        // Shape errors surface as spec errors: a conv layer on flat inputs.
        let e = ModelSpec::from_toml(&cnn.replace("[8, 8, 1]", "[64]")).unwrap_err().to_string();
        assert!(e.contains("[height, width, channels]"), "{e}");
        let e = ModelSpec::from_toml(&cnn.replace("rate = 0.25", "rate = 1.5")).unwrap_err().to_string();
        assert!(e.contains("rate"), "{e}");
    }
}
