//! The relaxed fit (`--relax`, Meinshausen's relaxed lasso): the penalty chooses the support —
//! the inputs and units that survive, found by [`crate::prune`] — and a second fit on that
//! support without the searched penalty removes the shrinkage the penalty put on the weights
//! that stayed.
//!
//! The relaxed fit starts from the pruned penalized weights (the penalized solution restricted
//! to its support), with the searched penalty removed (penalties the spec puts elsewhere stay),
//! a fresh optimizer and the spec's epochs and seed. glmnet's relaxed fit is an unpenalized
//! least-squares fit whose answer does not depend on a start; a network's does, and starting at
//! the penalized solution keeps the relaxed network next to the one the search scored.

use super::data::Fold;
use super::mean_sd;
use super::run::{measure, start_trial, trial_metrics, SearchConfig};
use crate::model_file::SavedModel;
use crate::nn::{LayerConfig, Model};
use crate::prune::prune;
use crate::spec::ModelSpec;
use crate::train::{FitConfig, Trainer};
use crate::Error;
use ndarray::Axis;
use serde::Serialize;
use shrink_data::{Pipeline, Scaler, Scaling, TargetStage};

/// One (repeat, fold) of the relaxed comparison.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RelaxTrial {
    /// Repeat index (seed = spec seed + repeat).
    pub repeat: usize,
    /// Fold index.
    pub fold: usize,
    /// Validation score of the penalized fit (the search's trial).
    pub penalized: f64,
    /// Validation score of the relaxed fit on the penalized fit's support.
    pub relaxed: f64,
    /// Inputs the penalized fit kept.
    pub inputs_kept: usize,
    /// Parameters of the pruned network.
    pub parameters: usize,
}

/// Mean ± standard error of the penalized and relaxed scores over repeats × folds.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RelaxReport {
    /// The alpha both fits used (the chosen one).
    pub alpha: f64,
    /// Penalized: mean validation score.
    pub penalized_mean: f64,
    /// Penalized: standard error.
    pub penalized_se: f64,
    /// Relaxed: mean validation score.
    pub relaxed_mean: f64,
    /// Relaxed: standard error.
    pub relaxed_se: f64,
    /// Mean inputs kept.
    pub inputs_kept_mean: f64,
    /// Mean parameters of the pruned network (the unpruned one has `parameters_before`).
    pub parameters_mean: f64,
    /// Parameters of the network before pruning.
    pub parameters_before: usize,
    /// Every (repeat, fold).
    pub trials: Vec<RelaxTrial>,
}

/// Refuses a spec `prune` cannot handle, before anything runs.
pub fn check(spec: &ModelSpec) -> Result<(), Error> {
    if spec.series.is_some() {
        return Err(Error::invalid("relax", "a spec without [series]", "a [series] spec"));
    }
    if let Some(l) = spec.layers.iter().find(|l| !matches!(l, LayerConfig::Dense(_))) {
        return Err(Error::Spec(format!("--relax prunes Dense-only networks; the spec has {l:?}")));
    }
    Ok(())
}

/// Prunes a fitted `model` and returns the pruned network with the searched penalty removed
/// and the indices of the inputs it kept.
pub fn support(
    spec: &ModelSpec,
    config: &SearchConfig,
    model: &Model<f32>,
    pipeline: Pipeline,
) -> Result<(SavedModel, Vec<usize>), Error> {
    let saved = SavedModel { spec: spec.clone(), pipeline, model: model.clone() };
    let (mut pruned, _) = prune(&saved)?;
    let before = saved.features();
    let kept: Vec<usize> = pruned.features().iter().filter_map(|f| before.iter().position(|g| g == f)).collect();
    pruned.model.set_penalty(&config.param, None)?;
    pruned.spec = pruned.spec.clone().with_model_config(pruned.model.describe());
    Ok((pruned, kept))
}

