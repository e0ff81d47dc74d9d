//! `trials.csv`: one line per finished trial, appended, flushed and synced as soon as the trial
//! ends, so an interrupted search (Ctrl-C, kill, power loss) loses at most the trials still
//! running and a rerun skips every finished one.
//!
//! A search with grid dimensions or halving adds key columns, only then (a plain search keeps
//! the plain header): `l1_ratio` and `units` lead, before `alpha`; `rung` follows `fold`.

use crate::Error;
use serde::Serialize;
use std::collections::BTreeSet;
use std::fs::{File, OpenOptions};
use std::io::{Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

/// The header of `trials.csv`.
pub const HEADER: &str =
    "alpha,repeat,fold,seed,score,train_score,kernel_l2,zero_fraction,inputs_used,input_mask,seconds";

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
    /// The elastic-net mix, with `--l1-ratios`.
    pub l1_ratio: Option<f64>,
    /// The searched layer's width, with `--units`.
    pub units: Option<usize>,
    /// The halving rung (0 first) whose epochs the trial was trained to.
    pub rung: Option<usize>,
}

/// A trial's identity within one point of the grid dimensions, ordered by alpha (bit pattern of
/// a positive float orders like the float), repeat and fold.
pub type TrialKey = (u64, usize, usize);

/// A trial's full identity in `trials.csv`: mix, width, alpha, repeat, fold, rung.
pub type RecordKey = (Option<u64>, Option<usize>, u64, usize, usize, Option<usize>);

/// Which optional key columns a log has.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Columns {
    /// `l1_ratio`.
    pub l1_ratio: bool,
    /// `units`.
    pub units: bool,
    /// `rung`.
    pub rung: bool,
}

impl Columns {
    /// The header with these columns.
    pub fn header(&self) -> String {
        let mut cols: Vec<&str> = Vec::new();
        if self.l1_ratio {
            cols.push("l1_ratio");
        }
        if self.units {
            cols.push("units");
        }
        cols.extend(["alpha", "repeat", "fold"]);
        if self.rung {
            cols.push("rung");
        }
        cols.extend([
            "seed",
            "score",
            "train_score",
            "kernel_l2",
            "zero_fraction",
            "inputs_used",
            "input_mask",
            "seconds",
        ]);
        cols.join(",")
    }
}

impl TrialRecord {
    /// The record's key within its point (see [`TrialRecord::record_key`] for the full one).
    pub fn key(&self) -> TrialKey {
        (self.alpha.to_bits(), self.repeat, self.fold)
    }

    /// The record's full key.
    pub fn record_key(&self) -> RecordKey {
        (self.l1_ratio.map(f64::to_bits), self.units, self.alpha.to_bits(), self.repeat, self.fold, self.rung)
    }

    /// The grid point of the record.
    pub fn point(&self) -> super::dimensions::Point {
        super::dimensions::Point { l1_ratio: self.l1_ratio, units: self.units }
    }

    /// The CSV line in the plain columns.
    pub fn to_line(&self) -> String {
        self.to_line_with(Columns::default())
    }

    /// The CSV line (floats in shortest round-trip form, so a reread record is bit-identical).
    pub fn to_line_with(&self, columns: Columns) -> String {
        let opt = |v: Option<String>| v.unwrap_or_default();
        let mut keys = String::new();
        if columns.l1_ratio {
            keys += &format!("{},", opt(self.l1_ratio.map(|r| r.to_string())));
        }
        if columns.units {
            keys += &format!("{},", opt(self.units.map(|u| u.to_string())));
        }
        let rung = if columns.rung { format!(",{}", opt(self.rung.map(|r| r.to_string()))) } else { String::new() };
        format!(
            "{keys}{},{},{}{rung},{},{},{},{},{},{},{},{}\n",
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

    /// A record from its CSV line in `columns` (without the newline), as
    /// [`TrialRecord::to_line_with`] writes it; `None` for a line that is not one.
    pub fn from_line(line: &str, columns: Columns) -> Option<Self> {
        let mut f: Vec<&str> = line.split(',').collect();
        let mut take = |on: bool, at: usize| if on && at < f.len() { Some(f.remove(at)) } else { None };
        let l1_ratio = take(columns.l1_ratio, 0);
        let units = take(columns.units, 0);
        let rung = take(columns.rung, 3);
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
        // A key column that is present must hold a value: every trial of such a search has one.
        let l1_ratio = l1_ratio.map(|t| t.parse::<f64>().ok()).map_or(Some(None), |v| v.map(Some))?;
        let units = units.map(|t| t.parse::<usize>().ok()).map_or(Some(None), |v| v.map(Some))?;
        let rung = rung.map(|t| t.parse::<usize>().ok()).map_or(Some(None), |v| v.map(Some))?;
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
            l1_ratio,
            units,
            rung,
        })
    }
}

/// An open `trials.csv`, positioned for appending.
#[derive(Debug)]
pub struct TrialLog {
    path: PathBuf,
    file: File,
    columns: Columns,
}

impl TrialLog {
    /// Opens (creating, or with `fresh` emptying) the log and returns the finished trials in
    /// it. A last line without its newline is a write cut short: it is dropped and the file
    /// truncated before it, so the trial runs again. Any other unreadable line is an error
    /// (the file is not ours to repair). Duplicate keys keep the first record.
    pub fn open(path: &Path, fresh: bool) -> Result<(Self, Vec<TrialRecord>), Error> {
        Self::open_with(path, fresh, Columns::default())
    }

