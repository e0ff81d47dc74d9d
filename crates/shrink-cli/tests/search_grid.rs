//! End-to-end tests of the grid flags of `shrink search`: mixes and widths as key columns,
//! successive halving with the full-grid comparison and resume, the relaxed refit, bad flags.

mod common;
use common::TempDir;
use std::fs;
use std::path::Path;
use std::process::{Command, Output, Stdio};

const MOONS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../shrink-data/tests/data/moons_100_0.2_seed1.csv");

/// A scratch folder (removed on drop) holding `model.toml`, a moons spec of `epochs`.
fn scratch(name: &str, epochs: usize) -> TempDir {
    let dir = TempDir::new_in("search-grid", name);
    let spec = format!(
        "input_shape = [2]\nscaling = \"standard\"\nloss = \"binary_crossentropy\"\nepochs = {epochs}\nseed = 3\n\
         optimizer = {{ name = \"adam\", lr = 0.01 }}\n\
         [[layers]]\ntype = \"dense\"\nunits = 8\nactivation = \"relu\"\n\
         [[layers]]\ntype = \"dense\"\nunits = 1\nactivation = \"sigmoid\"\n"
    );
    dir.write("model.toml", &spec);
    dir
}

fn run(dir: &TempDir, out: &Path, extra: &[&str]) -> Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_shrink"));
    c.args(["search", "--target", "y", "--data", MOONS, "--param", "dense_0.kernel"]);
    if !extra.contains(&"--penalty") {
        c.args(["--penalty", "l2"]);
    }
    c.arg("--spec").arg(dir.join("model.toml")).arg("--out").arg(out).args(extra).stdin(Stdio::null());
    c.output().unwrap()
}

