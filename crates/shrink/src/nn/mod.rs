//! Layers, their typed parameters, and the sequential model that chains them.
//!
//! Every parameter carries a [`Role`] so that a penalty can be attached to exactly the weights a
//! user means: "the hidden layer's kernel", "every bias", "the LSTM's recurrent kernel".

mod activation;
mod conv1d;
mod conv2d;
mod dense;
mod dropout;
mod flatten;
mod geometry;
mod global_pooling;
mod im2col;
mod init;
mod layer_config;
mod lstm;
mod lstm_kernels;
mod model;
mod pooling;
pub mod selector;
#[cfg(test)]
pub(crate) mod testing;

pub use activation::Activation;
pub use conv1d::{Conv1D, Conv1DConfig};
pub use conv2d::{Conv2D, Conv2DConfig};
pub use dense::{Dense, DenseConfig};
pub use dropout::{Dropout, DropoutConfig};
pub use flatten::{Flatten, FlattenConfig};
pub use geometry::Padding;
pub use global_pooling::{
    GlobalAveragePooling1D, GlobalAveragePooling1DConfig, GlobalAveragePooling2D, GlobalAveragePooling2DConfig,
};
pub use init::Initializer;
pub use layer_config::{LayerConfig, ModelConfig};
pub use lstm::{Lstm, LstmConfig};
pub use model::{Model, ModelBuilder, ParamId};
pub use pooling::{
    AveragePooling1D, AveragePooling1DConfig, AveragePooling2D, AveragePooling2DConfig, MaxPooling1D,
    MaxPooling1DConfig, MaxPooling2D, MaxPooling2DConfig,
};

/// The most elements one parameter tensor, or one sample's activations, may hold (2^28, 1 GiB
/// of f32): sizes come from specs and files, and a typo or a hostile file must be an error
/// naming the layer, not an allocation that takes the machine down.
pub const MAX_TENSOR_ELEMENTS: usize = 1 << 28;

/// The most trainable values a whole model may hold (2^30).
pub const MAX_MODEL_PARAMETERS: usize = 1 << 30;

/// `Σ_i Π_j shapes[i][j]`, saturating at `usize::MAX`.
pub(crate) fn saturating_elements<const N: usize>(shapes: [&[usize]; N]) -> usize {
    shapes
        .iter()
        .fold(0usize, |total, shape| total.saturating_add(shape.iter().fold(1usize, |n, &d| n.saturating_mul(d))))
}

/// The product of `shape`, or an error when it overflows or exceeds [`MAX_TENSOR_ELEMENTS`].
pub(crate) fn checked_elements(shape: &[usize]) -> Result<usize, String> {
    let n = shape.iter().try_fold(1usize, |n, &d| n.checked_mul(d));
    match n {
        Some(n) if n <= MAX_TENSOR_ELEMENTS => Ok(n),
        _ => Err(format!("shape {shape:?} holds more than {MAX_TENSOR_ELEMENTS} elements")),
    }
}

pub(crate) use crate::penalty::check_row_factors;

use crate::kernels::Parallelism;
use crate::rng::Rng;
use crate::{Error, Float, Penalty};
use serde::{Deserialize, Serialize};

/// What a parameter is for; penalties and reports are addressed by role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Input-to-output weights (`[in, out]` for Dense).
    Kernel,
    /// Additive offsets; unpenalized unless asked.
    Bias,
    /// Hidden-to-hidden weights of a recurrent layer.
    RecurrentKernel,
}

impl Role {
    /// The name used in selectors and files (`kernel`, `bias`, `recurrent_kernel`).
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Kernel => "kernel",
            Role::Bias => "bias",
            Role::RecurrentKernel => "recurrent_kernel",
        }
    }

    /// Parses a role name as written in selectors.
    pub fn parse(text: &str) -> Option<Role> {
        match text {
            "kernel" => Some(Role::Kernel),
            "bias" => Some(Role::Bias),
            "recurrent_kernel" => Some(Role::RecurrentKernel),
            _ => None,
        }
    }
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One trainable tensor: its values, the gradient of the last backward pass, and the penalty
/// attached to it (if any). Stored flat, row-major, with an explicit shape.
#[derive(Debug, Clone)]
pub struct Param<F> {
    /// What this parameter is for.
    pub role: Role,
    /// Its shape (`[in, out]` for a Dense kernel).
    pub shape: Vec<usize>,
    /// The values, row-major.
    pub value: Vec<F>,
    /// The gradient of the data loss (and, after a step's penalty pass, the penalty).
    pub grad: Vec<F>,
    /// The penalty attached to this parameter, with its per-row factors if any
    /// ([`Penalty::with_row_factors`], read through [`Param::row_factors`]); `None` means
    /// unpenalized. Change it with [`Param::set_penalty`], which checks it against the shape.
    pub penalty: Option<Penalty>,
    /// A constraint projected onto after every optimizer step; `None` means unconstrained.
    pub constraint: Option<crate::Constraint>,
}

