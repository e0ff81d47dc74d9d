//! `shrink search --alphas auto`: glmnet's automatic path reproduces scikit-learn's
//! `lasso_path` on a linear problem, and the exits of a group-lasso path rank informative
//! inputs above noise.

mod common;
use common::*;

fn search(tmp: &TempDir, spec: &str, data: &str, out: &str, extra: &[&str]) -> serde_json::Value {
    let spec = tmp.write("spec.toml", spec);
    let out = tmp.join(out);
    let mut args: Vec<String> = ["search", "--spec", spec.to_str().unwrap(), "--data", data, "--target", "y"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    args.extend(["--param", "dense_0.kernel", "--out", out.to_str().unwrap(), "--threads", "2"].map(String::from));
    args.extend(extra.iter().map(|s| s.to_string()));
    let o = shrink(&args);
    assert!(o.status.success(), "{}", stderr(&o));
    serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap()).unwrap()
}

/// `alphas.csv` as (alpha, inputs_used, zero_fraction) rows, strongest first.
fn path_rows(tmp: &TempDir, out: &str) -> Vec<(f64, f64, f64)> {
    let text = std::fs::read_to_string(tmp.join(out).join("alphas.csv")).unwrap();
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    assert_eq!(
        header,
        ["alpha", "score_mean", "score_se", "n", "inputs_used", "inputs", "zero_fraction", "kernel_l2", "chosen"]
    );
    lines
        .map(|l| {
            // `inputs` may be quoted; the columns around it are plain numbers.
            let f: Vec<&str> = l.split(',').collect();
            let n = f.len();
            (f[0].parse().unwrap(), f[4].parse().unwrap(), f[n - 3].parse().unwrap())
        })
        .collect()
}

const LASSO: &str = include_str!("data/lasso_path_spec.toml");

#[test]
fn the_automatic_lasso_path_is_scikit_learns() {
    let tmp = TempDir::new_in("alpha_path", "lasso");
    let data = data("lasso_path.csv");
    let data = data.to_str().unwrap();
    // --test on the same table: every trial trains on all 100 rows, as lasso_path does.
    let s = search(
        &tmp,
        LASSO,
        data,
        "lasso",
        &["--penalty", "l1@proximal", "--alphas", "auto:10", "--alpha-ratio", "1e-3", "--repeats", "1", "--test", data],
    );
    // python3 scripts/lasso_path_reference.py: sklearn alpha_max 2.101817508698145 (max|Xᵀy|/n on
    // standardized X, centered y); shrink's MSE is RSS/n, twice sklearn's data term: l1 = 2a.
    let sklearn_alpha_max = 2.101817508698145;
    let alpha_max = s["alpha_max"].as_f64().unwrap();
    assert!((alpha_max / (2.0 * sklearn_alpha_max) - 1.0).abs() < 1e-6, "{alpha_max}");
    // python3 scripts/lasso_path_reference.py: support sizes [0, 1, 5, 6, 7, 8, 8, 8, 8, 8]
    // (also at alpha·(1 + 1e-4); no grid alpha is within 5 % of a knot of the path).
    let rows = path_rows(&tmp, "lasso");
    let sizes: Vec<f64> = rows.iter().map(|r| r.1).collect();
    assert_eq!(sizes, [0.0, 1.0, 5.0, 6.0, 7.0, 8.0, 8.0, 8.0, 8.0, 8.0], "{rows:?}");
    for (i, r) in rows.iter().enumerate() {
        let expect = 2.0 * sklearn_alpha_max * 1e-3f64.powf(i as f64 / 9.0);
        assert!((r.0 / expect - 1.0).abs() < 2e-4, "alpha {i}: {} vs {expect}", r.0);
    }
    assert_eq!(rows[0].2, 1.0, "the strongest alpha zeros every weight");
}

/// 300 rows: inputs 0–4 carry the target, 5–49 are noise (a fixed LCG, no RNG crate).
fn informative_table() -> String {
    let mut s = 2024u64;
    let mut next = || {
        s = s.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        ((s >> 11) as f64 / (1u64 << 53) as f64) * 2.0 - 1.0
    };
    let mut text = (0..50).map(|i| format!("x{i},")).collect::<String>() + "y\n";
    for _ in 0..300 {
        let x: Vec<f64> = (0..50).map(|_| next()).collect();
        let y = 1.5 * x[0] - 1.2 * x[1] + 1.0 * x[2] * x[2].abs() + 0.9 * x[3] - 0.8 * x[4] + 0.1 * next();
        for v in &x {
            text += &format!("{v},");
        }
        text += &format!("{y}\n");
    }
    text
}

const MLP: &str = include_str!("data/informative_mlp.toml");

#[test]
fn group_lasso_exits_rank_the_informative_inputs_first() {
    let tmp = TempDir::new_in("alpha_path", "exits");
    let data = tmp.write("informative.csv", &informative_table());
    let s = search(
        &tmp,
        MLP,
        data.to_str().unwrap(),
        "exits",
        &["--penalty", "group-rows@proximal", "--alphas", "auto:12", "--repeats", "2"],
    );
    // The relu layer is evaluated with its right derivative (otherwise alpha_max would be 0).
    assert_eq!(s["auto_path"]["alpha_max"]["linearized"], serde_json::json!(["dense_0"]));
    assert!(s["alpha_max"].as_f64().unwrap() > 0.0);
    let exits = s["input_exits"].as_array().unwrap();
    assert_eq!(exits.len(), 50);
    let last = |e: &serde_json::Value| e["last_alpha"].as_f64().unwrap_or(0.0);
    let informative: Vec<&serde_json::Value> = exits.iter().filter(|e| e["index"].as_u64().unwrap() < 5).collect();
    let weakest_informative = informative.iter().map(|e| last(e)).fold(f64::MAX, f64::min);
    let strongest_noise = exits.iter().filter(|e| e["index"].as_u64().unwrap() >= 5).map(last).fold(0.0, f64::max);
    assert!(
        weakest_informative > strongest_noise,
        "informative inputs leave at {weakest_informative}, a noise input stays until {strongest_noise}: {exits:?}"
    );
    let top5: Vec<u64> = exits[..5].iter().map(|e| e["index"].as_u64().unwrap()).collect();
    assert!(top5.iter().all(|&i| i < 5), "{top5:?}");
    // Observed (Adam, minibatches, from the initialization; not a theorem for a relu network):
    // the strongest alpha of the path zeros every row in every trial.
    let rows = path_rows(&tmp, "exits");
    assert_eq!((rows[0].1, rows[0].2), (0.0, 1.0), "{rows:?}");
    assert!(tmp.join("exits").join("inputs_vs_alpha.svg").exists());
    assert!(tmp.join("exits").join("score_vs_inputs.png").exists());
}
