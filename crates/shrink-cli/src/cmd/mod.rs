//! One module per subcommand: its clap arguments and its `run`. Helpers two or more commands
//! share live next to `main.rs` (`load`, `fit`, `study_out`).

pub(crate) mod bench;
pub(crate) mod bench_search;
pub(crate) mod case_study;
pub(crate) mod evaluate;
pub(crate) mod examples;
pub(crate) mod examples_breast;
pub(crate) mod fine_tune;
pub(crate) mod import;
pub(crate) mod inspect;
pub(crate) mod predict;
pub(crate) mod prune;
pub(crate) mod search;
pub(crate) mod search_alphas;
pub(crate) mod search_grid;
pub(crate) mod search_report;
pub(crate) mod search_shard;
pub(crate) mod series;
pub(crate) mod train;
