//! The closed sets the command line accepts, as clap value enums: clap lists the choices in
//! `--help` and rejects anything else before a command runs. Each maps to its library type here
//! and nowhere else.

use shrink::data::Scaling;
use shrink::search::{PathKind, Rule, ScoreKind};

/// `case-study --scale`.
#[derive(Clone, Copy, PartialEq, Eq, Debug, clap::ValueEnum)]
pub(crate) enum ScaleArg {
    Standard,
    Minmax,
    None,
}

impl From<ScaleArg> for Scaling {
    fn from(arg: ScaleArg) -> Self {
        match arg {
            ScaleArg::Standard => Scaling::Standard,
            ScaleArg::Minmax => Scaling::MinMax,
            ScaleArg::None => Scaling::None,
        }
    }
}

/// `search --path`.
#[derive(Clone, Copy, PartialEq, Eq, Debug, clap::ValueEnum)]
pub(crate) enum PathArg {
    Cold,
    Warm,
    WarmReverse,
}

impl From<PathArg> for PathKind {
    fn from(arg: PathArg) -> Self {
        match arg {
            PathArg::Cold => PathKind::Cold,
            PathArg::Warm => PathKind::Warm,
            PathArg::WarmReverse => PathKind::WarmReverse,
        }
    }
}

/// `search --select`.
#[derive(Clone, Copy, PartialEq, Eq, Debug, clap::ValueEnum)]
pub(crate) enum RuleArg {
    Best,
    #[value(name = "1se")]
    OneSe,
}

impl From<RuleArg> for Rule {
    fn from(arg: RuleArg) -> Self {
        match arg {
            RuleArg::Best => Rule::Best,
            RuleArg::OneSe => Rule::OneSe,
        }
    }
}

/// `--handle-unknown`.
#[derive(Clone, Copy, PartialEq, Eq, Debug, clap::ValueEnum)]
pub(crate) enum UnknownArg {
    Error,
    Ignore,
}

impl From<UnknownArg> for shrink::data::HandleUnknown {
    fn from(arg: UnknownArg) -> Self {
        match arg {
            UnknownArg::Error => shrink::data::HandleUnknown::Error,
            UnknownArg::Ignore => shrink::data::HandleUnknown::Ignore,
        }
    }
}

/// `search --prune-trials`.
#[derive(Clone, Copy, PartialEq, Eq, Debug, clap::ValueEnum)]
pub(crate) enum PruneTrialsArg {
    /// Every trial trains all of the spec's epochs.
    None,
    /// Successive halving over rungs of epochs (η = 3).
    Halving,
}

/// `search --score`.
#[derive(Clone, Copy, PartialEq, Eq, Debug, clap::ValueEnum)]
pub(crate) enum ScoreArg {
    LogLoss,
    Accuracy,
    Auc,
    Mse,
    Rmse,
    Mae,
}

impl From<ScoreArg> for ScoreKind {
    fn from(arg: ScoreArg) -> Self {
        match arg {
            ScoreArg::LogLoss => ScoreKind::LogLoss,
            ScoreArg::Accuracy => ScoreKind::Accuracy,
            ScoreArg::Auc => ScoreKind::Auc,
            ScoreArg::Mse => ScoreKind::Mse,
            ScoreArg::Rmse => ScoreKind::Rmse,
            ScoreArg::Mae => ScoreKind::Mae,
        }
    }
}
