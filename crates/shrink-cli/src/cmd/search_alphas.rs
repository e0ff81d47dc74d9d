//! `shrink search`'s alpha path around the search itself: `--alphas auto[:N]` resolved into a
//! grid (from alpha_max on --data), and after the search `DIR/alphas.csv`, where each input
//! leaves the path, the edge-of-grid warning and the two input plots (inputs used vs alpha,
//! score vs inputs kept: LassoNet's pictures). Everything is rebuilt from the trial records, so
//! a resumed search writes the same files.

use anyhow::{Context, Result};
use shrink::data::Dataset;
use shrink::nn::Role;
use shrink::penalty::Family;
use shrink::search::exits::alphas_csv;
use shrink::search::{
    alpha_rows, auto_grid, edge_warning, input_exits, parse_alpha_request, path_start, AlphaMax, AlphaRequest,
    AlphaRow, EdgeWarning, InputExit, SearchOutcome,
};
use shrink::spec::ModelSpec;
use shrink_report::{write_line_chart, LineChart, Series};
use std::path::{Path, PathBuf};

/// How the grid came about, for `summary.json` and the edge warning.
#[derive(Debug, Clone, serde::Serialize)]
pub struct AutoPath {
    /// Alphas asked for.
    pub points: usize,
    /// `--alpha-ratio`.
    pub ratio: f64,
    /// Where the path starts; `None` for a family that never zeros a weight (L2: the default
    /// top, `shrink::search::auto_path::L2_TOP`).
    pub alpha_max: Option<AlphaMax>,
    /// How alpha_max was computed, in words.
    pub how: &'static str,
}

const HOW: &str = "glmnet's lambda.max: the largest data-loss gradient (per element for L1, per group norm for \
                   group lasso, divided by row factors and by the L1 share of the family) of the penalized \
                   parameters at zero, over every row of --data, the rest of the network at its initialization \
                   (spec seed); relu layers silenced by the zero kernel use relu's right derivative 1 at 0; the \
                   first alpha is alpha_max·(1 + 1e-4), rounded up";

/// The grid `--alphas` asks for: `auto[:N]` from alpha_max on all of `data`, or the values.
pub fn resolve(
    text: &str,
    ratio: f64,
    spec: &ModelSpec,
    param: &str,
    family: &Family,
    pipeline: &shrink::data::Pipeline,
    data: &Dataset,
) -> Result<(Vec<f64>, Option<AutoPath>)> {
    match parse_alpha_request(text).context("--alphas")? {
        AlphaRequest::Given(alphas) => Ok((alphas, None)),
        AlphaRequest::Auto { points } => {
            let ratio = shrink::search::auto_path::check_ratio(ratio).context("--alpha-ratio")?;
            let start = path_start(spec, param, family, pipeline, data).context("--alphas auto")?;
            let grid = auto_grid(start.as_ref().map(|a| a.alpha_max), points, ratio);
            Ok((grid, Some(AutoPath { points, ratio, alpha_max: start, how: HOW })))
        }
    }
}

/// The names of the rows of the first searched 2-D kernel: the input features when it is the
/// first layer's kernel, otherwise none (rows are then called `row i`).
pub fn row_names(spec: &ModelSpec, param: &str, features: &[String]) -> Result<Vec<String>> {
    let model = spec.build_model()?;
    let first = model.select(param)?.into_iter().find(|&id| {
        let p = model.param(id);
        p.role == Role::Kernel && p.shape.len() == 2
    });
    Ok(match first {
        Some(id) if id.layer == 0 && model.param(id).shape[0] == features.len() => features.to_vec(),
        _ => Vec::new(),
    })
}

/// What the path says after the search.
pub struct PathReport {
    pub rows: Vec<AlphaRow>,
    pub exits: Vec<InputExit>,
    pub edge: Option<EdgeWarning>,
}

impl PathReport {
    pub fn new(outcome: &SearchOutcome, names: &[String], auto: Option<&AutoPath>) -> Self {
        let chosen = outcome.selection.as_ref().map(|s| (s.alpha, s.l1_ratio, s.units));
        let rows = alpha_rows(&outcome.records, &outcome.scores, names, chosen);
        // Exits and the edge of the grid are read along the chosen point's path (its mix and
        // width) when those are searched too.
        let keys = rows.iter().find(|r| r.chosen).map(|r| r.keys.clone()).unwrap_or_default();
        let path: Vec<AlphaRow> = rows.iter().filter(|r| r.keys == keys).cloned().collect();
        let exits = if names.is_empty() { Vec::new() } else { input_exits(&path, names) };
        let alphas: Vec<f64> = path.iter().map(|r| r.alpha).collect();
        let auto = auto.map(|a| (a.ratio, a.alpha_max.is_some()));
        let edge = chosen.and_then(|c| edge_warning(&alphas, c.0, auto));
        PathReport { rows, exits, edge }
    }

