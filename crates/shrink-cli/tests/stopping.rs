//! `[early_stopping]`, `lr_schedule` and `tol` through `train`, `fine-tune` and `search`:
//! what they write (`stopping.json`, the `lr` column), what they print, and the errors they
//! give before any output exists.

mod common;
use common::*;
use std::fs;
use std::path::PathBuf;

/// The moons MLP spec with `keys` before the first table and `tables` appended.
fn spec_text(keys: &str, tables: &str) -> String {
    include_str!("../../shrink/tests/data/moons_mlp.toml").replacen("epochs = 20", "epochs = 200", 1).replacen(
        "\n[[layers]]",
        &format!("{keys}\n\n[[layers]]"),
        1,
    ) + tables
}

/// A scratch folder for test `name` with `spec` written to `s.toml` there, the moons table,
/// that spec's path, and the output folder `out` (not created).
fn setup(name: &str, spec: &str) -> (TempDir, PathBuf, PathBuf, PathBuf) {
    let tmp = TempDir::new_in("stopping", name);
    let spec = tmp.write("s.toml", spec);
    let out = tmp.join("out");
    (tmp, data("moons_100_0.2_seed1.csv"), spec, out)
}

fn json(path: &std::path::Path) -> serde_json::Value {
    serde_json::from_str(&fs::read_to_string(path).unwrap()).unwrap()
}

fn history(path: &std::path::Path) -> (Vec<String>, Vec<Vec<f64>>) {
    let text = fs::read_to_string(path).unwrap();
    let mut lines = text.lines();
    let header = lines.next().unwrap().split(',').map(str::to_string).collect();
    (header, lines.map(|l| l.split(',').map(|v| v.parse().unwrap()).collect()).collect())
}

const EARLY: &str = "\n[early_stopping]\nmonitor = \"val_loss\"\npatience = 5\nrestore_best = true\n";

#[test]
fn train_stops_early_restores_and_records_it() {
    let text = spec_text("optimizer = { name = \"adam\", lr = 0.05 }", EARLY);
    let (_tmp, data, spec, out) = setup("train", &text.replacen("optimizer = { name = \"adam\", lr = 0.01 }\n", "", 1));
    let o = train(&spec, &data, "y", &out, &["--val-split", "0.3"]);
    assert_success(&o);
    let s = json(&out.join("stopping.json"));
    assert_eq!(s["stop"], "early_stopping", "{s}");
    let (run, best) = (s["epochs_run"].as_u64().unwrap(), s["best_epoch"].as_u64().unwrap());
    assert!(run < 200 && run == best + 5 && s["restored_best"] == true, "{s}");
    let printed = stdout(&o);
    assert!(
        printed.contains(&format!("early stopping: stopped at epoch {run}; best epoch {best}, val_loss")),
        "{printed}"
    );
    let (header, rows) = history(&out.join("history.csv"));
    assert_eq!(rows.len() as u64, run);
    let val_loss = header.iter().position(|h| h == "val_loss").unwrap();
    let min = rows.iter().map(|r| r[val_loss]).fold(f64::INFINITY, f64::min);
    assert_eq!(rows[best as usize - 1][val_loss], min);
    assert!(manifest_files(&read_manifest(&out)).contains(&"stopping.json".to_string()));
    assert!(!header.contains(&"lr".to_string()), "no lr column without a schedule");
}

#[test]
fn a_val_monitor_without_validation_data_is_refused_before_any_output() {
    let (tmp, data, spec, out) = setup("no-val", &spec_text("", EARLY));
    let o = train(&spec, &data, "y", &out, &[]);
    assert_fails(&o, &["early_stopping.monitor: `val_loss` needs validation data", "--val"]);
    assert!(!out.exists());
    // A typo in the monitor is an error naming the key when the spec is read.
    let bad = tmp.write("bad.toml", &spec_text("", "\n[early_stopping]\nmonitor = \"val_acuracy\"\n"));
    let o = train(&bad, &data, "y", &out, &["--val-split", "0.3"]);
    assert_fails(&o, &["early_stopping.monitor: unknown quantity `val_acuracy`"]);
    let bad = tmp.write(
        "bad2.toml",
        &spec_text("lr_schedule = { name = \"exponential\", decay_steps = 10, decay_rate = -1 }", ""),
    );
    let o = train(&bad, &data, "y", &out, &[]);
    assert_fails(&o, &["lr_schedule.decay_rate must be finite and > 0, got -1"]);
    assert!(!out.exists());
}

