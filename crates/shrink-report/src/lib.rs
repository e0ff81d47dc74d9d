//! Plots and tables for shrink runs.
//!
//! Every chart is written twice, as `stem.png` (for quick looks and slides) and `stem.svg`
//! (for papers, where it scales without blur), from the same drawing code so the two never
//! disagree. Data problems come back as [`ReportError`] naming the output path rather than as
//! panics, because plotting runs at the end of long training jobs whose numbers must survive a
//! bad figure.
#![deny(missing_docs)]
#![forbid(unsafe_code)]

mod boxplot;
mod clip;
mod crisp;
mod error;
mod font;
mod frame;
mod histogram;
mod legend;
mod line;
mod output;
mod table;
mod ticks;

pub use boxplot::{write_box_chart, BoxChart};
pub use error::ReportError;
pub use histogram::{write_histogram_chart, HistogramChart};
pub use line::{write_line_chart, LineChart, Series};
pub use output::CHART_SIZE;
pub use table::{format_mean_sd, Table};
