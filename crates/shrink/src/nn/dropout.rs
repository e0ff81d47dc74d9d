use super::{ensure_len, Layer, LayerConfig};
use crate::kernels::Parallelism;
use crate::rng::Rng;
use crate::{Error, Float};
use serde::{Deserialize, Serialize};

/// Every option of a [`Dropout`] layer, as specs and model files write it.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DropoutConfig {
    /// Fraction dropped, in [0, 1).
    pub rate: f64,
}

impl DropoutConfig {
    /// Checks the rate is in `[0, 1)`.
    pub fn validate(&self) -> Result<(), Error> {
        if !(0.0..1.0).contains(&self.rate) {
            return Err(Error::invalid("Dropout rate", "in [0, 1)", self.rate));
        }
        Ok(())
    }

    /// The unbuilt layer.
    pub fn into_layer<F: Float>(self) -> Dropout<F> {
        Dropout::new(self.rate)
    }
}

/// Inverted dropout (Keras `Dropout`): in training each element is zeroed with probability
/// `rate` and the survivors are scaled by `1/(1 − rate)`, with a fresh mask on every forward
/// pass; at evaluation the layer is the identity. The masks come from a generator seeded by the
/// model's build seed, so a fit is reproducible.
#[derive(Debug, Clone)]
pub struct Dropout<F> {
    name: String,
    rate: f64,
    size: usize,
    rng: Rng,
    /// The mask of the last training forward: 0 or `1/(1 − rate)` per element.
    mask: Vec<F>,
    last_training: bool,
    /// Tests only: reuse the last mask instead of drawing a new one.
    #[cfg(test)]
    pub(crate) frozen: bool,
    output: Vec<F>,
    dx: Vec<F>,
}

impl<F: Float> Dropout<F> {
    /// Drops each input with probability `rate`, which must be in `[0, 1)` (checked when the
    /// model is built).
    pub fn new(rate: f64) -> Self {
        Dropout {
            name: String::new(),
            rate,
            size: 0,
            rng: Rng::new(0),
            mask: Vec::new(),
            last_training: false,
            #[cfg(test)]
            frozen: false,
            output: Vec::new(),
            dx: Vec::new(),
        }
    }

    /// The drop probability.
    pub fn rate(&self) -> f64 {
        self.rate
    }
}

impl<F: Float> Layer<F> for Dropout<F> {
    super::name_field!("dropout");

    fn build(&mut self, input_shape: &[usize], rng: &mut Rng) -> Result<Vec<usize>, Error> {
        DropoutConfig { rate: self.rate }
            .validate()
            .map_err(|e| Error::Layer { layer: self.name.clone(), message: e.to_string() })?;
        self.size = input_shape.iter().product();
        self.rng = Rng::new(rng.next_u64());
        Ok(input_shape.to_vec())
    }

    fn forward(&mut self, input: &[F], batch: usize, training: bool, _par: Parallelism) {
        let len = batch * self.size;
        ensure_len(&mut self.output, len);
        self.last_training = training && self.rate > 0.0;
        if !self.last_training {
            self.output[..len].copy_from_slice(&input[..len]);
            return;
        }
        ensure_len(&mut self.mask, len);
        #[cfg(test)]
        let draw = !self.frozen;
        #[cfg(not(test))]
        let draw = true;
        if draw {
            let keep = F::of(1.0 / (1.0 - self.rate));
            // One 64-bit draw gives two 32-bit uniforms; a threshold on them drops with
            // probability `rate` (to within 2⁻³²).
            let threshold = (self.rate * 4_294_967_296.0) as u64;
            let mut pairs = self.mask[..len].chunks_mut(2);
            for pair in &mut pairs {
                let bits = self.rng.next_u64();
                for (m, u) in pair.iter_mut().zip([bits & 0xFFFF_FFFF, bits >> 32]) {
                    *m = if u < threshold { F::zero() } else { keep };
                }
            }
        }
        for ((o, &x), &m) in self.output[..len].iter_mut().zip(&input[..len]).zip(&self.mask[..len]) {
            *o = x * m;
        }
    }

    fn output(&self) -> &[F] {
        &self.output
    }

    fn backward(&mut self, _input: &[F], grad_output: &[F], batch: usize, need_input_grad: bool, _par: Parallelism) {
        if !need_input_grad {
            return;
        }
        let len = batch * self.size;
        ensure_len(&mut self.dx, len);
        if self.last_training {
            for ((d, &g), &m) in self.dx[..len].iter_mut().zip(&grad_output[..len]).zip(&self.mask[..len]) {
                *d = g * m;
            }
        } else {
            self.dx[..len].copy_from_slice(&grad_output[..len]);
        }
    }

    fn input_grad(&self) -> &[F] {
        &self.dx
    }

    fn config(&self) -> LayerConfig {
        DropoutConfig { rate: self.rate }.into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::nn::testing::check_layer;
    use crate::nn::Model;

    #[test]
    fn drops_at_the_rate_scales_survivors_and_is_identity_at_evaluation() {
        let mut layer = Dropout::<f64>::new(0.3);
        layer.build(&[10, 10], &mut Rng::new(1)).unwrap();
        let x: Vec<f64> = (0..100 * 50).map(|i| 1.0 + i as f64).collect();
        layer.forward(&x, 50, true, Parallelism::Sequential);
        let first = layer.output()[..5000].to_vec();
        let dropped = first.iter().filter(|&&y| y == 0.0).count();
        assert!((1350..1650).contains(&dropped), "{dropped} of 5000 dropped at rate 0.3");
        for (y, x) in first.iter().zip(&x) {
            assert!(*y == 0.0 || (y - x / 0.7).abs() < 1e-9);
        }
        // A new mask each training forward.
        layer.forward(&x, 50, true, Parallelism::Sequential);
        assert_ne!(&layer.output()[..5000], &first[..]);
        // The backward uses the mask of the last training forward.
        let g = vec![1.0; 5000];
        layer.backward(&x, &g, 50, true, Parallelism::Sequential);
        for ((d, y), x) in layer.input_grad().iter().zip(layer.output()).zip(&x) {
            assert!((d * x - y).abs() < 1e-9);
        }
        layer.forward(&x, 50, false, Parallelism::Sequential);
        assert_eq!(&layer.output()[..5000], &x[..]);
        // Same build seed, same masks.
        let mut again = Dropout::<f64>::new(0.3);
        again.build(&[10, 10], &mut Rng::new(1)).unwrap();
        again.forward(&x, 50, true, Parallelism::Sequential);
        assert_eq!(&again.output()[..5000], &first[..]);
    }

    #[test]
    fn gradient_with_a_fixed_mask_matches_finite_differences() {
        check_layer(Dropout::new(0.4), &[4, 3], 3, 1, |d| d.frozen = true);
        check_layer(Dropout::new(0.0), &[6], 2, 2, |d| d.frozen = true);
    }

    #[test]
    fn rate_must_be_in_zero_one() {
        for rate in [1.0, -0.1, 1.5, f64::NAN] {
            let e = Model::<f32>::builder(&[4]).layer(Dropout::new(rate)).build(0).err().unwrap().to_string();
            assert!(e.contains("dropout_0") && e.contains("[0, 1)"), "{e}");
        }
        let m = Model::<f32>::builder(&[4, 2]).layer(Dropout::new(0.0)).build(0).unwrap();
        assert_eq!(m.output_size(), 8);
    }
}
