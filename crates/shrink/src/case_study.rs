//! The reference case study: an overfit MLP on two moons, rescued by a weight penalty.
//!
//! Data `moons(100, 0.2, 1)`, rows 0–29 train, 30–99 test; Dense(500, relu) → Dense(1, sigmoid),
//! binary cross-entropy, Adam, 4000 epochs, batch 32. Three configurations: (1) no penalty,
//! (2) the penalty family (default `l2`, Keras' L2) at the reference alpha on the hidden kernel,
//! (3) a grid of alphas of that family on the hidden kernel; each repeated with seeds
//! `seed, seed+1, …` so that repeat *r* of every configuration starts from the same initial
//! weights (common random numbers make the alpha comparison sharper). The fits run through the
//! one study loop, [`crate::study`]; writing files and plots is the caller's.

use crate::loss::Loss;
use crate::metrics::Metric;
use crate::nn::{Activation, Dense, Model};
use crate::optim::OptimizerConfig;
use crate::penalty::Family;
use crate::search::{select, AlphaScore, Fold, Rule};
use crate::study::{fit_and_score, Arm, Plan, Stats, Trial};
use crate::train::{FitConfig, Trainer};
use crate::weights::weight_report;
use crate::{Error, Penalty};
use serde::Serialize;
use std::fmt::Write as _;
use std::time::Instant;

/// Settings of a case-study run.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CaseStudyConfig {
    /// Fits per configuration (different seeds), ≥ 1. Default 10.
    pub repeats: usize,
    /// Epochs per fit. Default 4000.
    pub epochs: usize,
    /// Rows per step. Default 32 (one batch of 30 per epoch).
    pub batch_size: usize,
    /// The penalty family of configurations (2) and (3). Default `l2`, the reference.
    pub family: Family,
    /// The grid of configuration (3). Default 1e-1 … 1e-6.
    pub alphas: Vec<f64>,
    /// The single penalty of configuration (2). Default 0.001.
    pub reference_alpha: f64,
    /// First seed; repeat r uses `seed + r`. Default 0.
    pub seed: u64,
    /// Worker threads (fits run side by side, one thread each). Default: all cores.
    pub threads: usize,
    /// Hidden units. Default 500.
    pub hidden: usize,
}

impl Default for CaseStudyConfig {
    fn default() -> Self {
        CaseStudyConfig {
            repeats: 10,
            epochs: 4000,
            batch_size: 32,
            family: Family::L2,
            alphas: vec![1e-1, 1e-2, 1e-3, 1e-4, 1e-5, 1e-6],
            reference_alpha: 1e-3,
            seed: 0,
            threads: std::thread::available_parallelism().map_or(1, |n| n.get()),
            hidden: 500,
        }
    }
}

impl CaseStudyConfig {
    /// The `config` name of configuration (2): the family's text form (`l2`, `l1`,
    /// `group-rows@proximal`).
    pub fn reference_name(&self) -> String {
        self.family.to_string()
    }
}

/// One fit's outcome (a row of `results.csv`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FitResult {
    /// `none`, the family (configuration 2) or `grid`.
    pub config: String,
    /// The hidden-kernel penalty strength (0 for `none`).
    pub alpha: f64,
    /// Repeat index.
    pub repeat: usize,
    /// The fit's seed.
    pub seed: u64,
    /// Final training accuracy.
    pub train_acc: f64,
    /// Final test accuracy.
    pub test_acc: f64,
    /// Final training loss (data + penalty, as Keras' `evaluate`).
    pub train_loss: f64,
    /// Final test loss (data + penalty).
    pub test_loss: f64,
    /// L2 norm of the hidden kernel after training.
    pub kernel_l2: f64,
    /// max |w| of the hidden kernel after training.
    pub kernel_max_abs: f64,
    /// Fraction of exact zeros in the hidden kernel after training.
    pub kernel_zero_fraction: f64,
    /// Wall time of the fit.
    pub fit_seconds: f64,
    /// Train and test accuracy per epoch (configurations 1 and 2 only).
    #[serde(skip)]
    pub curves: Option<(Vec<f64>, Vec<f64>)>,
}

