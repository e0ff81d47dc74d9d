//! Successive halving (`--prune-trials halving`): every candidate (mix, width, alpha) trains to
//! the first rung's epochs; only the better `1/eta` of them, by mean score over repeats × folds
//! at that rung, go on to the next rung, and so on up to the spec's epochs.
//!
//! Decisions depend on the rung scores alone (ties: the simpler candidate, see
//! [`AlphaScore::simpler`]), and every rung result is a record in `trials.csv` with its `rung`,
//! so a resumed search — or one on another thread count — reaches the same decisions.
//!
//! A promoted trial **continues** from its rung weights and optimizer state (as Hyperband
//! does) when the fit allows it exactly ([`FitConfig::continues_exactly`]: no early
//! stopping, `tol` or plateau schedule): the trainer replays the earlier shuffles and step
//! count (`initial_epoch`), so the continued trial has the bits of a fresh fit of the rung's
//! epochs. A resumed search, which has no weights from before, trains that fresh fit instead
//! and gets the same record. When the fit does not continue exactly, every rung trains fresh.
//!
//! [`FitConfig::continues_exactly`]: crate::train::FitConfig::continues_exactly

use super::data::Fold;
use super::dimensions::Point;
use super::run::{measure, score_order, start_trial, Measured, PathKind, SearchConfig, SearchOutcome, Sink};
use super::select::{select, AlphaScore};
use super::trial_log::{RecordKey, TrialRecord};
use super::{run_trials, Dimensions};
use crate::nn::Model;
use crate::spec::ModelSpec;
use crate::train::{FitConfig, Trainer};
use crate::Error;
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Instant;

/// The rungs and the reduction factor.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Halving {
    /// Epochs each rung trains to, strictly increasing; the last is the spec's epochs.
    pub rungs: Vec<usize>,
    /// Each rung keeps `⌈n/eta⌉` of its `n` candidates (at least one). 3.
    pub eta: usize,
}

impl Halving {
    /// The default rungs for `epochs`: ⌈epochs/9⌉, ⌈epochs/3⌉ and all of them (repeats merged).
    pub fn default_for(epochs: usize) -> Halving {
        let mut rungs = vec![epochs.div_ceil(9).max(1), epochs.div_ceil(3).max(1), epochs.max(1)];
        rungs.dedup();
        Halving { rungs, eta: 3 }
    }

    /// Parses `--rungs 100,400,1200` (epochs, strictly increasing).
    pub fn parse_rungs(text: &str) -> Result<Halving, Error> {
        let rungs = text
            .split(',')
            .map(|p| p.trim().parse::<usize>().ok().filter(|&e| e >= 1))
            .collect::<Option<Vec<usize>>>()
            .filter(|r| r.windows(2).all(|w| w[0] < w[1]))
            .ok_or_else(|| Error::invalid("rungs", "strictly increasing epoch counts ≥ 1 (100,400,1200)", text))?;
        Ok(Halving { rungs, eta: 3 })
    }

    /// How many of `n` candidates go on.
    pub fn keep(&self, n: usize) -> usize {
        n.div_ceil(self.eta).max(1)
    }

    /// Checks the rungs against the spec and the search.
    pub fn validate(&self, spec: &ModelSpec, config: &SearchConfig) -> Result<(), Error> {
        if self.rungs.last() != Some(&spec.epochs) {
            return Err(Error::invalid("rungs", "ending at the spec's epochs", format!("{:?}", self.rungs)));
        }
        if self.eta < 2 {
            return Err(Error::invalid("halving eta", "≥ 2", self.eta));
        }
        if config.path != PathKind::Cold {
            return Err(Error::invalid("prune-trials", "used with the cold path (--path cold)", "a warm path"));
        }
        if config.refine {
            return Err(Error::invalid("prune-trials", "used without --refine", "--refine"));
        }
        Ok(())
    }
}

/// What one rung did.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RungReport {
    /// Rung index, 0 first.
    pub rung: usize,
    /// Epochs its trials were trained to.
    pub epochs: usize,
    /// Candidates at this rung.
    pub candidates: usize,
    /// Their scores at this rung, best first (the promotion order).
    pub ranking: Vec<AlphaScore>,
    /// How many went on to the next rung (0 at the last).
    pub promoted: usize,
}

/// A trial's weights and optimizer state at the end of a rung.
type State = (Model<f32>, Trainer<f32>);

