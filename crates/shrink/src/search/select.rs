//! Scores per alpha and the rule that picks one: the best mean, or glmnet's one-standard-error
//! rule (the strongest penalty whose score is statistically indistinguishable from the best).
//!
//! With grid dimensions beside alpha (mixes, widths; [`super::dimensions`]) both rules pick
//! among every (mix, width, alpha): the best mean over all of them, or, within one standard
//! error of it, the largest alpha; ties go to the larger mix (sparser), then the narrower
//! width (smaller network).

use super::dimensions::Point;
use super::mean_sd;
use serde::Serialize;

/// How the chosen alpha is picked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Rule {
    /// The best mean score (ties: the larger alpha).
    Best,
    /// The largest alpha whose mean is within one standard error of the best mean: a simpler
    /// (more strongly penalized) model whose score the data cannot tell from the best.
    OneSe,
}

/// Aggregated trials of one alpha.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AlphaScore {
    /// The alpha.
    pub alpha: f64,
    /// Trials (repeats × folds).
    pub n: usize,
    /// Mean validation score.
    pub mean: f64,
    /// Standard error of that mean, `sd/√n` (0 for one trial).
    pub se: f64,
    /// Mean training score.
    pub train_mean: f64,
    /// Mean L2 norm of the searched parameters.
    pub kernel_l2: f64,
    /// Mean fraction of exact zeros in the searched parameters.
    pub zero_fraction: f64,
    /// The mix of these trials, with `--l1-ratios`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub l1_ratio: Option<f64>,
    /// The searched layer's width, with `--units`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub units: Option<usize>,
    /// With successive halving, the last rung these trials reached (their scores are from it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rung: Option<usize>,
}

impl AlphaScore {
    /// Aggregates per-trial `(score, train_score, kernel_l2, zero_fraction)`.
    pub fn of(alpha: f64, trials: &[[f64; 4]]) -> Self {
        let col = |i: usize| trials.iter().map(|t| t[i]).collect::<Vec<_>>();
        let (mean, sd) = mean_sd(&col(0));
        let n = trials.len();
        AlphaScore {
            alpha,
            n,
            mean,
            se: sd / (n.max(1) as f64).sqrt(),
            train_mean: mean_sd(&col(1)).0,
            kernel_l2: mean_sd(&col(2)).0,
            zero_fraction: mean_sd(&col(3)).0,
            l1_ratio: None,
            units: None,
            rung: None,
        }
    }

    /// The same score tagged with the point it was measured at.
    pub fn at(self, point: &Point) -> Self {
        AlphaScore { l1_ratio: point.l1_ratio, units: point.units, ..self }
    }

    /// Orders scores by how simple their model is: larger alpha, then [`Point::simpler`].
    /// `Greater` means simpler.
    pub fn simpler(&self, other: &AlphaScore) -> std::cmp::Ordering {
        self.alpha.total_cmp(&other.alpha).then(Point::of(self).simpler(&Point::of(other)))
    }

    /// `alpha 0.01` or, with dimensions, `l1_ratio 0.5, units 64, alpha 0.01`.
    pub fn label(&self) -> String {
        let mut parts = Vec::new();
        if let Some(r) = self.l1_ratio {
            parts.push(format!("l1_ratio {r}"));
        }
        if let Some(u) = self.units {
            parts.push(format!("units {u}"));
        }
        parts.push(format!("alpha {}", self.alpha));
        parts.join(", ")
    }
}

/// The outcome of a selection rule.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Selection {
    /// The chosen alpha.
    pub alpha: f64,
    /// The chosen mix, with `--l1-ratios`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub l1_ratio: Option<f64>,
    /// The chosen width, with `--units`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub units: Option<usize>,
    /// The rule used.
    pub rule: Rule,
    /// The alpha with the best mean.
    pub best_alpha: f64,
    /// The score a candidate had to reach under the rule (the best mean for `best`).
    pub threshold: f64,
    /// Why, in words.
    pub reason: String,
}

/// Picks an alpha from `scores` (any order); `None` when there is none with a finite mean.
pub fn select(scores: &[AlphaScore], higher_is_better: bool, rule: Rule) -> Option<Selection> {
    let better = |a: f64, b: f64| if higher_is_better { a > b } else { a < b };
    let finite = || scores.iter().filter(|s| s.mean.is_finite());
    let best = finite().fold(None::<&AlphaScore>, |acc, s| match acc {
        Some(b) if better(b.mean, s.mean) || (b.mean == s.mean && b.simpler(s).is_ge()) => Some(b),
        _ => Some(s),
    })?;
    let word = if higher_is_better { "highest" } else { "lowest" };
    match rule {
        Rule::Best => Some(Selection {
            alpha: best.alpha,
            l1_ratio: best.l1_ratio,
            units: best.units,
            rule,
            best_alpha: best.alpha,
            threshold: best.mean,
            reason: format!("{} has the {word} mean validation score, {}", best.label(), show(best.mean)),
        }),
        Rule::OneSe => {
            let threshold = if higher_is_better { best.mean - best.se } else { best.mean + best.se };
            let within = |s: &&AlphaScore| if higher_is_better { s.mean >= threshold } else { s.mean <= threshold };
            let chosen = finite().filter(within).max_by(|a, b| a.simpler(b)).unwrap_or(best);
            Some(Selection {
                alpha: chosen.alpha,
                l1_ratio: chosen.l1_ratio,
                units: chosen.units,
                rule,
                best_alpha: best.alpha,
                threshold,
                reason: format!(
                    "{} is the largest whose mean score ({}) is within one standard error of the best \
                     ({}: {} ± {}, threshold {})",
                    chosen.label(),
                    show(chosen.mean),
                    best.label(),
                    show(best.mean),
                    show(best.se),
                    show(threshold)
                ),
            })
        }
    }
}