/// Mean ± sd of one configuration over its repeats.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SummaryRow {
    /// `none`, the family or `grid`.
    pub config: String,
    /// The alpha.
    pub alpha: f64,
    /// Number of fits.
    pub n: usize,
    /// Mean training accuracy.
    pub train_acc_mean: f64,
    /// Its sample standard deviation.
    pub train_acc_sd: f64,
    /// Mean test accuracy.
    pub test_acc_mean: f64,
    /// Its sample standard deviation.
    pub test_acc_sd: f64,
    /// Mean hidden-kernel L2 norm.
    pub kernel_l2_mean: f64,
    /// Its sample standard deviation.
    pub kernel_l2_sd: f64,
    /// Mean fraction of exact zeros in the hidden kernel.
    pub kernel_zero_fraction_mean: f64,
}

/// Everything a case-study run produced.
#[derive(Debug, Clone, Serialize)]
pub struct CaseStudy {
    /// The settings used.
    pub config: CaseStudyConfig,
    /// One row per fit and configuration; when the grid contains the reference alpha, the
    /// configuration (2) rows are the grid's fits at that alpha (same seeds, same bits), run once.
    pub fits: Vec<FitResult>,
    /// Number of fits actually trained.
    pub trained: usize,
    /// Training rows of every fit.
    pub train_rows: usize,
    /// One row per configuration and alpha.
    pub summary: Vec<SummaryRow>,
    /// The grid alpha with the best mean test accuracy (ties: the larger alpha).
    pub best_alpha: f64,
    /// Wall time of the whole run.
    pub total_seconds: f64,
}

/// The reference data: `moons(100, 0.2, 1)`, rows 0–29 train, 30–99 test, unscaled.
pub fn reference_data() -> Result<Fold, Error> {
    let ds = shrink_data::moons(100, 0.2, 1)?;
    let (train, test) = shrink_data::split_at(&ds, 30)?;
    data_from(&train, &test, shrink_data::Scaling::None)
}

/// A study on the user's own tables: targets must be 0 or 1; inputs are scaled with a scaler
/// fitted on the training rows only.
pub fn data_from(
    train: &shrink_data::Dataset,
    test: &shrink_data::Dataset,
    scaling: shrink_data::Scaling,
) -> Result<Fold, Error> {
    Fold::encode(scaling, Loss::BinaryCrossEntropy, 1, train, test).map_err(|e| match e {
        Error::Target(why) => Error::Target(format!("the case study is binary classification: {why}")),
        e => e,
    })
}

/// The case study's network with an optional hidden-kernel penalty.
pub fn model(inputs: usize, hidden: usize, penalty: Option<Penalty>, seed: u64) -> Result<Model<f32>, Error> {
    let mut layer = Dense::new(hidden).activation(Activation::Relu);
    if let Some(p) = penalty {
        layer = layer.kernel_penalty(p);
    }
    Model::builder(&[inputs]).layer(layer).layer(Dense::new(1).activation(Activation::Sigmoid)).build(seed)
}

/// The arms of the study: `none`, configuration (2) unless the grid has its alpha, the grid.
fn arms(config: &CaseStudyConfig) -> Vec<Arm> {
    let mut arms = vec![Arm::new("none", 0.0)];
    if !config.alphas.contains(&config.reference_alpha) {
        arms.push(Arm::new(config.reference_name(), config.reference_alpha));
    }
    arms.extend(config.alphas.iter().map(|&a| Arm::new("grid", a)));
    arms
}

/// How many fits [`run`] trains.
pub fn fits_to_train(config: &CaseStudyConfig) -> usize {
    arms(config).len() * config.repeats
}

impl CaseStudyConfig {
    /// Checks every setting (run does too), so a command line can refuse before it writes.
    pub fn validate(&self) -> Result<(), Error> {
        let config = self;
        if config.repeats == 0 {
            return Err(Error::invalid("repeats", "≥ 1", 0));
        }
        if config.epochs == 0 {
            return Err(Error::invalid("epochs", "≥ 1", 0));
        }
        if config.hidden == 0 {
            return Err(Error::invalid("hidden", "≥ 1", 0));
        }
        for &a in config.alphas.iter().chain([&config.reference_alpha]) {
            config.family.at(a)?;
        }
        Plan::new(arms(config), config.repeats, config.threads.max(1)).check()?;
        FitConfig { batch_size: config.batch_size, threads: config.threads, ..FitConfig::default() }.validate()
    }
}

