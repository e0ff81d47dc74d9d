//! End-to-end tests of `shrink search`: outputs, determinism across thread counts, resuming
//! after the process is killed mid-run, a torn last line, and bad input.
//!
//! Small settings throughout (an 8-unit network, tens of epochs) so the file runs in seconds.

mod common;
use common::TempDir;

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

/// The two-moons fixture of shrink-data's generator test, in the repository.
const MOONS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../shrink-data/tests/data/moons_100_0.2_seed1.csv");

fn spec(epochs: usize) -> String {
    format!(
        "input_shape = [2]\nscaling = \"standard\"\nloss = \"binary_crossentropy\"\nepochs = {epochs}\nseed = 3\n\
         [[layers]]\ntype = \"dense\"\nunits = 8\nactivation = \"relu\"\n\
         [[layers]]\ntype = \"dense\"\nunits = 1\nactivation = \"sigmoid\"\n"
    )
}

/// A scratch folder (removed on drop) holding `model.toml`, the spec of `epochs`.
fn scratch(name: &str, epochs: usize) -> TempDir {
    let dir = TempDir::new_in("search-test", name);
    dir.write("model.toml", &spec(epochs));
    dir
}

fn command(dir: &TempDir, out: &Path, extra: &[&str]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_shrink"));
    c.args(["search", "--target", "y"]);
    for (flag, default) in [("--data", MOONS), ("--param", "dense_0.kernel"), ("--penalty", "l2")] {
        if !extra.contains(&flag) {
            c.args([flag, default]);
        }
    }
    c.arg("--spec").arg(dir.join("model.toml")).arg("--out").arg(out).args(extra).stdin(Stdio::null());
    c
}

fn run(dir: &TempDir, out: &Path, extra: &[&str]) -> Output {
    command(dir, out, extra).output().unwrap()
}

/// trials.csv rows without the `seconds` column, sorted by key.
fn trials(out: &Path) -> Vec<String> {
    let text = fs::read_to_string(out.join("trials.csv")).unwrap();
    let mut rows: Vec<String> =
        text.lines().skip(1).map(|l| l.rsplit_once(',').unwrap().0.to_string()).collect::<Vec<_>>();
    rows.sort();
    rows
}

/// summary.json without timing fields.
fn summary(out: &Path) -> serde_json::Value {
    let mut v: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(out.join("summary.json")).unwrap()).unwrap();
    v.as_object_mut().unwrap().remove("search"); // holds the thread count
    v
}

