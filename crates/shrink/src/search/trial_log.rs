//! `trials.csv`: one line per finished trial, appended, flushed and synced as soon as the trial
//! ends, so an interrupted search (Ctrl-C, kill, power loss) loses at most the trials still
//! running and a rerun skips every finished one.

use crate::Error;
use serde::Serialize;
use std::collections::BTreeSet;
use std::fs::{File, OpenOptions};
use std::io::{Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

/// The header of `trials.csv`.
pub const HEADER: &str =
    "alpha,repeat,fold,seed,score,train_score,kernel_l2,zero_fraction,inputs_used,input_mask,seconds";

/// The header before `inputs_used` and `input_mask` (which `alphas.csv` is rebuilt from): such
/// a log is refused with the way out, not misread.
const OLD_HEADER: &str = "alpha,repeat,fold,seed,score,train_score,kernel_l2,zero_fraction,seconds";

/// What one trial (an alpha, a repeat, a fold) measured.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TrialRecord {
    /// Penalty strength.
    pub alpha: f64,
    /// Repeat index; the trial's seed is `spec.seed + repeat`.
    pub repeat: usize,
    /// Validation fold (0 without cross-validation).
    pub fold: usize,
    /// The seed of initialization and shuffling.
    pub seed: u64,
    /// Validation score (see [`super::score::ScoreKind`]).
    pub score: f64,
    /// The same measure on the trial's training rows.
    pub train_score: f64,
    /// L2 norm of the searched parameters after training.
    pub kernel_l2: f64,
    /// Fraction of exact zeros in the searched parameters.
    pub zero_fraction: f64,
    /// Rows of the first searched 2-D kernel with a non-zero weight (on the first layer: the
    /// inputs the trial still uses); `None` without such a kernel or for a diverged trial.
    pub inputs_used: Option<usize>,
    /// Which rows those are, one `1` (used) or `0` per row; empty when `inputs_used` is `None`.
    pub input_mask: String,
    /// Wall time of the trial (the only column that differs between identical runs).
    pub seconds: f64,
}

/// A trial's identity, ordered by alpha (bit pattern of a positive float orders like the
/// float), repeat and fold.
pub type TrialKey = (u64, usize, usize);

impl TrialRecord {
    /// The record's key.
    pub fn key(&self) -> TrialKey {
        (self.alpha.to_bits(), self.repeat, self.fold)
    }

    /// The CSV line (floats in shortest round-trip form, so a reread record is bit-identical).
    pub fn to_line(&self) -> String {
        format!(
            "{},{},{},{},{},{},{},{},{},{},{}\n",
            self.alpha,
            self.repeat,
            self.fold,
            self.seed,
            self.score,
            self.train_score,
            self.kernel_l2,
            self.zero_fraction,
            self.inputs_used.map_or(String::new(), |n| n.to_string()),
            self.input_mask,
            self.seconds
        )
    }

    fn parse(line: &str) -> Option<Self> {
        let f: Vec<&str> = line.split(',').collect();
        if f.len() != 11 {
            return None;
        }
        let inputs_used = if f[8].is_empty() { None } else { Some(f[8].parse().ok()?) };
        let input_mask = f[9].to_string();
        if !input_mask.bytes().all(|b| b == b'0' || b == b'1')
            || inputs_used != (!input_mask.is_empty()).then(|| input_mask.bytes().filter(|&b| b == b'1').count())
        {
            return None;
        }
        let x = |i: usize| f[i].parse::<f64>().ok();
        Some(TrialRecord {
            alpha: x(0)?,
            repeat: f[1].parse().ok()?,
            fold: f[2].parse().ok()?,
            seed: f[3].parse().ok()?,
            score: x(4)?,
            train_score: x(5)?,
            kernel_l2: x(6)?,
            zero_fraction: x(7)?,
            inputs_used,
            input_mask,
            seconds: x(10)?,
        })
    }
}

/// An open `trials.csv`, positioned for appending.
#[derive(Debug)]
pub struct TrialLog {
    path: PathBuf,
    file: File,
}

impl TrialLog {
    /// Opens (creating, or with `fresh` emptying) the log and returns the finished trials in
    /// it. A last line without its newline is a write cut short: it is dropped and the file
    /// truncated before it, so the trial runs again. Any other unreadable line is an error
    /// (the file is not ours to repair). Duplicate keys keep the first record.
    pub fn open(path: &Path, fresh: bool) -> Result<(Self, Vec<TrialRecord>), Error> {
        let io = |source| Error::Io { path: path.display().to_string(), source };
        let text =
            if fresh { String::new() } else { std::fs::read_to_string(path).or_else(not_found_empty).map_err(io)? };
        let mut records = Vec::new();
        let mut seen = BTreeSet::new();
        let mut keep = 0; // bytes of complete, valid lines
        for (i, line) in text.split_inclusive('\n').enumerate() {
            if !line.ends_with('\n') {
                break; // a torn last line
            }
            let body = line.trim_end();
            if i == 0 {
                if body == OLD_HEADER {
                    return Err(Error::Io {
                        path: path.display().to_string(),
                        source: std::io::Error::other(
                            "written by an earlier shrink, without the inputs_used and input_mask columns that \
                             alphas.csv is built from; pass --force to start the search over",
                        ),
                    });
                }
                if body != HEADER {
                    return Err(Error::Io {
                        path: path.display().to_string(),
                        source: std::io::Error::other(format!(
                            "not a trials file: header is `{body}`, expected `{HEADER}`"
                        )),
                    });
                }
            } else {
                let record = TrialRecord::parse(body).ok_or_else(|| Error::Io {
                    path: path.display().to_string(),
                    source: std::io::Error::other(format!("line {}: cannot read `{body}`", i + 1)),
                })?;
                if seen.insert(record.key()) {
                    records.push(record);
                }
            }
            keep += line.len();
        }
        let mut file = OpenOptions::new().create(true).truncate(false).read(true).write(true).open(path).map_err(io)?;
        file.set_len(keep as u64).map_err(io)?;
        file.seek(SeekFrom::End(0)).map_err(io)?;
        let mut log = TrialLog { path: path.to_path_buf(), file };
        if keep == 0 {
            log.write(&format!("{HEADER}\n"))?;
        }
        Ok((log, records))
    }

