//! `shrink example digits-cnn` and `shrink example sunspots-lstm`: the penalty story on a
//! convolutional and a recurrent network (and `breast-cancer`, in `examples_breast.rs`), with data sets compiled into the binary.

use anyhow::{bail, Result};
use indicatif::{ProgressBar, ProgressStyle};
use ndarray::{s, Array1, Array2, Axis};
use shrink::data::{read_csv_bytes, shuffle_split, Dataset, Scaler, Scaling};
use shrink::loss::Loss;
use shrink::metrics::Metric;
use shrink::nn::{Activation, Conv2D, Dense, Flatten, Lstm, MaxPooling2D, Model, Padding};
use shrink::optim::OptimizerConfig;
use shrink::search::{mean_sd, run_trials};
use shrink::train::{FitConfig, Trainer};
use shrink::weights::weight_report;
use shrink::Penalty;
use shrink_report::{format_mean_sd, write_box_chart, write_line_chart, BoxChart, LineChart, Series, Table};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// UCI optdigits test set as bundled with scikit-learn (BSD-3): 1797 8×8 images, `label` 0–9.
const DIGITS: &[u8] = include_bytes!("../data/digits_8x8.csv");
/// Yearly sunspot numbers 1700–2008 as bundled with statsmodels (public domain, NOAA).
const SUNSPOTS: &[u8] = include_bytes!("../data/sunspots_yearly.csv");

#[derive(clap::Subcommand)]
pub enum Example {
    /// A small CNN on the 8×8 digits, with and without L2 on the convolution kernels.
    DigitsCnn(DigitsArgs),
    /// An LSTM forecaster of yearly sunspots with L1/L2 on the bias, input kernel or recurrent kernel.
    SunspotsLstm(SunspotsArgs),
    /// Feature selection on breast-cancer data: proximal group lasso on the input rows, alpha by CV (1-SE).
    BreastCancer(crate::examples_breast::BreastArgs),
}

#[derive(clap::Args)]
pub struct DigitsArgs {
    /// L2 strengths on the convolution kernels (0 = no penalty).
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
}

impl Common {
    pub(crate) fn threads(&self) -> usize {
        self.threads.unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
    }
}

pub fn run(example: Example) -> Result<()> {
    match example {
        Example::DigitsCnn(args) => digits(args),
        Example::SunspotsLstm(args) => sunspots(args),
        Example::BreastCancer(args) => crate::examples_breast::breast_cancer(args),
    }
}

pub(crate) fn progress(total: usize, what: &str) -> ProgressBar {
    let bar = ProgressBar::new(total as u64);
    bar.set_style(
        ProgressStyle::with_template("{msg} [{bar:40}] {pos}/{len} fits, ETA {eta}")
            .expect("the template is valid")
            .progress_chars("=> "),
    );
    bar.set_message(what.to_string());
    bar
}

fn f32_x(scaler: &Scaler, ds: &Dataset) -> Result<Array2<f32>> {
    Ok(scaler.transform(ds.x.view())?.mapv(|v| v as f32))
}

fn one_hot(y: &Array1<f64>, classes: usize) -> Array2<f32> {
    let mut out = Array2::zeros((y.len(), classes));
    for (r, &label) in y.iter().enumerate() {
        out[[r, label as usize]] = 1.0;
    }
    out
}

pub(crate) fn write_text(path: &Path, text: &str, files: &mut Vec<PathBuf>) -> Result<()> {
    shrink::fs::write_atomic(path, text.as_bytes())?;
    files.push(path.to_path_buf());
    Ok(())
}

struct DigitsFit {
    alpha: f64,
    repeat: usize,
    train_acc: f64,
    test_acc: f64,
    kernel_l2: f64,
    seconds: f64,
}

