//! The serializable description of a layer and of a whole network: what specs parse, what
//! model files store, and what a built [`Model`] reports about itself through
//! [`Model::describe`].
//!
//! Each kind's options live in one config type next to its layer (`DenseConfig` in
//! `dense.rs`, …); [`LayerConfig`] only lists the kinds.

use super::{
    AveragePooling1DConfig, AveragePooling2DConfig, Conv1DConfig, Conv2DConfig, DenseConfig, DropoutConfig,
    FlattenConfig, GlobalAveragePooling1DConfig, GlobalAveragePooling2DConfig, Layer, LstmConfig, MaxPooling1DConfig,
    MaxPooling2DConfig, Model,
};
use crate::{Error, Float};
use serde::{Deserialize, Serialize};

/// Declares [`LayerConfig`] with one line per kind, and everything that dispatches on it.
macro_rules! layer_configs {
    ($($(#[$doc:meta])* $variant:ident($config:ident),)*) => {
        /// One layer, tagged by `type` with Keras-like names (`dense`, `conv2d`,
        /// `max_pooling2d`, `lstm`, …); the other keys are the kind's config.
        #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
        #[serde(tag = "type", rename_all = "snake_case")]
        pub enum LayerConfig {
            $($(#[$doc])* $variant($config),)*
        }

        impl LayerConfig {
            /// The unbuilt layer this config describes (shapes are checked when a model is built).
            pub fn into_layer<F: Float>(self) -> Box<dyn Layer<F>> {
                match self {
                    $(LayerConfig::$variant(c) => Box::new(c.into_layer::<F>()),)*
                }
            }
        }

        $(impl From<$config> for LayerConfig {
            fn from(config: $config) -> Self {
                LayerConfig::$variant(config)
            }
        })*
    };
}

layer_configs! {
    /// A fully connected layer.
    Dense(DenseConfig),
    /// A 2-D convolution over `[height, width, channels]`.
    Conv2d(Conv2DConfig),
    /// A 1-D convolution over `[steps, channels]`.
    Conv1d(Conv1DConfig),
    /// Max over `[ph, pw]` windows.
    MaxPooling2d(MaxPooling2DConfig),
    /// Max over windows of steps.
    MaxPooling1d(MaxPooling1DConfig),
    /// Mean over `[ph, pw]` windows.
    AveragePooling2d(AveragePooling2DConfig),
    /// Mean over windows of steps.
    AveragePooling1d(AveragePooling1DConfig),
    /// Mean over each channel of an image.
    GlobalAveragePooling2d(GlobalAveragePooling2DConfig),
    /// Mean over each channel of a sequence.
    GlobalAveragePooling1d(GlobalAveragePooling1DConfig),
    /// Flattens a sample to one axis (before Dense).
    Flatten(FlattenConfig),
    /// Inverted dropout during training.
    Dropout(DropoutConfig),
    /// A long short-term memory layer over `[timesteps, features]`.
    Lstm(LstmConfig),
}

/// A whole network: the per-sample input shape and the layers, in order. Building it with a
/// seed gives a fresh model; [`Model::describe`] gives it back from a built one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelConfig {
    /// Per-sample input shape, e.g. `[2]`.
    pub input_shape: Vec<usize>,
    /// The layers, in order.
    pub layers: Vec<LayerConfig>,
}

impl ModelConfig {
    /// Builds the network with weights drawn from `seed`.
    pub fn build<F: Float>(&self, seed: u64) -> Result<Model<F>, Error> {
        let mut builder = Model::builder(&self.input_shape);
        for layer in &self.layers {
            builder = builder.config(layer.clone());
        }
        builder.build(seed)
    }
}
