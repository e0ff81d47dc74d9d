//! `train`, `evaluate`, `predict`, `inspect`, `fine-tune` and `import`: the model-file workflow
//! for people who do not write Rust.

use anyhow::{bail, Context, Result};
use indicatif::{ProgressBar, ProgressStyle};
use ndarray::Array2;
use shrink::data::{read_csv, read_csv_columns, shuffle_split, Dataset, Scaler, Scaling};
use shrink::model_file::SavedModel;
use shrink::nn::Model;
use shrink::penalty::Family;
use shrink::pipeline::{encode_inputs, encode_targets};
use shrink::schedule::{PenaltySchedule, Schedule, ScheduleRecord};
use shrink::spec::ModelSpec;
use shrink::train::{Callback, EpochRecord, History, Trainer};
use shrink::weights::weight_report;
use shrink::Penalty;
use shrink_report::{write_histogram_chart, write_line_chart, HistogramChart, LineChart, Series, Table};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

#[derive(clap::Args)]
pub struct TrainArgs {
    /// Model spec (TOML or JSON): layers, penalties, loss, optimizer, epochs, scaling.
    #[arg(long)]
    spec: PathBuf,
    /// Training data (CSV with a header row).
    #[arg(long)]
    data: PathBuf,
    /// Name of the target column.
    #[arg(long)]
    target: String,
    #[command(flatten)]
    val: ValArgs,
    #[command(flatten)]
    run: RunArgs,
}

/// Where a training run writes and how many threads a step may use.
#[derive(clap::Args)]
pub struct RunArgs {
    /// Output folder: model.safetensors, history.csv, weights.csv, learning curves.
    #[arg(long)]
    out: PathBuf,
    /// Replace an existing model file in --out.
    #[arg(long)]
    force: bool,
    /// Threads for the large products inside a step.
    #[arg(long, default_value_t = 1)]
    threads: usize,
}

#[derive(clap::Args)]
pub struct ValArgs {
    /// Validation data with the same columns.
    #[arg(long, conflicts_with = "val_split")]
    val: Option<PathBuf>,
    /// Hold out this fraction of the training rows (seeded by the spec's seed) for validation.
    #[arg(long)]
    val_split: Option<f64>,
}

#[derive(clap::Args)]
pub struct EvaluateArgs {
    /// A model file written by `shrink train` or `shrink fine-tune`.
    #[arg(long)]
    model: PathBuf,
    /// Data with the model's input columns (any order) and the target.
    #[arg(long)]
    data: PathBuf,
    /// Name of the target column (default: the one the model was trained on).
    #[arg(long)]
    target: Option<String>,
    /// Print JSON instead of a table.
    #[arg(long)]
    json: bool,
}

#[derive(clap::Args)]
pub struct PredictArgs {
    /// A model file.
    #[arg(long)]
    model: PathBuf,
    /// Rows to predict: a CSV holding the model's input columns (others are ignored).
    #[arg(long)]
    data: PathBuf,
    /// Write the predictions here instead of stdout.
    #[arg(long)]
    out: Option<PathBuf>,
    /// Replace an existing --out file.
    #[arg(long)]
    force: bool,
}

#[derive(clap::Args)]
pub struct InspectArgs {
    /// A model file.
    #[arg(long)]
    model: PathBuf,
    /// Print JSON instead of a table.
    #[arg(long)]
    json: bool,
    /// Write weight histograms (PNG and SVG) into this folder.
    #[arg(long)]
    plot: Option<PathBuf>,
}

#[derive(clap::Args)]
pub struct FineTuneArgs {
    /// The trained model to continue from (weights, scaler and optimizer state).
    #[arg(long)]
    model: PathBuf,
    /// Training data.
    #[arg(long)]
    data: PathBuf,
    /// Name of the target column (default: the one the model was trained on).
    #[arg(long)]
    target: Option<String>,
    #[command(flatten)]
    val: ValArgs,
    /// Penalty to apply, `PARAM=PENALTY` in the penalty text form, e.g. `dense_0.kernel=l2:1e-4`,
    /// `*.kernel=l1:1e-3@proximal`, `dense_0.kernel=group-rows:0.1@proximal`; PARAM is a
    /// selector (`conv2d_*.kernel,dense_0.kernel`). Repeatable. `=none` removes one. With
    /// --schedule: `PARAM=FAMILY` (`dense_0.kernel=l1@proximal`), the schedule sets its alpha.
    #[arg(long)]
    penalty: Vec<String>,
    /// Alpha over the epochs of this fine-tune (0-based) for the one --penalty family:
    /// steps `0:0,1200:1e-5,2500:1e-4` or a ramp `ramp:0..1e-3@0..2000`.
    #[arg(long)]
    schedule: Option<String>,
    /// Epochs to train.
    #[arg(long)]
    epochs: usize,
    #[command(flatten)]
    run: RunArgs,
}

