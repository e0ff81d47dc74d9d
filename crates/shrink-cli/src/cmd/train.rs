//! `shrink train`: a spec and a table to a saved model, history, weights and curves.

use crate::fit::*;
use crate::load::*;
use anyhow::{Context, Result};
use shrink::model_file::SavedModel;
use shrink::pipeline::{encode_inputs, encode_targets};

#[derive(clap::Args)]
pub(crate) struct TrainArgs {
    #[command(flatten)]
    input: SpecTable,
    #[command(flatten)]
    val: ValArgs,
    #[command(flatten)]
    run: RunArgs,
    #[command(flatten)]
    columns: crate::tables::ColumnArgs,
}

pub(crate) fn train(args: TrainArgs) -> Result<()> {
    let spec =
        args.columns.apply(load_spec(&args.input.spec)?).with_context(|| format!("{}", args.input.spec.display()))?;
    if spec.series.is_some() {
        return crate::cmd::series::train(spec, &args.input, &args.val, &args.run);
    }
    let target = args.input.target()?.to_string();
    refuse_run_outputs(&args.run.out, &spec.metrics, args.run.force)?;
    let prepared =
        crate::tables::prepare(spec, &args.input.data, &target, args.val.val.as_deref(), args.val.val_split)?;
    let (spec, pipeline, train, val) = (prepared.spec, prepared.pipeline, prepared.train, prepared.val);
    let model = spec.build_model()?;
    let mut trainer = spec.trainer()?;
    let mut saved = SavedModel { pipeline, model, spec };
    // Check the data against the spec before any file is written.
    encode_inputs(&saved.spec, &saved.pipeline, &train).with_context(|| format!("{}", args.input.data.display()))?;
    encode_targets(&saved.spec, &saved.pipeline, &train).with_context(|| format!("{}", args.input.data.display()))?;
    check_before_writing(&saved, val.as_ref(), args.val.val.as_deref().unwrap_or(&args.input.data), args.run.threads)?;
    let inputs = [&args.input.spec, &args.input.data].into_iter().chain(&args.val.val).map(std::path::PathBuf::as_path);
    let manifest = crate::manifest::Manifest::read(inputs)?;
    let _lock = shrink::files::OutputLock::acquire(&args.run.out)
        .with_context(|| format!("cannot use {}", args.run.out.display()))?;
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
    manifest.write(&args.run.out, &outcome.files)?;
    report(outcome)
}
