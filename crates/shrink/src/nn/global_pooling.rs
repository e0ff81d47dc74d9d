use super::geometry::spatial_input;
use super::{ensure_len, Layer, LayerConfig};
use crate::kernels::{multiversion, Parallelism};
use crate::rng::Rng;
use crate::{Error, Float};
use serde::{Deserialize, Serialize};

/// The channel-wise mean over every position of a channels-last sample: `[…, channels]` →
/// `[channels]`.
#[derive(Debug, Clone)]
pub(crate) struct GlobalAverageCore<F> {
    name: String,
    rank: usize,
    positions: usize,
    channels: usize,
    output: Vec<F>,
    dx: Vec<F>,
}

impl<F: Float> GlobalAverageCore<F> {
    fn new(rank: usize) -> Self {
        GlobalAverageCore { name: String::new(), rank, positions: 0, channels: 0, output: Vec::new(), dx: Vec::new() }
    }
}

impl<F: Float> Layer<F> for GlobalAverageCore<F> {
    super::name_field!("global_average_pooling1d", "global_average_pooling2d");

    fn build(&mut self, input_shape: &[usize], _rng: &mut Rng) -> Result<Vec<usize>, Error> {
        let kind = if self.rank == 1 { "GlobalAveragePooling1D" } else { "GlobalAveragePooling2D" };
        let [h, w, c] = spatial_input(&self.name, kind, self.rank, input_shape)?;
        self.positions = h * w;
        self.channels = c;
        Ok(vec![c])
    }

    fn forward(&mut self, input: &[F], batch: usize, _training: bool, _par: Parallelism) {
        let (p, c) = (self.positions, self.channels);
        ensure_len(&mut self.output, batch * c);
        global_average_forward(&input[..batch * p * c], &mut self.output[..batch * c], p, c);
    }

    fn output(&self) -> &[F] {
        &self.output
    }

    fn backward(&mut self, _input: &[F], grad_output: &[F], batch: usize, need_input_grad: bool, _par: Parallelism) {
        if !need_input_grad {
            return;
        }
        let (p, c) = (self.positions, self.channels);
        ensure_len(&mut self.dx, batch * p * c);
        let inv = F::one() / F::of(p as f64);
        for (dx, g) in self.dx[..batch * p * c].chunks_exact_mut(p * c).zip(grad_output.chunks_exact(c)) {
            for d in dx.chunks_exact_mut(c) {
                for (d, &g) in d.iter_mut().zip(g) {
                    *d = g * inv;
                }
            }
        }
    }

    fn input_grad(&self) -> &[F] {
        &self.dx
    }

    fn config(&self) -> LayerConfig {
        if self.rank == 1 {
            GlobalAveragePooling1DConfig {}.into()
        } else {
            GlobalAveragePooling2DConfig {}.into()
        }
    }
}

multiversion! {
    /// Mean over the `p` positions of each sample, per channel.
    fn global_average_forward<F: Float>(input: &[F], out: &mut [F], p: usize, c: usize) {
        let inv = F::one() / F::of(p as f64);
        for (x, o) in input.chunks_exact(p * c).zip(out.chunks_exact_mut(c)) {
            o.fill(F::zero());
            for x in x.chunks_exact(c) {
                for (o, &x) in o.iter_mut().zip(x) {
                    *o += x;
                }
            }
            o.iter_mut().for_each(|o| *o *= inv);
        }
    }
}

/// A public global-average-pooling type of rank `$rank` over its core: `new`, `Default` and
/// [`Layer`] by delegation.
macro_rules! global_average_type {
    ($(#[$meta:meta])* $ty:ident, $rank:literal) => {
        $(#[$meta])*
        #[derive(Debug, Clone)]
        pub struct $ty<F>(GlobalAverageCore<F>);

        impl<F: Float> $ty<F> {
            /// The layer (it has no options).
            pub fn new() -> Self {
                $ty(GlobalAverageCore::new($rank))
            }
        }

        impl<F: Float> Default for $ty<F> {
            fn default() -> Self {
                Self::new()
            }
        }

        super::delegate_layer!($ty);
    };
}

global_average_type!(
    /// The channel-wise mean over all steps of `[steps, channels]` samples (Keras
    /// `GlobalAveragePooling1D`); outputs `[channels]`.
    GlobalAveragePooling1D,
    1
);
global_average_type!(
    /// The channel-wise mean over all positions of `[height, width, channels]` samples (Keras
    /// `GlobalAveragePooling2D`); outputs `[channels]`.
    GlobalAveragePooling2D,
    2
);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::nn::testing::check_layer;
    use crate::nn::Model;

    #[test]
    fn means_gradients_and_errors() {
        // Two positions, two channels: means (1+3)/2 and (2+6)/2.
        let mut m = Model::<f64>::builder(&[2, 2]).layer(GlobalAveragePooling1D::new()).build(0).unwrap();
        assert_eq!(m.forward(&[1.0, 2.0, 3.0, 6.0], 1, false, Parallelism::Sequential), [2.0, 4.0]);
        assert_eq!(m.layers()[0].name(), "global_average_pooling1d_0");
        assert_eq!(check_layer(GlobalAveragePooling2D::new(), &[3, 4, 2], 3, 1, |_| {}), [2]);
        assert_eq!(check_layer(GlobalAveragePooling1D::new(), &[5, 3], 2, 2, |_| {}), [3]);
        let e = Model::<f32>::builder(&[4]).layer(GlobalAveragePooling2D::new()).build(0).err().unwrap().to_string();
        assert!(e.contains("[height, width, channels]"), "{e}");
    }
}

/// A global pooling layer's config (it has no options; `type` is the whole entry).
macro_rules! global_config {
    ($config:ident, $ty:ident) => {
        #[doc = concat!("The config of a [`", stringify!($ty), "`] layer, which has no options.")]
        #[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
        #[serde(deny_unknown_fields)]
        pub struct $config {}

        impl $config {
            /// The unbuilt layer.
            pub fn into_layer<F: Float>(self) -> $ty<F> {
                $ty::new()
            }
        }
    };
}

global_config!(GlobalAveragePooling1DConfig, GlobalAveragePooling1D);
global_config!(GlobalAveragePooling2DConfig, GlobalAveragePooling2D);
