//! The one error type of the crate.
//!
//! Every variant that stems from a file carries the path and a 1-based line number (the
//! header is line 1) so that a user can open the file and jump straight to the problem;
//! cell-level variants also carry the column (1-based number and header name) and the
//! offending text verbatim, because "could not parse a number" alone is useless on a
//! table with thousands of cells.

use std::path::PathBuf;

use crate::clip::summarize;

/// Everything that can go wrong while generating, reading, scaling or splitting data.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DataError {
    /// The file could not be opened or read.
    #[error("{path}: cannot read file: {source}")]
    Io {
        /// File being read.
        path: PathBuf,
        /// Underlying operating-system error.
        #[source]
        source: std::io::Error,
    },

    /// The CSV parser itself rejected the input.
    #[error("{path}: line {line}: malformed CSV: {}", summarize(.message))]
    Csv {
        /// File being read.
        path: PathBuf,
        /// 1-based line where the parser gave up (0 when unknown).
        line: u64,
        /// Parser message.
        message: String,
    },

    /// The file has no header row at all.
    #[error("{path}: file is empty; expected a header row of column names")]
    EmptyFile {
        /// File being read.
        path: PathBuf,
    },

    /// The file has a header but no data rows.
    #[error("{path}: no data rows after the header on line 1")]
    NoRows {
        /// File being read.
        path: PathBuf,
    },

    /// A header cell is blank, so the column could never be referred to by name.
    #[error("{path}: line 1, column {column}: empty column name")]
    EmptyColumnName {
        /// File being read.
        path: PathBuf,
        /// 1-based column number.
        column: usize,
    },

    /// A cell that is not valid UTF-8 text.
    #[error("{path}: line {line}, column {column}: not valid UTF-8 text; save the file as UTF-8")]
    Encoding {
        /// File being read.
        path: PathBuf,
        /// 1-based line number.
        line: u64,
        /// 1-based column number.
        column: usize,
    },

    /// Two header cells carry the same name, which would make `--target` ambiguous.
    #[error("{path}: line 1, column {column}: duplicate column name `{}` (first seen in column {first})", summarize(.name))]
    DuplicateColumn {
        /// File being read.
        path: PathBuf,
        /// 1-based column number of the repeated name.
        column: usize,
        /// 1-based column number of its first occurrence.
        first: usize,
        /// The repeated name.
        name: String,
    },

    /// A data row has a different number of cells than the header.
    #[error("{path}: line {line}: expected {expected} fields like the header, found {found}")]
    RaggedRow {
        /// File being read.
        path: PathBuf,
        /// 1-based line number.
        line: u64,
        /// Number of header fields.
        expected: usize,
        /// Number of fields on this line.
        found: usize,
    },

    /// A cell is empty, non-numeric, or a non-finite number (`NaN`, `inf`, overflow).
    #[error("{path}: line {line}, column {column} (`{}`): {reason}: `{}`", summarize(.name), summarize(.value))]
    BadCell {
        /// File being read.
        path: PathBuf,
        /// 1-based line number.
        line: u64,
        /// 1-based column number.
        column: usize,
        /// Header name of the column.
        name: String,
        /// The cell text after trimming.
        value: String,
        /// Why the cell was rejected.
        reason: &'static str,
    },

    /// A requested (input) column is not in the header (line 1).
    #[error("{path}: line 1: column `{}` not found; available columns: {}", summarize(.column), .available)]
    MissingColumn {
        /// File being read.
        path: PathBuf,
        /// Requested column name.
        column: String,
        /// The header names, comma-separated, the list cut as by [`crate::summarize_list`].
        available: String,
    },

    /// The requested target column is not in the header (line 1).
    #[error("{path}: line 1: target column `{}` not found; available columns: {}", summarize(.target), .available)]
    MissingTarget {
        /// File being read.
        path: PathBuf,
        /// Requested target name.
        target: String,
        /// The header names, comma-separated, the list cut as by [`crate::summarize_list`].
        available: String,
    },

    /// The file has only the target column, so there is nothing to learn from.
    #[error("{path}: line 1: no feature columns besides the target `{}`", summarize(.target))]
    NoFeatures {
        /// File being read.
        path: PathBuf,
        /// Target name.
        target: String,
    },

    /// A function argument is out of its allowed range.
    #[error("invalid {name} = {value}: {reason}")]
    InvalidParameter {
        /// Parameter name as spelled in the API.
        name: &'static str,
        /// The rejected value, formatted.
        value: String,
        /// What the allowed range is.
        reason: String,
    },

    /// Arrays that must agree in shape do not.
    #[error("shape mismatch: {0}")]
    Shape(String),

    /// A matrix handed to a scaler has a different number of columns than it was fitted on.
    #[error("column count mismatch: scaler was fitted on {expected} columns, got {found}")]
    ColumnMismatch {
        /// Columns at fit time.
        expected: usize,
        /// Columns supplied now.
        found: usize,
    },

    /// A scaler cannot be fitted on a matrix with no rows or no columns.
    #[error("cannot fit a scaler on an empty {rows}x{cols} matrix")]
    EmptyMatrix {
        /// Number of rows.
        rows: usize,
        /// Number of columns.
        cols: usize,
    },

    /// A value handed to a scaler is NaN or infinite.
    #[error("row {row}, column {column}: non-finite value {value}")]
    NonFinite {
        /// 1-based row number.
        row: usize,
        /// 1-based column number.
        column: usize,
        /// The value.
        value: f64,
    },

    /// A series has fewer rows than one window needs.
    #[error("{path}: {rows} data rows, but one window needs {needed}: {why}")]
    SeriesTooShort {
        /// File being read.
        path: PathBuf,
        /// Data rows in the file.
        rows: usize,
        /// Rows needed.
        needed: usize,
        /// What the rows are for, naming the spec keys.
        why: String,
    },

    /// Saved scaler parameters are inconsistent (e.g. hand-edited JSON).
    #[error("invalid scaler parameters: {0}")]
    InvalidScaler(String),

    /// A column named by a spec key (`features`, `ignore`, `categorical`) is not in the file.
    #[error("{path}: line 1: `{key}` names column `{}`, which is not in the file; available columns: {available}", summarize(.column))]
    UnknownColumn {
        /// File being read.
        path: PathBuf,
        /// The spec key that names the column.
        key: &'static str,
        /// The name given.
        column: String,
        /// The header names, cut as by [`crate::summarize_list`].
        available: String,
    },

    /// The column options contradict each other (no file needed to tell).
    #[error("{key}: {message}")]
    Columns {
        /// The spec key at fault.
        key: &'static str,
        /// What is wrong and how to fix it.
        message: String,
    },

    /// A spec key lists the target column among the inputs.
    #[error("{path}: `{key}` lists the target column `{}`; the target cannot also be an input", summarize(.target))]
    TargetListed {
        /// File being read.
        path: PathBuf,
        /// The spec key (`features`, `categorical`, `ignore`).
        key: &'static str,
        /// The target's name.
        target: String,
    },

    /// No input column is left once the target and the ignored columns are taken out.
    #[error("{path}: no input columns are left besides the target `{}` (`{key}` leaves none)", summarize(.target))]
    NoInputs {
        /// File being read.
        path: PathBuf,
        /// The key that left nothing (`features` or `ignore`).
        key: &'static str,
        /// The target's name.
        target: String,
    },

    /// A categorical column has more distinct values on the training rows than allowed.
    #[error("{path}: column `{}` has {found} categories, more than `max_categories` = {max}; raise `max_categories` or list the column in `ignore`", summarize(.column))]
    TooManyCategories {
        /// File being read.
        path: PathBuf,
        /// The column.
        column: String,
        /// Categories found (counting stops just past the limit).
        found: usize,
        /// The limit.
        max: usize,
    },

    /// A category not seen on the training rows, with `handle_unknown = "error"`.
    #[error("{path}: line {line}, column {column} (`{}`): category `{}` was not seen in training (known: {known}); set `handle_unknown = \"ignore\"` to encode unseen categories as all zeros", summarize(.name), summarize(.value))]
    UnknownCategory {
        /// File being read.
        path: PathBuf,
        /// 1-based line number.
        line: u64,
        /// 1-based column number.
        column: usize,
        /// The column's name.
        name: String,
        /// The cell text.
        value: String,
        /// The fitted categories, cut as by [`crate::summarize_list`].
        known: String,
    },

    /// A target value that is not one of the model's classes.
    #[error("{path}: line {line}, column {column} (`{}`): class `{}` is not one of the model's classes ({known})", summarize(.name), summarize(.value))]
    UnknownClass {
        /// File being read.
        path: PathBuf,
        /// 1-based line number.
        line: u64,
        /// 1-based column number.
        column: usize,
        /// The target's name.
        name: String,
        /// The cell text.
        value: String,
        /// The classes, cut as by [`crate::summarize_list`].
        known: String,
    },

    /// The target's classes do not fit the task (too few, too many for the output units).
    #[error("{path}: target `{}`: {message}", summarize(.target))]
    Classes {
        /// File being read.
        path: PathBuf,
        /// The target's name.
        target: String,
        /// What does not fit.
        message: String,
    },

    /// A stored preprocessing pipeline is inconsistent (a corrupt or hand-edited model file).
    #[error("invalid preprocessing pipeline: {0}")]
    InvalidPipeline(String),
}
