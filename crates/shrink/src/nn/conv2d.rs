use super::dense::dense_backward;
use super::geometry::{layer_error, spatial_input, window, Padding, Window};
use super::{ensure_len, Activation, Initializer, Layer, Param, Role};
use crate::kernels::{matmul, multiversion, Mat, Parallelism};
use crate::rng::Rng;
use crate::{Error, Float, Penalty};

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
    pub(super) filters: usize,
    kernel_size: (usize, usize),
    pub(super) strides: (usize, usize),
    pub(super) padding: Padding,
    pub(super) activation: Activation,
    pub(super) kernel_initializer: Initializer,
    pub(super) use_bias: bool,
    pub(super) kernel_penalty: Option<Penalty>,
    pub(super) bias_penalty: Option<Penalty>,
    window: Window,
    params: Vec<Param<F>>,
    patches: Vec<F>,
    dpatches: Vec<F>,
    output: Vec<F>,
    dz: Vec<F>,
    dx: Vec<F>,
}

impl<F: Float> ConvCore<F> {
    pub(crate) fn new(rank: usize, filters: usize, kernel_size: (usize, usize)) -> Self {
        ConvCore {
            name: String::new(),
            rank,
            filters,
            kernel_size,
            strides: (1, 1),
            padding: Padding::Valid,
            activation: Activation::Linear,
            kernel_initializer: Initializer::GlorotUniform,
            use_bias: true,
            kernel_penalty: None,
            bias_penalty: None,
            window: Window::default(),
            params: Vec::new(),
            patches: Vec::new(),
            dpatches: Vec::new(),
            output: Vec::new(),
            dz: Vec::new(),
            dx: Vec::new(),
        }
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
                self.0.strides = $to_pair(strides);
                self
            }

            /// Sets the padding (default [`Padding::Valid`](super::Padding::Valid)).
            pub fn padding(mut self, padding: super::Padding) -> Self {
                self.0.padding = padding;
                self
            }

            /// Sets the activation (default linear).
            pub fn activation(mut self, activation: super::Activation) -> Self {
                self.0.activation = activation;
                self
            }

            /// Sets the kernel initializer (default glorot_uniform with Keras' convolution fans,
            /// `fan_in = window·in`, `fan_out = window·filters`).
            pub fn kernel_initializer(mut self, init: super::Initializer) -> Self {
                self.0.kernel_initializer = init;
                self
            }

            /// Drops the bias (default: a bias is used).
            pub fn use_bias(mut self, use_bias: bool) -> Self {
                self.0.use_bias = use_bias;
                self
            }

            /// Penalizes the kernel.
            pub fn kernel_penalty(mut self, penalty: crate::Penalty) -> Self {
                self.0.kernel_penalty = Some(penalty);
                self
            }

            /// Penalizes the bias (off by default, as in Keras).
            pub fn bias_penalty(mut self, penalty: crate::Penalty) -> Self {
                self.0.bias_penalty = Some(penalty);
                self
            }

            /// Number of filters (output channels).
            pub fn filters(&self) -> usize {
                self.0.filters
            }

            /// The activation in use.
            pub fn activation_kind(&self) -> super::Activation {
                self.0.activation
            }
        }
    };
}
pub(crate) use conv_options;

/// A 2-D convolution over channels-last `[height, width, channels]` samples (Keras `Conv2D`),
/// kernel `[kh, kw, in, filters]`, bias `[filters]`.
#[derive(Debug, Clone)]
pub struct Conv2D<F>(pub(crate) ConvCore<F>);

impl<F: Float> Conv2D<F> {
    /// `filters` output channels from a `(kh, kw)` kernel; strides 1, valid padding, linear
    /// activation, glorot_uniform kernel, zero bias.
    pub fn new(filters: usize, kernel_size: (usize, usize)) -> Self {
        Conv2D(ConvCore::new(2, filters, kernel_size))
    }
}

