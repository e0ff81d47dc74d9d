//! The search itself: trials (alpha × repeat × fold) planned, skipped when already in the log,
//! run in parallel with one thread each, then scored and an alpha selected.
//!
//! Every trial seeds itself (`spec.seed + repeat` for initialization and shuffling), so the
//! records are identical whatever the thread count or the order trials finish in.

use super::data::{is_classification, Fold};
use super::dimensions::Dimensions;
use super::dimensions::Point;
use super::grid::refine_points;
use super::halving::Halving;
use super::runner::{at_point, Local, Runner};
use super::score::ScoreKind;
use super::select::{select, AlphaScore, Rule, Selection};
use super::trial_log::{TrialKey, TrialRecord};
use super::warm;
use crate::metrics::Metric;
use crate::nn::Model;
use crate::penalty::{Family, PenaltyMode};
use crate::spec::ModelSpec;
use crate::train::Trainer;
use crate::Error;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

/// Cold starts or a warm-started path along alpha.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PathKind {
    /// Every trial trains from fresh weights.
    Cold,
    /// Weakest alpha first (cold), then each stronger alpha continues from the previous
    /// weights and optimizer state.
    Warm,
    /// The same from the strongest alpha towards the weakest.
    WarmReverse,
}

/// What to search.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SearchConfig {
    /// Parameter selector (`dense_0.kernel`, `*.kernel`, …) the penalty is set on; penalties the
    /// spec puts elsewhere stay as they are.
    pub param: String,
    /// The penalty family (any family and mode; the trial's alpha sets its strength).
    pub penalty: Family,
    /// The grid, in the order given.
    pub alphas: Vec<f64>,
    /// Add [`refine_points`] around the best grid alpha.
    pub refine: bool,
    /// Seeds per alpha, ≥ 1.
    pub repeats: usize,
    /// How the alpha is chosen.
    pub rule: Rule,
    /// What each trial is scored by ([`ScoreKind::default_for`] the loss unless asked).
    pub score: ScoreKind,
    /// Cold or warm-started trials.
    pub path: PathKind,
    /// Epochs of each continued fit on a warm path (the first fit uses the spec's epochs).
    pub warm_epochs: usize,
    /// Grid dimensions beside alpha (`--l1-ratios`, `--units`); empty: alpha alone.
    #[serde(flatten)]
    pub dimensions: Dimensions,
    /// Successive halving over rungs of epochs instead of training every trial in full.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub halving: Option<Halving>,
    /// With `--shard K/N`, the shard of the units this process runs (see [`super::shard`]);
    /// not part of the search's identity, so shards and the merge run share one fingerprint.
    #[serde(skip)]
    pub shard: Option<super::shard::Shard>,
    /// Worker threads, ≥ 1 (results do not depend on it).
    #[serde(skip)]
    pub threads: usize,
    /// Stops every trial between batches once set ([`Error::Interrupted`]); `None`: runs to
    /// the end. Not part of the search's identity.
    #[serde(skip)]
    pub interrupt: Option<crate::train::Interrupt>,
}

impl SearchConfig {
    /// Checks everything a search needs before any file is written or trial run.
    pub fn validate(&self, spec: &ModelSpec) -> Result<(), Error> {
        if self.repeats == 0 {
            return Err(Error::invalid("repeats", "≥ 1", 0));
        }
        if self.threads == 0 {
            return Err(Error::invalid("threads", "≥ 1", 0));
        }
        if self.alphas.is_empty() {
            return Err(Error::invalid("alphas", "at least one value", "nothing"));
        }
        // Checked before any file is written; `run_search` checks again with the folds.
        if self.alphas.len().checked_mul(self.repeats).is_none_or(|t| t > MAX_TRIALS) {
            return Err(Error::invalid(
                "alphas × repeats × folds",
                "at most 10 000 000 trials",
                format!("{} × {} × (folds)", self.alphas.len(), self.repeats),
            ));
        }
        self.dimensions.validate(spec, &self.penalty)?;
        for p in self.dimensions.points() {
            for &a in &self.alphas {
                p.family(&self.penalty)?.at(a)?;
            }
        }
        if let Some(h) = &self.halving {
            h.validate(spec, self)?;
        }
        if let Some(shard) = &self.shard {
            shard.check(self)?;
        }
        let model = spec.build_model()?;
        model.select(&self.param)?;
        self.score.check(spec.loss, model.output_size())?;
        // Every trial has validation rows (hold-out, test table or fold) for a `val_` monitor.
        let names: Vec<String> = trial_metrics(spec).iter().map(|m| m.as_str().to_string()).collect();
        spec.fit_config().monitors(&names, true)?;
        Ok(())
    }
}

