//! `shrink search`: choose a penalty strength by grid (and refinement), repeats and
//! cross-validation, resumable from `DIR/trials.csv`. Everything numeric is in
//! `shrink::search`; this file holds the flags and runs a planned search (the progress bar,
//! the files); `search/plan.rs` checks the flags and loads everything first.

mod plan;

use crate::cmd::search_alphas::PathReport;
use crate::cmd::search_report::{print_report, write_plots, write_summary, Comparison};
use anyhow::{bail, Context, Result};
use indicatif::ProgressBar;
pub(crate) use plan::{changed_keys, plan, Plan};
use shrink::penalty::Family;
use shrink::search::{run_search_with, PathKind, SearchConfig, SearchOutcome, TrialLog};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    input: crate::load::SpecTable,
    /// Validation table with the same columns (default: hold out 20 % of --data, or --cv).
    #[arg(long, conflicts_with = "cv")]
    test: Option<PathBuf>,
    /// The parameters the penalty goes on, a selector: a comma-separated list of globs over
    /// `layer.role` names (`dense_0.kernel`, `dense_0`, `*.kernel`, `conv2d_*.kernel,dense_0.kernel`, `*`).
    #[arg(long)]
    param: String,
    /// Penalty family, the alpha of a trial sets its strength: l1, l2, l1l2 (alpha on both),
    /// elastic-net:RATIO (alpha·(r·Σ|w| + (1−r)/2·Σw²)), group-rows, group-columns, each with
    /// an optional mode `@proximal` (exact zeros), `@decoupled` (l2 only) or `@gradient`.
    /// Without a mode the search takes the mode of the spec's penalty on --param (and says so).
    #[arg(long)]
    penalty: FamilyArg,
    /// `auto` or `auto:N` (glmnet's path: N alphas, default 20, log-spaced from alpha_max, where
    /// every penalized group is zero, down to alpha_max·--alpha-ratio; for L2 families 1e-1 down
    /// to 1e-1·ratio), `HI:LO` for every decade between (1e-1:1e-6), or a list `1e-2,3e-3,1e-3`.
    #[arg(long)]
    alphas: String,
    /// The weakest alpha of `--alphas auto` as a fraction of the strongest (glmnet's
    /// lambda.min.ratio).
    #[arg(long, default_value_t = shrink::search::auto_path::DEFAULT_RATIO)]
    alpha_ratio: f64,
    /// What trials are scored by on their validation rows (default: log-loss for
    /// classification, mse for regression); auc is binary only.
    #[arg(long, value_enum)]
    score: Option<crate::choices::ScoreArg>,
    /// Add 10 points per decade between best/√10 and best·√10 around the best grid alpha.
    #[arg(long)]
    refine: bool,
    /// Seeds per alpha (seed = spec seed + repeat).
    #[arg(long, default_value_t = 3)]
    repeats: usize,
    /// K-fold cross-validation (stratified for classification).
    #[arg(long)]
    cv: Option<usize>,
    /// cold: every trial from fresh weights; warm: weakest alpha first, each stronger one
    /// continues from the previous weights; warm-reverse: strongest first.
    #[arg(long, value_enum, default_value_t = crate::choices::PathArg::Cold)]
    path: crate::choices::PathArg,
    /// Epochs of each continued fit on a warm path (default: a quarter of the spec's epochs).
    #[arg(long)]
    warm_epochs: Option<usize>,
    /// With a warm path, also run the cold grid (in DIR/cold) and report time and agreement.
    #[arg(long)]
    compare_cold: bool,
    /// best: the best mean score; 1se: the largest alpha within one standard error of it.
    #[arg(long = "select", value_enum, default_value_t = crate::choices::RuleArg::Best)]
    rule: crate::choices::RuleArg,
    /// Train the chosen alpha on all of --data and save DIR/model.safetensors.
    #[arg(long)]
    refit: bool,
    /// Output folder: trials.csv, summary.json, plots.
    #[arg(long)]
    out: PathBuf,
    /// Worker threads (default: all cores). Results do not depend on it.
    #[arg(long)]
    threads: Option<usize>,
    /// Discard DIR/trials.csv (and DIR/full, DIR/cold) and start over.
    #[arg(long)]
    force: bool,
    #[command(flatten)]
    columns: crate::tables::ColumnArgs,
    /// Elastic-net mixes searched jointly with alpha (l1l2 and elastic-net families):
    /// every (l1_ratio, alpha) is a trial, penalty alpha·(r·Σ|w| + (1−r)/2·Σw²).
    #[arg(long)]
    l1_ratios: Option<String>,
    /// Widths of one hidden Dense layer searched jointly with alpha: LAYER=8,64,256.
    #[arg(long)]
    units: Option<String>,
    /// none: every trial trains all epochs; halving: successive halving over rungs of epochs.
    #[arg(long, value_enum, default_value_t = crate::choices::PruneTrialsArg::None)]
    prune_trials: crate::choices::PruneTrialsArg,
    /// Epochs of the halving rungs, increasing, ending at the spec's epochs (default: a ninth,
    /// a third, all).
    #[arg(long)]
    rungs: Option<String>,
    /// With halving, each rung keeps ⌈n/eta⌉ of its n candidates (default 3, ≥ 2).
    #[arg(long)]
    eta: Option<usize>,
    /// With halving, also run the full grid (in DIR/full) and report time and agreement.
    #[arg(long)]
    compare_full: bool,
    /// After choosing, refit on the chosen support (pruned inputs and units) without the
    /// penalty and report both scores; with --refit, save the relaxed model.
    #[arg(long)]
    relax: bool,
    /// Run only shard K of N (0 ≤ K < N): every N-th unit of the planned trials, into
    /// DIR/trials.K-of-N.csv; the same command without --shard then merges the shards.
    #[arg(long, value_name = "K/N", conflicts_with_all = ["refit", "compare_cold", "compare_full", "relax"])]
    shard: Option<shrink::search::Shard>,
}

