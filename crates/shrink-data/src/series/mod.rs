//! Time series as supervised windows: the `[series]` table of a spec, reading the series from a
//! CSV, turning it into windows for a recurrent (or convolutional) network, the chronological
//! split, and turning a prediction back into the series' units.
//!
//! # Definitions
//!
//! Let `v[r]` be a series column's value on data row `r` (0-based, file order) and `z[r]` its
//! transformed level: `ln v[r]` with `transform = ["log"]`, else `v[r]`. A window **ends** at
//! row `t` (its origin) and covers rows `t − window + 1 … t`, oldest first. Per step `k`
//! (`0 … window − 1`) and series column `c` its input is
//!
//! - without `"difference"`: `z_c[t − window + 1 + k]`;
//! - with `"difference"`: `z_c[t − window + 1 + k] − z_c[t − window + k]`, the first difference
//!   (so a window needs `window + 1` rows: its **context**).
//!
//! The inputs of one window are stored step-major, `x[k · n_columns + c]`: the
//! `[window, n_columns]` per-sample layout of [`crate`]'s consumers' LSTM and Conv1D layers.
//!
//! The target (in *transformed* units, what the network learns) is, for the target column,
//! `z[t + horizon] − z[t]` with `"difference"` (the change from the window's last level to the
//! level `horizon` steps later) and `z[t + horizon]` without. The **anchor** of a window is
//! `z[t]`. A prediction `p` in transformed units goes back to the series' units by
//! [`SeriesSpec::invert`]: `ẑ = z[t] + p` with `"difference"` (else `ẑ = p`), then `exp(ẑ)` with
//! `"log"` (else `ẑ`). Anything applied to the target after this stage (a target scaler) must be
//! undone before it.
//!
//! Windows whose context reaches before the first row are skipped, never padded: a table of `n`
//! rows gives `n − context − horizon + 1` windows with a target (training, evaluation) and
//! `n − context + 1` windows to forecast from (the last ones forecast past the end of the file).

use serde::{Deserialize, Serialize};

use crate::clip::summarize;
use crate::DataError;

mod read;
mod windows;

pub use read::SeriesTable;
pub use windows::Windows;

/// Most elements one window may hold (`window × n_columns`), the same cap as a tensor of the
/// network (`shrink::nn::MAX_TENSOR_ELEMENTS`), and the most elements of all windows together.
pub const MAX_WINDOW_ELEMENTS: usize = 1 << 28;

/// A transform of the series' values, applied before windowing (log first, then difference).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Transform {
    /// Natural logarithm of every value (all values must be > 0).
    Log,
    /// First differences of the (logged) levels; the target becomes a change of level.
    Difference,
}

/// The `[series]` table of a spec, validated: which columns form the series, which of them is
/// the target, the window, the horizon, the transforms and the season of the seasonal-naive
/// baseline. It has no fitted parameters (input scaling lives in the model's scaler), so the
/// same value is the stored input stage of a model file's pipeline ([`crate::InputStage::Series`]).
///
/// ```toml
/// [series]
/// column = "passengers"             # or columns = ["passengers", "fuel"]; the target defaults to the first
/// window = 12                       # steps per window (≥ 1)
/// horizon = 1                       # predict the value this many steps after the window's last (default 1)
/// transform = ["log", "difference"] # either, both (in this order) or none (default)
/// season = 12                       # optional: seasonal-naive baseline beside the model's scores
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "RawSeries", into = "RawSeries")]
pub struct SeriesSpec {
    columns: Vec<String>,
    target: usize,
    window: usize,
    horizon: usize,
    log: bool,
    difference: bool,
    season: Option<usize>,
}

/// The table as written; [`SeriesSpec`] is what survives validation. Saved files use the
/// resolved form (`columns` and `target` always given).
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSeries {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    column: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    columns: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    target: Option<String>,
    window: usize,
    #[serde(default = "one")]
    horizon: usize,
    #[serde(default)]
    transform: Vec<Transform>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    season: Option<usize>,
}

