//! `mpirun -n N shrink train …` (the `mpi` feature): data-parallel training.
//!
//! Every rank parses the same command line, reads the same files and builds the same model
//! (same seed, same weights). Before the first step the ranks agree — every one ready, and the
//! same fingerprint of rows, spec and epochs — or all stop with an error. Each step cuts the
//! batch into `micro_batches` (default N) micro-batches, rank r computes a contiguous run of
//! them, and one all-gather gives every rank every micro-batch's gradients, summed in
//! micro-batch order (`shrink::train::Exchange`): every rank ends each step with the same
//! weights, the same bits as `shrink train` in one process with that `micro_batches`. Rank 0
//! alone checks, locks and writes the output folder and prints.

use crate::cmd::train::{train_with, TrainArgs};
use crate::fit::Cohort;
use anyhow::{bail, Result};
use mpi::collective::CommunicatorCollectives;
use mpi::datatype::PartitionMut;
use mpi::topology::{Communicator, SimpleCommunicator};
use std::cell::{Cell, RefCell};

/// Runs `shrink train` as one rank of `world`.
pub(crate) fn train_ranks(args: TrainArgs, world: &SimpleCommunicator) -> Result<()> {
    let cohort = Ranks { rank: world.rank() as usize, size: world.size() as usize, agreed: Cell::new(false) };
    let result = train_with(args, Some(&cohort));
    if let Err(e) = &result {
        // Failed before the agreement: the others wait in it for this rank's answer. An error
        // rank 0 shares (the same files) is printed by rank 0 alone.
        let leader_ready = match cohort.agreed.get() {
            true => true,
            false => cohort.gather(false, [0; 32])[0][0] == 1,
        };
        if cohort.rank != 0 && leader_ready && e.downcast_ref::<OtherRank>().is_none() {
            eprintln!("rank {}: error: {}", cohort.rank, crate::describe(e));
        }
    }
    result
}

/// The error of a rank that was ready when another was not (its own message is on stderr).
#[derive(Debug)]
struct OtherRank(String);

impl std::fmt::Display for OtherRank {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for OtherRank {}

/// This process as a rank of `MPI_COMM_WORLD`.
struct Ranks {
    rank: usize,
    size: usize,
    agreed: Cell<bool>,
}

impl Ranks {
    /// Every rank's readiness byte and fingerprint, in rank order (the one agreement).
    fn gather(&self, ready: bool, fingerprint: [u8; 32]) -> Vec<[u8; 33]> {
        self.agreed.set(true);
        let mut mine = [0u8; 33];
        mine[0] = u8::from(ready);
        mine[1..].copy_from_slice(&fingerprint);
        let mut all = vec![0u8; 33 * self.size];
        SimpleCommunicator::world().all_gather_into(&mine[..], &mut all[..]);
        // `all` holds 33 bytes per rank, so every chunk is exactly 33 bytes long.
        all.chunks(33).map(|c| c.try_into().expect("chunks of 33")).collect()
    }
}

impl Cohort for Ranks {
    fn rank(&self) -> usize {
        self.rank
    }

    fn size(&self) -> usize {
        self.size
    }

    fn agree(&self, ready: bool, fingerprint: [u8; 32]) -> Result<()> {
        let parts = self.gather(ready, fingerprint);
        if let Some(r) = parts.iter().position(|p| p[0] == 0) {
            if ready {
                return Err(OtherRank(format!("rank {r} could not start training (its error is above)")).into());
            }
            bail!("this rank could not start");
        }
        if let Some(r) = parts.iter().position(|p| p[1..] != parts[0][1..]) {
            bail!(
                "rank {r} would train on other rows or settings than rank 0 (the encoded data, spec or epochs \
                 differ): every rank must read the same files"
            );
        }
        Ok(())
    }

    fn exchange(&self) -> Box<dyn shrink::train::Exchange<f32> + Send> {
        Box::new(Gather { rank: self.rank, size: self.size, layout: RefCell::new(Layout::default()) })
    }
}

/// The all-gather of a data-parallel step, over `MPI_COMM_WORLD` (a handle fetched per call,
/// so that the exchange holds no MPI object and can live in a `Send` trainer; it is only used
/// on the thread that started MPI).
struct Gather {
    rank: usize,
    size: usize,
    layout: RefCell<Layout>,
}

/// MPI's counts and displacements of the last gather, kept so a step allocates nothing.
#[derive(Default)]
struct Layout {
    counts: Vec<i32>,
    displs: Vec<i32>,
}

impl Gather {
    fn layout(&self, counts: &[usize]) -> Result<std::cell::Ref<'_, Layout>, shrink::Error> {
        let fits = |c: &[usize]| c.iter().sum::<usize>() <= i32::MAX as usize;
        if !fits(counts) {
            return Err(shrink::Error::Spec(format!(
                "a data-parallel step would exchange {} values, more than MPI counts in one message; use fewer \
                 micro_batches",
                counts.iter().sum::<usize>()
            )));
        }
        let same = {
            let l = self.layout.borrow();
            l.counts.len() == counts.len() && l.counts.iter().zip(counts).all(|(&a, &b)| a as usize == b)
        };
        if !same {
            let mut l = self.layout.borrow_mut();
            l.counts = counts.iter().map(|&c| c as i32).collect();
            l.displs = counts.iter().scan(0, |at, &c| Some(std::mem::replace(at, *at + c as i32))).collect();
        }
        Ok(self.layout.borrow())
    }

    fn gather<T: mpi::traits::Equivalence>(
        &self,
        local: &[T],
        counts: &[usize],
        all: &mut [T],
    ) -> Result<(), shrink::Error> {
        debug_assert_eq!(counts.len(), self.size);
        debug_assert_eq!(local.len(), counts[self.rank]);
        let layout = self.layout(counts)?;
        let mut into = PartitionMut::new(all, &layout.counts[..], &layout.displs[..]);
        SimpleCommunicator::world().all_gather_varcount_into(local, &mut into);
        Ok(())
    }
}

impl shrink::train::Exchange<f32> for Gather {
    fn rank(&self) -> usize {
        self.rank
    }

    fn size(&self) -> usize {
        self.size
    }

    fn all_gather(&self, local: &[f32], counts: &[usize], all: &mut [f32]) -> Result<(), shrink::Error> {
        self.gather(local, counts, all)
    }

    fn all_gather_f64(&self, local: &[f64], counts: &[usize], all: &mut [f64]) -> Result<(), shrink::Error> {
        self.gather(local, counts, all)
    }
}