#[test]
fn run_json_lists_the_inputs_and_every_file_written() {
    let dir = scratch("manifest", 10);
    let out = dir.join("run");
    let o =
        run(&dir, &out, &["--alphas", "1e-1,1e-3", "--repeats", "1", "--path", "warm", "--compare-cold", "--refit"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let manifest = common::read_manifest(&out);
    assert_eq!(common::manifest_inputs(&manifest), [dir.join("model.toml"), PathBuf::from(MOONS)]);
    let files = common::manifest_files(&manifest);
    for f in ["trials.csv", "search.json", "summary.json", "model.safetensors", "cold/trials.csv", "cold/search.json"] {
        assert!(files.iter().any(|g| g == f), "{f} not in {files:?}");
    }
    assert!(files.iter().any(|f| f == "score_vs_alpha.png"), "{files:?}");
    // Everything in the folder but the lock and the manifest itself is listed.
    let mut on_disk = Vec::new();
    for entry in fs::read_dir(&out).unwrap() {
        let name = entry.unwrap().file_name().into_string().unwrap();
        if name == "cold" {
            on_disk.extend(
                fs::read_dir(out.join("cold"))
                    .unwrap()
                    .map(|e| format!("cold/{}", e.unwrap().file_name().into_string().unwrap())),
            );
        } else if name != "run.json" && !name.starts_with('.') {
            on_disk.push(name);
        }
    }
    on_disk.sort();
    assert_eq!(on_disk, files);
}

#[test]
fn outputs_and_thread_independence() {
    let dir = scratch("threads", 20);
    let args = ["--alphas", "1e-1:1e-3", "--repeats", "2", "--cv", "3", "--select", "1se", "--refine", "--refit"];
    let (a, b) = (dir.join("a"), dir.join("b"));
    let one = run(&dir, &a, &[&args[..], &["--threads", "1"]].concat());
    assert!(one.status.success(), "{}", String::from_utf8_lossy(&one.stderr));
    let two = run(&dir, &b, &[&args[..], &["--threads", "2"]].concat());
    assert!(two.status.success());
    assert_eq!(trials(&a), trials(&b));
    assert_eq!(summary(&a), summary(&b));
    // 3 grid alphas + 10 refinement points, 2 repeats × 3 folds each.
    assert_eq!(trials(&a).len(), 13 * 6);
    let s = summary(&a);
    assert_eq!(s["refine_points"].as_array().unwrap().len(), 10);
    assert_eq!(s["rule"], "one_se");
    assert!(s["why"].as_str().unwrap().contains("standard error"));
    let stdout = String::from_utf8_lossy(&one.stdout);
    // Classification is scored by log-loss unless --score says otherwise.
    assert!(stdout.contains("Chosen alpha") && stdout.contains("log-loss (mean ± se)"), "{stdout}");
    assert_eq!((s["score"].as_str(), s["higher_is_better"].as_bool()), (Some("log-loss"), Some(false)));
    let alphas_csv = fs::read_to_string(a.join("alphas.csv")).unwrap();
    assert_eq!(alphas_csv, fs::read_to_string(b.join("alphas.csv")).unwrap());
    assert_eq!(alphas_csv.lines().count(), 1 + 13);
    assert_eq!(alphas_csv.lines().filter(|l| l.ends_with(",1")).count(), 1, "{alphas_csv}");
    for f in ["score_vs_alpha", "kernel_l2_vs_alpha", "zero_fraction_vs_alpha"] {
        assert!(a.join(format!("{f}.png")).exists() && a.join(format!("{f}.svg")).exists(), "{f}");
    }
    assert!(a.join("model.safetensors").exists());
    // The finished trials.csv is in trial order, so both thread counts wrote the same rows in
    // the same order (only the `seconds` column differs).
    let unsorted = |out: &Path| -> Vec<String> {
        let text = fs::read_to_string(out.join("trials.csv")).unwrap();
        text.lines().map(|l| l.rsplit_once(',').unwrap().0.to_string()).collect()
    };
    assert_eq!(unsorted(&a), unsorted(&b));
    // A rerun finds everything done and trains nothing.
    let rest = &args[..args.len() - 1]; // without --refit
    let again = run(&dir, &a, &[rest, &["--threads", "2"]].concat());
    assert!(String::from_utf8_lossy(&again.stdout).contains("(0 trained now"));
    // alphas.csv is rebuilt from trials.csv alone: the resumed run writes the same bytes.
    assert_eq!(fs::read_to_string(a.join("alphas.csv")).unwrap(), alphas_csv);
    // --refit would replace the model: refused before any work without --force.
    let model = fs::read(a.join("model.safetensors")).unwrap();
    let refused = run(&dir, &a, &[&args[..], &["--threads", "2"]].concat());
    let err = String::from_utf8_lossy(&refused.stderr);
    assert!(!refused.status.success() && err.contains("model.safetensors exists") && err.contains("--force"), "{err}");
    assert_eq!(fs::read(a.join("model.safetensors")).unwrap(), model);
}

#[test]
fn a_changed_data_file_is_not_resumed() {
    let dir = scratch("changed", 20);
    let out = dir.join("s");
    let data = dir.join("moons.csv");
    fs::copy(MOONS, &data).unwrap();
    let data_arg = data.to_str().unwrap();
    let args = ["--alphas", "1e-2", "--repeats", "1", "--data", data_arg];
    assert!(run(&dir, &out, &args).status.success());
    // Same path, other contents: one value edited in place.
    let text = fs::read_to_string(&data).unwrap();
    let mut lines: Vec<String> = text.lines().map(String::from).collect();
    let cells: Vec<&str> = lines[1].split(',').collect();
    lines[1] = format!("0.5,{}", cells[1..].join(","));
    fs::write(&data, lines.join("\n") + "\n").unwrap();
    let o = run(&dir, &out, &args);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(!o.status.success() && err.contains("data_sha256 changed") && err.contains("--force"), "{err}");
    assert!(run(&dir, &out, &[&args[..], &["--force"]].concat()).status.success());
}

#[test]
fn resumes_after_a_kill_without_duplicate_or_lost_trials() {
    let dir = scratch("resume", 3000);
    let args = ["--alphas", "1e-1:1e-4", "--repeats", "4", "--threads", "1"];
    let full = dir.join("full");
    assert!(run(&dir, &full, &args).status.success());
    let cut = dir.join("cut");
    let mut child = command(&dir, &cut, &args).stdout(Stdio::null()).stderr(Stdio::null()).spawn().unwrap();
    let start = Instant::now();
    let log = cut.join("trials.csv");
    while fs::read_to_string(&log).map_or(true, |t| t.lines().count() < 3) && start.elapsed() < Duration::from_secs(60)
    {
        std::thread::sleep(Duration::from_millis(2));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    let partial = trials(&cut).len();
    assert!((2..16).contains(&partial), "killed after {partial} of 16 trials");
    // A write cut short: the torn line is dropped and its trial run again.
    let mut text = fs::read_to_string(&log).unwrap();
    text.push_str("0.1,3,0,6,0.");
    fs::write(&log, text).unwrap();
    let resumed = run(&dir, &cut, &args);
    assert!(resumed.status.success(), "{}", String::from_utf8_lossy(&resumed.stderr));
    let rows = trials(&cut);
    let unique: BTreeSet<String> = rows.iter().map(|r| r.split(',').take(3).collect::<Vec<_>>().join(",")).collect();
    assert_eq!(unique.len(), rows.len(), "duplicate trial keys");
    assert_eq!(rows, trials(&full), "lost or different trials");
    assert_eq!(summary(&cut), summary(&full));
}

#[test]
fn bad_input_is_an_error_and_writes_nothing() {
    let dir = scratch("bad", 5);
    for (extra, message) in [
        (&["--alphas", "1e-1:abc"][..], "--alphas"),
        (&["--alphas", "1e-2", "--param", "dense_9.kernel"][..], "no parameter matches `dense_9.kernel`"),
        (&["--alphas", "1e-2", "--cv", "1"][..], "--cv"),
        (&["--alphas", "1e-2", "--penalty", "elastic-net:2"][..], "l1_ratio must be in [0, 1], got 2"),
        (&["--alphas", "1e-2", "--penalty", "l1@decoupled"][..], "pure L2"),
        (&["--alphas", "1e-2", "--repeats", "1000000000000"][..], "at most 10 000 000 trials"),
        (&["--alphas", "1e-2", "--repeats", "0"][..], "repeats must be ≥ 1, got 0"),
        (&["--alphas", "1e-2", "--path", "sideways"][..], "possible values: cold, warm, warm-reverse"),
        (&["--alphas", "1e-2", "--select", "2se"][..], "possible values: best, 1se"),
    ] {
        let out = dir.join("never");
        let o = run(&dir, &out, extra);
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(matches!(o.status.code(), Some(1 | 2)), "{extra:?}: {err}"); // 2: clap usage errors
        assert!(err.contains(message), "{extra:?}: {err}");
        assert!(!out.exists(), "{extra:?} wrote {}", out.display());
    }
}

#[test]
fn bench_search_quick_prints_rates() {
    let o = Command::new(env!("CARGO_BIN_EXE_shrink")).args(["bench", "--search", "--quick"]).output().unwrap();
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(o.status.success() && out.contains("trials per second") && out.contains("warm path"), "{out}");
}

#[test]
fn scores_auto_paths_and_an_old_trials_file() {
    let dir = scratch("scores", 20);
    let out = dir.join("auc");
    let o = run(
        &dir,
        &out,
        &["--alphas", "auto:3", "--penalty", "group-rows@proximal", "--score", "auc", "--repeats", "1"],
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let s = summary(&out);
    assert_eq!((s["score"].as_str(), s["higher_is_better"].as_bool()), (Some("auc"), Some(true)));
    let alpha_max = s["alpha_max"].as_f64().unwrap();
    let grid: Vec<f64> = s["grid"].as_array().unwrap().iter().map(|v| v.as_f64().unwrap()).collect();
    assert_eq!(grid.len(), 3);
    assert!(grid[0] >= alpha_max && grid[0] < alpha_max * 1.0002, "{grid:?} vs {alpha_max}");
    assert!((grid[2] / grid[0] - 1e-3).abs() < 1e-5, "{grid:?}");
    assert_eq!(s["input_exits"].as_array().unwrap().len(), 2);
    // A score the loss cannot give is refused before anything is written.
    let bad = dir.join("bad");
    let o = run(&dir, &bad, &["--alphas", "1e-2", "--score", "mse", "--alpha-ratio", "2"]);
    assert!(
        o.status.success(),
        "mse of probabilities (the Brier score) is allowed: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    let o = run(&dir, &dir.join("bad2"), &["--alphas", "auto", "--alpha-ratio", "2"]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(!o.status.success() && err.contains("alpha-ratio"), "{err}");
    assert!(!dir.join("bad2").join("trials.csv").exists());
    // A trials.csv of an earlier version (without the inputs columns) is refused with the way out.
    let old = dir.join("old");
    assert!(run(&dir, &old, &["--alphas", "1e-2", "--repeats", "1"]).status.success());
    let search_json = fs::read_to_string(old.join("search.json")).unwrap();
    fs::write(old.join("trials.csv"), "alpha,repeat,fold,seed,score,train_score,kernel_l2,zero_fraction,seconds\n")
        .unwrap();
    fs::write(old.join("search.json"), search_json).unwrap();
    let o = run(&dir, &old, &["--alphas", "1e-2", "--repeats", "1"]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(!o.status.success() && err.contains("earlier shrink") && err.contains("--force"), "{err}");
    assert!(run(&dir, &old, &["--alphas", "1e-2", "--repeats", "1", "--force"]).status.success());
}
