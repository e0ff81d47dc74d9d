//! `shrink example breast-cancer`: feature selection by a proximal group lasso on the input
//! layer's kernel rows, with alpha chosen by K-fold cross-validation and the 1-SE rule.

use crate::cmd::examples::{check_counts, progress, Common};
use crate::study_out::Outputs;
use anyhow::{bail, Result};
use shrink::data::{read_csv_bytes, shuffle_split, Dataset, Scaling};
use shrink::loss::Loss;
use shrink::metrics::Metric;
use shrink::nn::{Activation, Dense, Model, Role};
use shrink::optim::OptimizerConfig;
use shrink::penalty::Family;
use shrink::search::{mean_sd, select, stratified_kfold, Fold, Rule};
use shrink::study::{alpha_scores, fit_and_score, values, Arm, Plan, Trial};
use shrink::train::{FitConfig, Trainer};
use shrink_report::{format_mean_sd, LineChart, Series, Table};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// Breast Cancer Wisconsin (Diagnostic), UCI WDBC as bundled with scikit-learn (BSD-3):
/// 569 rows, 30 features, `target` 0 = malignant, 1 = benign.
const BREAST_CANCER: &[u8] = include_bytes!("../../data/breast_cancer.csv");

#[derive(clap::Args)]
pub struct BreastArgs {
    /// Penalty family on the input layer's kernel (one group per input feature by default).
    #[arg(long, default_value = "group-rows@proximal")]
    penalty: Family,
    /// Strengths of the family searched.
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

/// Trains 30 → Dense(16, relu) → Dense(1, sigmoid) on `train` (scaled on `train`) and returns
/// accuracy on `val` and the model. `alpha` 0 = no penalty.
fn fit(
    train: &Dataset,
    val: &Dataset,
    penalty: Option<shrink::Penalty>,
    seed: u64,
    epochs: usize,
) -> Result<(f64, Model<f32>), shrink::Error> {
    let fold = Fold::encode(Scaling::Standard, Loss::BinaryCrossEntropy, 1, train, val)?;
    let mut first = Dense::new(16).activation(Activation::Relu);
    if let Some(p) = penalty {
        first = first.kernel_penalty(p);
    }
    let mut model = Model::<f32>::builder(&[train.x.ncols()])
        .layer(first)
        .layer(Dense::new(1).activation(Activation::Sigmoid))
        .build(seed)?;
    let mut trainer = Trainer::new(Loss::BinaryCrossEntropy, &OptimizerConfig::adam(), &[Metric::Accuracy])?;
    let config = FitConfig { epochs, batch_size: 32, seed, ..FitConfig::default() };
    let scored = fit_and_score(&mut model, &mut trainer, &fold, &config, 256, None)?;
    Ok((scored.test.metrics[0], model))
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
    acc: f64,
    selected: Vec<String>,
}

pub fn breast_cancer(args: BreastArgs) -> Result<()> {
    check_counts(&[("--repeats", args.repeats), ("--epochs", args.epochs)])?;
    if args.folds < 2 {
        bail!("--folds must be ≥ 2, got {}", args.folds);
    }
    if args.alphas.is_empty() {
        bail!("--alphas must list at least one value");
    }
    let family = args.penalty;
    for &a in &args.alphas {
        if !(a.is_finite() && a > 0.0) {
            bail!("--alphas: every alpha must be finite and > 0, got {a}");
        }
        family.at(a).map_err(|e| anyhow::anyhow!("--alphas {a}: {e}"))?;
    }
    let out = args.common.out.clone().unwrap_or_else(|| PathBuf::from("shrink-out/breast-cancer"));
    let data = read_csv_bytes(BREAST_CANCER, Path::new("breast_cancer.csv"), "target")?;
    let (train, test) = shuffle_split(&data, 0.25, 0)?;
    let _lock = crate::study_out::claim(&out, args.common.force)?;
    let names = train.feature_names.clone();
    let threads = args.common.threads();

    // Cross-validation: repeat r deals stratified folds with seed r and seeds every fit with r.
    let labels = train.y.to_vec();
    let assignments: Vec<Vec<usize>> =
        (0..args.repeats).map(|r| stratified_kfold(&labels, args.folds, r as u64)).collect::<Result<_, _>>()?;
    let cv_plan = Plan {
        arms: args.alphas.iter().map(|&a| Arm::new("cv", a)).collect(),
        repeats: args.repeats,
        folds: args.folds,
        threads,
    };
    let cv_trials = cv_plan.trials().len();
    let bar = progress(cv_trials + 2 * args.repeats, "breast-cancer");
    let cv = |arm: &Arm, t: Trial| -> Result<[f64; 4], shrink::Error> {
        let rows = |inside: bool| -> Vec<usize> {
            (0..labels.len()).filter(|&i| (assignments[t.repeat][i] == t.fold) == inside).collect()
        };
        let (train, val) = (train.select(&rows(false)), train.select(&rows(true)));
        let (acc, model) = fit(&train, &val, Some(family.at(arm.alpha)?), t.repeat as u64, args.epochs)?;
        let n_sel = selected(&model, &names).len() as f64;
        Ok([acc, f64::NAN, n_sel, 1.0 - n_sel / names.len() as f64])
    };
    let cv_results = cv_plan.run(cv, &|done, _| bar.set_position(done as u64))?;
    let scores = alpha_scores(&cv_plan, &cv_results, 0..cv_plan.arms.len(), |r| *r);
    let choice = select(&scores, true, Rule::OneSe).ok_or_else(|| anyhow::anyhow!("no alpha has a finite CV score"))?;

    // Refit on all training rows at the chosen alpha and without penalty, same seeds.
    let final_plan = Plan::new(
        vec![Arm::new("test_sparse", choice.alpha), Arm::new("test_unpenalized", 0.0)],
        args.repeats,
        threads,
    );
    let refit = |arm: &Arm, t: Trial| -> Result<Final, shrink::Error> {
        let penalty = if arm.alpha > 0.0 { Some(family.at(arm.alpha)?) } else { None };
        let (acc, model) = fit(&train, &test, penalty, t.repeat as u64, args.epochs)?;
        Ok(Final { acc, selected: selected(&model, &names) })
    };
    let finals = final_plan.run(refit, &|done, _| bar.set_position((cv_trials + done) as u64))?;
    bar.finish_and_clear();
    let sparse: Vec<&Final> = finals.iter().filter(|(t, _)| t.arm == 0).map(|(_, f)| f).collect();

    let mut table =
        Table::new([format!("alpha ({family}, dense_0.kernel)").as_str(), "CV accuracy", "± SE", "features kept", ""]);
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
    for (t, res) in &cv_results {
        // Column 2 is the features kept (column 1, the training score, is not measured here).
        let _ = writeln!(csv, "cv,{},{},{},{},{}", cv_plan.arms[t.arm].alpha, t.repeat, t.fold, res[0], res[2]);
    }
    for seed in 0..args.repeats {
        for (t, f) in finals.iter().filter(|(t, _)| t.repeat == seed) {
            let arm = &final_plan.arms[t.arm];
            let _ = writeln!(csv, "{},{},{seed},,{},{}", arm.name, arm.alpha, f.acc, f.selected.len());
        }
    }
    let sparse_acc = mean_sd(&values(&finals, 0, |f| f.acc));
    let dense = mean_sd(&values(&finals, 1, |f| f.acc));
    let first = &sparse[0].selected;
    let mut text = format!("{table}\n\nchosen alpha {}: {}\n", choice.alpha, choice.reason);
    let _ = writeln!(text, "selected features (seed 0, {} of {}): {}", first.len(), names.len(), first.join(", "));
    for (seed, f) in sparse.iter().enumerate().skip(1) {
        let _ = writeln!(text, "  seed {seed}: {} of {} kept", f.selected.len(), names.len());
    }
    let _ = writeln!(
        text,
        "test accuracy ({} rows, {} seeds): sparse {} vs unpenalized {}\n",
        test.x.nrows(),
        sparse.len(),
        format_mean_sd(sparse_acc.0, sparse_acc.1, 3),
        format_mean_sd(dense.0, dense.1, 3)
    );

    let mut files = Outputs::new(&out)?;
    files.text("results.csv", &csv)?;
    files.json("summary.json", &serde_json::json!({
        "data": format!("breast cancer (UCI WDBC), {} train / {} test (shuffle seed 0), standardized on train (per CV fold on the fold's training rows)", train.x.nrows(), test.x.nrows()),
        "model": format!("Dense(16, relu) > Dense(1, sigmoid); binary cross-entropy; Adam; batch 32; {family} on dense_0.kernel"),
        "penalty": family, "epochs": args.epochs, "folds": args.folds, "repeats": args.repeats,
        "cv": scores.iter().map(|s| serde_json::json!({"alpha": s.alpha, "accuracy_mean": s.mean, "accuracy_se": s.se, "features_kept_mean": s.kernel_l2, "n": s.n})).collect::<Vec<_>>(),
        "selection": choice,
        "selected_features": sparse.iter().enumerate().map(|(seed, f)| serde_json::json!({"seed": seed, "features": f.selected})).collect::<Vec<_>>(),
        "test_accuracy": {"sparse_mean": sparse_acc.0, "sparse_sd": sparse_acc.1, "unpenalized_mean": dense.0, "unpenalized_sd": dense.1},
    }))?;
    let alphas: Vec<f64> = scores.iter().map(|s| s.alpha).collect();
    let chart = LineChart::new(
        format!("Breast cancer: {}-fold CV accuracy vs {family} on the inputs (mean ± SE)", args.folds),
        "alpha",
        "CV accuracy",
    )
    .log_x(true)
    .series(
        Series::new(family.to_string(), alphas.clone(), scores.iter().map(|s| s.mean).collect())
            .with_err(scores.iter().map(|s| s.se).collect()),
    )
    .series(Series::new("1-SE threshold", alphas.clone(), vec![choice.threshold; alphas.len()]));
    files.line_chart(&chart, "cv_accuracy_vs_alpha")?;
    files.print_with(text)
}
