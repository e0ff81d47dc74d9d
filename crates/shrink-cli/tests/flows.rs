//! Every workflow takes every penalty family: `search` with a group lasso selecting inputs, a
//! spec's mode never dropped silently, `fine-tune` keeping exact zeros, `case-study --penalty`.
//!
//! Data are generated here (no shared files) and small enough that each test runs in seconds.

mod common;
use common::*;
use std::fs;
use std::path::Path;

fn search(tmp: &TempDir, spec: &Path, out: &Path, penalty: &str, extra: &[&str]) -> std::process::Output {
    let data = noise_input_csv(tmp);
    let mut args = os_args(&[&"search", &"--spec", &spec, &"--data", &data, &"--target", &"y", &"--out", &out]);
    args.extend(os_args(&[
        &"--param",
        &"dense_0.kernel",
        &"--penalty",
        &penalty,
        &"--repeats",
        &"1",
        &"--threads",
        &"2",
    ]));
    args.extend(extra.iter().map(Into::into));
    shrink(args)
}

/// The `zero_fraction` column of trials.csv, by alpha.
fn zero_fractions(out: &Path) -> Vec<(f64, f64)> {
    let text = fs::read_to_string(out.join("trials.csv")).unwrap();
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let col = |name: &str| header.iter().position(|h| *h == name).unwrap();
    let (a, z) = (col("alpha"), col("zero_fraction"));
    let mut rows: Vec<(f64, f64)> = lines
        .map(|l| {
            let f: Vec<f64> = l.split(',').map(|v| v.parse().unwrap()).collect();
            (f[a], f[z])
        })
        .collect();
    rows.sort_by(|x, y| y.0.total_cmp(&x.0));
    rows
}

#[test]
fn search_group_rows_proximal_drops_the_noise_input() {
    let tmp = TempDir::new_in("flows", "search-group");
    let spec = noise_input_spec(&tmp, 200, None);
    let out = tmp.join("search");
    let o = search(&tmp, &spec, &out, "group-rows@proximal", &["--alphas", "1e-1,1e-2", "--refit"]);
    assert_success(&o);
    // One of three input rows (x2) is zero at both alphas: a third of the kernel.
    for (alpha, zeros) in zero_fractions(&out) {
        assert!((zeros - 1.0 / 3.0).abs() < 1e-12, "alpha {alpha}: zero fraction {zeros}");
    }
    assert!(stdout(&o).contains("33.3%"), "{}", stdout(&o));
    let summary: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(out.join("summary.json")).unwrap()).unwrap();
    assert!(summary.to_string().contains("zero_fraction"), "{summary}");
    let kernel = &read_tensors(&out.join("model.safetensors"))["dense_0.kernel"];
    assert!(tensor_row(kernel, 2).iter().all(|&v| v == 0.0), "x2 row {:?}", tensor_row(kernel, 2));
    for row in [0, 1] {
        assert!(tensor_row(kernel, row).iter().any(|&v| v != 0.0), "x{row} row is zero");
    }
    // A warm path continues each fit with the family's mode too.
    let warm = tmp.join("warm");
    assert_success(&search(&tmp, &spec, &warm, "group-rows@proximal", &["--alphas", "1e-1,1e-2", "--path", "warm"]));
    for (alpha, zeros) in zero_fractions(&warm) {
        assert!((zeros - 1.0 / 3.0).abs() < 1e-12, "warm, alpha {alpha}: zero fraction {zeros}");
    }
}

#[test]
fn search_takes_the_specs_mode_and_says_so() {
    let tmp = TempDir::new_in("flows", "search-mode");
    let spec = noise_input_spec(&tmp, 200, Some("group-rows:0.1@proximal"));
    let taken = tmp.join("taken");
    let o = search(&tmp, &spec, &taken, "group-rows", &["--alphas", "1e-1"]);
    assert_success(&o);
    assert!(
        stderr(&o).contains("note: --penalty group-rows takes the spec's mode: searching group-rows@proximal"),
        "{}",
        stderr(&o)
    );
    assert!(zero_fractions(&taken)[0].1 > 0.0);
    // Naming the mode searches exactly that, without a note.
    let gradient = tmp.join("gradient");
    let o = search(&tmp, &spec, &gradient, "group-rows@gradient", &["--alphas", "1e-1"]);
    assert_success(&o);
    assert!(!stderr(&o).contains("note:"), "{}", stderr(&o));
    assert_eq!(zero_fractions(&gradient)[0].1, 0.0);
    // A spec mode the family cannot take is refused with the way to write it.
    let spec = noise_input_spec(&tmp, 20, Some("l2:1e-3@decoupled"));
    let o = search(&tmp, &spec, &tmp.join("refused"), "l1", &["--alphas", "1e-1"]);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("decoupled") && stderr(&o).contains("--penalty l1@gradient"), "{}", stderr(&o));
    assert!(!tmp.join("refused").exists());
}

