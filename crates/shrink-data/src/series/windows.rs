//! From a [`SeriesTable`] to windows and back: inputs, targets in transformed units, anchors for
//! the inversion, the chronological split, the per-column input scaler and the seasonal-naive
//! baseline. Definitions are in the module docs of [`crate::series`].

use ndarray::{Array1, Array2, Axis, Slice};

use super::{SeriesSpec, SeriesTable, MAX_WINDOW_ELEMENTS};
use crate::{DataError, Dataset, Scaler, Scaling};

/// Windows in chronological order (by their last row).
#[derive(Debug, Clone, PartialEq)]
pub struct Windows {
    /// Inputs, one row per window: `window × n_columns` values, step-major (`k · n_columns + c`).
    pub x: Array2<f64>,
    /// Targets in transformed units of the first `y.len()` windows; windows built for
    /// forecasting may end with windows whose target lies past the table (they have none).
    pub y: Array1<f64>,
    /// Each window's anchor: the transformed level `z[t]` of the target column at its last row.
    pub anchor: Vec<f64>,
    /// Each window's last row `t` (0-based data row); it predicts row `t + horizon`.
    pub origin: Vec<usize>,
}

impl Windows {
    /// Number of windows.
    pub fn len(&self) -> usize {
        self.origin.len()
    }

    /// True when there are no windows.
    pub fn is_empty(&self) -> bool {
        self.origin.is_empty()
    }

    /// Windows `start..end` (callers keep `start <= end <= len`).
    fn range(&self, start: usize, end: usize) -> Windows {
        Windows {
            x: self.x.slice_axis(Axis(0), Slice::from(start..end)).to_owned(),
            y: self.y.slice_axis(Axis(0), Slice::from(start.min(self.y.len())..end.min(self.y.len()))).to_owned(),
            anchor: self.anchor[start..end].to_vec(),
            origin: self.origin[start..end].to_vec(),
        }
    }

    /// The first `n_first` windows and the rest, in order: the chronological split. The later
    /// windows may read the end of the earlier part as their input context; their targets all
    /// come after every target of the earlier part, so none is seen in training.
    ///
    /// Requires `1 <= n_first < len`.
    pub fn split_at(&self, n_first: usize) -> Result<(Windows, Windows), DataError> {
        if n_first == 0 || n_first >= self.len() {
            return Err(DataError::InvalidParameter {
                name: "n_first",
                value: n_first.to_string(),
                reason: format!("must leave at least one window on each side of {} windows", self.len()),
            });
        }
        Ok((self.range(0, n_first), self.range(n_first, self.len())))
    }

    /// Holds out the last `ceil(len × fraction)` windows (no shuffling), like
    /// [`crate::shuffle_split`]'s count, for validating a forecaster on the future.
    pub fn split_last(&self, fraction: f64) -> Result<(Windows, Windows), DataError> {
        if !(fraction > 0.0 && fraction < 1.0) {
            return Err(DataError::InvalidParameter {
                name: "val_split",
                value: fraction.to_string(),
                reason: "must be strictly between 0 and 1".into(),
            });
        }
        let n = self.len();
        let n_val = (n as f64 * fraction).ceil() as usize;
        if n_val == 0 || n_val >= n {
            return Err(DataError::InvalidParameter {
                name: "val_split",
                value: fraction.to_string(),
                reason: format!("gives {n_val} validation windows out of {n}; both sides need at least one"),
            });
        }
        self.split_at(n - n_val)
    }

    /// The windows as a [`Dataset`] (inputs named by `spec`, the target column's name), for
    /// code that trains on tables. Requires every window to have its target.
    pub fn to_dataset(&self, spec: &SeriesSpec) -> Result<Dataset, DataError> {
        if self.y.len() != self.len() {
            return Err(DataError::Shape(format!(
                "{} of {} windows have no target",
                self.len() - self.y.len(),
                self.len()
            )));
        }
        Dataset::new(self.x.clone(), self.y.clone(), spec.feature_names(), spec.target())
    }
}