/// The mode the spec applies its penalties on the parameters `param` selects in, when that is
/// not `gradient`, with the names of the parameters that carry it. A search whose family was
/// written without a mode takes it (see `shrink search --penalty`): searching `l1` on a kernel
/// the spec penalizes `l1@proximal` must not silently turn the exact zeros off. Parameters whose
/// penalties disagree on a mode are an error naming them.
pub fn spec_mode(spec: &ModelSpec, param: &str) -> Result<Option<(PenaltyMode, Vec<String>)>, Error> {
    let model = spec.build_model()?;
    let mut found: Option<(PenaltyMode, Vec<String>)> = None;
    for id in model.select(param)? {
        let Some(penalty) = model.param(id).penalty.clone().filter(|p| p.mode() != PenaltyMode::Gradient) else {
            continue;
        };
        let name = model.param_name(id);
        match &mut found {
            None => found = Some((penalty.mode(), vec![name])),
            Some((mode, names)) if *mode == penalty.mode() => names.push(name),
            Some((mode, names)) => {
                return Err(Error::Spec(format!(
                    "the spec's penalties on `{param}` disagree on a mode: {} {} `{}`, {name} `{}`; \
                     name the mode in the family (`l1@proximal`, `l1@gradient`)",
                    names.join(", "),
                    if names.len() == 1 { "is" } else { "are" },
                    mode.as_str(),
                    penalty.mode().as_str()
                )))
            }
        }
    }
    Ok(found)
}

/// Everything a search produced.
#[derive(Debug, Clone, Serialize)]
pub struct SearchOutcome {
    /// Every trial of this search, sorted by (mix, width, alpha, repeat, fold, rung).
    pub records: Vec<TrialRecord>,
    /// The grid.
    pub grid: Vec<f64>,
    /// Refinement points added (empty without refine).
    pub refined: Vec<f64>,
    /// Scores per alpha, largest alpha first.
    pub scores: Vec<AlphaScore>,
    /// The chosen alpha and why.
    pub selection: Option<Selection>,
    /// The score's name (`log-loss`, `accuracy`, `auc`, `mse`, `rmse`, `mae`).
    pub score_name: &'static str,
    /// Whether a higher score is better.
    pub higher_is_better: bool,
    /// Trials trained by this call (the rest came from the log).
    pub trained: usize,
    /// Sum of the trial times of all records (the compute a cold/warm comparison counts).
    pub trial_seconds: f64,
    /// Wall time of this call.
    pub seconds: f64,
    /// With successive halving, what each rung trained and promoted.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub rungs: Vec<super::halving::RungReport>,
}

/// The most trials one search may plan (about a year of 3-second trials on one core).
pub const MAX_TRIALS: usize = 10_000_000;

/// Receives each finished trial (from worker threads), e.g. to append it to `trials.csv`.
pub type Sink<'a> = &'a (dyn Fn(&TrialRecord) -> Result<(), Error> + Sync);

/// Runs the search: the grid, then (with `refine`) the refinement points around the best grid
/// alpha. Trials whose key is in `done` are not run again. `progress(done, total)` counts
/// trials, including those already done.
pub fn run_search(
    spec: &ModelSpec,
    config: &SearchConfig,
    folds: &[Fold],
    done: Vec<TrialRecord>,
    sink: Sink,
    progress: &(dyn Fn(usize, usize) + Sync),
) -> Result<SearchOutcome, Error> {
    run_search_with(spec, config, folds, done, sink, progress, &Local { threads: config.threads })
}

