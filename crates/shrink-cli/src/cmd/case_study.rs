//! `shrink case-study`: runs the study, prints the table and reading, writes files and plots.

use crate::study_out::Outputs;
use anyhow::{Context, Result};

use shrink::case_study::{self, CaseStudy, CaseStudyConfig};
use shrink::data::{Pipeline, Scaling, TargetTask};
use shrink::penalty::Family;
use shrink::search::Fold;
use shrink_report::{format_mean_sd, LineChart, Series, Table};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

#[derive(clap::Args)]
pub struct Args {
    /// Fits per configuration, each with its own seed.
    #[arg(long, default_value_t = 10)]
    repeats: usize,
    /// Epochs per fit.
    #[arg(long, default_value_t = 4000)]
    epochs: usize,
    /// Penalty family on the hidden kernel: l1, l2, l1l2, elastic-net:RATIO, group-rows,
    /// group-columns, each with an optional mode (`l1@proximal`); l2 is the reference.
    #[arg(long, default_value = "l2")]
    penalty: Family,
    /// Comma-separated strengths of the grid (each finite and ≥ 0) for the --penalty family;
    /// 0.001 is also configuration (2), the reference alpha.
    #[arg(long, value_delimiter = ',', default_value = "1e-1,1e-2,1e-3,1e-4,1e-5,1e-6")]
    alphas: Vec<f64>,
    /// Output folder.
    #[arg(long, default_value = "shrink-out/case-study")]
    out: PathBuf,
    /// Replace the results already in the output folder.
    #[arg(long)]
    force: bool,
    /// First seed; repeat r uses seed + r.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Worker threads (default: all cores). Results do not depend on it.
    #[arg(long)]
    threads: Option<usize>,
    /// Run the study on your own CSV instead of the two moons (header row; a binary target: 0/1 or two class names).
    #[arg(long, requires = "target")]
    data: Option<PathBuf>,
    /// Name of the target column in --data (and --test).
    #[arg(long, requires = "data")]
    target: Option<String>,
    /// Test set as a separate CSV with the same columns.
    #[arg(long, requires = "data", conflicts_with = "train_rows")]
    test: Option<PathBuf>,
    /// Use the first N rows of --data for training and the rest for testing.
    #[arg(long, requires = "data")]
    train_rows: Option<usize>,
    /// Input scaling fitted on the training rows: standard, minmax or none
    /// (default: none for the moons, which reproduce the reference; standard for --data).
    #[arg(long, value_enum)]
    scale: Option<crate::choices::ScaleArg>,
    /// Which columns of --data are inputs and how they are encoded (as on `train`).
    #[command(flatten)]
    columns: crate::tables::ColumnArgs,
}

fn study_data(args: &Args) -> Result<Fold> {
    let Some(path) = &args.data else {
        if args.scale.is_some_and(|s| s != crate::choices::ScaleArg::None) {
            anyhow::bail!("--scale applies to --data; the reference moons study is unscaled");
        }
        return Ok(case_study::reference_data()?);
    };
    let target = args.target.as_deref().context("--data needs --target")?;
    let scaling = args.scale.map_or(Scaling::Standard, Scaling::from);
    let options = args.columns.options()?;
    let table = Pipeline::read_training(path, target, &options)?;
    let (train, test) = match (&args.test, args.train_rows) {
        (Some(test_path), _) => (table, Pipeline::read_training(test_path, target, &options)?),
        (None, Some(rows)) => {
            if rows == 0 || rows >= table.nrows() {
                anyhow::bail!(
                    "--train-rows must leave at least one row for training and one for testing: {} has {} rows, got {rows}",
                    path.display(),
                    table.nrows()
                );
            }
            let (head, tail): (Vec<usize>, Vec<usize>) = ((0..rows).collect(), (rows..table.nrows()).collect());
            (table.select_rows(&head), table.select_rows(&tail))
        }
        (None, None) => anyhow::bail!("--data needs either --test FILE or --train-rows N"),
    };
    // Columns, categories and the two classes are fitted on the training rows; the study's
    // own scaler (`--scale`) comes after, so the pipeline here leaves the inputs unscaled.
    let pipeline = Pipeline::fit(&train, target, &options, Scaling::None, TargetTask::Binary)?;
    let (train, test) = (binary(&pipeline, &train)?, binary(&pipeline, &test)?);
    Ok(case_study::data_from(&train, &test, scaling)?)
}

/// The rows of `table` through `pipeline`, refusing a numeric target other than 0/1 at its line.
fn binary(pipeline: &Pipeline, table: &shrink::data::TypedTable) -> Result<shrink::data::Dataset> {
    let data = pipeline.dataset(table, true)?;
    if let Some((row, value)) = data.y.iter().enumerate().find(|(_, v)| **v != 0.0 && **v != 1.0) {
        anyhow::bail!(
            "{}: line {}: target `{}` must be 0 or 1, or two class names (the case study is binary classification), got {value}",
            table.path.display(),
            table.lines.get(row).copied().unwrap_or(row as u64 + 2),
            data.target_name
        );
    }
    Ok(data)
}

