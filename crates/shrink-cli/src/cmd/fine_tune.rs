//! `shrink fine-tune`: continue a saved model with new penalties or a penalty schedule.

use crate::fit::*;
use crate::load::*;
use anyhow::{bail, Context, Result};
use shrink::penalty::Family;
use shrink::pipeline::encode_targets;
use shrink::schedule::{PenaltySchedule, Schedule};
use shrink::Penalty;

#[derive(clap::Args)]
pub(crate) struct FineTuneArgs {
    #[command(flatten)]
    input: ModelTable,
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

/// Splits `PARAM=TEXT` (a selector, then a penalty or, with a schedule, a family).
fn split_penalty_arg(text: &str) -> Result<(&str, &str)> {
    text.split_once('=').with_context(|| {
        format!("--penalty {text}: expected PARAM=PENALTY, e.g. dense_0.kernel=l2:1e-4 or *.kernel=l1:1e-3@proximal")
    })
}

pub(crate) fn fine_tune(args: FineTuneArgs) -> Result<()> {
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
    let (mut saved, optimizer) = load_model(&args.input.model)?;
    if saved.pipeline.series().is_some() {
        bail!("{}: fine-tune does not take a [series] model yet", args.input.model.display());
    }
    let mut trainer = saved.spec.trainer()?;
    if let Some(state) = optimizer {
        state.restore(&mut trainer, &saved.model)?;
    }
    for (param, penalty) in &penalties {
        saved.model.set_penalty(param, Some(penalty.clone())).with_context(|| format!("--penalty {param}"))?;
    }
    refuse_run_outputs(&args.run.out, &saved.spec.metrics, args.run.force)?;
    let target = args.input.target.clone().unwrap_or_else(|| saved.target().to_owned());
    let data = crate::tables::model_rows(&saved, &args.input.data, Some(&target))?;
    let (train, val) =
        split_validation(data, &args.val, saved.spec.seed, |p| crate::tables::model_rows(&saved, p, Some(&target)))?;
    encode_targets(&saved.spec, &saved.pipeline, &train).with_context(|| format!("{}", args.input.data.display()))?;
    let mut scheduled = match (&schedule, &family) {
        (Some(s), Some((param, family))) => Some((
            PenaltySchedule::new(&saved.model, param, *family, s.clone())
                .with_context(|| format!("--penalty {param}={family} with --schedule"))?,
            param.clone(),
        )),
        _ => None,
    };
    check_before_writing(&saved, val.as_ref(), args.val.val.as_deref().unwrap_or(&args.input.data), args.run.threads)?;
    let inputs =
        [&args.input.model, &args.input.data].into_iter().chain(&args.val.val).map(std::path::PathBuf::as_path);
    let manifest = crate::manifest::Manifest::read(inputs)?;
    let _lock = shrink::files::OutputLock::acquire(&args.run.out)
        .with_context(|| format!("cannot use {}", args.run.out.display()))?;
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
        None,
    )?;
    manifest.write(&args.run.out, &outcome.files)?;
    report(outcome)
}
