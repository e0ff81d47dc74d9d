//! `shrink case-study`: runs the study, prints the table and reading, writes files and plots.

use anyhow::{Context, Result};
use indicatif::{ProgressBar, ProgressStyle};
use shrink::case_study::{self, CaseStudy, CaseStudyConfig, StudyData};
use shrink::data::{csv_row_lines, read_csv, split_at, Scaling};
use shrink_report::{format_mean_sd, write_line_chart, LineChart, Series, Table};
use std::path::{Path, PathBuf};

#[derive(clap::Args)]
pub struct Args {
    /// Fits per configuration, each with its own seed.
    #[arg(long, default_value_t = 10)]
    repeats: usize,
    /// Epochs per fit.
    #[arg(long, default_value_t = 4000)]
    epochs: usize,
    /// Comma-separated L2 strengths of the grid (each finite and ≥ 0).
    #[arg(long, value_delimiter = ',', default_value = "1e-1,1e-2,1e-3,1e-4,1e-5,1e-6")]
    alphas: Vec<f64>,
    /// Output folder.
    #[arg(long, default_value = "shrink-out/case-study")]
    out: PathBuf,
    /// First seed; repeat r uses seed + r.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Worker threads (default: all cores). Results do not depend on it.
    #[arg(long)]
    threads: Option<usize>,
    /// Run the study on your own CSV instead of the two moons (header row; binary 0/1 target).
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
    #[arg(long, value_parser = ["standard", "minmax", "none"])]
    scale: Option<String>,
}

fn study_data(args: &Args) -> Result<StudyData> {
    let Some(path) = &args.data else {
        if args.scale.as_deref().is_some_and(|s| s != "none") {
            anyhow::bail!("--scale applies to --data; the reference moons study is unscaled");
        }
        return Ok(StudyData::reference()?);
    };
    let target = args.target.as_deref().context("--data needs --target")?;
    let scaling = match args.scale.as_deref().unwrap_or("standard") {
        "minmax" => Scaling::MinMax,
        "none" => Scaling::None,
        _ => Scaling::Standard,
    };
    let data = read_binary(path, target)?;
    let (train, test) = match (&args.test, args.train_rows) {
        (Some(test_path), _) => {
            let test = read_binary(test_path, target)?;
            if test.feature_names != data.feature_names {
                anyhow::bail!(
                    "{}: feature columns [{}] differ from those of {} [{}]; the test file needs the same columns in the same order",
                    test_path.display(),
                    test.feature_names.join(", "),
                    path.display(),
                    data.feature_names.join(", ")
                );
            }
            (data, test)
        }
        (None, Some(rows)) => {
            if rows == 0 || rows >= data.len() {
                anyhow::bail!(
                    "--train-rows must leave at least one row for training and one for testing: {} has {} rows, got {rows}",
                    path.display(),
                    data.len()
                );
            }
            split_at(&data, rows)?
        }
        (None, None) => anyhow::bail!("--data needs either --test FILE or --train-rows N"),
    };
    Ok(StudyData::from_datasets(&train, &test, scaling)?)
}

/// Reads a CSV and checks that its target is 0 or 1, naming the line of the first bad value.
fn read_binary(path: &Path, target: &str) -> Result<shrink::data::Dataset> {
    let data = read_csv(path, target)?;
    if let Some((row, value)) = data.y.iter().enumerate().find(|(_, v)| **v != 0.0 && **v != 1.0) {
        let line = csv_row_lines(path)?.get(row).copied().unwrap_or(row as u64 + 2);
        anyhow::bail!(
            "{}: line {line}: target `{target}` must be 0 or 1 (the case study is binary classification), got {value}",
            path.display()
        );
    }
    Ok(data)
}

