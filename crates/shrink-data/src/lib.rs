//! Data for shrink: the two-moons generator, numeric CSV tables, feature scalers,
//! train/test splits and time-series windows ([`series`]).
//!
//! Kept apart from the training code so that data problems (a stray `NaN` cell, a
//! misspelled target column) are caught and explained at load time, with file, line and
//! column, before any optimisation starts. Random parts follow numpy's legacy
//! `RandomState` so results can be checked against scikit-learn.

#![deny(missing_docs)]
#![forbid(unsafe_code)]

mod clip;
mod csv_io;
mod dataset;
mod error;
mod lines;
mod moons;
mod rng;
mod scaler;
pub mod series;
mod split;

pub use clip::{summarize, summarize_list};
pub use csv_io::{csv_row_lines, read_csv, read_csv_bytes, read_csv_columns, read_csv_features, write_csv};
pub use dataset::Dataset;
pub use error::DataError;
pub use moons::moons;
pub use rng::LegacyRandomState;
pub use scaler::{Scaler, Scaling};
pub use split::{shuffle_split, split_at};
