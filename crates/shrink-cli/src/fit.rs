//! Training with a progress bar and writing what `train` and `fine-tune` produce.

use anyhow::Result;
use indicatif::ProgressBar;
use shrink::data::Dataset;
use shrink::model_file::SavedModel;
use shrink::nn::Model;
use shrink::schedule::{PenaltySchedule, ScheduleRecord};
use shrink::train::{Callback, EpochRecord, FitConfig, History, Stop, Trainer};
use shrink::weights::weight_report;
use shrink_report::{write_line_chart, LineChart, Series, Table};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// A progress bar over epochs, forwarding to an optional penalty schedule.
struct Progress<'a> {
    bar: ProgressBar,
    schedule: Option<&'a mut PenaltySchedule>,
}

impl<'a> Progress<'a> {
    fn new(epochs: usize, schedule: Option<&'a mut PenaltySchedule>) -> Self {
        let bar = crate::progress::bar(epochs as u64, "training", "epochs");
        Progress { bar, schedule }
    }
}

impl Callback<f32> for Progress<'_> {
    fn on_epoch_begin(&mut self, epoch: usize, model: &mut Model<f32>) -> Result<(), shrink::Error> {
        match self.schedule.as_deref_mut() {
            Some(s) => s.on_epoch_begin(epoch, model),
            None => Ok(()),
        }
    }

    fn on_epoch_end(&mut self, record: &EpochRecord, model: &Model<f32>) {
        if let Some(s) = self.schedule.as_deref_mut() {
            s.on_epoch_end(record, model);
        }
        self.bar.set_position(record.epoch as u64);
        self.bar.set_message(format!("loss {:.4}", record.train.loss));
    }
}

fn history_csv(history: &History, schedule: &[ScheduleRecord], scheduled: &[String], lr: bool) -> String {
    let mut head = vec!["epoch".to_string(), "loss".into(), "data_loss".into(), "penalty".into()];
    head.extend(history.metric_names.iter().cloned());
    let has_val = history.epochs.first().is_some_and(|e| e.validation.is_some());
    if has_val {
        head.extend(["val_loss".into(), "val_data_loss".into(), "val_penalty".into()]);
        head.extend(history.metric_names.iter().map(|m| format!("val_{m}")));
    }
    if lr {
        head.push("lr".into());
    }
    if !schedule.is_empty() {
        head.push("alpha".into());
        head.extend(scheduled.iter().map(|p| format!("{p}_l2")));
    }
    let mut out = head.join(",") + "\n";
    for (i, e) in history.epochs.iter().enumerate() {
        let mut row = vec![
            e.epoch.to_string(),
            e.train.loss.to_string(),
            e.train.data_loss.to_string(),
            e.train.penalty.to_string(),
        ];
        row.extend(e.train.metrics.iter().map(f64::to_string));
        if let Some(v) = &e.validation {
            row.extend([v.loss.to_string(), v.data_loss.to_string(), v.penalty.to_string()]);
            row.extend(v.metrics.iter().map(f64::to_string));
        }
        if lr {
            row.push(e.lr.to_string());
        }
        if let Some(s) = schedule.get(i) {
            row.push(s.alpha.to_string());
            row.extend(s.norms.iter().map(f64::to_string));
        }
        out += &(row.join(",") + "\n");
    }
    out
}

fn write_learning_curves(history: &History, out: &Path) -> Result<Vec<PathBuf>> {
    let epochs: Vec<f64> = history.epochs.iter().map(|e| e.epoch as f64).collect();
    if epochs.is_empty() {
        return Ok(Vec::new());
    }
    let mut files = Vec::new();
    let mut loss = LineChart::new("Loss (data + penalty)", "epoch", "loss").series(Series::new(
        "train",
        epochs.clone(),
        history.epochs.iter().map(|e| e.train.loss).collect(),
    ));
    if history.epochs[0].validation.is_some() {
        loss = loss.series(Series::new(
            "validation",
            epochs.clone(),
            history.epochs.iter().filter_map(|e| e.validation.as_ref().map(|v| v.loss)).collect(),
        ));
    }
    files.extend(write_line_chart(&loss, &out.join("learning_curves_loss"))?);
    for (i, name) in history.metric_names.iter().enumerate() {
        let mut chart = LineChart::new(format!("Learning curves: {name}"), "epoch", name.clone()).series(Series::new(
            "train",
            epochs.clone(),
            history.epochs.iter().map(|e| e.train.metrics[i]).collect(),
        ));
        if history.epochs[0].validation.is_some() {
            chart = chart.series(Series::new(
                "validation",
                epochs.clone(),
                history.epochs.iter().filter_map(|e| e.validation.as_ref().map(|v| v.metrics[i])).collect(),
            ));
        }
        files.extend(write_line_chart(&chart, &out.join(format!("learning_curves_{name}")))?);
    }
    Ok(files)
}

