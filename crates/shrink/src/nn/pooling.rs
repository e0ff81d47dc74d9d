use super::geometry::{spatial_input, window, Padding, Window, WindowAt};
use super::{ensure_len, Layer, LayerConfig};
use crate::kernels::{multiversion, Parallelism};
use crate::rng::Rng;
use crate::{Error, Float};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Max,
    Average,
}

/// Max or average pooling over a channels-last sample (1-D pooling runs with height 1).
///
/// Windows overhanging "same" padding only see the input: the max ignores the padding and the
/// average divides by the number of input elements under the window, as TensorFlow does.
#[derive(Debug, Clone)]
pub(crate) struct PoolCore<F> {
    name: String,
    rank: usize,
    mode: Mode,
    pool_size: (usize, usize),
    strides: Option<(usize, usize)>,
    padding: Padding,
    window: Window,
    output: Vec<F>,
    /// For max pooling: where in its sample each output's maximum came from.
    argmax: Vec<u32>,
    dx: Vec<F>,
}

impl<F: Float> PoolCore<F> {
    fn new(rank: usize, mode: Mode, pool_size: (usize, usize)) -> Self {
        PoolCore {
            name: String::new(),
            rank,
            mode,
            pool_size,
            strides: None,
            padding: Padding::Valid,
            window: Window::default(),
            output: Vec::new(),
            argmax: Vec::new(),
            dx: Vec::new(),
        }
    }

    /// The layer's kind (as specs write it) and its Keras class name (as messages write it).
    fn names(&self) -> (&'static str, &'static str) {
        match (self.mode, self.rank) {
            (Mode::Max, 1) => ("max_pooling1d", "MaxPooling1D"),
            (Mode::Max, _) => ("max_pooling2d", "MaxPooling2D"),
            (Mode::Average, 1) => ("average_pooling1d", "AveragePooling1D"),
            (Mode::Average, _) => ("average_pooling2d", "AveragePooling2D"),
        }
    }

    fn kind_name(&self) -> &'static str {
        self.names().1
    }
}

impl<F: Float> Layer<F> for PoolCore<F> {
    fn kind(&self) -> &'static str {
        self.names().0
    }

    super::name_field!();

    fn build(&mut self, input_shape: &[usize], _rng: &mut Rng) -> Result<Vec<usize>, Error> {
        let kind = self.kind_name();
        let dims = spatial_input(&self.name, kind, self.rank, input_shape)?;
        let strides = self.strides.unwrap_or(self.pool_size);
        let w = window(&self.name, kind, "pool", self.rank, dims, self.pool_size, strides, self.padding)?;
        if w.input_len() > u32::MAX as usize {
            return Err(super::geometry::layer_error(&self.name, format!("{kind} input {input_shape:?} is too large")));
        }
        self.window = w;
        let (oh, ow, c) = (w.rows.output, w.cols.output, w.channels);
        Ok(if self.rank == 1 { vec![ow, c] } else { vec![oh, ow, c] })
    }

    fn forward(&mut self, input: &[F], batch: usize, _training: bool, _par: Parallelism) {
        let w = self.window;
        let len = batch * w.positions() * w.channels;
        ensure_len(&mut self.output, len);
        let input = &input[..batch * w.input_len()];
        match self.mode {
            Mode::Max => {
                if self.argmax.len() < len {
                    self.argmax.resize(len, 0);
                }
                max_forward(input, &mut self.output[..len], &mut self.argmax[..len], batch, w);
            }
            Mode::Average => average_forward(input, &mut self.output[..len], batch, w),
        }
    }

    fn output(&self) -> &[F] {
        &self.output
    }

    fn backward(&mut self, _input: &[F], grad_output: &[F], batch: usize, need_input_grad: bool, _par: Parallelism) {
        if !need_input_grad {
            return;
        }
        let w = self.window;
        let (len, in_len) = (batch * w.positions() * w.channels, batch * w.input_len());
        ensure_len(&mut self.dx, in_len);
        let dx = &mut self.dx[..in_len];
        match self.mode {
            Mode::Max => {
                dx.fill(F::zero());
                let per_sample = w.positions() * w.channels;
                let samples =
                    self.argmax[..len].chunks_exact(per_sample).zip(grad_output[..len].chunks_exact(per_sample));
                for ((arg, g), dx) in samples.zip(dx.chunks_exact_mut(w.input_len())) {
                    for (&i, &g) in arg.iter().zip(g) {
                        dx[i as usize] += g;
                    }
                }
            }
            Mode::Average => average_backward(&grad_output[..len], dx, batch, w),
        }
    }

    fn input_grad(&self) -> &[F] {
        &self.dx
    }

    fn config(&self) -> LayerConfig {
        let (size, strides, padding) = (self.pool_size, self.strides, self.padding);
        let two = |p: (usize, usize)| [p.0, p.1];
        match (self.mode, self.rank) {
            (Mode::Max, 1) => MaxPooling1DConfig { pool_size: size.1, strides: strides.map(|s| s.1), padding }.into(),
            (Mode::Max, _) => MaxPooling2DConfig { pool_size: two(size), strides: strides.map(two), padding }.into(),
            (Mode::Average, 1) => {
                AveragePooling1DConfig { pool_size: size.1, strides: strides.map(|s| s.1), padding }.into()
            }
            (Mode::Average, _) => {
                AveragePooling2DConfig { pool_size: two(size), strides: strides.map(two), padding }.into()
            }
        }
    }
}

