//! `shrink._core`: the native core of the Python package in `python/`.
//!
//! It only converts: arrays arrive as little-endian `float64` bytes (row-major) with their row
//! count, texts as Python strings, and results leave as bytes, strings and JSON. Specs, the
//! preprocessing pipeline, models, penalties, training, model files and search are the
//! library's ([`shrink`]); every library error becomes a `ValueError` with its message.
#![deny(missing_docs)]

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::PyBytes;
use shrink::data::{Column, ColumnData, Dataset, TypedTable};
use shrink::model_file::SavedModel;
use shrink::penalty::Family;
use shrink::pipeline::{encode_inputs, encode_targets, prepare_table};
use shrink::search::auto_path::DEFAULT_RATIO;
use shrink::search::{
    auto_grid, make_folds, path_start, run_search, PathKind, Rule, ScoreKind, SearchConfig, Validation,
};
use shrink::spec::ModelSpec;
use shrink::train::{FitConfig, Trainer};
use std::fmt::Display;
use std::path::Path;

fn value_error(e: impl Display) -> PyErr {
    PyValueError::new_err(e.to_string())
}

/// `float64` values from their little-endian bytes.
fn floats(bytes: &[u8]) -> PyResult<Vec<f64>> {
    if !bytes.len().is_multiple_of(8) {
        return Err(value_error(format!("{} bytes are not a whole number of float64 values", bytes.len())));
    }
    // `chunks_exact(8)` yields 8-byte slices only, so the conversion to `[u8; 8]` cannot fail.
    Ok(bytes.chunks_exact(8).map(|c| f64::from_le_bytes(c.try_into().expect("8 bytes"))).collect())
}

fn bytes_of<'py>(py: Python<'py>, values: impl Iterator<Item = f64>) -> Bound<'py, PyBytes> {
    let bytes: Vec<u8> = values.flat_map(f64::to_le_bytes).collect();
    PyBytes::new(py, &bytes)
}

/// A numeric table in memory (what reading a CSV of these columns gives): the row-major
/// `x` under `names`, and the target column's cells as text.
fn table(x: &[u8], n_rows: usize, names: &[String], target: Option<(&str, &[String])>) -> PyResult<TypedTable> {
    let values = floats(x)?;
    let n_cols = names.len();
    if values.len() != n_rows * n_cols {
        return Err(value_error(format!("{} values are not {n_rows} rows of {n_cols} columns", values.len())));
    }
    let mut columns: Vec<Column> = (0..n_cols)
        .map(|j| Column {
            name: names[j].clone(),
            number: j + 1,
            data: ColumnData::Numbers((0..n_rows).map(|i| values[i * n_cols + j]).collect()),
        })
        .collect();
    let mut header = names.to_vec();
    if let Some((name, cells)) = target {
        if cells.len() != n_rows {
            return Err(value_error(format!("{} targets for {n_rows} rows", cells.len())));
        }
        header.push(name.to_string());
        columns.push(Column { name: name.to_string(), number: n_cols + 1, data: ColumnData::Text(cells.to_vec()) });
    }
    Ok(TypedTable { path: "<array>".into(), header, columns, lines: (2..n_rows as u64 + 2).collect() })
}

/// A fitted model: the library's [`SavedModel`] and, after a fit, its trainer (the optimizer
/// state that a model file stores).
#[pyclass(module = "shrink._core")]
struct Fitted {
    saved: SavedModel,
    trainer: std::sync::Mutex<Option<Trainer<f32>>>,
}

/// Trains `spec_json` (a spec in JSON) on the rows `x` (row-major float64 bytes) under the
/// column names `features`, with the target `target` given as one text cell per row, exactly as
/// `shrink train --spec S --data D --target T [--val-split F] --threads N` does on a CSV of
/// these columns. Returns the fitted model and the history as JSON.
#[pyfunction]
#[pyo3(signature = (spec_json, x, n_rows, features, target, y, val_split=None, threads=1))]
#[allow(clippy::too_many_arguments)]
fn fit(
    py: Python<'_>,
    spec_json: &str,
    x: &[u8],
    n_rows: usize,
    features: Vec<String>,
    target: String,
    y: Vec<String>,
    val_split: Option<f64>,
    threads: usize,
) -> PyResult<(Fitted, String)> {
    let spec = ModelSpec::from_json(spec_json).map_err(value_error)?;
    let table = table(x, n_rows, &features, Some((&target, &y)))?;
    let (saved, trainer, history) = py
        .allow_threads(|| -> Result<_, shrink::Error> {
            let prepared = prepare_table(spec, &table, &target, val_split)?;
            let model = prepared.spec.build_model()?;
            let mut trainer = prepared.spec.trainer()?;
            let mut saved = SavedModel { pipeline: prepared.pipeline, model, spec: prepared.spec };
            let x = encode_inputs(&saved.spec, &saved.pipeline, &prepared.train)?;
            let y = encode_targets(&saved.spec, &saved.pipeline, &prepared.train)?;
            let val = match &prepared.val {
                Some(v) => Some((
                    encode_inputs(&saved.spec, &saved.pipeline, v)?,
                    encode_targets(&saved.spec, &saved.pipeline, v)?,
                )),
                None => None,
            };
            let config = FitConfig { threads, ..saved.spec.fit_config() };
            let history = trainer.fit(
                &mut saved.model,
                x.view(),
                y.view(),
                val.as_ref().map(|(a, b)| (a.view(), b.view())),
                &config,
                None,
            )?;
            Ok((saved, trainer, history))
        })
        .map_err(value_error)?;
    let history = serde_json::to_string(&history).map_err(value_error)?;
    Ok((Fitted { saved, trainer: std::sync::Mutex::new(Some(trainer)) }, history))
}

