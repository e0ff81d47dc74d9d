//! `shrink._core`: the native core of the Python package in `python/`.
//!
//! It only converts: arrays arrive as little-endian `float64` bytes (column-major: one column
//! after another) with their row count, text columns as lists of Python strings, and results
//! leave as bytes, strings and JSON. Specs, the preprocessing pipeline, models, penalties,
//! training, model files and search are the library's ([`shrink`]); every library error becomes
//! a `ValueError` with its message.
//!
//! Training runs on a worker thread with the GIL released while the calling thread waits for
//! it: every 50 ms (and whenever the worker has a line of `verbose` output, which it writes to
//! `sys.stderr`) it takes the GIL to run Python's signal handlers, and when one raises (Ctrl-C:
//! `KeyboardInterrupt`) it sets the library's [`Interrupt`], which stops the fit — or every
//! trial of a search — before its next batch, and raises that exception.
#![deny(missing_docs)]
#![forbid(unsafe_code)]

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::PyBytes;
use shrink::data::{Column, ColumnData, Dataset, TypedTable};
use shrink::model_file::SavedModel;
use shrink::penalty::Family;
use shrink::pipeline::{prepare_table, FitRows};
use shrink::search::auto_path::DEFAULT_RATIO;
use shrink::search::{
    auto_grid, make_folds, path_start, run_search, PathKind, Rule, ScoreKind, SearchConfig, Validation,
};
use shrink::spec::ModelSpec;
use shrink::train::{Callback, EpochRecord, FitConfig, Interrupt, Trainer};
use std::fmt::Display;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError, Sender};
use std::time::{Duration, Instant};

fn value_error(e: impl Display) -> PyErr {
    PyValueError::new_err(e.to_string())
}

fn bytes_of<'py>(py: Python<'py>, values: impl Iterator<Item = f64>) -> Bound<'py, PyBytes> {
    let bytes: Vec<u8> = values.flat_map(f64::to_le_bytes).collect();
    PyBytes::new(py, &bytes)
}

/// A table in memory (what reading a CSV of these columns gives): the numeric columns `names`
/// from the column-major `float64` bytes `x`, then the text columns `texts`, then the target
/// column's cells as text.
fn table(
    x: &[u8],
    n_rows: usize,
    names: &[String],
    texts: &[(String, Vec<String>)],
    target: Option<(&str, &[String])>,
) -> PyResult<TypedTable> {
    let n_cols = names.len();
    if x.len() != n_rows * n_cols * 8 {
        return Err(value_error(format!("{} bytes are not {n_rows} rows of {n_cols} float64 columns", x.len())));
    }
    let mut columns: Vec<Column> = Vec::with_capacity(n_cols + texts.len() + 1);
    if n_rows > 0 {
        for (j, bytes) in x.chunks_exact(n_rows * 8).enumerate() {
            // `chunks_exact(8)` yields 8-byte slices only, so the conversion to `[u8; 8]` cannot fail.
            let values = bytes.chunks_exact(8).map(|c| f64::from_le_bytes(c.try_into().expect("8 bytes"))).collect();
            columns.push(Column { name: names[j].clone(), number: j + 1, data: ColumnData::Numbers(values) });
        }
    } else {
        columns.extend(names.iter().enumerate().map(|(j, name)| Column {
            name: name.clone(),
            number: j + 1,
            data: ColumnData::Numbers(Vec::new()),
        }));
    }
    let mut text_columns: Vec<(&str, &[String])> = texts.iter().map(|(n, c)| (n.as_str(), c.as_slice())).collect();
    text_columns.extend(target);
    for (name, cells) in text_columns {
        if cells.len() != n_rows {
            return Err(value_error(format!("column `{name}` has {} cells for {n_rows} rows", cells.len())));
        }
        columns.push(Column {
            name: name.to_string(),
            number: columns.len() + 1,
            data: ColumnData::Text(cells.to_vec()),
        });
    }
    let header = columns.iter().map(|c| c.name.clone()).collect();
    Ok(TypedTable { path: "<array>".into(), header, columns, lines: (2..n_rows as u64 + 2).collect() })
}

