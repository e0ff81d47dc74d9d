//! Train/test splits.
//!
//! Both splits refuse to produce an empty side: an empty training set cannot be fitted
//! and an empty test set makes every reported score meaningless, and both are far easier
//! to diagnose here than as a NaN accuracy later.

use crate::{DataError, Dataset, LegacyRandomState};

/// First `n_first` rows, then the rest, in file order (for data that is already ordered,
/// e.g. by time, where shuffling would leak the future into training).
///
/// Requires `1 <= n_first < ds.len()`.
pub fn split_at(ds: &Dataset, n_first: usize) -> Result<(Dataset, Dataset), DataError> {
    if n_first == 0 || n_first >= ds.len() {
        return Err(DataError::InvalidParameter {
            name: "n_first",
            value: n_first.to_string(),
            reason: format!("must leave at least one row on each side of a dataset with {} rows", ds.len()),
        });
    }
    Ok((ds.rows(0, n_first), ds.rows(n_first, ds.len())))
}

/// Random `(train, test)` split with `ceil(n * test_fraction)` test rows.
///
/// Reproduces scikit-learn's `train_test_split(..., test_size=test_fraction,
/// random_state=seed)` row for row when `seed < 2**32`: a legacy `RandomState` permutation
/// whose first `n_test` entries are the test rows and the rest the training rows, both in
/// permutation order. Larger seeds use their low 32 bits (scikit-learn rejects them).
pub fn shuffle_split(ds: &Dataset, test_fraction: f64, seed: u64) -> Result<(Dataset, Dataset), DataError> {
    let (train, test) = shuffle_split_indices(ds.len(), test_fraction, seed)?;
    Ok((ds.select(&train), ds.select(&test)))
}

/// The rows [`shuffle_split`] puts on each side of `n` rows, `(train, test)`: for tables that
/// are split before they become a [`Dataset`] (categories are fitted on the training rows).
pub fn shuffle_split_indices(n: usize, test_fraction: f64, seed: u64) -> Result<(Vec<usize>, Vec<usize>), DataError> {
    let invalid = |reason: String| DataError::InvalidParameter {
        name: "test_fraction",
        value: test_fraction.to_string(),
        reason,
    };
    if !(test_fraction > 0.0 && test_fraction < 1.0) {
        return Err(invalid("must be strictly between 0 and 1".into()));
    }
    // Same float expression as scikit-learn, so rounding at boundaries agrees with it.
    let n_test = (n as f64 * test_fraction).ceil() as usize;
    if n_test == 0 || n_test >= n {
        return Err(invalid(format!("gives {n_test} test rows out of {n}; both sides need at least one row")));
    }
    let mut rng = LegacyRandomState::new(seed as u32);
    let perm = rng.permutation(n);
    let (test, train) = perm.split_at(n_test);
    Ok((train.to_vec(), test.to_vec()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::{Array1, Array2};

    fn numbered(n: usize) -> Dataset {
        let x = Array2::from_shape_fn((n, 2), |(i, j)| (10 * i + j) as f64);
        let y = Array1::from_shape_fn(n, |i| i as f64);
        Dataset::new(x, y, vec!["a".into(), "b".into()], "y").unwrap()
    }

    #[test]
    fn split_at_keeps_order() {
        let (a, b) = split_at(&numbered(5), 2).unwrap();
        assert_eq!(a.y.to_vec(), vec![0.0, 1.0]);
        assert_eq!(b.y.to_vec(), vec![2.0, 3.0, 4.0]);
        assert_eq!(b.x[[0, 1]], 21.0);
        assert_eq!(b.feature_names, vec!["a", "b"]);
    }

    #[test]
    fn split_at_rejects_empty_sides() {
        for n in [0, 5, 6] {
            let e = split_at(&numbered(5), n).unwrap_err();
            assert!(e.to_string().contains("n_first"), "{e}");
        }
    }

    #[test]
    fn shuffle_split_matches_sklearn_permutation() {
        // train_test_split(arange(10), test_size=0.3, random_state=0): the permutation of
        // RandomState(0) is [2, 8, 4, 9, 1, 6, 7, 3, 0, 5]; ceil(0.3 * 10) == 3.
        let (train, test) = shuffle_split(&numbered(10), 0.3, 0).unwrap();
        assert_eq!(test.y.to_vec(), vec![2.0, 8.0, 4.0]);
        assert_eq!(train.y.to_vec(), vec![9.0, 1.0, 6.0, 7.0, 3.0, 0.0, 5.0]);
        assert_eq!(test.x[[0, 0]], 20.0);
    }

    #[test]
    fn shuffle_split_partitions_rows() {
        let (train, test) = shuffle_split(&numbered(17), 0.25, 1234).unwrap();
        assert_eq!(test.len(), 5);
        assert_eq!(train.len(), 12);
        let mut all: Vec<f64> = train.y.iter().chain(test.y.iter()).copied().collect();
        all.sort_by(f64::total_cmp);
        assert_eq!(all, (0..17).map(|i| i as f64).collect::<Vec<_>>());
        // Only the low 32 bits of the seed are used.
        let (_, again) = shuffle_split(&numbered(17), 0.25, 1234 + (1 << 32)).unwrap();
        assert_eq!(again, test);
    }

    #[test]
    fn shuffle_split_rejects_bad_fractions() {
        for f in [0.0, 1.0, -0.5, 1.5, f64::NAN] {
            let e = shuffle_split(&numbered(10), f, 0).unwrap_err();
            assert!(e.to_string().contains("test_fraction"), "{e}");
        }
        // 0.99 of 10 rows leaves no training row; any fraction of 1 row leaves nothing.
        assert!(shuffle_split(&numbered(10), 0.99, 0).is_err());
        assert!(shuffle_split(&numbered(1), 0.5, 0).is_err());
        assert!(shuffle_split(&numbered(0), 0.5, 0).is_err());
    }
}
