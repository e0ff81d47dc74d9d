//! `shrink prune`: a smaller equivalent model without unused inputs and dead hidden units.

use anyhow::{bail, Context, Result};
use shrink::model_file::SavedModel;
use std::fmt::Write;
use std::path::PathBuf;

/// Arguments of `shrink prune`.
#[derive(clap::Args)]
pub struct Args {
    /// A model file (Dense layers only).
    #[arg(long)]
    model: PathBuf,
    /// Where to write the pruned model.
    #[arg(long)]
    out: PathBuf,
    /// Replace `--out` if it exists.
    #[arg(long)]
    force: bool,
}

/// Loads, prunes, saves, and prints what was removed.
pub fn run(args: Args) -> Result<()> {
    if args.out.exists() && !args.force {
        bail!("{} exists; pass --force to replace it", args.out.display());
    }
    let (saved, _) = SavedModel::load(&args.model)?;
    let (pruned, report) =
        shrink::prune::prune(&saved).with_context(|| format!("cannot prune {}", args.model.display()))?;
    pruned.save(&args.out, None, args.force)?;
    let mut text = String::new();
    let inputs = if report.removed_inputs.is_empty() { "none".to_string() } else { report.removed_inputs.join(", ") };
    let _ = writeln!(text, "removed inputs ({}): {inputs}", report.removed_inputs.len());
    if report.removed_units.is_empty() {
        let _ = writeln!(text, "removed units: none");
    }
    for (layer, units) in &report.removed_units {
        let list = units.iter().map(usize::to_string).collect::<Vec<_>>().join(", ");
        let _ = writeln!(text, "removed units of {layer} ({}): {list}", units.len());
    }
    let _ = writeln!(
        text,
        "parameters: {} → {}; wrote {}",
        saved.model.parameter_count(),
        pruned.model.parameter_count(),
        args.out.display()
    );
    crate::print(&text)
}
