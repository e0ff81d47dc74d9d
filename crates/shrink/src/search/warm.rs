//! Units of work: a cold trial is a chain of one alpha; a warm path is a chain over every alpha
//! of a (repeat, fold), the first trained from fresh weights, each later one continuing from
//! the previous weights and optimizer state with `warm_epochs` more epochs (glmnet's warm
//! starts along the regularization path; the case study's "repeated regularization of a fitted
//! model").

use super::data::Fold;
use super::run::{measure, start_trial, Measured, PathKind, SearchConfig};
use super::trial_log::{TrialKey, TrialRecord};
use crate::spec::ModelSpec;
use crate::Error;
use std::collections::BTreeSet;
use std::time::Instant;

/// A sequence of trials on one (repeat, fold) that runs on one thread.
#[derive(Debug, Clone)]
pub struct Chain {
    /// Repeat index.
    pub repeat: usize,
    /// Fold index.
    pub fold: usize,
    /// Alphas in training order.
    pub alphas: Vec<f64>,
    /// Whether each alpha's record is already in the log (trained again only to reach the
    /// weights the next alpha continues from, and not recorded twice).
    pub done: Vec<bool>,
}

/// The chains for `alphas`, leaving out work whose records are all in `done`. A warm chain
/// with some records missing runs whole: the missing trials need the weights of the earlier
/// ones, and since trials are deterministic the rerun reproduces them exactly.
pub fn chains(alphas: &[f64], config: &SearchConfig, folds: usize, done: &BTreeSet<TrialKey>) -> Vec<Chain> {
    planned(alphas, config, folds, done).into_iter().filter(|c| c.done.iter().any(|d| !d)).collect()
}

/// Every unit of work for `alphas` this process runs, finished or not, with its `done` flags:
/// all of them, or with `config.shard` those of the shard. Units are numbered before anything
/// is skipped, so that the shards of a search agree on the numbering (see [`super::shard`]).
pub fn planned(alphas: &[f64], config: &SearchConfig, folds: usize, done: &BTreeSet<TrialKey>) -> Vec<Chain> {
    let mut out = Vec::new();
    let mut ordered = alphas.to_vec();
    match config.path {
        PathKind::Warm => ordered.sort_by(f64::total_cmp),
        PathKind::WarmReverse => ordered.sort_by(|a, b| b.total_cmp(a)),
        PathKind::Cold => {}
    }
    let is_done = |a: f64, repeat, fold| done.contains(&(a.to_bits(), repeat, fold));
    if config.path == PathKind::Cold {
        for &a in &ordered {
            for repeat in 0..config.repeats {
                for fold in 0..folds {
                    out.push(Chain { repeat, fold, alphas: vec![a], done: vec![is_done(a, repeat, fold)] });
                }
            }
        }
    } else {
        for repeat in 0..config.repeats {
            for fold in 0..folds {
                let flags: Vec<bool> = ordered.iter().map(|&a| is_done(a, repeat, fold)).collect();
                out.push(Chain { repeat, fold, alphas: ordered.clone(), done: flags });
            }
        }
    }
    match config.shard {
        Some(shard) => out.into_iter().enumerate().filter(|(i, _)| shard.owns(*i)).map(|(_, c)| c).collect(),
        None => out,
    }
}

/// Trains one chain, handing each new record to `sink` as soon as it is measured. A trial that
/// diverges is recorded with NaN scores and the next alpha starts from fresh weights.
pub fn run_chain(
    spec: &ModelSpec,
    config: &SearchConfig,
    folds: &[Fold],
    chain: &Chain,
    sink: &(dyn Fn(&TrialRecord) -> Result<(), Error> + Sync),
) -> Result<(), Error> {
    let fold = &folds[chain.fold];
    let seed = spec.seed + chain.repeat as u64;
    let mut state = None;
    for (&alpha, &done) in chain.alphas.iter().zip(&chain.done) {
        let start = Instant::now();
        let (mut model, mut trainer, epochs) = match state.take() {
            None => {
                let (m, t) = start_trial(spec, config, alpha, chain.repeat)?;
                (m, t, spec.epochs)
            }
            Some((mut m, t)) => {
                crate::nn::Model::set_penalty(&mut m, &config.param, Some(config.penalty.at(alpha)?))?;
                (m, t, config.warm_epochs)
            }
        };
        let fit = crate::train::FitConfig { epochs, seed, ..spec.fit_config() };
        // A trial monitors (early stopping, a plateau schedule) the rows it is scored on: the
        // fold's validation rows, as Keras' `validation_data`.
        let validation = fit.needs_validation().then(|| (fold.x_val.view(), fold.y_val.view()));
        let measured = match trainer.fit(&mut model, fold.x_train.view(), fold.y_train.view(), validation, &fit, None) {
            Ok(_) => {
                let v = measure(spec, config, &mut model, &mut trainer, fold)?;
                state = Some((model, trainer));
                v
            }
            Err(Error::Diverged { .. }) => Measured::DIVERGED,
            Err(e) => return Err(e),
        };
        if !done {
            sink(&measured.record(alpha, chain.repeat, chain.fold, seed, start))?;
        }
    }
    Ok(())
}
