//! Data losses, as Keras defines them, with their exact gradients.
//!
//! Each loss is the **mean** over the batch (and, for MSE, over outputs) so that a penalty added
//! once per step keeps the same weight whatever the batch size (the Keras contract).

use crate::Float;
use serde::{Deserialize, Serialize};

/// Keras' `backend.epsilon()`: probabilities are clipped to `[ε, 1−ε]` before the logarithm.
pub const EPSILON: f64 = 1e-7;

/// A data loss over predictions and targets of the same shape `[batch, outputs]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Loss {
    /// `−mean(y·ln p + (1−y)·ln(1−p))`, `p` clipped to `[ε, 1−ε]`; for sigmoid outputs.
    #[serde(rename = "binary_crossentropy")]
    BinaryCrossEntropy,
    /// `−mean_rows Σ y·ln(p/Σp)`, clipped like Keras; for softmax outputs and one-hot targets.
    #[serde(rename = "categorical_crossentropy")]
    CategoricalCrossEntropy,
    /// `mean((p − y)²)` over rows and outputs.
    #[serde(rename = "mse", alias = "mean_squared_error")]
    MeanSquaredError,
}

impl Loss {
    /// The loss value and, into `grad`, d loss / d prediction. Returns the mean loss in `f64`.
    ///
    /// # Panics
    /// If the slice lengths differ or `width` does not divide them.
    pub fn value_and_grad<F: Float>(self, pred: &[F], target: &[F], grad: &mut [F], width: usize) -> f64 {
        assert!(
            pred.len() == target.len() && pred.len() == grad.len() && width > 0 && pred.len().is_multiple_of(width)
        );
        let rows = pred.len() / width;
        let (eps, one) = (F::of(EPSILON), F::one());
        match self {
            Loss::BinaryCrossEntropy => {
                let inv_n = F::of(1.0 / pred.len() as f64);
                let mut total = 0.0;
                let mut finite = true;
                for ((g, &p), &y) in grad.iter_mut().zip(pred).zip(target) {
                    finite &= p.is_finite();
                    let pc = p.max(eps).min(one - eps);
                    total -= (y * pc.ln() + (one - y) * (one - pc).ln()).f64();
                    // Inside the clip range the derivative is (p−y)/(p(1−p)); outside, zero.
                    *g = if p > eps && p < one - eps { (p - y) / (p * (one - p)) * inv_n } else { F::zero() };
                }
                // The clip would turn a NaN prediction into ε: divergence must not hide behind it.
                if !finite {
                    return f64::NAN;
                }
                total / pred.len() as f64
            }
            Loss::CategoricalCrossEntropy => {
                let inv_rows = F::of(1.0 / rows as f64);
                let mut total = 0.0;
                let mut finite = true;
                for ((g, p), y) in
                    grad.chunks_exact_mut(width).zip(pred.chunks_exact(width)).zip(target.chunks_exact(width))
                {
                    let sum: F = p.iter().copied().sum();
                    finite &= sum.is_finite();
                    // With q = p/S: dL/dq_i = −y_i/q_i (0 where clipped); dL/dp_j = (g_j − Σ g_i q_i)/S.
                    let mut dot = F::zero();
                    for ((gi, &pi), &yi) in g.iter_mut().zip(p).zip(y) {
                        let q = pi / sum;
                        let qc = q.max(eps).min(one - eps);
                        total -= (yi * qc.ln()).f64();
                        *gi = if q > eps && q < one - eps { -yi / q } else { F::zero() };
                        dot += *gi * q;
                    }
                    for gi in g.iter_mut() {
                        *gi = (*gi - dot) / sum * inv_rows;
                    }
                }
                if !finite {
                    return f64::NAN;
                }
                total / rows as f64
            }
            Loss::MeanSquaredError => {
                let scale = F::of(2.0 / pred.len() as f64);
                let mut total = 0.0;
                for ((g, &p), &y) in grad.iter_mut().zip(pred).zip(target) {
                    let d = p - y;
                    total += (d * d).f64();
                    *g = d * scale;
                }
                total / pred.len() as f64
            }
        }
    }

    /// The loss value alone (evaluation).
    pub fn value<F: Float>(self, pred: &[F], target: &[F], width: usize, scratch: &mut [F]) -> f64 {
        self.value_and_grad(pred, target, scratch, width)
    }

    /// The name used in specs and reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Loss::BinaryCrossEntropy => "binary_crossentropy",
            Loss::CategoricalCrossEntropy => "categorical_crossentropy",
            Loss::MeanSquaredError => "mse",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::Rng;

    fn check(loss: Loss, pred: &[f64], target: &[f64], width: usize) {
        let mut grad = vec![0.0; pred.len()];
        let mut scratch = vec![0.0; pred.len()];
        loss.value_and_grad(pred, target, &mut grad, width);
        for i in 0..pred.len() {
            let h = 1e-7;
            let (mut up, mut down) = (pred.to_vec(), pred.to_vec());
            up[i] += h;
            down[i] -= h;
            let fd = (loss.value(&up, target, width, &mut scratch) - loss.value(&down, target, width, &mut scratch))
                / (2.0 * h);
            let rel = (fd - grad[i]).abs() / fd.abs().max(grad[i].abs()).max(1e-8);
            assert!(rel < 1e-6, "{loss:?}[{i}]: fd {fd} vs {}", grad[i]);
        }
    }

    #[test]
    fn gradients_match_finite_differences() {
        let mut rng = Rng::new(2);
        let p: Vec<f64> = (0..6).map(|_| rng.uniform(0.05, 0.95)).collect();
        let y: Vec<f64> = (0..6).map(|i| (i % 2) as f64).collect();
        check(Loss::BinaryCrossEntropy, &p, &y, 1);
        check(Loss::MeanSquaredError, &p, &y, 2);
        // Rows of softmax-like (not normalised, to exercise the Σp term) and one-hot targets.
        let onehot = [0.0, 1.0, 0.0, 1.0, 0.0, 0.0];
        check(Loss::CategoricalCrossEntropy, &p, &onehot, 3);
    }

    #[test]
    fn keras_reference_values() {
        let mut g = [0.0; 2];
        // keras.losses.binary_crossentropy([1, 0], [0.9, 0.2]) = mean(−ln .9, −ln .8)
        let v = Loss::BinaryCrossEntropy.value_and_grad(&[0.9f64, 0.2], &[1.0, 0.0], &mut g, 1);
        assert!((v - (-(0.9f64.ln()) - 0.8f64.ln()) / 2.0).abs() < 1e-12);
        // Clipping: p = 0 with y = 1 gives −ln(1e−7) and no gradient.
        let v = Loss::BinaryCrossEntropy.value_and_grad(&[0.0f64, 1.0], &[1.0, 1.0], &mut g, 1);
        assert!((v - (-(1e-7f64).ln() - (1.0 - 1e-7f64).ln()) / 2.0).abs() < 1e-12 && g == [0.0, 0.0]);
        let mut g3 = [0.0; 3];
        let v = Loss::CategoricalCrossEntropy.value_and_grad(&[0.2f64, 0.7, 0.1], &[0.0, 1.0, 0.0], &mut g3, 3);
        assert!((v + 0.7f64.ln()).abs() < 1e-12);
        let v = Loss::MeanSquaredError.value_and_grad(&[1.0f64, 3.0], &[0.0, 1.0], &mut g, 1);
        assert_eq!((v, g), (2.5, [1.0, 2.0]));
    }
}