impl<F: Float> Param<F> {
    /// A zero-filled parameter of the given shape.
    pub fn zeros(role: Role, shape: Vec<usize>) -> Self {
        let len = shape.iter().product();
        Param { role, shape, value: vec![F::zero(); len], grad: vec![F::zero(); len], penalty: None, constraint: None }
    }

    /// A zero-filled parameter, or (before anything is allocated) a message for the layer's
    /// error when the shape's element count overflows or exceeds [`MAX_TENSOR_ELEMENTS`].
    pub(crate) fn try_zeros(role: Role, shape: Vec<usize>) -> Result<Self, String> {
        checked_elements(&shape).map_err(|e| format!("{role} {e}"))?;
        Ok(Self::zeros(role, shape))
    }
}

/// A layer with a hand-written forward and backward pass over flat, row-major batches.
///
/// Layers own their output and gradient buffers and grow them only when a larger batch than
/// ever before arrives, so a training step allocates nothing after the first batch.
pub trait Layer<F: Float>: Send + Sync + LayerClone<F> {
    /// The kind, used to name layers (`dense` → `dense_0`, `dense_1`, …).
    fn kind(&self) -> &'static str;
    /// The layer's name within its model.
    fn name(&self) -> &str;
    /// Sets the name (done by the model builder).
    fn set_name(&mut self, name: String);
    /// Creates and initializes the parameters for a per-sample `input_shape`; returns the
    /// per-sample output shape.
    fn build(&mut self, input_shape: &[usize], rng: &mut Rng) -> Result<Vec<usize>, Error>;
    /// The parameters, in a fixed order.
    fn params(&self) -> &[Param<F>] {
        &[]
    }
    /// The parameters, mutable (optimizers and penalties).
    fn params_mut(&mut self) -> &mut [Param<F>] {
        &mut []
    }
    /// Computes the output of a batch of `batch` rows from the flat `input`.
    fn forward(&mut self, input: &[F], batch: usize, training: bool, par: Parallelism);
    /// The output of the last forward pass (`batch × output size` elements are valid).
    fn output(&self) -> &[F];
    /// Computes parameter gradients (overwriting them) from `grad_output`, and the gradient
    /// with respect to `input` when `need_input_grad` (the first layer skips it).
    fn backward(&mut self, input: &[F], grad_output: &[F], batch: usize, need_input_grad: bool, par: Parallelism);
    /// The input gradient of the last backward pass.
    fn input_grad(&self) -> &[F];
    /// Multiply-adds per sample of one forward pass (for GFLOP/s reports).
    fn forward_macs(&self) -> usize {
        0
    }
    /// The layer's description: its options, with the penalties, row factors and constraints
    /// its parameters carry now (which `set_penalty` may have changed since build). Building
    /// it again gives a layer of the same shapes and parameter settings.
    fn config(&self) -> LayerConfig;
    /// How many trainable values [`Layer::build`] would create for `input_shape` (saturating
    /// at `usize::MAX`), so a model too large to allocate is refused before it is allocated.
    fn planned_parameters(&self, _input_shape: &[usize]) -> usize {
        0
    }
    /// The penalty on this layer's outputs (Keras `activity_regularizer`), if any.
    fn activity_penalty(&self) -> Option<Penalty> {
        None
    }
    /// `(l1·Σ|a| + l2·Σa²) / batch` over the outputs of the last forward pass of `batch` rows
    /// (0 without an activity penalty).
    fn activity_penalty_value(&self, _batch: usize) -> f64 {
        0.0
    }
}

