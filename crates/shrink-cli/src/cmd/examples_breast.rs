//! `shrink example breast-cancer`: feature selection by a proximal group lasso on the input
//! layer's kernel rows, with alpha chosen by K-fold cross-validation and the 1-SE rule.

use crate::cmd::examples::{check_counts, progress, Common};
use crate::cmd::search_alphas::sig;
use crate::study_out::Outputs;
use anyhow::{bail, Context, Result};
use shrink::data::{read_csv_bytes, shuffle_split, Dataset, Scaling};
use shrink::loss::Loss;
use shrink::metrics::Metric;
use shrink::nn::{Activation, Dense, Model, Role};
use shrink::optim::OptimizerConfig;
use shrink::penalty::Family;
use shrink::search::{
    alpha_max, alpha_rows, auto_grid, input_exits, mean_sd, parse_alpha_request, select, stratified_kfold, AlphaMax,
    AlphaRequest, AlphaRow, Fold, Rule, TrialRecord,
};
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
    /// Strengths of the family searched: `auto:N` (glmnet's path: N alphas from alpha_max on the
    /// training rows, where every input is zeroed, down to alpha_max·--alpha-ratio), `HI:LO`
    /// decades or a list `1e-3,1e-2`.
    #[arg(long, default_value = "auto:10")]
    alphas: String,
    /// The weakest alpha of an automatic path as a fraction of alpha_max.
    #[arg(long, default_value_t = 1e-3)]
    alpha_ratio: f64,
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

/// 30 → Dense(16, relu) → Dense(1, sigmoid), initialized from `seed`.
fn network(inputs: usize, penalty: Option<shrink::Penalty>, seed: u64) -> Result<Model<f32>, shrink::Error> {
    let mut first = Dense::new(16).activation(Activation::Relu);
    if let Some(p) = penalty {
        first = first.kernel_penalty(p);
    }
    Model::<f32>::builder(&[inputs]).layer(first).layer(Dense::new(1).activation(Activation::Sigmoid)).build(seed)
}

/// The alphas `--alphas` asks for; an automatic path starts at alpha_max of the network with
/// seed 0 on all training rows (standardized on them), and the alpha_max found.
fn grid(args: &BreastArgs, family: &Family, train: &Dataset) -> Result<(Vec<f64>, Option<AlphaMax>)> {
    match parse_alpha_request(&args.alphas).context("--alphas")? {
        AlphaRequest::Given(alphas) => Ok((alphas, None)),
        AlphaRequest::Auto { points } => {
            let ratio = shrink::search::auto_path::check_ratio(args.alpha_ratio).context("--alpha-ratio")?;
            let fold = Fold::encode(Scaling::Standard, Loss::BinaryCrossEntropy, 1, train, train)?;
            let model = network(train.x.ncols(), None, 0)?;
            let start = alpha_max(
                &model,
                "dense_0.kernel",
                family,
                Loss::BinaryCrossEntropy,
                fold.x_train.view(),
                fold.y_train.view(),
            )?;
            Ok((auto_grid(start.as_ref().map(|a| a.alpha_max), points, ratio), start))
        }
    }
}

