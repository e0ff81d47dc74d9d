//! Data for shrink: the two-moons generator, CSV tables (numeric, and with categorical and
//! ignored columns), one-hot encoders, feature and target scalers, time-series windows
//! ([`series`]), the stored preprocessing pipeline and train/test splits.
//!
//! Kept apart from the training code so that data problems (a stray `NaN` cell, a
//! misspelled target column) are caught and explained at load time, with file, line and
//! column, before any optimisation starts. Random parts follow numpy's legacy
//! `RandomState` so results can be checked against scikit-learn.

#![deny(missing_docs)]
#![forbid(unsafe_code)]

mod clip;
mod columns;
mod csv_io;
mod dataset;
mod error;
mod lines;
mod moons;
mod onehot;
mod pipeline;
mod rng;
mod scaler;
pub mod series;
mod split;
mod table;
mod target;

pub use clip::{summarize, summarize_list};
pub use columns::{ColumnEncoding, ColumnOptions, TableStage, NOT_A_NUMBER_HINT};
pub use csv_io::{csv_row_lines, read_csv, read_csv_bytes, read_csv_columns, read_csv_features, write_csv};
pub use dataset::Dataset;
pub use error::DataError;
pub use moons::moons;
pub use onehot::{HandleUnknown, OneHotEncoder, DEFAULT_MAX_CATEGORIES};
pub use pipeline::{InputStage, Pipeline, PIPELINE_FORMAT};
pub use rng::LegacyRandomState;
pub use scaler::{Divisor, Scaler, Scaling};
pub use split::{shuffle_split, shuffle_split_indices, split_at};
pub use table::{parse_typed, pick_by_name, read_typed, CellKind, Column, ColumnData, Pick, TypedTable};
pub use target::{TargetEncoding, TargetStage, TargetTask};
