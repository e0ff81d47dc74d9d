//! The one study loop behind `shrink case-study` and the bundled examples: *arms* (a name and a
//! penalty strength) × repeats × folds, run side by side by [`run_trials`] with every fit
//! seeding itself, then summarised per arm ([`Stats`]) or scored per alpha ([`alpha_scores`],
//! for [`select`](crate::search::select)). A study describes its data, network and arms; a fix
//! here, or a new score, reaches every one of them.

use crate::nn::Model;
use crate::search::{mean_sd, run_trials, AlphaScore, Fold};
use crate::train::{Evaluation, FitConfig, Trainer};
use crate::Error;
use serde::Serialize;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

/// One configuration compared: a name and the penalty strength it trains with (0: none).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Arm {
    /// Its name in tables and files (`none`, `grid`, `L2 bias`, …).
    pub name: String,
    /// The penalty strength.
    pub alpha: f64,
}

impl Arm {
    /// An arm named `name` at `alpha`.
    pub fn new(name: impl Into<String>, alpha: f64) -> Arm {
        Arm { name: name.into(), alpha }
    }
}

/// One fit of a study: which arm, which repeat (its seed offset), which fold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Trial {
    /// Index into the plan's arms.
    pub arm: usize,
    /// Repeat index.
    pub repeat: usize,
    /// Fold index (0 without cross-validation).
    pub fold: usize,
}

/// What a study runs.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Plan {
    /// The configurations, in table order.
    pub arms: Vec<Arm>,
    /// Fits per arm and fold, ≥ 1.
    pub repeats: usize,
    /// Folds per repeat, ≥ 1.
    pub folds: usize,
    /// Worker threads, ≥ 1 (results do not depend on it).
    #[serde(skip)]
    pub threads: usize,
}

impl Plan {
    /// `arms` × `repeats` on one train/test split.
    pub fn new(arms: Vec<Arm>, repeats: usize, threads: usize) -> Plan {
        Plan { arms, repeats, folds: 1, threads }
    }

    /// Checks the counts before anything is allocated: repeats, folds and threads ≥ 1, and at
    /// most [`MAX_TRIALS`](crate::search::run::MAX_TRIALS) fits in all (arms × repeats × folds).
    pub fn check(&self) -> Result<(), Error> {
        for (name, value) in [("repeats", self.repeats), ("folds", self.folds), ("threads", self.threads)] {
            if value == 0 {
                return Err(Error::invalid(name, "≥ 1", 0));
            }
        }
        let fits = self.arms.len().checked_mul(self.repeats).and_then(|f| f.checked_mul(self.folds));
        if fits.is_none_or(|f| f > crate::search::run::MAX_TRIALS) {
            return Err(Error::invalid(
                "configurations × repeats × folds",
                "at most 10 000 000 fits",
                format!("{} × {} × {}", self.arms.len(), self.repeats, self.folds),
            ));
        }
        Ok(())
    }

    /// Every trial, arm by arm, then repeat, then fold.
    pub fn trials(&self) -> Vec<Trial> {
        (0..self.arms.len())
            .flat_map(|arm| {
                (0..self.repeats).flat_map(move |repeat| (0..self.folds).map(move |fold| Trial { arm, repeat, fold }))
            })
            .collect()
    }

    /// Runs `fit` on every trial (one thread each) and returns the results in trial order;
    /// `progress(done, total)` is called as fits finish. The first failed fit is the error.
    pub fn run<R: Send>(
        &self,
        fit: impl Fn(&Arm, Trial) -> Result<R, Error> + Sync,
        progress: &(dyn Fn(usize, usize) + Sync),
    ) -> Result<Vec<(Trial, R)>, Error> {
        self.check()?;
        let trials = self.trials();
        let done = AtomicUsize::new(0);
        let results = run_trials(
            &trials,
            self.threads,
            |t| fit(&self.arms[t.arm], *t),
            |_, _| progress(done.fetch_add(1, Ordering::Relaxed) + 1, trials.len()),
        )?;
        trials.into_iter().zip(results).map(|(t, r)| r.map(|r| (t, r))).collect()
    }
}

/// The values `value` takes over the fits of arm `arm`, in trial order.
pub fn values<R>(fits: &[(Trial, R)], arm: usize, value: impl Fn(&R) -> f64) -> Vec<f64> {
    fits.iter().filter(|(t, _)| t.arm == arm).map(|(_, r)| value(r)).collect()
}

/// Mean, sample standard deviation, minimum and maximum of some values.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Stats {
    /// How many.
    pub n: usize,
    /// Their mean.
    pub mean: f64,
    /// Their sample standard deviation (n−1; 0 for one).
    pub sd: f64,
    /// The smallest.
    pub min: f64,
    /// The largest.
    pub max: f64,
}

