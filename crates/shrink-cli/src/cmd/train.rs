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
    train_with(args, None)
}

/// `train`, alone or as one rank of a data-parallel cohort (`mpirun -n N shrink train`): every
/// rank reads and checks the same inputs and trains its share of each batch; rank 0 alone
/// checks, locks and writes the output folder.
pub(crate) fn train_with(args: TrainArgs, cohort: Option<&dyn Cohort>) -> Result<()> {
    let mut spec =
        args.columns.apply(load_spec(&args.input.spec)?).with_context(|| format!("{}", args.input.spec.display()))?;
    if let Some(c) = cohort {
        prepare_cohort(&mut spec, c);
    }
    if spec.series.is_some() {
        return crate::cmd::series::train(spec, &args.input, &args.val, &args.run, cohort);
    }
    let target = args.input.target()?.to_string();
    let leader = leads(cohort);
    if leader {
        refuse_run_outputs(&args.run.out, &spec.metrics, args.run.force)?;
    }
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
    let _lock = match leader {
        true => Some(
            shrink::files::OutputLock::acquire(&args.run.out)
                .with_context(|| format!("cannot use {}", args.run.out.display()))?,
        ),
        false => None,
    };
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
        cohort,
    )?;
    if !leader {
        return Ok(());
    }
    manifest.write(&args.run.out, &outcome.files)?;
    report(outcome)
}

/// Under `mpirun -n N`: `micro_batches = N` unless the spec sets it (so that the result is the
/// same bits as one process with that spec), and a warning when some ranks get no rows.
pub(crate) fn prepare_cohort(spec: &mut shrink::spec::ModelSpec, cohort: &dyn Cohort) {
    let ranks = cohort.size();
    let micro = *spec.micro_batches.get_or_insert(ranks);
    if cohort.rank() != 0 {
        return;
    }
    let share = micro.min(spec.batch_size);
    if share < ranks {
        let why = if spec.batch_size < micro {
            format!("a batch of {} rows is cut into at most {} micro-batches", spec.batch_size, share)
        } else {
            format!("micro_batches = {micro}")
        };
        eprintln!(
            "warning: {why}, fewer than the {ranks} ranks: ranks {share}…{} get no rows and only wait on every \
             step; use fewer ranks (the result is the same)",
            ranks - 1
        );
    }
}
