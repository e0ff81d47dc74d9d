//! `mpirun -n N shrink search …` (the `mpi` feature): rank 0 runs the search as one process
//! would — it owns `trials.csv`, the lock, the progress bar and every file — and every rank,
//! rank 0 included, trains units of work (a cold trial or a warm path), one at a time, each
//! taking the next as it becomes free: N ranks are N trainers. At the end rank 0 prints how many
//! units each rank trained (stderr).
//!
//! Rank 0's main thread makes every MPI call (MPI is started `Funneled`); its units train in a
//! second thread through the `local` closure the [`Runner`] receives, which reports each unit's
//! end over a channel. While that thread trains, the main thread polls for workers' messages
//! (`immediate_matched_probe`) and for the channel, sleeping between polls — a quarter of a cap
//! first, doubling up to the cap. The cap balances a worker's wait for its reply (half the cap on
//! average) against the core the polls take (a poll costs ~15 µs of CPU on this 2-core VM):
//! √(2 · 15 µs · t) for units of t seconds on average (0.39 ms for 5 ms trials: ~4% each way;
//! 5.5 ms for 1 s trials: 0.3%), t at least the time the unit in training has taken so far.
//! Otherwise it waits in a blocking receive. A worker's next unit is sent before its records are
//! appended (each append is a synced write).
//!
//! Every rank parses the same command line and builds the same plan (spec, data, folds); a
//! worker's first message is its plan's fingerprint, which must equal rank 0's, so ranks that
//! read other files are refused. Then, per message (all bytes, rank ↔ 0, tag 0):
//!
//! - worker → 0: `H\n<fingerprint>` (ready), `R\n<trial lines>` (a unit's records, ready for
//!   the next) or `E\n<error>`; a worker sends one message and then waits for the reply;
//! - 0 → worker: `U\n<unit>` (train it) or `S` (stop).
//!
//! Units (`ranks_units.rs`) and records travel as exact text (floats as bit patterns or shortest
//! round-trip), so a record is the same bits as one trained by rank 0 itself; records are
//! appended to `trials.csv` as they arrive and the finished file is rewritten in trial order, so
//! it is the same bytes (bar the seconds) as a one-process run. Rank 0 ends every worker with `S`
//! whatever happens (an error included), after draining a busy one's reply, so no rank waits
//! forever. A rank that dies makes the launcher end the job (Open MPI kills every rank); trials
//! rank 0 appended before are in `trials.csv`, and the next run resumes from them
//! (`scripts/mpi_check.sh` kills a worker to check it).
//!
//! `--threads` adds no trainers under mpirun (start one rank per core); successive halving
//! (`--prune-trials halving`) trains on rank 0 alone.

use crate::cmd::search::{self, Args};
use crate::ranks_units::{decode_unit, encode_unit};
use anyhow::{bail, Result};
use mpi::point_to_point::{Destination, MatchedReceiveVec, Source};
use mpi::topology::{Communicator, SimpleCommunicator};
use shrink::search::{Chain, Columns, Point, Runner, Sink, TrialRecord};
use std::sync::mpsc;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Starts MPI when a launcher started this process (its environment says so); `None`
/// otherwise, and the command runs exactly as in the default build.
pub(crate) fn start() -> Option<mpi::environment::Universe> {
    let launched = ["OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_RANK"].iter().any(|v| std::env::var_os(v).is_some());
    if !launched {
        return None;
    }
    // Rank 0 trains in a second thread while its main thread makes every MPI call.
    let (universe, level) = mpi::initialize_with_threading(mpi::Threading::Funneled)?;
    if level == mpi::Threading::Single {
        eprintln!(
            "warning: this MPI gives no thread support (MPI_THREAD_SINGLE); rank 0 trains in a thread all the same"
        );
    }
    Some(universe)
}

