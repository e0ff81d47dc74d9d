//! End-to-end tests of the `shrink` binary: argument parsing, the `data moons` generator, the
//! case study on the two moons and on a user CSV, error reporting on bad input, and a smoke run
//! of `bench`.
//!
//! Every case-study run uses tiny settings (a handful of epochs, two repeats, two alphas) so the
//! whole file runs in a few seconds in release mode.

mod common;
use common::*;
use std::collections::BTreeMap;
use std::fs;
use std::path::Path;
use std::process::{Command, Output, Stdio};

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

/// Tiny case-study settings: 2 repeats × (none + l2 + 2 grid alphas).
const TINY: [&str; 6] = ["--epochs", "5", "--repeats", "2", "--alphas", "1e-1,1e-3"];

const RESULTS_HEADER: &str = "config,alpha,repeat,seed,train_acc,test_acc,train_loss,test_loss,\
                              kernel_l2,kernel_max_abs,fit_seconds";

const PLOTS: [&str; 3] = ["learning_curves_none", "learning_curves_l2", "accuracy_vs_alpha"];

const PNG_SIGNATURE: [u8; 8] = [0x89, b'P', b'N', b'G', b'\r', b'\n', 0x1a, b'\n'];

/// Runs `shrink case-study --out <dir> <args>` with `args` passed as strings.
fn case_study(out: &Path, args: &[&str]) -> Output {
    let mut v: Vec<String> = vec!["case-study".into(), "--out".into(), out.display().to_string()];
    v.extend(args.iter().map(|s| s.to_string()));
    shrink(v)
}

/// Asserts that a failing `shrink case-study` run:
/// - exits with a non-zero code (exactly `code` when given),
/// - does not panic, and names everything in `needles` on stderr,
/// - does not create a fresh `--out` folder,
/// - does not touch an existing `--out` folder holding a sentinel `results.csv`.
///
/// Returns stderr of the run.
#[track_caller]
fn assert_rejected(tmp: &TempDir, args: &[&str], code: Option<i32>, needles: &[&str]) -> String {
    // 1. A fresh output folder must not be created.
    let fresh = tmp.join("fresh-out");
    let o = case_study(&fresh, args);
    let err = stderr(&o);
    assert!(!o.status.success(), "expected failure for {args:?}, got success\nstdout:\n{}", stdout(&o));
    if let Some(c) = code {
        assert_eq!(o.status.code(), Some(c), "exit code for {args:?}; stderr:\n{err}");
    }
    assert!(!err.contains("panicked"), "panic for {args:?}:\n{err}");
    assert!(!err.trim().is_empty(), "empty stderr for {args:?}");
    for n in needles {
        assert!(err.contains(n), "stderr for {args:?} should mention {n:?}:\n{err}");
    }
    assert!(!fresh.exists(), "a failing run {args:?} created {}", fresh.display());

    // 2. An existing output folder must be left alone.
    let out = tmp.join("sentinel-out");
    fs::create_dir_all(&out).unwrap();
    fs::write(out.join("results.csv"), "sentinel\n").unwrap();
    let o = case_study(&out, args);
    assert!(!o.status.success(), "expected failure for {args:?} (second run)");
    assert!(!stderr(&o).contains("panicked"), "panic for {args:?}:\n{}", stderr(&o));
    assert_eq!(fs::read_to_string(out.join("results.csv")).unwrap(), "sentinel\n", "{args:?} overwrote results.csv");
    let names: Vec<String> =
        fs::read_dir(&out).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    assert_eq!(names, vec!["results.csv".to_string()], "{args:?} wrote into the output folder");
    fs::remove_dir_all(&out).unwrap();
    err
}

/// Parses a plain CSV (no quoting) into a header and rows of cells.
fn parse_csv(text: &str) -> (String, Vec<Vec<String>>) {
    let mut lines = text.lines();
    let header = lines.next().expect("empty CSV").to_string();
    let rows = lines.filter(|l| !l.is_empty()).map(|l| l.split(',').map(str::to_string).collect()).collect();
    (header, rows)
}

/// One row of results.csv.
#[derive(Debug, Clone)]
struct Fit {
    config: String,
    alpha: f64,
    repeat: u64,
    seed: u64,
    train_acc: f64,
    test_acc: f64,
    train_loss: f64,
    test_loss: f64,
    kernel_l2: f64,
    kernel_max_abs: f64,
    fit_seconds: f64,
}

fn read_results(dir: &Path) -> Vec<Fit> {
    let text = fs::read_to_string(dir.join("results.csv")).unwrap();
    let (header, rows) = parse_csv(&text);
    assert_eq!(header, RESULTS_HEADER);
    rows.iter()
        .map(|r| {
            assert_eq!(r.len(), 11, "row {r:?}");
            let f = |i: usize| -> f64 { r[i].parse().unwrap_or_else(|e| panic!("cell {:?} of {r:?}: {e}", r[i])) };
            let u = |i: usize| -> u64 { r[i].parse().unwrap_or_else(|e| panic!("cell {:?} of {r:?}: {e}", r[i])) };
            Fit {
                config: r[0].clone(),
                alpha: f(1),
                repeat: u(2),
                seed: u(3),
                train_acc: f(4),
                test_acc: f(5),
                train_loss: f(6),
                test_loss: f(7),
                kernel_l2: f(8),
                kernel_max_abs: f(9),
                fit_seconds: f(10),
            }
        })
        .collect()
}

