//! `shrink inspect`: a saved model's layers, penalties and weight statistics.

use crate::fit::*;
use crate::load::*;
use anyhow::{Context, Result};
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
            "inputs_used": inputs_used(model, &saved.features),
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
    text += &format!("{}\n", weights_table(model, keep));
    if let Some(used) = inputs_used(model, &saved.features) {
        text += &format!(
            "inputs used by {} ({} of {}): {}\n",
            used.param,
            used.names.len(),
            saved.features.len(),
            if used.names.is_empty() { "none".to_string() } else { used.names.join(", ") }
        );
    }
    crate::print(&text)
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
