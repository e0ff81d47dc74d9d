//! The reference case study: an overfit MLP on two moons, rescued by an L2 penalty.
//!
//! Data `moons(100, 0.2, 1)`, rows 0–29 train, 30–99 test; Dense(500, relu) → Dense(1, sigmoid),
//! binary cross-entropy, Adam, 4000 epochs, batch 32. Three configurations: (1) no penalty,
//! (2) L2(0.001) on the hidden kernel, (3) a grid of alphas on the hidden kernel; each repeated
//! with seeds `seed, seed+1, …` so that repeat *r* of every configuration starts from the same
//! initial weights (common random numbers make the alpha comparison sharper).

use crate::loss::Loss;
use crate::metrics::Metric;
use crate::nn::{Activation, Dense, Model};
use crate::optim::OptimizerConfig;
use crate::search::{mean_sd, run_trials, select, AlphaScore, Rule};
use crate::train::{FitConfig, Trainer};
use crate::weights::weight_report;
use crate::{Error, Penalty};
use ndarray::{Array2, Axis};
use serde::Serialize;
use std::fmt::Write as _;
use std::path::Path;
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
            alphas: vec![1e-1, 1e-2, 1e-3, 1e-4, 1e-5, 1e-6],
            reference_alpha: 1e-3,
            seed: 0,
            threads: std::thread::available_parallelism().map_or(1, |n| n.get()),
            hidden: 500,
        }
    }
}

/// One fit's outcome (a row of `results.csv`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FitResult {
    /// `none`, `l2` or `grid`.
    pub config: String,
    /// The hidden-kernel L2 strength (0 for `none`).
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
    /// Wall time of the fit.
    pub fit_seconds: f64,
    /// Train and test accuracy per epoch (configurations 1 and 2 only).
    #[serde(skip)]
    pub curves: Option<(Vec<f64>, Vec<f64>)>,
}

/// Mean ± sd of one configuration over its repeats.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SummaryRow {
    /// `none`, `l2` or `grid`.
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
}

/// Everything a case-study run produced.
#[derive(Debug, Clone, Serialize)]
pub struct CaseStudy {
    /// The settings used.
    pub config: CaseStudyConfig,
    /// One row per fit and configuration; when the grid contains the reference alpha, the
    /// `l2` rows are the grid's fits at that alpha (same seeds, same bits), run once.
    pub fits: Vec<FitResult>,
    /// Number of fits actually trained.
    pub trained: usize,
    /// One row per configuration and alpha.
    pub summary: Vec<SummaryRow>,
    /// The grid alpha with the best mean test accuracy (ties: the larger alpha).
    pub best_alpha: f64,
    /// Wall time of the whole run.
    pub total_seconds: f64,
}

struct Trial {
    config: &'static str,
    alpha: f64,
    repeat: usize,
    curves: bool,
}

/// Train and test sets of a binary classification study, in f32, targets as one column.
#[derive(Debug, Clone)]
pub struct StudyData {
    /// Training inputs.
    pub x_train: Array2<f32>,
    /// Training targets (0 or 1), one column.
    pub y_train: Array2<f32>,
    /// Test inputs.
    pub x_test: Array2<f32>,
    /// Test targets (0 or 1), one column.
    pub y_test: Array2<f32>,
}

impl StudyData {
    /// The reference data: `moons(100, 0.2, 1)`, rows 0–29 train, 30–99 test, unscaled.
    pub fn reference() -> Result<Self, Error> {
        let ds = shrink_data::moons(100, 0.2, 1)?;
        let (train, test) = shrink_data::split_at(&ds, 30)?;
        Self::from_datasets(&train, &test, shrink_data::Scaling::None)
    }

    /// A study on the user's own tables: targets must be 0 or 1; inputs are scaled with a
    /// scaler fitted on the training rows only.
    pub fn from_datasets(
        train: &shrink_data::Dataset,
        test: &shrink_data::Dataset,
        scaling: shrink_data::Scaling,
    ) -> Result<Self, Error> {
        if train.n_features() != test.n_features() {
            return Err(Error::Shape(format!(
                "train has {} feature columns, test has {}",
                train.n_features(),
                test.n_features()
            )));
        }
        for (name, ds) in [("training", train), ("test", test)] {
            if let Some((row, v)) = ds.y.iter().enumerate().find(|(_, v)| **v != 0.0 && **v != 1.0) {
                return Err(Error::Target(format!(
                    "the case study is binary classification: {name} target `{}` must be 0 or 1, data row {} has {v}",
                    ds.target_name,
                    row + 1
                )));
            }
        }
        let scaler = shrink_data::Scaler::fit(scaling, train.x.view())?;
        let column = |y: &ndarray::Array1<f64>| y.mapv(|v| v as f32).insert_axis(Axis(1));
        Ok(StudyData {
            x_train: scaler.transform(train.x.view())?.mapv(|v| v as f32),
            y_train: column(&train.y),
            x_test: scaler.transform(test.x.view())?.mapv(|v| v as f32),
            y_test: column(&test.y),
        })
    }
}

