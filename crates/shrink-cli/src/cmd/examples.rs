//! `shrink example digits-cnn` and `shrink example sunspots-lstm`: the penalty story on a
//! convolutional and a recurrent network (and `breast-cancer`, in `examples_breast.rs`), with data sets compiled into the binary.

use crate::study_out::{cell, Outputs};
use anyhow::{bail, Context, Result};
use indicatif::ProgressBar;
use ndarray::{Array1, Array2, Axis, Slice};
use shrink::data::series::SeriesSpec;
use shrink::data::{read_csv_bytes, shuffle_split, Scaler, Scaling};
use shrink::loss::Loss;
use shrink::metrics::Metric;
use shrink::nn::{Activation, Conv2D, Dense, Flatten, Lstm, MaxPooling2D, Model, Padding};
use shrink::optim::OptimizerConfig;
use shrink::penalty::Family;
use shrink::search::Fold;
use shrink::study::{fit_and_score, values, Arm, Plan, Stats, Trial};
use shrink::train::{FitConfig, Trainer};
use shrink::weights::weight_report;
use shrink_report::{BoxChart, LineChart, Series, Table};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// UCI optdigits test set as bundled with scikit-learn (BSD-3): 1797 8×8 images, `label` 0–9.
const DIGITS: &[u8] = include_bytes!("../../data/digits_8x8.csv");
/// Yearly sunspot numbers 1700–2008 as bundled with statsmodels (public domain, NOAA).
const SUNSPOTS: &[u8] = include_bytes!("../../data/sunspots_yearly.csv");

#[derive(clap::Subcommand)]
pub enum Example {
    /// A small CNN on the 8×8 digits, with and without a penalty family (default L2) on the convolution kernels.
    DigitsCnn(DigitsArgs),
    /// An LSTM forecaster of yearly sunspots with L1/L2 on the bias, input kernel or recurrent kernel.
    SunspotsLstm(SunspotsArgs),
    /// Feature selection on breast-cancer data: proximal group lasso on the input rows, alpha by CV (1-SE).
    BreastCancer(crate::cmd::examples_breast::BreastArgs),
}

#[derive(clap::Args)]
pub struct DigitsArgs {
    /// Penalty family on the convolution kernels (any family and mode, e.g. `l1@proximal`).
    #[arg(long, default_value = "l2")]
    penalty: Family,
    /// Strengths of the family on the convolution kernels (0 = no penalty).
    #[arg(long, value_delimiter = ',', default_value = "0,1e-4,1e-3,1e-2")]
    alphas: Vec<f64>,
    /// Fits per alpha (seeds 0, 1, …).
    #[arg(long, default_value_t = 3)]
    repeats: usize,
    /// Epochs per fit.
    #[arg(long, default_value_t = 15)]
    epochs: usize,
    #[command(flatten)]
    common: Common,
}

#[derive(clap::Args)]
pub struct SunspotsArgs {
    /// Strength of every penalty compared.
    #[arg(long, default_value_t = 0.01)]
    alpha: f64,
    /// Years in each input window.
    #[arg(long, default_value_t = 10)]
    window: usize,
    /// LSTM units.
    #[arg(long, default_value_t = 16)]
    units: usize,
    /// Fits per configuration (seeds 0, 1, …).
    #[arg(long, default_value_t = 5)]
    repeats: usize,
    /// Epochs per fit.
    #[arg(long, default_value_t = 150)]
    epochs: usize,
    #[command(flatten)]
    common: Common,
}

#[derive(clap::Args)]
pub struct Common {
    /// Output folder.
    #[arg(long)]
    pub(crate) out: Option<PathBuf>,
    /// Worker threads (fits side by side); results do not depend on it.
    #[arg(long)]
    pub(crate) threads: Option<usize>,
    /// Replace the results already in the output folder.
    #[arg(long)]
    pub(crate) force: bool,
}

impl Common {
    pub(crate) fn threads(&self) -> usize {
        crate::threads(self.threads)
    }
}

pub fn run(example: Example) -> Result<()> {
    match example {
        Example::DigitsCnn(args) => digits(args),
        Example::SunspotsLstm(args) => sunspots(args),
        Example::BreastCancer(args) => crate::cmd::examples_breast::breast_cancer(args),
    }
}

pub(crate) fn progress(total: usize, what: &str) -> ProgressBar {
    crate::progress::bar(total as u64, what, "fits")
}

pub(crate) fn check_counts(counts: &[(&str, usize)]) -> Result<()> {
    for (flag, value) in counts {
        if *value == 0 {
            bail!("{flag} must be ≥ 1");
        }
    }
    Ok(())
}

