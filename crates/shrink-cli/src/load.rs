//! What the model-file commands (`train`, `evaluate`, `predict`, `inspect`, `fine-tune`,
//! `import`, `search`) share: their common flags, and loading and checking inputs before any
//! file is written.

use anyhow::{bail, Context, Result};
use shrink::data::{shuffle_split, Dataset};
use shrink::model_file::SavedModel;
use shrink::pipeline::{encode_inputs, encode_targets};
use shrink::spec::ModelSpec;
use std::path::{Path, PathBuf};

/// Where a training run writes and how many threads a step may use.
/// `--spec S --data D --target T`: what `train` and `search` start from.
#[derive(clap::Args)]
pub(crate) struct SpecTable {
    /// Model spec (TOML or JSON): layers, penalties, loss, optimizer, epochs, scaling.
    #[arg(long)]
    pub(crate) spec: PathBuf,
    /// Training data (CSV with a header row).
    #[arg(long)]
    pub(crate) data: PathBuf,
    /// Name of the target column (with a `[series]` spec: optional, the series' target).
    #[arg(long)]
    pub(crate) target: Option<String>,
}

impl SpecTable {
    /// `--target`, required unless the spec has a `[series]` table.
    pub(crate) fn target(&self) -> Result<&str> {
        self.target
            .as_deref()
            .context("--target is required (the name of the target column), unless the spec has a [series] table")
    }
}

/// `--model M --data D [--target T]`: a saved model and a table to score or train it on.
#[derive(clap::Args)]
pub(crate) struct ModelTable {
    /// A model file written by `shrink train`, `fine-tune` or `import`.
    #[arg(long)]
    pub(crate) model: PathBuf,
    /// Data with the model's input columns (any order) and the target.
    #[arg(long)]
    pub(crate) data: PathBuf,
    /// Name of the target column (default: the one the model was trained on).
    #[arg(long)]
    pub(crate) target: Option<String>,
}

#[derive(clap::Args)]
pub(crate) struct RunArgs {
    /// Output folder: model.safetensors, history.csv, weights.csv, learning curves.
    #[arg(long)]
    pub(crate) out: PathBuf,
    /// Replace an existing model file in --out.
    #[arg(long)]
    pub(crate) force: bool,
    /// Threads for the large products inside a step.
    #[arg(long, default_value_t = 1)]
    pub(crate) threads: usize,
}

#[derive(clap::Args)]
pub(crate) struct ValArgs {
    /// Validation data with the same columns.
    #[arg(long, conflicts_with = "val_split")]
    pub(crate) val: Option<PathBuf>,
    /// Hold out this fraction of the training rows (seeded by the spec's seed) for validation;
    /// with a `[series]` spec, the last fraction of the windows (chronological, no shuffling).
    #[arg(long)]
    pub(crate) val_split: Option<f64>,
}

pub(crate) fn load_spec(path: &Path) -> Result<ModelSpec> {
    let text = std::fs::read_to_string(path).with_context(|| format!("cannot read spec {}", path.display()))?;
    let spec = if path.extension().is_some_and(|e| e == "json") {
        ModelSpec::from_json(&text)
    } else {
        ModelSpec::from_toml(&text)
    };
    spec.with_context(|| format!("{}", path.display()))
}

pub(crate) fn load_model(path: &Path) -> Result<(SavedModel, Option<shrink::model_file::SavedOptimizer>)> {
    Ok(SavedModel::load(path)?)
}

/// Everything that can be checked before an output folder is created: the validation rows
/// against the model, and the thread count.
pub(crate) fn check_before_writing(
    saved: &SavedModel,
    val: Option<&Dataset>,
    val_path: &Path,
    threads: usize,
) -> Result<()> {
    crate::threads(Some(threads)); // warns when more than the machine has
    if threads == 0 {
        bail!("--threads must be ≥ 1, got 0");
    }
    if let Some(v) = val {
        encode_inputs(&saved.spec, &saved.pipeline, v).with_context(|| format!("{}", val_path.display()))?;
        encode_targets(&saved.spec, &saved.pipeline, v).with_context(|| format!("{}", val_path.display()))?;
    }
    // A monitor the fit cannot provide fails here, not after the output folder exists.
    let metrics: Vec<String> = saved.spec.metrics.iter().map(|m| m.as_str().to_string()).collect();
    saved.spec.fit_config().monitors(&metrics, val.is_some()).map_err(|e| match val {
        None if saved.spec.fit_config().needs_validation() => {
            anyhow::anyhow!("{e} (pass --val FILE or --val-split FRACTION)")
        }
        _ => e.into(),
    })?;
    Ok(())
}

/// Refuses, before any work, to replace any file a training run writes into `dir` (the model,
/// `history.csv`, `weights.csv`, the learning curves of the loss and of each metric).
pub(crate) fn refuse_run_outputs(dir: &Path, metrics: &[shrink::metrics::Metric], force: bool) -> Result<()> {
    let mut names =
        vec!["model.safetensors".to_string(), "history.csv".into(), "weights.csv".into(), "stopping.json".into()];
    for stem in std::iter::once("loss").chain(metrics.iter().map(|m| m.as_str())) {
        names.extend(["png", "svg"].map(|ext| format!("learning_curves_{stem}.{ext}")));
    }
    names.iter().try_for_each(|name| refuse_existing(&dir.join(name), force))
}

pub(crate) fn refuse_existing(path: &Path, force: bool) -> Result<()> {
    if path.exists() && !force {
        bail!("{} exists; pass --force to replace it", path.display());
    }
    Ok(())
}

/// `--val FILE` (read by `read`) or `--val-split F` of `data` (seeded), or no validation.
pub(crate) fn split_validation(
    data: Dataset,
    val: &ValArgs,
    seed: u64,
    read: impl Fn(&Path) -> Result<Dataset>,
) -> Result<(Dataset, Option<Dataset>)> {
    match (&val.val, val.val_split) {
        (Some(path), _) => Ok((data, Some(read(path)?))),
        (None, Some(f)) => {
            let (train, held) = shuffle_split(&data, f, seed).context("--val-split")?;
            Ok((train, Some(held)))
        }
        (None, None) => Ok((data, None)),
    }
}
