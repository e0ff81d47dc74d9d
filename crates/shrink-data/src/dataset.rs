//! The in-memory table every other part of shrink trains on.
//!
//! Fields are public on purpose: the trainer wants to borrow `x` and `y` as ndarray views
//! without going through accessors, and the names travel with the data so that reports
//! and saved models can refer to columns the way the user's CSV did.

use ndarray::{Array1, Array2, Axis, Slice};

use crate::DataError;

/// A feature matrix with one target value per row.
#[derive(Debug, Clone, PartialEq)]
pub struct Dataset {
    /// Features, one row per sample.
    pub x: Array2<f64>,
    /// Target, one value per row of `x` (class label 0/1 or a regression value).
    pub y: Array1<f64>,
    /// One name per column of `x`.
    pub feature_names: Vec<String>,
    /// Name of the target column.
    pub target_name: String,
}

impl Dataset {
    /// Builds a dataset, checking the shape invariants that the public fields cannot enforce.
    ///
    /// Code that assembles a dataset from pieces should go through here so that a row-count
    /// or name-count slip is reported at construction instead of deep inside training.
    pub fn new(
        x: Array2<f64>,
        y: Array1<f64>,
        feature_names: Vec<String>,
        target_name: impl Into<String>,
    ) -> Result<Self, DataError> {
        if x.nrows() != y.len() {
            return Err(DataError::Shape(format!("x has {} rows but y has {} values", x.nrows(), y.len())));
        }
        if x.ncols() != feature_names.len() {
            return Err(DataError::Shape(format!(
                "x has {} columns but {} feature names were given",
                x.ncols(),
                feature_names.len()
            )));
        }
        Ok(Self { x, y, feature_names, target_name: target_name.into() })
    }

    /// Number of samples (rows).
    pub fn len(&self) -> usize {
        self.y.len()
    }

    /// True when there are no samples; splits and scalers refuse such datasets.
    pub fn is_empty(&self) -> bool {
        self.y.is_empty()
    }

    /// Number of feature columns.
    pub fn n_features(&self) -> usize {
        self.x.ncols()
    }

    /// Copies the given rows, in the given order (repeats allowed), keeping the names.
    ///
    /// Order is preserved because shuffled splits rely on it to reproduce scikit-learn.
    ///
    /// # Panics
    /// If any index is `>= self.len()`; indices come from code, not from user data.
    pub fn select(&self, rows: &[usize]) -> Dataset {
        Dataset {
            x: self.x.select(Axis(0), rows),
            y: self.y.select(Axis(0), rows),
            feature_names: self.feature_names.clone(),
            target_name: self.target_name.clone(),
        }
    }

    /// The first `n` rows (all of them if `n` exceeds the length), e.g. for previews.
    pub fn head(&self, n: usize) -> Dataset {
        self.rows(0, n.min(self.len()))
    }

    /// Rows `start..end`; callers guarantee `start <= end <= len`.
    pub(crate) fn rows(&self, start: usize, end: usize) -> Dataset {
        Dataset {
            // Not `s![..]`: its expansion allows unsafe code, which `forbid(unsafe_code)` rejects.
            x: self.x.slice_axis(Axis(0), Slice::from(start..end)).to_owned(),
            y: self.y.slice_axis(Axis(0), Slice::from(start..end)).to_owned(),
            feature_names: self.feature_names.clone(),
            target_name: self.target_name.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    fn sample() -> Dataset {
        Dataset::new(
            array![[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]],
            array![0.0, 1.0, 0.0],
            vec!["a".into(), "b".into()],
            "t",
        )
        .unwrap()
    }

    #[test]
    fn sizes() {
        let ds = sample();
        assert_eq!(ds.len(), 3);
        assert!(!ds.is_empty());
        assert_eq!(ds.n_features(), 2);
        assert!(ds.head(0).is_empty());
    }

    #[test]
    fn select_keeps_order_and_names() {
        let ds = sample().select(&[2, 0, 2]);
        assert_eq!(ds.x, array![[5.0, 6.0], [1.0, 2.0], [5.0, 6.0]]);
        assert_eq!(ds.y, array![0.0, 0.0, 0.0]);
        assert_eq!(ds.feature_names, vec!["a", "b"]);
        assert_eq!(ds.target_name, "t");
    }

    #[test]
    fn head_clamps() {
        let ds = sample();
        assert_eq!(ds.head(2).y, array![0.0, 1.0]);
        assert_eq!(ds.head(10), ds);
    }

    #[test]
    fn new_rejects_shape_mismatch() {
        let e = Dataset::new(array![[1.0]], array![1.0, 2.0], vec!["a".into()], "t").unwrap_err();
        assert!(e.to_string().contains("1 rows but y has 2"), "{e}");
        let e = Dataset::new(array![[1.0]], array![1.0], vec![], "t").unwrap_err();
        assert!(e.to_string().contains("0 feature names"), "{e}");
    }
}
