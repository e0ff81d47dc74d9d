//! A user's table through the model's preprocessing pipeline: the column flags that mirror the
//! spec keys, fitting the pipeline on the training rows of `train` and `search`, and reading a
//! table through a saved pipeline for `evaluate`, `predict` and `fine-tune`. Everything here
//! runs before any output file is created.

use anyhow::{Context, Result};
use shrink::data::{shuffle_split_indices, Dataset, Pipeline, TypedTable};
use shrink::model_file::{target_task, SavedModel};
use shrink::spec::ModelSpec;
use std::path::Path;

/// `--features`, `--ignore`, `--categorical`, `--handle-unknown`, `--max-categories`: each
/// replaces the spec key of the same name.
#[derive(clap::Args, Default)]
pub(crate) struct ColumnArgs {
    /// Input columns, in order (spec key `features`; not with `ignore`).
    #[arg(long, value_delimiter = ',', value_name = "A,B")]
    pub(crate) features: Option<Vec<String>>,
    /// Columns that are not inputs, e.g. ids and dates (spec key `ignore`).
    #[arg(long, value_delimiter = ',', value_name = "A,B")]
    pub(crate) ignore: Option<Vec<String>>,
    /// Input columns to one-hot encode (spec key `categorical`).
    #[arg(long, value_delimiter = ',', value_name = "A,B")]
    pub(crate) categorical: Option<Vec<String>>,
    /// A category unseen in training: an error, or all-zero inputs (spec key `handle_unknown`).
    #[arg(long, value_enum)]
    pub(crate) handle_unknown: Option<crate::choices::UnknownArg>,
    /// The most categories per categorical column (spec key `max_categories`, default 1000).
    #[arg(long)]
    pub(crate) max_categories: Option<usize>,
}

impl ColumnArgs {
    /// The flags as column options on their own (for commands without a spec: `case-study`).
    pub(crate) fn options(&self) -> Result<shrink::data::ColumnOptions> {
        let mut options = shrink::data::ColumnOptions::default();
        if let Some(f) = &self.features {
            options.features = Some(f.clone());
        }
        options.ignore = self.ignore.clone().unwrap_or_default();
        options.categorical = self.categorical.clone().unwrap_or_default();
        if let Some(h) = self.handle_unknown {
            options.handle_unknown = h.into();
        }
        if let Some(m) = self.max_categories {
            options.max_categories = m;
        }
        options.validate().map_err(|e| anyhow::anyhow!("{}", crate::tables::flag_names(&e.to_string())))?;
        Ok(options)
    }

    /// The spec with the flags given put in place of its keys, checked again.
    pub(crate) fn apply(&self, mut spec: ModelSpec) -> Result<ModelSpec> {
        let given = self.features.is_some()
            || self.ignore.is_some()
            || self.categorical.is_some()
            || self.handle_unknown.is_some()
            || self.max_categories.is_some();
        if !given {
            return Ok(spec);
        }
        if let Some(f) = &self.features {
            spec.features = Some(f.clone());
        }
        if let Some(i) = &self.ignore {
            spec.ignore.clone_from(i);
        }
        if let Some(c) = &self.categorical {
            spec.categorical.clone_from(c);
        }
        if let Some(h) = self.handle_unknown {
            spec.handle_unknown = h.into();
        }
        if let Some(m) = self.max_categories {
            spec.max_categories = m;
        }
        spec.validate().context("the column flags with the spec")?;
        Ok(spec)
    }
}

/// Outputs of the spec's network (input_shape may still be omitted: the outputs of a tabular
/// network do not depend on the number of inputs).
pub(crate) fn outputs(spec: &ModelSpec) -> usize {
    if spec.input_shape.is_empty() {
        ModelSpec { input_shape: vec![1], ..spec.clone() }.build_output_size()
    } else {
        spec.build_output_size()
    }
}

/// A training table with its pipeline fitted on the training rows.
pub(crate) struct Prepared {
    /// The spec, with `input_shape` filled in when it was omitted.
    pub(crate) spec: ModelSpec,
    pub(crate) pipeline: Pipeline,
    pub(crate) train: Dataset,
    pub(crate) val: Option<Dataset>,
}

/// Reads `data`, holds out `val_split` of it (seeded by the spec) or reads `val`, fits the
/// pipeline on the training rows and encodes both sides.
pub(crate) fn prepare(
    mut spec: ModelSpec,
    data: &Path,
    target: &str,
    val: Option<&Path>,
    val_split: Option<f64>,
) -> Result<Prepared> {
    let options = spec.column_options();
    let table = Pipeline::read_training(data, target, &options)?;
    let (train_table, held) = match val_split {
        Some(f) => {
            let (train, test) = shuffle_split_indices(table.nrows(), f, spec.seed).context("--val-split")?;
            (table.select_rows(&train), Some(table.select_rows(&test)))
        }
        None => (table, None),
    };
    let task = target_task(&spec, outputs(&spec));
    let pipeline = Pipeline::fit(&train_table, target, &options, spec.scaling, task)?;
    let width = pipeline.input().width();
    if spec.input_shape.is_empty() {
        spec.input_shape = vec![width];
        spec.validate()?;
    }
    let train = pipeline.dataset(&train_table, true)?;
    let val = match (val, held) {
        (Some(path), _) => Some(read_rows(&pipeline, path, Some(target))?),
        (None, Some(rows)) => Some(pipeline.dataset(&rows, true)?),
        (None, None) => None,
    };
    Ok(Prepared { spec, pipeline, train, val })
}

/// A table through a fitted pipeline: its inputs encoded (unscaled) and, with `target`, that
/// column as the pipeline's target.
pub(crate) fn read_rows(pipeline: &Pipeline, path: &Path, target: Option<&str>) -> Result<Dataset> {
    let mut table: TypedTable = match pipeline.read(path, target) {
        Err(shrink::data::DataError::MissingColumn { column, .. }) => anyhow::bail!(
            "{}: column `{}` is missing; the model needs [{}]",
            path.display(),
            shrink::data::summarize(&column),
            shrink::data::summarize_list(&pipeline.input_columns())
        ),
        other => other?,
    };
    if let Some(t) = target {
        // `--target` may name another column than the one trained on: it stands in for it.
        let name = pipeline.target().name().to_owned();
        if let Some(c) = table.columns.iter_mut().rev().find(|c| c.name == t) {
            c.name = name;
        }
    }
    Ok(pipeline.dataset(&table, target.is_some())?)
}

/// The rows of `path` for a saved model, with its target (`target`, default the trained one).
pub(crate) fn model_rows(saved: &SavedModel, path: &Path, target: Option<&str>) -> Result<Dataset> {
    let target = target.unwrap_or(saved.target()).to_owned();
    read_rows(&saved.pipeline, path, Some(&target))
}

/// A library message names the spec keys (`ignore: …`); for flags, name the flags.
pub(crate) fn flag_names(message: &str) -> String {
    ["features", "ignore", "categorical", "handle_unknown", "max_categories"]
        .iter()
        .fold(message.to_string(), |m, key| m.replace(&format!("{key}:"), &format!("--{}:", key.replace('_', "-"))))
}
