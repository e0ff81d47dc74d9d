//! `shrink example breast-cancer`: feature selection by a proximal group lasso on the input
//! layer's kernel rows, with alpha chosen by K-fold cross-validation and the 1-SE rule.

use crate::examples::{progress, write_text, Common};
use anyhow::{bail, Result};
use ndarray::Array2;
use shrink::data::{read_csv_bytes, shuffle_split, Dataset, Scaler, Scaling};
use shrink::loss::Loss;
use shrink::metrics::Metric;
use shrink::nn::{Activation, Dense, Model, Role};
use shrink::optim::OptimizerConfig;
use shrink::prox::Groups;
use shrink::search::{mean_sd, run_trials, select, stratified_kfold, AlphaScore, Rule};
use shrink::train::{FitConfig, Trainer};
use shrink::weights::weight_report;
use shrink::{Penalty, PenaltyMode};
use shrink_report::{format_mean_sd, write_line_chart, LineChart, Series, Table};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// Breast Cancer Wisconsin (Diagnostic), UCI WDBC as bundled with scikit-learn (BSD-3):
/// 569 rows, 30 features, `target` 0 = malignant, 1 = benign.
const BREAST_CANCER: &[u8] = include_bytes!("../data/breast_cancer.csv");

#[derive(clap::Args)]
pub struct BreastArgs {
    /// Group-lasso strengths searched (one group per input feature, proximal mode).
    #[arg(long, value_delimiter = ',', default_value = "1e-3,3e-3,1e-2,3e-2,1e-1,3e-1")]
    alphas: Vec<f64>,
    /// Cross-validation folds on the training rows (stratified).
    #[arg(long, default_value_t = 5)]
    folds: usize,
    /// Repeats: CV repetitions (fold seeds 0, 1, …) and seeds of the final test fits.
    #[arg(long, default_value_t = 5)]
    repeats: usize,
    /// Epochs per fit.
    #[arg(long, default_value_t = 100)]
    epochs: usize,
    #[command(flatten)]
    common: Common,
}

fn scaled(scaler: &Scaler, ds: &Dataset) -> Result<Array2<f32>, shrink::Error> {
    Ok(scaler.transform(ds.x.view())?.mapv(|v| v as f32))
}

fn target(ds: &Dataset) -> Array2<f32> {
    ds.y.mapv(|v| v as f32).insert_axis(ndarray::Axis(1))
}

/// Trains 30 → Dense(16, relu) → Dense(1, sigmoid) on `train` (scaled on `train`) and returns
/// accuracy on `val` and the model. `alpha` 0 = no penalty.
fn fit(
    train: &Dataset,
    val: &Dataset,
    alpha: f64,
    seed: u64,
    epochs: usize,
) -> Result<(f64, Model<f32>), shrink::Error> {
    let scaler = Scaler::fit(Scaling::Standard, train.x.view())?;
    let (xtr, xva) = (scaled(&scaler, train)?, scaled(&scaler, val)?);
    let (ytr, yva) = (target(train), target(val));
    let mut first = Dense::new(16).activation(Activation::Relu);
    if alpha > 0.0 {
        first = first.kernel_penalty(Penalty::group_lasso(alpha, Groups::Rows)?.with_mode(PenaltyMode::Proximal)?);
    }
    let mut model = Model::<f32>::builder(&[train.x.ncols()])
        .layer(first)
        .layer(Dense::new(1).activation(Activation::Sigmoid))
        .build(seed)?;
    let mut trainer = Trainer::new(Loss::BinaryCrossEntropy, &OptimizerConfig::adam(), &[Metric::Accuracy])?;
    let config = FitConfig { epochs, batch_size: 32, seed, ..FitConfig::default() };
    trainer.fit(&mut model, xtr.view(), ytr.view(), None, &config, None)?;
    let acc = trainer.evaluate(&mut model, xva.view(), yva.view(), 256)?.metrics[0];
    Ok((acc, model))
}