/// The case study's network with an optional hidden-kernel penalty.
pub fn model(inputs: usize, hidden: usize, penalty: Option<Penalty>, seed: u64) -> Result<Model<f32>, Error> {
    let mut layer = Dense::new(hidden).activation(Activation::Relu);
    if let Some(p) = penalty {
        layer = layer.kernel_penalty(p);
    }
    Model::builder(&[inputs]).layer(layer).layer(Dense::new(1).activation(Activation::Sigmoid)).build(seed)
}

/// Runs every fit; `progress(done, total)` is called as fits finish.
pub fn run(
    config: &CaseStudyConfig,
    data: &StudyData,
    progress: &(dyn Fn(usize, usize) + Sync),
) -> Result<CaseStudy, Error> {
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
        Penalty::l2(a)?;
    }
    FitConfig { batch_size: config.batch_size, threads: config.threads, ..FitConfig::default() }.validate()?;
    // Configuration (2) is the grid point at the reference alpha when the grid has it: the same
    // seeds give the same fits, so those run once (with learning curves) and serve both.
    let shared = config.alphas.contains(&config.reference_alpha);
    let mut trials = Vec::new();
    for repeat in 0..config.repeats {
        trials.push(Trial { config: "none", alpha: 0.0, repeat, curves: true });
        if !shared {
            trials.push(Trial { config: "l2", alpha: config.reference_alpha, repeat, curves: true });
        }
    }
    for &alpha in &config.alphas {
        for repeat in 0..config.repeats {
            trials.push(Trial { config: "grid", alpha, repeat, curves: alpha == config.reference_alpha });
        }
    }
    let total = trials.len();
    let done = std::sync::atomic::AtomicUsize::new(0);
    let start = Instant::now();
    let results = run_trials(
        &trials,
        config.threads,
        |t| fit_one(config, t, data),
        |_, _| progress(done.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1, total),
    )?;
    let mut fits = results.into_iter().collect::<Result<Vec<_>, _>>()?;
    if shared {
        let copies: Vec<FitResult> = fits
            .iter()
            .filter(|f| f.config == "grid" && f.alpha == config.reference_alpha)
            .map(|f| FitResult { config: "l2".to_string(), ..f.clone() })
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
            zero_fraction: 0.0,
        })
        .collect();
    let best_alpha = select(&grid_scores, true, Rule::Best).map_or(f64::NAN, |s| s.alpha);
    Ok(CaseStudy {
        config: config.clone(),
        fits,
        trained: total,
        summary,
        best_alpha,
        total_seconds: start.elapsed().as_secs_f64(),
    })
}

fn fit_one(config: &CaseStudyConfig, trial: &Trial, data: &StudyData) -> Result<FitResult, Error> {
    let (xtr, ytr, xte, yte) = (&data.x_train, &data.y_train, &data.x_test, &data.y_test);
    let seed = config.seed + trial.repeat as u64;
    let penalty = if trial.alpha > 0.0 { Some(Penalty::l2(trial.alpha)?) } else { None };
    let mut net = model(xtr.ncols(), config.hidden, penalty, seed)?;
    let mut trainer = Trainer::new(Loss::BinaryCrossEntropy, &OptimizerConfig::adam(), &[Metric::Accuracy])?;
    let fit = FitConfig { epochs: config.epochs, batch_size: config.batch_size, shuffle: true, seed, threads: 1 };
    let start = Instant::now();
    let validation = trial.curves.then(|| (xte.view(), yte.view()));
    let history = trainer.fit(&mut net, xtr.view(), ytr.view(), validation, &fit, None)?;
    let fit_seconds = start.elapsed().as_secs_f64();
    let train = trainer.evaluate(&mut net, xtr.view(), ytr.view(), 128)?;
    let test = trainer.evaluate(&mut net, xte.view(), yte.view(), 128)?;
    let kernel = &weight_report(&net)[0];
    let curves =
        if trial.curves { history.train_metric("accuracy").zip(history.validation_metric("accuracy")) } else { None };
    Ok(FitResult {
        config: trial.config.to_string(),
        alpha: trial.alpha,
        repeat: trial.repeat,
        seed,
        train_acc: train.metrics[0],
        test_acc: test.metrics[0],
        train_loss: train.loss,
        test_loss: test.loss,
        kernel_l2: kernel.l2,
        kernel_max_abs: kernel.max_abs,
        fit_seconds,
        curves,
    })
}

