//! Where the units of a search run: this process's threads ([`Local`]), or anything else that
//! can rebuild a unit from its description — the command line's `mpi` build hands them to
//! other MPI ranks. The search only plans units and collects records; a [`Runner`] decides
//! where each unit trains.
//!
//! A unit is a grid point and a [`Chain`] (a cold trial or a warm path). Everything else a
//! unit needs is the search's spec, settings and folds, which every process of a distributed
//! search builds from the same command line and inputs: [`at_point`] gives the spec and
//! settings of a point, so a remote process trains exactly what [`Local`] would, and since each
//! trial seeds itself the records are the same bits wherever they come from.

use super::data::Fold;
use super::dimensions::{Dimensions, Point};
use super::run::{SearchConfig, Sink};
use super::warm::{run_chain, Chain};
use crate::spec::ModelSpec;
use crate::Error;

/// Runs units of work somewhere and hands every new record to `sink`.
pub trait Runner {
    /// Runs `chains` at `point` (of the search's spec and settings, see [`at_point`]).
    /// `local` trains one chain in this process with `sink` as its record sink, for runners
    /// that run some or all units here. Returns when every chain has finished, or with the
    /// first error.
    fn run(
        &self,
        point: &Point,
        chains: &[Chain],
        local: &(dyn Fn(&Chain) -> Result<(), Error> + Sync),
        sink: Sink,
    ) -> Result<(), Error>;
}

/// This process, with `threads` worker threads (the default).
#[derive(Debug, Clone, Copy)]
pub struct Local {
    /// Worker threads, ≥ 1.
    pub threads: usize,
}

impl Runner for Local {
    fn run(
        &self,
        _point: &Point,
        chains: &[Chain],
        local: &(dyn Fn(&Chain) -> Result<(), Error> + Sync),
        _sink: Sink,
    ) -> Result<(), Error> {
        super::run_trials(chains, self.threads, local, |_, _| {})?.into_iter().collect()
    }
}

/// The spec and settings of the units at `point`: the point's width and mix applied, its
/// dimensions and shard cleared (a unit is already one of the shard's). A search without
/// dimensions runs at the default point, whose spec and settings are the search's own.
pub fn at_point(spec: &ModelSpec, config: &SearchConfig, point: &Point) -> Result<(ModelSpec, SearchConfig), Error> {
    if config.dimensions.is_empty() {
        return Ok((spec.clone(), config.clone()));
    }
    let spec_p = config.dimensions.spec_at(spec, point)?;
    let config_p =
        SearchConfig { penalty: point.family(&config.penalty)?, dimensions: Dimensions::default(), ..config.clone() };
    Ok((spec_p, config_p))
}

/// Trains one unit described by `point` and `chain` (as a remote process does), handing its
/// records, untagged by the point, to `sink`.
pub fn run_unit(
    spec: &ModelSpec,
    config: &SearchConfig,
    folds: &[Fold],
    point: &Point,
    chain: &Chain,
    sink: Sink,
) -> Result<(), Error> {
    let (spec_p, config_p) = at_point(spec, config, point)?;
    if chain.fold >= folds.len() || chain.alphas.len() != chain.done.len() {
        return Err(Error::invalid("unit of work", "a fold of this search and a flag per alpha", chain.fold));
    }
    run_chain(&spec_p, &config_p, folds, chain, sink)
}