fn digits(args: DigitsArgs) -> Result<()> {
    if args.repeats == 0 || args.epochs == 0 {
        bail!("--repeats and --epochs must be ≥ 1");
    }
    for &a in &args.alphas {
        Penalty::l2(a).map_err(|e| anyhow::anyhow!("--alphas {a}: {e}"))?;
    }
    let out = args.common.out.clone().unwrap_or_else(|| PathBuf::from("shrink-out/digits-cnn"));
    let data = read_csv_bytes(DIGITS, Path::new("digits_8x8.csv"), "label")?;
    let (train, test) = shuffle_split(&data, 0.3, 0)?;
    let scaler = Scaler::fit(Scaling::MinMax, train.x.view())?; // pixels 0–16 → [0, 1], fitted on train
    let (xtr, xte) = (f32_x(&scaler, &train)?, f32_x(&scaler, &test)?);
    let (ytr, yte) = (one_hot(&train.y, 10), one_hot(&test.y, 10));
    let trials: Vec<(f64, usize)> = args.alphas.iter().flat_map(|&a| (0..args.repeats).map(move |r| (a, r))).collect();
    let bar = progress(trials.len(), "digits-cnn");
    let fit = |&(alpha, repeat): &(f64, usize)| -> Result<DigitsFit, shrink::Error> {
        let conv = |filters| {
            let layer = Conv2D::new(filters, (3, 3)).padding(Padding::Same).activation(Activation::Relu);
            if alpha > 0.0 {
                Penalty::l2(alpha).map(|p| layer.kernel_penalty(p))
            } else {
                Ok(layer)
            }
        };
        let mut model = Model::<f32>::builder(&[8, 8, 1])
            .layer(conv(16)?)
            .layer(MaxPooling2D::new((2, 2)))
            .layer(conv(32)?)
            .layer(MaxPooling2D::new((2, 2)))
            .layer(Flatten::new())
            .layer(Dense::new(10).activation(Activation::Softmax))
            .build(repeat as u64)?;
        let mut trainer = Trainer::new(Loss::CategoricalCrossEntropy, &OptimizerConfig::adam(), &[Metric::Accuracy])?;
        let start = Instant::now();
        let config = FitConfig { epochs: args.epochs, batch_size: 32, seed: repeat as u64, ..FitConfig::default() };
        trainer.fit(&mut model, xtr.view(), ytr.view(), None, &config, None)?;
        let seconds = start.elapsed().as_secs_f64();
        let train_acc = trainer.evaluate(&mut model, xtr.view(), ytr.view(), 256)?.metrics[0];
        let test_acc = trainer.evaluate(&mut model, xte.view(), yte.view(), 256)?.metrics[0];
        let kernel_l2 = weight_report(&model)
            .iter()
            .filter(|w| w.name.starts_with("conv2d") && w.name.ends_with("kernel"))
            .map(|w| w.l2 * w.l2)
            .sum::<f64>()
            .sqrt();
        Ok(DigitsFit { alpha, repeat, train_acc, test_acc, kernel_l2, seconds })
    };
    let fits = run_trials(&trials, args.common.threads(), fit, |_, _| bar.inc(1))?;
    bar.finish_and_clear();
    let fits = fits.into_iter().collect::<Result<Vec<_>, _>>()?;

    let mut table = Table::new(["alpha (L2, conv kernels)", "train acc", "test acc", "conv kernel L2", "fits"]);
    let mut csv = String::from("alpha,repeat,train_acc,test_acc,conv_kernel_l2,fit_seconds\n");
    let mut rows = Vec::new();
    for &alpha in &args.alphas {
        let group: Vec<&DigitsFit> = fits.iter().filter(|f| f.alpha == alpha).collect();
        let col = |f: fn(&DigitsFit) -> f64| mean_sd(&group.iter().map(|g| f(g)).collect::<Vec<_>>());
        let (tr, te, k) = (col(|f| f.train_acc), col(|f| f.test_acc), col(|f| f.kernel_l2));
        table.push_row([
            if alpha == 0.0 { "none".to_string() } else { alpha.to_string() },
            format_mean_sd(tr.0, tr.1, 3),
            format_mean_sd(te.0, te.1, 3),
            format_mean_sd(k.0, k.1, 2),
            group.len().to_string(),
        ]);
        rows.push(serde_json::json!({"alpha": alpha, "train_acc_mean": tr.0, "train_acc_sd": tr.1, "test_acc_mean": te.0, "test_acc_sd": te.1, "conv_kernel_l2_mean": k.0}));
        for f in group {
            let _ =
                writeln!(csv, "{},{},{},{},{},{}", f.alpha, f.repeat, f.train_acc, f.test_acc, f.kernel_l2, f.seconds);
        }
    }
    std::fs::create_dir_all(&out)?;
    let mut files = Vec::new();
    write_text(&out.join("results.csv"), &csv, &mut files)?;
    let summary = serde_json::json!({"data": "digits 8x8, 1257 train / 540 test (shuffle seed 0), min-max scaled on train", "model": "Conv2D(16,3x3,relu,same) > MaxPool 2 > Conv2D(32,3x3,relu,same) > MaxPool 2 > Flatten > Dense(10,softmax); Adam; batch 32", "epochs": args.epochs, "repeats": args.repeats, "summary": rows});
    write_text(&out.join("summary.json"), &serde_json::to_string_pretty(&summary)?, &mut files)?;
    let penalized: Vec<&serde_json::Value> = rows.iter().filter(|r| r["alpha"].as_f64() > Some(0.0)).collect();
    if !penalized.is_empty() {
        let get = |r: &&serde_json::Value, k: &str| r[k].as_f64().unwrap_or(f64::NAN);
        let alphas: Vec<f64> = penalized.iter().map(|r| get(r, "alpha")).collect();
        let mut chart =
            LineChart::new("Digits CNN: test accuracy vs L2 on conv kernels (mean ± sd)", "alpha", "test accuracy")
                .log_x(true)
                .series(
                    Series::new(
                        "L2 on conv kernels",
                        alphas.clone(),
                        penalized.iter().map(|r| get(r, "test_acc_mean")).collect(),
                    )
                    .with_err(penalized.iter().map(|r| get(r, "test_acc_sd")).collect()),
                );
        if let Some(none) = rows.iter().find(|r| r["alpha"].as_f64() == Some(0.0)) {
            let v = none["test_acc_mean"].as_f64().unwrap_or(f64::NAN);
            chart = chart.series(Series::new("no penalty", alphas.clone(), vec![v; alphas.len()]));
        }
        files.extend(write_line_chart(&chart, &out.join("test_accuracy_vs_alpha"))?);
    }
    let mut text = format!("{table}\n\n");
    for f in files {
        let _ = writeln!(text, "wrote {}", f.display());
    }
    crate::print(&text)
}

