use crate::Float;
use serde::{Deserialize, Serialize};

/// An element-wise (or, for softmax, row-wise) non-linearity fused into its layer.
///
/// Every derivative here is expressed through the activation's *output*, so layers keep only
/// their outputs and never a second pre-activation buffer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Activation {
    /// The identity.
    #[default]
    Linear,
    /// max(z, 0).
    Relu,
    /// 1/(1+e^−z).
    Sigmoid,
    /// tanh(z).
    Tanh,
    /// exp(z_i)/Σ_j exp(z_j) over each row.
    Softmax,
}

impl Activation {
    /// Applies the activation in place to `rows` rows of width `width`.
    #[inline(always)]
    pub fn forward<F: Float>(self, values: &mut [F], width: usize) {
        match self {
            Activation::Linear => {}
            Activation::Relu => values.iter_mut().for_each(|v| *v = v.max(F::zero())),
            Activation::Sigmoid => {
                // exp(−z) overflows to +inf for very negative z, giving exactly 0: no NaN.
                values.iter_mut().for_each(|v| *v = F::one() / (F::one() + (-*v).exp()))
            }
            Activation::Tanh => values.iter_mut().for_each(|v| *v = v.tanh()),
            Activation::Softmax => {
                for row in values.chunks_exact_mut(width) {
                    let max = row.iter().fold(F::neg_infinity(), |m, &v| m.max(v));
                    let mut sum = F::zero();
                    for v in row.iter_mut() {
                        *v = (*v - max).exp();
                        sum += *v;
                    }
                    let inv = F::one() / sum;
                    row.iter_mut().for_each(|v| *v *= inv);
                }
            }
        }
    }

    /// `dz = g ⊙ f'(z)`, computed from the output `y = f(z)`; writes into `dz`.
    ///
    /// # Panics
    /// If the slices differ in length.
    #[inline(always)]
    pub fn backward<F: Float>(self, output: &[F], grad_output: &[F], dz: &mut [F], width: usize) {
        assert!(output.len() == grad_output.len() && output.len() == dz.len());
        match self {
            Activation::Linear => dz.copy_from_slice(grad_output),
            Activation::Relu => {
                for ((d, &g), &y) in dz.iter_mut().zip(grad_output).zip(output) {
                    *d = if y > F::zero() { g } else { F::zero() };
                }
            }
            Activation::Sigmoid => {
                for ((d, &g), &y) in dz.iter_mut().zip(grad_output).zip(output) {
                    *d = g * y * (F::one() - y);
                }
            }
            Activation::Tanh => {
                for ((d, &g), &y) in dz.iter_mut().zip(grad_output).zip(output) {
                    *d = g * (F::one() - y * y);
                }
            }
            Activation::Softmax => {
                for ((d, g), y) in
                    dz.chunks_exact_mut(width).zip(grad_output.chunks_exact(width)).zip(output.chunks_exact(width))
                {
                    let s: F = g.iter().zip(y).map(|(&g, &y)| g * y).sum();
                    for ((di, &gi), &yi) in d.iter_mut().zip(g).zip(y) {
                        *di = yi * (gi - s);
                    }
                }
            }
        }
    }

    /// The name used in specs and reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Activation::Linear => "linear",
            Activation::Relu => "relu",
            Activation::Sigmoid => "sigmoid",
            Activation::Tanh => "tanh",
            Activation::Softmax => "softmax",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::Rng;

    /// Finite-difference check of every activation's backward pass in f64, through a random
    /// linear read-out L = Σ c·f(z).
    #[test]
    fn backward_matches_finite_differences() {
        let mut rng = Rng::new(11);
        let width = 5;
        for act in [Activation::Linear, Activation::Relu, Activation::Sigmoid, Activation::Tanh, Activation::Softmax] {
            let z: Vec<f64> = (0..3 * width).map(|_| rng.uniform(-2.0, 2.0)).collect();
            let c: Vec<f64> = (0..3 * width).map(|_| rng.uniform(-1.0, 1.0)).collect();
            let f = |z: &[f64]| {
                let mut y = z.to_vec();
                act.forward(&mut y, width);
                y.iter().zip(&c).map(|(a, b)| a * b).sum::<f64>()
            };
            let mut y = z.clone();
            act.forward(&mut y, width);
            let mut dz = vec![0.0; z.len()];
            act.backward(&y, &c, &mut dz, width);
            for i in 0..z.len() {
                if act == Activation::Relu && z[i].abs() < 1e-3 {
                    continue; // the kink
                }
                let h = 1e-6;
                let (mut up, mut down) = (z.clone(), z.clone());
                up[i] += h;
                down[i] -= h;
                let fd = (f(&up) - f(&down)) / (2.0 * h);
                let rel = (fd - dz[i]).abs() / fd.abs().max(dz[i].abs()).max(1e-8);
                assert!(rel < 1e-6 || (fd - dz[i]).abs() < 1e-9, "{act:?} [{i}]: fd {fd} vs {}", dz[i]);
            }
        }
    }

    #[test]
    fn sigmoid_and_softmax_are_stable_at_extremes() {
        let mut v = [-1000.0f32, 1000.0, 0.0];
        Activation::Sigmoid.forward(&mut v, 3);
        assert_eq!(v, [0.0, 1.0, 0.5]);
        let mut s = [1000.0f32, 0.0, -1000.0];
        Activation::Softmax.forward(&mut s, 3);
        assert!(s.iter().all(|x| x.is_finite()) && (s[0] - 1.0).abs() < 1e-6);
    }
}
