//! What `shrink search` shows and writes: the table, `summary.json`, the plots, and the
//! warm-path versus cold-grid comparison.

use crate::cmd::search_alphas::{mean_se, sig, AutoPath, PathReport};
use anyhow::Result;
use shrink::search::{SearchConfig, SearchOutcome};
use shrink_report::{write_line_chart, LineChart, Series, Table};
use std::path::{Path, PathBuf};

/// A warm path measured against the cold grid on the same trials.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Comparison {
    /// Summed trial time of the warm path.
    pub warm_trial_seconds: f64,
    /// Summed trial time of the cold grid.
    pub cold_trial_seconds: f64,
    /// `1 − warm/cold`.
    pub time_saved_fraction: f64,
    /// The cold grid's chosen alpha.
    pub cold_alpha: Option<f64>,
    /// The warm path's chosen alpha.
    pub warm_alpha: Option<f64>,
    /// Whether both chose the same alpha.
    pub agrees: bool,
}

impl Comparison {
    pub fn new(warm: &SearchOutcome, cold: &SearchOutcome) -> Self {
        let (w, c) = (warm.selection.as_ref().map(|s| s.alpha), cold.selection.as_ref().map(|s| s.alpha));
        Comparison {
            warm_trial_seconds: warm.trial_seconds,
            cold_trial_seconds: cold.trial_seconds,
            time_saved_fraction: 1.0 - warm.trial_seconds / cold.trial_seconds,
            cold_alpha: c,
            warm_alpha: w,
            agrees: w.is_some() && w == c,
        }
    }

    fn text(&self) -> String {
        format!(
            "Warm path: {:.1} s of training against {:.1} s for the cold grid ({:.0} % saved); chosen alpha {} (cold: {}){}.",
            self.warm_trial_seconds,
            self.cold_trial_seconds,
            100.0 * self.time_saved_fraction,
            fmt_alpha(self.warm_alpha),
            fmt_alpha(self.cold_alpha),
            if self.agrees { ", the same" } else { ", they differ" }
        )
    }
}

fn fmt_alpha(a: Option<f64>) -> String {
    a.map_or("none".to_string(), |a| a.to_string())
}

/// Writes `summary.json` (atomically) and returns its path.
pub fn write_summary(
    out: &Path,
    config: &SearchConfig,
    outcome: &SearchOutcome,
    comparison: Option<&Comparison>,
    auto: Option<&AutoPath>,
    report: &PathReport,
) -> Result<PathBuf> {
    let path = out.join("summary.json");
    let extra = report.json();
    let value = serde_json::json!({
        "chosen_alpha": outcome.selection.as_ref().map(|s| s.alpha),
        "rule": config.rule,
        "why": outcome.selection.as_ref().map(|s| s.reason.clone()),
        "selection": outcome.selection,
        "score": outcome.score_name,
        "higher_is_better": outcome.higher_is_better,
        "grid": outcome.grid,
        "refine_points": outcome.refined,
        "scores": outcome.scores,
        "search": config,
        "trials": outcome.records.len(),
        "warm_vs_cold": comparison,
        "alpha_max": auto.and_then(|a| a.alpha_max.as_ref().map(|m| m.alpha_max)),
        "auto_path": auto,
        "input_exits": extra["input_exits"],
        "edge_warning": extra["edge_warning"],
    });
    shrink::files::write_atomic(&path, serde_json::to_string_pretty(&value)?.as_bytes())?;
    Ok(path)
}