pub fn run(args: Args) -> Result<()> {
    let defaults = CaseStudyConfig::default();
    let config = CaseStudyConfig {
        repeats: args.repeats,
        epochs: args.epochs,
        family: args.penalty,
        alphas: args.alphas.clone(),
        seed: args.seed,
        threads: crate::threads(args.threads),
        ..defaults
    };
    for &alpha in &config.alphas {
        config.family.at(alpha).with_context(|| format!("--alphas {alpha} (--penalty {})", config.family))?;
    }
    config.validate()?;
    let data = study_data(&args)?;
    let manifest = crate::manifest::Manifest::read(args.data.iter().chain(&args.test).map(PathBuf::as_path))?;
    let _lock = crate::study_out::claim(&args.out, args.force)?;
    let fits = case_study::fits_to_train(&config);
    let bar = crate::progress::bar(fits as u64, "case study", "fits");
    let study = case_study::run(&config, &data, &|done, _| bar.set_position(done as u64))?;
    bar.finish_and_clear();

    // Files first: a closed stdout (`| head`) must not cost the results.
    let files = write_outputs(&study, &args.out)?;
    manifest.write(&args.out, &files)?;
    let mut text = format!("{}\n\n{}\n\n", table(&study), study.reading());
    text += &format!("{} fits in {:.1} s on {} threads; wrote:\n", study.trained, study.total_seconds, config.threads);
    for f in files {
        text += &format!("  {}\n", f.display());
    }
    crate::print(&text)
}

fn table(study: &CaseStudy) -> Table {
    // The zeros column only where the family can make zeros: the reference table stays as it was.
    let zeros = study.config.family.makes_zeros();
    let mut header = vec!["config", "alpha", "train acc", "test acc", "hidden kernel L2"];
    header.extend(zeros.then_some("zeros"));
    header.push("fits");
    let mut table = Table::new(header);
    let reference = study.config.reference_name();
    for r in &study.summary {
        let name = match r.config.as_str() {
            "none" => "no penalty".to_string(),
            "grid" => "grid".to_string(),
            _ => format!("{reference} on hidden kernel"),
        };
        let mut row = vec![
            name,
            if r.config == "none" { "-".to_string() } else { format!("{}", r.alpha) },
            format_mean_sd(r.train_acc_mean, r.train_acc_sd, 3),
            format_mean_sd(r.test_acc_mean, r.test_acc_sd, 3),
            format_mean_sd(r.kernel_l2_mean, r.kernel_l2_sd, 2),
        ];
        row.extend(zeros.then(|| format!("{:.1}%", 100.0 * r.kernel_zero_fraction_mean)));
        row.push(r.n.to_string());
        table.push_row(row);
    }
    table
}

/// `results.csv`: one row per fit (floats in shortest round-trip form).
fn results_csv(study: &CaseStudy) -> String {
    let mut out = String::from(
        "config,alpha,repeat,seed,train_acc,test_acc,train_loss,test_loss,kernel_l2,kernel_max_abs,fit_seconds\n",
    );
    for f in &study.fits {
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
    out
}

/// `summary.json`: settings, per-configuration summaries, the best alpha and the reading.
fn summary_json(study: &CaseStudy) -> Result<String> {
    let value = serde_json::json!({
        "config": study.config,
        "summary": study.summary,
        "best_alpha": study.best_alpha,
        "reading": study.reading(),
        "total_seconds": study.total_seconds,
        "fits_trained": study.trained,
    });
    Ok(serde_json::to_string_pretty(&value)?)
}

/// The family as a file-name part: `l2`, `group-rows-proximal`, `elastic-net-0.5`.
fn slug(family: &Family) -> String {
    family.to_string().replace([':', '@'], "-")
}

fn write_outputs(study: &CaseStudy, out: &Path) -> Result<Vec<PathBuf>> {
    let mut files = Outputs::new(out)?;
    files.text("results.csv", &results_csv(study))?;
    files.text("summary.json", &summary_json(study)?)?;
    let family = &study.config.family;
    let reference = study.config.reference_name();
    let curves = [
        ("none".to_string(), "none".to_string(), "Learning curves, no penalty".to_string()),
        (
            reference,
            slug(family),
            format!("Learning curves, {family} on the hidden kernel (alpha = {})", study.config.reference_alpha),
        ),
    ];
    for (config, stem, title) in curves {
        if let Some((train, test)) = study.mean_curves(&config) {
            let epochs: Vec<f64> = (1..=train.len()).map(|e| e as f64).collect();
            let chart = LineChart::new(format!("{title}, mean of {} fits", study.config.repeats), "epoch", "accuracy")
                .series(Series::new("train", epochs.clone(), train))
                .series(Series::new("test", epochs, test));
            files.line_chart(&chart, &format!("learning_curves_{stem}"))?;
        }
    }
    let grid: Vec<_> = study.summary.iter().filter(|r| r.config == "grid" && r.alpha > 0.0).collect();
    if !grid.is_empty() {
        let alphas: Vec<f64> = grid.iter().map(|r| r.alpha).collect();
        let title = format!("Accuracy vs {family} alpha on the hidden kernel (mean ± sd)");
        let chart = LineChart::new(title, "alpha", "accuracy")
            .log_x(true)
            .series(
                Series::new("train", alphas.clone(), grid.iter().map(|r| r.train_acc_mean).collect())
                    .with_err(grid.iter().map(|r| r.train_acc_sd).collect()),
            )
            .series(
                Series::new("test", alphas, grid.iter().map(|r| r.test_acc_mean).collect())
                    .with_err(grid.iter().map(|r| r.test_acc_sd).collect()),
            );
        files.line_chart(&chart, "accuracy_vs_alpha")?;
    }
    Ok(files.files)
}