/// Runs `shrink search` as rank `world.rank()` of `world.size()` (≥ 2).
pub(crate) fn search_ranks(args: Args, world: &SimpleCommunicator) -> Result<()> {
    if args.shard().is_some() {
        bail!(
            "--shard splits a search into independent processes; under mpirun the {} ranks already share it: \
             leave out --shard",
            world.size()
        );
    }
    if world.rank() != 0 {
        return worker(&args, world);
    }
    if args.halving() {
        eprintln!(
            "note: --prune-trials halving trains on rank 0 only (promoted trials continue from weights in memory)"
        );
    }
    let state = Mutex::new(vec![Worker::Unheard; world.size() as usize - 1]);
    // A plan that fails here fails on every rank alike; the workers are stopped all the same.
    let (plan, fingerprint) = match search::plan(&args) {
        Ok(plan) => {
            let f = plan.fingerprint.clone();
            (Ok(plan), f)
        }
        Err(e) => (Err(e), String::new()),
    };
    let runner = Ranks {
        world,
        state,
        fingerprint,
        warned: std::cell::Cell::new(false),
        unit_seconds: Default::default(),
        units: std::cell::RefCell::new(vec![0; world.size() as usize]),
    };
    let result = plan.and_then(|plan| search::run_planned(args, plan, &runner));
    let units = runner.units.borrow().clone();
    if result.is_ok() && units.iter().any(|&u| u > 0) {
        let list: Vec<String> = units.iter().map(usize::to_string).collect();
        eprintln!("units of work trained by ranks 0…{}: {}", units.len() - 1, list.join(", "));
    }
    let stopped = runner.stop_all();
    result.and(stopped)
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Worker {
    /// Has not sent its first message yet.
    Unheard,
    /// Waits for a reply.
    Idle,
    /// Trains a unit.
    Busy,
}

/// Rank 0's [`Runner`]: hands units to ranks 1…N−1 and to its own training thread.
struct Ranks<'a> {
    world: &'a SimpleCommunicator,
    /// One entry per worker (rank − 1); only rank 0's main thread touches MPI.
    state: Mutex<Vec<Worker>>,
    /// Rank 0's plan fingerprint, which every worker's must equal.
    fingerprint: String,
    /// Whether the idle-ranks warning was given (once per run).
    warned: std::cell::Cell<bool>,
    /// Mean seconds of rank 0's own units so far (a moving average; 0 before the first).
    unit_seconds: std::cell::Cell<f64>,
    /// Units each rank (0 first) trained in this run.
    units: std::cell::RefCell<Vec<usize>>,
}

fn failed(message: String) -> shrink::Error {
    shrink::Error::Spec(message)
}

/// Seconds of CPU one poll of rank 0's main thread costs (a sleep and a probe; measured ~15 µs
/// on a 2-core VM), for the cap on the pause between polls.
const POLL_COST: f64 = 15e-6;

/// What rank 0's main thread waits for.
enum Event {
    /// A worker's message: its rank and text.
    Rank(usize, String),
    /// Rank 0's own unit ended.
    Local(Result<(), shrink::Error>),
}

