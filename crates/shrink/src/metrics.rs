//! Metrics reported per epoch: accuracy for classifiers, error measures for regressors.

use crate::Float;
use serde::{Deserialize, Serialize};

/// A metric over predictions and targets `[batch, outputs]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Metric {
    /// Binary accuracy (threshold 0.5) for one output, argmax accuracy for several — Keras'
    /// `"accuracy"` picks the same way.
    Accuracy,
    /// Mean squared error.
    Mse,
    /// Mean absolute error.
    Mae,
    /// Root mean squared error.
    Rmse,
}

impl Metric {
    /// The metric's name in histories and tables.
    pub fn as_str(self) -> &'static str {
        match self {
            Metric::Accuracy => "accuracy",
            Metric::Mse => "mse",
            Metric::Mae => "mae",
            Metric::Rmse => "rmse",
        }
    }

    /// A sum over rows that, divided by the row count (and finished by [`Metric::finish`]),
    /// gives the metric; sums let epochs average over uneven batches exactly.
    pub fn batch_sum<F: Float>(self, pred: &[F], target: &[F], width: usize) -> f64 {
        match self {
            Metric::Accuracy if width == 1 => {
                pred.iter().zip(target).filter(|(&p, &y)| (p.f64() > 0.5) == (y.f64() > 0.5)).count() as f64
            }
            Metric::Accuracy => {
                pred.chunks_exact(width).zip(target.chunks_exact(width)).filter(|(p, y)| argmax(p) == argmax(y)).count()
                    as f64
            }
            Metric::Mse | Metric::Rmse => {
                pred.iter().zip(target).map(|(&p, &y)| (p - y).f64().powi(2)).sum::<f64>() / width as f64
            }
            Metric::Mae => pred.iter().zip(target).map(|(&p, &y)| (p - y).f64().abs()).sum::<f64>() / width as f64,
        }
    }

    /// Turns a mean of [`Metric::batch_sum`] into the metric (the root, for RMSE).
    pub fn finish(self, mean: f64) -> f64 {
        match self {
            Metric::Rmse => mean.sqrt(),
            _ => mean,
        }
    }

    /// The metric over a whole prediction.
    pub fn compute<F: Float>(self, pred: &[F], target: &[F], width: usize) -> f64 {
        let rows = (pred.len() / width).max(1);
        self.finish(self.batch_sum(pred, target, width) / rows as f64)
    }
}

fn argmax<F: Float>(row: &[F]) -> usize {
    let mut best = 0;
    for (i, v) in row.iter().enumerate() {
        if *v > row[best] {
            best = i;
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values() {
        assert_eq!(Metric::Accuracy.compute(&[0.2f32, 0.7, 0.51, 0.4], &[0.0, 1.0, 0.0, 0.0], 1), 0.75);
        assert_eq!(Metric::Accuracy.compute(&[0.1f32, 0.9, 0.8, 0.2], &[0.0, 1.0, 0.0, 1.0], 2), 0.5);
        assert_eq!(Metric::Mse.compute(&[1.0f64, 3.0], &[0.0, 1.0], 1), 2.5);
        assert_eq!(Metric::Mae.compute(&[1.0f64, 3.0], &[0.0, 1.0], 1), 1.5);
        assert_eq!(Metric::Rmse.compute(&[1.0f64, 3.0], &[0.0, 1.0], 1), 2.5f64.sqrt());
    }
}
