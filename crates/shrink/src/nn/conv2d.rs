use super::dense::dense_backward;
use super::geometry::{layer_error, spatial_input, window, Padding, Window};
use super::im2col::{bias_activation, col2im, im2col};
use super::{ensure_len, Activation, Conv1DConfig, Initializer, Layer, LayerConfig, Param, Role};
use crate::kernels::{matmul, Mat, Parallelism};
use crate::rng::Rng;
use crate::{Error, Float, Penalty};
use serde::{Deserialize, Serialize};

/// The convolution shared by [`Conv1D`](super::Conv1D) (height 1) and [`Conv2D`].
///
/// Forward: im2col into a layer-owned `patches` buffer `[batch·out_h·out_w, kh·kw·in]`, then one
/// product with the kernel viewed as `[kh·kw·in, filters]` (Keras' `[kh, kw, in, filters]` order
/// flattened), so the output is channels-last `[batch, out_h, out_w, filters]`. Backward:
/// `dW = patchesᵀ·dZ`, `dPatches = dZ·Wᵀ`, then col2im scatter-adds into `dX`.
#[derive(Debug, Clone)]
pub(crate) struct ConvCore<F> {
    name: String,
    rank: usize,
    /// The options, a 1-D convolution's as height 1 (kernel `[1, k]`, strides `[1, s]`);
    /// penalties move onto the parameters at build.
    pub(super) config: Conv2DConfig,
    window: Window,
    params: Vec<Param<F>>,
    patches: Vec<F>,
    dpatches: Vec<F>,
    output: Vec<F>,
    dz: Vec<F>,
    dx: Vec<F>,
}

impl<F: Float> ConvCore<F> {
    /// The core of a convolution of `rank` 1 (height 1) or 2.
    pub(super) fn from_config(rank: usize, config: Conv2DConfig) -> Self {
        ConvCore {
            name: String::new(),
            rank,
            config,
            window: Window::default(),
            params: Vec::new(),
            patches: Vec::new(),
            dpatches: Vec::new(),
            output: Vec::new(),
            dz: Vec::new(),
            dx: Vec::new(),
        }
    }

    fn kernel_pair(&self) -> (usize, usize) {
        (self.config.kernel_size[0], self.config.kernel_size[1])
    }

    fn stride_pair(&self) -> (usize, usize) {
        (self.config.strides[0], self.config.strides[1])
    }

    fn kind_name(&self) -> &'static str {
        if self.rank == 1 {
            "Conv1D"
        } else {
            "Conv2D"
        }
    }

    /// Rows of the patch matrix per sample, and its width.
    fn patch_dims(&self) -> (usize, usize) {
        let w = &self.window;
        (w.positions(), w.rows.window * w.cols.window * w.channels)
    }

    /// A 1×1 kernel with unit strides reads the input itself as its patch matrix.
    fn direct(&self) -> bool {
        let w = &self.window;
        w.rows.window == 1 && w.cols.window == 1 && w.rows.stride == 1 && w.cols.stride == 1
    }
}

/// Builder options and accessors shared by the public convolution types.
macro_rules! conv_options {
    ($ty:ident, $size:ty, $to_pair:expr) => {
        impl<F: Float> $ty<F> {
            /// Sets the strides (default 1).
            pub fn strides(mut self, strides: $size) -> Self {
                let (rows, cols) = $to_pair(strides);
                self.0.config.strides = [rows, cols];
                self
            }

            /// Sets the padding (default [`Padding::Valid`](super::Padding::Valid)).
            pub fn padding(mut self, padding: super::Padding) -> Self {
                self.0.config.padding = padding;
                self
            }

            /// Sets the activation (default linear).
            pub fn activation(mut self, activation: super::Activation) -> Self {
                self.0.config.activation = activation;
                self
            }

            /// Sets the kernel initializer (default glorot_uniform with Keras' convolution fans,
            /// `fan_in = window·in`, `fan_out = window·filters`).
            pub fn kernel_initializer(mut self, init: super::Initializer) -> Self {
                self.0.config.kernel_initializer = init;
                self
            }

            /// Drops the bias (default: a bias is used).
            pub fn use_bias(mut self, use_bias: bool) -> Self {
                self.0.config.use_bias = use_bias;
                self
            }

            /// Penalizes the kernel.
            pub fn kernel_penalty(mut self, penalty: crate::Penalty) -> Self {
                self.0.config.kernel_penalty = Some(penalty);
                self
            }

            /// Penalizes the bias (off by default, as in Keras).
            pub fn bias_penalty(mut self, penalty: crate::Penalty) -> Self {
                self.0.config.bias_penalty = Some(penalty);
                self
            }

            /// Number of filters (output channels).
            pub fn filters(&self) -> usize {
                self.0.config.filters
            }

            /// The activation in use.
            pub fn activation_kind(&self) -> super::Activation {
                self.0.config.activation
            }
        }
    };
}
pub(crate) use conv_options;