/// Runs every fit; `progress(done, total)` is called as fits finish.
pub fn run(
    config: &CaseStudyConfig,
    data: &Fold,
    progress: &(dyn Fn(usize, usize) + Sync),
) -> Result<CaseStudy, Error> {
    config.validate()?;
    let start = Instant::now();
    let plan = Plan::new(arms(config), config.repeats, config.threads);
    let trained = plan.run(|arm, trial| fit_one(config, arm, trial, data), progress)?;
    let total = trained.len();
    let mut fits: Vec<FitResult> = trained.into_iter().map(|(_, f)| f).collect();
    // Configuration (2) is the grid point at the reference alpha when the grid has it: the same
    // seeds give the same fits, so those ran once (with learning curves) and serve both.
    if config.alphas.contains(&config.reference_alpha) {
        let copies: Vec<FitResult> = fits
            .iter()
            .filter(|f| f.config == "grid" && f.alpha == config.reference_alpha)
            .map(|f| FitResult { config: config.reference_name(), ..f.clone() })
            .collect();
        let at = fits.iter().position(|f| f.config == "grid").unwrap_or(fits.len());
        fits.splice(at..at, copies);
    }
    let summary = summarize(&fits, config);
    // The search's own rule (best mean test accuracy, ties to the larger alpha), not a copy.
    let grid_scores: Vec<AlphaScore> = summary
        .iter()
        .filter(|r| r.config == "grid")
        .map(|r| AlphaScore {
            alpha: r.alpha,
            n: r.n,
            mean: r.test_acc_mean,
            se: r.test_acc_sd / (r.n.max(1) as f64).sqrt(),
            train_mean: r.train_acc_mean,
            kernel_l2: r.kernel_l2_mean,
            zero_fraction: r.kernel_zero_fraction_mean,
            l1_ratio: None,
            units: None,
            rung: None,
        })
        .collect();
    let best_alpha = select(&grid_scores, true, Rule::Best).map_or(f64::NAN, |s| s.alpha);
    Ok(CaseStudy {
        config: config.clone(),
        fits,
        trained: total,
        train_rows: data.x_train.nrows(),
        summary,
        best_alpha,
        total_seconds: start.elapsed().as_secs_f64(),
    })
}

fn fit_one(config: &CaseStudyConfig, arm: &Arm, trial: Trial, data: &Fold) -> Result<FitResult, Error> {
    let seed = config.seed + trial.repeat as u64;
    let penalty = if arm.alpha > 0.0 { Some(config.family.at(arm.alpha)?) } else { None };
    let mut net = model(data.x_train.ncols(), config.hidden, penalty, seed)?;
    let mut trainer = Trainer::new(Loss::BinaryCrossEntropy, &OptimizerConfig::adam(), &[Metric::Accuracy])?;
    let fit = FitConfig {
        epochs: config.epochs,
        batch_size: config.batch_size,
        shuffle: true,
        seed,
        threads: 1,
        ..FitConfig::default()
    };
    let curves = arm.name != "grid" || arm.alpha == config.reference_alpha;
    let scored = fit_and_score(&mut net, &mut trainer, data, &fit, 128, curves.then_some("accuracy"))?;
    let kernel = &weight_report(&net)[0];
    Ok(FitResult {
        config: arm.name.clone(),
        alpha: arm.alpha,
        repeat: trial.repeat,
        seed,
        train_acc: scored.train.metrics[0],
        test_acc: scored.test.metrics[0],
        train_loss: scored.train.loss,
        test_loss: scored.test.loss,
        kernel_l2: kernel.l2,
        kernel_max_abs: kernel.max_abs,
        kernel_zero_fraction: kernel.zero_fraction,
        fit_seconds: scored.seconds,
        curves: scored.curves,
    })
}