struct SunspotFit {
    config: &'static str,
    repeat: usize,
    train_rmse: f64,
    test_rmse: f64,
}

/// (name, role the penalty goes on, l1?) for each configuration compared.
const SUNSPOT_CONFIGS: [(&str, &str, bool); 7] = [
    ("none", "", false),
    ("L2 bias", "bias", false),
    ("L2 input kernel", "kernel", false),
    ("L2 recurrent kernel", "recurrent_kernel", false),
    ("L1 bias", "bias", true),
    ("L1 input kernel", "kernel", true),
    ("L1 recurrent kernel", "recurrent_kernel", true),
];

fn sunspots(args: SunspotsArgs) -> Result<()> {
    if args.repeats == 0 || args.epochs == 0 || args.units == 0 || args.window == 0 {
        bail!("--repeats, --epochs, --units and --window must be ≥ 1");
    }
    Penalty::l2(args.alpha).map_err(|e| anyhow::anyhow!("--alpha: {e}"))?;
    let out = args.common.out.clone().unwrap_or_else(|| PathBuf::from("shrink-out/sunspots-lstm"));
    let data = read_csv_bytes(SUNSPOTS, Path::new("sunspots_yearly.csv"), "sunactivity")?;
    let series: Vec<f64> = data.y.to_vec();
    let w = args.window;
    if series.len() < w + 10 {
        bail!("--window {w} leaves too few windows in {} years", series.len());
    }
    // Supervised windows: years t−w … t−1 predict year t; the first 2/3 of windows train.
    let n = series.len() - w;
    let n_train = n * 2 / 3;
    let raw_x = Array2::from_shape_fn((n, w), |(r, c)| series[r + c]);
    let raw_y: Array1<f64> = (0..n).map(|r| series[r + w]).collect();
    // Scale on the training part only: every value the training windows see.
    let train_values = Array1::from(series[..n_train + w].to_vec());
    let scaler = Scaler::fit_column(Scaling::MinMax, train_values.view())?;
    let scale = |a: &Array2<f64>| -> Result<Array2<f32>> {
        let flat = Array1::from_iter(a.iter().copied());
        Ok(scaler.transform_column(0, flat.view())?.mapv(|v| v as f32).into_shape_with_order(a.raw_dim())?)
    };
    let x = scale(&raw_x)?;
    let y = scale(&raw_y.clone().insert_axis(Axis(1)))?;
    let (xtr, ytr) = (x.slice(s![..n_train, ..]).to_owned(), y.slice(s![..n_train, ..]).to_owned());
    let xte = x.slice(s![n_train.., ..]).to_owned();
    let trials: Vec<(usize, usize)> =
        (0..SUNSPOT_CONFIGS.len()).flat_map(|c| (0..args.repeats).map(move |r| (c, r))).collect();
    let bar = progress(trials.len(), "sunspots-lstm");
    let rmse = |model: &mut Model<f32>, x: &Array2<f32>, truth: ArrayRef| -> Result<f64, shrink::Error> {
        let pred = model.predict(x.view(), 256)?;
        let pred = scaler.inverse_transform_column(0, pred.column(0).mapv(|v| v as f64).view())?;
        Ok((pred.iter().zip(truth.iter()).map(|(p, t)| (p - t).powi(2)).sum::<f64>() / pred.len() as f64).sqrt())
    };
    let fit = |&(c, repeat): &(usize, usize)| -> Result<SunspotFit, shrink::Error> {
        let (config, role, l1) = SUNSPOT_CONFIGS[c];
        let mut model =
            Model::<f32>::builder(&[w, 1]).layer(Lstm::new(args.units)).layer(Dense::new(1)).build(repeat as u64)?;
        if !role.is_empty() {
            let penalty = if l1 { Penalty::l1(args.alpha)? } else { Penalty::l2(args.alpha)? };
            model.set_penalty(&format!("lstm_0.{role}"), Some(penalty))?;
        }
        let mut trainer = Trainer::new(Loss::MeanSquaredError, &OptimizerConfig::adam(), &[])?;
        let config_fit = FitConfig { epochs: args.epochs, batch_size: 32, seed: repeat as u64, ..FitConfig::default() };
        trainer.fit(&mut model, xtr.view(), ytr.view(), None, &config_fit, None)?;
        let train_rmse = rmse(&mut model, &xtr, raw_y.slice(s![..n_train]))?;
        let test_rmse = rmse(&mut model, &xte, raw_y.slice(s![n_train..]))?;
        Ok(SunspotFit { config, repeat, train_rmse, test_rmse })
    };
    let fits = run_trials(&trials, args.common.threads(), fit, |_, _| bar.inc(1))?;
    bar.finish_and_clear();
    let fits = fits.into_iter().collect::<Result<Vec<_>, _>>()?;

    let mut table = Table::new(["configuration", "train RMSE", "test RMSE", "min", "max"]);
    let mut csv = String::from("config,repeat,train_rmse,test_rmse\n");
    let mut boxes =
        BoxChart::new(format!("Sunspots LSTM: test RMSE (sunspot number), alpha = {}", args.alpha), "test RMSE");
    let mut rows = Vec::new();
    for (name, _, _) in SUNSPOT_CONFIGS {
        let group: Vec<&SunspotFit> = fits.iter().filter(|f| f.config == name).collect();
        let test: Vec<f64> = group.iter().map(|f| f.test_rmse).collect();
        let (tr, te) = (mean_sd(&group.iter().map(|f| f.train_rmse).collect::<Vec<_>>()), mean_sd(&test));
        let (lo, hi) = test.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &v| (a.min(v), b.max(v)));
        table.push_row([
            name.to_string(),
            format_mean_sd(tr.0, tr.1, 2),
            format_mean_sd(te.0, te.1, 2),
            format!("{lo:.2}"),
            format!("{hi:.2}"),
        ]);
        rows.push(serde_json::json!({"config": name, "train_rmse_mean": tr.0, "test_rmse_mean": te.0, "test_rmse_sd": te.1, "test_rmse_min": lo, "test_rmse_max": hi}));
        for f in &group {
            let _ = writeln!(csv, "{},{},{},{}", f.config, f.repeat, f.train_rmse, f.test_rmse);
        }
        boxes = boxes.group(name, test);
    }
    std::fs::create_dir_all(&out)?;
    let mut files = Vec::new();
    write_text(&out.join("results.csv"), &csv, &mut files)?;
    let summary = serde_json::json!({
        "data": format!("yearly sunspots 1700–2008; windows of {w} years; first {n_train} windows train, last {} test; min-max scaled on the training years", n - n_train),
        "model": format!("LSTM({}) > Dense(1); MSE; Adam; batch 32; {} epochs", args.units, args.epochs),
        "alpha": args.alpha, "repeats": args.repeats, "summary": rows,
    });
    write_text(&out.join("summary.json"), &serde_json::to_string_pretty(&summary)?, &mut files)?;
    files.extend(write_box_chart(&boxes, &out.join("test_rmse_boxplot"))?);
    let mut text = format!("{table}\n\n");
    for f in files {
        let _ = writeln!(text, "wrote {}", f.display());
    }
    crate::print(&text)
}

type ArrayRef<'a> = ndarray::ArrayView1<'a, f64>;