/// Checks what does not depend on the input: filters, kernel size and strides ≥ 1.
pub(super) fn validate_conv(filters: usize, kernel: (usize, usize), strides: (usize, usize)) -> Result<(), Error> {
    if filters == 0 {
        return Err(Error::invalid("filters", "≥ 1", 0));
    }
    if kernel.0 == 0 || kernel.1 == 0 {
        return Err(Error::invalid("kernel_size", "≥ 1 on every axis", format!("{kernel:?}")));
    }
    if strides.0 == 0 || strides.1 == 0 {
        return Err(Error::invalid("strides", "≥ 1 on every axis", format!("{strides:?}")));
    }
    Ok(())
}

fn ones2() -> [usize; 2] {
    [1, 1]
}

pub(super) fn yes() -> bool {
    true
}

/// Every option of a [`Conv2D`] layer, as specs and model files write it (`type = "conv2d"`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Conv2DConfig {
    /// Output channels, ≥ 1.
    pub filters: usize,
    /// `[kh, kw]`.
    pub kernel_size: [usize; 2],
    /// Default `[1, 1]`.
    #[serde(default = "ones2")]
    pub strides: [usize; 2],
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
    /// Penalty on the kernel `[kh, kw, in, filters]`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kernel_penalty: Option<Penalty>,
    /// Penalty on the bias.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bias_penalty: Option<Penalty>,
}

impl Conv2DConfig {
    /// `filters` channels from a `[kh, kw]` kernel; strides 1, valid padding, linear, bias.
    pub fn new(filters: usize, kernel_size: [usize; 2]) -> Self {
        Conv2DConfig {
            filters,
            kernel_size,
            strides: [1, 1],
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
        let [kh, kw] = self.kernel_size;
        validate_conv(self.filters, (kh, kw), (self.strides[0], self.strides[1]))
    }

    /// The unbuilt layer.
    pub fn into_layer<F: Float>(self) -> Conv2D<F> {
        Conv2D(ConvCore::from_config(2, self))
    }
}

/// A 2-D convolution over channels-last `[height, width, channels]` samples (Keras `Conv2D`),
/// kernel `[kh, kw, in, filters]`, bias `[filters]`.
#[derive(Debug, Clone)]
pub struct Conv2D<F>(pub(crate) ConvCore<F>);

impl<F: Float> Conv2D<F> {
    /// `filters` output channels from a `(kh, kw)` kernel; strides 1, valid padding, linear
    /// activation, glorot_uniform kernel, zero bias.
    pub fn new(filters: usize, kernel_size: (usize, usize)) -> Self {
        Conv2DConfig::new(filters, [kernel_size.0, kernel_size.1]).into_layer()
    }
}

conv_options!(Conv2D, (usize, usize), |s| s);
super::delegate_layer!(Conv2D);

impl<F: Float> Layer<F> for ConvCore<F> {
    super::name_field!("conv1d", "conv2d");

    fn build(&mut self, input_shape: &[usize], rng: &mut Rng) -> Result<Vec<usize>, Error> {
        let kind = self.kind_name();
        let dims = spatial_input(&self.name, kind, self.rank, input_shape)?;
        if self.config.filters == 0 {
            return Err(layer_error(&self.name, format!("{kind} needs at least 1 filter, got 0")));
        }
        let (size, strides) = if self.rank == 1 {
            ((1, self.kernel_pair().1), (1, self.stride_pair().1))
        } else {
            (self.kernel_pair(), self.stride_pair())
        };
        let window = window(&self.name, kind, "kernel", self.rank, dims, size, strides, self.config.padding)?;
        let (cin, n) = (dims[2], self.config.filters);
        let shape = if self.rank == 1 { vec![size.1, cin, n] } else { vec![size.0, size.1, cin, n] };
        // Checked before the window's products are used: it bounds kh·kw·in·filters.
        let mut kernel = Param::try_zeros(Role::Kernel, shape).map_err(|e| layer_error(&self.name, e))?;
        self.window = window;
        let (_, k) = self.patch_dims();
        let area = size.0 * size.1;
        debug_assert_eq!(kernel.value.len(), k * n);
        self.config.kernel_initializer.fill(&mut kernel.value, area * cin, area * n, rng);
        kernel.penalty = self.config.kernel_penalty.clone();
        self.params = vec![kernel];
        if self.config.use_bias {
            let mut bias = Param::zeros(Role::Bias, vec![n]);
            bias.penalty = self.config.bias_penalty.clone();
            self.params.push(bias);
        }
        let (oh, ow) = (window.rows.output, window.cols.output);
        Ok(if self.rank == 1 { vec![ow, n] } else { vec![oh, ow, n] })
    }