#[derive(clap::Args)]
pub struct ImportArgs {
    /// A PyTorch state dict saved with safetensors: `N.weight` [out, in] and `N.bias` of each
    /// nn.Linear, in layer order.
    #[arg(long)]
    from_torch: PathBuf,
    /// The spec describing the same network (its Dense layers, in order).
    #[arg(long)]
    spec: PathBuf,
    /// Input column names, comma-separated (default x0, x1, …).
    #[arg(long, value_delimiter = ',')]
    features: Vec<String>,
    /// Target column name recorded in the model.
    #[arg(long, default_value = "y")]
    target: String,
    /// The shrink model file to write.
    #[arg(long)]
    out: PathBuf,
    /// Replace an existing --out file.
    #[arg(long)]
    force: bool,
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

fn load_model(path: &Path) -> Result<(SavedModel, Option<shrink::model_file::SavedOptimizer>)> {
    Ok(SavedModel::load(path)?)
}

/// The rows of `data` with its feature columns reordered to `features` (extra columns dropped).
fn with_columns(data: Dataset, features: &[String], path: &Path) -> Result<Dataset> {
    let mut idx = Vec::with_capacity(features.len());
    for f in features {
        let Some(i) = data.feature_names.iter().position(|n| n == f) else {
            bail!("{}: column `{f}` is missing; the model needs [{}]", path.display(), features.join(", "));
        };
        idx.push(i);
    }
    let x = data.x.select(ndarray::Axis(1), &idx);
    Ok(Dataset::new(x, data.y, features.to_vec(), data.target_name)?)
}

/// Everything that can be checked before an output folder is created: the validation rows
/// against the model, and the thread count.
fn check_before_writing(saved: &SavedModel, val: Option<&Dataset>, val_path: &Path, threads: usize) -> Result<()> {
    if threads == 0 {
        bail!("--threads must be ≥ 1, got 0");
    }
    if let Some(v) = val {
        encode_inputs(&saved.spec, &saved.scaler, &saved.features, v)
            .with_context(|| format!("{}", val_path.display()))?;
        encode_targets(&saved.spec, v).with_context(|| format!("{}", val_path.display()))?;
    }
    Ok(())
}

fn refuse_existing(path: &Path, force: bool) -> Result<()> {
    if path.exists() && !force {
        bail!("{} exists; pass --force to replace it", path.display());
    }
    Ok(())
}

fn split_validation(data: Dataset, val: &ValArgs, target: &str, seed: u64) -> Result<(Dataset, Option<Dataset>)> {
    match (&val.val, val.val_split) {
        (Some(path), _) => Ok((data, Some(read_csv(path, target)?))),
        (None, Some(f)) => {
            let (train, held) = shuffle_split(&data, f, seed).context("--val-split")?;
            Ok((train, Some(held)))
        }
        (None, None) => Ok((data, None)),
    }
}

/// A progress bar over epochs, forwarding to an optional penalty schedule.
struct Progress<'a> {
    bar: ProgressBar,
    schedule: Option<&'a mut PenaltySchedule>,
}

