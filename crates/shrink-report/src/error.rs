//! The one error type of the crate.
//!
//! Every variant carries the path the caller asked for, because the CLI writes dozens of plots
//! per run and an error without a file name cannot be traced back to the figure that failed.

use std::path::PathBuf;

/// Why a chart or table could not be written.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// The chart holds nothing drawable (no series, or only non-finite values), so an empty
    /// picture would hide an upstream bug instead of showing a result.
    #[error("cannot plot {path}: no finite data to draw")]
    NoData {
        /// Output stem the chart was meant for.
        path: PathBuf,
    },
    /// The data cannot be shown as asked (mismatched lengths, x <= 0 on a log axis, ...);
    /// `reason` names the offending series or group.
    #[error("cannot plot {path}: {reason}")]
    InvalidData {
        /// Output stem the chart was meant for.
        path: PathBuf,
        /// What is wrong, naming the series or group.
        reason: String,
    },
    /// The output stem has no file name (empty, `..`, or ends in a separator).
    #[error("invalid output stem {path}: it has no file name")]
    InvalidStem {
        /// The stem as given.
        path: PathBuf,
    },
    /// The embedded font was rejected by the text renderer.
    #[error("cannot plot {path}: the embedded font could not be loaded")]
    Font {
        /// Output stem the chart was meant for.
        path: PathBuf,
    },
    /// plotters failed while drawing or encoding the picture.
    #[error("cannot render {path}: {message}")]
    Render {
        /// File that was being rendered.
        path: PathBuf,
        /// The backend's description of the failure.
        message: String,
    },
    /// Creating a directory or writing, syncing or renaming a file failed.
    #[error("cannot write {path}: {source}")]
    Io {
        /// File or directory the operation was on.
        path: PathBuf,
        /// The underlying I/O error.
        source: std::io::Error,
    },
}

/// A data problem found before the output path is attached.
///
/// Chart preparation knows the data but not where the picture goes; `at` adds the path so the
/// public error always names it.
#[derive(Debug)]
pub(crate) enum DataError {
    NoData,
    Invalid(String),
}

impl DataError {
    pub(crate) fn at(self, stem: &std::path::Path) -> ReportError {
        match self {
            DataError::NoData => ReportError::NoData { path: stem.to_path_buf() },
            DataError::Invalid(reason) => ReportError::InvalidData { path: stem.to_path_buf(), reason },
        }
    }
}