/// Names of the input features whose kernel row on the first layer is not all exactly zero.
fn selected(model: &Model<f32>, names: &[String]) -> Vec<String> {
    let layer = &model.layers()[0];
    let Some(k) = layer.params().iter().find(|p| p.role == Role::Kernel) else { return Vec::new() };
    let cols = k.shape[1];
    (0..k.shape[0])
        .filter(|&r| k.value[r * cols..(r + 1) * cols].iter().any(|&v| v != 0.0))
        .map(|r| names[r].clone())
        .collect()
}

struct Final {
    seed: usize,
    sparse_acc: f64,
    dense_acc: f64,
    selected: Vec<String>,
}

pub fn breast_cancer(args: BreastArgs) -> Result<()> {
    if args.repeats == 0 || args.epochs == 0 {
        bail!("--repeats and --epochs must be ≥ 1");
    }
    if args.folds < 2 {
        bail!("--folds must be ≥ 2, got {}", args.folds);
    }
    if args.alphas.is_empty() {
        bail!("--alphas must list at least one value");
    }
    for &a in &args.alphas {
        if !(a.is_finite() && a > 0.0) {
            bail!("--alphas: every alpha must be finite and > 0, got {a}");
        }
    }
    let out = args.common.out.clone().unwrap_or_else(|| PathBuf::from("shrink-out/breast-cancer"));
    let data = read_csv_bytes(BREAST_CANCER, Path::new("breast_cancer.csv"), "target")?;
    let (train, test) = shuffle_split(&data, 0.25, 0)?;
    let names = train.feature_names.clone();
    let threads = args.common.threads();

    // Cross-validation: repeat r deals stratified folds with seed r and seeds every fit with r.
    let labels = train.y.to_vec();
    let assignments: Vec<Vec<usize>> =
        (0..args.repeats).map(|r| stratified_kfold(&labels, args.folds, r as u64)).collect::<Result<_, _>>()?;
    let trials: Vec<(f64, usize, usize)> = args
        .alphas
        .iter()
        .flat_map(|&a| (0..args.repeats).flat_map(move |r| (0..args.folds).map(move |f| (a, r, f))))
        .collect();
    let bar = progress(trials.len() + 2 * args.repeats, "breast-cancer");
    let cv = |&(alpha, r, f): &(f64, usize, usize)| -> Result<[f64; 4], shrink::Error> {
        let rows = |inside: bool| -> Vec<usize> {
            (0..labels.len()).filter(|&i| (assignments[r][i] == f) == inside).collect()
        };
        let (acc, model) = fit(&train.select(&rows(false)), &train.select(&rows(true)), alpha, r as u64, args.epochs)?;
        let n_sel = selected(&model, &names).len() as f64;
        Ok([acc, f64::NAN, n_sel, 1.0 - n_sel / names.len() as f64])
    };
    let cv_results = run_trials(&trials, threads, cv, |_, _| bar.inc(1))?.into_iter().collect::<Result<Vec<_>, _>>()?;
    let scores: Vec<AlphaScore> = args
        .alphas
        .iter()
        .map(|&a| {
            let t: Vec<[f64; 4]> =
                trials.iter().zip(&cv_results).filter(|((ta, _, _), _)| *ta == a).map(|(_, r)| *r).collect();
            AlphaScore::of(a, &t)
        })
        .collect();
    let choice = select(&scores, true, Rule::OneSe).ok_or_else(|| anyhow::anyhow!("no alpha has a finite CV score"))?;

    // Refit on all training rows at the chosen alpha and without penalty, same seeds.
    let seeds: Vec<usize> = (0..args.repeats).collect();
    let refit = |&seed: &usize| -> Result<Final, shrink::Error> {
        let (sparse_acc, model) = fit(&train, &test, choice.alpha, seed as u64, args.epochs)?;
        let (dense_acc, _) = fit(&train, &test, 0.0, seed as u64, args.epochs)?;
        let report = weight_report(&model);
        let sel = selected(&model, &names);
        debug_assert_eq!(report[0].selected_features, Some(sel.len()));
        Ok(Final { seed, sparse_acc, dense_acc, selected: sel })
    };
    let finals = run_trials(&seeds, threads, refit, |_, _| bar.inc(2))?.into_iter().collect::<Result<Vec<_>, _>>()?;
    bar.finish_and_clear();

    let mut table = Table::new(["alpha (group lasso, input rows)", "CV accuracy", "± SE", "features kept", ""]);
    let mut csv = String::from("kind,alpha,repeat,fold,accuracy,features_kept\n");
    for s in &scores {
        let mark = if s.alpha == choice.alpha {
            "← chosen (1-SE)"
        } else if s.alpha == choice.best_alpha {
            "best mean"
        } else {
            ""
        };
        table.push_row([
            s.alpha.to_string(),
            format!("{:.4}", s.mean),
            format!("{:.4}", s.se),
            format!("{:.1}", s.kernel_l2), // mean features kept (AlphaScore's third column)
            mark.to_string(),
        ]);
    }
    for ((a, r, f), res) in trials.iter().zip(&cv_results) {
        let _ = writeln!(csv, "cv,{a},{r},{f},{},{}", res[0], res[1]);
    }
    for f in &finals {
        let _ = writeln!(csv, "test_sparse,{},{},,{},{}", choice.alpha, f.seed, f.sparse_acc, f.selected.len());
        let _ = writeln!(csv, "test_unpenalized,0,{},,{},{}", f.seed, f.dense_acc, names.len());
    }
    let sparse = mean_sd(&finals.iter().map(|f| f.sparse_acc).collect::<Vec<_>>());
    let dense = mean_sd(&finals.iter().map(|f| f.dense_acc).collect::<Vec<_>>());
    let first = &finals[0].selected;
    let mut text = format!("{table}\n\nchosen alpha {}: {}\n", choice.alpha, choice.reason);
    let _ = writeln!(text, "selected features (seed 0, {} of {}): {}", first.len(), names.len(), first.join(", "));
    for f in &finals[1..] {
        let _ = writeln!(text, "  seed {}: {} of {} kept", f.seed, f.selected.len(), names.len());
    }
    let _ = writeln!(
        text,
        "test accuracy ({} rows, {} seeds): sparse {} vs unpenalized {}\n",
        test.x.nrows(),
        finals.len(),
        format_mean_sd(sparse.0, sparse.1, 3),
        format_mean_sd(dense.0, dense.1, 3)
    );

    std::fs::create_dir_all(&out)?;
    let mut files = Vec::new();
    write_text(&out.join("results.csv"), &csv, &mut files)?;
    let summary = serde_json::json!({
        "data": format!("breast cancer (UCI WDBC), {} train / {} test (shuffle seed 0), standardized on train (per CV fold on the fold's training rows)", train.x.nrows(), test.x.nrows()),
        "model": "Dense(16, relu) > Dense(1, sigmoid); binary cross-entropy; Adam; batch 32; proximal group lasso on dense_0.kernel rows",
        "epochs": args.epochs, "folds": args.folds, "repeats": args.repeats,
        "cv": scores.iter().map(|s| serde_json::json!({"alpha": s.alpha, "accuracy_mean": s.mean, "accuracy_se": s.se, "features_kept_mean": s.kernel_l2, "n": s.n})).collect::<Vec<_>>(),
        "selection": choice,
        "selected_features": finals.iter().map(|f| serde_json::json!({"seed": f.seed, "features": f.selected})).collect::<Vec<_>>(),
        "test_accuracy": {"sparse_mean": sparse.0, "sparse_sd": sparse.1, "unpenalized_mean": dense.0, "unpenalized_sd": dense.1},
    });
    write_text(&out.join("summary.json"), &serde_json::to_string_pretty(&summary)?, &mut files)?;
    let alphas: Vec<f64> = scores.iter().map(|s| s.alpha).collect();
    let chart = LineChart::new(
        format!("Breast cancer: {}-fold CV accuracy vs input group lasso (mean ± SE)", args.folds),
        "alpha",
        "CV accuracy",
    )
    .log_x(true)
    .series(
        Series::new("proximal group lasso", alphas.clone(), scores.iter().map(|s| s.mean).collect())
            .with_err(scores.iter().map(|s| s.se).collect()),
    )
    .series(Series::new("1-SE threshold", alphas.clone(), vec![choice.threshold; alphas.len()]));
    files.extend(write_line_chart(&chart, &out.join("cv_accuracy_vs_alpha"))?);
    for f in files {
        let _ = writeln!(text, "wrote {}", f.display());
    }
    crate::print(&text)
}