/// The relaxed fit of `pruned` on `fold` (inputs already restricted to its support); stops
/// between batches once `config.interrupt` is set.
pub fn fit_relaxed(
    spec: &ModelSpec,
    config: &SearchConfig,
    pruned: &mut Model<f32>,
    fold: &Fold,
    seed: u64,
) -> Result<Trainer<f32>, Error> {
    let mut trainer = Trainer::new(spec.loss, &spec.optimizer, &trial_metrics(spec))?;
    trainer.set_interrupt(config.interrupt.clone());
    let fit = FitConfig { seed, ..spec.fit_config() };
    let validation = fit.needs_validation().then(|| (fold.x_val.view(), fold.y_val.view()));
    trainer.fit(pruned, fold.x_train.view(), fold.y_train.view(), validation, &fit, None)?;
    Ok(trainer)
}

/// `fold` with its inputs restricted to the columns `kept` (a support from [`support`]).
pub fn on_support(fold: &Fold, kept: &[usize]) -> Fold {
    Fold {
        x_train: fold.x_train.select(Axis(1), kept),
        y_train: fold.y_train.clone(),
        x_val: fold.x_val.select(Axis(1), kept),
        y_val: fold.y_val.clone(),
    }
}

/// The penalized and relaxed fits of `alpha` on every repeat × fold (`spec` and `config` at
/// the chosen point), with `threads` workers.
pub fn run(spec: &ModelSpec, config: &SearchConfig, folds: &[Fold], alpha: f64) -> Result<RelaxReport, Error> {
    check(spec)?;
    let jobs: Vec<(usize, usize)> = (0..config.repeats).flat_map(|r| (0..folds.len()).map(move |f| (r, f))).collect();
    let results = super::run_trials(
        &jobs,
        config.threads,
        |&(repeat, f)| one(spec, config, &folds[f], alpha, repeat, f),
        |_, _| {},
    )?;
    let trials = results.into_iter().collect::<Result<Vec<_>, Error>>()?;
    let col = |g: fn(&RelaxTrial) -> f64| trials.iter().map(g).collect::<Vec<f64>>();
    let se = |v: &[f64]| mean_sd(v).1 / (v.len().max(1) as f64).sqrt();
    let (p, r) = (col(|t| t.penalized), col(|t| t.relaxed));
    Ok(RelaxReport {
        alpha,
        penalized_mean: mean_sd(&p).0,
        penalized_se: se(&p),
        relaxed_mean: mean_sd(&r).0,
        relaxed_se: se(&r),
        inputs_kept_mean: mean_sd(&col(|t| t.inputs_kept as f64)).0,
        parameters_mean: mean_sd(&col(|t| t.parameters as f64)).0,
        parameters_before: spec.build_model()?.parameter_count(),
        trials,
    })
}

fn one(
    spec: &ModelSpec,
    config: &SearchConfig,
    fold: &Fold,
    alpha: f64,
    repeat: usize,
    f: usize,
) -> Result<RelaxTrial, Error> {
    let seed = spec.seed + repeat as u64;
    let (mut model, mut trainer) = start_trial(spec, config, alpha, repeat)?;
    // The same fit as the search's cold trial (same seed and settings), so the same score.
    let fit = FitConfig { seed, ..spec.fit_config() };
    let validation = fit.needs_validation().then(|| (fold.x_val.view(), fold.y_val.view()));
    trainer.fit(&mut model, fold.x_train.view(), fold.y_train.view(), validation, &fit, None)?;
    let penalized = measure(spec, config, &mut model, &mut trainer, fold)?.values[0];
    // Fold inputs are already scaled: an identity scaler, inputs named by position.
    let n = fold.x_train.ncols();
    let identity = Scaler::fit(Scaling::None, fold.x_train.mapv(f64::from).view())?;
    let names: Vec<String> = (0..n).map(|i| i.to_string()).collect();
    let target = TargetStage::legacy("y", crate::model_file::target_task(spec, model.output_size()));
    let pipeline = Pipeline::numeric(&names, identity, target).map_err(|e| Error::Spec(e.to_string()))?;
    let (mut pruned, kept) = support(spec, config, &model, pipeline)?;
    let on_support = on_support(fold, &kept);
    let mut trainer = fit_relaxed(&pruned.spec, config, &mut pruned.model, &on_support, seed)?;
    let relaxed = measure(&pruned.spec, config, &mut pruned.model, &mut trainer, &on_support)?.values[0];
    Ok(RelaxTrial {
        repeat,
        fold: f,
        penalized,
        relaxed,
        inputs_kept: kept.len(),
        parameters: pruned.model.parameter_count(),
    })
}