fn one() -> usize {
    1
}

fn invalid(name: &'static str, value: impl ToString, reason: impl Into<String>) -> DataError {
    DataError::InvalidParameter { name, value: value.to_string(), reason: reason.into() }
}

impl TryFrom<RawSeries> for SeriesSpec {
    type Error = DataError;

    // Messages quote the key (`window`) so that the spec reader can point at its line.
    fn try_from(raw: RawSeries) -> Result<Self, DataError> {
        let columns = match (raw.column, raw.columns) {
            (Some(c), None) => vec![c],
            (None, Some(cs)) if !cs.is_empty() => cs,
            (None, Some(_)) => return Err(invalid("series.columns", "[]", "`columns` must name at least one column")),
            (None, None) => {
                return Err(invalid("series.column", "(missing)", "give `column = \"name\"` or `columns = [...]`"))
            }
            (Some(_), Some(_)) => {
                return Err(invalid("series.columns", "(both given)", "give `column` or `columns`, not both"))
            }
        };
        for (i, c) in columns.iter().enumerate() {
            if c.trim().is_empty() {
                return Err(invalid("series.columns", format!("[{i}] = \"\""), "`columns` holds an empty name"));
            }
            if columns[..i].contains(c) {
                return Err(invalid("series.columns", summarize(c), "`columns` names this column twice"));
            }
        }
        let target = match raw.target {
            None => 0,
            Some(t) => columns.iter().position(|c| *c == t).ok_or_else(|| {
                invalid(
                    "series.target",
                    summarize(&t),
                    format!("`target` must be one of the series columns [{}]", crate::summarize_list(&columns)),
                )
            })?,
        };
        if raw.window == 0 {
            return Err(invalid("series.window", 0, "`window` must be ≥ 1"));
        }
        if raw.window.checked_mul(columns.len()).is_none_or(|n| n > MAX_WINDOW_ELEMENTS) {
            return Err(invalid(
                "series.window",
                raw.window,
                format!("`window` × {} columns exceeds {MAX_WINDOW_ELEMENTS} inputs per sample", columns.len()),
            ));
        }
        if raw.horizon == 0 || raw.horizon > MAX_WINDOW_ELEMENTS {
            return Err(invalid("series.horizon", raw.horizon, format!("`horizon` must be 1 … {MAX_WINDOW_ELEMENTS}")));
        }
        let (log, difference) = match raw.transform.as_slice() {
            [] => (false, false),
            [Transform::Log] => (true, false),
            [Transform::Difference] => (false, true),
            [Transform::Log, Transform::Difference] => (true, true),
            other => return Err(invalid(
                "series.transform",
                format!("{other:?}"),
                "`transform` is [], [\"log\"], [\"difference\"] or [\"log\", \"difference\"] (log is applied first)",
            )),
        };
        let spec =
            SeriesSpec { columns, target, window: raw.window, horizon: raw.horizon, log, difference, season: None };
        if let Some(s) = raw.season {
            // The baseline's value for the first window must lie inside the file: lag ≤ context − 1 + horizon.
            let reach = spec.context() - 1 + spec.horizon;
            if s == 0 || s > MAX_WINDOW_ELEMENTS || spec.lag(s) > reach {
                return Err(invalid(
                    "series.season",
                    s,
                    format!(
                        "`season` must be ≥ 1 and reach at most {reach} rows back (window + horizon − 1{})",
                        if difference { " + 1 for difference" } else { "" }
                    ),
                ));
            }
        }
        Ok(SeriesSpec { season: raw.season, ..spec })
    }
}

