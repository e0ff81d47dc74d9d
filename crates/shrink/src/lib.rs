//! shrink: train neural networks with explicit, measurable weight penalties.
//!
//! The crate is organised the way data flows through a fit:
//! [`data`] (re-exported from `shrink-data`) → [`nn`] (layers whose parameters carry a
//! [`Role`]) → [`loss`] and [`penalty`] → [`optim`] → [`train`] → [`search`] (repeats and grids
//! of independent trials) → [`study`] (arms × repeats of a penalty comparison) → [`case_study`].
//!
//! # The penalty contract
//! By default shrink follows Keras: a penalty is `l1·Σ|w| + l2·Σw²` (no ½), added once per step
//! to the **mean** data loss of the batch, and the reported training loss includes it. Its
//! gradient is `l1·sign(w) + 2·l2·w`. Kernels are stored `[in, out]`. Biases are never penalized
//! unless a penalty is attached to them. Other conventions (PyTorch `weight_decay`,
//! scikit-learn's `alpha`) convert through [`Penalty::from_torch_weight_decay`] and
//! [`Penalty::from_sklearn_alpha`].
#![deny(missing_docs)]

pub mod case_study;
pub mod constraint;
mod error;
pub use shrink_files as files;
mod float;
pub(crate) mod kernels;
pub mod loss;
pub mod metrics;
pub mod model_file;
pub mod nn;
pub mod optim;
pub mod penalty;
pub mod pipeline;
pub mod prox;
pub mod prune;
pub mod rng;
pub mod schedule;
pub mod search;
pub mod spec;
pub mod study;
pub mod threads;
pub mod train;
pub mod weights;

pub use constraint::Constraint;
pub use error::Error;
pub use float::Float;
pub use kernels::Parallelism;
pub use nn::{
    AveragePooling1D, AveragePooling2D, Conv1D, Conv2D, Dense, Dropout, Flatten, GlobalAveragePooling1D,
    GlobalAveragePooling2D, Layer, Lstm, MaxPooling1D, MaxPooling2D, Model, Padding, Param, Role,
};
pub use penalty::{Penalty, PenaltyError, PenaltyMode};
pub use shrink_data as data;
