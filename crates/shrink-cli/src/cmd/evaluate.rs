//! `shrink evaluate`: loss, penalty and metrics of a saved model on a table.

use crate::load::*;
use anyhow::{Context, Result};
use shrink::pipeline::{encode_inputs, encode_targets};
use shrink_report::Table;

#[derive(clap::Args)]
pub(crate) struct EvaluateArgs {
    #[command(flatten)]
    input: ModelTable,
    /// Print JSON instead of a table.
    #[arg(long)]
    json: bool,
}

pub(crate) fn evaluate(args: EvaluateArgs) -> Result<()> {
    let (mut saved, _) = load_model(&args.input.model)?;
    if saved.pipeline.series().is_some() {
        return crate::cmd::series::evaluate(saved, &args.input, args.json);
    }
    let data = crate::tables::model_rows(&saved, &args.input.data, args.input.target.as_deref())?;
    let x = encode_inputs(&saved.spec, &saved.pipeline, &data)?;
    let y = encode_targets(&saved.spec, &saved.pipeline, &data)
        .with_context(|| format!("{}", args.input.data.display()))?;
    let mut trainer = saved.spec.trainer()?;
    let mut e = trainer.evaluate(&mut saved.model, x.view(), y.view(), 256)?;
    let names = trainer.metric_names();
    let units = match saved.pipeline.target().scaler() {
        // The network learned a scaled target: losses and metrics go back to the target's units.
        Some(_) => {
            let pred = saved.model.predict(x.view(), 256).with_context(|| format!("{}", args.input.data.display()))?;
            let pred = saved.pipeline.target().unscale(pred.column(0).mapv(f64::from).view())?;
            in_target_units(&mut e, &names, pred.view(), data.y.view());
            Some(saved.pipeline.target().name().to_owned())
        }
        None => None,
    };
    if args.json {
        let metrics: serde_json::Map<String, serde_json::Value> =
            names.iter().zip(&e.metrics).map(|(n, v)| (n.clone(), (*v).into())).collect();
        let mut value = serde_json::json!({"rows": data.len(), "loss": e.loss, "data_loss": e.data_loss, "penalty": e.penalty, "metrics": metrics});
        if let Some(t) = &units {
            value["units"] = format!("target `{t}` (target_scaling inverted)").into();
        }
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
    let note = units
        .map_or(String::new(), |t| format!("data loss and metrics in the units of `{t}` (target_scaling inverted)\n"));
    crate::print(&format!("{table}\n{note}"))
}

/// Replaces the data loss (mse) and the error metrics by their values on predictions and
/// targets in the target's units, in f64; the penalty is what it is, the loss their sum.
fn in_target_units(
    e: &mut shrink::train::Evaluation,
    names: &[String],
    pred: ndarray::ArrayView1<f64>,
    y: ndarray::ArrayView1<f64>,
) {
    let n = y.len().max(1) as f64;
    let mse = pred.iter().zip(y).map(|(p, t)| (p - t) * (p - t)).sum::<f64>() / n;
    let mae = pred.iter().zip(y).map(|(p, t)| (p - t).abs()).sum::<f64>() / n;
    e.data_loss = mse;
    e.loss = mse + e.penalty;
    for (name, v) in names.iter().zip(e.metrics.iter_mut()) {
        match name.as_str() {
            "mse" => *v = mse,
            "mae" => *v = mae,
            "rmse" => *v = mse.sqrt(),
            _ => {}
        }
    }
}