/// The library's score named as `shrink search --score` names it.
fn score_kind(name: Option<&str>, loss: shrink::loss::Loss) -> PyResult<ScoreKind> {
    Ok(match name {
        None => ScoreKind::default_for(loss),
        Some("log-loss") => ScoreKind::LogLoss,
        Some("accuracy") => ScoreKind::Accuracy,
        Some("auc") => ScoreKind::Auc,
        Some("mse") => ScoreKind::Mse,
        Some("rmse") => ScoreKind::Rmse,
        Some("mae") => ScoreKind::Mae,
        Some(other) => {
            return Err(value_error(format!(
                "score: expected log-loss, accuracy, auc, mse, rmse or mae, got `{other}`"
            )))
        }
    })
}

/// `shrink search --refit` without files: the alpha search of `family` on `param` over the rows
/// (`alphas`, or with `None` the automatic path of `auto_points` alphas from alpha_max),
/// scored by `cv`-fold cross-validation (`None`: a 20% hold-out) over `repeats` seeds, the alpha
/// chosen by `rule` (`"1se"` or `"best"`), then the spec refit at that alpha on every row.
/// Returns the refit model and the search outcome (grid, scores per alpha, selection) as JSON.
#[pyfunction]
#[pyo3(signature = (spec_json, x, n_rows, features, target, y, param, family, alphas, auto_points, cv, repeats, rule, score=None, threads=1))]
#[allow(clippy::too_many_arguments)]
fn search(
    py: Python<'_>,
    spec_json: &str,
    x: &[u8],
    n_rows: usize,
    features: Vec<String>,
    target: String,
    y: Vec<String>,
    param: String,
    family: &str,
    alphas: Option<Vec<f64>>,
    auto_points: usize,
    cv: Option<usize>,
    repeats: usize,
    rule: &str,
    score: Option<&str>,
    threads: usize,
) -> PyResult<(Fitted, String)> {
    let spec = ModelSpec::from_json(spec_json).map_err(value_error)?;
    let family: Family = family.parse().map_err(value_error)?;
    let rule = match rule {
        "1se" => Rule::OneSe,
        "best" => Rule::Best,
        other => return Err(value_error(format!("select: expected \"1se\" or \"best\", got `{other}`"))),
    };
    let score = score_kind(score, spec.loss)?;
    let table = table(x, n_rows, &features, Some((&target, &y)))?;
    let (saved, trainer, outcome) = py
        .allow_threads(|| -> Result<_, shrink::Error> {
            // The columns are fitted on every row, the scalers per fold (as `shrink search`).
            let prepared = prepare_table(spec, &table, &target, None)?;
            let (spec, pipeline, data) = (prepared.spec, prepared.pipeline, prepared.train);
            let alphas = match alphas {
                Some(a) => a,
                None => {
                    let start = path_start(&spec, &param, &family, &pipeline, &data)?;
                    auto_grid(start.map(|a| a.alpha_max), auto_points, DEFAULT_RATIO)
                }
            };
            let config = SearchConfig {
                param: param.clone(),
                penalty: family,
                alphas,
                refine: false,
                repeats,
                rule,
                score,
                path: PathKind::Cold,
                warm_epochs: (spec.epochs / 4).max(1),
                dimensions: Default::default(),
                halving: None,
                shard: None,
                threads,
                interrupt: None,
            };
            config.validate(&spec)?;
            let validation = cv.map_or(Validation::Holdout, Validation::Folds);
            let folds = make_folds(&spec, &data, &validation)?;
            let outcome = run_search(&spec, &config, &folds, Vec::new(), &|_| Ok(()), &|_, _| {})?;
            let selection = outcome
                .selection
                .as_ref()
                .ok_or_else(|| shrink::Error::invalid("search", "a chosen alpha", "no scores"))?;
            // The refit of `shrink search --refit`: the spec with the chosen penalty, every row.
            let x = encode_inputs(&spec, &pipeline, &data)?;
            let y = encode_targets(&spec, &pipeline, &data)?;
            let mut model = spec.build_model()?;
            model.set_penalty(&param, Some(family.at(selection.alpha)?))?;
            let mut trainer = spec.trainer()?;
            let fit_config = FitConfig { threads, ..spec.fit_config() };
            trainer.fit(&mut model, x.view(), y.view(), None, &fit_config, None)?;
            Ok((SavedModel { spec, pipeline, model }, trainer, outcome))
        })
        .map_err(value_error)?;
    let outcome = serde_json::to_string(&outcome).map_err(value_error)?;
    Ok((Fitted { saved, trainer: std::sync::Mutex::new(Some(trainer)) }, outcome))
}