/// `v` with 6 significant digits in its shortest form (0.915, 1.23457e-5): enough to tell
/// close scores and small MSEs apart, unlike a fixed 4 decimals.
fn show(v: f64) -> String {
    format!("{v:.5e}").parse::<f64>().map_or(v.to_string(), |r| r.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn score(alpha: f64, mean: f64, se: f64) -> AlphaScore {
        AlphaScore { se, ..AlphaScore::of(alpha, &[[mean, 0.0, 0.0, 0.0]]) }
    }

    #[test]
    fn one_se_picks_the_largest_alpha_within_one_se() {
        // Accuracy: best 0.90 ± 0.02 at 1e-3, so anything ≥ 0.88 qualifies.
        let table = [
            score(1e-1, 0.70, 0.01),
            score(1e-2, 0.881, 0.03),
            score(1e-3, 0.90, 0.02),
            score(1e-4, 0.89, 0.01),
            score(3e-2, 0.879, 0.01),
        ];
        let best = select(&table, true, Rule::Best).unwrap();
        assert_eq!((best.alpha, best.best_alpha), (1e-3, 1e-3));
        let one = select(&table, true, Rule::OneSe).unwrap();
        assert_eq!(one.alpha, 1e-2);
        assert!((one.threshold - 0.88).abs() < 1e-12);
        assert!(one.reason.contains("within one standard error"));
        // Loss (lower is better): best 0.30 ± 0.05 at 1e-4 → ≤ 0.35 qualifies.
        let loss = [score(1e-1, 0.5, 0.0), score(1e-2, 0.34, 0.0), score(1e-3, 0.36, 0.0), score(1e-4, 0.30, 0.05)];
        assert_eq!(select(&loss, false, Rule::Best).unwrap().alpha, 1e-4);
        assert_eq!(select(&loss, false, Rule::OneSe).unwrap().alpha, 1e-2);
    }

    #[test]
    fn over_mixes_the_band_is_shared_and_ties_go_to_the_sparser_mix() {
        let at = |r: f64, alpha: f64, mean: f64, se: f64| {
            score(alpha, mean, se).at(&Point { l1_ratio: Some(r), units: None })
        };
        // Best 0.90 ± 0.02 (mix 0.5, alpha 1e-3): the band is ≥ 0.88 over every mix.
        let table = [
            at(0.5, 1e-3, 0.90, 0.02),
            at(0.5, 1e-2, 0.87, 0.01),
            at(1.0, 1e-2, 0.885, 0.01),
            at(0.1, 1e-2, 0.889, 0.01),
            at(1.0, 1e-1, 0.60, 0.01),
        ];
        let one = select(&table, true, Rule::OneSe).unwrap();
        assert_eq!((one.alpha, one.l1_ratio), (1e-2, Some(1.0)));
        assert!(one.reason.contains("l1_ratio 1, alpha 0.01") && one.reason.contains("l1_ratio 0.5, alpha 0.001"));
        let best = select(&table, true, Rule::Best).unwrap();
        assert_eq!((best.alpha, best.l1_ratio), (1e-3, Some(0.5)));
        // Equal means at one alpha: the larger mix, then the narrower width.
        let tie = [at(0.1, 1e-2, 0.9, 0.0), at(0.9, 1e-2, 0.9, 0.0), at(0.5, 1e-2, 0.9, 0.0)];
        assert_eq!(select(&tie, true, Rule::Best).unwrap().l1_ratio, Some(0.9));
        let w = |u: usize| score(1e-2, 0.9, 0.0).at(&Point { l1_ratio: None, units: Some(u) });
        assert_eq!(select(&[w(64), w(8), w(256)], true, Rule::OneSe).unwrap().units, Some(8));
    }

    #[test]
    fn ties_nan_and_empty() {
        let tie = [score(1e-3, 0.9, 0.0), score(1e-2, 0.9, 0.0), score(1e-1, f64::NAN, 0.0)];
        assert_eq!(select(&tie, true, Rule::Best).unwrap().alpha, 1e-2);
        assert!(select(&[], true, Rule::OneSe).is_none());
        let s = AlphaScore::of(0.1, &[[1.0, 2.0, 3.0, 0.0], [3.0, 2.0, 5.0, 0.5]]);
        assert_eq!((s.mean, s.n, s.kernel_l2, s.zero_fraction), (2.0, 2, 4.0, 0.25));
        assert!((s.se - 1.0).abs() < 1e-12); // sd √2, n 2
    }
}