    /// [`TrialLog::open`] for a log with the optional key `columns`.
    pub fn open_with(path: &Path, fresh: bool, columns: Columns) -> Result<(Self, Vec<TrialRecord>), Error> {
        let header = columns.header();
        let io = |source| Error::Io { path: path.display().to_string(), source };
        let text =
            if fresh { String::new() } else { std::fs::read_to_string(path).or_else(not_found_empty).map_err(io)? };
        let (records, keep) = parse_log(path, &text, &header, columns)?;
        let mut file = OpenOptions::new().create(true).truncate(false).read(true).write(true).open(path).map_err(io)?;
        file.set_len(keep as u64).map_err(io)?;
        file.seek(SeekFrom::End(0)).map_err(io)?;
        let mut log = TrialLog { path: path.to_path_buf(), file, columns };
        if keep == 0 {
            log.write(&format!("{header}\n"))?;
        }
        Ok((log, records))
    }

    /// Appends one record and syncs it to disk before returning.
    pub fn append(&mut self, record: &TrialRecord) -> Result<(), Error> {
        self.write(&record.to_line_with(self.columns))
    }

    /// Closes the log and rewrites it with `records` in trial order (alpha, repeat, fold), so
    /// a finished search leaves the same bytes at any thread count (the append order is the
    /// order trials happened to finish in). Atomic: an interruption leaves the appended log.
    pub fn finish(self, records: &[TrialRecord]) -> Result<(), Error> {
        let (path, columns) = (self.path.clone(), self.columns);
        drop(self);
        let mut sorted: Vec<&TrialRecord> = records.iter().collect();
        sorted.sort_by_key(|r| r.record_key());
        sorted.dedup_by_key(|r| r.record_key());
        let mut text = format!("{}\n", columns.header());
        for r in sorted {
            text.push_str(&r.to_line_with(columns));
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

/// Reads the log at `path` without changing it (another process may be appending to it): the
/// finished trials, a torn last line left out. A missing file holds none.
pub fn read_log(path: &Path, columns: Columns) -> Result<Vec<TrialRecord>, Error> {
    let io = |source| Error::Io { path: path.display().to_string(), source };
    let text = std::fs::read_to_string(path).or_else(not_found_empty).map_err(io)?;
    Ok(parse_log(path, &text, &columns.header(), columns)?.0)
}

/// The records of a log's text and the bytes of its complete, valid lines.
fn parse_log(path: &Path, text: &str, header: &str, columns: Columns) -> Result<(Vec<TrialRecord>, usize), Error> {
    let mut records = Vec::new();
    let mut seen = BTreeSet::new();
    let mut keep = 0; // bytes of complete, valid lines
    for (i, line) in text.split_inclusive('\n').enumerate() {
        if !line.ends_with('\n') {
            break; // a torn last line
        }
        let body = line.trim_end();
        if i == 0 {
            // A header before `inputs_used` and `input_mask` (which `alphas.csv` is rebuilt
            // from) is refused with the way out, not misread.
            if body == header.replace(",inputs_used,input_mask", "") {
                return Err(Error::Io {
                    path: path.display().to_string(),
                    source: std::io::Error::other(
                        "written by an earlier shrink, without the inputs_used and input_mask columns that \
                             alphas.csv is built from; pass --force to start the search over",
                    ),
                });
            }
            if body != header {
                return Err(Error::Io {
                    path: path.display().to_string(),
                    source: std::io::Error::other(format!(
                        "not a trials file of this search: header is `{body}`, expected `{header}`"
                    )),
                });
            }
        } else {
            let record = TrialRecord::from_line(body, columns).ok_or_else(|| Error::Io {
                path: path.display().to_string(),
                source: std::io::Error::other(format!("line {}: cannot read `{body}`", i + 1)),
            })?;
            if seen.insert(record.record_key()) {
                records.push(record);
            }
        }
        keep += line.len();
    }
    Ok((records, keep))
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
            l1_ratio: None,
            units: None,
            rung: None,
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
        std::fs::write(
            &path,
            "alpha,repeat,fold,seed,score,train_score,kernel_l2,zero_fraction,seconds\n1e-3,0,1,7,0.5,0.5,1,0,0.01\n",
        )
        .unwrap();
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
        // Key columns: a mix and width lead, a rung follows the fold; each is part of the key.
        let columns = Columns { l1_ratio: true, units: true, rung: true };
        assert_eq!(
            columns.header(),
            "l1_ratio,units,alpha,repeat,fold,rung,seed,score,train_score,kernel_l2,zero_fraction,inputs_used,input_mask,seconds"
        );
        let at = |rung| TrialRecord { l1_ratio: Some(0.5), units: Some(64), rung: Some(rung), ..rec(1e-3, 0) };
        let (mut log, _) = TrialLog::open_with(&path, true, columns).unwrap();
        for r in [at(1), at(0), TrialRecord { units: Some(8), ..at(0) }] {
            log.append(&r).unwrap();
        }
        drop(log);
        assert!(std::fs::read_to_string(&path).unwrap().contains("\n0.5,64,0.001,0,1,1,7,"));
        let (_, reread) = TrialLog::open_with(&path, false, columns).unwrap();
        assert_eq!(reread, [at(1), at(0), TrialRecord { units: Some(8), ..at(0) }]);
        assert!(TrialLog::open(&path, false).is_err());
        std::fs::write(&path, format!("{}\n0.5,,0.001,0,1,1,7,0.3,0.3,2.5,0,0.01\n", columns.header())).unwrap();
        assert!(TrialLog::open_with(&path, false, columns).is_err());
        let _ = std::fs::remove_dir_all(&dir);
    }
}
