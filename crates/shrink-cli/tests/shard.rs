//! `shrink search --shard K/N`: shards run one after another or side by side into one folder,
//! and the run without `--shard` merges them into the `trials.csv` and summary a single
//! process writes; bad values and shards of another search are refused.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

const MOONS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../shrink-data/tests/data/moons_100_0.2_seed1.csv");

/// A scratch folder with a small spec, removed on drop.
struct Scratch(PathBuf);

impl Scratch {
    fn new(name: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("shrink-shard-test-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        fs::write(
            dir.join("model.toml"),
            "input_shape = [2]\nscaling = \"standard\"\nloss = \"binary_crossentropy\"\nepochs = 15\nseed = 3\n\
             [[layers]]\ntype = \"dense\"\nunits = 8\nactivation = \"relu\"\n\
             [[layers]]\ntype = \"dense\"\nunits = 1\nactivation = \"sigmoid\"\n",
        )
        .unwrap();
        Scratch(dir)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

fn command(dir: &Scratch, data: &str, out: &Path, extra: &[&str]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_shrink"));
    c.args(["search", "--target", "y", "--data", data, "--param", "dense_0.kernel", "--penalty", "l2"])
        .args(["--alphas", "1e-1:1e-3", "--repeats", "2", "--cv", "2", "--threads", "1"])
        .arg("--spec")
        .arg(dir.0.join("model.toml"))
        .arg("--out")
        .arg(out)
        .args(extra)
        .stdin(Stdio::null());
    c
}

fn run(dir: &Scratch, out: &Path, extra: &[&str]) -> Output {
    command(dir, MOONS, out, extra).output().unwrap()
}

fn ok(o: Output) -> String {
    let text = String::from_utf8_lossy(&o.stdout).to_string();
    assert!(o.status.success(), "{text}\n{}", String::from_utf8_lossy(&o.stderr));
    text
}

/// `trials.csv` without its `seconds` column, the only one that differs between runs.
fn without_seconds(path: &Path) -> Vec<String> {
    let text = fs::read_to_string(path).unwrap();
    text.lines().map(|l| l.rsplit_once(',').unwrap().0.to_string()).collect()
}

fn selection(dir: &Path) -> (serde_json::Value, serde_json::Value) {
    let s: serde_json::Value = serde_json::from_str(&fs::read_to_string(dir.join("summary.json")).unwrap()).unwrap();
    (s["selection"].clone(), s["scores"].clone())
}

/// The merged folder equals a one-process run: same trials (bar seconds), same choice.
fn assert_merge_equals_plain(dir: &Scratch, sharded: &Path, extra: &[&str], trials: usize) {
    let merged = ok(run(dir, sharded, extra));
    assert!(merged.contains(&format!("{trials} trials (0 trained now")), "{merged}");
    let plain = dir.0.join(format!("plain{}", extra.join("")));
    let one = ok(run(dir, &plain, extra));
    assert!(one.contains(&format!("{trials} trials ({trials} trained now")), "{one}");
    let (a, b) = (without_seconds(&sharded.join("trials.csv")), without_seconds(&plain.join("trials.csv")));
    assert_eq!(a.len(), trials + 1);
    assert_eq!(a, b);
    assert_eq!(selection(sharded), selection(&plain));
    assert!(selection(&plain).0.get("alpha").is_some());
}

#[test]
fn shards_one_after_another_merge_into_the_one_process_result() {
    let dir = Scratch::new("seq");
    let out = dir.0.join("out");
    let mut seen = Vec::new();
    for k in 0..3 {
        let text = ok(run(&dir, &out, &["--shard", &format!("{k}/3")]));
        assert!(text.contains(&format!("shard {k}/3")) && text.contains("without --shard"), "{text}");
        let lines = without_seconds(&out.join(format!("trials.{k}-of-3.csv")));
        // 3 alphas × 2 repeats × 2 folds = 12 cold trials, 4 per shard, none twice.
        assert_eq!(lines.len(), 1 + 4, "{lines:?}");
        seen.extend(lines.into_iter().skip(1));
        assert!(
            !out.join("trials.csv").exists() && !out.join("summary.json").exists() && !out.join("run.json").exists()
        );
    }
    seen.sort();
    seen.dedup();
    assert_eq!(seen.len(), 12);
    // Shard 1/3 owns the units 1, 4, 7, 10 of (alpha 0.1, 0.01, 0.001) × repeat × fold (the
    // finished log is in trial order, alpha ascending).
    let one = without_seconds(&out.join("trials.1-of-3.csv"));
    let keys: Vec<&str> = one[1..].iter().map(|l| &l[..l.match_indices(',').nth(2).unwrap().0]).collect();
    assert_eq!(keys, ["0.001,1,0", "0.01,0,0", "0.01,1,1", "0.1,0,1"]);
    // A shard run again finds its trials done.
    assert!(ok(run(&dir, &out, &["--shard", "1/3"])).contains("(0 trained now, 4 from"));
    assert_merge_equals_plain(&dir, &out, &[], 12);
}

#[test]
fn concurrent_shards_of_warm_paths_merge_into_the_one_process_result() {
    let dir = Scratch::new("par");
    let out = dir.0.join("out");
    let extra = ["--path", "warm", "--warm-epochs", "5"];
    let children: Vec<_> = (0..3)
        .map(|k| {
            let shard = format!("{k}/3");
            let args: Vec<&str> = extra.iter().copied().chain(["--shard", &shard]).collect();
            command(&dir, MOONS, &out, &args).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap()
        })
        .collect();
    for child in children {
        ok(child.wait_with_output().unwrap());
    }
    // Warm paths are units: 2 repeats × 2 folds = 4 paths of 3 alphas, shard 0 has two.
    assert_eq!(without_seconds(&out.join("trials.0-of-3.csv")).len(), 1 + 6);
    assert_eq!(without_seconds(&out.join("trials.2-of-3.csv")).len(), 1 + 3);
    assert_merge_equals_plain(&dir, &out, &extra, 12);
}

#[test]
fn a_half_merged_folder_trains_only_the_missing_shard() {
    let dir = Scratch::new("half");
    let out = dir.0.join("out");
    ok(run(&dir, &out, &["--shard", "0/2"]));
    let merged = ok(run(&dir, &out, &[]));
    assert!(merged.contains("12 trials (6 trained now"), "{merged}");
}

#[test]
fn bad_shard_values_are_refused_before_anything_is_written() {
    let dir = Scratch::new("bad");
    let out = dir.0.join("out");
    for (value, needle) in
        [("3/3", "0 ≤ K < N"), ("0/0", "N ≥ 1"), ("x/2", "K/N"), ("1", "K/N"), ("1/2/3", "K/N"), ("-1/2", "K/N")]
    {
        let o = run(&dir, &out, &[&format!("--shard={value}")]);
        let e = String::from_utf8_lossy(&o.stderr).to_string();
        assert!(!o.status.success() && e.contains("--shard") && e.contains(needle), "{value}: {e}");
        assert!(!out.exists(), "{value} wrote {}", out.display());
    }
    for extra in [&["--refine"][..], &["--prune-trials", "halving"], &["--refit"], &["--relax"]] {
        let args: Vec<&str> = extra.iter().copied().chain(["--shard", "0/2"]).collect();
        let o = run(&dir, &out, &args);
        let e = String::from_utf8_lossy(&o.stderr).to_string();
        assert!(!o.status.success() && e.contains("--shard"), "{extra:?}: {e}");
        assert!(!out.exists(), "{extra:?} wrote {}", out.display());
    }
}

#[test]
fn a_shard_of_another_search_is_refused_naming_it() {
    let dir = Scratch::new("other");
    let out = dir.0.join("out");
    // The same rows but one: other data contents, hence another search.
    let text = fs::read_to_string(MOONS).unwrap();
    let other = dir.0.join("other.csv");
    fs::write(&other, text.lines().take(90).map(|l| format!("{l}\n")).collect::<String>()).unwrap();
    let other = other.to_str().unwrap();
    ok(command(&dir, other, &out, &["--shard", "1/2"]).output().unwrap());
    let o = run(&dir, &out, &[]);
    let e = String::from_utf8_lossy(&o.stderr).to_string();
    assert!(!o.status.success() && e.contains("trials.1-of-2.csv") && e.contains("data_sha256"), "{e}");
    assert!(!out.join("trials.csv").exists() && !out.join("search.json").exists());
    // So is a shard started on other data over an existing shard's settings…
    let o = run(&dir, &out, &["--shard", "1/2"]);
    let e = String::from_utf8_lossy(&o.stderr).to_string();
    assert!(!o.status.success() && e.contains("trials.1-of-2.json") && e.contains("data_sha256"), "{e}");
    // …while --force starts over without the foreign shard.
    assert!(ok(run(&dir, &out, &["--force"])).contains("12 trials (12 trained now"));
    assert!(!out.join("trials.1-of-2.csv").exists());
}

#[test]
fn a_shard_with_other_settings_than_its_siblings_is_refused_and_writes_nothing() {
    let dir = Scratch::new("siblings");
    let out = dir.0.join("out");
    ok(run(&dir, &out, &["--shard", "0/2"]));
    let before: Vec<_> = fs::read_dir(&out).unwrap().map(|e| e.unwrap().file_name()).collect();
    // Shard 1/2 of the same folder scored otherwise: another search, refused naming shard 0.
    let o = run(&dir, &out, &["--shard", "1/2", "--score", "accuracy"]);
    let e = String::from_utf8_lossy(&o.stderr).to_string();
    assert!(!o.status.success() && e.contains("trials.0-of-2.json") && e.contains("search changed"), "{e}");
    let after: Vec<_> = fs::read_dir(&out).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(before, after, "a refused shard wrote into {}", out.display());
    // A shard of another count but the same search is welcome (the merge reads both).
    ok(run(&dir, &out, &["--shard", "1/3"]));
    // --force starts the shard over regardless; the merge then refuses the sibling until forced.
    ok(run(&dir, &out, &["--shard", "1/2", "--score", "accuracy", "--force"]));
    let o = run(&dir, &out, &["--score", "accuracy"]);
    assert!(!o.status.success() && String::from_utf8_lossy(&o.stderr).contains("trials.0-of-2.csv"));
    assert!(ok(run(&dir, &out, &["--score", "accuracy", "--force"])).contains("12 trials (12 trained now"));
}

#[test]
fn units_are_numbered_across_grid_points() {
    let dir = Scratch::new("points");
    let out = dir.0.join("out");
    let extra = ["--units", "dense_0=4,8"];
    // 2 widths × (3 alphas × 2 repeats × 2 folds) = 24 units; shard 1/5 owns 1, 6, 11 of
    // width 4 and 16, 21, which are width 8's units 4 and 9 (not its 1, 6, 11).
    ok(run(&dir, &out, &["--units", "dense_0=4,8", "--shard", "1/5"]));
    let lines = without_seconds(&out.join("trials.1-of-5.csv"));
    let keys: Vec<&str> = lines[1..].iter().map(|l| &l[..l.match_indices(',').nth(3).unwrap().0]).collect();
    assert_eq!(keys, ["4,0.001,1,1", "4,0.01,1,0", "4,0.1,0,1", "8,0.001,0,1", "8,0.01,0,0"]);
    for k in [0, 2, 3, 4] {
        let shard = format!("{k}/5");
        ok(run(&dir, &out, &["--units", "dense_0=4,8", "--shard", &shard]));
    }
    assert_merge_equals_plain(&dir, &out, &extra, 24);
}