multiversion! {
    /// Channel-wise maximum of every window, remembering where in its sample each came from
    /// (the first maximum in window order).
    fn max_forward<F: Float>(input: &[F], out: &mut [F], argmax: &mut [u32], batch: usize, w: Window) {
        let (width, c) = (w.cols.input, w.channels);
        let in_len = w.input_len();
        w.each(batch, |WindowAt { pos, base, iy0, ky, ix0, kx }| {
            let sample = &input[base..base + in_len];
            let best = &mut out[pos * c..(pos + 1) * c];
            let arg = &mut argmax[pos * c..(pos + 1) * c];
            let first = (iy0 * width + ix0) * c;
            best.copy_from_slice(&sample[first..first + c]);
            for (ci, a) in arg.iter_mut().enumerate() {
                *a = (first + ci) as u32;
            }
            for dy in 0..ky {
                for dx in usize::from(dy == 0)..kx {
                    let at = ((iy0 + dy) * width + ix0 + dx) * c;
                    let at32 = at as u32;
                    let x = &sample[at..at + c];
                    // Branch-free selects, so the channel loop vectorizes.
                    for (ci, ((m, a), &x)) in best.iter_mut().zip(arg.iter_mut()).zip(x).enumerate() {
                        let take = x > *m;
                        *m = if take { x } else { *m };
                        *a = if take { at32 + ci as u32 } else { *a };
                    }
                }
            }
        });
    }
}

multiversion! {
    /// Channel-wise mean of the input elements under every window.
    fn average_forward<F: Float>(input: &[F], out: &mut [F], batch: usize, w: Window) {
        let (width, c) = (w.cols.input, w.channels);
        w.each(batch, |WindowAt { pos, base, iy0, ky, ix0, kx }| {
            let sum = &mut out[pos * c..(pos + 1) * c];
            sum.fill(F::zero());
            for dy in 0..ky {
                let at = base + ((iy0 + dy) * width + ix0) * c;
                for x in input[at..at + kx * c].chunks_exact(c) {
                    for (s, &x) in sum.iter_mut().zip(x) {
                        *s += x;
                    }
                }
            }
            let inv = F::one() / F::of((ky * kx) as f64);
            sum.iter_mut().for_each(|s| *s *= inv);
        });
    }
}

multiversion! {
    /// The adjoint of [`average_forward`]: each output gradient, divided by its window's count,
    /// added to every input element under the window.
    fn average_backward<F: Float>(grad: &[F], dx: &mut [F], batch: usize, w: Window) {
        let (width, c) = (w.cols.input, w.channels);
        dx.fill(F::zero());
        w.each(batch, |WindowAt { pos, base, iy0, ky, ix0, kx }| {
            let inv = F::one() / F::of((ky * kx) as f64);
            let g = &grad[pos * c..(pos + 1) * c];
            for dy in 0..ky {
                let at = base + ((iy0 + dy) * width + ix0) * c;
                for d in dx[at..at + kx * c].chunks_exact_mut(c) {
                    for (d, &g) in d.iter_mut().zip(g) {
                        *d += g * inv;
                    }
                }
            }
        });
    }
}

