//! `shrink evaluate`: loss, penalty and metrics of a saved model on a table.

use crate::load::*;
use anyhow::{Context, Result};
use shrink::data::read_csv;
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
    if saved.series.is_some() {
        return crate::cmd::series::evaluate(saved, &args.input, args.json);
    }
    let target = args.input.target.clone().unwrap_or_else(|| saved.target.clone());
    let data = with_columns(read_csv(&args.input.data, &target)?, &saved.features, &args.input.data)?;
    let x = encode_inputs(&saved.spec, &saved.scaler, &saved.features, &data)?;
    let y = encode_targets(&saved.spec, &data).with_context(|| format!("{}", args.input.data.display()))?;
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