/// [`run_search`] with the units trained by `runner` (successive halving, whose promoted trials
/// continue from weights held in memory, always trains here).
pub fn run_search_with(
    spec: &ModelSpec,
    config: &SearchConfig,
    folds: &[Fold],
    done: Vec<TrialRecord>,
    sink: Sink,
    progress: &(dyn Fn(usize, usize) + Sync),
    runner: &dyn Runner,
) -> Result<SearchOutcome, Error> {
    config.validate(spec)?;
    // Counts from flags are multiplied before anything is planned: 1e12 repeats is an error,
    // not an 8 GB list of trial keys.
    let points = config.dimensions.points();
    let trials = (config.alphas.len().checked_mul(config.repeats))
        .and_then(|t| t.checked_mul(folds.len()))
        .and_then(|t| t.checked_mul(points.len()))
        .filter(|&t| t <= MAX_TRIALS);
    if trials.is_none() {
        return Err(Error::invalid(
            "alphas × repeats × folds",
            "at most 10 000 000 trials",
            format!("{} × {} × {}", config.alphas.len(), config.repeats, folds.len()),
        ));
    }
    if config.halving.is_some() {
        return super::halving::run(spec, config, folds, &points, done, sink, progress);
    }
    if config.dimensions.is_empty() {
        return run_point(spec, config, folds, &Point::default(), done, sink, progress, runner);
    }
    // One alpha search per point (mix, width), each tagged with its point; then one selection
    // over every (point, alpha).
    let start = Instant::now();
    let per_point = config.alphas.len() * config.repeats * folds.len();
    // Units per point, for the shard's numbering over the whole search.
    let units =
        warm::planned(&config.alphas, &SearchConfig { shard: None, ..config.clone() }, folds.len(), &BTreeSet::new())
            .len();
    let mut all: Option<SearchOutcome> = None;
    for (i, point) in points.iter().enumerate() {
        let (spec_p, config_p) = at_point(spec, config, point)?;
        let config_p = SearchConfig { shard: config.shard.map(|s| s.after(i * units)), ..config_p };
        let mine: Vec<TrialRecord> = done.iter().filter(|r| r.point() == *point && r.rung.is_none()).cloned().collect();
        let tag = |r: &TrialRecord| sink(&TrialRecord { l1_ratio: point.l1_ratio, units: point.units, ..r.clone() });
        let base = i * per_point;
        let later = (points.len() - 1 - i) * per_point;
        let step = |d: usize, t: usize| progress(base + d, base + t + later);
        let mut o = run_point(&spec_p, &config_p, folds, point, mine, &tag, &step, runner)?;
        o.records.iter_mut().for_each(|r| (r.l1_ratio, r.units) = (point.l1_ratio, point.units));
        o.scores = o.scores.into_iter().map(|s| s.at(point)).collect();
        match &mut all {
            None => all = Some(o),
            Some(a) => {
                a.records.extend(o.records);
                for v in o.refined {
                    if !a.refined.contains(&v) {
                        a.refined.push(v);
                    }
                }
                a.scores.extend(o.scores);
                a.trained += o.trained;
                a.trial_seconds += o.trial_seconds;
            }
        }
    }
    let mut out = all.ok_or_else(|| Error::invalid("grid points", "at least one", 0))?;
    out.records.sort_by_key(TrialRecord::record_key);
    out.scores.sort_by(score_order);
    out.selection = select(&out.scores, out.higher_is_better, config.rule);
    out.seconds = start.elapsed().as_secs_f64();
    Ok(out)
}

/// The order of the score table: by mix, then width, then alpha from the largest.
pub fn score_order(a: &AlphaScore, b: &AlphaScore) -> std::cmp::Ordering {
    let key = |s: &AlphaScore| (s.l1_ratio.unwrap_or(0.0), s.units.unwrap_or(0));
    key(a).0.total_cmp(&key(b).0).then(key(a).1.cmp(&key(b).1)).then(b.alpha.total_cmp(&a.alpha))
}

