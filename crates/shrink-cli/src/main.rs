//! `shrink`: the command line. Thin by design: parsing, progress bars, files and plots here;
//! everything numeric lives in the `shrink` library.

#![forbid(unsafe_code)]

mod choices;
mod cmd;
mod fit;
mod load;
mod manifest;
mod progress;
#[cfg(feature = "mpi")]
mod ranks;
#[cfg(feature = "mpi")]
mod ranks_train;
#[cfg(feature = "mpi")]
mod ranks_units;
mod study_out;
mod tables;

use cmd::{bench, case_study, evaluate, examples, fine_tune, import, inspect, predict, prune, search, train};

use anyhow::Result;
use clap::{Parser, Subcommand};
use std::process::ExitCode;

/// Train neural networks with explicit, measurable weight penalties.
#[derive(Parser)]
#[command(name = "shrink", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Reproduce the reference weight-regularization case study (two moons, MLP, an alpha grid of any penalty family; L2 the reference).
    CaseStudy(case_study::Args),
    /// Generate or convert data sets.
    #[command(subcommand)]
    Data(DataCommand),
    /// Train a model from a spec on a CSV and save it (safetensors), its history and plots.
    Train(train::TrainArgs),
    /// Data loss, penalty and metrics of a saved model on a CSV.
    Evaluate(evaluate::EvaluateArgs),
    /// Predictions of a saved model (its stored input scaling applied).
    Predict(predict::PredictArgs),
    /// Weights of a saved model per layer and role: norms, max |w|, exact zeros, histograms.
    Inspect(inspect::InspectArgs),
    /// Continue training a saved model with a penalty or a growing penalty schedule.
    FineTune(fine_tune::FineTuneArgs),
    /// Write a smaller equivalent model without unused inputs and dead hidden units (Dense only).
    Prune(prune::Args),
    /// Make a shrink model from PyTorch nn.Linear weights saved with safetensors.
    Import(import::ImportArgs),
    /// Choose a penalty strength: alpha grid, refinement, repeats, K-fold CV, 1-SE rule,
    /// warm-started paths; resumable from DIR/trials.csv.
    Search(search::Args),
    /// Run a bundled example study (digits-cnn, sunspots-lstm, breast-cancer).
    #[command(subcommand)]
    Example(examples::Example),
    /// Measure training speed (µs per step, GFLOP/s) against a baseline run in the same process.
    Bench(bench::Args),
}

#[derive(Subcommand)]
enum DataCommand {
    /// scikit-learn's make_moons(n_samples, noise, random_state), bit for bit, as CSV on stdout.
    Moons {
        /// Number of points.
        #[arg(long, default_value_t = 100)]
        n: usize,
        /// Standard deviation of the Gaussian noise.
        #[arg(long, default_value_t = 0.2)]
        noise: f64,
        /// numpy RandomState seed.
        #[arg(long, default_value_t = 1)]
        seed: u32,
    },
}

fn run(cli: Cli) -> Result<()> {
    match cli.command {
        Command::CaseStudy(args) => case_study::run(args),
        Command::Bench(args) => bench::run(args),
        Command::Search(args) => search::run(args),
        Command::Example(example) => examples::run(example),
        Command::Train(args) => train::train(args),
        Command::Evaluate(args) => evaluate::evaluate(args),
        Command::Predict(args) => predict::predict(args),
        Command::Inspect(args) => inspect::inspect(args),
        Command::FineTune(args) => fine_tune::fine_tune(args),
        Command::Import(args) => import::import(args),
        Command::Prune(args) => prune::run(args),
        Command::Data(DataCommand::Moons { n, noise, seed }) => {
            let ds = shrink::data::moons(n, noise, seed)?;
            let mut csv = Vec::new();
            shrink::data::write_csv(&mut csv, &ds)?;
            print(&String::from_utf8_lossy(&csv))
        }
    }
}

/// The thread count for `requested` (default: every core). More than the machine has is capped
/// with a warning: results do not depend on the count, and thousands of threads only thrash.
pub(crate) fn threads(requested: Option<usize>) -> usize {
    let cores = shrink::threads::available();
    match requested {
        None => cores,
        Some(t) if t > cores => {
            eprintln!("warning: --threads {t} is more than the {cores} this machine has; using {cores}");
            cores
        }
        Some(t) => t,
    }
}

/// Writes to stdout; a reader that went away (`shrink … | head`) ends the output quietly.
pub(crate) fn print(text: &str) -> Result<()> {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(e.into()),
        _ => Ok(()),
    }
}

/// The error and its causes, each cause shown only if the message so far does not already
/// contain it (library errors often quote their source).
pub(crate) fn describe(error: &anyhow::Error) -> String {
    let mut text = error.to_string();
    for cause in error.chain().skip(1) {
        let cause = cause.to_string();
        if !text.contains(&cause) {
            text = format!("{text}: {cause}");
        }
    }
    // The library refuses to replace a file; how to allow it is the command line's business.
    if error.chain().any(|e| matches!(e.downcast_ref::<shrink::Error>(), Some(shrink::Error::Exists { .. }))) {
        text += "; pass --force to replace it";
    }
    text
}

fn main() -> ExitCode {
    // Ctrl-C ends the process before destructors run: remove the temporaries of writes in
    // progress so that nothing half-written is left behind (the targets are untouched).
    let _ = ctrlc::set_handler(|| {
        shrink::files::remove_temporaries();
        eprintln!("interrupted");
        std::process::exit(130);
    });
    let cli = Cli::parse();
    #[cfg(feature = "mpi")]
    let universe = ranks::start();
    #[cfg(feature = "mpi")]
    if let Some(world) = universe.as_ref().map(|u| u.world()).filter(|w| mpi::topology::Communicator::size(w) > 1) {
        // Only rank 0 reports: the workers' errors reach it as messages.
        let rank = mpi::topology::Communicator::rank(&world);
        let result = match cli.command {
            Command::Search(args) => ranks::search_ranks(args, &world),
            Command::Train(args) => ranks_train::train_ranks(args, &world),
            _ => Err(anyhow::anyhow!(
                "under mpirun only `shrink search` and `shrink train` run across ranks; run this command without \
                 mpirun"
            )),
        };
        return match result {
            Err(e) if rank == 0 => {
                eprintln!("error: {}", describe(&e));
                ExitCode::FAILURE
            }
            _ => ExitCode::SUCCESS,
        };
    }
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {}", describe(&e));
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::describe;
    use anyhow::Context;

    #[test]
    fn a_refused_replacement_tells_how_to_allow_it() {
        let refused: Result<(), shrink::Error> = Err(shrink::Error::Exists { path: "out/model.safetensors".into() });
        let e = refused.context("saving the model").unwrap_err();
        assert_eq!(
            describe(&e),
            "saving the model: out/model.safetensors exists (not replaced); pass --force to replace it"
        );
        let other = anyhow::anyhow!("x.csv: line 2: not a number");
        assert_eq!(describe(&other), "x.csv: line 2: not a number");
    }
}
