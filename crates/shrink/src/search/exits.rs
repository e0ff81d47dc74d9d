//! What the path says per alpha and per input: the rows of `alphas.csv` (rebuilt from the trial
//! records alone, so a resumed search writes the same file), where each input leaves the model
//! (LassoNet's "feature exit" order), and the warning when the chosen alpha sits at an end of
//! the grid.
//!
//! Extra grid dimensions (an `l1_ratio`, a width) are leading key columns of a row
//! ([`AlphaRow::keys`]): one row per alpha × other key.

use super::select::AlphaScore;
use super::trial_log::TrialRecord;
use serde::Serialize;

/// One alpha (for one value of any other grid key) of the path.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AlphaRow {
    /// Other grid keys (`l1_ratio`, `units`, …) as (column, value), leading columns of the
    /// CSV; empty for a plain alpha path.
    pub keys: Vec<(String, String)>,
    /// The alpha.
    pub alpha: f64,
    /// Mean validation score.
    pub score_mean: f64,
    /// Its standard error (0 for one trial).
    pub score_se: f64,
    /// Trials.
    pub n: usize,
    /// Mean number of used rows (inputs) of the first searched 2-D kernel; `None` without one.
    pub inputs_used: Option<f64>,
    /// The names of the rows used in at least half of the trials (`None` without a kernel).
    pub inputs: Option<Vec<String>>,
    /// Mean fraction of exact zeros in the searched parameters.
    pub zero_fraction: f64,
    /// Mean L2 norm of the searched parameters.
    pub kernel_l2: f64,
    /// Whether this is the chosen alpha.
    pub chosen: bool,
}

/// A grid point of the score table: alpha, and the mix and width when those are searched.
pub type ScoreKey = (f64, Option<f64>, Option<usize>);

/// The rows for `scores` (in their order) from the trial `records` at the same point (mix,
/// width, halving rung): `names` are the rows' names (the input features for a first-layer
/// kernel; other kernels get `row i`); `chosen` marks one row.
pub fn alpha_rows(
    records: &[TrialRecord],
    scores: &[AlphaScore],
    names: &[String],
    chosen: Option<ScoreKey>,
) -> Vec<AlphaRow> {
    scores
        .iter()
        .map(|s| {
            let masks: Vec<&str> = records
                .iter()
                .filter(|r| {
                    (r.alpha, r.l1_ratio, r.units, r.rung) == (s.alpha, s.l1_ratio, s.units, s.rung)
                        && r.inputs_used.is_some()
                })
                .map(|r| r.input_mask.as_str())
                .collect();
            let (inputs_used, inputs) = if masks.is_empty() {
                (None, None)
            } else {
                let width = masks[0].len();
                let used = masks.iter().map(|m| m.bytes().filter(|&b| b == b'1').count()).sum::<usize>();
                let kept = (0..width)
                    .filter(|&i| 2 * masks.iter().filter(|m| m.as_bytes().get(i) == Some(&b'1')).count() >= masks.len())
                    .map(|i| row_name(names, width, i))
                    .collect();
                (Some(used as f64 / masks.len() as f64), Some(kept))
            };
            let mut keys = Vec::new();
            keys.extend(s.l1_ratio.map(|r| ("l1_ratio".to_string(), r.to_string())));
            keys.extend(s.units.map(|u| ("units".to_string(), u.to_string())));
            AlphaRow {
                keys,
                alpha: s.alpha,
                score_mean: s.mean,
                score_se: s.se,
                n: s.n,
                inputs_used,
                inputs,
                zero_fraction: s.zero_fraction,
                kernel_l2: s.kernel_l2,
                chosen: Some((s.alpha, s.l1_ratio, s.units)) == chosen,
            }
        })
        .collect()
}

fn row_name(names: &[String], width: usize, i: usize) -> String {
    if names.len() == width {
        names[i].clone()
    } else {
        format!("row {i}")
    }
}

/// `alphas.csv`: key columns, then `alpha, score_mean, score_se, n, inputs_used, inputs,
/// zero_fraction, kernel_l2, chosen`; floats in shortest round-trip form, `inputs` joined by
/// `;` and quoted when a name needs it.
pub fn alphas_csv(rows: &[AlphaRow]) -> String {
    let keys: Vec<&str> = rows.first().map(|r| r.keys.iter().map(|(k, _)| k.as_str()).collect()).unwrap_or_default();
    let mut out: String = keys.iter().map(|k| format!("{k},")).collect();
    out.push_str("alpha,score_mean,score_se,n,inputs_used,inputs,zero_fraction,kernel_l2,chosen\n");
    for r in rows {
        for (_, v) in &r.keys {
            out.push_str(&quote(v));
            out.push(',');
        }
        out.push_str(&format!(
            "{},{},{},{},{},{},{},{},{}\n",
            r.alpha,
            r.score_mean,
            r.score_se,
            r.n,
            r.inputs_used.map_or(String::new(), |v| v.to_string()),
            r.inputs.as_ref().map_or(String::new(), |names| quote(&names.join(";"))),
            r.zero_fraction,
            r.kernel_l2,
            u8::from(r.chosen)
        ));
    }
    out
}