/// results.csv without its last column (fit_seconds, the only one allowed to vary).
fn results_without_timing(dir: &Path) -> String {
    let text = fs::read_to_string(dir.join("results.csv")).unwrap();
    text.lines()
        .map(|l| {
            let cut = l.rfind(',').expect("no comma");
            &l[..cut]
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn read_summary(dir: &Path) -> serde_json::Value {
    let text = fs::read_to_string(dir.join("summary.json")).unwrap();
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("summary.json is not JSON: {e}\n{text}"))
}

/// Checks the files, rows and values that every successful case study writes.
#[track_caller]
fn check_study_outputs(dir: &Path, repeats: u64, alphas: &[f64], first_seed: u64) -> Vec<Fit> {
    let files = manifest_files(&read_manifest(dir));
    for p in PLOTS {
        assert!(files.contains(&format!("{p}.png")) && files.contains(&format!("{p}.svg")), "{p} not in {files:?}");
    }
    for p in PLOTS {
        let png = fs::read(dir.join(format!("{p}.png"))).unwrap_or_else(|e| panic!("{p}.png: {e}"));
        assert!(png.len() > 100 && png[..8] == PNG_SIGNATURE, "{p}.png is not a PNG");
        let svg = fs::read_to_string(dir.join(format!("{p}.svg"))).unwrap_or_else(|e| panic!("{p}.svg: {e}"));
        assert!(svg.contains("<svg"), "{p}.svg is not an SVG");
    }

    let fits = read_results(dir);
    let n_configs = 2 + alphas.len() as u64;
    assert_eq!(fits.len() as u64, repeats * n_configs, "one row per fit and configuration");

    let mut by_config: BTreeMap<(String, u64), Vec<&Fit>> = BTreeMap::new();
    for f in &fits {
        by_config.entry((f.config.clone(), f.alpha.to_bits())).or_default().push(f);
        assert!((0.0..=1.0).contains(&f.train_acc), "train_acc {f:?}");
        assert!((0.0..=1.0).contains(&f.test_acc), "test_acc {f:?}");
        assert!(f.train_loss.is_finite() && f.train_loss >= 0.0, "{f:?}");
        assert!(f.test_loss.is_finite() && f.test_loss >= 0.0, "{f:?}");
        assert!(f.kernel_l2.is_finite() && f.kernel_l2 > 0.0, "{f:?}");
        assert!(f.kernel_max_abs.is_finite() && f.kernel_max_abs > 0.0 && f.kernel_max_abs <= f.kernel_l2, "{f:?}");
        assert!(f.fit_seconds.is_finite() && f.fit_seconds >= 0.0, "{f:?}");
        assert!(f.repeat < repeats, "{f:?}");
        assert_eq!(f.seed, first_seed + f.repeat, "repeat r uses seed + r: {f:?}");
    }
    assert_eq!(by_config.len() as u64, n_configs, "configurations: {:?}", by_config.keys());
    let none = &by_config[&("none".to_string(), 0f64.to_bits())];
    assert_eq!(none.len() as u64, repeats);
    let l2: Vec<_> = fits.iter().filter(|f| f.config == "l2").collect();
    assert_eq!(l2.len() as u64, repeats);
    assert!(l2.iter().all(|f| f.alpha > 0.0), "{l2:?}");
    for &a in alphas {
        let grid =
            by_config.get(&("grid".to_string(), a.to_bits())).unwrap_or_else(|| panic!("no grid rows for alpha {a}"));
        assert_eq!(grid.len() as u64, repeats);
        let mut reps: Vec<u64> = grid.iter().map(|f| f.repeat).collect();
        reps.sort();
        assert_eq!(reps, (0..repeats).collect::<Vec<_>>());
    }

    let s = read_summary(dir);
    for key in ["config", "summary", "best_alpha", "reading", "total_seconds", "fits_trained"] {
        assert!(s.get(key).is_some(), "summary.json lacks {key}: {s}");
    }
    assert_eq!(s["config"]["repeats"].as_u64(), Some(repeats));
    let cfg_alphas: Vec<f64> = s["config"]["alphas"].as_array().unwrap().iter().map(|v| v.as_f64().unwrap()).collect();
    assert_eq!(cfg_alphas, alphas);
    assert_eq!(s["config"]["seed"].as_u64(), Some(first_seed));
    assert!(s["reading"].as_str().is_some_and(|r| !r.trim().is_empty()));
    assert!(s["total_seconds"].as_f64().is_some_and(|t| t.is_finite() && t >= 0.0));
    let trained = s["fits_trained"].as_u64().unwrap();
    assert!(trained >= repeats * (1 + alphas.len() as u64) && trained <= fits.len() as u64, "fits_trained {trained}");

    // The summary agrees with the per-fit rows.
    let summary = s["summary"].as_array().unwrap();
    assert_eq!(summary.len() as u64, n_configs);
    for entry in summary {
        let config = entry["config"].as_str().unwrap();
        let alpha = entry["alpha"].as_f64().unwrap();
        let rows: Vec<_> = fits.iter().filter(|f| f.config == config && f.alpha == alpha).collect();
        assert_eq!(entry["n"].as_u64(), Some(rows.len() as u64), "{entry}");
        let mean = |g: fn(&Fit) -> f64| rows.iter().map(|f| g(f)).sum::<f64>() / rows.len() as f64;
        for (key, m) in [
            ("train_acc_mean", mean(|f| f.train_acc)),
            ("test_acc_mean", mean(|f| f.test_acc)),
            ("kernel_l2_mean", mean(|f| f.kernel_l2)),
        ] {
            let v = entry[key].as_f64().unwrap();
            assert!((v - m).abs() < 1e-9, "{key} of {config}/{alpha}: summary {v}, rows {m}");
        }
    }

    // best_alpha is a grid alpha with the highest mean test accuracy.
    let best = s["best_alpha"].as_f64().unwrap();
    assert!(alphas.contains(&best), "best_alpha {best} not in {alphas:?}");
    let grid_mean = |a: f64| {
        let r: Vec<_> = fits.iter().filter(|f| f.config == "grid" && f.alpha == a).collect();
        r.iter().map(|f| f.test_acc).sum::<f64>() / r.len() as f64
    };
    for &a in alphas {
        assert!(grid_mean(best) >= grid_mean(a) - 1e-12, "best_alpha {best} but alpha {a} has a higher test accuracy");
    }
    fits
}

// ---------------------------------------------------------------------------------------------
// General
// ---------------------------------------------------------------------------------------------

#[test]
fn help_lists_the_subcommands() {
    let o = shrink(["--help"]);
    assert_success(&o);
    let out = stdout(&o);
    for cmd in ["case-study", "data", "bench"] {
        assert!(out.contains(cmd), "--help lacks {cmd}:\n{out}");
    }
    let o = shrink(["--version"]);
    assert_success(&o);
    assert!(stdout(&o).contains("shrink"));
}

#[test]
fn case_study_help_documents_its_flags() {
    let o = shrink(["case-study", "--help"]);
    assert_success(&o);
    let out = stdout(&o);
    for flag in [
        "--repeats",
        "--epochs",
        "--alphas",
        "--out",
        "--seed",
        "--threads",
        "--data",
        "--target",
        "--test",
        "--train-rows",
        "--scale",
    ] {
        assert!(out.contains(flag), "case-study --help lacks {flag}:\n{out}");
    }
}

#[test]
fn no_subcommand_is_a_usage_error() {
    let o = shrink(Vec::<&str>::new());
    assert_eq!(o.status.code(), Some(2), "stderr:\n{}", stderr(&o));
    assert!(stderr(&o).contains("Usage"));
    let o = shrink(["frobnicate"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(!stderr(&o).contains("panicked"));
}

// ---------------------------------------------------------------------------------------------
// shrink data moons
// ---------------------------------------------------------------------------------------------

#[test]
fn data_moons_matches_scikit_learn_bit_for_bit() {
    let o = shrink(["data", "moons", "--n", "100", "--noise", "0.2", "--seed", "1"]);
    assert_success(&o);
    let expected = fs::read_to_string(data("moons_100_0.2_seed1.csv")).unwrap();
    let (eh, erows) = parse_csv(&expected);
    let (gh, grows) = parse_csv(&stdout(&o));
    assert_eq!(gh, eh);
    assert_eq!(gh, "x0,x1,y");
    assert_eq!(grows.len(), 100);
    assert_eq!(grows.len(), erows.len());
    for (i, (g, e)) in grows.iter().zip(&erows).enumerate() {
        assert_eq!(g.len(), e.len(), "row {i}");
        for (gc, ec) in g.iter().zip(e) {
            let gv: f64 = gc.parse().unwrap();
            let ev: f64 = ec.parse().unwrap();
            assert!(gv.to_bits() == ev.to_bits() || (gv - ev).abs() < 1e-12, "row {i}: got {gc}, scikit-learn {ec}");
        }
    }
    // The defaults are the same arguments.
    let d = shrink(["data", "moons"]);
    assert_success(&d);
    assert_eq!(stdout(&d), stdout(&o));
}

#[test]
fn data_moons_other_arguments() {
    let o = shrink(["data", "moons", "--n", "37", "--noise", "0.05", "--seed", "7"]);
    assert_success(&o);
    let (h, rows) = parse_csv(&stdout(&o));
    assert_eq!(h, "x0,x1,y");
    assert_eq!(rows.len(), 37);
    let mut ones = 0;
    for r in &rows {
        assert_eq!(r.len(), 3);
        let x0: f64 = r[0].parse().unwrap();
        let x1: f64 = r[1].parse().unwrap();
        assert!(x0.is_finite() && x1.is_finite());
        match r[2].as_str() {
            "0" => {}
            "1" => ones += 1,
            y => panic!("label {y}"),
        }
    }
    // make_moons: n // 2 points on the outer moon (0), the rest on the inner moon (1).
    assert_eq!(ones, 37 - 37 / 2);

    // Same seed, same output; another seed, other points.
    let again = shrink(["data", "moons", "--n", "37", "--noise", "0.05", "--seed", "7"]);
    assert_eq!(stdout(&again), stdout(&o));
    let other = shrink(["data", "moons", "--n", "37", "--noise", "0.05", "--seed", "8"]);
    assert_success(&other);
    assert_ne!(stdout(&other), stdout(&o));
}

#[test]
fn data_moons_without_noise_lies_on_the_two_half_circles() {
    let o = shrink(["data", "moons", "--n", "21", "--noise", "0", "--seed", "3"]);
    assert_success(&o);
    let (_, rows) = parse_csv(&stdout(&o));
    assert_eq!(rows.len(), 21);
    for r in rows {
        let x0: f64 = r[0].parse().unwrap();
        let x1: f64 = r[1].parse().unwrap();
        let (cx, cy, upper) = if r[2] == "0" { (0.0, 0.0, true) } else { (1.0, 0.5, false) };
        let radius = ((x0 - cx).powi(2) + (x1 - cy).powi(2)).sqrt();
        assert!((radius - 1.0).abs() < 1e-12, "{r:?} is off its circle");
        if upper {
            assert!(x1 >= -1e-12, "{r:?}");
        } else {
            assert!(x1 <= 0.5 + 1e-12, "{r:?}");
        }
    }
}

#[test]
fn data_moons_rejects_bad_arguments() {
    for args in [
        vec!["data", "moons", "--n", "0"],
        vec!["data", "moons", "--noise", "nan"],
        vec!["data", "moons", "--noise=-1"],
        vec!["data", "moons", "--noise", "inf"],
    ] {
        let o = shrink(&args);
        assert!(!o.status.success(), "{args:?} succeeded");
        let err = stderr(&o);
        assert!(!err.contains("panicked"), "{args:?}:\n{err}");
        assert!(err.contains("error"), "{args:?}:\n{err}");
        assert!(stdout(&o).is_empty(), "{args:?} printed data:\n{}", stdout(&o));
    }
    for (args, param) in [(["--n", "0"], "n"), (["--noise", "nan"], "noise")] {
        let o = shrink(["data", "moons"].iter().chain(&args));
        assert!(stderr(&o).contains(param), "{args:?}: {}", stderr(&o));
    }
    let o = shrink(["data", "moons", "--n", "abc"]);
    assert_eq!(o.status.code(), Some(2));
}

// ---------------------------------------------------------------------------------------------
// shrink case-study on the two moons
// ---------------------------------------------------------------------------------------------

#[test]
fn case_study_moons_writes_table_results_summary_and_plots() {
    let tmp = TempDir::new_in("cli-test", "moons_outputs");
    let out = tmp.join("out");
    let o = case_study(&out, &TINY);
    assert_success(&o);
    let text = stdout(&o);
    for needle in ["config", "alpha", "train acc", "test acc", "no penalty", "grid", "0.1", "0.001"] {
        assert!(text.contains(needle), "stdout lacks {needle:?}:\n{text}");
    }
    let fits = check_study_outputs(&out, 2, &[0.1, 1e-3], 0);

    // The reading paragraph is printed and stored.
    let s = read_summary(&out);
    let reading = s["reading"].as_str().unwrap();
    assert!(text.contains(reading), "the reading is not printed:\n{text}");
    assert_eq!(s["config"]["epochs"].as_u64(), Some(5));

    // Every written file is listed on stdout.
    for f in ["results.csv", "summary.json"]
        .into_iter()
        .map(String::from)
        .chain(PLOTS.iter().flat_map(|p| [format!("{p}.png"), format!("{p}.svg")]))
    {
        assert!(text.contains(&f), "stdout does not list {f}");
    }

    // The reference L2 configuration uses the reference alpha (1e-3 here, which is also on the
    // grid): both must give the same fits.
    let l2: Vec<_> = fits.iter().filter(|f| f.config == "l2").collect();
    assert!(l2.iter().all(|f| f.alpha == 1e-3), "{l2:?}");
    for f in &l2 {
        let g = fits.iter().find(|g| g.config == "grid" && g.alpha == f.alpha && g.repeat == f.repeat).unwrap();
        assert_eq!(
            (f.train_acc, f.test_acc, f.train_loss, f.test_loss, f.kernel_l2),
            (g.train_acc, g.test_acc, g.train_loss, g.test_loss, g.kernel_l2)
        );
    }
    // Shared fits are trained once.
    assert_eq!(s["fits_trained"].as_u64(), Some(6));
}

#[test]
fn case_study_is_deterministic_across_thread_counts() {
    let tmp = TempDir::new_in("cli-test", "threads");
    let args = ["--epochs", "5", "--repeats", "3", "--alphas", "1e-1,1e-2", "--seed", "5"];
    let mut runs = Vec::new();
    for t in ["1", "2", "3"] {
        let out = tmp.join(&format!("t{t}"));
        let mut a = args.to_vec();
        a.extend(["--threads", t]);
        let o = case_study(&out, &a);
        assert_success(&o);
        check_study_outputs(&out, 3, &[0.1, 1e-2], 5);
        assert_eq!(read_summary(&out)["fits_trained"].as_u64(), Some(12));
        runs.push(out);
    }
    let reference = results_without_timing(&runs[0]);
    let ref_summary = read_summary(&runs[0]);
    for r in &runs[1..] {
        assert_eq!(results_without_timing(r), reference, "results.csv depends on --threads");
        let s = read_summary(r);
        assert_eq!(s["summary"], ref_summary["summary"]);
        assert_eq!(s["best_alpha"], ref_summary["best_alpha"]);
        assert_eq!(s["reading"], ref_summary["reading"]);
    }
}

#[test]
fn case_study_seed_selects_the_fits() {
    let tmp = TempDir::new_in("cli-test", "seed");
    let a = tmp.join("a");
    let b = tmp.join("b");
    let c = tmp.join("c");
    assert_success(&case_study(&a, &[&TINY[..], &["--seed", "11"]].concat()));
    assert_success(&case_study(&b, &[&TINY[..], &["--seed", "11"]].concat()));
    assert_success(&case_study(&c, &[&TINY[..], &["--seed", "12"]].concat()));
    check_study_outputs(&a, 2, &[0.1, 1e-3], 11);
    check_study_outputs(&c, 2, &[0.1, 1e-3], 12);
    assert_eq!(results_without_timing(&a), results_without_timing(&b), "same seed, different results");
    // Seed 12 re-runs repeat 1 of seed 11 as its repeat 0.
    let fa = read_results(&a);
    let fc = read_results(&c);
    let none_a1 = fa.iter().find(|f| f.config == "none" && f.repeat == 1).unwrap();
    let none_c0 = fc.iter().find(|f| f.config == "none" && f.repeat == 0).unwrap();
    assert_eq!(none_a1.seed, none_c0.seed);
    assert_eq!(
        (none_a1.test_acc, none_a1.test_loss, none_a1.kernel_l2),
        (none_c0.test_acc, none_c0.test_loss, none_c0.kernel_l2)
    );
    assert_ne!(results_without_timing(&a), results_without_timing(&c));
}

#[test]
fn case_study_keeps_a_previous_run_without_force() {
    let tmp = TempDir::new_in("cli-test", "rerun");
    let out = tmp.join("out");
    fs::create_dir_all(&out).unwrap();
    fs::write(out.join("results.csv"), "sentinel\n").unwrap();
    assert_fails(&case_study(&out, &TINY), &["already holds results (results.csv)", "--force"]);
    assert_eq!(fs::read_to_string(out.join("results.csv")).unwrap(), "sentinel\n");
    assert_success(&case_study(&out, &[&TINY[..], &["--force"]].concat()));
    check_study_outputs(&out, 2, &[0.1, 1e-3], 0);
}

// ---------------------------------------------------------------------------------------------
// shrink case-study on a user CSV
// ---------------------------------------------------------------------------------------------

fn breast_cancer_args(out_extra: &[&str]) -> Vec<String> {
    let mut v: Vec<String> = TINY.iter().map(|s| s.to_string()).collect();
    v.extend(["--data".into(), data("breast_cancer.csv").display().to_string(), "--target".into(), "target".into()]);
    v.extend(out_extra.iter().map(|s| s.to_string()));
    v
}

#[test]
fn case_study_on_breast_cancer_with_train_rows() {
    let tmp = TempDir::new_in("cli-test", "breast_cancer");
    let out = tmp.join("out");
    let args = breast_cancer_args(&["--train-rows", "400"]);
    let o = case_study(&out, &args.iter().map(String::as_str).collect::<Vec<_>>());
    assert_success(&o);
    let fits = check_study_outputs(&out, 2, &[0.1, 1e-3], 0);
    // Standardised breast-cancer data is easy: even 5 epochs beat the majority class (~63%).
    let none: Vec<_> = fits.iter().filter(|f| f.config == "none").collect();
    assert!(none.iter().all(|f| f.test_acc > 0.8), "{none:?}");
    // The reading counts this study's training rows, not the moons' 30.
    let reading = s_reading(&out);
    assert!(!reading.contains("30 training points"), "{reading}");
    assert!(!reading.contains("overfits") || reading.contains("the 400 training points"), "{reading}");
}

fn s_reading(dir: &Path) -> String {
    read_summary(dir)["reading"].as_str().unwrap().to_string()
}

#[test]
fn case_study_separate_test_file_equals_train_rows_split() {
    let tmp = TempDir::new_in("cli-test", "test_file");
    let text = fs::read_to_string(data("breast_cancer.csv")).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let header = lines[0];
    let train = tmp.write("train.csv", &(lines[..401].join("\n") + "\n"));
    let test = tmp.write(
        "test.csv",
        &(std::iter::once(header).chain(lines[401..].iter().copied()).collect::<Vec<_>>().join("\n") + "\n"),
    );

    let split = tmp.join("split");
    let args = breast_cancer_args(&["--train-rows", "400", "--threads", "1"]);
    assert_success(&case_study(&split, &args.iter().map(String::as_str).collect::<Vec<_>>()));

    let files = tmp.join("files");
    let mut args: Vec<String> = TINY.iter().map(|s| s.to_string()).collect();
    args.extend(
        ["--data", train.to_str().unwrap(), "--target", "target", "--test", test.to_str().unwrap(), "--threads", "2"]
            .map(String::from),
    );
    assert_success(&case_study(&files, &args.iter().map(String::as_str).collect::<Vec<_>>()));

    check_study_outputs(&files, 2, &[0.1, 1e-3], 0);
    assert_eq!(results_without_timing(&files), results_without_timing(&split));
}

#[test]
fn case_study_scale_options() {
    let tmp = TempDir::new_in("cli-test", "scale");
    let mut results = Vec::new();
    for scale in ["standard", "minmax", "none"] {
        let out = tmp.join(scale);
        let args = breast_cancer_args(&["--train-rows", "400", "--scale", scale]);
        let o = case_study(&out, &args.iter().map(String::as_str).collect::<Vec<_>>());
        assert_success(&o);
        check_study_outputs(&out, 2, &[0.1, 1e-3], 0);
        results.push(results_without_timing(&out));
    }
    // --scale standard is the default for --data.
    let default = tmp.join("default");
    let args = breast_cancer_args(&["--train-rows", "400"]);
    assert_success(&case_study(&default, &args.iter().map(String::as_str).collect::<Vec<_>>()));
    assert_eq!(results_without_timing(&default), results[0]);
    assert_ne!(results[0], results[1], "standard and minmax give identical fits");
    assert_ne!(results[0], results[2], "standard and none give identical fits");

    let o = case_study(&tmp.join("bad"), &[&TINY[..], &["--scale", "log"]].concat());
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("log"));
}

#[test]
fn case_study_small_user_csv_with_crlf_and_test_file() {
    let tmp = TempDir::new_in("cli-test", "small_csv");
    let train = tmp.write("train.csv", "a,b,y\r\n0,0,0\r\n1,1,1\r\n0.1,0.2,0\r\n0.9,1.1,1\r\n");
    let test = tmp.write("test.csv", "a,b,y\n0.2,0.1,0\n1.2,0.8,1\n");
    let out = tmp.join("out");
    let o = case_study(
        &out,
        &[&TINY[..], &["--data", train.to_str().unwrap(), "--target", "y", "--test", test.to_str().unwrap()]].concat(),
    );
    assert_success(&o);
    let fits = check_study_outputs(&out, 2, &[0.1, 1e-3], 0);
    // Accuracies on 4 training and 2 test points are multiples of 1/4 and 1/2.
    for f in fits {
        assert_eq!((f.train_acc * 4.0).fract(), 0.0, "{f:?}");
        assert_eq!((f.test_acc * 2.0).fract(), 0.0, "{f:?}");
    }
}

// ---------------------------------------------------------------------------------------------
// Bad input: clear message, non-zero exit, no panic, no output written
// ---------------------------------------------------------------------------------------------

/// `--data FILE --target y --train-rows 1` plus the tiny settings.
fn with_data<'a>(file: &'a str, target: &'a str) -> Vec<&'a str> {
    [&TINY[..], &["--data", file, "--target", target, "--train-rows", "1"]].concat()
}

/// Writes `content` to `name` in `tmp`, runs the study on it (`--train-rows 1`) and checks that
/// it fails with exit code 1, naming the file and each of `needles`.
fn rejects_file(tmp: &TempDir, name: &str, content: &str, target: &str, needles: &[&str]) -> String {
    let f = tmp.write(name, content);
    let path = f.to_str().unwrap();
    assert_rejected(tmp, &with_data(path, target), Some(1), &[&[path][..], needles].concat())
}

#[test]
fn rejects_non_numeric_cell_naming_file_line_and_column() {
    let tmp = TempDir::new_in("cli-test", "non_numeric");
    let err = rejects_file(&tmp, "bad.csv", "a,b,y\n1,2,0\n3,oops,1\n", "y", &["line 3", "column 2", "oops"]);
    assert!(err.contains("`b`") || err.contains("\"b\"") || err.contains(" b"), "column name: {err}");
}

#[test]
fn rejects_ragged_row() {
    let tmp = TempDir::new_in("cli-test", "ragged");
    rejects_file(&tmp, "bad.csv", "a,b,y\n1,2,0\n3,1\n4,4,1\n", "y", &["line 3", "3", "2"]);
    // Too many fields as well.
    rejects_file(&tmp, "long.csv", "a,b,y\n1,2,0\n3,1,1\n4,4,1,9\n", "y", &["line 4"]);
}

#[test]
fn rejects_nan_and_infinite_cells() {
    let tmp = TempDir::new_in("cli-test", "nan_cell");
    for (i, cell) in ["nan", "NaN", "inf", "-inf"].iter().enumerate() {
        rejects_file(
            &tmp,
            &format!("bad{i}.csv"),
            &format!("a,b,y\n1,2,0\n3,{cell},1\n4,4,1\n"),
            "y",
            &["line 3", "column 2", cell],
        );
    }
    // A NaN target is rejected too.
    rejects_file(&tmp, "nan_target.csv", "a,b,y\n1,2,0\n3,1,NaN\n4,4,1\n", "y", &["line 3"]);
}

#[test]
fn rejects_empty_and_header_only_files() {
    let tmp = TempDir::new_in("cli-test", "empty");
    rejects_file(&tmp, "empty.csv", "", "y", &["empty"]);
    rejects_file(&tmp, "header.csv", "a,b,y\n", "y", &["no data rows"]);
    rejects_file(&tmp, "target_only.csv", "y\n0\n1\n1\n", "y", &["feature"]);
}

#[test]
fn rejects_missing_target_column_listing_the_columns() {
    let tmp = TempDir::new_in("cli-test", "missing_target");
    rejects_file(
        &tmp,
        "data.csv",
        "alpha_col,beta_col,label\n1,2,0\n3,1,1\n4,4,1\n",
        "target",
        &["target", "alpha_col", "beta_col", "label"],
    );

    // The same check applies to the --test file.
    let train = tmp.write("train.csv", "a,b,y\n1,2,0\n3,1,1\n");
    let test = tmp.write("test.csv", "a,b,z\n1,2,0\n");
    let (ts, es) = (train.to_str().unwrap(), test.to_str().unwrap());
    assert_rejected(
        &tmp,
        &[&TINY[..], &["--data", ts, "--target", "y", "--test", es]].concat(),
        Some(1),
        &[es, "`y`", "z"],
    );
}

#[test]
fn rejects_non_binary_target() {
    let tmp = TempDir::new_in("cli-test", "non_binary");
    // 2 in the test part (row 3 of the file, --train-rows 1).
    rejects_file(&tmp, "two.csv", "a,b,y\n1,2,0\n3,1,2\n", "y", &["`y`", "0 or 1", "2"]);
    // 0.5 in the training part.
    rejects_file(&tmp, "half.csv", "a,b,y\n1,2,0.5\n3,1,1\n4,4,0\n", "y", &["`y`", "0 or 1", "0.5"]);
}

#[test]
fn non_binary_target_error_names_file_and_line() {
    let tmp = TempDir::new_in("cli-test", "non_binary_file");
    rejects_file(&tmp, "two.csv", "a,b,y\n1,2,0\n3,1,2\n", "y", &["line 3"]);
}

#[test]
fn rejects_bad_alphas() {
    let tmp = TempDir::new_in("cli-test", "alphas");
    let base = ["--epochs", "5", "--repeats", "2"];
    assert_rejected(&tmp, &[&base[..], &["--alphas", "1e-2,-1"]].concat(), Some(1), &["--alphas", "-1"]);
    assert_rejected(&tmp, &[&base[..], &["--alphas", "1e-2,NaN"]].concat(), Some(1), &["--alphas", "NaN"]);
    assert_rejected(&tmp, &[&base[..], &["--alphas", "nan,1e-2"]].concat(), Some(1), &["--alphas"]);
    assert_rejected(&tmp, &[&base[..], &["--alphas", "1e-2,inf"]].concat(), Some(1), &["--alphas", "inf"]);
    // Unparsable values are clap errors (exit code 2).
    assert_rejected(&tmp, &[&base[..], &["--alphas", "1e-2,abc"]].concat(), Some(2), &["--alphas", "abc"]);
    assert_rejected(&tmp, &[&base[..], &["--alphas", ""]].concat(), Some(2), &["--alphas"]);
}

#[test]
fn rejects_zero_repeats_and_zero_threads() {
    let tmp = TempDir::new_in("cli-test", "zero");
    assert_rejected(&tmp, &["--epochs", "5", "--repeats", "0", "--alphas", "1e-1"], Some(1), &["repeats", "0"]);
    assert_rejected(
        &tmp,
        &["--epochs", "5", "--repeats", "2", "--alphas", "1e-1", "--threads", "0"],
        Some(1),
        &["threads", "0"],
    );
    assert_rejected(&tmp, &["--epochs", "5", "--repeats=-1"], Some(2), &["--repeats"]);
}

#[test]
fn rejects_huge_repeats_at_once_without_allocating() {
    // These once grew to gigabytes listing 10^12 fits before the first one trained.
    let tmp = TempDir::new_in("cli-test", "huge_repeats");
    let needles = ["configurations × repeats × folds", "at most 10 000 000 fits", "1000000000000"];
    assert_rejected(&tmp, &["--repeats", "1000000000000", "--alphas", "1e-1"], Some(1), &needles);
    for example in
        [&["digits-cnn"][..], &["sunspots-lstm"], &["breast-cancer"], &["breast-cancer", "--repeats", "1", "--folds"]]
    {
        let out = tmp.join(&example.join("-"));
        let mut args = vec!["example"];
        args.extend(example);
        if example.len() == 1 {
            args.push("--repeats");
        }
        args.extend(["1000000000000", "--out", out.to_str().unwrap()]);
        let o = shrink(&args);
        let err = stderr(&o);
        assert_eq!(o.status.code(), Some(1), "{args:?}: {err}");
        assert!(needles.iter().all(|n| err.contains(n)) && err.contains("--repeats"), "{args:?}: {err}");
        assert!(!out.exists(), "{args:?} created {}", out.display());
    }
}

#[test]
fn threads_beyond_the_cores_are_capped_and_a_huge_window_is_refused() {
    let tmp = TempDir::new_in("cli-test", "huge_flags");
    let (data, spec) = (noise_input_csv(&tmp), noise_input_spec(&tmp, 2, None));
    let out = tmp.join("threads");
    let o = train(&spec, &data, "y", &out, &["--threads", "20000"]);
    assert_success(&o);
    assert!(stderr(&o).contains("--threads 20000 is more than the"), "{}", stderr(&o));
    let out = tmp.join("window");
    let o = shrink(os_args(&[&"example", &"sunspots-lstm", &"--window", &"18446744073709551615", &"--out", &out]));
    assert_fails(&o, &["--window", "18446744073709551615", "exceeds 268435456 inputs per sample"]);
    assert!(!out.exists(), "a refused --window created {}", out.display());
}

#[test]
fn rejects_zero_epochs_before_writing() {
    let tmp = TempDir::new_in("cli-test", "zero_epochs");
    assert_rejected(&tmp, &["--epochs", "0", "--repeats", "2", "--alphas", "1e-1"], Some(1), &["epochs"]);
}

#[test]
fn rejects_unknown_flag_with_usage_error() {
    let tmp = TempDir::new_in("cli-test", "unknown_flag");
    assert_rejected(&tmp, &[&TINY[..], &["--bogus"]].concat(), Some(2), &["--bogus"]);
}

#[test]
fn rejects_inconsistent_data_flags() {
    let tmp = TempDir::new_in("cli-test", "data_flags");
    let f = tmp.write("ok.csv", "a,b,y\n1,2,0\n3,1,1\n4,4,0\n");
    let fs_ = f.to_str().unwrap();
    // --data without --target.
    assert_rejected(&tmp, &[&TINY[..], &["--data", fs_, "--train-rows", "1"]].concat(), None, &["--target"]);
    // --data without --test or --train-rows.
    assert_rejected(&tmp, &[&TINY[..], &["--data", fs_, "--target", "y"]].concat(), None, &["--test", "--train-rows"]);
    // Both --test and --train-rows.
    assert_rejected(
        &tmp,
        &[&TINY[..], &["--data", fs_, "--target", "y", "--test", fs_, "--train-rows", "1"]].concat(),
        Some(2),
        &["--test", "--train-rows"],
    );
    // --test or --train-rows without --data.
    for extra in [&["--train-rows", "1"][..], &["--test", fs_][..]] {
        assert_rejected(&tmp, &[&TINY[..], extra].concat(), Some(2), &["--data"]);
    }
}

#[test]
fn rejects_target_without_data() {
    let tmp = TempDir::new_in("cli-test", "target_without_data");
    assert_rejected(&tmp, &[&TINY[..], &["--target", "y"]].concat(), Some(2), &["--data"]);
}

#[test]
fn rejects_train_rows_out_of_range() {
    let tmp = TempDir::new_in("cli-test", "train_rows");
    let f = tmp.write("ok.csv", "a,b,y\n1,2,0\n3,1,1\n4,4,0\n");
    let fs_ = f.to_str().unwrap();
    for n in ["0", "3", "10"] {
        assert_rejected(
            &tmp,
            &[&TINY[..], &["--data", fs_, "--target", "y", "--train-rows", n]].concat(),
            Some(1),
            &[n, "3 rows"],
        );
    }
}

#[test]
fn train_rows_error_names_the_flag() {
    let tmp = TempDir::new_in("cli-test", "train_rows_flag");
    let f = tmp.write("ok.csv", "a,b,y\n1,2,0\n3,1,1\n4,4,0\n");
    let fs_ = f.to_str().unwrap();
    assert_rejected(
        &tmp,
        &[&TINY[..], &["--data", fs_, "--target", "y", "--train-rows", "3"]].concat(),
        Some(1),
        &["--train-rows"],
    );
}

#[test]
fn rejects_nonexistent_files() {
    let tmp = TempDir::new_in("cli-test", "nonexistent");
    let missing = tmp.join("does-not-exist.csv");
    let ms = missing.to_str().unwrap();
    assert_rejected(&tmp, &with_data(ms, "y"), Some(1), &[ms]);
    let f = tmp.write("ok.csv", "a,b,y\n1,2,0\n3,1,1\n4,4,0\n");
    let fs_ = f.to_str().unwrap();
    assert_rejected(&tmp, &[&TINY[..], &["--data", fs_, "--target", "y", "--test", ms]].concat(), Some(1), &[ms]);
    // A folder is not a CSV file.
    let ds = tmp.path().to_str().unwrap();
    assert_rejected(&tmp, &with_data(ds, "y"), Some(1), &[ds]);
}

#[test]
fn nonexistent_file_error_is_not_repeated() {
    let tmp = TempDir::new_in("cli-test", "nonexistent_once");
    let missing = tmp.join("does-not-exist.csv");
    let ms = missing.to_str().unwrap();
    let err = assert_rejected(&tmp, &with_data(ms, "y"), Some(1), &[ms]);
    assert_eq!(err.matches("os error 2").count(), 1, "{err}");
}

/// Trains on `a,b,y` with a `--test` table: `refused` (a `name`d file without column `b`) is an
/// error naming the file and `b`; `accepted` (another `name`d file) trains and scores.
fn test_file_columns(test: &str, refused: (&str, &str), accepted: (&str, &str)) {
    let tmp = TempDir::new_in("cli-test", test);
    let train = tmp.write("train.csv", "a,b,y\n1,2,0\n3,1,1\n");
    let ts = train.to_str().unwrap();
    fn with_test<'a>(ts: &'a str, test: &'a str) -> Vec<&'a str> {
        [&TINY[..], &["--data", ts, "--target", "y", "--test", test]].concat()
    }
    let test = tmp.write(&format!("{}.csv", refused.0), refused.1);
    let es = test.to_str().unwrap();
    assert_rejected(&tmp, &with_test(ts, es), Some(1), &[es, "`b`"]);
    let test = tmp.write(&format!("{}.csv", accepted.0), accepted.1);
    assert_success(&case_study(&tmp.join(accepted.0), &with_test(ts, test.to_str().unwrap())));
}

#[test]
fn rejects_test_file_with_a_different_number_of_columns() {
    // An extra column is not an input of the trained columns: skipped, as by `predict`.
    test_file_columns("test_columns", ("fewer", "a,y\n1,0\n"), ("more", "a,b,c,y\n1,2,3,0\n"));
}

#[test]
fn rejects_test_file_with_other_column_names() {
    // Columns are picked by name, as `predict` does: another order is the same table.
    test_file_columns("test_column_names", ("renamed", "a,c,y\n1,2,0\n"), ("reordered", "b,a,y\n2,1,0\n"));
}

// ---------------------------------------------------------------------------------------------
// A closed stdout (`shrink ... | head -1`)
// ---------------------------------------------------------------------------------------------

/// Runs `shrink args` with its stdout a pipe whose read end is closed at once.
fn run_with_closed_stdout(args: &[&str]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_shrink"))
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("cannot start the shrink binary");
    drop(child.stdout.take());
    child.wait_with_output().unwrap()
}

#[test]
fn data_moons_into_a_closed_pipe_does_not_panic() {
    let o = run_with_closed_stdout(&["data", "moons", "--n", "200000"]);
    assert!(!stderr(&o).contains("panicked"), "{}", stderr(&o));
    assert_ne!(o.status.code(), Some(101), "{}", stderr(&o));
}

#[test]
fn case_study_into_a_closed_pipe_does_not_panic() {
    let tmp = TempDir::new_in("cli-test", "closed_pipe");
    let out = tmp.join("out");
    let mut args = vec!["case-study", "--out", out.to_str().unwrap()];
    args.extend(TINY);
    let o = run_with_closed_stdout(&args);
    assert!(!stderr(&o).contains("panicked"), "{}", stderr(&o));
    assert_ne!(o.status.code(), Some(101), "{}", stderr(&o));
}

// ---------------------------------------------------------------------------------------------
// shrink bench
// ---------------------------------------------------------------------------------------------

#[test]
fn bench_quick_prints_step_times_and_gflops() {
    let o = shrink(["bench", "--quick", "--no-case-study"]);
    assert_success(&o);
    let out = stdout(&o);
    assert!(out.contains("GFLOP/s"), "{out}");
    let timed: Vec<&str> = out.lines().filter(|l| l.contains("µs/step") || l.contains("ms/step")).collect();
    assert!(timed.len() >= 2, "expected timed benchmark rows:\n{out}");
    // Each timed row carries a positive GFLOP/s figure and, where it has a baseline (the CNN
    // and LSTM rows have none and print "-"), a speed-up "N.NN×".
    assert!(timed.iter().any(|l| l.contains('×')), "no speed-up at all:\n{out}");
    for l in &timed {
        // Rows measured against the in-process baseline carry a speed-up; the others end in "-".
        assert!(l.trim_end().ends_with('-') || l.trim_end().ends_with('×'), "no speed-up in {l:?}");
        let nums: Vec<f64> = l.split_whitespace().filter_map(|w| w.trim_end_matches('×').parse::<f64>().ok()).collect();
        assert!(nums.iter().any(|&v| v > 0.0), "{l:?}");
    }
    assert!(!out.contains("case study ("), "--no-case-study still timed the case study:\n{out}");
}

#[test]
fn bench_quick_with_case_study() {
    let o = shrink(["bench", "--quick"]);
    assert_success(&o);
    let out = stdout(&o);
    assert!(out.contains("GFLOP/s"), "{out}");
    assert!(out.contains("µs/step") || out.contains("ms/step"), "{out}");
    assert!(out.contains("case study"), "{out}");
}

// ---------------------------------------------------------------------------------------------
// shrink example
// ---------------------------------------------------------------------------------------------

#[test]
fn example_digits_cnn_writes_results_and_plot() {
    let tmp = TempDir::new_in("cli-test", "digits_cnn");
    let out = tmp.join("out");
    let text = example("digits-cnn", &out, &["--epochs", "3", "--repeats", "2", "--alphas", "0,1e-2"]);
    assert!(text.contains("none") && text.contains("0.01"), "{text}");
    let csv = fs::read_to_string(out.join("results.csv")).unwrap();
    assert_eq!(csv.lines().count(), 1 + 4, "{csv}");
    for line in csv.lines().skip(1) {
        let test_acc: f64 = line.split(',').nth(3).unwrap().parse().unwrap();
        assert!(test_acc > 0.3, "three epochs of the CNN should beat chance (0.1) clearly: {line}");
    }
    assert_plot(&out, "test_accuracy_vs_alpha");
    assert!(text.contains("alpha (l2, conv kernels)"), "{text}");
    // Any family: the table and the summary name it.
    let l1 = tmp.join("l1");
    let text = example(
        "digits-cnn",
        &l1,
        &["--epochs", "1", "--repeats", "1", "--alphas", "1e-2", "--penalty", "l1@proximal"],
    );
    assert!(text.contains("alpha (l1@proximal, conv kernels)"), "{text}");
    assert!(fs::read_to_string(l1.join("summary.json")).unwrap().contains("\"penalty\": \"l1@proximal\""));
}

#[test]
fn example_sunspots_lstm_compares_penalties_per_role() {
    let tmp = TempDir::new_in("cli-test", "sunspots_lstm");
    let out = tmp.join("out");
    let text = example("sunspots-lstm", &out, &["--epochs", "3", "--repeats", "2"]);
    for config in [
        "none",
        "L2 bias",
        "L2 input kernel",
        "L2 recurrent kernel",
        "L1 bias",
        "L1 input kernel",
        "L1 recurrent kernel",
    ] {
        assert!(text.contains(config), "{config} missing:\n{text}");
    }
    let csv = fs::read_to_string(out.join("results.csv")).unwrap();
    assert_eq!(csv.lines().count(), 1 + 7 * 2, "{csv}");
    assert_plot(&out, "test_rmse_boxplot");
    // Bad settings are errors, not panics.
    let o = shrink(["example", "sunspots-lstm", "--alpha=-1", "--out", out.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(stderr(&o).contains("--alpha") && !stderr(&o).contains("panicked"));
}

#[test]
fn prune_writes_a_smaller_model_and_says_what_it_removed() {
    let tmp = TempDir::new_in("cli-test", "prune");
    let mut csv = String::from("a,b,noise1,noise2,y\n");
    let mut state = 7u64;
    let mut next = || {
        state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        (state >> 11) as f64 / (1u64 << 53) as f64 - 0.5
    };
    for _ in 0..200 {
        let (a, b, n1, n2) = (next(), next(), next(), next());
        csv.push_str(&format!("{a},{b},{n1},{n2},{}\n", a - b));
    }
    let data = tmp.write("data.csv", &csv);
    let spec = tmp.write(
        "spec.toml",
        r#"input_shape = [4]
loss = "mse"
epochs = 100
batch_size = 200
optimizer = { name = "sgd", lr = 0.1 }
[[layers]]
type = "dense"
units = 4
activation = "tanh"
kernel_penalty = { group = 0.05, groups = "rows", mode = "proximal" }
[[layers]]
type = "dense"
units = 1
"#,
    );
    let run = tmp.join("run");
    let o = shrink([
        "train",
        "--spec",
        spec.to_str().unwrap(),
        "--data",
        data.to_str().unwrap(),
        "--target",
        "y",
        "--out",
        run.to_str().unwrap(),
    ]);
    assert_success(&o);
    let model = run.join("model.safetensors");
    let out = tmp.join("pruned.safetensors");
    let args = ["prune", "--model", model.to_str().unwrap(), "--out", out.to_str().unwrap()];
    let o = shrink(args);
    assert_success(&o);
    let text = stdout(&o);
    assert!(text.contains("removed inputs") && text.contains("parameters:"), "{text}");
    assert!(out.exists());
    let again = shrink(args);
    assert!(!again.status.success() && stderr(&again).contains("--force"), "{}", stderr(&again));
    assert_success(&shrink(["inspect", "--model", out.to_str().unwrap()]));
}

#[test]
fn case_study_on_a_table_with_strings_picks_and_encodes_columns() {
    let tmp = TempDir::new_in("cli-test", "case_study_strings");
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/data/penguins.csv");
    let data = data.display().to_string();
    let base = ["--data", data.as_str(), "--target", "sex", "--train-rows", "250", "--repeats", "1", "--epochs", "5"];
    // The ID is text: without --ignore it is an error naming its column, and nothing is written.
    let out = tmp.join("refused");
    let o = case_study(&out, &base);
    assert_fails(&o, &["line 2, column 1 (`id`): not a number", "ignore"]);
    assert!(!out.exists());
    // With the columns picked, the string target `sex` is two classes and `island` one-hot.
    let out = tmp.join("out");
    let mut args = base.to_vec();
    args.extend(["--ignore", "id,date_egg,species", "--categorical", "island", "--alphas", "1e-3"]);
    let o = case_study(&out, &args);
    assert_success(&o);
    let reading = s_reading(&out);
    assert!(!reading.contains("overfits") || reading.contains("the 250 training points"), "{reading}");
}
