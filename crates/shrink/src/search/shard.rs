//! `--shard K/N`: one of N independent processes of a search (a Slurm job array, plain `&`),
//! each running every N-th unit of work and logging to its own `trials.K-of-N.csv`.
//!
//! **The unit index.** Units are numbered over the full planned search, before anything is
//! skipped as done, so every shard agrees on the numbering whatever its own log holds: grid
//! points (mix, then width, as [`super::Dimensions::points`] lists them) in order, and within a
//! point the units [`super::warm::chains`] plans with nothing done — a cold trial per (alpha in
//! the order given, repeat, fold), or one warm path per (repeat, fold), since a path's later
//! alphas need the earlier weights. Shard K runs the units whose index is ≡ K (mod N).
//!
//! Refinement and successive halving decide what to train from the scores of other trials,
//! which a shard does not have: [`Shard::check`] refuses them.

use super::run::SearchConfig;
use crate::Error;
use std::path::{Path, PathBuf};

/// Shard `index` of `count` (`0 ≤ index < count`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    index: usize,
    count: usize,
}

impl Shard {
    /// Shard `index` of `count`, checked.
    pub fn new(index: usize, count: usize) -> Result<Shard, Error> {
        if count == 0 {
            return Err(Error::invalid("shard", "K/N with N ≥ 1", format!("{index}/{count}")));
        }
        if index >= count {
            return Err(Error::invalid("shard", "K/N with 0 ≤ K < N (K counts from 0)", format!("{index}/{count}")));
        }
        Ok(Shard { index, count })
    }

    /// K.
    pub fn index(&self) -> usize {
        self.index
    }

    /// N.
    pub fn count(&self) -> usize {
        self.count
    }

    /// Whether this shard runs unit `unit` (its index over the full planned search).
    pub fn owns(&self, unit: usize) -> bool {
        unit % self.count == self.index
    }

    /// The same shard seen from a list whose first unit has global index `offset`: owning
    /// local unit `j` then means owning global unit `offset + j`.
    pub fn after(&self, offset: usize) -> Shard {
        let shift = offset % self.count;
        Shard { index: (self.index + self.count - shift) % self.count, count: self.count }
    }

    /// Refuses settings whose units depend on other trials' results.
    pub fn check(&self, config: &SearchConfig) -> Result<(), Error> {
        if config.refine {
            return Err(Error::invalid(
                "shard",
                "a search without --refine (its points come from the whole grid's scores); \
                 run the shards without --refine, then the merge run with it",
                format!("{self} with --refine"),
            ));
        }
        if config.halving.is_some() {
            return Err(Error::invalid(
                "shard",
                "a search without --prune-trials halving (each rung promotes by the scores of all trials)",
                format!("{self} with halving"),
            ));
        }
        Ok(())
    }

    /// The shard's trial log, `DIR/trials.K-of-N.csv`.
    pub fn log_path(&self, dir: &Path) -> PathBuf {
        dir.join(format!("trials.{}-of-{}.csv", self.index, self.count))
    }

    /// The shard's settings, `DIR/trials.K-of-N.json` (the search fingerprint it ran with).
    pub fn settings_path(&self, dir: &Path) -> PathBuf {
        dir.join(format!("trials.{}-of-{}.json", self.index, self.count))
    }

    /// The shard's lock file name inside DIR (its own, so that shards run side by side).
    pub fn lock_name(&self) -> String {
        format!(".shrink.{}-of-{}.lock", self.index, self.count)
    }

    /// The shard a file name `trials.K-of-N.csv` belongs to, if it is one.
    pub fn of_log_name(name: &str) -> Option<Shard> {
        let (k, n) = name.strip_prefix("trials.")?.strip_suffix(".csv")?.split_once("-of-")?;
        let digits = |t: &str| !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit());
        if !digits(k) || !digits(n) {
            return None;
        }
        Shard::new(k.parse().ok()?, n.parse().ok()?).ok()
    }

    /// Every shard log in `dir`, ordered by (N, K) so that merging is deterministic.
    pub fn logs_in(dir: &Path) -> Result<Vec<Shard>, Error> {
        let entries = match std::fs::read_dir(dir) {
            Ok(e) => e,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(source) => return Err(Error::Io { path: dir.display().to_string(), source }),
        };
        let mut out = Vec::new();
        for entry in entries {
            let entry = entry.map_err(|source| Error::Io { path: dir.display().to_string(), source })?;
            if let Some(s) = entry.file_name().to_str().and_then(Shard::of_log_name) {
                out.push(s);
            }
        }
        out.sort_by_key(|s| (s.count, s.index));
        Ok(out)
    }
}

impl std::fmt::Display for Shard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

impl std::str::FromStr for Shard {
    type Err = Error;
    /// `K/N`, both whole numbers.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let bad = || Error::invalid("shard", "K/N with whole numbers 0 ≤ K < N, such as 0/4", text);
        let (k, n) = text.trim().split_once('/').ok_or_else(bad)?;
        let (k, n) = (k.trim().parse::<usize>().map_err(|_| bad())?, n.trim().parse::<usize>().map_err(|_| bad())?);
        Shard::new(k, n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_checks_and_partitions() {
        let s: Shard = "1/3".parse().unwrap();
        assert_eq!((s.index(), s.count()), (1, 3));
        for bad in ["3/3", "4/3", "0/0", "1", "a/3", "-1/3", "1/3/4", ""] {
            let e = bad.parse::<Shard>().unwrap_err().to_string();
            assert!(e.contains("shard"), "{bad}: {e}");
        }
        // Every unit belongs to exactly one shard, also seen from an offset.
        let shards: Vec<Shard> = (0..3).map(|k| Shard::new(k, 3).unwrap()).collect();
        for unit in 0..20 {
            assert_eq!(shards.iter().filter(|s| s.owns(unit)).count(), 1);
            for offset in [0, 1, 5, 7] {
                for s in &shards {
                    if unit >= offset {
                        assert_eq!(s.after(offset).owns(unit - offset), s.owns(unit));
                    }
                }
            }
        }
        assert_eq!(Shard::of_log_name("trials.2-of-5.csv"), Some(Shard::new(2, 5).unwrap()));
        for name in ["trials.csv", "trials.5-of-5.csv", "trials.+1-of-5.csv", "trials.1-of-5.json"] {
            assert_eq!(Shard::of_log_name(name), None, "{name}");
        }
        assert_eq!(s.log_path(Path::new("d")), Path::new("d/trials.1-of-3.csv"));
    }
}