fn train(tmp: &TempDir, spec: &Path, out: &Path) -> std::path::PathBuf {
    let data = noise_input_csv(tmp);
    let o = shrink(os_args(&[&"train", &"--spec", &spec, &"--data", &data, &"--target", &"y", &"--out", &out]));
    assert_success(&o);
    out.join("model.safetensors")
}

fn fine_tune(tmp: &TempDir, model: &Path, out: &Path, extra: &[&str]) -> Tensors {
    let data = noise_input_csv(tmp);
    let mut args = os_args(&[&"fine-tune", &"--model", &model, &"--data", &data, &"--epochs", &"30", &"--out", &out]);
    args.extend(extra.iter().map(Into::into));
    assert_success(&shrink(args));
    let manifest = read_manifest(out);
    assert_eq!(manifest_inputs(&manifest), [model.to_path_buf(), data]);
    assert!(manifest_files(&manifest).contains(&"model.safetensors".to_string()));
    read_tensors(&out.join("model.safetensors"))
}

fn zeros(t: &Tensors, name: &str) -> usize {
    t[name].1.iter().filter(|&&v| v == 0.0).count()
}

#[test]
fn fine_tune_with_a_proximal_penalty_keeps_exact_zeros() {
    let tmp = TempDir::new_in("flows", "ft-zeros");
    let spec = noise_input_spec(&tmp, 100, Some("l1:1e-2@proximal"));
    let model = train(&tmp, &spec, &tmp.join("trained"));
    let before = read_tensors(&model);
    assert!(zeros(&before, "dense_0.kernel") > 0, "proximal L1 training made no zeros");
    let kept = fine_tune(&tmp, &model, &tmp.join("prox"), &["--penalty", "dense_0.kernel=l1:1e-2@proximal"]);
    assert!(zeros(&kept, "dense_0.kernel") > 0, "{:?}", kept["dense_0.kernel"]);
    // The same strength as a gradient term leaves no weight exactly zero.
    let lost = fine_tune(&tmp, &model, &tmp.join("grad"), &["--penalty", "dense_0.kernel=l1:1e-2"]);
    assert_eq!(zeros(&lost, "dense_0.kernel"), 0);
}

#[test]
fn fine_tune_schedules_a_group_lasso() {
    let tmp = TempDir::new_in("flows", "ft-schedule");
    let model = train(&tmp, &noise_input_spec(&tmp, 100, None), &tmp.join("trained"));
    let out = tmp.join("ft");
    let t = fine_tune(
        &tmp,
        &model,
        &out,
        &["--penalty", "dense_0.kernel=group-rows@proximal", "--schedule", "0:0,10:1e-1"],
    );
    let kernel = &t["dense_0.kernel"];
    assert!(tensor_row(kernel, 2).iter().all(|&v| v == 0.0), "x2 row {:?}", tensor_row(kernel, 2));
    assert!(tensor_row(kernel, 0).iter().any(|&v| v != 0.0));
    let history = fs::read_to_string(out.join("history.csv")).unwrap();
    let alphas: Vec<&str> = history.lines().skip(1).map(|l| l.split(',').nth_back(1).unwrap()).collect();
    assert_eq!((alphas[9], alphas[10], alphas.len()), ("0", "0.1", 30), "{history}");
}

#[test]
fn case_study_runs_any_family_and_names_it_everywhere() {
    let tmp = TempDir::new_in("flows", "case-study-l1");
    let out = tmp.join("cs");
    let args = ["case-study", "--penalty", "l1@proximal", "--repeats", "1", "--epochs", "30", "--alphas", "1e-1,1e-3"];
    let mut command: Vec<std::ffi::OsString> = args.iter().map(Into::into).collect();
    command.extend(os_args(&[&"--out", &out]));
    let o = shrink(command);
    assert_success(&o);
    let text = stdout(&o);
    assert!(text.contains("l1@proximal on hidden kernel") && text.contains("zeros"), "{text}");
    assert!(text.contains("l1@proximal at alpha 0.001 on the hidden kernel") && !text.contains("L2("), "{text}");
    let summary: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(out.join("summary.json")).unwrap()).unwrap();
    assert_eq!(summary["config"]["family"], "l1@proximal");
    assert!(summary["reading"].as_str().unwrap().contains("l1@proximal"));
    let results = fs::read_to_string(out.join("results.csv")).unwrap();
    assert!(results.lines().any(|l| l.starts_with("l1@proximal,0.001,0,")), "{results}");
    let curves = fs::read_to_string(out.join("learning_curves_l1-proximal.svg")).unwrap();
    assert!(curves.contains("l1@proximal on the hidden kernel"));
    let grid = fs::read_to_string(out.join("accuracy_vs_alpha.svg")).unwrap();
    assert!(grid.contains("Accuracy vs l1@proximal alpha") && !grid.contains("L2 alpha"));
}