fn ok(o: &Output) -> String {
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// trials.csv without `seconds`, and its header.
fn trials(out: &Path) -> (String, Vec<String>) {
    let text = fs::read_to_string(out.join("trials.csv")).unwrap();
    let mut lines = text.lines();
    let header = lines.next().unwrap().to_string();
    (header, lines.map(|l| l.rsplit_once(',').unwrap().0.to_string()).collect())
}

fn summary(out: &Path) -> serde_json::Value {
    serde_json::from_str(&fs::read_to_string(out.join("summary.json")).unwrap()).unwrap()
}

#[test]
fn mixes_and_widths_are_key_columns_and_chosen_jointly() {
    let dir = scratch("dims", 15);
    let args = [
        "--penalty",
        "elastic-net@proximal",
        "--l1-ratios",
        "0.5,1",
        "--units",
        "dense_0=4,16",
        "--alphas",
        "1e-1,1e-3",
        "--repeats",
        "1",
        "--cv",
        "2",
        "--select",
        "1se",
    ];
    let (a, b) = (dir.join("a"), dir.join("b"));
    let text = ok(&run(&dir, &a, &[&args[..], &["--threads", "1"]].concat()));
    ok(&run(&dir, &b, &[&args[..], &["--threads", "2"]].concat()));
    let (header, rows) = trials(&a);
    assert_eq!(header, "l1_ratio,units,alpha,repeat,fold,seed,score,train_score,kernel_l2,zero_fraction,inputs_used,input_mask,seconds");
    assert_eq!(rows.len(), 2 * 2 * 2 * 2);
    assert!(rows.iter().any(|r| r.starts_with("0.5,16,0.1,0,1,")), "{rows:?}");
    assert_eq!(rows, trials(&b).1);
    let s = summary(&a);
    assert!(s["selection"]["l1_ratio"].is_number() && s["selection"]["units"].is_number(), "{s}");
    assert_eq!(s["scores"].as_array().unwrap().len(), 8);
    assert!(s["scores"][0]["l1_ratio"].is_number());
    let w = &s["wide_vs_narrow"];
    assert_eq!(
        (w["narrow"]["units"].as_u64(), w["wide"]["units"].as_u64(), w["pairs"].as_u64()),
        (Some(4), Some(16), Some(2))
    );
    assert!(text.contains("Widest vs narrowest") && text.contains("l1_ratio"), "{text}");
    // The elastic-net mix enters the penalty: the mix-1 (pure L1) trials differ from mix 0.5.
    let score =
        |prefix: &str| rows.iter().find(|r| r.starts_with(prefix)).unwrap().split(',').nth(7).unwrap().to_string();
    assert_ne!(score("0.5,16,0.1,0,0,"), score("1,16,0.1,0,0,"));
}

#[test]
fn halving_records_rungs_compares_with_the_full_grid_and_resumes() {
    let dir = scratch("halving", 27);
    let out = dir.join("h");
    let args = ["--alphas", "1e-1:1e-6", "--repeats", "2", "--prune-trials", "halving", "--compare-full"];
    let text = ok(&run(&dir, &out, &args));
    let (header, rows) = trials(&out);
    assert_eq!(
        header,
        "alpha,repeat,fold,rung,seed,score,train_score,kernel_l2,zero_fraction,inputs_used,input_mask,seconds"
    );
    // Rungs 3, 9, 27 epochs: 6 → 2 → 1 alphas, 2 repeats each.
    assert_eq!(rows.len(), (6 + 2 + 1) * 2);
    let s = summary(&out);
    let rungs: Vec<u64> = s["rungs"].as_array().unwrap().iter().map(|r| r["epochs"].as_u64().unwrap()).collect();
    assert_eq!(rungs, [3, 9, 27]);
    assert!(s["halving_vs_full"]["speedup"].is_number(), "{s}");
    assert_eq!(trials(&out.join("full")).1.len(), 6 * 2);
    assert!(text.contains("Rung 0 (3 epochs)") && text.contains("for the full grid"), "{text}");
    // The halving survivor's last-rung trials are the full grid's trials of that alpha.
    let chosen = s["chosen_alpha"].as_f64().unwrap().to_string();
    let last: Vec<String> = rows
        .iter()
        .filter(|r| r.split(',').nth(3) == Some("2"))
        .map(|r| {
            let c: Vec<&str> = r.split(',').collect();
            [&c[..3], &c[4..]].concat().join(",")
        })
        .collect();
    let full: Vec<String> =
        trials(&out.join("full")).1.into_iter().filter(|r| r.split(',').next() == Some(&chosen)).collect();
    assert_eq!(last, full);
    // Rerun: everything is in the logs, nothing trains, same decisions.
    let again = ok(&run(&dir, &out, &args));
    assert!(again.contains("(0 trained now"), "{again}");
    assert_eq!(summary(&out)["rungs"], s["rungs"]);
    // Half the epochs first and η = 2: 6 → 3 alphas go on.
    let out = dir.join("eta2");
    ok(&run(
        &dir,
        &out,
        &["--alphas", "1e-1:1e-6", "--repeats", "2", "--prune-trials", "halving", "--rungs", "14,27", "--eta", "2"],
    ));
    assert_eq!(trials(&out).1.len(), (6 + 3) * 2);
}

#[test]
fn relax_refits_on_the_support_and_the_saved_model_predicts_from_the_original_columns() {
    let dir = scratch("relax", 40);
    let out = dir.join("r");
    let args = ["--penalty", "group-columns@proximal", "--alphas", "0.03", "--repeats", "2", "--relax", "--refit"];
    let text = ok(&run(&dir, &out, &args));
    assert!(text.contains("Relaxed fit at alpha 0.03: penalized"), "{text}");
    let s = summary(&out);
    let r = &s["relax"];
    assert_eq!(r["trials"].as_array().unwrap().len(), 2);
    // The penalized fits are the search's trials: the same mean score.
    assert_eq!(r["penalized_mean"], s["scores"][0]["mean"]);
    assert!(r["parameters_mean"].as_f64().unwrap() < r["parameters_before"].as_f64().unwrap(), "{r}");
    let p = Command::new(env!("CARGO_BIN_EXE_shrink"))
        .args(["predict", "--model"])
        .arg(out.join("model.safetensors"))
        .args(["--data", MOONS])
        .output()
        .unwrap();
    let preds = ok(&p);
    assert_eq!(preds.lines().count(), 101, "{preds}");
}

#[test]
fn bad_grid_flags_are_errors_and_write_nothing() {
    let dir = scratch("bad", 9);
    for (extra, message) in [
        (&["--alphas", "1e-2", "--penalty", "elastic-net", "--l1-ratios", "0.5,1.5"][..], "--l1-ratios"),
        (&["--alphas", "1e-2", "--l1-ratios", "0.5"][..], "l1-ratios must be used with a family that mixes"),
        (&["--alphas", "1e-2", "--penalty", "elastic-net"][..], "--l1-ratios"),
        (&["--alphas", "1e-2", "--units", "dense_1=4"][..], "output layer"),
        (&["--alphas", "1e-2", "--units", "dense_0=0"][..], "--units"),
        (&["--alphas", "1e-2", "--rungs", "3,9"][..], "--prune-trials halving"),
        (&["--alphas", "1e-2", "--prune-trials", "halving", "--rungs", "3,5"][..], "rungs"),
        (&["--alphas", "1e-2", "--prune-trials", "halving", "--eta", "1"][..], "--eta must be ≥ 2"),
        (&["--alphas", "1e-2", "--eta", "2"][..], "--prune-trials halving"),
        (&["--alphas", "1e-2", "--prune-trials", "halving", "--path", "warm"][..], "prune-trials"),
        (&["--alphas", "1e-2", "--relax", "--path", "warm"][..], "--relax"),
    ] {
        let out = dir.join("never");
        let o = run(&dir, &out, extra);
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(matches!(o.status.code(), Some(1 | 2)), "{extra:?}: {err}");
        assert!(err.contains(message), "{extra:?}: {err}");
        assert!(!out.exists(), "{extra:?} wrote {}", out.display());
    }
}
