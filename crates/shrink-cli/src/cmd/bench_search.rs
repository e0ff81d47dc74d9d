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
        dimensions: Default::default(),
        halving: None,
        shard: None,
        threads: 1,
        interrupt: None,
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
    text += &halving(quick)?;
    crate::print(&text)
}

/// The case study's search — make_moons(100, 0.2, 1), 30 rows to train, 70 to score, 2→500→1,
/// Adam, 4000 epochs, L2 on the hidden kernel, 1e-1 … 1e-6, 10 seeds — as the full grid and by
/// successive halving (rungs 445, 1334, 4000 epochs), on 2 threads, in this run.
fn halving(quick: bool) -> Result<String> {
    let mut spec =
        ModelSpec::from_toml(&SPEC.replace("units = 64", "units = 500").replace("epochs = 400", "epochs = 4000"))?;
    let repeats = if quick { 2 } else { 10 };
    if quick {
        spec.epochs = 400;
    }
    spec.scaling = shrink::data::Scaling::None; // the case study feeds the raw coordinates
    let data = shrink::data::moons(100, 0.2, 1)?;
    let rows = |r: std::ops::Range<usize>| data.select(&r.collect::<Vec<_>>());
    let folds = make_folds(&spec, &rows(0..30), &Validation::Test(rows(30..100)))?;
    let config = SearchConfig {
        param: "dense_0.kernel".into(),
        penalty: Family::L2,
        alphas: vec![1e-1, 1e-2, 1e-3, 1e-4, 1e-5, 1e-6],
        refine: false,
        repeats,
        rule: Rule::Best,
        score: shrink::search::ScoreKind::Accuracy,
        path: PathKind::Cold,
        warm_epochs: 1,
        dimensions: Default::default(),
        halving: None,
        shard: None,
        threads: 2,
        interrupt: None,
    };
    let full = search(&spec, &config, &folds)?;
    let alpha = |o: &SearchOutcome| o.selection.as_ref().map_or(f64::NAN, |s| s.alpha);
    let mut text = String::new();
    // The default rungs (1/9, 1/3, all; η = 3), and one first rung at half the epochs (η = 2):
    // the penalty pays off late in these fits, which early rungs cannot see.
    let half = (spec.epochs / 2).max(1);
    for halving in [
        shrink::search::Halving::default_for(spec.epochs),
        shrink::search::Halving { rungs: vec![half, spec.epochs], eta: 2 },
    ] {
        let halved = search(&spec, &SearchConfig { halving: Some(halving.clone()), ..config.clone() }, &folds)?;
        text += &format!(
            "Successive halving on the case-study search (moons 30/70, 2→500→1, {} epochs, 6 alphas × {repeats} seeds, \
             rungs {:?}, η = {}, 2 threads): {:.2} s against {:.2} s for the full grid ({:.2}× faster); chosen alpha {} \
             (full grid {}): {}.\n",
            spec.epochs,
            halving.rungs,
            halving.eta,
            halved.seconds,
            full.seconds,
            full.seconds / halved.seconds,
            alpha(&halved),
            alpha(&full),
            if alpha(&halved) == alpha(&full) { "the same" } else { "they differ" }
        );
        for r in &halved.rungs {
            let ranks: Vec<String> = r.ranking.iter().map(|s| format!("{} {:.3}", s.alpha, s.mean)).collect();
            text += &format!("  rung {} ({} epochs): {}\n", r.rung, r.epochs, ranks.join(", "));
        }
    }
    let ranks: Vec<String> = full.scores.iter().map(|s| format!("{} {:.3}", s.alpha, s.mean)).collect();
    text += &format!("  full grid ({} epochs): {}\n", spec.epochs, ranks.join(", "));
    Ok(text)
}