struct Job {
    candidate: usize,
    repeat: usize,
    fold: usize,
    state: Mutex<Option<State>>,
}

/// Runs the search by successive halving over `points` × `config.alphas`.
pub fn run(
    spec: &ModelSpec,
    config: &SearchConfig,
    folds: &[Fold],
    points: &[Point],
    done: Vec<TrialRecord>,
    sink: Sink,
    progress: &(dyn Fn(usize, usize) + Sync),
) -> Result<SearchOutcome, Error> {
    let start = Instant::now();
    let halving = config.halving.as_ref().ok_or_else(|| Error::invalid("halving", "set", "none"))?;
    let higher_is_better = config.score.higher_is_better();
    // Candidates with their spec and config (the point's width and mix applied).
    let mut candidates = Vec::new();
    for point in points {
        let spec_p = config.dimensions.spec_at(spec, point)?;
        let config_p = SearchConfig {
            penalty: point.family(&config.penalty)?,
            dimensions: Dimensions::default(),
            halving: None,
            ..config.clone()
        };
        for &alpha in &config.alphas {
            candidates.push((*point, alpha, spec_p.clone(), config_p.clone()));
        }
    }
    let per = config.repeats * folds.len();
    let mut planned = candidates.len();
    let mut total = 0;
    for _ in &halving.rungs {
        total += planned * per;
        planned = halving.keep(planned);
    }
    let key = |c: usize, repeat: usize, fold: usize, rung: usize| -> RecordKey {
        let (p, a) = (&candidates[c].0, candidates[c].1);
        (p.l1_ratio.map(f64::to_bits), p.units, a.to_bits(), repeat, fold, Some(rung))
    };
    let mut have: BTreeMap<RecordKey, TrialRecord> =
        done.into_iter().filter(|r| r.rung.is_some()).map(|r| (r.record_key(), r)).collect();
    let counter = AtomicUsize::new(0);
    let mut alive: Vec<usize> = (0..candidates.len()).collect();
    let mut states: HashMap<(usize, usize, usize), State> = HashMap::new();
    let mut rungs = Vec::new();
    let mut trained = 0;
    let mut last_scores: BTreeMap<usize, AlphaScore> = BTreeMap::new();
    for (rung, &epochs) in halving.rungs.iter().enumerate() {
        let previous = rung.checked_sub(1).map(|r| halving.rungs[r]);
        let mut jobs = Vec::new();
        for &c in &alive {
            for repeat in 0..config.repeats {
                for fold in 0..folds.len() {
                    let state = states.remove(&(c, repeat, fold));
                    if have.contains_key(&key(c, repeat, fold, rung)) {
                        counter.fetch_add(1, Ordering::Relaxed);
                    } else {
                        jobs.push(Job { candidate: c, repeat, fold, state: Mutex::new(state) });
                    }
                }
            }
        }
        states.clear();
        progress(counter.load(Ordering::Relaxed), total);
        let last = rung + 1 == halving.rungs.len();
        let results = run_trials(
            &jobs,
            config.threads,
            |job| -> Result<(TrialRecord, Option<State>), Error> {
                let (point, alpha, spec_p, config_p) = &candidates[job.candidate];
                let state = job.state.lock().map_err(|_| poisoned())?.take();
                let (record, state) = train(spec_p, config_p, folds, job, *alpha, state, previous, epochs)?;
                let record = TrialRecord { l1_ratio: point.l1_ratio, units: point.units, rung: Some(rung), ..record };
                sink(&record)?;
                progress(counter.fetch_add(1, Ordering::Relaxed) + 1, total);
                // The last rung's weights are not needed again.
                Ok((record, if last { None } else { state }))
            },
            |_, _| {},
        )?;
        for (job, result) in jobs.iter().zip(results) {
            let (record, state) = result?;
            trained += 1;
            if let Some(s) = state {
                states.insert((job.candidate, job.repeat, job.fold), s);
            }
            have.insert(record.record_key(), record);
        }
        // Scores at this rung, ranked best first; ties (and NaN, last) deterministic.
        let mut ranking: Vec<(usize, AlphaScore)> = alive
            .iter()
            .map(|&c| {
                let rows: Vec<[f64; 4]> = (0..config.repeats)
                    .flat_map(|r| (0..folds.len()).map(move |f| (r, f)))
                    .filter_map(|(r, f)| have.get(&key(c, r, f, rung)))
                    .map(|r| [r.score, r.train_score, r.kernel_l2, r.zero_fraction])
                    .collect();
                let s = AlphaScore { rung: Some(rung), ..AlphaScore::of(candidates[c].1, &rows).at(&candidates[c].0) };
                (c, s)
            })
            .collect();
        ranking.sort_by(|(_, a), (_, b)| rank(a, b, higher_is_better));
        let promoted = if last { 0 } else { halving.keep(alive.len()) };
        for (c, s) in &ranking {
            last_scores.insert(*c, s.clone());
        }
        rungs.push(RungReport {
            rung,
            epochs,
            candidates: alive.len(),
            ranking: ranking.iter().map(|(_, s)| s.clone()).collect(),
            promoted,
        });
        if !last {
            alive = ranking.iter().take(promoted).map(|(c, _)| *c).collect();
            alive.sort_unstable();
            states.retain(|(c, _, _), _| alive.contains(c));
        }
    }
    let final_rung = halving.rungs.len() - 1;
    let finalists: Vec<AlphaScore> = last_scores.values().filter(|s| s.rung == Some(final_rung)).cloned().collect();
    let selection = select(&finalists, higher_is_better, config.rule);
    let mut scores: Vec<AlphaScore> = last_scores.into_values().collect();
    scores.sort_by(score_order);
    let wanted: Vec<RecordKey> = (0..candidates.len())
        .flat_map(|c| (0..halving.rungs.len()).flat_map(move |g| (0..config.repeats).map(move |r| (c, g, r))))
        .flat_map(|(c, g, r)| (0..folds.len()).map(move |f| key(c, r, f, g)))
        .collect();
    let records: Vec<TrialRecord> = wanted.iter().filter_map(|k| have.remove(k)).collect();
    let mut records = records;
    records.sort_by_key(TrialRecord::record_key);
    Ok(SearchOutcome {
        trial_seconds: records.iter().map(|r| r.seconds).sum(),
        records,
        grid: config.alphas.clone(),
        refined: Vec::new(),
        scores,
        selection,
        score_name: config.score.as_str(),
        higher_is_better,
        trained,
        seconds: start.elapsed().as_secs_f64(),
        rungs,
    })
}

