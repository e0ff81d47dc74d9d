//! Feature (and target) scaling, fitted on training data and saved with the model.
//!
//! Weight penalties punish large weights, so their effect depends on the units of each
//! feature; scaling makes the penalty treat features evenly. The fitted parameters must be
//! stored next to the model so that prediction applies the very same transform, hence the
//! serde support and the validation on load.

use ndarray::{Array1, Array2, ArrayView1, ArrayView2, Axis};
use serde::{Deserialize, Serialize};

use crate::DataError;

/// Which transform a [`Scaler`] applies.
///
/// In specs a string (`"standard"`) or, for a fixed divisor, a table: `{ divide = 255 }`.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Scaling {
    /// Identity; the data is used as is.
    #[default]
    None,
    /// Zero mean, unit population variance per column (scikit-learn `StandardScaler`).
    Standard,
    /// Each column mapped onto `[0, 1]` (scikit-learn `MinMaxScaler`).
    MinMax,
    /// Every column divided by the same fixed number (raw 0…255 pixels: `{ divide = 255 }`),
    /// nothing fitted: the transform does not depend on which rows are training rows.
    Divide(Divisor),
}

/// The divisor of [`Scaling::Divide`]: finite and > 0. Zero and non-finite values would make
/// every input infinite or NaN; a negative one would only flip the inputs' signs, which no
/// network needs, so it is refused too rather than given a meaning.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "f64", into = "f64")]
pub struct Divisor(f64);

impl Divisor {
    /// The divisor, checked.
    pub fn new(value: f64) -> Result<Divisor, DataError> {
        if value.is_finite() && value > 0.0 {
            Ok(Divisor(value))
        } else {
            Err(DataError::InvalidParameter {
                name: "scaling.divide",
                value: value.to_string(),
                reason: "must be finite and > 0".into(),
            })
        }
    }

    /// The number inputs are divided by.
    pub fn get(self) -> f64 {
        self.0
    }
}

impl TryFrom<f64> for Divisor {
    type Error = DataError;
    fn try_from(value: f64) -> Result<Self, DataError> {
        Divisor::new(value)
    }
}

impl From<Divisor> for f64 {
    fn from(d: Divisor) -> f64 {
        d.0
    }
}

impl Scaling {
    /// The name used in specs and messages: `standard`, `minmax`, `none`, `divide 255`.
    pub fn describe(self) -> String {
        match self {
            Scaling::None => "none".into(),
            Scaling::Standard => "standard".into(),
            Scaling::MinMax => "minmax".into(),
            Scaling::Divide(d) => format!("divide {}", d.get()),
        }
    }
}

/// A fitted per-column affine map `z = (x - offset) / scale`.
///
/// `scale` is never zero or non-finite: constant columns get scale 1 (as in scikit-learn),
/// and deserialization rejects parameters that would break that promise.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "RawScaler")]
pub struct Scaler {
    kind: Scaling,
    offset: Vec<f64>,
    scale: Vec<f64>,
}

/// Unvalidated mirror of [`Scaler`] used only to check JSON on load.
#[derive(Deserialize)]
struct RawScaler {
    kind: Scaling,
    offset: Vec<f64>,
    scale: Vec<f64>,
}

impl TryFrom<RawScaler> for Scaler {
    type Error = DataError;

    fn try_from(raw: RawScaler) -> Result<Self, DataError> {
        if raw.offset.len() != raw.scale.len() {
            return Err(DataError::InvalidScaler(format!(
                "{} offsets but {} scales",
                raw.offset.len(),
                raw.scale.len()
            )));
        }
        if let Some((j, v)) = raw.offset.iter().enumerate().find(|(_, v)| !v.is_finite()) {
            return Err(DataError::InvalidScaler(format!("offset[{j}] = {v} is not finite")));
        }
        if let Some((j, v)) = raw.scale.iter().enumerate().find(|(_, v)| !v.is_finite() || **v == 0.0) {
            return Err(DataError::InvalidScaler(format!("scale[{j}] = {v} must be finite and non-zero")));
        }
        Ok(Scaler { kind: raw.kind, offset: raw.offset, scale: raw.scale })
    }
}