impl From<SeriesSpec> for RawSeries {
    fn from(s: SeriesSpec) -> Self {
        let mut transform = Vec::new();
        if s.log {
            transform.push(Transform::Log);
        }
        if s.difference {
            transform.push(Transform::Difference);
        }
        RawSeries {
            column: None,
            target: Some(s.columns[s.target].clone()),
            columns: Some(s.columns),
            window: s.window,
            horizon: s.horizon,
            transform,
            season: s.season,
        }
    }
}

impl SeriesSpec {
    /// A validated spec from its parts (the library form of the `[series]` table).
    pub fn new(
        columns: Vec<String>,
        target: Option<&str>,
        window: usize,
        horizon: usize,
        transform: &[Transform],
        season: Option<usize>,
    ) -> Result<Self, DataError> {
        RawSeries {
            column: None,
            columns: Some(columns),
            target: target.map(str::to_owned),
            window,
            horizon,
            transform: transform.to_vec(),
            season,
        }
        .try_into()
    }

    /// The series columns, in order; every one is an input.
    pub fn columns(&self) -> &[String] {
        &self.columns
    }

    /// The target column (the first of `columns` unless `target` says otherwise).
    pub fn target(&self) -> &str {
        &self.columns[self.target]
    }

    /// Index of the target in [`SeriesSpec::columns`].
    pub fn target_index(&self) -> usize {
        self.target
    }

    /// Steps per window.
    pub fn window(&self) -> usize {
        self.window
    }

    /// Steps from a window's last row to the row it predicts.
    pub fn horizon(&self) -> usize {
        self.horizon
    }

    /// Whether values are logged.
    pub fn log(&self) -> bool {
        self.log
    }

    /// Whether inputs and target are differences.
    pub fn difference(&self) -> bool {
        self.difference
    }

    /// The season of the seasonal-naive baseline, if any.
    pub fn season(&self) -> Option<usize> {
        self.season
    }

    /// Rows one window reads: `window`, plus one with `difference`. A forecast needs this many
    /// rows of history.
    pub fn context(&self) -> usize {
        self.window + usize::from(self.difference)
    }

    /// Rows a table needs for one window with a target: context + horizon.
    pub fn min_rows(&self) -> usize {
        self.context() + self.horizon
    }

    /// The per-sample input shape of the network: `[window, n_columns]`.
    pub fn input_shape(&self) -> [usize; 2] {
        [self.window, self.columns.len()]
    }

    /// A name for each flattened input, step-major: `passengers[t-11]` … `passengers[t]`
    /// (differences with `"difference"`, logs with `"log"`).
    pub fn feature_names(&self) -> Vec<String> {
        let mut names = Vec::with_capacity(self.window * self.columns.len());
        for k in 0..self.window {
            let back = self.window - 1 - k;
            for c in &self.columns {
                names.push(if back == 0 { format!("{c}[t]") } else { format!("{c}[t-{back}]") });
            }
        }
        names
    }

    /// How many rows back the seasonal-naive forecast looks for horizon `h`: the smallest
    /// multiple of `season` that is ≥ `horizon` (so the value is known at the window's end).
    fn lag(&self, season: usize) -> usize {
        season * ((self.horizon - 1) / season + 1)
    }

    /// A prediction in transformed-target units back in the series' units, given the window's
    /// anchor `z[t]` (see the module docs): `z[t] + p` with difference, then `exp` with log.
    pub fn invert(&self, prediction: f64, anchor: f64) -> f64 {
        let level = if self.difference { anchor + prediction } else { prediction };
        if self.log {
            level.exp()
        } else {
            level
        }
    }

    /// [`SeriesSpec::invert`] over the windows' predictions, in order.
    pub fn invert_all(&self, predictions: &[f64], windows: &Windows) -> Result<Vec<f64>, DataError> {
        if predictions.len() != windows.len() {
            return Err(DataError::Shape(format!("{} predictions for {} windows", predictions.len(), windows.len())));
        }
        Ok(predictions.iter().zip(&windows.anchor).map(|(&p, &a)| self.invert(p, a)).collect())
    }
}

#[cfg(test)]
mod tests;