    /// Appends one record and syncs it to disk before returning.
    pub fn append(&mut self, record: &TrialRecord) -> Result<(), Error> {
        self.write(&record.to_line())
    }

    /// Closes the log and rewrites it with `records` in trial order (alpha, repeat, fold), so
    /// a finished search leaves the same bytes at any thread count (the append order is the
    /// order trials happened to finish in). Atomic: an interruption leaves the appended log.
    pub fn finish(self, records: &[TrialRecord]) -> Result<(), Error> {
        let path = self.path.clone();
        drop(self);
        let mut sorted: Vec<&TrialRecord> = records.iter().collect();
        sorted.sort_by_key(|r| r.key());
        sorted.dedup_by_key(|r| r.key());
        let mut text = format!("{HEADER}\n");
        for r in sorted {
            text.push_str(&r.to_line());
        }
        Ok(crate::files::write_atomic(&path, text.as_bytes())?)
    }

    fn write(&mut self, text: &str) -> Result<(), Error> {
        let io = |source| Error::Io { path: self.path.display().to_string(), source };
        self.file.write_all(text.as_bytes()).map_err(io)?;
        self.file.flush().map_err(io)?;
        self.file.sync_all().map_err(io)
    }
}

fn not_found_empty(e: std::io::Error) -> std::io::Result<String> {
    if e.kind() == std::io::ErrorKind::NotFound {
        Ok(String::new())
    } else {
        Err(e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(alpha: f64, repeat: usize) -> TrialRecord {
        TrialRecord {
            alpha,
            repeat,
            fold: 1,
            seed: 7 + repeat as u64,
            score: 0.1 + 0.2,
            train_score: 1.0 / 3.0,
            kernel_l2: 2.5,
            zero_fraction: 0.0,
            inputs_used: Some(2),
            input_mask: "0110".to_string(),
            seconds: 0.01,
        }
    }

    #[test]
    fn appends_resumes_and_drops_a_torn_line() {
        let dir = std::env::temp_dir().join(format!("shrink-trial-log-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("trials.csv");
        let (mut log, old) = TrialLog::open(&path, false).unwrap();
        assert!(old.is_empty());
        log.append(&rec(1e-3, 0)).unwrap();
        log.append(&rec(1e-3, 1)).unwrap();
        drop(log);
        // A crash in the middle of the third line.
        let mut f = OpenOptions::new().append(true).open(&path).unwrap();
        f.write_all(b"0.01,0,1,7,0.5").unwrap();
        drop(f);
        let (mut log, old) = TrialLog::open(&path, false).unwrap();
        assert_eq!(old, [rec(1e-3, 0), rec(1e-3, 1)]);
        log.append(&rec(1e-2, 0)).unwrap();
        drop(log);
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(text.lines().count(), 4);
        assert!(text.starts_with(HEADER));
        assert_eq!(TrialLog::open(&path, false).unwrap().1.len(), 3);
        // A damaged line in the middle is an error; `fresh` starts over.
        std::fs::write(&path, format!("{HEADER}\nbad\n{}", rec(1e-3, 0).to_line())).unwrap();
        assert!(TrialLog::open(&path, false).is_err());
        assert!(TrialLog::open(&path, true).unwrap().1.is_empty());
        assert_eq!(std::fs::read_to_string(&path).unwrap(), format!("{HEADER}\n"));
        // A log of an earlier version is refused with the way out; a count that disagrees
        // with its mask is a damaged line.
        std::fs::write(&path, format!("{OLD_HEADER}\n1e-3,0,1,7,0.5,0.5,1,0,0.01\n")).unwrap();
        let e = TrialLog::open(&path, false).unwrap_err().to_string();
        assert!(e.contains("--force") && e.contains("inputs_used"), "{e}");
        let bad = rec(1e-3, 0).to_line().replace(",2,0110,", ",3,0110,");
        std::fs::write(&path, format!("{HEADER}\n{bad}")).unwrap();
        assert!(TrialLog::open(&path, false).is_err());
        // A finished search rewrites the log in trial order.
        let (mut log, _) = TrialLog::open(&path, true).unwrap();
        let finished = [rec(1e-2, 1), rec(1e-3, 0), rec(1e-2, 0)];
        for r in &finished {
            log.append(r).unwrap();
        }
        log.finish(&finished).unwrap();
        let (_, reread) = TrialLog::open(&path, false).unwrap();
        assert_eq!(reread, [rec(1e-3, 0), rec(1e-2, 0), rec(1e-2, 1)]);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