    /// `DIR/alphas.csv` and, with inputs, `inputs_vs_alpha` and `score_vs_inputs` (PNG + SVG).
    pub fn write(&self, out: &Path, score_name: &str) -> Result<Vec<PathBuf>> {
        let path = out.join("alphas.csv");
        shrink::files::write_atomic(&path, alphas_csv(&self.rows).as_bytes())?;
        let mut files = vec![path];
        let mut with_inputs: Vec<&AlphaRow> =
            self.rows.iter().filter(|r| r.inputs_used.is_some() && r.score_mean.is_finite()).collect();
        if with_inputs.is_empty() {
            return Ok(files);
        }
        with_inputs.sort_by(|a, b| a.alpha.total_cmp(&b.alpha));
        let alphas: Vec<f64> = with_inputs.iter().map(|r| r.alpha).collect();
        let used: Vec<f64> = with_inputs.iter().map(|r| r.inputs_used.unwrap_or(0.0)).collect();
        let chart = LineChart::new("Inputs used vs alpha (mean over trials)", "alpha", "inputs used")
            .log_x(true)
            .series(Series::new("inputs used", alphas, used.clone()));
        files.extend(write_line_chart(&chart, &out.join("inputs_vs_alpha"))?);
        // Score against inputs kept, ordered by the number kept (LassoNet's accuracy-vs-features).
        let mut points: Vec<(f64, f64, f64)> =
            with_inputs.iter().map(|r| (r.inputs_used.unwrap_or(0.0), r.score_mean, r.score_se)).collect();
        points.sort_by(|a, b| a.0.total_cmp(&b.0));
        let chart = LineChart::new(
            format!("Validation {score_name} vs inputs kept (mean ± standard error)"),
            "inputs used (mean)",
            score_name,
        )
        .series(
            Series::new(score_name, points.iter().map(|p| p.0).collect(), points.iter().map(|p| p.1).collect())
                .with_err(points.iter().map(|p| p.2).collect()),
        );
        files.extend(write_line_chart(&chart, &out.join("score_vs_inputs"))?);
        Ok(files)
    }

    /// The `summary.json` entries: the input exits and the edge warning.
    pub fn json(&self) -> serde_json::Value {
        serde_json::json!({ "input_exits": self.exits, "edge_warning": self.edge })
    }
}

/// `v` with `digits` significant digits: fixed notation between 1e-3 and 1e5, otherwise
/// scientific, so that small MSEs and close accuracies stay apart.
pub fn sig(v: f64, digits: usize) -> String {
    if !v.is_finite() {
        return v.to_string();
    }
    if v == 0.0 {
        return "0".to_string();
    }
    let e = v.abs().log10().floor() as i32;
    if (-3..5).contains(&e) {
        format!("{v:.*}", (digits as i32 - 1 - e).max(0) as usize)
    } else {
        format!("{v:.*e}", digits.saturating_sub(1))
    }
}

/// A score `mean ± se` (the `±` only with more than one trial): five significant digits, more
/// when the standard error needs them to show two of its own.
pub fn mean_se(mean: f64, se: f64, n: usize) -> String {
    if n <= 1 || !se.is_finite() {
        return sig(mean, 5);
    }
    let digits = if se > 0.0 && mean != 0.0 {
        ((mean.abs().log10().floor() - se.log10().floor()) as i64 + 2).clamp(5, 12) as usize
    } else {
        5
    };
    format!("{} ± {}", sig(mean, digits), sig(se, 2))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn significant_digits() {
        assert_eq!(sig(0.915, 5), "0.91500");
        assert_eq!(sig(1.2345678e-5, 5), "1.2346e-5");
        assert_eq!(sig(123.456, 5), "123.46");
        assert_eq!(mean_se(0.9150, 0.0178, 20), "0.91500 ± 0.018");
        assert_eq!(mean_se(0.9150, 0.0, 1), "0.91500");
        assert_eq!(mean_se(2.5e-5, 1e-7, 4), "2.5000e-5 ± 1.0e-7");
        assert_eq!(mean_se(0.123456789, 1.2e-7, 4), "0.12345679 ± 1.2e-7");
    }
}