impl Scaler {
    /// The identity on `columns` columns (kind `none`), for inputs nothing was fitted on.
    pub fn identity(columns: usize) -> Scaler {
        Scaler { kind: Scaling::None, offset: vec![0.0; columns], scale: vec![1.0; columns] }
    }

    /// A scaler for the columns `keep` of this one, in that order (pruning unused inputs).
    pub fn select(&self, keep: &[usize]) -> Result<Scaler, DataError> {
        let n = self.offset.len();
        if let Some(&bad) = keep.iter().find(|&&c| c >= n) {
            return Err(DataError::InvalidScaler(format!("column {bad} selected from a scaler of {n} columns")));
        }
        Ok(Scaler {
            kind: self.kind,
            offset: keep.iter().map(|&c| self.offset[c]).collect(),
            scale: keep.iter().map(|&c| self.scale[c]).collect(),
        })
    }

    /// Learns per-column parameters from `x` (rows are samples).
    ///
    /// Fails on an empty matrix or any NaN/infinite value, since either would silently
    /// poison every transformed value.
    pub fn fit(kind: Scaling, x: ArrayView2<f64>) -> Result<Scaler, DataError> {
        let (rows, cols) = x.dim();
        if rows == 0 || cols == 0 {
            return Err(DataError::EmptyMatrix { rows, cols });
        }
        if let Some(((row, column), &value)) = x.indexed_iter().find(|(_, v)| !v.is_finite()) {
            return Err(DataError::NonFinite { row: row + 1, column: column + 1, value });
        }
        let (offset, scale) = match kind {
            Scaling::None => (vec![0.0; cols], vec![1.0; cols]),
            Scaling::Standard => x.axis_iter(Axis(1)).map(standard_params).unzip(),
            Scaling::MinMax => x.axis_iter(Axis(1)).map(minmax_params).unzip(),
            Scaling::Divide(d) => (vec![0.0; cols], vec![d.get(); cols]),
        };
        Ok(Scaler { kind, offset, scale })
    }

    /// Fits on a single column, typically a regression target.
    pub fn fit_column(kind: Scaling, values: ArrayView1<f64>) -> Result<Scaler, DataError> {
        Scaler::fit(kind, values.insert_axis(Axis(1)))
    }

    /// The transform this scaler applies.
    pub fn kind(&self) -> Scaling {
        self.kind
    }

    /// Number of columns it was fitted on.
    pub fn n_features(&self) -> usize {
        self.offset.len()
    }

    /// Per-column value subtracted first (mean or minimum).
    pub fn offset(&self) -> &[f64] {
        &self.offset
    }

    /// Per-column divisor applied after the offset (std or range; 1 for constant columns).
    pub fn scale(&self) -> &[f64] {
        &self.scale
    }

    /// Applies the fitted map; the column count must match the fit.
    pub fn transform(&self, x: ArrayView2<f64>) -> Result<Array2<f64>, DataError> {
        self.check_cols(x.ncols())?;
        let mut out = x.to_owned();
        for (mut col, (&o, &s)) in out.axis_iter_mut(Axis(1)).zip(self.offset.iter().zip(&self.scale)) {
            col.mapv_inplace(|v| (v - o) / s);
        }
        Ok(out)
    }

    /// Undoes [`Scaler::transform`], e.g. to report values in the user's units.
    pub fn inverse_transform(&self, z: ArrayView2<f64>) -> Result<Array2<f64>, DataError> {
        self.check_cols(z.ncols())?;
        let mut out = z.to_owned();
        for (mut col, (&o, &s)) in out.axis_iter_mut(Axis(1)).zip(self.offset.iter().zip(&self.scale)) {
            col.mapv_inplace(|v| v * s + o);
        }
        Ok(out)
    }

    /// Transforms values of one fitted column (e.g. a regression target).
    pub fn transform_column(&self, column: usize, values: ArrayView1<f64>) -> Result<Array1<f64>, DataError> {
        let (o, s) = self.column_params(column)?;
        Ok(values.mapv(|v| (v - o) / s))
    }

    /// Maps scaled values of one column back, so predictions are reported in original units.
    pub fn inverse_transform_column(&self, column: usize, values: ArrayView1<f64>) -> Result<Array1<f64>, DataError> {
        let (o, s) = self.column_params(column)?;
        Ok(values.mapv(|v| v * s + o))
    }