/// The alpha search at one point (`spec` and `config` already [`at_point`]): the grid, then
/// (with `refine`) the refinement points.
#[allow(clippy::too_many_arguments)] // each is one input of the search; a struct would only rename them
fn run_point(
    spec: &ModelSpec,
    config: &SearchConfig,
    folds: &[Fold],
    point: &Point,
    done: Vec<TrialRecord>,
    sink: Sink,
    progress: &(dyn Fn(usize, usize) + Sync),
    runner: &dyn Runner,
) -> Result<SearchOutcome, Error> {
    let start = Instant::now();
    let mut have: BTreeMap<TrialKey, TrialRecord> = done.into_iter().map(|r| (r.key(), r)).collect();
    let per_alpha = config.repeats * folds.len();
    let counter = AtomicUsize::new(0);
    let mut trained = 0;
    let mut phase = |alphas: &[f64], total: usize, have: &mut BTreeMap<TrialKey, TrialRecord>| {
        let keys: BTreeSet<TrialKey> = have.keys().copied().collect();
        let mut before = keys_of(alphas, config.repeats, folds.len()).filter(|k| keys.contains(k)).count();
        let mut total = total;
        if config.shard.is_some() {
            // A shard counts its own units only (no refinement phase follows: Shard::check).
            let mine = warm::planned(alphas, config, folds.len(), &keys);
            before = mine.iter().flat_map(|c| &c.done).filter(|&&d| d).count();
            total = mine.iter().map(|c| c.done.len()).sum();
        }
        counter.fetch_add(before, Ordering::Relaxed);
        progress(counter.load(Ordering::Relaxed), total);
        let collected = std::sync::Mutex::new(Vec::new());
        let record = |r: &TrialRecord| -> Result<(), Error> {
            sink(r)?;
            collected.lock().map_err(|_| poisoned())?.push(r.clone());
            progress(counter.fetch_add(1, Ordering::Relaxed) + 1, total);
            Ok(())
        };
        let chains = warm::chains(alphas, config, folds.len(), &keys);
        runner.run(point, &chains, &|c| warm::run_chain(spec, config, folds, c, &record), &record)?;
        let new = collected.into_inner().map_err(|_| poisoned())?;
        trained += new.len();
        have.extend(new.into_iter().map(|r| (r.key(), r)));
        Ok::<(), Error>(())
    };
    let grid = config.alphas.clone();
    phase(&grid, grid.len() * per_alpha, &mut have)?;
    let higher_is_better = config.score.higher_is_better();
    let mut refined = Vec::new();
    if config.refine {
        let scores = score_table(&have, &grid, config.repeats, folds.len());
        if let Some(best) = select(&scores, higher_is_better, Rule::Best) {
            refined = refine_points(best.alpha, &grid);
            phase(&refined, (grid.len() + refined.len()) * per_alpha, &mut have)?;
        }
    }
    let all: Vec<f64> = grid.iter().chain(&refined).copied().collect();
    let mut scores = score_table(&have, &all, config.repeats, folds.len());
    scores.sort_by(|a, b| b.alpha.total_cmp(&a.alpha));
    let selection = select(&scores, higher_is_better, config.rule);
    let wanted: BTreeSet<TrialKey> = keys_of(&all, config.repeats, folds.len()).collect();
    let records: Vec<TrialRecord> = have.into_values().filter(|r| wanted.contains(&r.key())).collect();
    Ok(SearchOutcome {
        trial_seconds: records.iter().map(|r| r.seconds).sum(),
        records,
        grid,
        refined,
        scores,
        selection,
        score_name: config.score.as_str(),
        higher_is_better,
        trained,
        seconds: start.elapsed().as_secs_f64(),
        rungs: Vec::new(),
    })
}

fn poisoned() -> Error {
    Error::invalid("trial log", "usable after a failed trial", "a poisoned lock")
}

fn keys_of(alphas: &[f64], repeats: usize, folds: usize) -> impl Iterator<Item = TrialKey> + '_ {
    alphas.iter().flat_map(move |a| (0..repeats).flat_map(move |r| (0..folds).map(move |f| (a.to_bits(), r, f))))
}

/// Mean ± standard error per alpha over the trials present (repeats × folds when complete).
fn score_table(
    have: &BTreeMap<TrialKey, TrialRecord>,
    alphas: &[f64],
    repeats: usize,
    folds: usize,
) -> Vec<AlphaScore> {
    alphas
        .iter()
        .map(|&a| {
            let rows: Vec<[f64; 4]> = keys_of(&[a], repeats, folds)
                .filter_map(|k| have.get(&k))
                .map(|r| [r.score, r.train_score, r.kernel_l2, r.zero_fraction])
                .collect();
            AlphaScore::of(a, &rows)
        })
        .collect()
}

/// A fresh model for repeat `repeat` with the searched penalty at `alpha`, and its trainer.
pub fn start_trial(
    spec: &ModelSpec,
    config: &SearchConfig,
    alpha: f64,
    repeat: usize,
) -> Result<(Model<f32>, Trainer<f32>), Error> {
    let seeded = ModelSpec { seed: spec.seed + repeat as u64, ..spec.clone() };
    let mut model = seeded.build_model()?;
    model.set_penalty(&config.param, Some(config.penalty.at(alpha)?))?;
    let mut trainer = Trainer::new(spec.loss, &spec.optimizer, &trial_metrics(spec))?;
    trainer.set_interrupt(config.interrupt.clone());
    Ok((model, trainer))
}