/// The weight statistics of the parameters `keep` accepts (by qualified name).
pub(crate) fn weights_table(model: &Model<f32>, keep: impl Fn(&str) -> bool) -> Table {
    let mut table =
        Table::new(["parameter", "shape", "penalty", "L1", "L2", "max |w|", "zeros", "inputs used", "dead units"]);
    let count = |v: Option<usize>| v.map_or(String::from("-"), |v| v.to_string());
    for (w, (_, p)) in weight_report(model).iter().zip(model.params()).filter(|(w, _)| keep(&w.name)) {
        table.push_row([
            w.name.clone(),
            format!("{:?}", w.shape),
            p.penalty.as_ref().map_or("none".to_string(), |p| p.to_string()),
            format!("{:.4}", w.l1),
            format!("{:.4}", w.l2),
            format!("{:.4}", w.max_abs),
            format!("{} ({:.1}%)", w.zeros, 100.0 * w.zero_fraction),
            count(w.selected_features),
            count(w.dead_units),
        ]);
    }
    table
}

fn weights_csv(model: &Model<f32>) -> String {
    let mut out =
        String::from(
        "parameter,layer,role,shape,count,l1,l2,max_abs,zeros,zero_fraction,penalty_l1,penalty_l2,selected_features,dead_units\n",
    );
    for (w, (_, p)) in weight_report(model).iter().zip(model.params()) {
        let pen = p.penalty_or_none();
        let shape = w.shape.iter().map(usize::to_string).collect::<Vec<_>>().join("x");
        let _ = writeln!(
            out,
            "{},{},{},{shape},{},{},{},{},{},{},{},{},{},{}",
            w.name,
            w.layer,
            w.role,
            w.count,
            w.l1,
            w.l2,
            w.max_abs,
            w.zeros,
            w.zero_fraction,
            pen.l1_strength(),
            pen.l2_strength(),
            w.selected_features.map_or(String::new(), |v| v.to_string()),
            w.dead_units.map_or(String::new(), |v| v.to_string())
        );
    }
    out
}

/// How the fit ended, for `stopping.json` (written when the spec sets `[early_stopping]` or
/// `tol`): the epochs run, why it stopped, the best epoch and whether its weights were restored,
/// whether the convergence test was met.
fn stopping_json(history: &History, config: &FitConfig) -> String {
    let json = serde_json::json!({
        "epochs_run": history.epochs.len(),
        "max_epochs": config.epochs,
        "stop": history.stop,
        "stopped_epoch": history.stopped_epoch,
        "best_epoch": history.best_epoch,
        "best_value": history.best_value,
        "monitor": config.early_stopping.as_ref().map(|e| e.monitor.clone()),
        "restored_best": history.restored_best,
        "converged": history.converged,
        "tol": config.convergence.map(|c| c.tol),
        "n_iter_no_change": config.convergence.map(|c| c.n_iter_no_change),
    });
    // A `json!` value of numbers, strings and nulls has only string keys: it cannot fail.
    serde_json::to_string_pretty(&json).expect("plain values serialize") + "\n"
}

/// The lines of `train`'s summary that say how the fit ended; a fit with `tol` that ran out of
/// epochs also warns on stderr at once (scikit-learn's `ConvergenceWarning`).
fn stopping_summary(history: &History, config: &FitConfig) -> String {
    let mut text = String::new();
    if let (Some(early), Some(best)) = (&config.early_stopping, history.best_epoch) {
        let how = match history.stop {
            Stop::EarlyStopping => format!("stopped at epoch {}", history.stopped_epoch.unwrap_or(0)),
            _ => format!("did not stop early ({} epochs)", history.epochs.len()),
        };
        let value = history.best_value.map_or(String::new(), |v| format!(", {} {v:.6}", early.monitor));
        let restored = if history.restored_best { "; the model has the best epoch's weights" } else { "" };
        let _ = writeln!(text, "early stopping: {how}; best epoch {best}{value}{restored}");
    }
    if let Some(c) = config.convergence {
        match history.converged {
            Some(true) => {
                let _ = writeln!(
                    text,
                    "converged at epoch {}: the loss fell by less than tol = {} (relative) for more than {} epochs",
                    history.epochs.len(),
                    c.tol,
                    c.n_iter_no_change
                );
            }
            _ if history.stop == Stop::Epochs => {
                let line = format!(
                    "not converged: {} epochs ran out before the loss stopped falling by tol = {} (relative); \
                     raise epochs or tol",
                    history.epochs.len(),
                    c.tol
                );
                eprintln!("warning: {line}");
                let _ = writeln!(text, "{line}");
            }
            _ => {}
        }
    }
    text
}

/// The processes of a data-parallel `train` (MPI ranks) as the fit sees them. Rank 0 is the
/// leader: it alone checks and writes the output folder, prints and reports.
pub(crate) trait Cohort {
    /// This process's rank, `0 ≤ rank < size`.
    fn rank(&self) -> usize;
    /// The number of ranks.
    fn size(&self) -> usize;
    /// Every rank says whether it is ready to train and a fingerprint of what it will train;
    /// an error on every rank unless all are ready with the same fingerprint. Each rank calls
    /// it exactly once per command (the one that failed before reaching the fit, with `false`).
    fn agree(&self, ready: bool, fingerprint: [u8; 32]) -> Result<()>;
    /// The exchange the trainer combines gradients through.
    fn exchange(&self) -> Box<dyn shrink::train::Exchange<f32> + Send>;
}