/// A CSV field, quoted (inner quotes doubled) when it holds a comma, a quote or a line break.
fn quote(field: &str) -> String {
    if field.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", field.replace('"', "\"\""))
    } else {
        field.to_string()
    }
}

/// Where one input leaves the path.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct InputExit {
    /// The input's name.
    pub input: String,
    /// Its row in the kernel (column in the table).
    pub index: usize,
    /// The strongest alpha at which it is still used (in at least half of that alpha's
    /// trials); `None` when no alpha of the path keeps it.
    pub last_alpha: Option<f64>,
}

/// Each input's exit, strongest first (inputs never kept last, in table order); empty when the
/// rows carry no inputs.
pub fn input_exits(rows: &[AlphaRow], names: &[String]) -> Vec<InputExit> {
    let Some(width) = rows.iter().find(|r| r.inputs.is_some()).map(|_| names.len()) else { return Vec::new() };
    let mut exits: Vec<InputExit> = (0..width)
        .map(|i| InputExit {
            input: names[i].clone(),
            index: i,
            last_alpha: rows
                .iter()
                .filter(|r| r.inputs.as_ref().is_some_and(|kept| kept.contains(&names[i])))
                .map(|r| r.alpha)
                .fold(None, |acc: Option<f64>, a| Some(acc.map_or(a, |b| b.max(a)))),
        })
        .collect();
    exits.sort_by(|a, b| match (a.last_alpha, b.last_alpha) {
        (Some(x), Some(y)) => y.total_cmp(&x).then(a.index.cmp(&b.index)),
        (Some(_), None) => std::cmp::Ordering::Less,
        (None, Some(_)) => std::cmp::Ordering::Greater,
        (None, None) => a.index.cmp(&b.index),
    });
    exits
}

/// The chosen alpha at an end of the grid: the answer may lie outside it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EdgeWarning {
    /// `strongest` or `weakest`.
    pub edge: &'static str,
    /// The chosen alpha.
    pub chosen: f64,
    /// What to try next (flags), empty when nothing beyond the edge makes sense.
    pub suggestion: String,
    /// The warning in words.
    pub message: String,
}

/// A warning when `chosen` is the largest or smallest of `alphas` (at least two of them).
/// `auto` is the `--alpha-ratio` of an automatic path and whether it starts at alpha_max: the
/// weakest end then suggests a smaller ratio, and the strongest end (where every penalized
/// group is zero) suggests nothing stronger.
pub fn edge_warning(alphas: &[f64], chosen: f64, auto: Option<(f64, bool)>) -> Option<EdgeWarning> {
    if alphas.len() < 2 {
        return None;
    }
    let hi = alphas.iter().copied().fold(f64::MIN, f64::max);
    let lo = alphas.iter().copied().fold(f64::MAX, f64::min);
    let (e_hi, e_lo) = (hi.log10().ceil() as i32, lo.log10().floor() as i32);
    if chosen == lo {
        let suggestion = match auto {
            Some((ratio, _)) => format!("--alpha-ratio {:e}", ratio / 10.0),
            None => format!("--alphas 1e{e_hi}:1e{}", e_lo - 1),
        };
        return Some(EdgeWarning {
            edge: "weakest",
            chosen,
            message: format!(
                "the chosen alpha {chosen} is the weakest of the grid: a weaker penalty may score better; try {suggestion}"
            ),
            suggestion,
        });
    }
    if chosen == hi {
        let (suggestion, message) = match auto {
            Some((_, true)) => (
                String::new(),
                format!(
                    "the chosen alpha {chosen} is the strongest of the path (alpha_max: every penalized group is zero), so \
                     the model without those weights scores best: the inputs may carry no signal this network finds, \
                     or weaker alphas need more epochs"
                ),
            ),
            _ => {
                let s = format!("--alphas 1e{}:1e{e_lo}", e_hi + 1);
                (s.clone(), format!("the chosen alpha {chosen} is the strongest of the grid: a stronger penalty may score better; try {s}"))
            }
        };
        return Some(EdgeWarning { edge: "strongest", chosen, suggestion, message });
    }
    None
}

#[cfg(test)]
#[path = "exits_tests.rs"]
mod tests;
