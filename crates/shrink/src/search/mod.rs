//! Running many independent trials (repeats, grid points) and summarising them.
//!
//! A trial is any `Fn(&T) -> R`; this module decides only *where* trials run (here: a rayon
//! pool of an explicit size) and keeps results in input order. Each trial seeds itself, so the
//! results are identical whatever the thread count — and the same interface can later hand
//! trials to other processes or machines.
//!
//! On top of it sits the alpha search (`shrink search`): [`grid`] (which alphas),
//! [`data`] (which rows validate: hold-out, test table, K folds), [`warm`] and [`run`] (training the trials), [`runner`] (where units train: threads here, or other processes),
//! [`trial_log`] (the resumable `trials.csv`), [`score`] (what a trial is scored by),
//! [`select`] (best or one-standard-error), [`alpha_max`] and [`auto_path`] (glmnet's
//! automatic path), [`exits`] (per-alpha rows of `alphas.csv`, where each input leaves the
//! model, and the edge-of-grid warning); [`dimensions`] (mixes and widths beside alpha),
//! [`halving`] (successive halving over rungs of epochs), [`shard`] (`--shard K/N`: every N-th unit of work), [`relax`] (the relaxed fit on the
//! chosen support), [`refit`] (the chosen point on every row) and [`widths`] (wide against narrow).

pub mod alpha_max;
pub mod auto_path;
pub mod data;
pub mod dimensions;
pub mod exits;
pub mod grid;
pub mod halving;
pub mod refit;
pub mod relax;
pub mod run;
pub mod runner;
pub mod score;
pub mod select;
pub mod shard;
pub mod trial_log;
pub mod warm;
pub mod widths;

pub use alpha_max::{alpha_max, AlphaMax};
pub use auto_path::{auto_grid, parse_alpha_request, path_start, AlphaRequest};
pub use data::{kfold, make_folds, stratified_kfold, Fold, Validation};
pub use dimensions::{parse_l1_ratios, parse_units, Dimensions, Point, UnitsGrid};
pub use exits::{alpha_rows, edge_warning, input_exits, AlphaRow, EdgeWarning, InputExit};
pub use grid::{parse_alphas, refine_points};
pub use halving::{Halving, RungReport};
pub use refit::refit;
pub use run::{run_search, run_search_with, spec_mode, PathKind, SearchConfig, SearchOutcome, Sink};
pub use runner::{at_point, run_unit, Local, Runner};
pub use score::{auc, ScoreKind};
pub use select::{select, AlphaScore, Rule, Selection};
pub use shard::Shard;
pub use trial_log::{read_log, Columns, TrialLog, TrialRecord};
pub use warm::Chain;

use crate::Error;
use rayon::prelude::*;

/// Runs `run` on every trial with `threads` worker threads; calls `on_done(index, &result)`
/// as each finishes (from a worker thread) and returns results in input order.
pub fn run_trials<T, R>(
    trials: &[T],
    threads: usize,
    run: impl Fn(&T) -> R + Sync,
    on_done: impl Fn(usize, &R) + Sync,
) -> Result<Vec<R>, Error>
where
    T: Sync,
    R: Send,
{
    if threads == 0 {
        return Err(Error::invalid("threads", "≥ 1", 0));
    }
    if threads == 1 {
        return Ok(trials
            .iter()
            .enumerate()
            .map(|(i, t)| {
                let r = run(t);
                on_done(i, &r);
                r
            })
            .collect());
    }
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(crate::threads::capped(threads))
        .build()
        .map_err(|e| Error::invalid("threads", "a thread count the system can start", e))?;
    Ok(pool.install(|| {
        trials
            .par_iter()
            .enumerate()
            .with_max_len(1)
            .map(|(i, t)| {
                let r = run(t);
                on_done(i, &r);
                r
            })
            .collect()
    }))
}

/// The decades from `from` to `to` inclusive, largest first: `log_grid(1e-1, 1e-6)` gives
/// 0.1, 0.01, …, 1e-6 (each value exactly the decimal power).
pub fn log_grid(from: f64, to: f64) -> Result<Vec<f64>, Error> {
    for (name, v) in [("from", from), ("to", to)] {
        if !(v.is_finite() && v > 0.0) {
            return Err(Error::invalid(
                if name == "from" { "alpha grid start" } else { "alpha grid end" },
                "finite and > 0",
                v,
            ));
        }
    }
    let (hi, lo) = (from.max(to).log10().round() as i32, from.min(to).log10().round() as i32);
    Ok((lo..=hi).rev().map(|e| format!("1e{e}").parse().expect("a decimal power parses")).collect())
}

/// Mean and sample standard deviation (n−1; 0 for a single value).
pub fn mean_sd(values: &[f64]) -> (f64, f64) {
    let n = values.len();
    if n == 0 {
        return (f64::NAN, f64::NAN);
    }
    let mean = values.iter().sum::<f64>() / n as f64;
    if n == 1 {
        return (mean, 0.0);
    }
    let var = values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1) as f64;
    (mean, var.sqrt())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[test]
    fn results_in_order_and_independent_of_threads() {
        let trials: Vec<u64> = (0..20).collect();
        let work = |t: &u64| (0..1000u64).fold(*t, |a, b| a.wrapping_mul(6364136223846793005).wrapping_add(b));
        let done = AtomicUsize::new(0);
        let one = run_trials(&trials, 1, work, |_, _| {}).unwrap();
        let two = run_trials(&trials, 2, work, |_, _| {
            done.fetch_add(1, Ordering::Relaxed);
        })
        .unwrap();
        assert_eq!(one, two);
        assert_eq!(done.load(Ordering::Relaxed), 20);
        assert!(run_trials(&trials, 0, work, |_, _| {}).is_err());
    }

    #[test]
    fn grids_and_stats() {
        assert_eq!(log_grid(1e-1, 1e-6).unwrap(), [1e-1, 1e-2, 1e-3, 1e-4, 1e-5, 1e-6]);
        assert_eq!(log_grid(1e-3, 1e-1).unwrap(), [1e-1, 1e-2, 1e-3]);
        assert!(log_grid(0.0, 1.0).is_err());
        let (m, s) = mean_sd(&[1.0, 2.0, 3.0, 4.0]);
        assert_eq!(m, 2.5);
        assert!((s - 1.2909944487358056).abs() < 1e-15); // numpy.std([1,2,3,4], ddof=1)
        assert_eq!(mean_sd(&[5.0]), (5.0, 0.0));
    }
}

#[cfg(test)]
mod test_support;

#[cfg(test)]
mod search_tests;

#[cfg(test)]
mod halving_tests;