    fn params(&self) -> &[Param<F>] {
        &self.params
    }

    fn params_mut(&mut self) -> &mut [Param<F>] {
        &mut self.params
    }

    fn forward(&mut self, input: &[F], batch: usize, _training: bool, par: Parallelism) {
        let (pos, k) = self.patch_dims();
        let (m, n) = (batch * pos, self.config.filters);
        let patches = if self.direct() {
            &input[..m * k]
        } else {
            ensure_len(&mut self.patches, m * k);
            im2col(input, &mut self.patches[..m * k], batch, self.window);
            &self.patches[..m * k]
        };
        ensure_len(&mut self.output, m * n);
        let bias = self.params.get(1).map(|b| b.value.as_slice());
        let out = &mut self.output[..m * n];
        // Product first (beta 0: C is written, never read), then bias and activation in one
        // pass over each row while it is in L1; the output is the largest buffer of a CNN.
        matmul(Mat::new(patches, m, k), Mat::new(&self.params[0].value, k, n), F::zero(), out, par);
        bias_activation(out, bias, n, self.config.activation);
    }

    fn output(&self) -> &[F] {
        &self.output
    }

    fn backward(&mut self, input: &[F], grad_output: &[F], batch: usize, need_input_grad: bool, par: Parallelism) {
        let (pos, k) = self.patch_dims();
        let (m, n) = (batch * pos, self.config.filters);
        let direct = self.direct();
        let in_len = batch * self.window.input_len();
        ensure_len(&mut self.dz, m * n);
        if need_input_grad {
            ensure_len(&mut self.dx, in_len);
            if !direct {
                ensure_len(&mut self.dpatches, m * k);
            }
        }
        let patches = if direct { &input[..m * k] } else { &self.patches[..m * k] };
        let dpatches = match (need_input_grad, direct) {
            (false, _) => None,
            (true, true) => Some(&mut self.dx[..m * k]),
            (true, false) => Some(&mut self.dpatches[..m * k]),
        };
        let (kernel, rest) = self.params.split_first_mut().expect("built convolution has a kernel");
        dense_backward(
            patches,
            &grad_output[..m * n],
            &self.output[..m * n],
            &mut self.dz[..m * n],
            &kernel.value,
            &mut kernel.grad,
            rest.first_mut().map(|b| b.grad.as_mut_slice()),
            dpatches,
            m,
            k,
            n,
            self.config.activation,
            par,
        );
        if need_input_grad && !direct {
            col2im(&self.dpatches[..m * k], &mut self.dx[..in_len], batch, self.window);
        }
    }

    fn input_grad(&self) -> &[F] {
        &self.dx
    }

    fn forward_macs(&self) -> usize {
        let (pos, k) = self.patch_dims();
        pos * k * self.config.filters
    }

    fn planned_parameters(&self, input_shape: &[usize]) -> usize {
        let channels = input_shape.last().copied().unwrap_or(0);
        let (kh, kw) = self.kernel_pair();
        let bias = if self.config.use_bias { self.config.filters } else { 0 };
        super::saturating_elements([&[kh, kw, channels, self.config.filters], &[bias]])
    }

    fn config(&self) -> LayerConfig {
        let mut config = self.config.clone();
        // What the tensors carry wins: `set_penalty` changes it after build.
        if let Some(kernel) = self.params.first() {
            config.kernel_penalty = kernel.penalty.clone();
        }
        if let Some(bias) = self.params.get(1) {
            config.bias_penalty = bias.penalty.clone();
        }
        if self.rank == 1 {
            Conv1DConfig {
                filters: config.filters,
                kernel_size: config.kernel_size[1],
                strides: config.strides[1],
                padding: config.padding,
                activation: config.activation,
                use_bias: config.use_bias,
                kernel_initializer: config.kernel_initializer,
                kernel_penalty: config.kernel_penalty,
                bias_penalty: config.bias_penalty,
            }
            .into()
        } else {
            config.into()
        }
    }
}

#[cfg(test)]
#[path = "conv2d_tests.rs"]
mod tests;
