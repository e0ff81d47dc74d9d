//! The convergence test: `tol` and `n_iter_no_change`, scikit-learn's MLP rule
//! (`BaseMultilayerPerceptron._update_no_improvement_count` and the check after it in
//! `_fit_stochastic`) with a **relative** tolerance:
//!
//! ```text
//! after each epoch, with L its training loss (data + penalty, the objective) and best = +∞ at the start:
//!     if L > best − tol·|best|: count += 1     (sklearn: L > best_loss − tol)
//!     else:                     count = 0
//!     best = min(best, L)
//!     if count > n_iter_no_change: stop, converged
//! ```
//!
//! So a fit stops after `n_iter_no_change + 1` consecutive epochs in which the objective fell
//! by less than `tol` times its best value so far, as sklearn stops after that many epochs
//! without an absolute fall of `tol`. Relative, because shrink's objectives differ in scale
//! between data sets and penalties; `tol = 1e-4` on a loss near 1 is sklearn's default. With
//! sklearn's `early_stopping = True` its rule watches the validation score instead; in shrink
//! that is `[early_stopping]`'s job, and `tol` always watches the training objective.

use crate::Error;
use serde::Serialize;

/// The spec's `tol` and `n_iter_no_change`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Convergence {
    /// Relative tolerance, finite and ≥ 0.
    pub tol: f64,
    /// Epochs without a relative improvement of `tol` that are tolerated, ≥ 1. Default 10
    /// (scikit-learn's).
    pub n_iter_no_change: usize,
}

/// scikit-learn's default `n_iter_no_change`.
pub const DEFAULT_N_ITER_NO_CHANGE: usize = 10;

impl Convergence {
    /// `tol` with `n_iter_no_change` (default 10), validated.
    pub fn new(tol: f64, n_iter_no_change: Option<usize>) -> Result<Self, Error> {
        let c = Convergence { tol, n_iter_no_change: n_iter_no_change.unwrap_or(DEFAULT_N_ITER_NO_CHANGE) };
        c.validate()?;
        Ok(c)
    }

    /// Checks the documented ranges.
    pub fn validate(&self) -> Result<(), Error> {
        if !(self.tol.is_finite() && self.tol >= 0.0) {
            return Err(Error::invalid("tol", "finite and ≥ 0", self.tol));
        }
        if self.n_iter_no_change == 0 {
            return Err(Error::invalid("n_iter_no_change", "≥ 1", 0));
        }
        Ok(())
    }
}

/// The test's state over one fit.
#[derive(Debug, Clone)]
pub(crate) struct ConvergenceTest {
    config: Convergence,
    best: f64,
    count: usize,
}

impl ConvergenceTest {
    pub(crate) fn new(config: Convergence) -> Self {
        ConvergenceTest { config, best: f64::INFINITY, count: 0 }
    }

    /// After an epoch with training loss `loss`: whether the fit has converged.
    pub(crate) fn on_epoch_end(&mut self, loss: f64) -> bool {
        // The first epoch always improves on +∞ (sklearn's `best_loss_ = np.inf`).
        let improved = self.best.is_infinite() || loss <= self.best - self.config.tol * self.best.abs();
        self.count = if improved { 0 } else { self.count + 1 };
        if loss < self.best {
            self.best = loss;
        }
        self.count > self.config.n_iter_no_change
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// sklearn's counter on a scripted loss sequence: `tol` relative to the best so far, a stop
    /// once more than `n_iter_no_change` epochs in a row fail it.
    #[test]
    fn counts_like_sklearn_with_a_relative_tol() {
        let mut t = ConvergenceTest::new(Convergence::new(0.1, Some(2)).unwrap());
        // best: 10 → 8.5 (improves by 15 % ≥ 10 %) → 8.0 (6 %: counted, best 8) → 7.5 (6 %:
        // counted) → 7.0 (6.7 %: counted, 3 > 2: stop).
        let stops: Vec<bool> = [10.0, 8.5, 8.0, 7.5, 7.0].iter().map(|&l| t.on_epoch_end(l)).collect();
        assert_eq!(stops, [false, false, false, false, true]);
        // A real improvement resets the count.
        let mut t = ConvergenceTest::new(Convergence::new(0.1, Some(2)).unwrap());
        let stops: Vec<bool> = [10.0, 9.5, 9.4, 5.0, 4.9, 4.8].iter().map(|&l| t.on_epoch_end(l)).collect();
        assert_eq!(stops, [false, false, false, false, false, false]);
        assert_eq!(Convergence::new(-1.0, None).unwrap_err().to_string(), "tol must be finite and ≥ 0, got -1");
        assert!(Convergence::new(1e-4, Some(0)).unwrap_err().to_string().starts_with("n_iter_no_change"));
    }
}