impl SeriesSpec {
    /// The transformed level `z` of column `c` on row `r`.
    fn level(&self, table: &SeriesTable, r: usize, c: usize) -> f64 {
        let v = table.values[[r, c]];
        if self.log() {
            v.ln()
        } else {
            v
        }
    }

    /// The windows of `table`: with `targets`, every window whose target row is in the table;
    /// without, every window with full context (the last ones forecast past the end). Refuses a
    /// table too short for one window and more than [`MAX_WINDOW_ELEMENTS`] inputs in all,
    /// before allocating.
    pub fn windows(&self, table: &SeriesTable, targets: bool) -> Result<Windows, DataError> {
        self.check_length(table, targets)?;
        if table.values.ncols() != self.columns().len() {
            return Err(DataError::Shape(format!(
                "the table has {} series columns, the spec names {}",
                table.values.ncols(),
                self.columns().len()
            )));
        }
        let context = self.context();
        let last = if targets { table.len() - self.horizon() } else { table.len() };
        let n = last + 1 - context; // ≥ 1: check_length
        let width = self.window() * self.columns().len();
        if n.checked_mul(width).is_none_or(|e| e > MAX_WINDOW_ELEMENTS) {
            return Err(DataError::InvalidParameter {
                name: "series.window",
                value: self.window().to_string(),
                reason: format!("{n} windows of {width} inputs exceed {MAX_WINDOW_ELEMENTS} values"),
            });
        }
        let d = usize::from(self.difference());
        let tc = self.target_index();
        let mut x = Array2::zeros((n, width));
        let mut y = Vec::with_capacity(n);
        let mut anchor = Vec::with_capacity(n);
        let mut origin = Vec::with_capacity(n);
        for (i, mut row) in x.axis_iter_mut(Axis(0)).enumerate() {
            let t = context - 1 + i;
            for k in 0..self.window() {
                let r = t + 1 + k - self.window();
                for c in 0..self.columns().len() {
                    let z = self.level(table, r, c);
                    row[k * self.columns().len() + c] = if d == 1 { z - self.level(table, r - 1, c) } else { z };
                }
            }
            let z_t = self.level(table, t, tc);
            if t + self.horizon() < table.len() {
                let z_h = self.level(table, t + self.horizon(), tc);
                y.push(if d == 1 { z_h - z_t } else { z_h });
            }
            anchor.push(z_t);
            origin.push(t);
        }
        Ok(Windows { x, y: Array1::from(y), anchor, origin })
    }

    /// The true values, in the series' units, of the windows that have a target.
    pub fn actual(&self, table: &SeriesTable, windows: &Windows) -> Vec<f64> {
        let tc = self.target_index();
        windows.origin[..windows.y.len()].iter().map(|&t| table.values[[t + self.horizon(), tc]]).collect()
    }

    /// The seasonal-naive forecast of each window with a target, in the series' units: the
    /// value of the target column `lag` rows before the predicted row, `lag` the smallest
    /// multiple of `season` that is ≥ `horizon` (so it is known at the window's end). `None`
    /// without a `season`.
    pub fn seasonal_naive(&self, table: &SeriesTable, windows: &Windows) -> Option<Vec<f64>> {
        let lag = self.lag(self.season()?);
        let tc = self.target_index();
        // lag ≤ context − 1 + horizon (checked when the spec was built) and t ≥ context − 1.
        Some(windows.origin[..windows.y.len()].iter().map(|&t| table.values[[t + self.horizon() - lag, tc]]).collect())
    }

    /// An input scaler for the windows' flattened inputs with one set of parameters per series
    /// column, fitted on every value the windows' inputs hold (all steps pooled), so that every
    /// step of a column is scaled alike and the network sees one scale per series.
    pub fn fit_scaler(&self, kind: Scaling, windows: &Windows) -> Result<Scaler, DataError> {
        let cols = self.columns().len();
        let pooled = windows
            .x
            .view()
            .into_shape_with_order((windows.len() * self.window(), cols))
            .map_err(|e| DataError::Shape(e.to_string()))?;
        let per_column = Scaler::fit(kind, pooled)?;
        let repeat: Vec<usize> = (0..self.window()).flat_map(|_| 0..cols).collect();
        per_column.select(&repeat)
    }
}