/// Score (± standard error), kernel L2 norm and exact-zero fraction against alpha on a log
/// axis, PNG and SVG.
pub fn write_plots(out: &Path, param: &str, outcome: &SearchOutcome) -> Result<Vec<PathBuf>> {
    let chosen = outcome.selection.as_ref().map(|s| (s.l1_ratio, s.units));
    let last_rung = outcome.rungs.len().checked_sub(1);
    let mut rows: Vec<_> = outcome
        .scores
        .iter()
        .filter(|s| s.mean.is_finite() && s.rung == last_rung)
        .filter(|s| chosen.is_none_or(|c| c == (s.l1_ratio, s.units)))
        .collect();
    rows.sort_by(|a, b| a.alpha.total_cmp(&b.alpha));
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let alphas: Vec<f64> = rows.iter().map(|s| s.alpha).collect();
    let col = |f: fn(&shrink::search::AlphaScore) -> f64| rows.iter().map(|s| f(s)).collect::<Vec<f64>>();
    let name = outcome.score_name;
    let charts = [
        (
            "score_vs_alpha",
            LineChart::new(format!("Validation {name} vs alpha (mean ± standard error)"), "alpha", name)
                .series(Series::new("validation", alphas.clone(), col(|s| s.mean)).with_err(col(|s| s.se)))
                .series(Series::new("train", alphas.clone(), col(|s| s.train_mean))),
        ),
        (
            "kernel_l2_vs_alpha",
            LineChart::new(format!("L2 norm of {param} vs alpha"), "alpha", "L2 norm").series(Series::new(
                param,
                alphas.clone(),
                col(|s| s.kernel_l2),
            )),
        ),
        (
            "zero_fraction_vs_alpha",
            LineChart::new(format!("Exact zeros in {param} vs alpha"), "alpha", "fraction of weights == 0")
                .series(Series::new(param, alphas, col(|s| s.zero_fraction))),
        ),
    ];
    let mut files = Vec::new();
    for (stem, chart) in charts {
        files.extend(write_line_chart(&chart.log_x(true), &out.join(stem))?);
    }
    Ok(files)
}

/// Prints the per-alpha table, the choice and the files written.
pub fn print_report(
    config: &SearchConfig,
    outcome: &SearchOutcome,
    comparison: Option<&Comparison>,
    files: &[PathBuf],
    path: &PathReport,
) -> Result<()> {
    // Grid dimensions add their key columns in front of alpha.
    let inputs = path.rows.iter().any(|r| r.inputs_used.is_some());
    let mut head: Vec<String> =
        path.rows.first().map(|r| r.keys.iter().map(|(k, _)| k.clone()).collect()).unwrap_or_default();
    head.extend([
        "alpha".to_string(),
        format!("{} (mean ± se)", outcome.score_name),
        "n".into(),
        "kernel L2".into(),
        "zeros".into(),
    ]);
    if inputs {
        head.push("inputs used".into());
    }
    let mut table = Table::new(head);
    for r in &path.rows {
        let mark = if r.chosen { " *" } else { "" };
        let mut row: Vec<String> = r.keys.iter().map(|(_, v)| v.clone()).collect();
        row.extend([
            format!("{}{mark}", r.alpha),
            mean_se(r.score_mean, r.score_se, r.n),
            r.n.to_string(),
            sig(r.kernel_l2, 4),
            format!("{:.1}%", 100.0 * r.zero_fraction),
        ]);
        if inputs {
            row.push(r.inputs_used.map_or("-".to_string(), |v| format!("{v:.1}")));
        }
        table.push_row(row);
    }
    let mut text = format!("{table}\n");
    match &outcome.selection {
        Some(sel) => {
            let rule = if config.rule == shrink::search::Rule::OneSe { "1se" } else { "best" };
            text += &format!("Chosen alpha: {} (rule {rule}): {}.\n", sel.alpha, sel.reason);
        }
        None => text += "No alpha could be chosen: every trial diverged.\n",
    }
    if let Some(c) = comparison {
        text += &format!("{}\n", c.text());
    }
    if !path.exits.is_empty() {
        let kept: Vec<String> = path
            .exits
            .iter()
            .filter_map(|e| e.last_alpha.map(|a| format!("{} ({})", e.input, sig(a, 3))))
            .take(10)
            .collect();
        let more = path.exits.iter().filter(|e| e.last_alpha.is_some()).count().saturating_sub(kept.len());
        text += &format!(
            "Inputs by the strongest alpha that keeps them: {}{}\n",
            if kept.is_empty() { "none".to_string() } else { kept.join(", ") },
            if more > 0 { format!(", … and {more} more (alphas.csv, summary.json)") } else { String::new() }
        );
    }
    text += &format!(
        "{} trials ({} trained now, {} from trials.csv) in {:.1} s on {} threads; wrote:\n",
        outcome.records.len(),
        outcome.trained,
        outcome.records.len() - outcome.trained.min(outcome.records.len()),
        outcome.seconds,
        config.threads
    );
    for f in files {
        text += &format!("  {}\n", f.display());
    }
    crate::print(&text)
}