conv_options!(Conv2D, (usize, usize), |s| s);
super::delegate_layer!(Conv2D);

impl<F: Float> Layer<F> for ConvCore<F> {
    fn kind(&self) -> &'static str {
        if self.rank == 1 {
            "conv1d"
        } else {
            "conv2d"
        }
    }

    fn name(&self) -> &str {
        &self.name
    }

    fn set_name(&mut self, name: String) {
        self.name = name;
    }

    fn build(&mut self, input_shape: &[usize], rng: &mut Rng) -> Result<Vec<usize>, Error> {
        let kind = self.kind_name();
        let dims = spatial_input(&self.name, kind, self.rank, input_shape)?;
        if self.filters == 0 {
            return Err(layer_error(&self.name, format!("{kind} needs at least 1 filter, got 0")));
        }
        let (size, strides) = if self.rank == 1 {
            ((1, self.kernel_size.1), (1, self.strides.1))
        } else {
            (self.kernel_size, self.strides)
        };
        let window = window(&self.name, kind, "kernel", self.rank, dims, size, strides, self.padding)?;
        self.window = window;
        let (_, k) = self.patch_dims();
        let area = size.0 * size.1;
        let (cin, n) = (dims[2], self.filters);
        let shape = if self.rank == 1 { vec![size.1, cin, n] } else { vec![size.0, size.1, cin, n] };
        let mut kernel = Param::zeros(Role::Kernel, shape);
        debug_assert_eq!(kernel.value.len(), k * n);
        self.kernel_initializer.fill(&mut kernel.value, area * cin, area * n, rng);
        kernel.penalty = self.kernel_penalty;
        self.params = vec![kernel];
        if self.use_bias {
            let mut bias = Param::zeros(Role::Bias, vec![n]);
            bias.penalty = self.bias_penalty;
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
        let (m, n) = (batch * pos, self.filters);
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
        bias_activation(out, bias, n, self.activation);
    }

    fn output(&self) -> &[F] {
        &self.output
    }

    fn backward(&mut self, input: &[F], grad_output: &[F], batch: usize, need_input_grad: bool, par: Parallelism) {
        let (pos, k) = self.patch_dims();
        let (m, n) = (batch * pos, self.filters);
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
            self.activation,
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
        pos * k * self.filters
    }

    fn clone_box(&self) -> Box<dyn Layer<F>> {
        Box::new(self.clone())
    }
}

multiversion! {
    /// `row ← f(row + bias)` for every row of width `n`.
    fn bias_activation<F: Float>(out: &mut [F], bias: Option<&[F]>, n: usize, activation: Activation) {
        for row in out.chunks_exact_mut(n) {
            if let Some(bias) = bias {
                for (v, &b) in row.iter_mut().zip(bias) {
                    *v += b;
                }
            }
            activation.forward(row, n);
        }
    }
}

multiversion! {
    /// Copies every window of `batch` channels-last samples into one row of `patches`
    /// (`[ky][kx][channel]` order), writing zeros where the window overhangs the padding.
    fn im2col<F: Float>(input: &[F], patches: &mut [F], batch: usize, w: Window) {
        let (rows, cols, c) = (w.rows, w.cols, w.channels);
        let seg = cols.window * c;
        let k = rows.window * seg;
        let in_len = w.input_len();
        let mut dst_rows = patches.chunks_exact_mut(k);
        for b in 0..batch {
            let sample = &input[b * in_len..(b + 1) * in_len];
            for oy in 0..rows.output {
                for ox in 0..cols.output {
                    let dst = dst_rows.next().expect("patches holds batch·positions rows");
                    let valid = cols.valid_offsets(ox);
                    for (ky, dst) in dst.chunks_exact_mut(seg).enumerate() {
                        let Some(iy) = rows.source(oy, ky) else {
                            dst.fill(F::zero());
                            continue;
                        };
                        if valid.start > 0 {
                            dst[..valid.start * c].fill(F::zero());
                        }
                        if valid.end < cols.window {
                            dst[valid.end * c..].fill(F::zero());
                        }
                        if !valid.is_empty() {
                            let ix = ox * cols.stride + valid.start - cols.pad_before;
                            let src = (iy * cols.input + ix) * c;
                            copy(&mut dst[valid.start * c..valid.end * c], &sample[src..src + valid.len() * c]);
                        }
                    }
                }
            }
        }
    }
}

