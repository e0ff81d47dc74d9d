//! `shrink search`'s plan: every flag checked and the spec, data and folds loaded before any
//! file is written, with the fingerprint (contents, not paths) that decides whether a folder's
//! earlier trials can be resumed.

use super::{Args, FamilyArg};
use crate::cmd::search_alphas::{self, AutoPath};
use anyhow::{bail, Context, Result};
use shrink::data::{Dataset, Pipeline};
use shrink::penalty::Family;
use shrink::search::{make_folds, spec_mode, Fold, PathKind, ScoreKind, SearchConfig, Validation};
use shrink::spec::ModelSpec;
/// The family to search: `--penalty` as written, or, when it names no mode and the spec applies
/// its penalty on `--param` proximally or decoupled, that mode — a mode in the spec is never
/// dropped silently.
fn search_family(spec: &ModelSpec, args: &Args) -> Result<Family> {
    let FamilyArg { family, named_mode, .. } = args.penalty.clone();
    if named_mode {
        return Ok(family);
    }
    let Some((mode, names)) = spec_mode(spec, &args.param).context("--param")? else { return Ok(family) };
    let taken = family.with_mode(mode).map_err(|e| {
        anyhow::anyhow!(
            "the spec applies the penalty on {} in {} mode, which family {family} cannot use ({e}); \
             write the mode you want: --penalty {family}@gradient or --penalty {family}@proximal",
            names.join(", "),
            mode.as_str()
        )
    })?;
    eprintln!(
        "note: --penalty {family} takes the spec's mode: searching {taken} ({} {} `{}` in the spec; \
         write --penalty {family}@gradient to search without it)",
        names.join(", "),
        if names.len() == 1 { "is" } else { "are" },
        mode.as_str()
    );
    Ok(taken)
}

/// Everything checked and loaded before any file is written.
pub(crate) struct Plan {
    pub(crate) spec: ModelSpec,
    pub(super) pipeline: Pipeline,
    pub(super) data: Dataset,
    pub(crate) config: SearchConfig,
    pub(crate) folds: Vec<Fold>,
    pub(crate) fingerprint: String,
    pub(super) auto: Option<AutoPath>,
    pub(super) names: Vec<String>,
}

pub(crate) fn plan(args: &Args) -> Result<Plan> {
    let spec = args
        .columns
        .apply(crate::load::load_spec(&args.input.spec)?)
        .with_context(|| format!("{}", args.input.spec.display()))?;
    if spec.series.is_some() {
        anyhow::bail!(
            "{}: search does not take a [series] spec yet; use train with --val-split",
            args.input.spec.display()
        );
    }
    let target = args.input.target()?.to_string();
    // Syntax first (nothing read yet); `auto` needs the data and is resolved below.
    shrink::search::parse_alpha_request(&args.alphas).context("--alphas")?;
    let penalty = search_family(&spec, args)?;
    let score = args.score.map_or(ScoreKind::default_for(spec.loss), ScoreKind::from);
    score.check(spec.loss, crate::tables::outputs(&spec)).context("--score")?;
    // The columns and categories are fitted on every row of --data; the scalers per fold.
    let prepared = crate::tables::prepare(spec, &args.input.data, &target, None, None)?;
    let (spec, pipeline, data) = (prepared.spec, prepared.pipeline, prepared.train);
    let (alphas, auto) =
        search_alphas::resolve(&args.alphas, args.alpha_ratio, &spec, &args.param, &penalty, &pipeline, &data)?;
    let names = search_alphas::row_names(&spec, &args.param, &data.feature_names)?;
    let path = PathKind::from(args.path);
    if args.compare_cold && path == PathKind::Cold {
        bail!("--compare-cold compares a warm path with the cold grid; add --path warm");
    }
    let halving = args.prune_trials == crate::choices::PruneTrialsArg::Halving;
    let flags = crate::cmd::search_grid::GridFlags {
        l1_ratios: args.l1_ratios.as_deref(),
        units: args.units.as_deref(),
        halving,
        rungs: args.rungs.as_deref(),
        eta: args.eta,
        compare_full: args.compare_full,
    };
    let grid = crate::cmd::search_grid::plan_grid(&spec, &flags)?;
    if args.penalty.bare_mix && grid.dimensions.l1_ratios.is_empty() {
        bail!("--penalty elastic-net needs its mix: elastic-net:0.5, or --l1-ratios 0.1,0.5,0.9,1");
    }
    if args.relax && path != PathKind::Cold {
        bail!("--relax compares with the cold fits of the chosen alpha; leave out --path {:?}", args.path);
    }
    let config = SearchConfig {
        param: args.param.clone(),
        penalty,
        alphas,
        refine: args.refine,
        repeats: args.repeats,
        rule: args.rule.into(),
        score,
        path,
        warm_epochs: args.warm_epochs.unwrap_or((spec.epochs / 4).max(1)),
        dimensions: grid.dimensions,
        halving: grid.halving,
        shard: args.shard,
        threads: crate::threads(args.threads),
        interrupt: None,
    };
    if args.relax {
        shrink::search::relax::check(&spec).context("--relax")?;
    }
    // input_shape may be omitted (known once the table is encoded); --param is checked on a
    // network with one input, which names the same parameters.
    let probe =
        if spec.input_shape.is_empty() { ModelSpec { input_shape: vec![1], ..spec.clone() } } else { spec.clone() };
    if let Some(shard) = &config.shard {
        shard.check(&config).context("--shard")?;
    }
    config.validate(&probe).context("search settings")?;
    if args.refit && spec.fit_config().needs_validation() {
        bail!(
            "--refit trains on every row of --data, so it has no validation rows for early_stopping.monitor or \
             lr_schedule.monitor = val_…; monitor the training `loss` or leave out --refit"
        );
    }
    let validation = match (&args.test, args.cv) {
        (Some(test), _) => Validation::Test(crate::tables::read_rows(&pipeline, test, Some(&target))?),
        (None, Some(k)) => Validation::Folds(k),
        (None, None) => Validation::Holdout,
    };
    let folds = make_folds(&spec, &data, &validation).with_context(|| match args.cv {
        Some(k) => format!("{} (--cv {k})", args.input.data.display()),
        None => format!("{}", args.input.data.display()),
    })?;
    // Contents, not paths, decide whether earlier trials can be reused: a data file edited in
    // place is a different search.
    let test_sha256 = args.test.as_deref().map(shrink::files::sha256_file).transpose()?;
    let fingerprint = serde_json::to_string_pretty(&serde_json::json!({
        "spec": serde_json::from_str::<serde_json::Value>(&spec.to_json())?,
        "data_sha256": shrink::files::sha256_file(&args.input.data)?,
        "test_sha256": test_sha256,
        "target": target, "cv": args.cv, "search": config,
    }))?;
    Ok(Plan { spec, pipeline, data, config, folds, fingerprint, auto, names })
}

/// The settings that differ between two `search.json` texts (`data_sha256`, `search`, …).
pub(crate) fn changed_keys(old: &str, new: &str) -> String {
    let parse = |t: &str| serde_json::from_str::<serde_json::Value>(t).unwrap_or_default();
    let (old, new) = (parse(old), parse(new));
    let keys: std::collections::BTreeSet<&String> =
        old.as_object().into_iter().chain(new.as_object()).flat_map(|m| m.keys()).collect();
    let changed: Vec<&str> =
        keys.into_iter().filter(|k| old.get(k.as_str()) != new.get(k.as_str())).map(|k| k.as_str()).collect();
    if changed.is_empty() {
        "the file's format".to_string()
    } else {
        changed.join(", ")
    }
}
