//! `shrink search --shard K/N`: one of N independent processes of a search, and the merge of
//! their logs by a later run without `--shard`.
//!
//! A shard writes only `DIR/trials.K-of-N.csv` (its trials, appended and synced as they
//! finish) and `DIR/trials.K-of-N.json` (the search fingerprint it ran with), under its own
//! lock `DIR/.shrink.K-of-N.lock` and a *shared* lock on `DIR/.shrink.lock`: shards run side by
//! side, while a plain or merge run (which locks the folder exclusively) waits for none of them
//! but refuses to start while any runs, and no shard starts during one. The merge run reuses a
//! shard's trials only when its fingerprint equals the run's own (same spec, settings and data
//! contents), exactly as `trials.csv` is resumed.

use crate::cmd::search::Plan;
use anyhow::{bail, Context, Result};
use shrink::search::{read_log, run_search, SearchConfig, Shard, TrialLog, TrialRecord};
use std::collections::BTreeSet;
use std::path::Path;
use std::sync::Mutex;

/// Runs shard `shard` of the search into `dir`.
pub(crate) fn run_shard(plan: &Plan, shard: Shard, dir: &Path, force: bool) -> Result<()> {
    let settings = shard.settings_path(dir);
    let log_path = shard.log_path(dir);
    // A folder that holds another search is refused before anything is written, as for a
    // plain run; a shard never writes search.json (the merge run does).
    if !force {
        for file in [dir.join("search.json"), settings.clone()] {
            if let Ok(old) = std::fs::read_to_string(&file) {
                if old != plan.fingerprint {
                    bail!(
                        "{} holds a search with other settings ({} changed); pass --force to start this shard over",
                        file.display(),
                        crate::cmd::search::changed_keys(&old, &plan.fingerprint)
                    );
                }
            }
        }
        // The other shards in the folder: their merge would refuse this one's trials.
        for other in Shard::logs_in(dir)?.into_iter().filter(|s| *s != shard) {
            let file = other.settings_path(dir);
            if let Ok(old) = std::fs::read_to_string(&file) {
                if old != plan.fingerprint {
                    bail!(
                        "{} holds shard {other} of a search with other settings ({} changed); the shards of one \
                         folder must run one search: use another --out, or pass --force to start this shard over \
                         (the merge run then needs --force too, which drops the other shards' files)",
                        file.display(),
                        crate::cmd::search::changed_keys(&old, &plan.fingerprint)
                    );
                }
            }
        }
    }
    let _folder = shrink::files::OutputLock::acquire_shared(dir)?;
    let _mine =
        shrink::files::OutputLock::acquire_named(dir, &shard.lock_name()).with_context(|| format!("shard {shard}"))?;
    shrink::files::write_atomic(&settings, plan.fingerprint.as_bytes())?;
    let columns = crate::cmd::search_grid::columns(&plan.config);
    let (log, done) = TrialLog::open_with(&log_path, force, columns)?;
    let from_log = done.len();
    let log = Mutex::new(log);
    let sink = |r: &TrialRecord| {
        log.lock().map_err(|_| shrink::Error::invalid("trial log", "unpoisoned", "poisoned"))?.append(r)
    };
    let bar = crate::cmd::search::progress_bar(&format!("shard {shard}"));
    let progress = |done: usize, total: usize| {
        bar.set_length(total as u64);
        bar.set_position(done as u64);
    };
    let outcome = run_search(&plan.spec, &plan.config, &plan.folds, done, &sink, &progress)?;
    bar.finish_and_clear();
    log.into_inner()
        .map_err(|_| shrink::Error::invalid("trial log", "unpoisoned", "poisoned"))?
        .finish(&outcome.records)?;
    crate::print(&format!(
        "shard {shard}: {} trials ({} trained now, {from_log} from {}) in {:.1} s on {} threads; wrote {}\n\
         run the same command without --shard to merge the shards and write the summary\n",
        outcome.records.len(),
        outcome.trained,
        log_path.display(),
        outcome.seconds,
        plan.config.threads,
        log_path.display()
    ))
}

/// The trials of every shard log in `dir` whose fingerprint is this search's, for a run
/// without `--shard`; a shard of another search is an error naming it. With `force` the
/// shard files are removed instead (the search starts over).
pub(crate) fn merged(plan: &Plan, config: &SearchConfig, dir: &Path, force: bool) -> Result<Vec<TrialRecord>> {
    let mut out = Vec::new();
    for shard in Shard::logs_in(dir)? {
        let (log, settings) = (shard.log_path(dir), shard.settings_path(dir));
        if force {
            for f in [&log, &settings] {
                std::fs::remove_file(f).or_else(ignore_missing).with_context(|| format!("{}", f.display()))?;
            }
            continue;
        }
        let old = std::fs::read_to_string(&settings)
            .with_context(|| format!("{} has no settings file beside it; remove it or pass --force", log.display()))?;
        if old != plan.fingerprint {
            bail!(
                "{} was written by a search with other settings ({} changed); remove it and {} \
                 (or pass --force to start over)",
                log.display(),
                crate::cmd::search::changed_keys(&old, &plan.fingerprint),
                settings.display()
            );
        }
        out.extend(read_log(&log, crate::cmd::search_grid::columns(config))?);
    }
    Ok(out)
}

/// `done` followed by `more`, the first record of each key kept (all are the same trial on
/// the same inputs, so which one is kept changes nothing but the `seconds` column).
pub(crate) fn union(done: Vec<TrialRecord>, more: Vec<TrialRecord>) -> Vec<TrialRecord> {
    let mut seen = BTreeSet::new();
    done.into_iter().chain(more).filter(|r| seen.insert(r.record_key())).collect()
}

fn ignore_missing(e: std::io::Error) -> std::io::Result<()> {
    if e.kind() == std::io::ErrorKind::NotFound {
        Ok(())
    } else {
        Err(e)
    }
}