    fn check_cols(&self, found: usize) -> Result<(), DataError> {
        if found == self.n_features() {
            Ok(())
        } else {
            Err(DataError::ColumnMismatch { expected: self.n_features(), found })
        }
    }

    fn column_params(&self, column: usize) -> Result<(f64, f64), DataError> {
        match (self.offset.get(column), self.scale.get(column)) {
            (Some(&o), Some(&s)) => Ok((o, s)),
            _ => Err(DataError::InvalidParameter {
                name: "column",
                value: column.to_string(),
                reason: format!("scaler has {} columns", self.n_features()),
            }),
        }
    }
}

/// Mean and population std; columns whose variance is within rounding error of zero get
/// scale 1, using scikit-learn's bound so near-constant columns are treated identically.
fn standard_params(col: ArrayView1<f64>) -> (f64, f64) {
    let n = col.len() as f64;
    let mean = col.sum() / n;
    let var = col.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / n;
    let eps = f64::EPSILON;
    let bound = n * eps * var + (n * mean * eps).powi(2);
    let scale = if var <= bound { 1.0 } else { var.sqrt() };
    (mean, scale)
}

/// Minimum and range; a range below `10 * eps` counts as constant (scikit-learn's rule).
fn minmax_params(col: ArrayView1<f64>) -> (f64, f64) {
    let min = col.iter().copied().fold(f64::INFINITY, f64::min);
    let max = col.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let range = max - min;
    let scale = if range < 10.0 * f64::EPSILON { 1.0 } else { range };
    (min, scale)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    fn close(a: &Array2<f64>, b: &Array2<f64>) -> bool {
        a.shape() == b.shape() && a.iter().zip(b).all(|(x, y)| (x - y).abs() < 1e-12)
    }

    #[test]
    fn standard_matches_sklearn() {
        // StandardScaler().fit_transform([[1, 5], [2, 5], [3, 5], [6, 5]])
        let x = array![[1.0, 5.0], [2.0, 5.0], [3.0, 5.0], [6.0, 5.0]];
        let s = Scaler::fit(Scaling::Standard, x.view()).unwrap();
        assert_eq!(s.offset(), &[3.0, 5.0]);
        assert!((s.scale()[0] - 3.5f64.sqrt()).abs() < 1e-15);
        assert_eq!(s.scale()[1], 1.0);
        let z = s.transform(x.view()).unwrap();
        let r = 3.5f64.sqrt();
        let want = array![[-2.0 / r, 0.0], [-1.0 / r, 0.0], [0.0, 0.0], [3.0 / r, 0.0]];
        assert!(close(&z, &want), "{z}");
        assert!(close(&s.inverse_transform(z.view()).unwrap(), &x));
    }

    #[test]
    fn near_constant_column_gets_unit_scale() {
        let x = array![[0.1], [0.1], [0.1]];
        let s = Scaler::fit(Scaling::Standard, x.view()).unwrap();
        assert_eq!(s.scale(), &[1.0]);
    }

    #[test]
    fn minmax_maps_to_unit_interval() {
        let x = array![[-1.0, 2.0], [3.0, 2.0], [1.0, 2.0]];
        let s = Scaler::fit(Scaling::MinMax, x.view()).unwrap();
        let z = s.transform(x.view()).unwrap();
        assert!(close(&z, &array![[0.0, 0.0], [1.0, 0.0], [0.5, 0.0]]), "{z}");
        assert!(close(&s.inverse_transform(z.view()).unwrap(), &x));
    }

    #[test]
    fn none_is_identity() {
        let x = array![[1.5, -2.0]];
        let s = Scaler::fit(Scaling::None, x.view()).unwrap();
        assert_eq!(s.transform(x.view()).unwrap(), x);
        assert_eq!(s.kind(), Scaling::None);
        assert_eq!(s.n_features(), 2);
    }

    #[test]
    fn column_helpers_for_targets() {
        let y = array![10.0, 20.0, 30.0];
        let s = Scaler::fit_column(Scaling::Standard, y.view()).unwrap();
        let z = s.transform_column(0, y.view()).unwrap();
        assert!((z.sum()).abs() < 1e-12);
        let back = s.inverse_transform_column(0, z.view()).unwrap();
        assert!(back.iter().zip(&y).all(|(a, b)| (a - b).abs() < 1e-12));
        let e = s.transform_column(1, y.view()).unwrap_err();
        assert!(e.to_string().contains("column = 1"), "{e}");
        assert!(s.inverse_transform_column(5, y.view()).is_err());
    }

    #[test]
    fn fit_errors() {
        let empty = Array2::<f64>::zeros((0, 3));
        let e = Scaler::fit(Scaling::Standard, empty.view()).unwrap_err();
        assert!(e.to_string().contains("empty 0x3"), "{e}");
        assert!(Scaler::fit(Scaling::None, Array2::<f64>::zeros((2, 0)).view()).is_err());
        let x = array![[1.0, 2.0], [f64::NAN, 3.0]];
        let e = Scaler::fit(Scaling::MinMax, x.view()).unwrap_err();
        // x[[1, 0]], numbered from 1
        assert!(e.to_string().contains("row 2, column 1"), "{e}");
        let x = array![[1.0, f64::INFINITY]];
        assert!(Scaler::fit(Scaling::None, x.view()).is_err());
    }

    #[test]
    fn column_count_mismatch() {
        let s = Scaler::fit(Scaling::Standard, array![[1.0, 2.0], [3.0, 4.0]].view()).unwrap();
        let e = s.transform(array![[1.0]].view()).unwrap_err();
        assert!(e.to_string().contains("fitted on 2 columns, got 1"), "{e}");
        assert!(s.inverse_transform(array![[1.0, 2.0, 3.0]].view()).is_err());
    }

    #[test]
    fn serde_names_and_round_trip() {
        for (k, name) in
            [(Scaling::None, "\"none\""), (Scaling::Standard, "\"standard\""), (Scaling::MinMax, "\"minmax\"")]
        {
            assert_eq!(serde_json::to_string(&k).unwrap(), name);
            assert_eq!(serde_json::from_str::<Scaling>(name).unwrap(), k);
        }
        let s = Scaler::fit(Scaling::MinMax, array![[1.0], [4.0]].view()).unwrap();
        let json = serde_json::to_string(&s).unwrap();
        assert_eq!(json, r#"{"kind":"minmax","offset":[1.0],"scale":[3.0]}"#);
        assert_eq!(serde_json::from_str::<Scaler>(&json).unwrap(), s);
    }

    #[test]
    fn divide_is_a_fixed_divisor() {
        let x = array![[0.0, 255.0], [51.0, 102.0]];
        let kind: Scaling = serde_json::from_str(r#"{"divide":255}"#).unwrap();
        assert_eq!(kind, Scaling::Divide(Divisor::new(255.0).unwrap()));
        let s = Scaler::fit(kind, x.view()).unwrap();
        assert_eq!(s.transform(x.view()).unwrap(), array![[0.0, 1.0], [0.2, 0.4]]);
        let json = serde_json::to_string(&s).unwrap();
        assert_eq!(json, r#"{"kind":{"divide":255.0},"offset":[0.0,0.0],"scale":[255.0,255.0]}"#);
        assert_eq!(serde_json::from_str::<Scaler>(&json).unwrap(), s);
        for bad in ["0", "-1", "-0.0"] {
            let e = serde_json::from_str::<Scaling>(&format!(r#"{{"divide":{bad}}}"#)).unwrap_err().to_string();
            assert!(e.contains("scaling.divide") && e.contains("finite and > 0"), "{bad}: {e}");
        }
        for bad in [0.0, f64::NAN, f64::INFINITY, -1.0] {
            assert!(Divisor::new(bad).is_err(), "{bad}");
        }
        assert_eq!(kind.describe(), "divide 255");
    }

    #[test]
    fn deserialize_rejects_bad_parameters() {
        for bad in [
            r#"{"kind":"standard","offset":[0.0],"scale":[1.0,2.0]}"#,
            r#"{"kind":"standard","offset":[0.0],"scale":[0.0]}"#,
            r#"{"kind":"standard","offset":[0.0],"scale":[-0.0]}"#,
            r#"{"kind":"zscore","offset":[0.0],"scale":[1.0]}"#,
        ] {
            assert!(serde_json::from_str::<Scaler>(bad).is_err(), "{bad}");
        }
    }
}