/// A boxed copy of a layer (warm starts and repeated runs from one fitted model), for every
/// layer that is `Clone`: no layer writes it by hand.
pub trait LayerClone<F: Float> {
    /// A boxed copy.
    fn clone_box(&self) -> Box<dyn Layer<F>>;
}

impl<F: Float, T: Layer<F> + Clone + 'static> LayerClone<F> for T {
    fn clone_box(&self) -> Box<dyn Layer<F>> {
        Box::new(self.clone())
    }
}

/// Grows `buf` to hold at least `len` elements; a no-op once the largest batch has been seen.
pub(crate) fn ensure_len<F: Float>(buf: &mut Vec<F>, len: usize) {
    if buf.len() < len {
        buf.resize(len, F::zero());
    }
}

/// Implements [`Layer`] for a public newtype `$ty<F>(core)` by forwarding to its core, so that
/// 1-D and 2-D variants share one implementation but keep their own types and builders.
macro_rules! delegate_layer {
    ($ty:ident) => {
        impl<F: $crate::Float> $crate::nn::Layer<F> for $ty<F> {
            fn kind(&self) -> &'static str {
                self.0.kind()
            }
            fn name(&self) -> &str {
                self.0.name()
            }
            fn set_name(&mut self, name: String) {
                self.0.set_name(name)
            }
            fn build(
                &mut self,
                input_shape: &[usize],
                rng: &mut $crate::rng::Rng,
            ) -> Result<Vec<usize>, $crate::Error> {
                self.0.build(input_shape, rng)
            }
            fn params(&self) -> &[$crate::nn::Param<F>] {
                self.0.params()
            }
            fn params_mut(&mut self) -> &mut [$crate::nn::Param<F>] {
                self.0.params_mut()
            }
            fn forward(&mut self, input: &[F], batch: usize, training: bool, par: $crate::kernels::Parallelism) {
                self.0.forward(input, batch, training, par)
            }
            fn output(&self) -> &[F] {
                self.0.output()
            }
            fn backward(
                &mut self,
                input: &[F],
                grad_output: &[F],
                batch: usize,
                need_input_grad: bool,
                par: $crate::kernels::Parallelism,
            ) {
                self.0.backward(input, grad_output, batch, need_input_grad, par)
            }
            fn input_grad(&self) -> &[F] {
                self.0.input_grad()
            }
            fn forward_macs(&self) -> usize {
                self.0.forward_macs()
            }
            fn config(&self) -> $crate::nn::LayerConfig {
                self.0.config()
            }
            fn planned_parameters(&self, input_shape: &[usize]) -> usize {
                self.0.planned_parameters(input_shape)
            }
        }
    };
}
pub(crate) use delegate_layer;

/// The [`Layer::name`] and [`Layer::set_name`] methods of a layer that keeps its name in a
/// `name: String` field (every layer does); with a literal, also [`Layer::kind`] returning it;
/// with two, [`Layer::kind`] is the first when the `rank` field is 1 and the second otherwise.
/// Used inside `impl Layer<F> for …`.
macro_rules! name_field {
    () => {
        fn name(&self) -> &str {
            &self.name
        }

        fn set_name(&mut self, name: String) {
            self.name = name;
        }
    };
    ($kind:literal) => {
        fn kind(&self) -> &'static str {
            $kind
        }

        super::name_field!();
    };
    ($rank1:literal, $rank2:literal) => {
        fn kind(&self) -> &'static str {
            if self.rank == 1 {
                $rank1
            } else {
                $rank2
            }
        }

        super::name_field!();
    };
}
pub(crate) use name_field;

/// Builder methods of a layer that each set the field of its config of the same name and
/// return the layer, keeping their doc comments: `name(arg: T);` sets `self.config.name` to
/// `arg`, `name(arg: T) => Some;` to `Some(arg)`. Used inside `impl Layer { … }`.
macro_rules! config_setters {
    ($($(#[$doc:meta])* $name:ident($arg:ident: $ty:ty) $(=> $wrap:ident)?;)*) => {
        $(
            $(#[$doc])*
            pub fn $name(mut self, $arg: $ty) -> Self {
                self.config.$name = $($wrap)?($arg);
                self
            }
        )*
    };
}
pub(crate) use config_setters;
