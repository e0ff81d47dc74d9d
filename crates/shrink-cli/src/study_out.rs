//! Files of a study (`case-study`, the examples): one folder, text and JSON written atomically,
//! charts as PNG and SVG, and the list of what was written.

use anyhow::{Context, Result};
use shrink::study::Stats;
use shrink_report::{format_mean_sd, write_box_chart, write_line_chart, BoxChart, LineChart};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// Takes an output folder for a study before any work: a folder that already holds files is
/// refused unless `force` (naming a few of them), and the folder is locked against a second
/// writer until the returned lock is dropped.
pub(crate) fn claim(dir: &Path, force: bool) -> Result<shrink::files::OutputLock> {
    if !force {
        let mut held: Vec<String> = match std::fs::read_dir(dir) {
            Ok(entries) => entries
                .filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| n != shrink::files::LOCK_FILE)
                .collect(),
            Err(_) => Vec::new(),
        };
        if !held.is_empty() {
            held.sort();
            let shown = shrink::data::summarize_list(&held);
            anyhow::bail!("{} already holds results ({shown}); pass --force to replace them", dir.display());
        }
    }
    Ok(shrink::files::OutputLock::acquire(dir)?)
}

pub(crate) struct Outputs {
    dir: PathBuf,
    pub(crate) files: Vec<PathBuf>,
}

impl Outputs {
    pub(crate) fn new(dir: &Path) -> Result<Self> {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create output folder {}", dir.display()))?;
        Ok(Outputs { dir: dir.to_path_buf(), files: Vec::new() })
    }

    pub(crate) fn text(&mut self, name: &str, text: &str) -> Result<()> {
        let path = self.dir.join(name);
        shrink::files::write_atomic(&path, text.as_bytes())?;
        self.files.push(path);
        Ok(())
    }

    pub(crate) fn json(&mut self, name: &str, value: &serde_json::Value) -> Result<()> {
        self.text(name, &serde_json::to_string_pretty(value)?)
    }

    pub(crate) fn line_chart(&mut self, chart: &LineChart, stem: &str) -> Result<()> {
        self.files.extend(write_line_chart(chart, &self.dir.join(stem))?);
        Ok(())
    }

    pub(crate) fn box_chart(&mut self, chart: &BoxChart, stem: &str) -> Result<()> {
        self.files.extend(write_box_chart(chart, &self.dir.join(stem))?);
        Ok(())
    }

    /// Writes the run's manifest (the examples read no files: their data is compiled in), then
    /// prints `text` and a `wrote PATH` line per file.
    pub(crate) fn print_with(self, mut text: String) -> Result<()> {
        crate::manifest::Manifest::read([])?.write(&self.dir, &self.files)?;
        for f in self.files {
            let _ = writeln!(text, "wrote {}", f.display());
        }
        crate::print(&text)
    }
}

/// `mean ± sd` of a table cell.
pub(crate) fn cell(stats: &Stats, digits: usize) -> String {
    format_mean_sd(stats.mean, stats.sd, digits)
}