/// Trains the network on `train` (scaled on `train`) and returns accuracy on `val` and the
/// model. `penalty` `None` = no penalty.
fn fit(
    train: &Dataset,
    val: &Dataset,
    penalty: Option<shrink::Penalty>,
    seed: u64,
    epochs: usize,
) -> Result<(f64, Model<f32>), shrink::Error> {
    let fold = Fold::encode(Scaling::Standard, Loss::BinaryCrossEntropy, 1, train, val)?;
    let mut model = network(train.x.ncols(), penalty, seed)?;
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
    let family = args.penalty;
    let out = args.common.out.clone().unwrap_or_else(|| PathBuf::from("shrink-out/breast-cancer"));
    let data = read_csv_bytes(BREAST_CANCER, Path::new("breast_cancer.csv"), "target")?;
    let (train, test) = shuffle_split(&data, 0.25, 0)?;
    let (alphas, start) = grid(&args, &family, &train)?;
    for &a in &alphas {
        family.at(a).map_err(|e| anyhow::anyhow!("--alphas {a}: {e}"))?;
    }
    let threads = args.common.threads();
    let cv_plan = Plan {
        arms: alphas.iter().map(|&a| Arm::new("cv", a)).collect(),
        repeats: args.repeats,
        folds: args.folds,
        threads,
    };
    cv_plan.check().context("--repeats, --folds")?;
    let _lock = crate::study_out::claim(&out, args.common.force)?;
    let names = train.feature_names.clone();

    // Cross-validation: repeat r deals stratified folds with seed r and seeds every fit with r.
    let labels = train.y.to_vec();
    let assignments: Vec<Vec<usize>> =
        (0..args.repeats).map(|r| stratified_kfold(&labels, args.folds, r as u64)).collect::<Result<_, _>>()?;
    let cv_trials = cv_plan.trials().len();
    let bar = progress(cv_trials + 2 * args.repeats, "breast-cancer");
    let cv = |arm: &Arm, t: Trial| -> Result<([f64; 4], String), shrink::Error> {
        let rows = |inside: bool| -> Vec<usize> {
            (0..labels.len()).filter(|&i| (assignments[t.repeat][i] == t.fold) == inside).collect()
        };
        let (train, val) = (train.select(&rows(false)), train.select(&rows(true)));
        let (acc, model) = fit(&train, &val, Some(family.at(arm.alpha)?), t.repeat as u64, args.epochs)?;
        let kept = selected(&model, &names);
        let mask: String = names.iter().map(|n| if kept.contains(n) { '1' } else { '0' }).collect();
        let n_sel = kept.len() as f64;
        Ok(([acc, f64::NAN, n_sel, 1.0 - n_sel / names.len() as f64], mask))
    };
    let cv_results = cv_plan.run(cv, &|done, _| bar.set_position(done as u64))?;
    let scores = alpha_scores(&cv_plan, &cv_results, 0..cv_plan.arms.len(), |r| r.0);
    let choice = select(&scores, true, Rule::OneSe).ok_or_else(|| anyhow::anyhow!("no alpha has a finite CV score"))?;
    // Where each input leaves the path: the CV fits as trial records, read like a search's.
    let records: Vec<TrialRecord> = cv_results
        .iter()
        .map(|(t, (v, mask))| TrialRecord {
            alpha: cv_plan.arms[t.arm].alpha,
            repeat: t.repeat,
            fold: t.fold,
            seed: t.repeat as u64,
            score: v[0],
            train_score: f64::NAN,
            kernel_l2: f64::NAN,
            zero_fraction: v[3],
            inputs_used: Some(v[2] as usize),
            input_mask: mask.clone(),
            seconds: 0.0,
            l1_ratio: None,
            units: None,
            rung: None,
        })
        .collect();
    let rows = alpha_rows(&records, &scores, &names, Some((choice.alpha, None, None)));
    let exits = input_exits(&rows, &names);

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
            sig(s.mean, 4),
            sig(s.se, 2),
            format!("{:.1}", s.kernel_l2), // mean features kept (AlphaScore's third column)
            mark.to_string(),
        ]);
    }
    for (t, (res, _)) in &cv_results {
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
    let mut text = format!("{table}\n\n");
    if let Some(a) = &start {
        let _ = writeln!(
            text,
            "alpha_max {} (every input's row of dense_0.kernel is zero at it; the path runs down to {}× it)",
            sig(a.alpha_max, 6),
            args.alpha_ratio
        );
    }
    let _ = writeln!(text, "chosen alpha {}: {}", choice.alpha, choice.reason);
    let order: Vec<String> =
        exits.iter().take(8).filter_map(|e| e.last_alpha.map(|a| format!("{} ({})", e.input, sig(a, 3)))).collect();
    let _ = writeln!(text, "inputs by the strongest alpha that keeps them: {}, …", order.join(", "));
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
        "alpha_max": start.as_ref().map(|a| a.alpha_max),
        "input_exits": exits,
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
    let mut by_alpha: Vec<&AlphaRow> = rows.iter().filter(|r| r.inputs_used.is_some()).collect();
    by_alpha.sort_by(|a, b| a.alpha.total_cmp(&b.alpha));
    let chart = LineChart::new("Breast cancer: inputs kept vs alpha (mean over CV fits)", "alpha", "inputs kept")
        .log_x(true)
        .series(Series::new(
            family.to_string(),
            by_alpha.iter().map(|r| r.alpha).collect(),
            by_alpha.iter().map(|r| r.inputs_used.unwrap_or(0.0)).collect(),
        ));
    files.line_chart(&chart, "inputs_vs_alpha")?;
    by_alpha.sort_by(|a, b| a.inputs_used.unwrap_or(0.0).total_cmp(&b.inputs_used.unwrap_or(0.0)));
    let chart =
        LineChart::new("Breast cancer: CV accuracy vs inputs kept (mean ± SE)", "inputs kept (mean)", "CV accuracy")
            .series(
                Series::new(
                    "CV accuracy",
                    by_alpha.iter().map(|r| r.inputs_used.unwrap_or(0.0)).collect(),
                    by_alpha.iter().map(|r| r.score_mean).collect(),
                )
                .with_err(by_alpha.iter().map(|r| r.score_se).collect()),
            );
    files.line_chart(&chart, "score_vs_inputs")?;
    files.print_with(text)
}