struct DigitsFit {
    train_acc: f64,
    test_acc: f64,
    kernel_l2: f64,
    seconds: f64,
}

fn digits(args: DigitsArgs) -> Result<()> {
    check_counts(&[("--repeats", args.repeats), ("--epochs", args.epochs)])?;
    let family = args.penalty;
    for &a in &args.alphas {
        family.at(a).map_err(|e| anyhow::anyhow!("--alphas {a}: {e}"))?;
    }
    let out = args.common.out.clone().unwrap_or_else(|| PathBuf::from("shrink-out/digits-cnn"));
    let data = read_csv_bytes(DIGITS, Path::new("digits_8x8.csv"), "label")?;
    let (train, test) = shuffle_split(&data, 0.3, 0)?;
    // Pixels 0–16 → [0, 1], fitted on train; labels one-hot for the 10 softmax units.
    let fold = Fold::encode(Scaling::MinMax, Loss::CategoricalCrossEntropy, 10, &train, &test)?;
    let arms = args.alphas.iter().map(|&a| Arm::new(if a == 0.0 { "none".to_string() } else { a.to_string() }, a));
    let plan = Plan::new(arms.collect(), args.repeats, args.common.threads());
    plan.check().context("--repeats")?;
    let _lock = crate::study_out::claim(&out, args.common.force)?;
    let bar = progress(plan.trials().len(), "digits-cnn");
    let fit = |arm: &Arm, trial: Trial| -> Result<DigitsFit, shrink::Error> {
        let conv = |filters| {
            let layer = Conv2D::new(filters, (3, 3)).padding(Padding::Same).activation(Activation::Relu);
            if arm.alpha > 0.0 {
                family.at(arm.alpha).map(|p| layer.kernel_penalty(p))
            } else {
                Ok(layer)
            }
        };
        let seed = trial.repeat as u64;
        let mut model = Model::<f32>::builder(&[8, 8, 1])
            .layer(conv(16)?)
            .layer(MaxPooling2D::new((2, 2)))
            .layer(conv(32)?)
            .layer(MaxPooling2D::new((2, 2)))
            .layer(Flatten::new())
            .layer(Dense::new(10).activation(Activation::Softmax))
            .build(seed)?;
        let mut trainer = Trainer::new(Loss::CategoricalCrossEntropy, &OptimizerConfig::adam(), &[Metric::Accuracy])?;
        let config = FitConfig { epochs: args.epochs, batch_size: 32, seed, ..FitConfig::default() };
        let scored = fit_and_score(&mut model, &mut trainer, &fold, &config, 256, None)?;
        let kernel_l2 = weight_report(&model)
            .iter()
            .filter(|w| w.name.starts_with("conv2d") && w.name.ends_with("kernel"))
            .map(|w| w.l2 * w.l2)
            .sum::<f64>()
            .sqrt();
        Ok(DigitsFit {
            train_acc: scored.train.metrics[0],
            test_acc: scored.test.metrics[0],
            kernel_l2,
            seconds: scored.seconds,
        })
    };
    let fits = plan.run(fit, &|done, _| bar.set_position(done as u64))?;
    bar.finish_and_clear();

    let mut table = Table::new([
        format!("alpha ({family}, conv kernels)").as_str(),
        "train acc",
        "test acc",
        "conv kernel L2",
        "fits",
    ]);
    let mut csv = String::from("alpha,repeat,train_acc,test_acc,conv_kernel_l2,fit_seconds\n");
    let mut rows = Vec::new();
    for (i, arm) in plan.arms.iter().enumerate() {
        let stats = |f: fn(&DigitsFit) -> f64| Stats::of_arm(&fits, i, f);
        let (tr, te, k) = (stats(|f| f.train_acc), stats(|f| f.test_acc), stats(|f| f.kernel_l2));
        table.push_row([arm.name.clone(), cell(&tr, 3), cell(&te, 3), cell(&k, 2), tr.n.to_string()]);
        rows.push(serde_json::json!({"alpha": arm.alpha, "train_acc_mean": tr.mean, "train_acc_sd": tr.sd, "test_acc_mean": te.mean, "test_acc_sd": te.sd, "conv_kernel_l2_mean": k.mean}));
        for (t, f) in fits.iter().filter(|(t, _)| t.arm == i) {
            let _ = writeln!(
                csv,
                "{},{},{},{},{},{}",
                arm.alpha, t.repeat, f.train_acc, f.test_acc, f.kernel_l2, f.seconds
            );
        }
    }
    let mut files = Outputs::new(&out)?;
    files.text("results.csv", &csv)?;
    files.json("summary.json", &serde_json::json!({"data": "digits 8x8, 1257 train / 540 test (shuffle seed 0), min-max scaled on train", "model": "Conv2D(16,3x3,relu,same) > MaxPool 2 > Conv2D(32,3x3,relu,same) > MaxPool 2 > Flatten > Dense(10,softmax); Adam; batch 32", "penalty": family, "epochs": args.epochs, "repeats": args.repeats, "summary": rows}))?;
    let penalized: Vec<&serde_json::Value> = rows.iter().filter(|r| r["alpha"].as_f64() > Some(0.0)).collect();
    if !penalized.is_empty() {
        let get = |r: &&serde_json::Value, k: &str| r[k].as_f64().unwrap_or(f64::NAN);
        let alphas: Vec<f64> = penalized.iter().map(|r| get(r, "alpha")).collect();
        let mut chart = LineChart::new(
            format!("Digits CNN: test accuracy vs {family} on conv kernels (mean ± sd)"),
            "alpha",
            "test accuracy",
        )
        .log_x(true)
        .series(
            Series::new(
                format!("{family} on conv kernels"),
                alphas.clone(),
                penalized.iter().map(|r| get(r, "test_acc_mean")).collect(),
            )
            .with_err(penalized.iter().map(|r| get(r, "test_acc_sd")).collect()),
        );
        if let Some(none) = rows.iter().find(|r| r["alpha"].as_f64() == Some(0.0)) {
            let v = none["test_acc_mean"].as_f64().unwrap_or(f64::NAN);
            chart = chart.series(Series::new("no penalty", alphas.clone(), vec![v; alphas.len()]));
        }
        files.line_chart(&chart, "test_accuracy_vs_alpha")?;
    }
    files.print_with(format!("{table}\n\n"))
}