/// `dst ← src`, with the short copies of few-channel inputs (3 floats for a 3-wide kernel over
/// one channel) inlined rather than sent through a `memcpy` call each.
#[inline(always)]
fn copy<F: Float>(dst: &mut [F], src: &[F]) {
    #[inline(always)]
    fn fixed<const N: usize, F: Copy>(dst: &mut [F], src: &[F]) {
        let d: &mut [F; N] = dst.try_into().expect("lengths match");
        *d = *<&[F; N]>::try_from(src).expect("lengths match");
    }
    match dst.len() {
        1 => fixed::<1, F>(dst, src),
        2 => fixed::<2, F>(dst, src),
        3 => fixed::<3, F>(dst, src),
        4 => fixed::<4, F>(dst, src),
        5 => fixed::<5, F>(dst, src),
        6 => fixed::<6, F>(dst, src),
        7 => fixed::<7, F>(dst, src),
        8 => fixed::<8, F>(dst, src),
        _ => dst.copy_from_slice(src),
    }
}

multiversion! {
    /// The adjoint of [`im2col`]: `dx` ← Σ over windows of the patch gradients (padding dropped).
    fn col2im<F: Float>(dpatches: &[F], dx: &mut [F], batch: usize, w: Window) {
        let (rows, cols, c) = (w.rows, w.cols, w.channels);
        let seg = cols.window * c;
        let k = rows.window * seg;
        let in_len = w.input_len();
        dx.fill(F::zero());
        let mut src_rows = dpatches.chunks_exact(k);
        for b in 0..batch {
            let sample = &mut dx[b * in_len..(b + 1) * in_len];
            for oy in 0..rows.output {
                for ox in 0..cols.output {
                    let src = src_rows.next().expect("dpatches holds batch·positions rows");
                    let valid = cols.valid_offsets(ox);
                    if valid.is_empty() {
                        continue;
                    }
                    for (ky, src) in src.chunks_exact(seg).enumerate() {
                        let Some(iy) = rows.source(oy, ky) else { continue };
                        let ix = ox * cols.stride + valid.start - cols.pad_before;
                        let dst = (iy * cols.input + ix) * c;
                        let dst = &mut sample[dst..dst + valid.len() * c];
                        for (d, &s) in dst.iter_mut().zip(&src[valid.start * c..valid.end * c]) {
                            *d += s;
                        }
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::nn::testing::check_layer;
    use crate::nn::{Conv1D, Dense, Flatten, Model};

    /// Direct convolution with Keras indexing: `out[oy, ox, f] = b[f] + Σ x[iy, ix, c]·W[ky, kx, c, f]`,
    /// `iy = oy·sh + ky − pad_top`, for one sample.
    #[allow(clippy::too_many_arguments)]
    fn reference(
        x: &[f64],
        (h, w, c): (usize, usize, usize),
        kernel: &[f64],
        bias: &[f64],
        (kh, kw, f): (usize, usize, usize),
        (sh, sw): (usize, usize),
        (pt, pl): (usize, usize),
        (oh, ow): (usize, usize),
    ) -> Vec<f64> {
        let mut out = vec![0.0; oh * ow * f];
        for oy in 0..oh {
            for ox in 0..ow {
                for fi in 0..f {
                    let mut s = bias.get(fi).copied().unwrap_or(0.0);
                    for ky in 0..kh {
                        for kx in 0..kw {
                            let (iy, ix) =
                                ((oy * sh + ky) as isize - pt as isize, (ox * sw + kx) as isize - pl as isize);
                            if iy < 0 || ix < 0 || iy >= h as isize || ix >= w as isize {
                                continue;
                            }
                            for ci in 0..c {
                                s += x[((iy as usize) * w + ix as usize) * c + ci]
                                    * kernel[((ky * kw + kx) * c + ci) * f + fi];
                            }
                        }
                    }
                    out[(oy * ow + ox) * f + fi] = s;
                }
            }
        }
        out
    }

    fn build(layer: Conv2D<f64>, shape: &[usize]) -> (Conv2D<f64>, Vec<usize>) {
        let mut layer = layer;
        let out = layer.build(shape, &mut Rng::new(3)).unwrap();
        (layer, out)
    }

    /// Hand-computed: x = [[1,2,3],[4,5,6],[7,8,9]], kernel [[1,2],[3,4]], one channel.
    /// Valid: out[0][0] = 1·1 + 2·2 + 4·3 + 5·4 = 37, then 47, 67, 77.
    /// Same (TensorFlow): out = ⌈3/1⌉ = 3, total pad (3−1)·1 + 2 − 3 = 1 → 0 before, 1 after (the
    /// bottom row and right column are zero): row 0 = 37, 47, 3·1 + 6·3 = 21; row 1 = 67, 77,
    /// 6·1 + 9·3 = 33; row 2 = 7·1 + 8·2 = 23, 8·1 + 9·2 = 26, 9.
    /// Same with stride 2: out 2, total (2−1)·2 + 2 − 3 = 1 → 0 before: positions (0,0), (0,2),
    /// (2,0), (2,2) of the stride-1 map: 37, 21, 23, 9.
    /// Same with a 3×3 kernel of ones: one zero row/column on every side, so each output is
    /// the sum of its 3×3 neighbourhood: 12 21 16 / 27 45 33 / 24 39 28.
    #[test]
    fn known_values_valid_and_same_padding() {
        let x: Vec<f64> = (1..=9).map(f64::from).collect();
        let run = |layer: Conv2D<f64>, kernel: &[f64], bias: f64| {
            let (mut layer, shape) = build(layer, &[3, 3, 1]);
            layer.params_mut()[0].value.copy_from_slice(kernel);
            layer.params_mut()[1].value[0] = bias;
            layer.forward(&x, 1, false, Parallelism::Sequential);
            let n: usize = shape.iter().product();
            (shape, layer.output()[..n].to_vec())
        };
        let k2 = [1.0, 2.0, 3.0, 4.0];
        assert_eq!(run(Conv2D::new(1, (2, 2)), &k2, 0.0), (vec![2, 2, 1], vec![37.0, 47.0, 67.0, 77.0]));
        assert_eq!(
            run(Conv2D::new(1, (2, 2)).padding(Padding::Same), &k2, 0.0),
            (vec![3, 3, 1], vec![37.0, 47.0, 21.0, 67.0, 77.0, 33.0, 23.0, 26.0, 9.0])
        );
        assert_eq!(
            run(Conv2D::new(1, (2, 2)).padding(Padding::Same).strides((2, 2)), &k2, 0.5),
            (vec![2, 2, 1], vec![37.5, 21.5, 23.5, 9.5])
        );
        assert_eq!(
            run(Conv2D::new(1, (3, 3)).padding(Padding::Same), &[1.0; 9], 0.0),
            (vec![3, 3, 1], vec![12.0, 21.0, 16.0, 27.0, 45.0, 33.0, 24.0, 39.0, 28.0])
        );
        // relu is applied after the bias.
        let (_, y) = run(Conv2D::new(1, (2, 2)).activation(Activation::Relu), &[-1.0, 0.0, 0.0, 0.0], 2.0);
        assert_eq!(y, [1.0, 0.0, 0.0, 0.0]);
    }

    #[test]
    fn matches_direct_convolution_with_keras_kernel_layout() {
        let cases = [
            ((5, 6, 3), (3, 2), (1, 1), Padding::Valid, 4),
            ((7, 5, 2), (3, 3), (2, 2), Padding::Same, 3),
            ((6, 7, 2), (2, 4), (3, 2), Padding::Same, 2),
            ((4, 4, 3), (1, 1), (1, 1), Padding::Valid, 5),
            ((2, 3, 1), (4, 4), (1, 2), Padding::Same, 2),
        ];
        let mut rng = Rng::new(8);
        for ((h, w, c), (kh, kw), strides, padding, f) in cases {
            let (mut layer, shape) = build(Conv2D::new(f, (kh, kw)).strides(strides).padding(padding), &[h, w, c]);
            layer.params_mut()[1].value.iter_mut().for_each(|b| *b = rng.uniform(-1.0, 1.0));
            let batch = 3;
            let x: Vec<f64> = (0..batch * h * w * c).map(|_| rng.uniform(-1.0, 1.0)).collect();
            layer.forward(&x, batch, false, Parallelism::Sequential);
            let win = layer.0.window;
            let pads = (win.rows.pad_before, win.cols.pad_before);
            let out_len: usize = shape.iter().product();
            for b in 0..batch {
                let want = reference(
                    &x[b * h * w * c..(b + 1) * h * w * c],
                    (h, w, c),
                    &layer.params()[0].value,
                    &layer.params()[1].value,
                    (kh, kw, f),
                    strides,
                    pads,
                    (shape[0], shape[1]),
                );
                let got = &layer.output()[b * out_len..(b + 1) * out_len];
                for (g, w) in got.iter().zip(&want) {
                    assert!((g - w).abs() < 1e-12, "{h}x{w}x{c} k{kh}x{kw} {strides:?} {padding:?}");
                }
            }
        }
    }

    #[test]
    fn conv2d_gradients_match_finite_differences() {
        let l1l2 = Penalty::l1_l2(0.01, 0.02).unwrap();
        let cases: Vec<(Conv2D<f64>, [usize; 3])> = vec![
            (
                Conv2D::new(3, (3, 2))
                    .activation(Activation::Tanh)
                    .kernel_penalty(l1l2)
                    .bias_penalty(Penalty::l2(0.05).unwrap()),
                [5, 6, 2],
            ),
            (Conv2D::new(2, (3, 3)).strides((2, 2)).padding(Padding::Same).activation(Activation::Sigmoid), [7, 5, 2]),
            (Conv2D::new(2, (2, 3)).strides((3, 2)).padding(Padding::Same).use_bias(false), [5, 7, 3]),
            (Conv2D::new(3, (3, 3)).strides((2, 1)).kernel_penalty(Penalty::l1(0.03).unwrap()), [7, 5, 1]),
            (Conv2D::new(2, (1, 1)).activation(Activation::Tanh), [3, 4, 3]),
            (Conv2D::new(2, (4, 4)).padding(Padding::Same), [2, 3, 2]),
        ];
        for (i, (layer, shape)) in cases.into_iter().enumerate() {
            check_layer(layer, &shape, 2, i as u64, |_| {});
        }
    }

    #[test]
    fn conv1d_gradients_and_shapes() {
        let layer = Conv1D::new(3, 3).strides(2).padding(Padding::Same).activation(Activation::Tanh);
        assert_eq!(check_layer(layer, &[7, 2], 3, 1, |_| {}), [4, 3]);
        let layer = Conv1D::new(2, 2).kernel_penalty(Penalty::l2(0.1).unwrap()).bias_penalty(Penalty::l1(0.1).unwrap());
        assert_eq!(check_layer(layer, &[5, 3], 2, 2, |_| {}), [4, 2]);
        assert_eq!(check_layer(Conv1D::new(2, 3).strides(2).use_bias(false), &[8, 1], 2, 3, |_| {}), [3, 2]);
    }

    #[test]
    fn parameters_have_keras_shapes_fans_and_names() {
        let m = Model::<f64>::builder(&[8, 8, 3])
            .layer(Conv2D::new(16, (3, 2)))
            .layer(Conv2D::new(4, (2, 2)).use_bias(false))
            .build(0)
            .unwrap();
        let names: Vec<String> = m.params().map(|(n, _)| n).collect();
        assert_eq!(names, ["conv2d_0.kernel", "conv2d_0.bias", "conv2d_1.kernel"]);
        let k = m.param(m.select("conv2d_0.kernel").unwrap()[0]);
        assert_eq!(k.shape, [3, 2, 3, 16]);
        // glorot_uniform with fan_in = 3·2·3 = 18, fan_out = 3·2·16 = 96.
        let limit = (6.0f64 / (18.0 + 96.0)).sqrt();
        let max = k.value.iter().fold(0.0f64, |m, w| m.max(w.abs()));
        assert!(max <= limit && max > 0.9 * limit, "{max} vs {limit}");
        assert!(m.param(m.select("conv2d_0.bias").unwrap()[0]).value.iter().all(|&b| b == 0.0));
        assert_eq!(m.layers()[1].params()[0].shape, [2, 2, 16, 4]);
        assert_eq!(m.output_size(), 5 * 6 * 4); // 8×8 → 6×7 → 5×6
        let m = Model::<f64>::builder(&[10, 3]).layer(Conv1D::new(5, 4).strides(3)).build(0).unwrap();
        assert_eq!(m.layers()[0].kind(), "conv1d");
        assert_eq!(m.layers()[0].params()[0].shape, [4, 3, 5]);
        assert_eq!(m.output_size(), 3 * 5);
    }

    fn error_of(shape: &[usize], layer: impl Layer<f32> + 'static) -> String {
        Model::<f32>::builder(shape).layer(layer).build(0).err().expect("build must fail").to_string()
    }

    #[test]
    fn shape_errors_do_not_panic() {
        let e = error_of(&[16], Conv2D::new(4, (3, 3)));
        assert!(e.contains("conv2d_0") && e.contains("[height, width, channels]") && e.contains("[16]"), "{e}");
        let e = error_of(&[4, 4, 1], Conv1D::new(4, 3));
        assert!(e.contains("[steps, channels]"), "{e}");
        let e = error_of(&[4, 4, 1], Conv2D::new(4, (5, 3)));
        assert!(e.contains("kernel 5×3 is larger than the input 4×4 with valid padding"), "{e}");
        assert!(Model::<f32>::builder(&[4, 4, 1])
            .layer(Conv2D::new(4, (5, 3)).padding(Padding::Same))
            .build(0)
            .is_ok());
        let e = error_of(&[3, 2], Conv1D::new(4, 4));
        assert!(e.contains("kernel 4 is larger than the input 3"), "{e}");
        assert!(error_of(&[4, 4, 1], Conv2D::new(0, (3, 3))).contains("at least 1 filter"));
        assert!(error_of(&[4, 4, 1], Conv2D::new(2, (0, 3))).contains("kernel size of at least 1"));
        assert!(error_of(&[4, 4, 1], Conv2D::new(2, (3, 3)).strides((1, 0))).contains("strides of at least 1"));
        assert!(error_of(&[5, 1], Conv1D::new(2, 2).strides(0)).contains("strides of at least 1, got 0"));
        let e = Model::<f32>::builder(&[6, 6, 1])
            .layer(Conv2D::new(2, (3, 3)))
            .layer(Dense::new(3))
            .build(0)
            .err()
            .unwrap()
            .to_string();
        assert!(e.contains("dense_0") && e.contains("Flatten"), "{e}");
        let m =
            Model::<f32>::builder(&[6, 6, 1]).layer(Conv2D::new(2, (3, 3))).layer(Flatten::new()).layer(Dense::new(3));
        assert!(m.build(0).is_ok());
    }
}