pub fn run(args: Args) -> Result<()> {
    let defaults = CaseStudyConfig::default();
    let config = CaseStudyConfig {
        repeats: args.repeats,
        epochs: args.epochs,
        alphas: args.alphas.clone(),
        seed: args.seed,
        threads: args.threads.unwrap_or(defaults.threads),
        ..defaults
    };
    let shared = config.alphas.contains(&config.reference_alpha);
    for &alpha in &config.alphas {
        shrink::Penalty::l2(alpha).with_context(|| format!("--alphas {alpha}"))?;
    }
    let data = study_data(&args)?;
    let fits = config.repeats * (1 + usize::from(!shared) + config.alphas.len());
    let bar = ProgressBar::new(fits as u64);
    bar.set_style(
        ProgressStyle::with_template("{msg} [{bar:40}] {pos}/{len} fits, {elapsed} elapsed, ETA {eta}")
            .expect("the template is valid")
            .progress_chars("=> "),
    );
    bar.set_message("case study");
    let study = case_study::run(&config, &data, &|done, _| bar.set_position(done as u64))?;
    bar.finish_and_clear();

    // Files first: a closed stdout (`| head`) must not cost the results.
    let files = write_outputs(&study, &args.out)?;
    let mut text = format!("{}\n\n{}\n\n", table(&study), study.reading());
    text += &format!("{} fits in {:.1} s on {} threads; wrote:\n", study.trained, study.total_seconds, config.threads);
    for f in files {
        text += &format!("  {}\n", f.display());
    }
    crate::print(&text)
}

fn table(study: &CaseStudy) -> Table {
    let mut table = Table::new(["config", "alpha", "train acc", "test acc", "hidden kernel L2", "fits"]);
    for r in &study.summary {
        let name = match r.config.as_str() {
            "none" => "no penalty".to_string(),
            "l2" => "L2 on hidden kernel".to_string(),
            _ => "grid".to_string(),
        };
        table.push_row([
            name,
            if r.config == "none" { "-".to_string() } else { format!("{}", r.alpha) },
            format_mean_sd(r.train_acc_mean, r.train_acc_sd, 3),
            format_mean_sd(r.test_acc_mean, r.test_acc_sd, 3),
            format_mean_sd(r.kernel_l2_mean, r.kernel_l2_sd, 2),
            r.n.to_string(),
        ]);
    }
    table
}

fn write_outputs(study: &CaseStudy, out: &Path) -> Result<Vec<PathBuf>> {
    std::fs::create_dir_all(out).with_context(|| format!("cannot create output folder {}", out.display()))?;
    let mut files = Vec::new();
    let results = out.join("results.csv");
    study.write_results_csv(&results)?;
    files.push(results);
    let summary = out.join("summary.json");
    study.write_summary_json(&summary)?;
    files.push(summary);

    for (config, title) in [("none", "Learning curves, no penalty"), ("l2", "Learning curves, L2 on the hidden kernel")]
    {
        if let Some((train, test)) = study.mean_curves(config) {
            let epochs: Vec<f64> = (1..=train.len()).map(|e| e as f64).collect();
            let title = if config == "l2" {
                format!("{title} (alpha = {})", study.config.reference_alpha)
            } else {
                title.to_string()
            };
            let chart = LineChart::new(format!("{title}, mean of {} fits", study.config.repeats), "epoch", "accuracy")
                .series(Series::new("train", epochs.clone(), train))
                .series(Series::new("test", epochs, test));
            files.extend(write_line_chart(&chart, &out.join(format!("learning_curves_{config}")))?);
        }
    }
    let grid: Vec<_> = study.summary.iter().filter(|r| r.config == "grid" && r.alpha > 0.0).collect();
    if !grid.is_empty() {
        let alphas: Vec<f64> = grid.iter().map(|r| r.alpha).collect();
        let chart = LineChart::new("Accuracy vs L2 alpha on the hidden kernel (mean ± sd)", "alpha", "accuracy")
            .log_x(true)
            .series(
                Series::new("train", alphas.clone(), grid.iter().map(|r| r.train_acc_mean).collect())
                    .with_err(grid.iter().map(|r| r.train_acc_sd).collect()),
            )
            .series(
                Series::new("test", alphas, grid.iter().map(|r| r.test_acc_mean).collect())
                    .with_err(grid.iter().map(|r| r.test_acc_sd).collect()),
            );
        files.extend(write_line_chart(&chart, &out.join("accuracy_vs_alpha"))?);
    }
    Ok(files)
}