/// Reads a model file written by the CLI or by `Fitted.save`.
#[pyfunction]
fn load(path: &str) -> PyResult<Fitted> {
    let (saved, _) = SavedModel::load(Path::new(path)).map_err(value_error)?;
    Ok(Fitted { saved, trainer: std::sync::Mutex::new(None) })
}

/// The penalty of `family` (`l1`, `l2@decoupled`, `elastic-net:0.5`, `group-rows@proximal`, …)
/// at strength `alpha`, as the JSON a spec's `penalty` key reads.
#[pyfunction]
fn penalty_at(family: &str, alpha: f64) -> PyResult<String> {
    let family: shrink::penalty::Family = family.parse().map_err(value_error)?;
    let penalty = family.at(alpha).map_err(value_error)?;
    serde_json::to_string(&penalty).map_err(value_error)
}

#[pymethods]
impl Fitted {
    /// The model's outputs for the rows `x` (row-major float64 bytes over the model's input
    /// columns, in their order), as `shrink predict` computes them: class probabilities, or
    /// regression values with the target scaling undone. Returns the bytes and the columns.
    fn predict<'py>(&mut self, py: Python<'py>, x: &[u8], n_rows: usize) -> PyResult<(Bound<'py, PyBytes>, usize)> {
        let names = self.saved.pipeline.input_columns();
        let table = table(x, n_rows, &names, None)?;
        let saved = &mut self.saved;
        let values = py
            .allow_threads(|| -> Result<(Vec<f64>, usize), shrink::Error> {
                let rows: Dataset = saved.pipeline.dataset(&table, false)?;
                let x = saved.pipeline.scale_inputs(rows.x.view())?.mapv(|v| v as f32);
                let pred = saved.model.predict(x.view(), 256)?;
                let cols = pred.ncols();
                match saved.pipeline.target().classes() {
                    None => {
                        let values = saved.pipeline.target().unscale(pred.column(0).mapv(f64::from).view())?;
                        Ok((values.to_vec(), 1))
                    }
                    Some(_) => Ok((pred.iter().map(|v| f64::from(*v)).collect(), cols)),
                }
            })
            .map_err(value_error)?;
        Ok((bytes_of(py, values.0.into_iter()), values.1))
    }

    /// Writes the model file (`SavedModel::save`, the same file `shrink train` writes, with the
    /// optimizer state after a fit); refuses to replace a file unless `force`.
    #[pyo3(signature = (path, force=false))]
    fn save(&self, path: &str, force: bool) -> PyResult<()> {
        let trainer = self.trainer.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        self.saved.save(Path::new(path), trainer.as_ref(), force).map_err(value_error)
    }

    /// The class names (sorted texts) of a classifier; `None` for a regression.
    fn classes(&self) -> Option<Vec<String>> {
        self.saved.pipeline.target().classes().map(<[String]>::to_vec)
    }

    /// The input columns, in the order `predict` takes them.
    fn features(&self) -> Vec<String> {
        self.saved.pipeline.input_columns()
    }

    /// The target column's name.
    fn target(&self) -> String {
        self.saved.target().to_string()
    }

    /// Whether the pipeline takes plain numeric columns (no one-hot encoding, no series).
    fn numeric_inputs(&self) -> bool {
        self.saved.pipeline.series().is_none()
            && self.saved.pipeline.input().width() == self.saved.pipeline.input_columns().len()
    }

    /// The spec as JSON (its `layers` describe the model itself).
    fn spec_json(&self) -> String {
        self.saved.spec.to_json()
    }

    /// Every parameter: qualified name, role, shape and values (float64 bytes).
    #[allow(clippy::type_complexity)]
    fn params<'py>(&self, py: Python<'py>) -> Vec<(String, String, Vec<usize>, Bound<'py, PyBytes>)> {
        self.saved
            .model
            .params()
            .map(|(name, p)| {
                (name, p.role.to_string(), p.shape.clone(), bytes_of(py, p.value.iter().map(|v| f64::from(*v))))
            })
            .collect()
    }

    /// The weight report (`shrink::weights::weight_report`) as JSON, each entry with the
    /// penalty in force (text form).
    fn weight_report(&self) -> PyResult<String> {
        let report = shrink::weights::weight_report(&self.saved.model);
        let rows: Vec<serde_json::Value> = report
            .iter()
            .zip(self.saved.model.params())
            .map(|(w, (_, p))| {
                let mut v = serde_json::to_value(w).unwrap_or_default();
                v["penalty"] = p.penalty.map_or("none".to_string(), |p| p.to_string()).into();
                v
            })
            .collect();
        serde_json::to_string(&rows).map_err(value_error)
    }
}

/// The module `shrink._core`.
#[pymodule]
fn _core(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<Fitted>()?;
    m.add_function(wrap_pyfunction!(fit, m)?)?;
    m.add_function(wrap_pyfunction!(load, m)?)?;
    m.add_function(wrap_pyfunction!(search, m)?)?;
    m.add_function(wrap_pyfunction!(penalty_at, m)?)?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
