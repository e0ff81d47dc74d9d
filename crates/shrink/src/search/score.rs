//! What a search scores each trial by (`shrink search --score`), which direction is better, and
//! the scores that need more than a mean over rows: the rank-based AUC.
//!
//! The default is the validation **log-loss** for classification (binary or categorical
//! cross-entropy, Keras' clipping: glmnet's and scikit-learn's `neg_log_loss` choice, smoother
//! than accuracy, which moves in steps of 1/rows) and the **MSE** for regression.

use crate::loss::Loss;
use crate::Error;
use serde::{Deserialize, Serialize};

/// A validation score.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ScoreKind {
    /// The cross-entropy data loss on the validation rows (lower is better); classification.
    LogLoss,
    /// Accuracy (binary at 0.5, argmax for several outputs; higher is better); classification.
    Accuracy,
    /// Area under the ROC curve, rank-based with ties averaged (higher is better); binary
    /// classification with one sigmoid output only.
    Auc,
    /// Mean squared error of the outputs against the encoded targets (lower is better).
    Mse,
    /// Its square root (lower is better).
    Rmse,
    /// Mean absolute error (lower is better).
    Mae,
}

impl ScoreKind {
    /// The default for a loss: log-loss for the cross-entropies, MSE otherwise.
    pub fn default_for(loss: Loss) -> ScoreKind {
        match loss {
            Loss::BinaryCrossEntropy | Loss::CategoricalCrossEntropy => ScoreKind::LogLoss,
            Loss::MeanSquaredError => ScoreKind::Mse,
        }
    }

    /// The name in tables, files and `--score`.
    pub fn as_str(self) -> &'static str {
        match self {
            ScoreKind::LogLoss => "log-loss",
            ScoreKind::Accuracy => "accuracy",
            ScoreKind::Auc => "auc",
            ScoreKind::Mse => "mse",
            ScoreKind::Rmse => "rmse",
            ScoreKind::Mae => "mae",
        }
    }

    /// Whether a larger value is better (accuracy, AUC) or a smaller one (the losses).
    pub fn higher_is_better(self) -> bool {
        matches!(self, ScoreKind::Accuracy | ScoreKind::Auc)
    }

    /// Checks the score against the loss and the number of outputs before anything runs:
    /// log-loss, accuracy and AUC need a classification loss, AUC one output (binary).
    pub fn check(self, loss: Loss, outputs: usize) -> Result<(), Error> {
        let classification = matches!(loss, Loss::BinaryCrossEntropy | Loss::CategoricalCrossEntropy);
        let needs_classes = matches!(self, ScoreKind::LogLoss | ScoreKind::Accuracy | ScoreKind::Auc);
        if needs_classes && !classification {
            return Err(Error::invalid(
                "score",
                "mse, rmse or mae for a regression loss (log-loss, accuracy and auc need a cross-entropy)",
                self.as_str(),
            ));
        }
        if self == ScoreKind::Auc && outputs != 1 {
            return Err(Error::invalid(
                "score",
                "log-loss or accuracy with several classes (auc is binary only: one sigmoid output)",
                format!("auc with {outputs} outputs"),
            ));
        }
        Ok(())
    }

    /// Whether the score is computed from the predictions here rather than taken from the
    /// trainer's evaluation (whose data loss and accuracy keep the bits earlier searches had).
    pub fn needs_predictions(self) -> bool {
        matches!(self, ScoreKind::Auc | ScoreKind::Rmse | ScoreKind::Mae)
    }

    /// The score from predictions and encoded targets of the same shape (`[rows, outputs]`),
    /// accumulated in `f64`. Log-loss and MSE here are the plain formulas (probabilities clipped
    /// to Keras' `[1e-7, 1 − 1e-7]`).
    pub fn from_predictions(self, pred: &[f32], target: &[f32], width: usize) -> Result<f64, Error> {
        if pred.len() != target.len() || width == 0 || !pred.len().is_multiple_of(width) {
            return Err(Error::Shape(format!(
                "{} predictions and {} targets do not form rows of {width}",
                pred.len(),
                target.len()
            )));
        }
        let rows = (pred.len() / width).max(1) as f64;
        let pairs = || pred.iter().zip(target).map(|(&p, &y)| (f64::from(p), f64::from(y)));
        Ok(match self {
            ScoreKind::Auc => auc(&pred.iter().map(|&p| f64::from(p)).collect::<Vec<_>>(), &target_labels(target))?,
            ScoreKind::Mse => pairs().map(|(p, y)| (p - y).powi(2)).sum::<f64>() / pred.len() as f64,
            ScoreKind::Rmse => (pairs().map(|(p, y)| (p - y).powi(2)).sum::<f64>() / pred.len() as f64).sqrt(),
            ScoreKind::Mae => pairs().map(|(p, y)| (p - y).abs()).sum::<f64>() / pred.len() as f64,
            ScoreKind::Accuracy => crate::metrics::Metric::Accuracy.compute(pred, target, width),
            ScoreKind::LogLoss => {
                let eps = crate::loss::EPSILON;
                let clip = |p: f64| p.clamp(eps, 1.0 - eps);
                let total: f64 = if width == 1 {
                    pairs().map(|(p, y)| -(y * clip(p).ln() + (1.0 - y) * (1.0 - clip(p)).ln())).sum()
                } else {
                    pairs().map(|(p, y)| -y * clip(p).ln()).sum()
                };
                total / rows
            }
        })
    }
}