/// `--penalty`: a family, whether its text named a mode, and whether it is a bare
/// `elastic-net` (its mix left to --l1-ratios).
#[derive(Clone)]
struct FamilyArg {
    family: Family,
    named_mode: bool,
    bare_mix: bool,
}

impl std::str::FromStr for FamilyArg {
    type Err = shrink::PenaltyError;
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let (body, mode) = text.split_once('@').map_or((text, None), |(b, m)| (b, Some(m)));
        if body.trim() == "elastic-net" {
            // A placeholder mix: each point of --l1-ratios sets its own.
            let family = format!("elastic-net:1{}", mode.map(|m| format!("@{m}")).unwrap_or_default()).parse()?;
            return Ok(FamilyArg { family, named_mode: mode.is_some(), bare_mix: true });
        }
        Ok(FamilyArg { family: text.parse()?, named_mode: text.contains('@'), bare_mix: false })
    }
}

/// Runs one search into `dir`, resuming from its `trials.csv` unless `force`.
fn search_into(
    plan: &Plan,
    config: &SearchConfig,
    dir: &Path,
    force: bool,
    label: &str,
    runner: &dyn shrink::search::Runner,
) -> Result<SearchOutcome> {
    let settings = dir.join("search.json");
    if !force {
        if let Ok(old) = std::fs::read_to_string(&settings) {
            if old != plan.fingerprint {
                bail!(
                    "{} holds a search with other settings ({} changed); pass --force to start over",
                    dir.display(),
                    changed_keys(&old, &plan.fingerprint)
                );
            }
        }
    }
    // Read before anything is written, so that a shard of another search leaves no trace.
    let shards = crate::cmd::search_shard::merged(plan, config, dir, force)?;
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    shrink::files::write_atomic(&settings, plan.fingerprint.as_bytes())?;
    let (log, done) = TrialLog::open_with(&dir.join("trials.csv"), force, crate::cmd::search_grid::columns(config))?;
    let done = crate::cmd::search_shard::union(done, shards);
    let log = Mutex::new(log);
    let bar = progress_bar(label);
    let sink = |r: &shrink::search::TrialRecord| {
        log.lock().map_err(|_| shrink::Error::invalid("trial log", "unpoisoned", "poisoned"))?.append(r)
    };
    let progress = |done: usize, total: usize| {
        bar.set_length(total as u64);
        bar.set_position(done as u64);
    };
    let outcome = run_search_with(&plan.spec, config, &plan.folds, done, &sink, &progress, runner)?;
    bar.finish_and_clear();
    // The same bytes at any thread count: the trials in trial order, not finishing order.
    log.into_inner()
        .map_err(|_| shrink::Error::invalid("trial log", "unpoisoned", "poisoned"))?
        .finish(&outcome.records)?;
    Ok(outcome)
}

/// The progress bar of a search, labelled.
pub(crate) fn progress_bar(label: &str) -> ProgressBar {
    crate::progress::bar(0, label, "trials")
}