impl Ranks<'_> {
    fn send(&self, rank: usize, text: &str) {
        self.world.process_at_rank(rank as i32).send(text.as_bytes());
    }

    /// The next message from any worker: its index and text.
    fn receive(&self) -> (usize, String) {
        let (bytes, status) = self.world.any_process().receive_vec::<u8>();
        (status.source_rank() as usize, String::from_utf8_lossy(&bytes).into_owned())
    }

    /// The next worker message, or (while rank 0 trains a unit, `local` is given with the
    /// unit's start) the end of that unit, whichever comes first.
    fn next_event(
        &self,
        local: Option<(&mpsc::Receiver<Result<(), shrink::Error>>, Instant)>,
        state: &[Worker],
    ) -> Event {
        let Some((done, since)) = local else {
            let (rank, text) = self.receive();
            return Event::Rank(rank, text);
        };
        if state.iter().all(|w| *w == Worker::Idle) {
            // No worker will send before it is sent something: wait for the thread alone.
            return Event::Local(done.recv().unwrap_or_else(|_| Err(failed("rank 0's training thread ended".into()))));
        }
        // Units last at least as long as the one in training so far (the first one included).
        let cap = || {
            let t = self.unit_seconds.get().max(since.elapsed().as_secs_f64());
            (2.0 * POLL_COST * t).sqrt().clamp(50e-6, 10e-3)
        };
        let mut pause = Duration::from_secs_f64(cap() / 4.0);
        loop {
            if let Some(probed) = self.world.any_process().immediate_matched_probe() {
                let (bytes, status) = probed.matched_receive_vec::<u8>();
                return Event::Rank(status.source_rank() as usize, String::from_utf8_lossy(&bytes).into_owned());
            }
            match done.try_recv() {
                Ok(result) => return Event::Local(result),
                Err(mpsc::TryRecvError::Empty) => {}
                Err(mpsc::TryRecvError::Disconnected) => {
                    return Event::Local(Err(failed("rank 0's training thread ended".into())))
                }
            }
            std::thread::sleep(pause);
            pause = (pause * 2).min(Duration::from_secs_f64(cap()));
        }
    }

    /// Ends every worker: a busy or unheard one is heard out first (its reply dropped).
    fn stop_all(&self) -> Result<()> {
        let mut state = self.state.lock().map_err(|_| anyhow::anyhow!("rank state poisoned"))?;
        while state.iter().any(|w| *w != Worker::Idle) {
            let (rank, _) = self.receive();
            state[rank - 1] = Worker::Idle;
        }
        for rank in 1..=state.len() {
            self.send(rank, "S");
        }
        Ok(())
    }

    /// Hands `chains` out until all have finished: to idle workers, and (by index, over
    /// `to_local`) to rank 0's thread when it is free. Returns at the first error, with
    /// workers possibly still busy ([`Ranks::stop_all`] hears them out).
    fn schedule(
        &self,
        chains: &[Chain],
        encoded: &[String],
        state: &mut [Worker],
        sink: Sink,
        to_local: mpsc::Sender<usize>,
        from_local: &mpsc::Receiver<Result<(), shrink::Error>>,
    ) -> Result<(), shrink::Error> {
        let mut next = 0;
        let mut local_busy = false;
        let mut local_since = Instant::now();
        loop {
            for (i, w) in state.iter_mut().enumerate() {
                if *w == Worker::Idle && next < chains.len() {
                    self.send(i + 1, &encoded[next]);
                    *w = Worker::Busy;
                    next += 1;
                }
            }
            if !local_busy && next < chains.len() {
                to_local.send(next).map_err(|_| failed("rank 0's training thread ended".into()))?;
                local_busy = true;
                local_since = Instant::now();
                next += 1;
            }
            if next == chains.len() && !local_busy && !state.contains(&Worker::Busy) {
                return Ok(());
            }
            let (rank, text) = match self.next_event(local_busy.then_some((from_local, local_since)), state) {
                Event::Local(result) => {
                    local_busy = false;
                    let (t, mean) = (local_since.elapsed().as_secs_f64(), self.unit_seconds.get());
                    self.unit_seconds.set(if mean == 0.0 { t } else { 0.8 * mean + 0.2 * t });
                    result?;
                    self.units.borrow_mut()[0] += 1;
                    continue;
                }
                Event::Rank(rank, text) => (rank, text),
            };
            state[rank - 1] = Worker::Idle;
            let (kind, body) = text.split_once('\n').unwrap_or((&text, ""));
            match kind {
                "H" if body == self.fingerprint => {}
                "H" => {
                    return Err(failed(format!(
                        "rank {rank} planned another search than rank 0 (its spec, data or settings differ: {} \
                         changed); every rank must see the same files",
                        search::changed_keys(body, &self.fingerprint)
                    )))
                }
                "R" => {
                    self.units.borrow_mut()[rank] += 1;
                    // The worker's next unit first: appending (a synced write each) can wait.
                    if next < chains.len() {
                        self.send(rank, &encoded[next]);
                        state[rank - 1] = Worker::Busy;
                        next += 1;
                    }
                    for line in body.lines() {
                        let record = TrialRecord::from_line(line, Columns::default())
                            .ok_or_else(|| failed(format!("rank {rank} sent an unreadable trial `{line}`")))?;
                        sink(&record)?;
                    }
                }
                _ => return Err(failed(format!("rank {rank}: {body}"))),
            }
        }
    }
}

