//! `shrink bench --search`: trials per second of the alpha search on 1 and 2 threads, and the
//! warm path against the cold grid. Trials are independent single-threaded fits, so the goal
//! is near-linear scaling (≥ 1.8× on 2 cores).

use anyhow::Result;
use shrink::penalty::Family;
use shrink::search::{make_folds, run_search, PathKind, Rule, SearchConfig, SearchOutcome, Validation};
use shrink::spec::ModelSpec;
use shrink_report::Table;

const SPEC: &str = r#"
input_shape = [2]
scaling = "standard"
loss = "binary_crossentropy"
epochs = 400
[[layers]]
type = "dense"
units = 64
activation = "relu"
[[layers]]
type = "dense"
units = 1
activation = "sigmoid"
"#;

fn search(spec: &ModelSpec, config: &SearchConfig, folds: &[shrink::search::Fold]) -> Result<SearchOutcome> {
    Ok(run_search(spec, config, folds, Vec::new(), &|_| Ok(()), &|_, _| {})?)
}

/// Runs the search benchmark and prints its table.
pub fn run(quick: bool) -> Result<()> {
    let mut spec = ModelSpec::from_toml(SPEC)?;
    if quick {
        spec.epochs = 20;
    }
    let data = shrink::data::moons(200, 0.2, 1)?;
    let folds = make_folds(&spec, &data, &Validation::Folds(5))?;
    let config = SearchConfig {
        param: "dense_0.kernel".into(),
        penalty: Family::L2,
        alphas: vec![1e-1, 1e-2, 1e-3, 1e-4, 1e-5],
        refine: false,
        repeats: if quick { 1 } else { 4 },
        rule: Rule::Best,
        score: shrink::search::ScoreKind::Accuracy,
        path: PathKind::Cold,
        warm_epochs: (spec.epochs / 4).max(1),
        threads: 1,
    };
    let mut table =
        Table::new(["search (moons 200, 2→64→1, 5-fold CV, 5 alphas)", "trials", "wall s", "trials/s", "chosen alpha"]);
    let mut rate = Vec::new();
    let mut push = |name: String, o: &SearchOutcome| {
        rate.push(o.records.len() as f64 / o.seconds);
        table.push_row([
            name,
            o.records.len().to_string(),
            format!("{:.2}", o.seconds),
            format!("{:.1}", o.records.len() as f64 / o.seconds),
            o.selection.as_ref().map_or("-".into(), |s| s.alpha.to_string()),
        ]);
    };
    for threads in [1, 2] {
        let o = search(&spec, &SearchConfig { threads, ..config.clone() }, &folds)?;
        push(format!("cold grid, {threads} thread{}", if threads > 1 { "s" } else { "" }), &o);
    }
    let warm = search(&spec, &SearchConfig { threads: 2, path: PathKind::Warm, ..config.clone() }, &folds)?;
    push(format!("warm path ({} + {} epochs), 2 threads", spec.epochs, config.warm_epochs), &warm);
    let mut text = format!("{table}\n");
    text += &format!("2 threads vs 1: {:.2}× trials per second.\n", rate[1] / rate[0]);
    text += &format!("Warm path vs cold grid (2 threads): {:.2}× faster.\n", rate[2] / rate[1]);
    crate::print(&text)
}