fn summarize(fits: &[FitResult], config: &CaseStudyConfig) -> Vec<SummaryRow> {
    let reference = config.reference_name();
    let mut keys: Vec<(&str, f64)> = vec![("none", 0.0), (&reference, config.reference_alpha)];
    keys.extend(config.alphas.iter().map(|&a| ("grid", a)));
    keys.into_iter()
        .map(|(name, alpha)| {
            let group: Vec<&FitResult> = fits.iter().filter(|f| f.config == name && f.alpha == alpha).collect();
            let col = |f: fn(&FitResult) -> f64| Stats::of(&group.iter().map(|r| f(r)).collect::<Vec<_>>());
            let (train, test, kernel) = (col(|r| r.train_acc), col(|r| r.test_acc), col(|r| r.kernel_l2));
            SummaryRow {
                config: name.to_string(),
                alpha,
                n: group.len(),
                train_acc_mean: train.mean,
                train_acc_sd: train.sd,
                test_acc_mean: test.mean,
                test_acc_sd: test.sd,
                kernel_l2_mean: kernel.mean,
                kernel_l2_sd: kernel.sd,
                kernel_zero_fraction_mean: col(|r| r.kernel_zero_fraction).mean,
            }
        })
        .collect()
}

impl CaseStudy {
    fn row(&self, config: &str, alpha: f64) -> Option<&SummaryRow> {
        self.summary.iter().find(|r| r.config == config && r.alpha == alpha)
    }

    /// Mean train and test accuracy per epoch over the repeats of `config` (`none` or the
    /// family's name, see [`CaseStudyConfig::reference_name`]).
    pub fn mean_curves(&self, config: &str) -> Option<(Vec<f64>, Vec<f64>)> {
        let curves: Vec<&(Vec<f64>, Vec<f64>)> =
            self.fits.iter().filter(|f| f.config == config).filter_map(|f| f.curves.as_ref()).collect();
        let n = curves.len();
        if n == 0 {
            return None;
        }
        let epochs = curves[0].0.len();
        let mut train = vec![0.0; epochs];
        let mut test = vec![0.0; epochs];
        for (tr, te) in &curves {
            train.iter_mut().zip(tr).for_each(|(a, v)| *a += v / n as f64);
            test.iter_mut().zip(te).for_each(|(a, v)| *a += v / n as f64);
        }
        Some((train, test))
    }

    /// A plain-language reading of the numbers.
    pub fn reading(&self) -> String {
        let mut text = String::new();
        let reference = self.config.reference_name();
        let (Some(none), Some(l2)) = (self.row("none", 0.0), self.row(&reference, self.config.reference_alpha)) else {
            return text;
        };
        let gap = none.train_acc_mean - none.test_acc_mean;
        let overfit = format!(": it overfits the {} training points", self.train_rows);
        let _ = write!(
            text,
            "Without a penalty the network reaches train accuracy {:.3} but test accuracy {:.3} (mean of {} fits){}. ",
            none.train_acc_mean,
            none.test_acc_mean,
            none.n,
            if gap > 0.03 { overfit.as_str() } else { "" }
        );
        let _ = write!(
            text,
            "{reference} at alpha {} on the hidden kernel gives test accuracy {:.3} ({:+.3}) and shrinks the hidden kernel's L2 norm from {:.2} to {:.2}{}. ",
            self.config.reference_alpha,
            l2.test_acc_mean,
            l2.test_acc_mean - none.test_acc_mean,
            none.kernel_l2_mean,
            l2.kernel_l2_mean,
            if self.config.family.makes_zeros() {
                format!(", {:.1} % of its weights exactly zero", 100.0 * l2.kernel_zero_fraction_mean)
            } else {
                String::new()
            }
        );
        if let Some(best) = self.row("grid", self.best_alpha) {
            let _ = write!(
                text,
                "On the grid the best mean test accuracy is {:.3} at alpha = {}. ",
                best.test_acc_mean, best.alpha
            );
        }
        if let Some(strongest) =
            self.summary.iter().filter(|r| r.config == "grid").max_by(|a, b| a.alpha.total_cmp(&b.alpha))
        {
            let underfits =
                strongest.train_acc_mean < none.train_acc_mean - 0.01 && strongest.test_acc_mean < l2.test_acc_mean;
            let _ = write!(
                text,
                "The strongest penalty, alpha = {}, {} (train {:.3}, test {:.3}).",
                strongest.alpha,
                if underfits { "underfits: it lowers both train and test accuracy" } else { "does not underfit here" },
                strongest.train_acc_mean,
                strongest.test_acc_mean
            );
        }
        text
    }
}

#[cfg(test)]
#[path = "case_study_tests.rs"]
mod tests;