impl Stats {
    /// The statistics of `values` (NaN for none).
    pub fn of(values: &[f64]) -> Stats {
        let (mean, sd) = mean_sd(values);
        let fold = |f: fn(f64, f64) -> f64, start| values.iter().copied().reduce(f).unwrap_or(start);
        Stats { n: values.len(), mean, sd, min: fold(f64::min, f64::NAN), max: fold(f64::max, f64::NAN) }
    }

    /// The statistics of `value` over the fits of arm `arm`.
    pub fn of_arm<R>(fits: &[(Trial, R)], arm: usize, value: impl Fn(&R) -> f64) -> Stats {
        Stats::of(&values(fits, arm, value))
    }
}

/// One [`AlphaScore`] per arm in `arms`, from `measure` = (score, train score, size, zero
/// fraction) of each fit: what [`select`](crate::search::select) picks from.
pub fn alpha_scores<R>(
    plan: &Plan,
    fits: &[(Trial, R)],
    arms: impl IntoIterator<Item = usize>,
    measure: impl Fn(&R) -> [f64; 4],
) -> Vec<AlphaScore> {
    arms.into_iter()
        .map(|arm| {
            let rows: Vec<[f64; 4]> = fits.iter().filter(|(t, _)| t.arm == arm).map(|(_, r)| measure(r)).collect();
            AlphaScore::of(plan.arms[arm].alpha, &rows)
        })
        .collect()
}

/// What one fit of a study measured on its training and test rows.
#[derive(Debug, Clone)]
pub struct Scored {
    /// On the training rows after the fit.
    pub train: Evaluation,
    /// On the test (validation) rows.
    pub test: Evaluation,
    /// Train and test values of the curve metric per epoch, when asked for.
    pub curves: Option<(Vec<f64>, Vec<f64>)>,
    /// Wall time of the fit (not of the evaluations).
    pub seconds: f64,
}

/// Trains `model` on `data`'s training rows and evaluates it on both sides (`eval_batch` rows
/// at a time). With `curves = Some(metric)` the test rows are also scored every epoch.
pub fn fit_and_score(
    model: &mut Model<f32>,
    trainer: &mut Trainer<f32>,
    data: &Fold,
    fit: &FitConfig,
    eval_batch: usize,
    curves: Option<&str>,
) -> Result<Scored, Error> {
    let start = Instant::now();
    let validation = curves.map(|_| (data.x_val.view(), data.y_val.view()));
    let history = trainer.fit(model, data.x_train.view(), data.y_train.view(), validation, fit, None)?;
    let seconds = start.elapsed().as_secs_f64();
    let train = trainer.evaluate(model, data.x_train.view(), data.y_train.view(), eval_batch)?;
    let test = trainer.evaluate(model, data.x_val.view(), data.y_val.view(), eval_batch)?;
    let curves = curves.and_then(|m| history.train_metric(m).zip(history.validation_metric(m)));
    Ok(Scored { train, test, curves, seconds })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trials_in_order_and_errors_surface() {
        let plan = Plan { arms: vec![Arm::new("a", 0.0), Arm::new("b", 1.0)], repeats: 2, folds: 3, threads: 2 };
        let fits = plan.run(|arm, t| Ok(arm.alpha * 100.0 + (t.repeat * 10 + t.fold) as f64), &|_, _| {}).unwrap();
        assert_eq!(fits.len(), 12);
        assert_eq!(fits[7].0, Trial { arm: 1, repeat: 0, fold: 1 });
        assert_eq!(values(&fits, 1, |v| *v), [100.0, 101.0, 102.0, 110.0, 111.0, 112.0]);
        let s = Stats::of_arm(&fits, 0, |v| *v);
        assert_eq!((s.n, s.mean, s.min, s.max), (6, 6.0, 0.0, 12.0));
        let scores = alpha_scores(&plan, &fits, [1], |v| [*v, 0.0, 0.0, 0.0]);
        assert_eq!((scores[0].alpha, scores[0].mean), (1.0, 106.0));
        let e = plan.run(|_, t| if t.arm == 1 { Err(Error::invalid("x", "y", 1)) } else { Ok(()) }, &|_, _| {});
        assert!(e.is_err());
        assert!(Plan { repeats: 0, ..plan }.run(|_, _| Ok(()), &|_, _| {}).is_err());
    }

    #[test]
    fn huge_counts_are_refused_before_the_trials_are_listed() {
        let plan = Plan { arms: vec![Arm::new("a", 0.0); 7], repeats: 1_000_000_000_000, folds: 1, threads: 1 };
        let e = plan.run(|_, _| Ok(()), &|_, _| {}).unwrap_err().to_string();
        assert!(e.contains("configurations × repeats × folds") && e.contains("7 × 1000000000000 × 1"), "{e}");
        assert!(Plan { repeats: 2, folds: usize::MAX, ..plan.clone() }.check().is_err());
        assert!(Plan { repeats: 10, ..plan }.check().is_ok());
    }
}