impl std::fmt::Display for ScoreKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

fn target_labels(target: &[f32]) -> Vec<bool> {
    target.iter().map(|&y| y > 0.5).collect()
}

/// The area under the ROC curve of `scores` for the binary `labels`: the Mann–Whitney
/// statistic `(R₁ − n₁(n₁+1)/2)/(n₁·n₀)` with `R₁` the sum of the positives' ranks, tied
/// scores taking the mean of their ranks (scikit-learn's `roc_auc_score`, which counts a tie
/// between a positive and a negative as one half). An error names `score` when one class is
/// missing (the AUC is undefined).
pub fn auc(scores: &[f64], labels: &[bool]) -> Result<f64, Error> {
    if scores.len() != labels.len() {
        return Err(Error::Shape(format!("{} scores and {} labels", scores.len(), labels.len())));
    }
    let positives = labels.iter().filter(|&&l| l).count();
    let negatives = labels.len() - positives;
    if positives == 0 || negatives == 0 {
        return Err(Error::invalid(
            "score",
            "validation rows of both classes for auc (use --cv with stratified folds or log-loss)",
            format!("{positives} positive and {negatives} negative rows"),
        ));
    }
    let mut order: Vec<usize> = (0..scores.len()).collect();
    order.sort_by(|&a, &b| scores[a].total_cmp(&scores[b]));
    let mut rank_sum = 0.0;
    let mut i = 0;
    while i < order.len() {
        let mut j = i;
        while j + 1 < order.len() && scores[order[j + 1]] == scores[order[i]] {
            j += 1;
        }
        // Ranks i+1 … j+1 (1-based) shared by a run of ties: each gets their mean.
        let mean_rank = (i + j) as f64 / 2.0 + 1.0;
        rank_sum += mean_rank * order[i..=j].iter().filter(|&&r| labels[r]).count() as f64;
        i = j + 1;
    }
    let (p, n) = (positives as f64, negatives as f64);
    Ok((rank_sum - p * (p + 1.0) / 2.0) / (p * n))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::search::select::{select, AlphaScore, Rule};

    #[test]
    fn auc_matches_scikit_learn_with_ties() {
        // sklearn.metrics.roc_auc_score([0,0,1,1,0,1,1,0], [0.1,0.4,0.35,0.8,0.4,0.4,0.9,0.2])
        // = 0.8125 (scikit-learn 1.9.1)
        let y = [0.0f32, 0.0, 1.0, 1.0, 0.0, 1.0, 1.0, 0.0];
        let p = [0.1f32, 0.4, 0.35, 0.8, 0.4, 0.4, 0.9, 0.2];
        let a = ScoreKind::Auc.from_predictions(&p, &y, 1).unwrap();
        assert!((a - 0.8125).abs() < 1e-12, "{a}");
        // By hand: 16 positive-negative pairs; 0.35 beats 0.1 and 0.2 (2); 0.8 and 0.9 beat all
        // four (8); the positive 0.4 beats 0.1 and 0.2 (2) and ties both negative 0.4s (2 × ½):
        // 13 / 16 = 0.8125.
        assert_eq!(auc(&[1.0, 2.0], &[false, true]).unwrap(), 1.0);
        assert_eq!(auc(&[2.0, 1.0], &[false, true]).unwrap(), 0.0);
        assert_eq!(auc(&[1.0, 1.0], &[false, true]).unwrap(), 0.5);
        let e = auc(&[1.0, 2.0], &[true, true]).unwrap_err().to_string();
        assert!(e.contains("score") && e.contains("both classes"), "{e}");
    }

    #[test]
    fn log_loss_matches_scikit_learn() {
        // sklearn.metrics.log_loss([1, 0, 1, 1], [0.9, 0.2, 0.6, 0.3]) = 0.5108256237659907
        let y = [1.0f32, 0.0, 1.0, 1.0];
        let p = [0.9f32, 0.2, 0.6, 0.3];
        let l = ScoreKind::LogLoss.from_predictions(&p, &y, 1).unwrap();
        assert!((l - 0.5108256237659907).abs() < 1e-7, "{l}"); // f32 inputs: ~1e-8 off
                                                               // sklearn.metrics.log_loss([0, 2], [[0.7, 0.2, 0.1], [0.1, 0.3, 0.6]], labels=[0, 1, 2])
                                                               // = 0.4337502838523616 (−(ln 0.7 + ln 0.6)/2)
        let y = [1.0f32, 0.0, 0.0, 0.0, 0.0, 1.0];
        let p = [0.7f32, 0.2, 0.1, 0.1, 0.3, 0.6];
        let l = ScoreKind::LogLoss.from_predictions(&p, &y, 3).unwrap();
        assert!((l - 0.4337502838523616).abs() < 1e-7, "{l}");
    }

    #[test]
    fn errors_and_directions() {
        assert_eq!(ScoreKind::default_for(Loss::BinaryCrossEntropy), ScoreKind::LogLoss);
        assert_eq!(ScoreKind::default_for(Loss::MeanSquaredError), ScoreKind::Mse);
        assert!(ScoreKind::Auc.check(Loss::CategoricalCrossEntropy, 3).unwrap_err().to_string().contains("score"));
        assert!(ScoreKind::LogLoss.check(Loss::MeanSquaredError, 1).is_err());
        assert!(ScoreKind::Mae.check(Loss::BinaryCrossEntropy, 1).is_ok());
        assert!(ScoreKind::Auc.higher_is_better() && !ScoreKind::LogLoss.higher_is_better());
        let r = ScoreKind::Rmse.from_predictions(&[1.0, 3.0], &[0.0, 0.0], 1).unwrap();
        assert!((r - 5f64.sqrt()).abs() < 1e-12);
        assert_eq!(ScoreKind::Mae.from_predictions(&[1.0, -3.0], &[0.0, 0.0], 1).unwrap(), 2.0);
    }

    #[test]
    fn lower_is_better_selection_takes_the_largest_alpha_within_best_plus_se() {
        let s = |alpha: f64, mean: f64, se: f64| AlphaScore {
            alpha,
            n: 5,
            mean,
            se,
            train_mean: 0.0,
            kernel_l2: 0.0,
            zero_fraction: 0.0,
            l1_ratio: None,
            units: None,
            rung: None,
        };
        // Log-loss: best 0.20 ± 0.03 at 1e-3, so the 1-SE rule accepts means ≤ 0.23.
        let table = [s(1e-1, 0.69, 0.0), s(1e-2, 0.229, 0.01), s(3e-2, 0.231, 0.0), s(1e-3, 0.20, 0.03)];
        let higher = ScoreKind::LogLoss.higher_is_better();
        assert_eq!(select(&table, higher, Rule::Best).unwrap().alpha, 1e-3);
        let one = select(&table, higher, Rule::OneSe).unwrap();
        assert_eq!(one.alpha, 1e-2);
        assert!((one.threshold - 0.23).abs() < 1e-12);
        // The same numbers read as higher-is-better pick the 0.69 (a loss mistaken for a score).
        assert_eq!(select(&table, true, Rule::Best).unwrap().alpha, 1e-1);
    }
}