struct SunspotFit {
    train_rmse: f64,
    test_rmse: f64,
}

/// (name, role the penalty goes on, family) for each configuration compared.
const SUNSPOT_CONFIGS: [(&str, &str, &str); 7] = [
    ("none", "", "l2"),
    ("L2 bias", "bias", "l2"),
    ("L2 input kernel", "kernel", "l2"),
    ("L2 recurrent kernel", "recurrent_kernel", "l2"),
    ("L1 bias", "bias", "l1"),
    ("L1 input kernel", "kernel", "l1"),
    ("L1 recurrent kernel", "recurrent_kernel", "l1"),
];

fn sunspots(args: SunspotsArgs) -> Result<()> {
    check_counts(&[
        ("--repeats", args.repeats),
        ("--epochs", args.epochs),
        ("--units", args.units),
        ("--window", args.window),
    ])?;
    Family::L2.at(args.alpha).map_err(|e| anyhow::anyhow!("--alpha: {e}"))?;
    let out = args.common.out.clone().unwrap_or_else(|| PathBuf::from("shrink-out/sunspots-lstm"));
    // The library's series stage: windows of `w` raw yearly values (no transform), each
    // predicting the next year; targets in sunspot numbers, since nothing is transformed.
    let stage = SeriesSpec::new(vec!["sunactivity".into()], None, args.window, 1, &[], None)
        .map_err(|e| anyhow::anyhow!("--window: {e}"))?;
    let table = stage.read_csv_bytes(SUNSPOTS, Path::new("sunspots_yearly.csv"))?;
    let series: Vec<f64> = table.values.column(0).to_vec();
    let w = args.window;
    if series.len() < w.saturating_add(10) {
        bail!("--window {w} leaves too few windows in {} years", series.len());
    }
    let arms =
        SUNSPOT_CONFIGS.iter().map(|(name, role, _)| Arm::new(*name, if role.is_empty() { 0.0 } else { args.alpha }));
    let plan = Plan::new(arms.collect(), args.repeats, args.common.threads());
    plan.check().context("--repeats")?;
    let _lock = crate::study_out::claim(&out, args.common.force)?;
    // Supervised windows: years t−w … t−1 predict year t; the first 2/3 of windows train.
    let windows = stage.windows(&table, true)?;
    let n = windows.len();
    let n_train = n * 2 / 3;
    let (raw_x, raw_y) = (windows.x, windows.y);
    // Scale on the training part only: every value the training windows see.
    let train_values = Array1::from(series[..n_train + w].to_vec());
    let scaler = Scaler::fit_column(Scaling::MinMax, train_values.view())?;
    let scale = |a: &Array2<f64>| -> Result<Array2<f32>> {
        let flat = Array1::from_iter(a.iter().copied());
        Ok(scaler.transform_column(0, flat.view())?.mapv(|v| v as f32).into_shape_with_order(a.raw_dim())?)
    };
    let x = scale(&raw_x)?;
    let y = scale(&raw_y.clone().insert_axis(Axis(1)))?;
    // Rows by `slice_axis`, not `s![..]`: the macro's expansion allows unsafe code, which this
    // crate forbids.
    let rows = |a: &Array2<f32>, r: Slice| a.slice_axis(Axis(0), r).to_owned();
    let (xtr, ytr) = (rows(&x, Slice::from(..n_train)), rows(&y, Slice::from(..n_train)));
    let xte = rows(&x, Slice::from(n_train..));
    let bar = progress(plan.trials().len(), "sunspots-lstm");
    let rmse = |model: &mut Model<f32>, x: &Array2<f32>, truth: ArrayRef| -> Result<f64, shrink::Error> {
        let pred = model.predict(x.view(), 256)?;
        let pred = scaler.inverse_transform_column(0, pred.column(0).mapv(|v| v as f64).view())?;
        Ok((pred.iter().zip(truth.iter()).map(|(p, t)| (p - t).powi(2)).sum::<f64>() / pred.len() as f64).sqrt())
    };
    let fit = |arm: &Arm, trial: Trial| -> Result<SunspotFit, shrink::Error> {
        let (_, role, family) = SUNSPOT_CONFIGS[trial.arm];
        let seed = trial.repeat as u64;
        let mut model = Model::<f32>::builder(&[w, 1]).layer(Lstm::new(args.units)).layer(Dense::new(1)).build(seed)?;
        if !role.is_empty() {
            let family: Family = family.parse()?;
            model.set_penalty(&format!("lstm_0.{role}"), Some(family.at(arm.alpha)?))?;
        }
        let mut trainer = Trainer::new(Loss::MeanSquaredError, &OptimizerConfig::adam(), &[])?;
        let config_fit = FitConfig { epochs: args.epochs, batch_size: 32, seed, ..FitConfig::default() };
        trainer.fit(&mut model, xtr.view(), ytr.view(), None, &config_fit, None)?;
        let train_rmse = rmse(&mut model, &xtr, raw_y.slice_axis(Axis(0), Slice::from(..n_train)))?;
        let test_rmse = rmse(&mut model, &xte, raw_y.slice_axis(Axis(0), Slice::from(n_train..)))?;
        Ok(SunspotFit { train_rmse, test_rmse })
    };
    let fits = plan.run(fit, &|done, _| bar.set_position(done as u64))?;
    bar.finish_and_clear();

    let mut table = Table::new(["configuration", "train RMSE", "test RMSE", "min", "max"]);
    let mut csv = String::from("config,repeat,train_rmse,test_rmse\n");
    let mut boxes =
        BoxChart::new(format!("Sunspots LSTM: test RMSE (sunspot number), alpha = {}", args.alpha), "test RMSE");
    let mut rows = Vec::new();
    for (i, arm) in plan.arms.iter().enumerate() {
        let (tr, te) = (Stats::of_arm(&fits, i, |f| f.train_rmse), Stats::of_arm(&fits, i, |f| f.test_rmse));
        let name = &arm.name;
        table.push_row([name.clone(), cell(&tr, 2), cell(&te, 2), format!("{:.2}", te.min), format!("{:.2}", te.max)]);
        rows.push(serde_json::json!({"config": name, "train_rmse_mean": tr.mean, "test_rmse_mean": te.mean, "test_rmse_sd": te.sd, "test_rmse_min": te.min, "test_rmse_max": te.max}));
        for (t, f) in fits.iter().filter(|(t, _)| t.arm == i) {
            let _ = writeln!(csv, "{name},{},{},{}", t.repeat, f.train_rmse, f.test_rmse);
        }
        boxes = boxes.group(name, values(&fits, i, |f| f.test_rmse));
    }
    let mut files = Outputs::new(&out)?;
    files.text("results.csv", &csv)?;
    files.json("summary.json", &serde_json::json!({
        "data": format!("yearly sunspots 1700–2008; windows of {w} years; first {n_train} windows train, last {} test; min-max scaled on the training years", n - n_train),
        "model": format!("LSTM({}) > Dense(1); MSE; Adam; batch 32; {} epochs", args.units, args.epochs),
        "alpha": args.alpha, "repeats": args.repeats, "summary": rows,
    }))?;
    files.box_chart(&boxes, "test_rmse_boxplot")?;
    files.print_with(format!("{table}\n\n"))
}

type ArrayRef<'a> = ndarray::ArrayView1<'a, f64>;