/// Runs `work` on a worker thread with the GIL released; meanwhile this thread writes the
/// lines the worker sends to `sys.stderr` and runs Python's signal handlers every 50 ms. When a
/// handler raises (Ctrl-C), the interrupt is set — the library stops before its next batch —
/// and, once the worker has returned, that exception is raised.
fn interruptible<T, W>(py: Python<'_>, work: W) -> PyResult<T>
where
    T: Send,
    W: FnOnce(&Interrupt, &Sender<String>) -> Result<T, shrink::Error> + Send,
{
    let interrupt = Interrupt::new();
    let (lines, received) = mpsc::channel::<String>();
    let (result, raised) = py.allow_threads(move || {
        std::thread::scope(|scope| {
            let flag = interrupt.clone();
            let worker = scope.spawn(move || work(&flag, &lines));
            let mut raised: Option<PyErr> = None;
            loop {
                let line = match received.recv_timeout(Duration::from_millis(50)) {
                    Ok(line) => Some(line),
                    Err(RecvTimeoutError::Timeout) => None,
                    Err(RecvTimeoutError::Disconnected) => break,
                };
                Python::with_gil(|py| {
                    if let Some(line) = line {
                        // Output is best effort: a closed or replaced stderr does not stop a fit.
                        let _ = py.import("sys").and_then(|sys| sys.getattr("stderr")).and_then(|err| {
                            err.call_method1("write", (line + "\n",))?;
                            err.call_method0("flush")
                        });
                    }
                    if raised.is_none() {
                        if let Err(e) = py.check_signals() {
                            interrupt.set();
                            raised = Some(e);
                        }
                    }
                });
            }
            let result = worker.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic));
            (result, raised)
        })
    });
    match raised {
        Some(e) => Err(e),
        None => result.map_err(value_error),
    }
}

/// `verbose` output of a fit: one line per epoch.
struct EpochLines<'a> {
    lines: &'a Sender<String>,
    epochs: usize,
    start: Instant,
}

impl Callback<f32> for EpochLines<'_> {
    fn on_epoch_end(&mut self, record: &EpochRecord, _model: &shrink::Model<f32>) {
        let mut line = format!("epoch {}/{}: loss {:.6}", record.epoch, self.epochs, record.train.loss);
        if let Some(v) = &record.validation {
            line += &format!(", val_loss {:.6}", v.loss);
        }
        line += &format!(" ({:.2} s)", self.start.elapsed().as_secs_f64());
        let _ = self.lines.send(line);
    }
}

/// A fitted model: the library's [`SavedModel`] and, after a fit, its trainer (the optimizer
/// state that a model file stores).
#[pyclass(module = "shrink._core")]
struct Fitted {
    saved: SavedModel,
    trainer: std::sync::Mutex<Option<Trainer<f32>>>,
}

