//! Scores per alpha and the rule that picks one: the best mean, or glmnet's one-standard-error
//! rule (the strongest penalty whose score is statistically indistinguishable from the best).

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
        }
    }
}

/// The outcome of a selection rule.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Selection {
    /// The chosen alpha.
    pub alpha: f64,
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
        Some(b) if better(b.mean, s.mean) || (b.mean == s.mean && b.alpha >= s.alpha) => Some(b),
        _ => Some(s),
    })?;
    let word = if higher_is_better { "highest" } else { "lowest" };
    match rule {
        Rule::Best => Some(Selection {
            alpha: best.alpha,
            rule,
            best_alpha: best.alpha,
            threshold: best.mean,
            reason: format!("alpha {} has the {word} mean validation score, {}", best.alpha, show(best.mean)),
        }),
        Rule::OneSe => {
            let threshold = if higher_is_better { best.mean - best.se } else { best.mean + best.se };
            let within = |s: &&AlphaScore| if higher_is_better { s.mean >= threshold } else { s.mean <= threshold };
            let chosen = finite().filter(within).max_by(|a, b| a.alpha.total_cmp(&b.alpha)).unwrap_or(best);
            Some(Selection {
                alpha: chosen.alpha,
                rule,
                best_alpha: best.alpha,
                threshold,
                reason: format!(
                    "alpha {} is the largest whose mean score ({}) is within one standard error of the best \
                     (alpha {}: {} ± {}, threshold {})",
                    chosen.alpha,
                    show(chosen.mean),
                    best.alpha,
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
        AlphaScore { alpha, n: 5, mean, se, train_mean: 0.0, kernel_l2: 0.0, zero_fraction: 0.0 }
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
    fn ties_nan_and_empty() {
        let tie = [score(1e-3, 0.9, 0.0), score(1e-2, 0.9, 0.0), score(1e-1, f64::NAN, 0.0)];
        assert_eq!(select(&tie, true, Rule::Best).unwrap().alpha, 1e-2);
        assert!(select(&[], true, Rule::OneSe).is_none());
        let s = AlphaScore::of(0.1, &[[1.0, 2.0, 3.0, 0.0], [3.0, 2.0, 5.0, 0.5]]);
        assert_eq!((s.mean, s.n, s.kernel_l2, s.zero_fraction), (2.0, 2, 4.0, 0.25));
        assert!((s.se - 1.0).abs() < 1e-12); // sd √2, n 2
    }
}
