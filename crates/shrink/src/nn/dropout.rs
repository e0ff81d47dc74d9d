use super::{ensure_len, Layer, Param};
use crate::kernels::Parallelism;
use crate::rng::Rng;
use crate::{Error, Float};

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
    fn kind(&self) -> &'static str {
        "dropout"
    }

    fn name(&self) -> &str {
        &self.name
    }

    fn set_name(&mut self, name: String) {
        self.name = name;
    }

    fn build(&mut self, input_shape: &[usize], rng: &mut Rng) -> Result<Vec<usize>, Error> {
        if !(0.0..1.0).contains(&self.rate) {
            return Err(Error::Layer {
                layer: self.name.clone(),
                message: format!("Dropout rate must be in [0, 1), got {}", self.rate),
            });
        }
        self.size = input_shape.iter().product();
        self.rng = Rng::new(rng.next_u64());
        Ok(input_shape.to_vec())
    }

    fn params(&self) -> &[Param<F>] {
        &[]
    }

    fn params_mut(&mut self) -> &mut [Param<F>] {
        &mut []
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

    fn forward_macs(&self) -> usize {
        0
    }

    fn clone_box(&self) -> Box<dyn Layer<F>> {
        Box::new(self.clone())
    }
}
