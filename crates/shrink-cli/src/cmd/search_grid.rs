//! The grid flags of `shrink search` (`--l1-ratios`, `--units`, `--prune-trials halving`,
//! `--rungs`, `--compare-full`, `--relax`): parsed into typed settings before anything is
//! written, and what they add to the report and `summary.json`.

use anyhow::{bail, Context, Result};
use shrink::search::relax::RelaxReport;
use shrink::search::widths::WidthComparison;
use shrink::search::{
    parse_l1_ratios, parse_units, Columns, Dimensions, Fold, Halving, Point, SearchConfig, SearchOutcome,
};
use shrink::spec::ModelSpec;
use std::path::Path;

/// The grid flags as written.
pub struct GridFlags<'a> {
    pub l1_ratios: Option<&'a str>,
    pub units: Option<&'a str>,
    pub halving: bool,
    pub rungs: Option<&'a str>,
    pub eta: Option<usize>,
    pub compare_full: bool,
}

/// The typed grid settings.
pub struct Grid {
    pub dimensions: Dimensions,
    pub halving: Option<Halving>,
}

/// Parses and checks the grid flags (the spec-dependent checks run in `SearchConfig::validate`).
pub fn plan_grid(spec: &ModelSpec, flags: &GridFlags) -> Result<Grid> {
    let l1_ratios = flags.l1_ratios.map(parse_l1_ratios).transpose().context("--l1-ratios")?.unwrap_or_default();
    let units = flags.units.map(parse_units).transpose().context("--units")?;
    if !flags.halving && (flags.rungs.is_some() || flags.eta.is_some() || flags.compare_full) {
        bail!("--rungs, --eta and --compare-full belong to successive halving; add --prune-trials halving");
    }
    let mut halving = match (flags.halving, flags.rungs) {
        (false, _) => None,
        (true, None) => Some(Halving::default_for(spec.epochs)),
        (true, Some(text)) => Some(Halving::parse_rungs(text).context("--rungs")?),
    };
    if let (Some(h), Some(eta)) = (halving.as_mut(), flags.eta) {
        if eta < 2 {
            bail!("--eta must be ≥ 2 (each rung keeps ⌈n/eta⌉ candidates), got {eta}");
        }
        h.eta = eta;
    }
    Ok(Grid { dimensions: Dimensions { l1_ratios, units }, halving })
}

/// The key columns `trials.csv` carries for `config`.
pub fn columns(config: &SearchConfig) -> Columns {
    Columns {
        l1_ratio: !config.dimensions.l1_ratios.is_empty(),
        units: config.dimensions.units.is_some(),
        rung: config.halving.is_some(),
    }
}

/// Successive halving measured against the full grid on the same candidates.
#[derive(Debug, Clone, serde::Serialize)]
pub struct HalvingComparison {
    pub halving_trial_seconds: f64,
    pub full_trial_seconds: f64,
    /// `full / halving`.
    pub speedup: f64,
    pub halving_choice: Option<String>,
    pub full_choice: Option<String>,
    pub agrees: bool,
}

fn choice(o: &SearchOutcome) -> Option<String> {
    o.selection.as_ref().map(|s| {
        let mut text = String::new();
        if let Some(r) = s.l1_ratio {
            text += &format!("l1_ratio {r}, ");
        }
        if let Some(u) = s.units {
            text += &format!("units {u}, ");
        }
        text + &format!("alpha {}", s.alpha)
    })
}

impl HalvingComparison {
    pub fn new(halving: &SearchOutcome, full: &SearchOutcome) -> Self {
        let (h, f) = (choice(halving), choice(full));
        HalvingComparison {
            halving_trial_seconds: halving.trial_seconds,
            full_trial_seconds: full.trial_seconds,
            speedup: full.trial_seconds / halving.trial_seconds,
            agrees: h.is_some() && h == f,
            halving_choice: h,
            full_choice: f,
        }
    }
}

/// What the grid flags add to the report.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Extras {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub halving_vs_full: Option<HalvingComparison>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub wide_vs_narrow: Option<WidthComparison>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub relax: Option<RelaxReport>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub rungs: Vec<shrink::search::RungReport>,
}

/// Computes the extras: the halving comparison, wide vs narrow, and the relaxed fits.
pub fn extras(
    spec: &ModelSpec,
    config: &SearchConfig,
    folds: &[Fold],
    outcome: &SearchOutcome,
    halving_vs_full: Option<HalvingComparison>,
    relax: bool,
) -> Result<Extras> {
    let relax = match (&outcome.selection, relax) {
        (Some(sel), true) => {
            let point = Point { l1_ratio: sel.l1_ratio, units: sel.units };
            let spec_p = config.dimensions.spec_at(spec, &point)?;
            let config_p = SearchConfig { penalty: point.family(&config.penalty)?, ..config.clone() };
            Some(shrink::search::relax::run(&spec_p, &config_p, folds, sel.alpha).context("--relax")?)
        }
        _ => None,
    };
    Ok(Extras { halving_vs_full, wide_vs_narrow: WidthComparison::of(outcome), relax, rungs: outcome.rungs.clone() })
}

/// Adds the extras' keys to `summary.json` (atomically).
pub fn amend_summary(path: &Path, extras: &Extras) -> Result<()> {
    let mut value: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(path)?)?;
    if let (Some(map), serde_json::Value::Object(add)) = (value.as_object_mut(), serde_json::to_value(extras)?) {
        map.extend(add);
    }
    shrink::files::write_atomic(path, serde_json::to_string_pretty(&value)?.as_bytes())?;
    Ok(())
}

impl Extras {
    /// The report lines.
    pub fn text(&self) -> String {
        let mut text = String::new();
        for r in &self.rungs {
            let kept: Vec<String> = r.ranking.iter().take(r.promoted.max(1)).map(|s| s.label()).collect();
            text += &format!(
                "Rung {} ({} epochs): {} candidates; {} {}.\n",
                r.rung,
                r.epochs,
                r.candidates,
                if r.promoted > 0 { "promoted" } else { "best" },
                kept.join("; ")
            );
        }
        if let Some(c) = &self.halving_vs_full {
            text += &format!(
                "Halving: {:.1} s of training against {:.1} s for the full grid ({:.2}× less); chosen {} (full grid: {}){}.\n",
                c.halving_trial_seconds,
                c.full_trial_seconds,
                c.speedup,
                c.halving_choice.as_deref().unwrap_or("none"),
                c.full_choice.as_deref().unwrap_or("none"),
                if c.agrees { ", the same" } else { ", they differ" }
            );
        }
        if let Some(w) = &self.wide_vs_narrow {
            text += &format!("{}\n", w.text());
        }
        if let Some(r) = &self.relax {
            text += &format!(
                "Relaxed fit at alpha {}: penalized {:.4} ± {:.4}, relaxed {:.4} ± {:.4} (support: {:.1} inputs, {:.0} of {} parameters, mean over {} fits).\n",
                r.alpha,
                r.penalized_mean,
                r.penalized_se,
                r.relaxed_mean,
                r.relaxed_se,
                r.inputs_kept_mean,
                r.parameters_mean,
                r.parameters_before,
                r.trials.len()
            );
        }
        text
    }
}
