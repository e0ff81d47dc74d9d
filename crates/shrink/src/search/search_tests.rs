//! The search on a small problem: warm paths against cold trials, and resuming a warm path.

use super::test_support::{l2_config, moons_spec, run_collecting, without_time};
use super::*;
use crate::spec::ModelSpec;
use std::sync::Mutex;

fn setup(path: PathKind) -> (ModelSpec, SearchConfig, Vec<Fold>) {
    let spec = moons_spec("epochs = 40\nseed = 5", 8);
    let data = shrink_data::moons(60, 0.2, 1).unwrap();
    let folds = make_folds(&spec, &data, &Validation::Folds(3)).unwrap();
    let config =
        SearchConfig { alphas: vec![1e-1, 1e-2, 1e-3], repeats: 2, rule: Rule::OneSe, path, threads: 2, ..l2_config() };
    (spec, config, folds)
}

fn search(path: PathKind, done: Vec<TrialRecord>) -> (SearchOutcome, Vec<TrialRecord>) {
    let (spec, config, folds) = setup(path);
    run_collecting(&spec, &config, &folds, done)
}

#[test]
fn warm_path_starts_cold_at_the_weakest_alpha_and_continues() {
    let (cold, _) = search(PathKind::Cold, Vec::new());
    let (warm, _) = search(PathKind::Warm, Vec::new());
    assert_eq!((cold.records.len(), warm.records.len()), (18, 18));
    let at = |o: &SearchOutcome, a: f64| {
        without_time(&o.records.iter().filter(|r| r.alpha == a).cloned().collect::<Vec<_>>())
    };
    // The weakest alpha is trained from fresh weights on both paths: identical records.
    assert_eq!(at(&cold, 1e-3), at(&warm, 1e-3));
    // The stronger ones continue from the previous weights: different records.
    assert_ne!(at(&cold, 1e-1), at(&warm, 1e-1));
    assert!(warm.selection.is_some());
    let (reverse, _) = search(PathKind::WarmReverse, Vec::new());
    assert_eq!(at(&cold, 1e-1), at(&reverse, 1e-1));
}

#[test]
fn an_interrupted_warm_path_resumes_to_the_same_records() {
    let (full, _) = search(PathKind::Warm, Vec::new());
    // Pretend the run died after a third of its trials.
    let done: Vec<TrialRecord> = full.records.iter().step_by(3).cloned().collect();
    let (resumed, new) = search(PathKind::Warm, done.clone());
    assert_eq!(new.len(), full.records.len() - done.len());
    assert_eq!(without_time(&resumed.records), without_time(&full.records));
    assert_eq!(resumed.trained, new.len());
}

#[test]
fn absurd_trial_counts_are_refused_before_planning() {
    let (spec, mut config, folds) = setup(PathKind::Cold);
    config.repeats = 1 << 40;
    let e = run_search(&spec, &config, &folds, Vec::new(), &|_| Ok(()), &|_, _| {}).unwrap_err().to_string();
    assert!(e.contains("alphas × repeats × folds") && e.contains("1099511627776"), "{e}");
    config.repeats = usize::MAX;
    assert!(run_search(&spec, &config, &folds, Vec::new(), &|_| Ok(()), &|_, _| {}).is_err());
}

#[test]
fn an_interrupt_stops_every_trial_of_a_search() {
    for path in [PathKind::Cold, PathKind::Warm] {
        let (spec, mut config, folds) = setup(path);
        let interrupt = crate::train::Interrupt::new();
        config.interrupt = Some(interrupt.clone());
        let recorded = Mutex::new(0);
        let sink = |_: &TrialRecord| {
            *recorded.lock().unwrap() += 1;
            interrupt.set();
            Ok(())
        };
        let e = run_search(&spec, &config, &folds, Vec::new(), &sink, &|_, _| {}).unwrap_err();
        assert!(matches!(e, crate::Error::Interrupted { .. }), "{e}");
        // 18 trials are planned; the two threads finish at most the trials they were in.
        let n = recorded.into_inner().unwrap();
        assert!((1..=2).contains(&n), "{n} trials recorded");
    }
}