/// Trains `spec_json` (a spec in JSON) on the rows `x` (column-major float64 bytes) under the
/// column names `features`, with the target `target` given as one text cell per row, exactly as
/// `shrink train --spec S --data D --target T [--val-split F] --threads N` does on a CSV of
/// these columns; with `verbose`, one line per epoch on `sys.stderr`. Returns the fitted model
/// and the history as JSON.
#[pyfunction]
#[pyo3(signature = (spec_json, x, n_rows, features, target, y, val_split=None, threads=1, verbose=false))]
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
    verbose: bool,
) -> PyResult<(Fitted, String)> {
    let spec = ModelSpec::from_json(spec_json).map_err(value_error)?;
    let table = table(x, n_rows, &features, &[], Some((&target, &y)))?;
    let (saved, trainer, history) = interruptible(py, |interrupt, lines| -> Result<_, shrink::Error> {
        let prepared = prepare_table(spec, &table, &target, val_split)?;
        let model = prepared.spec.build_model()?;
        let mut trainer = prepared.spec.trainer()?;
        trainer.set_interrupt(Some(interrupt.clone()));
        let mut saved = SavedModel { pipeline: prepared.pipeline, model, spec: prepared.spec };
        let rows = FitRows::encode(&saved.spec, &saved.pipeline, &prepared.train, prepared.val.as_ref())?;
        let config = FitConfig { threads, ..saved.spec.fit_config() };
        let mut progress = verbose.then(|| EpochLines { lines, epochs: config.epochs, start: Instant::now() });
        let history = trainer.fit(
            &mut saved.model,
            rows.x.view(),
            rows.y.view(),
            rows.validation(),
            &config,
            progress.as_mut().map(|p| p as &mut dyn Callback<f32>),
        )?;
        Ok((saved, trainer, history))
    })?;
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
/// chosen by `rule` (`"1se"` or `"best"`), then the spec refit at that alpha on every row
/// (`shrink::search::refit`). With `relax` (`--relax`), also the penalized and relaxed fits of
/// the chosen alpha on every fold, and the refit is the relaxed one on the chosen support. With
/// `verbose`, one line per trial on `sys.stderr`. Returns the refit model and the search
/// outcome (grid, scores per alpha, selection, `relax`) as JSON.
#[pyfunction]
#[pyo3(signature = (spec_json, x, n_rows, features, target, y, param, family, alphas, auto_points, cv, repeats, rule, score=None, threads=1, relax=false, verbose=false))]
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
    relax: bool,
    verbose: bool,
) -> PyResult<(Fitted, String)> {
    let spec = ModelSpec::from_json(spec_json).map_err(value_error)?;
    let family: Family = family.parse().map_err(value_error)?;
    let rule = match rule {
        "1se" => Rule::OneSe,
        "best" => Rule::Best,
        other => return Err(value_error(format!("select: expected \"1se\" or \"best\", got `{other}`"))),
    };
    let score = score_kind(score, spec.loss)?;
    let table = table(x, n_rows, &features, &[], Some((&target, &y)))?;
    let (saved, trainer, outcome) = interruptible(py, |interrupt, lines| -> Result<_, shrink::Error> {
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
            interrupt: Some(interrupt.clone()),
        };
        config.validate(&spec)?;
        if relax {
            shrink::search::relax::check(&spec)?;
        }
        let validation = cv.map_or(Validation::Holdout, Validation::Folds);
        let folds = make_folds(&spec, &data, &validation)?;
        let (total, done) = (AtomicUsize::new(0), AtomicUsize::new(0));
        let sink = |r: &shrink::search::TrialRecord| -> Result<(), shrink::Error> {
            if verbose {
                let n = done.fetch_add(1, Ordering::Relaxed) + 1;
                let _ = lines.send(format!(
                    "trial {n}/{}: alpha {}, repeat {}, fold {}: score {:.6} ({:.2} s)",
                    total.load(Ordering::Relaxed),
                    r.alpha,
                    r.repeat,
                    r.fold,
                    r.score,
                    r.seconds
                ));
            }
            Ok(())
        };
        let progress = |_: usize, t: usize| total.store(t, Ordering::Relaxed);
        let outcome = run_search(&spec, &config, &folds, Vec::new(), &sink, &progress)?;
        let selection = outcome
            .selection
            .as_ref()
            .ok_or_else(|| shrink::Error::invalid("search", "a chosen alpha", "no scores"))?;
        let relaxed = match relax {
            true => Some(shrink::search::relax::run(&spec, &config, &folds, selection.alpha)?),
            false => None,
        };
        let (saved, trainer) = shrink::search::refit(&spec, &config, &pipeline, &data, selection, relax, threads)?;
        Ok((saved, trainer, (outcome, relaxed)))
    })?;
    let (outcome, relaxed) = outcome;
    let mut outcome = serde_json::to_value(&outcome).map_err(value_error)?;
    outcome["relax"] = serde_json::to_value(&relaxed).map_err(value_error)?;
    let outcome = outcome.to_string();
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
    /// The model's outputs for the rows of a table: the numeric columns `names` from `x`
    /// (column-major float64 bytes) and the text columns `texts`, read by name as `shrink
    /// predict` reads a CSV (columns the model does not read are ignored): class
    /// probabilities, or regression values with the target scaling undone. Returns the bytes
    /// (row-major) and the number of columns.
    #[pyo3(signature = (x, n_rows, names, texts=Vec::new()))]
    fn predict<'py>(
        &mut self,
        py: Python<'py>,
        x: &[u8],
        n_rows: usize,
        names: Vec<String>,
        texts: Vec<(String, Vec<String>)>,
    ) -> PyResult<(Bound<'py, PyBytes>, usize)> {
        let table = table(x, n_rows, &names, &texts, None)?;
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

    /// The table columns a prediction reads, each with `"number"` or `"text"` (one-hot
    /// encoded); `None` for a `[series]` model, which reads windows of a series instead.
    fn input_kinds(&self) -> Option<Vec<(String, &'static str)>> {
        match self.saved.pipeline.input() {
            shrink::data::InputStage::Table(stage) => Some(
                stage
                    .read_columns()
                    .into_iter()
                    .map(|(name, kind)| {
                        (name, if matches!(kind, shrink::data::CellKind::Text) { "text" } else { "number" })
                    })
                    .collect(),
            ),
            shrink::data::InputStage::Series(_) => None,
        }
    }

    /// The `[series]` model's series column and window, when it is one.
    fn series(&self) -> Option<(String, usize)> {
        self.saved.pipeline.series().map(|s| (s.target().to_string(), s.window()))
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
                v["penalty"] = p.penalty.as_ref().map_or("none".to_string(), |p| p.to_string()).into();
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