/// A public pooling type and its config (the same options, serializable).
macro_rules! pool_type {
    ($(#[$meta:meta])* $ty:ident, $config:ident, $mode:expr, $rank:expr, $size:ty, $spec:ty, $to_pair:expr,
     $shape:literal) => {
        $(#[$meta])*
        #[derive(Debug, Clone)]
        pub struct $ty<F>(PoolCore<F>);

        impl<F: Float> $ty<F> {
            #[doc = concat!("Pools windows of `pool_size` over `", $shape, "` samples; strides default to the")]
            /// pool size, padding to valid.
            pub fn new(pool_size: $size) -> Self {
                $ty(PoolCore::new($rank, $mode, $to_pair(pool_size)))
            }

            /// Sets the strides (default: the pool size).
            pub fn strides(mut self, strides: $size) -> Self {
                self.0.strides = Some($to_pair(strides));
                self
            }

            /// Sets the padding (default [`Padding::Valid`]).
            pub fn padding(mut self, padding: Padding) -> Self {
                self.0.padding = padding;
                self
            }
        }

        super::delegate_layer!($ty);

        #[doc = concat!("Every option of a [`", stringify!($ty), "`] layer, as specs and model files write it.")]
        #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
        #[serde(deny_unknown_fields)]
        pub struct $config {
            /// The window, ≥ 1 on every axis.
            pub pool_size: $spec,
            /// Default: the pool size.
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub strides: Option<$spec>,
            /// Default valid.
            #[serde(default)]
            pub padding: Padding,
        }

        impl $config {
            /// Windows of `pool_size`, strides of the pool size, valid padding.
            pub fn new(pool_size: $spec) -> Self {
                $config { pool_size, strides: None, padding: Padding::Valid }
            }

            /// Checks window and strides (≥ 1 on every axis).
            pub fn validate(&self) -> Result<(), Error> {
                let (size, strides) = (to_pair(self.pool_size), self.strides.map(to_pair));
                if size.0 == 0 || size.1 == 0 {
                    return Err(Error::invalid("pool_size", "≥ 1 on every axis", format!("{:?}", self.pool_size)));
                }
                if strides.is_some_and(|s| s.0 == 0 || s.1 == 0) {
                    return Err(Error::invalid("strides", "≥ 1 on every axis", format!("{:?}", self.strides)));
                }
                Ok(())
            }

            /// The unbuilt layer.
            pub fn into_layer<F: Float>(self) -> $ty<F> {
                let mut core = PoolCore::new($rank, $mode, to_pair(self.pool_size));
                core.strides = self.strides.map(to_pair);
                core.padding = self.padding;
                $ty(core)
            }
        }

        impl<F: Float> From<$config> for $ty<F> {
            fn from(config: $config) -> Self {
                config.into_layer()
            }
        }

    };
}

fn one_d(size: usize) -> (usize, usize) {
    (1, size)
}

fn two_d(size: (usize, usize)) -> (usize, usize) {
    size
}

/// A spec size (`3` or `[2, 2]`) as the core's `(rows, columns)`.
trait SpecSize {
    fn pair(self) -> (usize, usize);
}

impl SpecSize for usize {
    fn pair(self) -> (usize, usize) {
        (1, self)
    }
}

impl SpecSize for [usize; 2] {
    fn pair(self) -> (usize, usize) {
        (self[0], self[1])
    }
}

fn to_pair(size: impl SpecSize) -> (usize, usize) {
    size.pair()
}

pool_type!(
    /// Channel-wise maximum over windows of `[steps, channels]` samples (Keras `MaxPooling1D`).
    MaxPooling1D, MaxPooling1DConfig, Mode::Max, 1, usize, usize, one_d, "[steps, channels]"
);
pool_type!(
    /// Channel-wise maximum over windows of `[height, width, channels]` samples (Keras
    /// `MaxPooling2D`).
    MaxPooling2D, MaxPooling2DConfig, Mode::Max, 2, (usize, usize), [usize; 2], two_d,
    "[height, width, channels]"
);
pool_type!(
    /// Channel-wise mean over windows of `[steps, channels]` samples (Keras `AveragePooling1D`).
    AveragePooling1D, AveragePooling1DConfig, Mode::Average, 1, usize, usize, one_d, "[steps, channels]"
);
pool_type!(
    /// Channel-wise mean over windows of `[height, width, channels]` samples (Keras
    /// `AveragePooling2D`).
    AveragePooling2D, AveragePooling2DConfig, Mode::Average, 2, (usize, usize), [usize; 2], two_d,
    "[height, width, channels]"
);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::nn::testing::check_layer;
    use crate::nn::Model;

    fn run(layer: impl Layer<f64> + 'static, shape: &[usize], x: &[f64]) -> (Vec<usize>, Vec<f64>) {
        let mut m = Model::<f64>::builder(shape).layer(layer).build(0).unwrap();
        let y = m.forward(x, 1, false, Parallelism::Sequential).to_vec();
        (vec![m.output_size()], y)
    }

    /// Hand-computed on x = [[1,2,3],[4,5,6],[7,8,9]]: a 2×2 pool with "same" padding gives a
    /// 2×2 output whose windows are {1,2,4,5}, {3,6}, {7,8}, {9} (the padding row and column are
    /// at the end): max 5, 6, 8, 9; mean over the input elements only 3, 4.5, 7.5, 9.
    #[test]
    fn known_values() {
        let x: Vec<f64> = (1..=9).map(f64::from).collect();
        assert_eq!(run(MaxPooling2D::new((2, 2)), &[3, 3, 1], &x).1, [5.0]);
        assert_eq!(run(MaxPooling2D::new((2, 2)).padding(Padding::Same), &[3, 3, 1], &x).1, [5.0, 6.0, 8.0, 9.0]);
        assert_eq!(run(AveragePooling2D::new((2, 2)).padding(Padding::Same), &[3, 3, 1], &x).1, [3.0, 4.5, 7.5, 9.0]);
        assert_eq!(run(MaxPooling2D::new((2, 2)).strides((1, 1)), &[3, 3, 1], &x).1, [5.0, 6.0, 8.0, 9.0]);
        // 1-D over [steps 5, channels 2]: pool 2 → 2 steps (valid), 3 steps (same).
        let x1: Vec<f64> = vec![1.0, -1.0, 3.0, -3.0, 2.0, -2.0, 0.0, 5.0, 4.0, 4.0];
        assert_eq!(run(MaxPooling1D::new(2), &[5, 2], &x1).1, [3.0, -1.0, 2.0, 5.0]);
        assert_eq!(run(MaxPooling1D::new(2).padding(Padding::Same), &[5, 2], &x1).1, [3.0, -1.0, 2.0, 5.0, 4.0, 4.0]);
        assert_eq!(run(AveragePooling1D::new(3).strides(2), &[5, 2], &x1).1, [2.0, -2.0, 2.0, 7.0 * (1.0 / 3.0)]);
    }

    #[test]
    fn gradients_match_finite_differences() {
        // Random inputs: no ties, so the max is differentiable.
        check_layer(MaxPooling2D::new((2, 2)), &[5, 4, 3], 2, 1, |_| {});
        check_layer(MaxPooling2D::new((3, 2)).strides((2, 1)).padding(Padding::Same), &[5, 7, 2], 2, 2, |_| {});
        check_layer(MaxPooling2D::new((3, 3)).strides((1, 1)), &[4, 5, 2], 2, 3, |_| {});
        check_layer(AveragePooling2D::new((2, 2)), &[5, 4, 3], 2, 4, |_| {});
        check_layer(AveragePooling2D::new((3, 2)).strides((2, 3)).padding(Padding::Same), &[5, 7, 2], 2, 5, |_| {});
        check_layer(AveragePooling2D::new((2, 3)).strides((1, 1)), &[3, 5, 2], 2, 6, |_| {});
        assert_eq!(check_layer(MaxPooling1D::new(3).strides(2).padding(Padding::Same), &[8, 3], 2, 7, |_| {}), [4, 3]);
        assert_eq!(check_layer(MaxPooling1D::new(2), &[7, 2], 2, 8, |_| {}), [3, 2]);
        assert_eq!(check_layer(AveragePooling1D::new(3).padding(Padding::Same), &[7, 2], 2, 9, |_| {}), [3, 2]);
    }

    #[test]
    fn shapes_names_and_errors() {
        let m = Model::<f32>::builder(&[9, 7, 4])
            .layer(MaxPooling2D::new((2, 2)))
            .layer(AveragePooling2D::new((2, 2)).padding(Padding::Same))
            .build(0)
            .unwrap();
        assert_eq!(m.layers()[0].name(), "max_pooling2d_0");
        assert_eq!(m.layers()[1].name(), "average_pooling2d_0");
        assert_eq!(m.output_size(), 2 * 2 * 4); // 9×7 → 4×3 → 2×2
        assert!(m.layers().iter().all(|l| l.params().is_empty()));
        let err = |layer: Box<dyn Fn() -> Result<Model<f32>, Error>>| layer().err().unwrap().to_string();
        let e = err(Box::new(|| Model::builder(&[3, 3, 1]).layer(MaxPooling2D::new((4, 2))).build(0)));
        assert!(e.contains("pool 4×2 is larger than the input 3×3"), "{e}");
        let e = err(Box::new(|| Model::builder(&[3, 1]).layer(MaxPooling1D::new(5)).build(0)));
        assert!(e.contains("pool 5 is larger than the input 3"), "{e}");
        let e = err(Box::new(|| Model::builder(&[9]).layer(MaxPooling2D::new((2, 2))).build(0)));
        assert!(e.contains("MaxPooling2D expects per-sample inputs [height, width, channels]"), "{e}");
        let e = err(Box::new(|| Model::builder(&[3, 3, 1]).layer(AveragePooling1D::new(2)).build(0)));
        assert!(e.contains("[steps, channels]"), "{e}");
        let e = err(Box::new(|| Model::builder(&[3, 3, 1]).layer(MaxPooling2D::new((0, 2))).build(0)));
        assert!(e.contains("pool size of at least 1"), "{e}");
        let e = err(Box::new(|| Model::builder(&[3, 3, 1]).layer(MaxPooling2D::new((2, 2)).strides((0, 1))).build(0)));
        assert!(e.contains("strides of at least 1"), "{e}");
        // With same padding a pool larger than the input is TensorFlow-legal.
        assert!(Model::<f32>::builder(&[3, 3, 1])
            .layer(MaxPooling2D::new((4, 4)).padding(Padding::Same))
            .build(0)
            .is_ok());
    }
}
