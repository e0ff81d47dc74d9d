use super::conv2d::{conv_options, validate_conv, yes, ConvCore};
use super::{Activation, Conv2DConfig, Initializer, Padding};
use crate::{Error, Float, Penalty};
use serde::{Deserialize, Serialize};

/// A 1-D convolution over channels-last `[steps, channels]` samples (Keras `Conv1D`), kernel
/// `[kernel_size, in, filters]`, bias `[filters]`. Runs as a [`Conv2D`](super::Conv2D) of height 1.
#[derive(Debug, Clone)]
pub struct Conv1D<F>(pub(crate) ConvCore<F>);

impl<F: Float> Conv1D<F> {
    /// `filters` output channels from a window of `kernel_size` steps; stride 1, valid padding,
    /// linear activation, glorot_uniform kernel, zero bias.
    pub fn new(filters: usize, kernel_size: usize) -> Self {
        Conv1DConfig::new(filters, kernel_size).into_layer()
    }
}

conv_options!(Conv1D, usize, |s| (1, s));
super::delegate_layer!(Conv1D);

fn one() -> usize {
    1
}

/// Every option of a [`Conv1D`] layer, as specs and model files write it (`type = "conv1d"`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Conv1DConfig {
    /// Output channels, ≥ 1.
    pub filters: usize,
    /// Window length.
    pub kernel_size: usize,
    /// Default 1.
    #[serde(default = "one")]
    pub strides: usize,
    /// `valid` (default) or `same`.
    #[serde(default)]
    pub padding: Padding,
    /// Default linear.
    #[serde(default)]
    pub activation: Activation,
    /// Default true.
    #[serde(default = "yes")]
    pub use_bias: bool,
    /// Default glorot_uniform with Keras' convolution fans.
    #[serde(default)]
    pub kernel_initializer: Initializer,
    /// Penalty on the kernel `[k, in, filters]`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kernel_penalty: Option<Penalty>,
    /// Penalty on the bias.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bias_penalty: Option<Penalty>,
}

impl Conv1DConfig {
    /// `filters` channels from a window of `kernel_size` steps; stride 1, valid, linear, bias.
    pub fn new(filters: usize, kernel_size: usize) -> Self {
        Conv1DConfig {
            filters,
            kernel_size,
            strides: 1,
            padding: Padding::Valid,
            activation: Activation::Linear,
            use_bias: true,
            kernel_initializer: Initializer::GlorotUniform,
            kernel_penalty: None,
            bias_penalty: None,
        }
    }

    /// Checks filters, kernel size and strides (≥ 1); the rest is checked against the input.
    pub fn validate(&self) -> Result<(), Error> {
        validate_conv(self.filters, (1, self.kernel_size), (1, self.strides))
    }

    /// The unbuilt layer.
    pub fn into_layer<F: Float>(self) -> Conv1D<F> {
        Conv1D(ConvCore::from_config(
            1,
            Conv2DConfig {
                filters: self.filters,
                kernel_size: [1, self.kernel_size],
                strides: [1, self.strides],
                padding: self.padding,
                activation: self.activation,
                use_bias: self.use_bias,
                kernel_initializer: self.kernel_initializer,
                kernel_penalty: self.kernel_penalty,
                bias_penalty: self.bias_penalty,
            },
        ))
    }
}
