//! Wide against narrow (`--units`): does the best penalized widest network beat the best
//! narrowest one? Each width's best (mix, alpha) by mean score, then the difference of their
//! scores paired by (repeat, fold) — both saw the same training and validation rows — with its
//! standard error. "Beats" means better by more than one standard error of that difference.

use super::mean_sd;
use super::run::SearchOutcome;
use super::select::{select, AlphaScore, Rule};
use super::trial_log::TrialRecord;
use serde::Serialize;
use std::collections::BTreeMap;

/// The comparison of the widest and the narrowest width.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WidthComparison {
    /// The narrowest width's best score (its mix and alpha are in it).
    pub narrow: AlphaScore,
    /// The widest width's best score.
    pub wide: AlphaScore,
    /// Mean of wide − narrow over the paired trials, signed so that > 0 means wide is better.
    pub advantage: f64,
    /// Standard error of that mean.
    pub se: f64,
    /// Paired trials.
    pub pairs: usize,
    /// Whether `advantage > se`.
    pub wide_beats_narrow: bool,
}

impl WidthComparison {
    /// The comparison, when the outcome has at least two widths with a finite score (with
    /// halving: among the candidates that reached the last rung).
    pub fn of(outcome: &SearchOutcome) -> Option<WidthComparison> {
        let last_rung = outcome.rungs.len().checked_sub(1);
        let scores: Vec<&AlphaScore> =
            outcome.scores.iter().filter(|s| s.units.is_some() && s.rung == last_rung).collect();
        let widths: Vec<usize> = scores.iter().filter_map(|s| s.units).collect();
        let (lo, hi) = (*widths.iter().min()?, *widths.iter().max()?);
        if lo == hi {
            return None;
        }
        let best = |w: usize| {
            let own: Vec<AlphaScore> = scores.iter().filter(|s| s.units == Some(w)).map(|s| (*s).clone()).collect();
            let sel = select(&own, outcome.higher_is_better, Rule::Best)?;
            own.into_iter().find(|s| s.alpha == sel.alpha && s.l1_ratio == sel.l1_ratio)
        };
        let (narrow, wide) = (best(lo)?, best(hi)?);
        let trials = |s: &AlphaScore| -> BTreeMap<(usize, usize), f64> {
            outcome
                .records
                .iter()
                .filter(|r| r.units == s.units && r.l1_ratio == s.l1_ratio && r.alpha == s.alpha && r.rung == s.rung)
                .map(|r: &TrialRecord| ((r.repeat, r.fold), r.score))
                .collect()
        };
        let (n, w) = (trials(&narrow), trials(&wide));
        let sign = if outcome.higher_is_better { 1.0 } else { -1.0 };
        let diffs: Vec<f64> = w.iter().filter_map(|(k, v)| n.get(k).map(|u| sign * (v - u))).collect();
        let (advantage, sd) = mean_sd(&diffs);
        let se = sd / (diffs.len().max(1) as f64).sqrt();
        Some(WidthComparison { narrow, wide, advantage, se, pairs: diffs.len(), wide_beats_narrow: advantage > se })
    }

    /// One sentence for the report.
    pub fn text(&self) -> String {
        let u = |s: &AlphaScore| s.units.unwrap_or(0);
        format!(
            "Widest vs narrowest: the best {}-unit network ({}: {:.4} ± {:.4}) {} the best {}-unit one ({}: {:.4} ± {:.4}); \
             paired difference {:+.4} ± {:.4} over {} repeats × folds{}.",
            u(&self.wide),
            self.wide.label(),
            self.wide.mean,
            self.wide.se,
            if self.wide_beats_narrow { "beats" } else { "does not beat" },
            u(&self.narrow),
            self.narrow.label(),
            self.narrow.mean,
            self.narrow.se,
            self.advantage,
            self.se,
            self.pairs,
            if self.wide_beats_narrow { " (more than one standard error)" } else { " (within one standard error, or worse)" }
        )
    }
}