/// Better mean first; equal means: the simpler candidate; NaN (diverged) last.
fn rank(a: &AlphaScore, b: &AlphaScore, higher_is_better: bool) -> std::cmp::Ordering {
    let value = |s: &AlphaScore| match (s.mean.is_nan(), higher_is_better) {
        (true, _) => f64::NEG_INFINITY,
        (false, true) => s.mean,
        (false, false) => -s.mean,
    };
    value(b).total_cmp(&value(a)).then(b.simpler(a))
}

/// Trains one trial to `epochs`: continuing `state` (trained to `previous` epochs) when the fit
/// continues exactly, otherwise from fresh weights. Returns the record and the weights to go on.
#[allow(clippy::too_many_arguments)]
fn train(
    spec: &ModelSpec,
    config: &SearchConfig,
    folds: &[Fold],
    job: &Job,
    alpha: f64,
    state: Option<State>,
    previous: Option<usize>,
    epochs: usize,
) -> Result<(TrialRecord, Option<State>), Error> {
    let start = Instant::now();
    let fold = &folds[job.fold];
    let seed = spec.seed + job.repeat as u64;
    let base = FitConfig { epochs, seed, ..spec.fit_config() };
    let exact = base.continues_exactly();
    let (mut model, mut trainer, initial_epoch) = match (state, previous) {
        (Some((m, t)), Some(prev)) if exact => (m, t, prev),
        _ => {
            let (m, t) = start_trial(spec, config, alpha, job.repeat)?;
            (m, t, 0)
        }
    };
    let fit = FitConfig { initial_epoch, ..base };
    let validation = fit.needs_validation().then(|| (fold.x_val.view(), fold.y_val.view()));
    let (measured, state) =
        match trainer.fit(&mut model, fold.x_train.view(), fold.y_train.view(), validation, &fit, None) {
            Ok(_) => (measure(spec, config, &mut model, &mut trainer, fold)?, exact.then_some((model, trainer))),
            Err(Error::Diverged { .. }) => (Measured::DIVERGED, None),
            Err(e) => return Err(e),
        };
    let record = measured.record(alpha, job.repeat, job.fold, seed, start);
    Ok((record, state))
}

fn poisoned() -> Error {
    Error::invalid("halving state", "usable after a failed trial", "a poisoned lock")
}
