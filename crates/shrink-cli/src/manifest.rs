//! `DIR/run.json`: what a command that writes an output folder was asked (argv), which shrink
//! wrote it, what it read (with SHA-256) and what it wrote. Written last, so its presence means
//! the run completed; no timestamps, so the same command over the same inputs writes the same
//! bytes.

use anyhow::{Context, Result};
use std::path::{Path, PathBuf};

pub(crate) const MANIFEST: &str = "run.json";

/// The inputs of a run, hashed when the run starts: an output may replace one of them
/// (`fine-tune --model DIR/model.safetensors --out DIR --force`).
pub(crate) struct Manifest {
    inputs: Vec<serde_json::Value>,
}

impl Manifest {
    pub(crate) fn read<'a>(inputs: impl IntoIterator<Item = &'a Path>) -> Result<Self> {
        let inputs = inputs
            .into_iter()
            .map(|path| {
                let sha256 =
                    shrink::files::sha256_file(path).with_context(|| format!("hashing input {}", path.display()))?;
                Ok(serde_json::json!({ "path": path.display().to_string(), "sha256": sha256 }))
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Manifest { inputs })
    }

    /// Writes `dir/run.json` for a run that wrote `files` (paths under `dir`).
    pub(crate) fn write(&self, dir: &Path, files: &[PathBuf]) -> Result<()> {
        let mut written: Vec<String> = files.iter().map(|f| relative(dir, f)).collect();
        written.sort();
        written.dedup();
        let value = serde_json::json!({
            "command": std::env::args().collect::<Vec<_>>(),
            "shrink_version": env!("CARGO_PKG_VERSION"),
            "inputs": self.inputs,
            "files": written,
        });
        let text = serde_json::to_string_pretty(&value)? + "\n";
        shrink::files::write_atomic(&dir.join(MANIFEST), text.as_bytes())?;
        Ok(())
    }
}

/// `file` relative to `dir` with `/` separators, so the manifest reads the same on every OS.
fn relative(dir: &Path, file: &Path) -> String {
    let rel = file.strip_prefix(dir).unwrap_or(file);
    rel.components().map(|c| c.as_os_str().to_string_lossy()).collect::<Vec<_>>().join("/")
}
