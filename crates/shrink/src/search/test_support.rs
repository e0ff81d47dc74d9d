//! Helpers shared by the search's test files.

use super::*;
use crate::spec::ModelSpec;
use std::sync::Mutex;

/// A 2→`units` (relu)→1 (sigmoid) classifier of the two moons (standard scaling, binary
/// cross-entropy) with the top-level `keys` (`epochs = 40\nseed = 5`).
pub(super) fn moons_spec(keys: &str, units: usize) -> ModelSpec {
    let layers = format!(
        "[[layers]]\ntype = \"dense\"\nunits = {units}\nactivation = \"relu\"\n\n\
         [[layers]]\ntype = \"dense\"\nunits = 1\nactivation = \"sigmoid\"\n"
    );
    let text = format!("input_shape = [2]\nscaling = \"standard\"\nloss = \"binary_crossentropy\"\n{keys}\n\n{layers}");
    ModelSpec::from_toml(&text).unwrap()
}

/// A cold search of an L2 penalty on `dense_0.kernel`, one repeat at one thread, the best
/// log loss, with no alphas yet: tests set what they vary with `..l2_config()`.
pub(super) fn l2_config() -> SearchConfig {
    SearchConfig {
        param: "dense_0.kernel".into(),
        penalty: crate::penalty::Family::L2,
        alphas: Vec::new(),
        refine: false,
        repeats: 1,
        rule: Rule::Best,
        score: ScoreKind::LogLoss,
        path: PathKind::Cold,
        warm_epochs: 10,
        dimensions: Dimensions::default(),
        halving: None,
        shard: None,
        threads: 1,
        interrupt: None,
    }
}

/// Runs the search over `done` and returns its outcome and the records it trained (those its
/// sink got, in order).
pub(super) fn run_collecting(
    spec: &ModelSpec,
    config: &SearchConfig,
    folds: &[Fold],
    done: Vec<TrialRecord>,
) -> (SearchOutcome, Vec<TrialRecord>) {
    let new = Mutex::new(Vec::new());
    let sink = |r: &TrialRecord| {
        new.lock().unwrap().push(r.clone());
        Ok(())
    };
    let outcome = run_search(spec, config, folds, done, &sink, &|_, _| {}).unwrap();
    (outcome, new.into_inner().unwrap())
}

/// The records with their `seconds` zeroed, to compare two runs.
pub(super) fn without_time(records: &[TrialRecord]) -> Vec<TrialRecord> {
    records.iter().map(|r| TrialRecord { seconds: 0.0, ..r.clone() }).collect()
}