#[test]
fn the_lr_column_follows_the_schedule_and_fine_tune_uses_the_stored_keys() {
    // 100 rows in batches of 32: 4 steps per epoch, so epoch e ends with step 4e − 1.
    let keys = "lr_schedule = { name = \"exponential\", decay_steps = 10, decay_rate = 0.5 }";
    let (tmp, data, spec, out) = setup("schedule", &spec_text(keys, EARLY).replacen("epochs = 200", "epochs = 12", 1));
    let o = train(&spec, &data, "y", &out, &["--val", data.to_str().unwrap()]);
    assert_success(&o);
    let (header, rows) = history(&out.join("history.csv"));
    let lr = header.iter().position(|h| h == "lr").unwrap();
    for row in &rows {
        // keras ExponentialDecay: initial_learning_rate * decay_rate ** (step / decay_steps)
        let expected = 0.01 * 0.5f64.powf((4.0 * row[0] - 1.0) / 10.0);
        assert!((row[lr] - expected).abs() < 1e-15, "epoch {}: {} vs {expected}", row[0], row[lr]);
    }
    // fine-tune keeps the model's stored training keys: the val monitor needs --val there too.
    let model = out.join("model.safetensors");
    let out2 = tmp.join("out2");
    let tune = ["--penalty", "dense_0.kernel=l2:1e-4", "--epochs", "5"];
    let o = fine_tune(&model, &data, &out2, &tune);
    assert_fails(&o, &["early_stopping.monitor", "--val"]);
    assert!(!out2.exists());
    let o = fine_tune(&model, &data, &out2, &[&["--val-split", "0.3"][..], &tune].concat());
    assert_success(&o);
    assert!(out2.join("stopping.json").is_file());
    let (header, _) = history(&out2.join("history.csv"));
    assert!(header.contains(&"lr".to_string()));
}

/// The README's Lasso recipe through the CLI (f32): with `tol` it converges and says so; out of
/// epochs it warns (scikit-learn's ConvergenceWarning) and records `converged: false`.
#[test]
fn lasso_recipe_converges_or_warns() {
    let tmp = TempDir::new_in("stopping", "lasso");
    let data = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shrink/tests/data/lasso_collinear.csv");
    let recipe = |epochs: usize, tol: &str| {
        format!(
            "input_shape = [5]\nloss = \"mse\"\nepochs = {epochs}\nbatch_size = 100\noptimizer = {{ name = \"sgd\", lr = 0.2 }}\n\
             tol = {tol}\n\n[[layers]]\ntype = \"dense\"\nunits = 1\nkernel_penalty = {{ l1 = 0.2, mode = \"proximal\" }}\n"
        )
    };
    let spec = tmp.write("lasso.toml", &recipe(100_000, "1e-9"));
    let out = tmp.join("out");
    let o = train(&spec, &data, "y", &out, &[]);
    assert_success(&o);
    assert!(stdout(&o).contains("converged at epoch"), "{}", stdout(&o));
    let s = json(&out.join("stopping.json"));
    assert_eq!((s["stop"].as_str(), s["converged"].as_bool()), (Some("converged"), Some(true)), "{s}");
    // Lasso(alpha=0.1).fit(X, y).coef_ (scripts/lasso_collinear.py): 1.883940, 0, 0.994885, 0.314707, 0.
    let w = read_tensors(&out.join("model.safetensors"));
    let kernel = &w["dense_0.kernel"].1;
    let sklearn = [1.883940116080155, 0.0, 0.9948853243411664, 0.314707179473024, 0.0];
    assert!(kernel.iter().zip(sklearn).all(|(a, b)| (f64::from(*a) - b).abs() < 1e-5), "{kernel:?}");
    assert_eq!(kernel.iter().map(|v| *v == 0.0).collect::<Vec<_>>(), [false, true, false, false, true]);

    let spec = tmp.write("short.toml", &recipe(50, "1e-9"));
    let out = tmp.join("short");
    let o = train(&spec, &data, "y", &out, &[]);
    assert_success(&o);
    assert!(stderr(&o).contains("warning: not converged: 50 epochs ran out"), "{}", stderr(&o));
    assert_eq!(json(&out.join("stopping.json"))["converged"], false);
}

/// Every search trial monitors its own validation rows; `--refit` (all rows, none held out)
/// with a `val_` monitor is refused before any trial.
#[test]
fn search_trials_stop_early_and_refit_is_refused_with_a_val_monitor() {
    let (tmp, data, spec, out) = setup("search", &spec_text("", EARLY));
    let args = |out: &std::path::Path, extra: &[&str]| {
        let mut a: Vec<std::ffi::OsString> = os_args(&[
            &"search",
            &"--spec",
            &spec,
            &"--data",
            &data,
            &"--target",
            &"y",
            &"--param",
            &"dense_0.kernel",
            &"--penalty",
            &"l2",
            &"--alphas",
            &"1e-2,1e-4",
            &"--repeats",
            &"1",
            &"--cv",
            &"2",
            &"--out",
            &out,
        ]);
        a.extend(extra.iter().map(std::ffi::OsString::from));
        a
    };
    assert_success(&shrink(args(&out, &[])));
    // The same search without early stopping scores differently: the trials did stop.
    let plain = tmp.write("plain.toml", &spec_text("", ""));
    let mut a = args(&tmp.join("plain"), &[]);
    a[2] = plain.into_os_string();
    assert_success(&shrink(a));
    let scores = |dir: &std::path::Path| -> Vec<String> {
        let text = fs::read_to_string(dir.join("trials.csv")).unwrap();
        let head: Vec<&str> = text.lines().next().unwrap().split(',').collect();
        let i = head.iter().position(|h| *h == "score").unwrap();
        text.lines().skip(1).map(|l| l.split(',').nth(i).unwrap().to_string()).collect()
    };
    assert_ne!(scores(&out), scores(&tmp.join("plain")));
    let o = shrink(args(&tmp.join("refit"), &["--refit"]));
    assert_fails(&o, &["--refit", "early_stopping.monitor"]);
    assert!(!tmp.join("refit").exists());
}
