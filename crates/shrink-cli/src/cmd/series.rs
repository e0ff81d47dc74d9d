//! `train`, `evaluate` and `predict` for a spec with a `[series]` table: the windows are built
//! from the series CSV here (shrink-data's series stage), validated with a chronological split,
//! and forecasts go back to the series' units.

use crate::fit::{fit_and_save, report};
use crate::load::*;
use anyhow::{bail, Context, Result};
use shrink::data::series::{SeriesSpec, SeriesTable, Windows};
use shrink::data::{InputStage, Pipeline, Scaler, TargetStage, TargetTask};
use shrink::model_file::SavedModel;
use shrink::pipeline::{encode_inputs, encode_targets};
use shrink::spec::ModelSpec;
use shrink_report::Table;
use std::fmt::Write as _;
use std::path::Path;

/// `--target`, when given, must be the series' target (the spec decides it).
pub(crate) fn check_target(series: &SeriesSpec, target: Option<&str>) -> Result<()> {
    match target {
        Some(t) if t != series.target() => bail!(
            "--target `{}` disagrees with the spec's series target `{}` (series.target, default the first of \
             series.columns); drop --target or make them agree",
            shrink::data::summarize(t),
            series.target()
        ),
        _ => Ok(()),
    }
}

/// The windows of a series CSV; `targets` keeps only windows whose target is in the file.
fn windows_of(series: &SeriesSpec, path: &Path, targets: bool) -> Result<(SeriesTable, Windows)> {
    let table = series.read_csv(path)?;
    let windows = series.windows(&table, targets)?;
    Ok((table, windows))
}

/// Forecasts in the series' units: inputs through the model's scaler, the network, the target
/// scaler undone (with `target_scaling`), then the stage's inversion.
fn forecast(saved: &mut SavedModel, series: &SeriesSpec, windows: &Windows, path: &Path) -> Result<Vec<f64>> {
    let x = saved.pipeline.scale_inputs(windows.x.view())?.mapv(|v| v as f32);
    let pred = saved.model.predict(x.view(), 256).with_context(|| format!("{}", path.display()))?;
    let p = saved.pipeline.target().unscale(pred.column(0).mapv(f64::from).view())?.to_vec();
    let levels = series.invert_all(&p, windows)?;
    if let Some(i) = levels.iter().position(|v| !v.is_finite()) {
        bail!(
            "{}: the forecast from the window ending on data row {} is not finite ({} in model units)",
            path.display(),
            windows.origin[i] + 1,
            p[i]
        );
    }
    Ok(levels)
}

/// RMSE and MAE of `pred` against `actual`.
fn errors(pred: &[f64], actual: &[f64]) -> (f64, f64) {
    let n = actual.len().max(1) as f64;
    let sq = pred.iter().zip(actual).map(|(p, a)| (p - a).powi(2)).sum::<f64>() / n;
    let abs = pred.iter().zip(actual).map(|(p, a)| (p - a).abs()).sum::<f64>() / n;
    (sq.sqrt(), abs)
}

/// Model and seasonal-naive errors in the series' units on the windows with a target.
struct Scores {
    windows: usize,
    model: (f64, f64),
    naive: Option<(f64, f64)>,
}

fn scores(saved: &mut SavedModel, series: &SeriesSpec, table: &SeriesTable, w: &Windows) -> Result<Scores> {
    let actual = series.actual(table, w);
    let pred = forecast(saved, series, w, &table.path)?;
    let naive = series.seasonal_naive(table, w).map(|n| errors(&n, &actual));
    Ok(Scores { windows: actual.len(), model: errors(&pred, &actual), naive })
}