impl<'a> Progress<'a> {
    fn new(epochs: usize, schedule: Option<&'a mut PenaltySchedule>) -> Self {
        let bar = ProgressBar::new(epochs as u64);
        bar.set_style(
            ProgressStyle::with_template("training [{bar:40}] epoch {pos}/{len}, {msg} ETA {eta}")
                .expect("the template is valid")
                .progress_chars("=> "),
        );
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

fn history_csv(history: &History, schedule: &[ScheduleRecord], scheduled: &[String]) -> String {
    let mut head = vec!["epoch".to_string(), "loss".into(), "data_loss".into(), "penalty".into()];
    head.extend(history.metric_names.iter().cloned());
    let has_val = history.epochs.first().is_some_and(|e| e.validation.is_some());
    if has_val {
        head.extend(["val_loss".into(), "val_data_loss".into(), "val_penalty".into()]);
        head.extend(history.metric_names.iter().map(|m| format!("val_{m}")));
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

fn weights_table(model: &Model<f32>) -> Table {
    let mut table =
        Table::new(["parameter", "shape", "penalty", "L1", "L2", "max |w|", "zeros", "inputs used", "dead units"]);
    let count = |v: Option<usize>| v.map_or(String::from("-"), |v| v.to_string());
    for (w, (_, p)) in weight_report(model).iter().zip(model.params()) {
        table.push_row([
            w.name.clone(),
            format!("{:?}", w.shape),
            p.penalty.map_or("none".to_string(), |p| p.to_string()),
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

struct FitOutcome {
    files: Vec<PathBuf>,
    summary: String,
}

#[allow(clippy::too_many_arguments)]
fn fit_and_save(
    saved: &mut SavedModel,
    trainer: &mut Trainer<f32>,
    train: &Dataset,
    val: Option<&Dataset>,
    epochs: usize,
    threads: usize,
    schedule: Option<(&mut PenaltySchedule, Vec<String>)>,
    out: &Path,
    force: bool,
) -> Result<FitOutcome> {
    let x = encode_inputs(&saved.spec, &saved.scaler, &saved.features, train)?;
    let y = encode_targets(&saved.spec, train)?;
    let val = match val {
        Some(v) => {
            Some((encode_inputs(&saved.spec, &saved.scaler, &saved.features, v)?, encode_targets(&saved.spec, v)?))
        }
        None => None,
    };
    let config = shrink::train::FitConfig { epochs, threads, ..saved.spec.fit_config() };
    let (schedule, scheduled) = match schedule {
        Some((s, names)) => (Some(s), names),
        None => (None, Vec::new()),
    };
    let mut progress = Progress::new(epochs, schedule);
    let history = trainer.fit(
        &mut saved.model,
        x.view(),
        y.view(),
        val.as_ref().map(|(a, b)| (a.view(), b.view())),
        &config,
        Some(&mut progress),
    );
    progress.bar.finish_and_clear();
    let history = history?;
    let records = progress.schedule.as_ref().map(|s| s.records().to_vec()).unwrap_or_default();

    let model_path = out.join("model.safetensors");
    saved.save(&model_path, Some(trainer), force)?;
    let mut files = vec![model_path];
    let history_path = out.join("history.csv");
    shrink::fs::write_atomic(&history_path, history_csv(&history, &records, &scheduled).as_bytes())?;
    files.push(history_path);
    let weights_path = out.join("weights.csv");
    shrink::fs::write_atomic(&weights_path, weights_csv(&saved.model).as_bytes())?;
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
    let _ = writeln!(summary, "\n{}", weights_table(&saved.model));
    Ok(FitOutcome { files, summary })
}

fn report(outcome: FitOutcome) -> Result<()> {
    let mut text = outcome.summary;
    text += "\nwrote:\n";
    for f in outcome.files {
        let _ = writeln!(text, "  {}", f.display());
    }
    crate::print(&text)
}

pub fn train(args: TrainArgs) -> Result<()> {
    let spec = load_spec(&args.spec)?;
    refuse_existing(&args.run.out.join("model.safetensors"), args.run.force)?;
    let data = read_csv(&args.data, &args.target)?;
    let (train, val) = split_validation(data, &args.val, &args.target, spec.seed)?;
    let val = match val {
        Some(v) => Some(with_columns(v, &train.feature_names, args.val.val.as_deref().unwrap_or(&args.data))?),
        None => None,
    };
    let scaler = Scaler::fit(spec.scaling, train.x.view()).context("fitting the input scaler")?;
    let model = spec.build_model()?;
    let mut trainer = spec.trainer()?;
    let mut saved =
        SavedModel { features: train.feature_names.clone(), target: args.target.clone(), scaler, model, spec };
    // Check the data against the spec before any file is written.
    encode_inputs(&saved.spec, &saved.scaler, &saved.features, &train)
        .with_context(|| format!("{}", args.data.display()))?;
    encode_targets(&saved.spec, &train).with_context(|| format!("{}", args.data.display()))?;
    check_before_writing(&saved, val.as_ref(), args.val.val.as_deref().unwrap_or(&args.data), args.run.threads)?;
    std::fs::create_dir_all(&args.run.out).with_context(|| format!("cannot create {}", args.run.out.display()))?;
    let epochs = saved.spec.epochs;
    let outcome = fit_and_save(
        &mut saved,
        &mut trainer,
        &train,
        val.as_ref(),
        epochs,
        args.run.threads,
        None,
        &args.run.out,
        args.run.force,
    )?;
    report(outcome)
}

/// Splits `PARAM=TEXT` (a selector, then a penalty or, with a schedule, a family).
fn split_penalty_arg(text: &str) -> Result<(&str, &str)> {
    text.split_once('=').with_context(|| {
        format!("--penalty {text}: expected PARAM=PENALTY, e.g. dense_0.kernel=l2:1e-4 or *.kernel=l1:1e-3@proximal")
    })
}

pub fn fine_tune(args: FineTuneArgs) -> Result<()> {
    let schedule = args.schedule.as_deref().map(|s| Schedule::parse(s).context("--schedule")).transpose()?;
    let pairs = args.penalty.iter().map(|p| split_penalty_arg(p)).collect::<Result<Vec<_>>>()?;
    let mut penalties = Vec::new();
    let mut family = None;
    if schedule.is_some() {
        let [(param, text)] = pairs.as_slice() else {
            bail!("--schedule needs exactly one --penalty PARAM=FAMILY (e.g. dense_0.kernel=l1@proximal): the schedule sets its alpha");
        };
        let f: Family = text.parse().with_context(|| format!("--penalty {param}={text}"))?;
        family = Some((param.to_string(), f));
    } else {
        for (param, text) in &pairs {
            let penalty: Penalty = text.parse().with_context(|| format!("--penalty {param}={text}"))?;
            penalties.push((param.to_string(), penalty));
        }
    }
    let (mut saved, optimizer) = load_model(&args.model)?;
    let mut trainer = saved.spec.trainer()?;
    if let Some(state) = optimizer {
        state.restore(&mut trainer)?;
    }
    for (param, penalty) in &penalties {
        saved.model.set_penalty(param, Some(*penalty)).with_context(|| format!("--penalty {param}"))?;
    }
    refuse_existing(&args.run.out.join("model.safetensors"), args.run.force)?;
    let target = args.target.clone().unwrap_or_else(|| saved.target.clone());
    let data = with_columns(read_csv(&args.data, &target)?, &saved.features, &args.data)?;
    let (train, val) = split_validation(data, &args.val, &target, saved.spec.seed)?;
    let val = match val {
        Some(v) => Some(with_columns(v, &saved.features, args.val.val.as_deref().unwrap_or(&args.data))?),
        None => None,
    };
    encode_targets(&saved.spec, &train).with_context(|| format!("{}", args.data.display()))?;
    let mut scheduled = match (&schedule, &family) {
        (Some(s), Some((param, family))) => Some((
            PenaltySchedule::new(&saved.model, param, *family, s.clone())
                .with_context(|| format!("--penalty {param}={family} with --schedule"))?,
            param.clone(),
        )),
        _ => None,
    };
    check_before_writing(&saved, val.as_ref(), args.val.val.as_deref().unwrap_or(&args.data), args.run.threads)?;
    std::fs::create_dir_all(&args.run.out).with_context(|| format!("cannot create {}", args.run.out.display()))?;
    let schedule_arg = match scheduled.as_mut() {
        Some((s, param)) => {
            let names = saved.model.select(param)?.into_iter().map(|id| saved.model.param_name(id)).collect();
            Some((s, names))
        }
        None => None,
    };
    let outcome = fit_and_save(
        &mut saved,
        &mut trainer,
        &train,
        val.as_ref(),
        args.epochs,
        args.run.threads,
        schedule_arg,
        &args.run.out,
        args.run.force,
    )?;
    report(outcome)
}

pub fn evaluate(args: EvaluateArgs) -> Result<()> {
    let (mut saved, _) = load_model(&args.model)?;
    let target = args.target.clone().unwrap_or_else(|| saved.target.clone());
    let data = with_columns(read_csv(&args.data, &target)?, &saved.features, &args.data)?;
    let x = encode_inputs(&saved.spec, &saved.scaler, &saved.features, &data)?;
    let y = encode_targets(&saved.spec, &data).with_context(|| format!("{}", args.data.display()))?;
    let mut trainer = saved.spec.trainer()?;
    let e = trainer.evaluate(&mut saved.model, x.view(), y.view(), 256)?;
    let names = trainer.metric_names();
    if args.json {
        let metrics: serde_json::Map<String, serde_json::Value> =
            names.iter().zip(&e.metrics).map(|(n, v)| (n.clone(), (*v).into())).collect();
        let value = serde_json::json!({"rows": data.len(), "loss": e.loss, "data_loss": e.data_loss, "penalty": e.penalty, "metrics": metrics});
        return crate::print(&(serde_json::to_string_pretty(&value)? + "\n"));
    }
    let mut table = Table::new(["measure", "value"]);
    table.push_row(["rows".to_string(), data.len().to_string()]);
    table.push_row(["data loss".to_string(), format!("{:.6}", e.data_loss)]);
    table.push_row(["penalty".to_string(), format!("{:.6}", e.penalty)]);
    table.push_row(["loss (data + penalty)".to_string(), format!("{:.6}", e.loss)]);
    for (n, v) in names.iter().zip(&e.metrics) {
        table.push_row([n.clone(), format!("{v:.6}")]);
    }
    crate::print(&format!("{table}\n"))
}

pub fn predict(args: PredictArgs) -> Result<()> {
    let (mut saved, _) = load_model(&args.model)?;
    if let Some(out) = &args.out {
        refuse_existing(out, args.force)?;
    }
    let x = match read_csv_columns(&args.data, &saved.features) {
        Err(shrink::data::DataError::MissingColumn { column, .. }) => {
            bail!(
                "{}: column `{column}` is missing; the model needs [{}]",
                args.data.display(),
                saved.features.join(", ")
            )
        }
        other => other?,
    };
    let x = saved.scaler.transform(x.view())?.mapv(|v| v as f32);
    let pred = saved.model.predict(x.view(), 256)?;
    let k = pred.ncols();
    let classify =
        matches!(saved.spec.loss, shrink::loss::Loss::BinaryCrossEntropy | shrink::loss::Loss::CategoricalCrossEntropy);
    let mut text =
        if k == 1 { "prediction".to_string() } else { (0..k).map(|c| format!("p{c}")).collect::<Vec<_>>().join(",") };
    if classify {
        text += ",class";
    }
    text += "\n";
    for row in pred.rows() {
        let values: Vec<String> = row.iter().map(|v| v.to_string()).collect();
        text += &values.join(",");
        if classify {
            let class = if k == 1 {
                usize::from(row[0] > 0.5)
            } else {
                row.iter().enumerate().fold(0, |b, (i, v)| if *v > row[b] { i } else { b })
            };
            let _ = write!(text, ",{class}");
        }
        text += "\n";
    }
    match &args.out {
        Some(out) => {
            shrink::fs::write_atomic(out, text.as_bytes())?;
            eprintln!("wrote {} predictions to {}", pred.nrows(), out.display());
            Ok(())
        }
        None => crate::print(&text),
    }
}

pub fn inspect(args: InspectArgs) -> Result<()> {
    let (saved, optimizer) = load_model(&args.model)?;
    let model = &saved.model;
    if let Some(dir) = &args.plot {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
        let mut chart = HistogramChart::new("Weight values per parameter", "weight", 40);
        for (name, p) in model.params() {
            chart = chart.group(name, p.value.iter().map(|&v| v as f64).collect());
        }
        let files = write_histogram_chart(&chart, &dir.join("weights_histogram"))?;
        for f in files {
            eprintln!("wrote {}", f.display());
        }
    }
    if args.json {
        let rows: Vec<serde_json::Value> = weight_report(model)
            .into_iter()
            .zip(model.params())
            .map(|(w, (_, p))| {
                let mut v = serde_json::to_value(&w).expect("a weight report serializes");
                v["penalty"] = serde_json::to_value(p.penalty).expect("a penalty serializes");
                v
            })
            .collect();
        let value = serde_json::json!({
            "spec": saved.spec,
            "features": saved.features,
            "target": saved.target,
            "scaling": saved.scaler.kind(),
            "optimizer_steps": optimizer.as_ref().map(|o| o.iterations),
            "parameters": rows,
        });
        return crate::print(&(serde_json::to_string_pretty(&value)? + "\n"));
    }
    let mut text = format!(
        "{}: {} parameters in {} layers; inputs [{}] ({} scaling), target `{}`; optimizer {} ({})\n\n",
        args.model.display(),
        model.parameter_count(),
        model.layers().len(),
        saved.features.join(", "),
        match saved.scaler.kind() {
            Scaling::Standard => "standard",
            Scaling::MinMax => "minmax",
            Scaling::None => "no",
        },
        saved.target,
        saved.spec.optimizer.name(),
        optimizer.as_ref().map_or("no saved state".to_string(), |o| format!("{} steps", o.iterations))
    );
    text += &format!("{}\n", weights_table(model));
    crate::print(&text)
}

pub fn import(args: ImportArgs) -> Result<()> {
    let mut spec = load_spec(&args.spec)?;
    // A state dict carries no fitted scaler: the imported model takes its inputs as given.
    let unscaled = spec.scaling != Scaling::None;
    spec.scaling = Scaling::None;
    refuse_existing(&args.out, args.force)?;
    let bytes =
        std::fs::read(&args.from_torch).with_context(|| format!("cannot read {}", args.from_torch.display()))?;
    let tensors = safetensors::SafeTensors::deserialize(&bytes)
        .map_err(|e| anyhow::anyhow!("{}: not a readable safetensors file ({e})", args.from_torch.display()))?;
    // nn.Linear weights in layer order: sort `<prefix>.weight` by prefix, numbers numerically.
    let mut prefixes: Vec<String> =
        tensors.names().iter().filter_map(|n| n.strip_suffix(".weight").map(str::to_string)).collect();
    let key = |p: &String| {
        p.split('.')
            .map(|part| part.parse::<u64>().map_or((1, 0, part.to_string()), |n| (0, n, String::new())))
            .collect::<Vec<_>>()
    };
    prefixes.sort_by_key(key);
    let mut model = spec.build_model()?;
    let dense: Vec<usize> =
        model.layers().iter().enumerate().filter(|(_, l)| l.kind() == "dense").map(|(i, _)| i).collect();
    if prefixes.len() != dense.len() {
        bail!(
            "{}: {} Linear weights ([{}]), the spec has {} Dense layers",
            args.from_torch.display(),
            prefixes.len(),
            prefixes.join(", "),
            dense.len()
        );
    }
    let read = |name: &str| -> Result<(Vec<usize>, Vec<f32>)> {
        let t = tensors
            .tensor(name)
            .map_err(|_| anyhow::anyhow!("{}: tensor `{name}` is missing", args.from_torch.display()))?;
        let values: Vec<f32> = match t.dtype() {
            safetensors::Dtype::F32 => {
                t.data().chunks_exact(4).map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]])).collect()
            }
            safetensors::Dtype::F64 => {
                t.data().chunks_exact(8).map(|b| f64::from_le_bytes(b.try_into().expect("8 bytes")) as f32).collect()
            }
            other => bail!("{}: tensor `{name}` is {other:?}; F32 or F64 expected", args.from_torch.display()),
        };
        if let Some(i) = values.iter().position(|v| !v.is_finite()) {
            bail!("{}: tensor `{name}` holds a non-finite value at index {i}", args.from_torch.display());
        }
        Ok((t.shape().to_vec(), values))
    };
    for (prefix, &layer) in prefixes.iter().zip(&dense) {
        let (shape, w) = read(&format!("{prefix}.weight"))?;
        let params = model.layers_mut()[layer].params_mut();
        let (inputs, units) = (params[0].shape[0], params[0].shape[1]);
        if shape != [units, inputs] {
            bail!("{}: `{prefix}.weight` has shape {shape:?}; the spec's layer needs [{units}, {inputs}] (PyTorch's [out, in])", args.from_torch.display());
        }
        for o in 0..units {
            for i in 0..inputs {
                params[0].value[i * units + o] = w[o * inputs + i];
            }
        }
        if params.len() > 1 {
            let (bshape, b) = read(&format!("{prefix}.bias"))?;
            if bshape != [units] {
                bail!("{}: `{prefix}.bias` has shape {bshape:?}, expected [{units}]", args.from_torch.display());
            }
            params[1].value = b;
        }
    }
    let inputs = model.input_size();
    let features =
        if args.features.is_empty() { (0..inputs).map(|i| format!("x{i}")).collect() } else { args.features.clone() };
    if features.len() != inputs {
        bail!("--features names {} columns, the model has {inputs} inputs", features.len());
    }
    let scaler = Scaler::fit(Scaling::None, Array2::<f64>::zeros((1, inputs)).view())?;
    let saved = SavedModel { spec, scaler, features, target: args.target, model };
    saved.save(&args.out, None, args.force)?;
    if unscaled {
        eprintln!(
            "note: {} asks for input scaling, but PyTorch weights carry no fitted scaler; the imported model uses its inputs unscaled",
            args.spec.display()
        );
    }
    crate::print(&format!("imported {} Linear layers into {}\n", prefixes.len(), args.out.display()))
}