pub fn run(args: Args) -> Result<()> {
    let plan = plan(&args)?;
    let threads = plan.config.threads;
    run_planned(args, plan, &shrink::search::Local { threads })
}

impl Args {
    /// `--shard`, if given.
    #[cfg_attr(not(feature = "mpi"), allow(dead_code))]
    pub(crate) fn shard(&self) -> Option<shrink::search::Shard> {
        self.shard
    }

    /// Whether the search prunes trials by successive halving.
    #[cfg_attr(not(feature = "mpi"), allow(dead_code))]
    pub(crate) fn halving(&self) -> bool {
        self.prune_trials == crate::choices::PruneTrialsArg::Halving
    }
}

/// Runs the planned search with its units trained by `runner` (this process's threads, or
/// other MPI ranks).
pub(crate) fn run_planned(args: Args, plan: Plan, runner: &dyn shrink::search::Runner) -> Result<()> {
    if let Some(shard) = args.shard {
        // No summary, plots or run.json: those belong to the merge run, which sees every shard.
        return crate::cmd::search_shard::run_shard(&plan, shard, &args.out, args.force);
    }
    let model_path = args.out.join("model.safetensors");
    if args.refit && model_path.exists() && !args.force {
        bail!("{} exists; pass --force to replace it (and start the search over)", model_path.display());
    }
    // One writer per output folder: a second search into it fails here, before any trial.
    let inputs = [&args.input.spec, &args.input.data].into_iter().chain(&args.test).map(PathBuf::as_path);
    let manifest = crate::manifest::Manifest::read(inputs)?;
    let _lock = shrink::files::OutputLock::acquire(&args.out)?;
    let outcome = search_into(&plan, &plan.config, &args.out, args.force, "search", runner)?;
    let comparison = if args.compare_cold {
        let cold_config = SearchConfig { path: PathKind::Cold, ..plan.config.clone() };
        let cold = search_into(&plan, &cold_config, &args.out.join("cold"), args.force, "cold grid", runner)?;
        Some(Comparison::new(&outcome, &cold))
    } else {
        None
    };
    let mut files = vec![args.out.join("trials.csv")];
    let mut written = vec![args.out.join("search.json")];
    if args.compare_cold {
        written.extend(["trials.csv", "search.json"].map(|f| args.out.join("cold").join(f)));
    }
    let halving = if args.compare_full {
        let full_config = SearchConfig { halving: None, ..plan.config.clone() };
        let full = search_into(&plan, &full_config, &args.out.join("full"), args.force, "full grid", runner)?;
        written.extend(["trials.csv", "search.json"].map(|f| args.out.join("full").join(f)));
        Some(crate::cmd::search_grid::HalvingComparison::new(&outcome, &full))
    } else {
        None
    };
    let extras = crate::cmd::search_grid::extras(&plan.spec, &plan.config, &plan.folds, &outcome, halving, args.relax)?;
    let path = PathReport::new(&outcome, &plan.names, plan.auto.as_ref());
    if let Some(edge) = &path.edge {
        eprintln!("warning: {}", edge.message);
    }
    files.extend(path.write(&args.out, outcome.score_name)?);
    let summary = write_summary(&args.out, &plan.config, &outcome, comparison.as_ref(), plan.auto.as_ref(), &path)?;
    crate::cmd::search_grid::amend_summary(&summary, &extras)?;
    files.push(summary);
    files.extend(write_plots(&args.out, &args.param, &outcome)?);
    if args.refit {
        if let Some(sel) = &outcome.selection {
            files.push(refit(&plan, sel, &args)?);
        }
    }
    written.extend(files.iter().cloned());
    manifest.write(&args.out, &written)?;
    print_report(&plan.config, &outcome, comparison.as_ref(), &files, &path)?;
    crate::print(&extras.text())
}

/// Trains the chosen (mix, width, alpha) on every row of --data (scaler fitted on them) and
/// saves it; with --relax, the relaxed fit on its pruned support instead.
fn refit(plan: &Plan, sel: &shrink::search::Selection, args: &Args) -> Result<PathBuf> {
    let path = args.out.join("model.safetensors");
    let threads = plan.spec.fit_config().threads;
    let (saved, trainer) =
        shrink::search::refit(&plan.spec, &plan.config, &plan.pipeline, &plan.data, sel, args.relax, threads)?;
    saved.save(&path, Some(&trainer), true)?;
    Ok(path)
}
