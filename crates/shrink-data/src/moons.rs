//! The two-moons toy problem, reproduced draw for draw from scikit-learn.
//!
//! Results in the shrink docs are quoted against `sklearn.datasets.make_moons`, so this is
//! not "a moons generator" but a port of that exact function: same point order, same
//! shuffle, same noise stream (see [`crate::LegacyRandomState`]).

use std::f64::consts::PI;

use ndarray::{Array1, Array2};

use crate::{DataError, Dataset, LegacyRandomState};

/// `make_moons(n_samples, noise=noise, random_state=seed)` with `shuffle=True`.
///
/// Half the points (rounded down) form the upper moon with label 0, the rest the lower
/// moon with label 1. Noise is always drawn, even when `noise == 0`, exactly as
/// scikit-learn does for `noise=0.0`, so the stream position stays comparable.
///
/// Features are named `x0`, `x1`; the target is `y`.
pub fn moons(n_samples: usize, noise: f64, seed: u32) -> Result<Dataset, DataError> {
    if n_samples == 0 {
        return Err(DataError::InvalidParameter {
            name: "n_samples",
            value: "0".into(),
            reason: "must be at least 1".into(),
        });
    }
    if !(noise.is_finite() && noise >= 0.0) {
        return Err(DataError::InvalidParameter {
            name: "noise",
            value: noise.to_string(),
            reason: "must be a finite number >= 0".into(),
        });
    }

    let n_out = n_samples / 2;
    let n_in = n_samples - n_out;
    let mut base: Vec<([f64; 2], f64)> = Vec::with_capacity(n_samples);
    for t in linspace(0.0, PI, n_out) {
        base.push(([t.cos(), t.sin()], 0.0));
    }
    for t in linspace(0.0, PI, n_in) {
        base.push(([1.0 - t.cos(), 1.0 - t.sin() - 0.5], 1.0));
    }

    let mut rng = LegacyRandomState::new(seed);
    let order = rng.permutation(n_samples);

    let mut x = Array2::<f64>::zeros((n_samples, 2));
    let mut y = Array1::<f64>::zeros(n_samples);
    for (row, &src) in order.iter().enumerate() {
        // In bounds: `order` is a permutation of 0..n_samples and base has n_samples points.
        let ([a, b], label) = base[src];
        // Noise is added after reindexing and drawn row-major, like `X += normal(size=(n, 2))`.
        x[[row, 0]] = a + rng.normal(0.0, noise);
        x[[row, 1]] = b + rng.normal(0.0, noise);
        y[row] = label;
    }

    Dataset::new(x, y, vec!["x0".into(), "x1".into()], "y")
}

/// `numpy.linspace(start, stop, num)` with its exact rounding: `i * step + start`, last
/// element pinned to `stop`.
fn linspace(start: f64, stop: f64, num: usize) -> Vec<f64> {
    match num {
        0 => Vec::new(),
        1 => vec![start],
        _ => {
            let step = (stop - start) / (num - 1) as f64;
            let mut v: Vec<f64> = (0..num).map(|i| i as f64 * step + start).collect();
            v[num - 1] = stop;
            v
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// scikit-learn's `make_moons(100, noise=0.2, random_state=1)`, kept in the repository.
    const FIXTURE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/moons_100_0.2_seed1.csv");

    #[test]
    fn matches_scikit_learn_fixture() {
        let expected = crate::read_csv(std::path::Path::new(FIXTURE), "y").unwrap();
        let got = moons(100, 0.2, 1).unwrap();
        assert_eq!(got.feature_names, expected.feature_names);
        assert_eq!(got.target_name, expected.target_name);
        assert_eq!(got.y, expected.y);
        let max_diff = (&got.x - &expected.x).iter().fold(0.0f64, |m, d| m.max(d.abs()));
        assert!(max_diff < 1e-12, "max abs difference {max_diff}");
    }

    #[test]
    fn linspace_matches_numpy_rules() {
        assert!(linspace(0.0, 1.0, 0).is_empty());
        assert_eq!(linspace(2.0, 5.0, 1), vec![2.0]);
        assert_eq!(linspace(0.0, 1.0, 5), vec![0.0, 0.25, 0.5, 0.75, 1.0]);
        assert_eq!(*linspace(0.0, PI, 7).last().unwrap(), PI);
    }

    #[test]
    fn odd_count_puts_extra_point_in_inner_moon() {
        let ds = moons(7, 0.1, 3).unwrap();
        assert_eq!(ds.len(), 7);
        assert_eq!(ds.n_features(), 2);
        assert_eq!(ds.y.iter().filter(|&&v| v == 0.0).count(), 3);
        assert_eq!(ds.y.iter().filter(|&&v| v == 1.0).count(), 4);
    }

    #[test]
    fn single_sample_is_inner_moon_start() {
        let ds = moons(1, 0.0, 0).unwrap();
        assert_eq!(ds.y.to_vec(), vec![1.0]);
        assert_eq!(ds.x.row(0).to_vec(), vec![0.0, 0.5]);
    }

    #[test]
    fn zero_noise_gives_exact_curve_points_in_shuffled_order() {
        let ds = moons(7, 0.0, 3).unwrap();
        let perm = LegacyRandomState::new(3).permutation(7);
        let outer = linspace(0.0, PI, 3);
        let inner = linspace(0.0, PI, 4);
        for (row, &src) in perm.iter().enumerate() {
            let (x0, x1, label) = if src < 3 {
                (outer[src].cos(), outer[src].sin(), 0.0)
            } else {
                let t = inner[src - 3];
                (1.0 - t.cos(), 1.0 - t.sin() - 0.5, 1.0)
            };
            assert_eq!(ds.x[[row, 0]], x0);
            assert_eq!(ds.x[[row, 1]], x1);
            assert_eq!(ds.y[row], label);
        }
    }

    #[test]
    fn same_seed_same_data_other_seed_differs() {
        assert_eq!(moons(20, 0.3, 9).unwrap(), moons(20, 0.3, 9).unwrap());
        assert_ne!(moons(20, 0.3, 9).unwrap().x, moons(20, 0.3, 10).unwrap().x);
    }

    #[test]
    fn rejects_bad_parameters() {
        let e = moons(0, 0.1, 0).unwrap_err();
        assert!(e.to_string().contains("n_samples"), "{e}");
        for bad in [-0.1, f64::NAN, f64::INFINITY] {
            let e = moons(10, bad, 0).unwrap_err();
            assert!(e.to_string().contains("noise"), "{e}");
        }
    }
}