/// Whether this process writes and reports: always, but for ranks 1… of a cohort.
pub(crate) fn leads(cohort: Option<&dyn Cohort>) -> bool {
    cohort.is_none_or(|c| c.rank() == 0)
}

/// What every rank of a data-parallel fit must agree on: the encoded rows, the spec and the
/// number of epochs.
fn fingerprint(saved: &SavedModel, x: &ndarray::Array2<f32>, y: &ndarray::Array2<f32>, epochs: usize) -> [u8; 32] {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    for a in [x, y] {
        h.update((a.nrows() as u64).to_le_bytes());
        h.update((a.ncols() as u64).to_le_bytes());
        a.iter().for_each(|v| h.update(v.to_bits().to_le_bytes()));
    }
    h.update(serde_json::to_vec(&saved.spec).unwrap_or_default());
    h.update((epochs as u64).to_le_bytes());
    h.finalize().into()
}

pub(crate) struct FitOutcome {
    pub(crate) files: Vec<PathBuf>,
    pub(crate) summary: String,
}

#[allow(clippy::too_many_arguments)]
pub(crate) fn fit_and_save(
    saved: &mut SavedModel,
    trainer: &mut Trainer<f32>,
    train: &Dataset,
    val: Option<&Dataset>,
    epochs: usize,
    threads: usize,
    schedule: Option<(&mut PenaltySchedule, Vec<String>)>,
    out: &Path,
    force: bool,
    cohort: Option<&dyn Cohort>,
) -> Result<FitOutcome> {
    let rows = shrink::pipeline::FitRows::encode(&saved.spec, &saved.pipeline, train, val)?;
    let (x, y) = (&rows.x, &rows.y);
    let config = shrink::train::FitConfig { epochs, threads, ..saved.spec.fit_config() };
    let (schedule, scheduled) = match schedule {
        Some((s, names)) => (Some(s), names),
        None => (None, Vec::new()),
    };
    if let Some(c) = cohort {
        c.agree(true, fingerprint(saved, x, y, epochs))?;
        trainer.set_exchange(Some(c.exchange()));
    }
    let mut progress = Progress::new(epochs, schedule);
    if !leads(cohort) {
        progress.bar.set_draw_target(indicatif::ProgressDrawTarget::hidden());
    }
    let history = trainer.fit(&mut saved.model, x.view(), y.view(), rows.validation(), &config, Some(&mut progress));
    progress.bar.finish_and_clear();
    let history = history?;
    let records = progress.schedule.as_ref().map(|s| s.records().to_vec()).unwrap_or_default();
    if !leads(cohort) {
        // The other ranks hold the same weights; rank 0 writes them.
        return Ok(FitOutcome { files: Vec::new(), summary: String::new() });
    }

    let model_path = out.join("model.safetensors");
    saved.save(&model_path, Some(trainer), force)?;
    let mut files = vec![model_path];
    let history_path = out.join("history.csv");
    let lr_column = config.lr_schedule.is_some();
    shrink::files::write_atomic(&history_path, history_csv(&history, &records, &scheduled, lr_column).as_bytes())?;
    files.push(history_path);
    if config.early_stopping.is_some() || config.convergence.is_some() {
        let path = out.join("stopping.json");
        shrink::files::write_atomic(&path, stopping_json(&history, &config).as_bytes())?;
        files.push(path);
    }
    let weights_path = out.join("weights.csv");
    shrink::files::write_atomic(&weights_path, weights_csv(&saved.model).as_bytes())?;
    files.push(weights_path);
    files.extend(write_learning_curves(&history, out)?);

    let mut summary = String::new();
    if let Some(last) = history.epochs.last() {
        let names = &history.metric_names;
        let metrics = |m: &[f64]| names.iter().zip(m).map(|(n, v)| format!(", {n} {v:.4}")).collect::<String>();
        let _ = writeln!(
            summary,
            "epoch {}: loss {:.4} (data {:.4} + penalty {:.4}){}",
            last.epoch,
            last.train.loss,
            last.train.data_loss,
            last.train.penalty,
            metrics(&last.train.metrics)
        );
        if let Some(v) = &last.validation {
            let _ =
                writeln!(summary, "validation: loss {:.4} (data {:.4}){}", v.loss, v.data_loss, metrics(&v.metrics));
        }
    }
    summary += &stopping_summary(&history, &config);
    let _ = writeln!(summary, "\n{}", weights_table(&saved.model, |_| true));
    Ok(FitOutcome { files, summary })
}

pub(crate) fn report(outcome: FitOutcome) -> Result<()> {
    let mut text = outcome.summary;
    text += "\nwrote:\n";
    for f in outcome.files {
        let _ = writeln!(text, "  {}", f.display());
    }
    crate::print(&text)
}
