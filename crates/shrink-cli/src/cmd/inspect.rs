//! `shrink inspect`: a saved model's layers, penalties and weight statistics.

use crate::fit::*;
use crate::load::*;
use anyhow::{Context, Result};
use shrink::data::summarize_list;
use shrink::data::Scaling;
use shrink::weights::weight_report;
use shrink_report::{write_histogram_chart, HistogramChart};
use std::path::PathBuf;

#[derive(clap::Args)]
pub(crate) struct InspectArgs {
    /// A model file.
    #[arg(long)]
    model: PathBuf,
    /// Print JSON instead of a table.
    #[arg(long)]
    json: bool,
    /// Only these parameters: a selector (`dense_0.kernel`, `conv2d_*.kernel,lstm_0.recurrent_kernel`,
    /// `*.kernel`, `*`).
    #[arg(long, default_value = "*")]
    param: String,
    /// Write weight histograms (PNG and SVG) into this folder.
    #[arg(long)]
    plot: Option<PathBuf>,
    /// Replace histograms already in the --plot folder.
    #[arg(long)]
    force: bool,
}

pub(crate) fn inspect(args: InspectArgs) -> Result<()> {
    let (saved, optimizer) = load_model(&args.model)?;
    let model = &saved.model;
    let chosen: Vec<String> =
        model.select(&args.param).context("--param")?.into_iter().map(|id| model.param_name(id)).collect();
    let keep = |name: &str| chosen.iter().any(|c| c == name);
    if let Some(dir) = &args.plot {
        for ext in ["png", "svg"] {
            refuse_existing(&dir.join(format!("weights_histogram.{ext}")), args.force)?;
        }
        let manifest = crate::manifest::Manifest::read([args.model.as_path()])?;
        let _lock = shrink::files::OutputLock::acquire(dir)?;
        let mut chart = HistogramChart::new("Weight values per parameter", "weight", 40);
        for (name, p) in model.params().filter(|(name, _)| keep(name)) {
            chart = chart.group(name, p.value.iter().map(|&v| v as f64).collect());
        }
        let files = write_histogram_chart(&chart, &dir.join("weights_histogram"))?;
        manifest.write(dir, &files)?;
        for f in files {
            eprintln!("wrote {}", f.display());
        }
    }
    if args.json {
        let rows: Vec<serde_json::Value> = weight_report(model)
            .into_iter()
            .zip(model.params())
            .filter(|(w, _)| keep(&w.name))
            // Derived Serialize impls of numbers, strings and vectors: to_value cannot fail.
            .map(|(w, (_, p))| {
                let mut v = serde_json::to_value(&w).expect("a weight report serializes");
                v["penalty"] = serde_json::to_value(
                    p.penalty.as_ref().filter(|pen| !pen.is_zero() || pen.row_factors().is_none()),
                )
                .expect("a penalty serializes");
                v
            })
            .collect();
        let value = serde_json::json!({
            "spec": saved.spec,
            "features": saved.features(),
            "target": saved.target(),
            "scaling": saved.pipeline.scaler().kind(),
            "pipeline": saved.pipeline,
            "optimizer_steps": optimizer.as_ref().map(|o| o.iterations),
            "parameters": rows,
            "inputs_used": inputs_used(model, &saved.features()),
        });
        return crate::print(&(serde_json::to_string_pretty(&value)? + "\n"));
    }
    let scaling = match saved.pipeline.scaler().kind() {
        Scaling::None => "no".to_string(),
        kind => kind.describe(),
    };
    let mut text = format!(
        "{}: {} parameters in {} layers; inputs [{}] ({scaling} scaling), target `{}`; optimizer {} ({})\n",
        args.model.display(),
        model.parameter_count(),
        model.layers().len(),
        summarize_list(&saved.features()),
        saved.target(),
        saved.spec.optimizer.name(),
        optimizer.as_ref().map_or("no saved state".to_string(), |o| format!("{} steps", o.iterations))
    );
    text += &pipeline_lines(&saved.pipeline);
    text += "\n";
    text += &format!("{}\n", weights_table(model, keep));
    if let Some(used) = inputs_used(model, &saved.features()) {
        text += &format!(
            "inputs used by {} ({} of {}): {}\n",
            used.param,
            used.names.len(),
            saved.features().len(),
            if used.names.is_empty() { "none".to_string() } else { used.names.join(", ") }
        );
    }
    crate::print(&text)
}

/// The parts of the pipeline beyond numeric columns: encoders, classes, the target scaler.
fn pipeline_lines(pipeline: &shrink::data::Pipeline) -> String {
    use shrink::data::{ColumnEncoding, InputStage, TargetEncoding};
    let mut out = String::new();
    let columns = match pipeline.input() {
        InputStage::Table(stage) => stage.columns(),
        InputStage::Series(series) => {
            let transform = match (series.log(), series.difference()) {
                (true, true) => "log, difference",
                (true, false) => "log",
                (false, true) => "difference",
                (false, false) => "none",
            };
            out += &format!(
                "  series [{}] (target `{}`): windows of {}, horizon {}, transform {transform}; a forecast needs {} rows of context\n",
                summarize_list(series.columns()),
                series.target(),
                series.window(),
                series.horizon(),
                series.context()
            );
            &[]
        }
    };
    for c in columns {
        if let ColumnEncoding::OneHot(e) = c {
            out += &format!(
                "  column `{}`: one-hot over {} categories [{}], unseen: {}\n",
                e.column(),
                e.categories().len(),
                summarize_list(e.categories()),
                match e.handle_unknown() {
                    shrink::data::HandleUnknown::Error => "error",
                    shrink::data::HandleUnknown::Ignore => "all zeros",
                }
            );
        }
    }
    let target = pipeline.target();
    match target.encoding() {
        TargetEncoding::Classes { classes } | TargetEncoding::Labels { classes } => {
            out += &format!("  target `{}`: classes [{}]\n", target.name(), summarize_list(classes));
        }
        TargetEncoding::Values { scaler } if scaler.kind() != Scaling::None => {
            out += &format!(
                "  target `{}`: {} target scaling (offset {}, scale {}), inverted for predictions\n",
                target.name(),
                scaler.kind().describe(),
                scaler.offset()[0],
                scaler.scale()[0]
            );
        }
        TargetEncoding::Values { .. } => {}
    }
    out
}

/// The input features whose row of the first layer's 2-D kernel has a non-zero weight.
#[derive(serde::Serialize)]
struct InputsUsed {
    param: String,
    names: Vec<String>,
}

fn inputs_used(model: &shrink::nn::Model<f32>, features: &[String]) -> Option<InputsUsed> {
    let layer = model.layers().first()?;
    let kernel = layer.params().iter().find(|p| p.role == shrink::nn::Role::Kernel && p.shape.len() == 2)?;
    let (rows, cols) = (kernel.shape[0], kernel.shape[1]);
    if rows != features.len() {
        return None;
    }
    let names = (0..rows)
        .filter(|&r| kernel.value[r * cols..(r + 1) * cols].iter().any(|&v| v != 0.0))
        .map(|r| features[r].clone())
        .collect();
    Some(InputsUsed { param: format!("{}.{}", layer.name(), kernel.role), names })
}