pub(crate) fn train(
    spec: ModelSpec,
    input: &SpecTable,
    val: &ValArgs,
    run: &RunArgs,
    cohort: Option<&dyn crate::fit::Cohort>,
) -> Result<()> {
    let series = spec.series.clone().context("a series spec")?;
    check_target(&series, input.target.as_deref())?;
    let leader = crate::fit::leads(cohort);
    if leader {
        refuse_run_outputs(&run.out, &spec.metrics, run.force)?;
    }
    let (table, windows) = windows_of(&series, &input.data, true)?;
    let (train, held) = match (&val.val, val.val_split) {
        (Some(path), _) => (windows, Some(windows_of(&series, path, true)?)),
        (None, Some(f)) => {
            // The last windows validate; they read the end of the training rows as context.
            let (a, b) = windows.split_last(f).context("--val-split")?;
            (a, Some((table.clone(), b)))
        }
        (None, None) => (windows, None),
    };
    let scaler = series.fit_scaler(spec.scaling, &train).context("fitting the input scaler")?;
    let train_ds = train.to_dataset(&series)?;
    let val_ds = held.as_ref().map(|(_, w)| w.to_dataset(&series)).transpose()?;
    let model = spec.build_model()?;
    let mut trainer = spec.trainer()?;
    // The target scaler is fitted on the training windows' targets (in transformed units).
    let target_scaler =
        Scaler::fit_column(spec.target_scaling, train_ds.y.view()).context("fitting the target scaler")?;
    let target =
        TargetStage::legacy(series.target(), TargetTask::Regression(spec.target_scaling)).with_scaler(target_scaler)?;
    let pipeline = Pipeline::new(InputStage::Series(series.clone()), scaler, target)?;
    let mut saved = SavedModel { pipeline, model, spec };
    encode_inputs(&saved.spec, &saved.pipeline, &train_ds).with_context(|| format!("{}", input.data.display()))?;
    encode_targets(&saved.spec, &saved.pipeline, &train_ds).with_context(|| format!("{}", input.data.display()))?;
    let val_path = val.val.as_deref().unwrap_or(&input.data);
    check_before_writing(&saved, val_ds.as_ref(), val_path, run.threads)?;
    let inputs = [&input.spec, &input.data].into_iter().chain(&val.val).map(std::path::PathBuf::as_path);
    let manifest = crate::manifest::Manifest::read(inputs)?;
    let _lock = match leader {
        true => Some(
            shrink::files::OutputLock::acquire(&run.out)
                .with_context(|| format!("cannot use {}", run.out.display()))?,
        ),
        false => None,
    };
    let epochs = saved.spec.epochs;
    let mut outcome = fit_and_save(
        &mut saved,
        &mut trainer,
        &train_ds,
        val_ds.as_ref(),
        epochs,
        run.threads,
        None,
        &run.out,
        run.force,
        cohort,
    )?;
    if !leader {
        return Ok(());
    }
    manifest.write(&run.out, &outcome.files)?;
    let mut text = format!(
        "series `{}`: {} training windows of {} steps (rows {}–{} predicted)",
        series.target(),
        train.len(),
        series.window(),
        train.origin[0] + series.horizon() + 1,
        train.origin[train.len() - 1] + series.horizon() + 1
    );
    if let Some((t, w)) = &held {
        let s = scores(&mut saved, &series, t, w)?;
        let _ = write!(
            text,
            "\nvalidation ({} windows, series units): RMSE {:.4}, MAE {:.4}",
            s.windows, s.model.0, s.model.1
        );
        if let Some((rmse, mae)) = s.naive {
            let season = series.season().unwrap_or(0);
            let _ = write!(text, "; seasonal naive (season {season}): RMSE {rmse:.4}, MAE {mae:.4}");
        }
    }
    outcome.summary = format!("{text}\n{}", outcome.summary);
    report(outcome)
}

pub(crate) fn evaluate(mut saved: SavedModel, input: &ModelTable, json: bool) -> Result<()> {
    let series = saved.pipeline.series().cloned().context("a series model")?;
    check_target(&series, input.target.as_deref())?;
    let (table, windows) = windows_of(&series, &input.data, true)?;
    let data = windows.to_dataset(&series)?;
    let x = encode_inputs(&saved.spec, &saved.pipeline, &data)?;
    let y = encode_targets(&saved.spec, &saved.pipeline, &data)?;
    let mut trainer = saved.spec.trainer()?;
    let e = trainer.evaluate(&mut saved.model, x.view(), y.view(), 256)?;
    let s = scores(&mut saved, &series, &table, &windows)?;
    if json {
        let naive = s.naive.map(|(rmse, mae)| serde_json::json!({"season": series.season(), "rmse": rmse, "mae": mae}));
        let value = serde_json::json!({
            "windows": s.windows, "target": series.target(),
            "rmse": s.model.0, "mae": s.model.1, "seasonal_naive": naive,
            "model_units": {"mse": e.data_loss, "penalty": e.penalty, "loss": e.loss},
        });
        return crate::print(&(serde_json::to_string_pretty(&value)? + "\n"));
    }
    let mut table = Table::new(["measure", "value"]);
    table.push_row(["windows".to_string(), s.windows.to_string()]);
    let unit = format!("`{}` units", series.target());
    table.push_row([format!("RMSE ({unit})"), format!("{:.6}", s.model.0)]);
    table.push_row([format!("MAE ({unit})"), format!("{:.6}", s.model.1)]);
    if let Some((rmse, mae)) = s.naive {
        let season = series.season().unwrap_or(0);
        table.push_row([format!("seasonal naive RMSE (season {season})"), format!("{rmse:.6}")]);
        table.push_row([format!("seasonal naive MAE (season {season})"), format!("{mae:.6}")]);
    }
    let units =
        if saved.pipeline.target().scaler().is_some() { "transformed, scaled target" } else { "transformed target" };
    table.push_row([format!("MSE (model units: {units})"), format!("{:.6}", e.data_loss)]);
    table.push_row(["penalty".to_string(), format!("{:.6}", e.penalty)]);
    table.push_row(["loss (data + penalty)".to_string(), format!("{:.6}", e.loss)]);
    crate::print(&format!("{table}\n"))
}

/// A CSV field, quoted when it must be.
fn field(text: &str) -> String {
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_string()
    }
}

/// One line per window with full context: `row` (the 1-based data row the forecast is for;
/// past the last row for the final forecasts), the time column's value on that row (empty
/// past the end), and `pred_<target>` in the series' units.
pub(crate) fn predict_csv(saved: &mut SavedModel, data: &Path) -> Result<(String, usize)> {
    let series = saved.pipeline.series().cloned().context("a series model")?;
    let (table, windows) = windows_of(&series, data, false)?;
    let levels = forecast(saved, &series, &windows, data)?;
    let mut head = vec!["row".to_string()];
    if let Some((name, _)) = &table.time {
        head.push(field(name));
    }
    head.push(field(&format!("pred_{}", series.target())));
    let mut text = head.join(",") + "\n";
    for (&t, v) in windows.origin.iter().zip(&levels) {
        let row = t + series.horizon();
        let _ = write!(text, "{}", row + 1);
        if let Some((_, times)) = &table.time {
            let _ = write!(text, ",{}", times.get(row).map_or(String::new(), |s| field(s)));
        }
        let _ = writeln!(text, ",{v}");
    }
    Ok((text, levels.len()))
}