impl Runner for Ranks<'_> {
    fn run(
        &self,
        point: &Point,
        chains: &[Chain],
        local: &(dyn Fn(&Chain) -> Result<(), shrink::Error> + Sync),
        sink: Sink,
    ) -> Result<(), shrink::Error> {
        let mut state = self.state.lock().map_err(|_| failed("rank state poisoned".into()))?;
        let ranks = state.len() + 1;
        // Nothing to train (all resumed) leaves every rank idle, rightly: no warning.
        if !chains.is_empty() && chains.len() < ranks && !self.warned.replace(true) {
            let idle = ranks - chains.len();
            eprintln!(
                "warning: {ranks} ranks train {} unit{} of work here: {idle} {} idle; fewer ranks do the same",
                chains.len(),
                if chains.len() == 1 { "" } else { "s" },
                if idle == 1 { "rank stays" } else { "ranks stay" },
            );
        }
        let encoded: Vec<String> = chains.iter().map(|c| format!("U\n{}", encode_unit(point, c))).collect();
        let (to_local, units) = mpsc::channel::<usize>();
        let (done, from_local) = mpsc::channel();
        std::thread::scope(|scope| {
            // Rank 0's trainer: one unit at a time, until `to_local` is dropped (when
            // `schedule` returns, an error included; a unit in training finishes first).
            scope.spawn(move || {
                for i in units {
                    if done.send(local(&chains[i])).is_err() {
                        break;
                    }
                }
            });
            self.schedule(chains, &encoded, &mut state, sink, to_local, &from_local)
        })
    }
}

/// A worker: builds the plan, says so, and trains units until told to stop.
fn worker(args: &Args, world: &SimpleCommunicator) -> Result<()> {
    let root = world.process_at_rank(0);
    let plan = match search::plan(args) {
        Ok(p) => p,
        Err(e) => {
            root.send(format!("E\n{}", crate::describe(&e)).as_bytes());
            return wait_for_stop(world);
        }
    };
    root.send(format!("H\n{}", plan.fingerprint).as_bytes());
    loop {
        let (bytes, _) = root.receive_vec::<u8>();
        let text = String::from_utf8_lossy(&bytes);
        let Some(unit) = text.strip_prefix("U\n") else { return Ok(()) };
        let reply = match train(&plan, unit) {
            Ok(lines) => format!("R\n{lines}"),
            Err(e) => format!("E\n{e}"),
        };
        root.send(reply.as_bytes());
    }
}

fn wait_for_stop(world: &SimpleCommunicator) -> Result<()> {
    let _ = world.process_at_rank(0).receive_vec::<u8>();
    Ok(())
}

/// Trains one unit; its records as lines.
fn train(plan: &search::Plan, unit: &str) -> Result<String, shrink::Error> {
    let (point, chain) = decode_unit(unit).ok_or_else(|| failed(format!("an unreadable unit `{unit}`")))?;
    let lines = Mutex::new(String::new());
    let sink = |r: &TrialRecord| -> Result<(), shrink::Error> {
        lines.lock().map_err(|_| failed("poisoned".into()))?.push_str(&r.to_line());
        Ok(())
    };
    shrink::search::run_unit(&plan.spec, &plan.config, &plan.folds, &point, &chain, &sink)?;
    lines.into_inner().map_err(|_| failed("poisoned".into()))
}