/// A trial's metrics: accuracy for classification (first: the accuracy score reads it), then
/// any metric of the spec that early stopping or a plateau schedule monitors.
pub fn trial_metrics(spec: &ModelSpec) -> Vec<Metric> {
    let mut metrics = if is_classification(spec) { vec![Metric::Accuracy] } else { Vec::new() };
    let monitored = spec.fit_config().monitored_metrics();
    for m in &spec.metrics {
        if monitored.iter().any(|n| n == m.as_str()) && !metrics.contains(m) {
            metrics.push(*m);
        }
    }
    metrics
}

/// What [`measure`] found on a trained model.
#[derive(Debug, Clone, PartialEq)]
pub struct Measured {
    /// Validation score, training score, L2 norm and exact-zero fraction of the searched
    /// parameters.
    pub values: [f64; 4],
    /// Rows of the first searched 2-D kernel with a non-zero weight, and which (`0`/`1` each).
    pub inputs: Option<(usize, String)>,
}

impl Measured {
    /// What a diverged fit measures: every value NaN, no inputs.
    pub const DIVERGED: Measured = Measured { values: [f64::NAN; 4], inputs: None };

    /// The trial log's record of this measurement of the trial (`alpha`, `repeat`, `fold`) with
    /// `seed`, timed from `start`; not yet tagged with a grid point or a halving rung.
    pub fn record(self, alpha: f64, repeat: usize, fold: usize, seed: u64, start: Instant) -> TrialRecord {
        let values = self.values;
        let (inputs_used, input_mask) = self.inputs.map_or((None, String::new()), |(n, m)| (Some(n), m));
        TrialRecord {
            alpha,
            repeat,
            fold,
            seed,
            score: values[0],
            train_score: values[1],
            kernel_l2: values[2],
            zero_fraction: values[3],
            inputs_used,
            input_mask,
            seconds: start.elapsed().as_secs_f64(),
            l1_ratio: None,
            units: None,
            rung: None,
        }
    }
}

/// Scores a trained model: validation and training score, the searched parameters' size and
/// which rows (inputs) of the first searched 2-D kernel are still in use.
pub fn measure(
    _spec: &ModelSpec,
    config: &SearchConfig,
    model: &mut Model<f32>,
    trainer: &mut Trainer<f32>,
    fold: &Fold,
) -> Result<Measured, Error> {
    let kind = config.score;
    let mut score = |x: &ndarray::Array2<f32>, y: &ndarray::Array2<f32>| -> Result<f64, Error> {
        if kind.needs_predictions() {
            let pred = model.predict(x.view(), 256)?;
            let (pred, y) = (pred.as_standard_layout(), y.as_standard_layout());
            // `as_standard_layout` returns a contiguous array, so `as_slice` cannot fail.
            let (p, t) = (pred.as_slice().expect("contiguous"), y.as_slice().expect("contiguous"));
            return kind.from_predictions(p, t, y.ncols());
        }
        // Accuracy, log-loss and MSE from the trainer's evaluation: the same bits as the fit's
        // own history (accuracy is the trainer's first metric for classification).
        let e = trainer.evaluate(model, x.view(), y.view(), 256)?;
        Ok(if kind == ScoreKind::Accuracy { e.metrics[0] } else { e.data_loss })
    };
    let val = score(&fold.x_val, &fold.y_val)?;
    let train = score(&fold.x_train, &fold.y_train)?;
    let (mut sq, mut zeros, mut count) = (0.0f64, 0usize, 0usize);
    let mut inputs = None;
    for id in model.select(&config.param)? {
        let p = model.param(id);
        for v in &p.value {
            sq += f64::from(*v).powi(2);
            zeros += usize::from(*v == 0.0);
            count += 1;
        }
        if inputs.is_none() && p.role == crate::nn::Role::Kernel && p.shape.len() == 2 {
            let cols = p.shape[1];
            let mask: String =
                p.value.chunks(cols.max(1)).map(|row| if row.iter().any(|&v| v != 0.0) { '1' } else { '0' }).collect();
            inputs = Some((mask.bytes().filter(|&b| b == b'1').count(), mask));
        }
    }
    Ok(Measured { values: [val, train, sq.sqrt(), zeros as f64 / count.max(1) as f64], inputs })
}
