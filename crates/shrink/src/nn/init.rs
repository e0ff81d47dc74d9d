use crate::rng::Rng;
use crate::Float;
use serde::{Deserialize, Serialize};

/// How a parameter's first values are drawn (Keras names and formulas).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Initializer {
    /// Uniform in ±√(6/(fan_in+fan_out)); Keras' default for kernels.
    #[default]
    GlorotUniform,
    /// Uniform in ±√(6/fan_in); suits relu layers.
    HeUniform,
    /// All zeros; Keras' default for biases.
    Zeros,
    /// A (semi-)orthogonal `[fan_in, fan_out]` matrix: Q of the QR decomposition of a standard
    /// normal matrix, signs fixed by diag(R) (Keras' `Orthogonal`, gain 1). Columns are
    /// orthonormal when `fan_in ≥ fan_out`, rows otherwise. Keras' default for recurrent kernels.
    Orthogonal,
}

impl Initializer {
    /// Fills `values` (row-major `[fan_in, fan_out]`) for a weight with the given fans.
    pub fn fill<F: Float>(self, values: &mut [F], fan_in: usize, fan_out: usize, rng: &mut Rng) {
        let limit = match self {
            Initializer::GlorotUniform => (6.0 / (fan_in + fan_out).max(1) as f64).sqrt(),
            Initializer::HeUniform => (6.0 / fan_in.max(1) as f64).sqrt(),
            Initializer::Zeros => {
                values.fill(F::zero());
                return;
            }
            Initializer::Orthogonal => {
                orthogonal(values, fan_in, fan_out, rng);
                return;
            }
        };
        for v in values {
            *v = F::of(rng.uniform(-limit, limit));
        }
    }
}

/// Keras' orthogonal initializer: draw a normal `[max, min]` matrix `A` (rows × cols,
/// `max = max(rows, cols)`), take `Q` of `A = QR` with `Q` scaled by `sign(diag R)`, and
/// transpose it when the weight is wide. Gram–Schmidt yields the QR whose `R` has a positive
/// diagonal, which is exactly the sign-corrected `Q`; it is run twice per column ("twice is
/// enough") so `Q` is orthonormal to rounding.
fn orthogonal<F: Float>(values: &mut [F], rows: usize, cols: usize, rng: &mut Rng) {
    let (tall, short) = (rows.max(cols), rows.min(cols));
    if short == 0 {
        return;
    }
    // Column-major: column j is a[j*tall..(j+1)*tall] of the tall × short matrix A.
    let mut a: Vec<f64> = Vec::with_capacity(tall * short);
    let mut drawn = vec![0.0; tall * short];
    for v in drawn.iter_mut() {
        *v = rng.normal();
    }
    // `drawn` is row-major tall × short (the order Keras draws it in); store columns.
    for j in 0..short {
        a.extend((0..tall).map(|i| drawn[i * short + j]));
    }
    for j in 0..short {
        let (done, rest) = a.split_at_mut(j * tall);
        let col = &mut rest[..tall];
        for _ in 0..2 {
            for q in done.chunks_exact(tall) {
                let proj: f64 = q.iter().zip(col.iter()).map(|(x, y)| x * y).sum();
                col.iter_mut().zip(q).for_each(|(c, x)| *c -= proj * x);
            }
        }
        let norm = col.iter().map(|x| x * x).sum::<f64>().sqrt();
        // A normal matrix is rank-deficient with probability 0; guard anyway.
        let inv = if norm > 0.0 { 1.0 / norm } else { 0.0 };
        col.iter_mut().for_each(|c| *c *= inv);
    }
    for i in 0..tall {
        for j in 0..short {
            let q = F::of(a[j * tall + i]);
            if rows >= cols {
                values[i * cols + j] = q; // Q is rows × cols
            } else {
                values[j * cols + i] = q; // Qᵀ is rows × cols
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn orthogonal_has_orthonormal_columns_or_rows() {
        let mut rng = Rng::new(4);
        for (rows, cols) in [(5, 5), (16, 16), (12, 4), (4, 12), (64, 256), (1, 3), (3, 1)] {
            let mut w = vec![0.0f64; rows * cols];
            Initializer::Orthogonal.fill(&mut w, rows, cols, &mut rng);
            // Gram matrix of the short side: WᵀW (tall or square) or WWᵀ (wide) must be I.
            let short = rows.min(cols);
            let at = |i: usize, j: usize| if rows >= cols { w[i * cols + j] } else { w[j * cols + i] };
            let mut worst = 0.0f64;
            for p in 0..short {
                for q in 0..short {
                    let g: f64 = (0..rows.max(cols)).map(|i| at(i, p) * at(i, q)).sum();
                    let want = if p == q { 1.0 } else { 0.0 };
                    worst = worst.max((g - want).abs());
                }
            }
            assert!(worst < 1e-12, "{rows}x{cols}: |Gram − I| = {worst}");
            if rows == cols {
                // Square: both QᵀQ and QQᵀ are I.
                for p in 0..rows {
                    for q in 0..rows {
                        let g: f64 = (0..cols).map(|k| w[p * cols + k] * w[q * cols + k]).sum();
                        assert!((g - f64::from(p == q)).abs() < 1e-12);
                    }
                }
            }
        }
        // f32 too, and deterministic per seed.
        let (mut a, mut b) = (vec![0.0f32; 32 * 128], vec![0.0f32; 32 * 128]);
        Initializer::Orthogonal.fill(&mut a, 32, 128, &mut Rng::new(1));
        Initializer::Orthogonal.fill(&mut b, 32, 128, &mut Rng::new(1));
        assert_eq!(a, b);
        let g: f32 = a[..128].iter().map(|x| x * x).sum();
        assert!((g - 1.0).abs() < 1e-5);
    }

    #[test]
    fn orthogonal_signs_follow_diag_r() {
        // With sign correction, Q's first column has a positive dot with A's first column
        // (R₀₀ = ‖a₀‖ > 0): Q₀ = a₀ / ‖a₀‖.
        let (rows, cols) = (6, 3);
        let mut w = vec![0.0f64; rows * cols];
        Initializer::Orthogonal.fill(&mut w, rows, cols, &mut Rng::new(8));
        let mut rng = Rng::new(8);
        let a: Vec<f64> = (0..rows * cols).map(|_| rng.normal()).collect();
        let norm = (0..rows).map(|i| a[i * cols].powi(2)).sum::<f64>().sqrt();
        for i in 0..rows {
            assert!((w[i * cols] - a[i * cols] / norm).abs() < 1e-12);
        }
    }
}