fn summarize(fits: &[FitResult], config: &CaseStudyConfig) -> Vec<SummaryRow> {
    let mut keys: Vec<(&str, f64)> = vec![("none", 0.0), ("l2", config.reference_alpha)];
    keys.extend(config.alphas.iter().map(|&a| ("grid", a)));
    keys.into_iter()
        .map(|(name, alpha)| {
            let group: Vec<&FitResult> = fits.iter().filter(|f| f.config == name && f.alpha == alpha).collect();
            let col = |f: fn(&FitResult) -> f64| mean_sd(&group.iter().map(|r| f(r)).collect::<Vec<_>>());
            let (train_acc_mean, train_acc_sd) = col(|r| r.train_acc);
            let (test_acc_mean, test_acc_sd) = col(|r| r.test_acc);
            let (kernel_l2_mean, kernel_l2_sd) = col(|r| r.kernel_l2);
            SummaryRow {
                config: name.to_string(),
                alpha,
                n: group.len(),
                train_acc_mean,
                train_acc_sd,
                test_acc_mean,
                test_acc_sd,
                kernel_l2_mean,
                kernel_l2_sd,
            }
        })
        .collect()
}

impl CaseStudy {
    fn row(&self, config: &str, alpha: f64) -> Option<&SummaryRow> {
        self.summary.iter().find(|r| r.config == config && r.alpha == alpha)
    }

    /// Mean train and test accuracy per epoch over the repeats of `config` (`none` or `l2`).
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
        let (Some(none), Some(l2)) = (self.row("none", 0.0), self.row("l2", self.config.reference_alpha)) else {
            return text;
        };
        let gap = none.train_acc_mean - none.test_acc_mean;
        let _ = write!(
            text,
            "Without a penalty the network reaches train accuracy {:.3} but test accuracy {:.3} (mean of {} fits){}. ",
            none.train_acc_mean,
            none.test_acc_mean,
            none.n,
            if gap > 0.03 { ": it overfits the 30 training points" } else { "" }
        );
        let _ = write!(
            text,
            "L2({}) on the hidden kernel gives test accuracy {:.3} ({:+.3}) and shrinks the hidden kernel's L2 norm from {:.2} to {:.2}. ",
            self.config.reference_alpha,
            l2.test_acc_mean,
            l2.test_acc_mean - none.test_acc_mean,
            none.kernel_l2_mean,
            l2.kernel_l2_mean
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

    /// Writes `results.csv`: one row per fit.
    pub fn write_results_csv(&self, path: &Path) -> Result<(), Error> {
        let mut out = String::from(
            "config,alpha,repeat,seed,train_acc,test_acc,train_loss,test_loss,kernel_l2,kernel_max_abs,fit_seconds\n",
        );
        for f in &self.fits {
            let _ = writeln!(
                out,
                "{},{},{},{},{},{},{},{},{},{},{}",
                f.config,
                f.alpha,
                f.repeat,
                f.seed,
                f.train_acc,
                f.test_acc,
                f.train_loss,
                f.test_loss,
                f.kernel_l2,
                f.kernel_max_abs,
                f.fit_seconds
            );
        }
        write_atomic(path, out.as_bytes())
    }

    /// Writes `summary.json`: settings, per-configuration summaries, the best alpha and the
    /// reading.
    pub fn write_summary_json(&self, path: &Path) -> Result<(), Error> {
        let value = serde_json::json!({
            "config": self.config,
            "summary": self.summary,
            "best_alpha": self.best_alpha,
            "reading": self.reading(),
            "total_seconds": self.total_seconds,
            "fits_trained": self.trained,
        });
        let text = serde_json::to_string_pretty(&value)
            .map_err(|e| Error::Io { path: path.display().to_string(), source: e.into() })?;
        write_atomic(path, text.as_bytes())
    }
}

/// Writes `bytes` to `path` through a temporary file and a rename, so a crash never leaves a
/// half-written result behind.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), Error> {
    crate::files::write_atomic(path, bytes)
}

#[cfg(test)]
#[path = "case_study_tests.rs"]
mod tests;
