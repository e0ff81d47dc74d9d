//! End-to-end tests of the model-file workflow of the `shrink` binary: `train`, `evaluate`,
//! `predict`, `inspect`, `fine-tune` and `import`, the safetensors file they share, and every
//! bad input those commands are expected to reject with a clear message.
//!
//! Every training run is tiny (two moons with 100 rows, ≤ 60 epochs; digits and diabetes for
//! a few epochs), so the whole file runs in a few seconds in release mode.

mod common;
use common::*;
use safetensors::tensor::TensorView;
use safetensors::{Dtype, SafeTensors};
use std::collections::{BTreeMap, HashMap};
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Output;

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

const PNG_SIGNATURE: [u8; 8] = [0x89, b'P', b'N', b'G', b'\r', b'\n', 0x1a, b'\n'];

/// A small sigmoid MLP with an L2 penalty on the first kernel. Line 12 is `units = 16` and
/// line 14 the kernel penalty (the error tests rely on these line numbers).
const SPEC: &str = include_str!("../../shrink/tests/data/moons_mlp.toml");

/// `SPEC` as JSON, without the penalty.
const SPEC_JSON_NO_PENALTY: &str = include_str!("data/moons_mlp_no_penalty.json");

const DIGITS_SPEC: &str = include_str!("data/digits_mlp.toml");

const DIABETES_SPEC: &str = include_str!("data/diabetes_mlp.toml");

const TRAIN_HEADER: &str = "epoch,loss,data_loss,penalty,accuracy";
const TRAIN_VAL_HEADER: &str = "epoch,loss,data_loss,penalty,accuracy,val_loss,val_data_loss,val_penalty,val_accuracy";
const WEIGHTS_HEADER: &str =
    "parameter,layer,role,shape,count,l1,l2,max_abs,zeros,zero_fraction,penalty_l1,penalty_l2,selected_features,dead_units";
const PARAMS: [&str; 4] = ["dense_0.kernel", "dense_0.bias", "dense_1.kernel", "dense_1.bias"];

/// Arguments as owned strings, paths included.
fn args(parts: &[&dyn AsRef<std::ffi::OsStr>]) -> Vec<std::ffi::OsString> {
    parts.iter().map(|p| p.as_ref().to_os_string()).collect()
}

fn moons_csv(tmp: &TempDir) -> PathBuf {
    let o = shrink(["data", "moons", "--n", "100", "--noise", "0.2", "--seed", "1"]);
    assert_success(&o);
    tmp.write("moons.csv", &stdout(&o))
}

/// Trains `SPEC` (or `spec`) on the moons into `tmp/<name>`; returns (moons.csv, the model file).
fn trained_with(tmp: &TempDir, spec: &str, name: &str) -> (PathBuf, PathBuf) {
    let moons = if tmp.join("moons.csv").exists() { tmp.join("moons.csv") } else { moons_csv(tmp) };
    let spec = tmp.write(&format!("{name}.toml"), spec);
    let out = tmp.join(name);
    let o = train(&spec, &moons, "y", &out, &[]);
    assert_success(&o);
    (moons, out.join("model.safetensors"))
}

fn trained(tmp: &TempDir) -> (PathBuf, PathBuf) {
    trained_with(tmp, SPEC, "run")
}

type Tensors = BTreeMap<String, (Vec<usize>, Vec<f32>)>;

/// A tensor to write: name, dtype, shape, little-endian bytes.
type RawTensor = (String, Dtype, Vec<usize>, Vec<u8>);

fn f32s(bytes: &[u8]) -> Vec<f32> {
    bytes.chunks_exact(4).map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]])).collect()
}

fn f32_bytes(values: &[f32]) -> Vec<u8> {
    values.iter().flat_map(|v| v.to_le_bytes()).collect()
}

/// The tensors (all F32) and the metadata of a safetensors file, read with the safetensors crate.
fn read_model(path: &Path) -> (Tensors, HashMap<String, String>) {
    let bytes = fs::read(path).unwrap();
    let (_, meta) = SafeTensors::read_metadata(&bytes).unwrap();
    let meta = meta.metadata().clone().unwrap_or_default();
    let st = SafeTensors::deserialize(&bytes).unwrap();
    let mut out = Tensors::new();
    for name in st.names() {
        let t = st.tensor(name).unwrap();
        assert_eq!(t.dtype(), Dtype::F32, "{name}");
        out.insert(name.to_string(), (t.shape().to_vec(), f32s(t.data())));
    }
    (out, meta)
}

/// Writes a safetensors file with the safetensors crate: (name, dtype, shape, raw bytes).
fn write_safetensors(path: &Path, tensors: &[RawTensor], meta: Option<HashMap<String, String>>) {
    let views: Vec<(String, TensorView)> = tensors
        .iter()
        .map(|(name, dtype, shape, data)| (name.clone(), TensorView::new(*dtype, shape.clone(), data).unwrap()))
        .collect();
    fs::write(path, safetensors::serialize(views, meta).unwrap()).unwrap();
}

/// Rewrites a model file with `edit` applied to its tensors, keeping the metadata.
fn rewrite_model(
    from: &Path,
    to: &Path,
    edit: impl FnOnce(&mut Tensors),
    meta_edit: impl FnOnce(&mut HashMap<String, String>),
) {
    let (mut tensors, mut meta) = read_model(from);
    edit(&mut tensors);
    meta_edit(&mut meta);
    let list: Vec<RawTensor> =
        tensors.into_iter().map(|(n, (shape, v))| (n, Dtype::F32, shape, f32_bytes(&v))).collect();
    write_safetensors(to, &list, Some(meta));
}

fn l2_norm(values: &[f32]) -> f64 {
    values.iter().map(|&v| (v as f64).powi(2)).sum::<f64>().sqrt()
}

/// Header and numeric rows of a CSV written by the binary.
fn read_numeric_csv(path: &Path) -> (Vec<String>, Vec<Vec<f64>>) {
    parse_numeric_csv(&fs::read_to_string(path).unwrap())
}

fn parse_numeric_csv(text: &str) -> (Vec<String>, Vec<Vec<f64>>) {
    let mut lines = text.lines();
    let header = lines.next().expect("empty CSV").split(',').map(str::to_string).collect::<Vec<_>>();
    let rows: Vec<Vec<f64>> = lines
        .filter(|l| !l.is_empty())
        .map(|l| l.split(',').map(|c| c.parse::<f64>().unwrap_or_else(|_| panic!("not a number: {c:?}"))).collect())
        .collect();
    for r in &rows {
        assert_eq!(r.len(), header.len(), "row {r:?} vs header {header:?}");
    }
    (header, rows)
}

fn col(header: &[String], name: &str) -> usize {
    header.iter().position(|h| h == name).unwrap_or_else(|| panic!("column {name} missing from {header:?}"))
}

#[track_caller]
fn assert_close(a: f64, b: f64, tol: f64, what: &str) {
    assert!((a - b).abs() <= tol * (1.0 + a.abs().max(b.abs())), "{what}: {a} vs {b}");
}

fn json(o: &Output) -> serde_json::Value {
    assert_success(o);
    serde_json::from_str(&stdout(o)).unwrap_or_else(|e| panic!("not JSON ({e}):\n{}", stdout(o)))
}

/// A CSV with the rows of `path` with the column order given by `order` (names from the header)
/// plus, when `extra` is set, a constant numeric column `extra` in front.
fn reorder_csv(path: &Path, order: &[&str], extra: Option<&str>) -> String {
    let text = fs::read_to_string(path).unwrap();
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let idx: Vec<usize> = order.iter().map(|n| header.iter().position(|h| h == n).unwrap()).collect();
    let mut out = String::new();
    let head: Vec<&str> = extra.into_iter().chain(order.iter().copied()).collect();
    out += &(head.join(",") + "\n");
    for (i, l) in lines.enumerate() {
        let cells: Vec<&str> = l.split(',').collect();
        let mut row: Vec<String> = extra.map(|_| format!("{}", i as f64 * 0.5 - 7.0)).into_iter().collect();
        row.extend(idx.iter().map(|&j| cells[j].to_string()));
        out += &(row.join(",") + "\n");
    }
    out
}

/// The labels of column `name` of a CSV.
fn csv_column(path: &Path, name: &str) -> Vec<f64> {
    let (header, rows) = read_numeric_csv(path);
    let c = col(&header, name);
    rows.iter().map(|r| r[c]).collect()
}

fn is_png(path: &Path) -> bool {
    fs::read(path).map(|b| b.starts_with(&PNG_SIGNATURE)).unwrap_or(false)
}

fn is_svg(path: &Path) -> bool {
    fs::read_to_string(path).map(|s| s.contains("<svg") && s.trim_end().ends_with("</svg>")).unwrap_or(false)
}

// ---------------------------------------------------------------------------------------------
// train
// ---------------------------------------------------------------------------------------------

#[test]
fn train_writes_model_history_weights_and_curves() {
    let tmp = TempDir::new_in("model-cmds", "train-outputs");
    let moons = moons_csv(&tmp);
    let spec = tmp.write("spec.toml", SPEC);
    let out = tmp.join("run");
    let o = train(&spec, &moons, "y", &out, &["--val-split", "0.2"]);
    assert_success(&o);
    let text = stdout(&o);
    assert!(text.contains("epoch 20: loss") && text.contains("validation: loss"), "{text}");
    assert!(text.contains("dense_0.kernel") && text.contains("l2:0.001"), "{text}");
    assert!(text.contains("wrote:") && text.contains("model.safetensors"), "{text}");

    for f in ["model.safetensors", "history.csv", "weights.csv"] {
        assert!(out.join(f).is_file(), "{f} missing");
    }
    for chart in ["learning_curves_loss", "learning_curves_accuracy"] {
        assert!(is_png(&out.join(format!("{chart}.png"))), "{chart}.png");
        assert!(is_svg(&out.join(format!("{chart}.svg"))), "{chart}.svg");
    }

    // history.csv: one row per epoch, loss = data_loss + penalty, train and validation.
    let (header, rows) = read_numeric_csv(&out.join("history.csv"));
    assert_eq!(header.join(","), TRAIN_VAL_HEADER);
    assert_eq!(rows.len(), 20);
    for (i, r) in rows.iter().enumerate() {
        assert_eq!(r[0], (i + 1) as f64, "epoch column");
        assert_close(r[1], r[2] + r[3], 1e-9, "loss = data_loss + penalty");
        assert_close(r[5], r[6] + r[7], 1e-9, "val_loss = val_data_loss + val_penalty");
        assert!(r[3] > 0.0, "a kernel_penalty gives a positive penalty, row {r:?}");
        assert!((0.0..=1.0).contains(&r[4]) && (0.0..=1.0).contains(&r[8]), "accuracy in [0, 1]: {r:?}");
    }
    assert!(rows[19][2] < rows[0][2], "the data loss falls over 20 epochs: {} → {}", rows[0][2], rows[19][2]);

    // weights.csv: one row per parameter with its penalty.
    let weights = fs::read_to_string(out.join("weights.csv")).unwrap();
    let mut lines = weights.lines();
    assert_eq!(lines.next(), Some(WEIGHTS_HEADER));
    let rows: Vec<Vec<&str>> = lines.map(|l| l.split(',').collect()).collect();
    assert_eq!(rows.iter().map(|r| r[0]).collect::<Vec<_>>(), PARAMS);
    assert_eq!(&rows[0][1..5], ["dense_0", "kernel", "2x16", "32"]);
    assert_eq!((rows[0][10], rows[0][11]), ("0", "0.001"));
    assert_eq!((rows[1][10], rows[1][11]), ("0", "0"), "bias is not penalized");
    // Its L2 column matches the tensor in the model file.
    let (tensors, _) = read_model(&out.join("model.safetensors"));
    for r in &rows {
        let norm = l2_norm(&tensors[r[0]].1);
        assert_close(r[6].parse().unwrap(), norm, 1e-9, r[0]);
    }
}

#[test]
fn train_writes_run_json_listing_inputs_and_outputs() {
    let tmp = TempDir::new_in("model-cmds", "train-manifest");
    let moons = moons_csv(&tmp);
    let val = tmp.write("val.csv", &fs::read_to_string(&moons).unwrap());
    let spec = tmp.write("spec.toml", SPEC);
    let out = tmp.join("run");
    let val_arg = val.to_str().unwrap();
    assert_success(&train(&spec, &moons, "y", &out, &["--val", val_arg]));
    let manifest = read_manifest(&out);
    assert_eq!(manifest_inputs(&manifest), [spec.clone(), moons.clone(), val.clone()]);
    let mut expected = vec!["history.csv".to_string(), "model.safetensors".into(), "weights.csv".into()];
    for stem in ["accuracy", "loss"] {
        expected.extend(["png", "svg"].map(|ext| format!("learning_curves_{stem}.{ext}")));
    }
    expected.sort();
    assert_eq!(manifest_files(&manifest), expected);
    let command = manifest["command"].as_array().unwrap();
    assert_eq!(command[1], "train");
    assert!(command.iter().any(|a| a == val_arg), "{command:?}");

    // No timestamps: the same command over the same inputs writes the same bytes.
    let first = fs::read(out.join("run.json")).unwrap();
    assert_success(&train(&spec, &moons, "y", &out, &["--val", val_arg, "--force"]));
    let mut again = read_manifest(&out);
    again["command"].as_array_mut().unwrap().pop(); // --force
    assert_eq!(again, manifest);

    // The input hashes follow the inputs: a different data file is a different hash.
    let other = tmp.write("other.csv", &stdout(&shrink(["data", "moons", "--n", "100", "--seed", "2"])));
    let out2 = tmp.join("run2");
    assert_success(&train(&spec, &other, "y", &out2, &[]));
    let second = read_manifest(&out2);
    assert_ne!(second["inputs"][1]["sha256"], manifest["inputs"][1]["sha256"]);
    assert_ne!(fs::read(out2.join("run.json")).unwrap(), first);
}

#[test]
fn train_without_val_has_no_val_columns_and_penalty_tracks_the_spec() {
    let tmp = TempDir::new_in("model-cmds", "train-penalty");
    let moons = moons_csv(&tmp);
    let with = tmp.write("with.toml", SPEC);
    let without = tmp.write("without.toml", &SPEC.replace("kernel_penalty = { l2 = 1e-3 }\n", ""));
    let json_spec = tmp.write("without.json", SPEC_JSON_NO_PENALTY);
    for (spec, out) in [(&with, "with"), (&without, "without"), (&json_spec, "json")] {
        assert_success(&train(spec, &moons, "y", &tmp.join(out), &[]));
    }
    let (header, with_rows) = read_numeric_csv(&tmp.join("with/history.csv"));
    assert_eq!(header.join(","), TRAIN_HEADER);
    assert_eq!(with_rows.len(), 20);
    assert!(with_rows.iter().all(|r| r[3] > 0.0), "kernel_penalty gives penalty > 0");
    let (header, without_rows) = read_numeric_csv(&tmp.join("without/history.csv"));
    assert_eq!(header.join(","), TRAIN_HEADER);
    for r in &without_rows {
        assert_eq!(r[3], 0.0, "no penalty in the spec gives penalty 0");
        assert_eq!(r[1], r[2], "loss = data_loss without a penalty");
    }
    // The JSON spec is the same model: identical history and tensors.
    assert_eq!(
        fs::read_to_string(tmp.join("without/history.csv")).unwrap(),
        fs::read_to_string(tmp.join("json/history.csv")).unwrap()
    );
    let (a, _) = read_model(&tmp.join("without/model.safetensors"));
    let (b, _) = read_model(&tmp.join("json/model.safetensors"));
    assert_eq!(a, b, "the JSON spec trains the same model as the TOML one");
    // The file records the penalty in force.
    let (_, meta) = read_model(&tmp.join("with/model.safetensors"));
    let penalties: serde_json::Value = serde_json::from_str(&meta["shrink.penalties"]).unwrap();
    assert_eq!(penalties, serde_json::json!({"dense_0.kernel": {"l1": 0.0, "l2": 0.001}}));
    let (_, meta) = read_model(&tmp.join("without/model.safetensors"));
    assert_eq!(meta["shrink.penalties"], "{}");
}

#[test]
fn train_with_a_val_file_in_another_column_order() {
    let tmp = TempDir::new_in("model-cmds", "train-val-file");
    let moons = moons_csv(&tmp);
    let text = fs::read_to_string(&moons).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let train_csv = tmp.write("train.csv", &(lines[..61].join("\n") + "\n"));
    let val_plain = tmp.write(
        "val_plain.csv",
        &([lines[0]].iter().chain(&lines[61..]).copied().collect::<Vec<_>>().join("\n") + "\n"),
    );
    let val = tmp.write("val.csv", &reorder_csv(&val_plain, &["y", "x1", "x0"], Some("row_id")));
    let spec = tmp.write("spec.toml", SPEC);
    let out = tmp.join("run");
    assert_success(&train(&spec, &train_csv, "y", &out, &["--val", val.to_str().unwrap()]));
    let (header, rows) = read_numeric_csv(&out.join("history.csv"));
    assert_eq!(header.join(","), TRAIN_VAL_HEADER);
    assert_eq!(rows.len(), 20);
    // The last validation row equals `evaluate` of the model on the validation file.
    let e = json(&shrink(args(&[
        &"evaluate",
        &"--model",
        &out.join("model.safetensors"),
        &"--data",
        &val_plain,
        &"--json",
    ])));
    let last = rows.last().unwrap();
    assert_eq!(e["rows"], 40);
    assert_close(last[col(&header, "val_loss")], e["loss"].as_f64().unwrap(), 1e-9, "val_loss");
    assert_close(last[col(&header, "val_data_loss")], e["data_loss"].as_f64().unwrap(), 1e-9, "val_data_loss");
    assert_close(last[col(&header, "val_penalty")], e["penalty"].as_f64().unwrap(), 1e-9, "val_penalty");
    assert_close(last[col(&header, "val_accuracy")], e["metrics"]["accuracy"].as_f64().unwrap(), 1e-12, "val_acc");
    // The reordered file with an extra column evaluates the same.
    let e2 =
        json(&shrink(args(&[&"evaluate", &"--model", &out.join("model.safetensors"), &"--data", &val, &"--json"])));
    assert_eq!(e, e2);
}

#[test]
fn train_softmax_on_digits() {
    let tmp = TempDir::new_in("model-cmds", "train-digits");
    let digits = data("digits_8x8.csv");
    let spec = tmp.write("digits.toml", DIGITS_SPEC);
    let out = tmp.join("run");
    assert_success(&train(&spec, &digits, "label", &out, &[]));
    let (header, rows) = read_numeric_csv(&out.join("history.csv"));
    assert_eq!(header.join(","), TRAIN_HEADER);
    assert_eq!(rows.len(), 3);
    assert!(rows.iter().all(|r| r[3] == 0.0 && r[1] == r[2]));
    let model = out.join("model.safetensors");
    let (tensors, meta) = read_model(&model);
    assert_eq!(tensors["dense_0.kernel"].0, [64, 16]);
    assert_eq!(tensors["dense_1.kernel"].0, [16, 10]);
    let pipeline: serde_json::Value = serde_json::from_str(&meta["shrink.pipeline"]).unwrap();
    assert_eq!(pipeline["target"]["name"], "label");
    assert_eq!(pipeline["target"]["encoding"]["classes"].as_array().unwrap().len(), 10);

    let o = shrink(args(&[&"predict", &"--model", &model, &"--data", &digits]));
    assert_success(&o);
    let (header, preds) = parse_numeric_csv(&stdout(&o));
    let expected: Vec<String> = (0..10).map(|c| format!("prob_{c}")).chain(["pred_label".to_string()]).collect();
    assert_eq!(header, expected);
    let labels = csv_column(&digits, "label");
    assert_eq!(preds.len(), labels.len());
    let mut correct = 0;
    for (p, y) in preds.iter().zip(&labels) {
        let probs = &p[..10];
        assert_close(probs.iter().sum::<f64>(), 1.0, 1e-5, "softmax rows sum to 1");
        let argmax = (0..10).fold(0, |b, i| if probs[i] > probs[b] { i } else { b });
        assert_eq!(p[10], argmax as f64, "class is the argmax");
        correct += usize::from(p[10] == *y);
    }
    let e = json(&shrink(args(&[&"evaluate", &"--model", &model, &"--data", &digits, &"--json"])));
    assert_eq!(e["rows"], 1797);
    assert_close(e["metrics"]["accuracy"].as_f64().unwrap(), correct as f64 / labels.len() as f64, 1e-12, "accuracy");
    assert!(e["metrics"]["accuracy"].as_f64().unwrap() > 0.5, "{e}");
}

#[test]
fn train_mse_on_diabetes() {
    let tmp = TempDir::new_in("model-cmds", "train-diabetes");
    let diabetes = data("diabetes_raw.csv");
    let spec = tmp.write("diabetes.toml", DIABETES_SPEC);
    let out = tmp.join("run");
    assert_success(&train(&spec, &diabetes, "target", &out, &["--val-split", "0.25"]));
    let (header, rows) = read_numeric_csv(&out.join("history.csv"));
    assert_eq!(header.join(","), "epoch,loss,data_loss,penalty,mae,val_loss,val_data_loss,val_penalty,val_mae");
    assert_eq!(rows.len(), 5);
    for r in &rows {
        assert_close(r[1], r[2] + r[3], 1e-9, "loss = data + penalty");
        assert!(r[3] > 0.0);
    }
    for chart in ["learning_curves_loss", "learning_curves_mae"] {
        assert!(is_png(&out.join(format!("{chart}.png"))) && is_svg(&out.join(format!("{chart}.svg"))), "{chart}");
    }
    let model = out.join("model.safetensors");
    let o = shrink(args(&[&"predict", &"--model", &model, &"--data", &diabetes]));
    assert_success(&o);
    let (header, preds) = parse_numeric_csv(&stdout(&o));
    assert_eq!(header, ["pred_target"], "a regression model has no class column");
    assert_eq!(preds.len(), 442);
    // evaluate's mse is the mean squared error of predict's column.
    let y = csv_column(&diabetes, "target");
    let mse = preds.iter().zip(&y).map(|(p, t)| (p[0] - t).powi(2)).sum::<f64>() / y.len() as f64;
    let mae = preds.iter().zip(&y).map(|(p, t)| (p[0] - t).abs()).sum::<f64>() / y.len() as f64;
    let e = json(&shrink(args(&[&"evaluate", &"--model", &model, &"--data", &diabetes, &"--json"])));
    assert_close(e["data_loss"].as_f64().unwrap(), mse, 1e-4, "mse");
    assert_close(e["metrics"]["mae"].as_f64().unwrap(), mae, 1e-4, "mae");
}

/// Runs a train that must fail with `needles` and must not create its --out folder.
#[track_caller]
fn assert_train_rejected(tmp: &TempDir, spec: &Path, data: &Path, target: &str, extra: &[&str], needles: &[&str]) {
    let out = tmp.join("rejected-out");
    let o = train(spec, data, target, &out, extra);
    assert_fails(&o, needles);
    assert!(!out.exists(), "a failing train created {}", out.display());
}

#[test]
fn train_rejects_bad_specs() {
    let tmp = TempDir::new_in("model-cmds", "train-bad-spec");
    let moons = moons_csv(&tmp);
    let unknown = tmp.write("unknown.toml", &SPEC.replace("units = 16\n", "units = 16\nunit_count = 3\n"));
    assert_train_rejected(&tmp, &unknown, &moons, "y", &[], &["unknown.toml", "unit_count", "line 13"]);
    let top = tmp.write("top.toml", &SPEC.replace("epochs = 20", "epochz = 20"));
    assert_train_rejected(&tmp, &top, &moons, "y", &[], &["top.toml", "epochz", "line 5"]);
    let negative = tmp.write("negative.toml", &SPEC.replace("l2 = 1e-3", "l2 = -1e-3"));
    assert_train_rejected(&tmp, &negative, &moons, "y", &[], &["negative.toml", "line 14", "must be finite and ≥ 0"]);
    let kind = tmp.write("kind.toml", &SPEC.replace("l2 = 1e-3", "l3 = 1e-3"));
    assert_train_rejected(&tmp, &kind, &moons, "y", &[], &["l3", "line 14"]);
    let misfit = tmp.write("misfit.toml", &SPEC.replace("\"sigmoid\"", "\"relu\""));
    assert_train_rejected(&tmp, &misfit, &moons, "y", &[], &["misfit.toml", "does not fit the last layer"]);
    let cce = tmp.write("cce.toml", &SPEC.replace("binary_crossentropy", "categorical_crossentropy"));
    assert_train_rejected(&tmp, &cce, &moons, "y", &[], &["categorical_crossentropy", "does not fit the last layer"]);
    let syntax = tmp.write("syntax.toml", "input_shape = [2\n");
    assert_train_rejected(&tmp, &syntax, &moons, "y", &[], &["syntax.toml", "line 1"]);
    let missing = tmp.join("missing.toml");
    assert_train_rejected(&tmp, &missing, &moons, "y", &[], &["cannot read spec", "missing.toml"]);
    let json_unknown = tmp.write("unknown.json", &SPEC_JSON_NO_PENALTY.replace("\"epochs\"", "\"epochz\""));
    assert_train_rejected(&tmp, &json_unknown, &moons, "y", &[], &["unknown.json", "epochz", "line 6"]);
    let json_negative = tmp.write(
        "negative.json",
        &SPEC_JSON_NO_PENALTY
            .replace("\"activation\": \"relu\"", "\"activation\": \"relu\", \"kernel_penalty\": {\"l2\": -1}"),
    );
    assert_train_rejected(&tmp, &json_negative, &moons, "y", &[], &["negative.json", "line", "≥ 0"]);
}

/// A JSON spec whose first layer (lines 3–4) holds the error; blank lines separate the layers.
fn json_layer_spec(first_layer_extra: &str) -> String {
    format!(
        "{{\"input_shape\": [2], \"loss\": \"binary_crossentropy\",\n \"layers\": [\n  {{\"type\": \"dense\", \
         \"units\": 4, \"activation\": \"relu\",\n   {first_layer_extra}}},\n\n\n  {{\"type\": \"dense\", \
         \"units\": 1, \"activation\": \"sigmoid\"}}]}}\n"
    )
}

#[test]

fn json_spec_errors_name_the_line_of_the_key() {
    let tmp = TempDir::new_in("model-cmds", "json-spec-line");
    let moons = moons_csv(&tmp);
    let unknown = tmp.write("unknown.json", &json_layer_spec("\"unit_count\": 3"));
    assert_train_rejected(&tmp, &unknown, &moons, "y", &[], &["unknown.json", "unit_count", "line 4"]);
    let negative = tmp.write("negative.json", &json_layer_spec("\"kernel_penalty\": {\"l2\": -1}"));
    assert_train_rejected(&tmp, &negative, &moons, "y", &[], &["negative.json", "≥ 0", "line 4"]);
}

#[test]
fn train_rejects_bad_data() {
    let tmp = TempDir::new_in("model-cmds", "train-bad-data");
    let spec = tmp.write("spec.toml", SPEC);
    let malformed = tmp.write("malformed.csv", "x0,x1,y\n1,2,1\n3,4\n");
    assert_train_rejected(&tmp, &spec, &malformed, "y", &[], &["malformed.csv", "line 3"]);
    let nan = tmp.write("nan.csv", "x0,x1,y\n1,2,1\n3,NaN,0\n");
    assert_train_rejected(&tmp, &spec, &nan, "y", &[], &["nan.csv", "line 3", "x1", "NaN"]);
    let text = tmp.write("text.csv", "x0,x1,y\n1,abc,1\n3,4,0\n");
    assert_train_rejected(&tmp, &spec, &text, "y", &[], &["text.csv", "line 2", "abc"]);
    let empty = tmp.write("empty.csv", "x0,x1,y\n");
    assert_train_rejected(&tmp, &spec, &empty, "y", &[], &["empty.csv", "no data rows"]);
    let moons = moons_csv(&tmp);
    assert_train_rejected(&tmp, &spec, &moons, "label", &[], &["moons.csv", "`label`", "x0, x1, y"]);
    let nonbinary = tmp.write("nonbinary.csv", "x0,x1,y\n1,2,1\n3,4,2\n");
    assert_train_rejected(&tmp, &spec, &nonbinary, "y", &[], &["nonbinary.csv", "0 or 1", "row 2"]);
    let half = tmp.write("half.csv", "x0,x1,y\n1,2,1\n3,4,0.5\n");
    assert_train_rejected(&tmp, &spec, &half, "y", &[], &["half.csv", "0 or 1", "0.5"]);
    let three = tmp.write("three.csv", "x0,x1,x2,y\n1,2,3,1\n3,4,5,0\n");
    assert_train_rejected(&tmp, &spec, &three, "y", &[], &["three.csv", "input_shape [2]", "3"]);
    let missing = tmp.join("missing.csv");
    assert_train_rejected(&tmp, &spec, &missing, "y", &[], &["missing.csv"]);

    // Categorical labels must be integer classes 0…9.
    let digits_spec = tmp.write("digits.toml", DIGITS_SPEC);
    let digits = fs::read_to_string(data("digits_8x8.csv")).unwrap();
    let lines: Vec<&str> = digits.lines().take(21).collect();
    for (bad, name) in [("10", "ten"), ("-1", "minus"), ("2.5", "frac")] {
        let mut rows: Vec<String> = lines.iter().map(|l| l.to_string()).collect();
        let (cells, _) = rows[5].rsplit_once(',').unwrap();
        rows[5] = format!("{cells},{bad}");
        let path = tmp.write(&format!("{name}.csv"), &(rows.join("\n") + "\n"));
        assert_train_rejected(&tmp, &digits_spec, &path, "label", &[], &[&format!("{name}.csv"), "0…9", "row 5", bad]);
    }
}

#[test]
fn train_refuses_an_existing_model_unless_forced() {
    let tmp = TempDir::new_in("model-cmds", "train-force");
    let moons = moons_csv(&tmp);
    let spec = tmp.write("spec.toml", SPEC);
    let out = tmp.join("run");
    fs::create_dir_all(&out).unwrap();
    fs::write(out.join("model.safetensors"), "sentinel").unwrap();
    let o = train(&spec, &moons, "y", &out, &[]);
    assert_fails(&o, &["model.safetensors", "exists", "--force"]);
    assert_eq!(fs::read_to_string(out.join("model.safetensors")).unwrap(), "sentinel");
    let names: Vec<_> = fs::read_dir(&out).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(names.len(), 1, "a refused train wrote into --out: {names:?}");

    assert_success(&train(&spec, &moons, "y", &out, &["--force"]));
    let (tensors, _) = read_model(&out.join("model.safetensors"));
    assert_eq!(tensors["dense_0.kernel"].0, [2, 16]);
    assert!(out.join("history.csv").is_file());
}

#[test]
fn train_rejects_bad_validation_arguments() {
    let tmp = TempDir::new_in("model-cmds", "train-bad-val");
    let moons = moons_csv(&tmp);
    let spec = tmp.write("spec.toml", SPEC);
    let other = tmp.write("other.csv", "x0,x2,y\n1,2,1\n3,4,0\n");
    assert_train_rejected(
        &tmp,
        &spec,
        &moons,
        "y",
        &["--val", other.to_str().unwrap()],
        &["other.csv", "`x1`", "x0, x1"],
    );
    let no_target = tmp.write("no_target.csv", "x0,x1\n1,2\n3,4\n");
    assert_train_rejected(&tmp, &spec, &moons, "y", &["--val", no_target.to_str().unwrap()], &["no_target.csv", "`y`"]);
    for bad in ["0", "1.5", "1", "nan"] {
        assert_train_rejected(&tmp, &spec, &moons, "y", &["--val-split", bad], &["--val-split"]);
    }
    assert_train_rejected(&tmp, &spec, &moons, "y", &["--val-split", "0.999"], &["--val-split", "at least one row"]);
    // --val and --val-split exclude each other (a usage error, exit 2).
    let out = tmp.join("usage-out");
    let o = train(&spec, &moons, "y", &out, &["--val", moons.to_str().unwrap(), "--val-split", "0.2"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("cannot be used with"), "{}", stderr(&o));
    assert!(!out.exists());
}

#[test]

fn train_rejects_a_bad_val_target_naming_the_file() {
    let tmp = TempDir::new_in("model-cmds", "train-bad-val-target");
    let moons = moons_csv(&tmp);
    let spec = tmp.write("spec.toml", SPEC);
    let bad = tmp.write("bad_val.csv", "x0,x1,y\n1,2,1\n3,4,2\n");
    assert_train_rejected(&tmp, &spec, &moons, "y", &["--val", bad.to_str().unwrap()], &["bad_val.csv", "0 or 1"]);
}

#[test]

fn train_rejects_zero_threads_before_writing() {
    let tmp = TempDir::new_in("model-cmds", "train-threads0");
    let moons = moons_csv(&tmp);
    let spec = tmp.write("spec.toml", SPEC);
    assert_train_rejected(&tmp, &spec, &moons, "y", &["--threads", "0"], &["threads"]);
}

// ---------------------------------------------------------------------------------------------
// The model file
// ---------------------------------------------------------------------------------------------

#[test]
fn model_file_is_plain_safetensors_with_shrink_metadata() {
    let tmp = TempDir::new_in("model-cmds", "file-format");
    let (_, model) = trained(&tmp);
    let (tensors, meta) = read_model(&model);
    assert_eq!(tensors["dense_0.kernel"].0, [2, 16]);
    assert_eq!(tensors["dense_0.bias"].0, [16]);
    assert_eq!(tensors["dense_1.kernel"].0, [16, 1]);
    assert_eq!(tensors["dense_1.bias"].0, [1]);
    // Adam's state per parameter, with the parameter's shape.
    for p in PARAMS {
        for slot in ["m", "v"] {
            let name = format!("optimizer.{p}.{slot}");
            assert_eq!(tensors[&name].0, tensors[p].0, "{name}");
        }
    }
    assert_eq!(tensors.len(), 12, "{:?}", tensors.keys().collect::<Vec<_>>());
    assert!(tensors.values().all(|(_, v)| v.iter().all(|x| x.is_finite())));

    assert_eq!(meta["format"], "shrink 2");
    let spec: serde_json::Value = serde_json::from_str(&meta["shrink.spec"]).expect("shrink.spec is JSON");
    assert_eq!(spec["input_shape"], serde_json::json!([2]));
    assert_eq!(spec["loss"], "binary_crossentropy");
    assert_eq!(spec["layers"].as_array().unwrap().len(), 2);
    assert_eq!(spec["layers"][0]["units"], 16);
    let pipeline: serde_json::Value = serde_json::from_str(&meta["shrink.pipeline"]).unwrap();
    let columns: Vec<&str> =
        pipeline["input"]["columns"].as_array().unwrap().iter().map(|c| c["column"].as_str().unwrap()).collect();
    assert_eq!(columns, ["x0", "x1"]);
    assert_eq!(pipeline["target"]["name"], "y");
    assert!(!meta.contains_key("shrink.scaler") && !meta.contains_key("shrink.features"), "one pipeline key");
    for key in ["shrink.pipeline", "shrink.penalties", "shrink.optimizer"] {
        serde_json::from_str::<serde_json::Value>(&meta[key]).unwrap_or_else(|e| panic!("{key}: {e}"));
    }
    let optimizer: serde_json::Value = serde_json::from_str(&meta["shrink.optimizer"]).unwrap();
    assert_eq!(optimizer["iterations"], 80, "20 epochs × 4 batches of ≤ 32 rows: {optimizer}");
}

#[test]
fn commands_reject_corrupt_and_foreign_model_files() {
    let tmp = TempDir::new_in("model-cmds", "bad-model");
    let (moons, model) = trained(&tmp);
    let bytes = fs::read(&model).unwrap();
    let truncated = tmp.join("truncated.safetensors");
    fs::write(&truncated, &bytes[..bytes.len() - 10]).unwrap();
    let header_only = tmp.join("header.safetensors");
    fs::write(&header_only, &bytes[..300]).unwrap();
    let garbage = tmp.write("garbage.safetensors", "hello, this is not a model\n");
    let empty = tmp.write("empty.safetensors", "");
    let foreign = tmp.join("foreign.safetensors");
    write_safetensors(&foreign, &[("w".into(), Dtype::F32, vec![2], f32_bytes(&[1.0, 2.0]))], None);
    let nan = tmp.join("nan.safetensors");
    rewrite_model(&model, &nan, |t| t.get_mut("dense_1.kernel").unwrap().1[3] = f32::NAN, |_| {});
    let shape = tmp.join("shape.safetensors");
    rewrite_model(&model, &shape, |t| t.get_mut("dense_0.bias").unwrap().0 = vec![4, 4], |_| {});
    let missing_tensor = tmp.join("missing_tensor.safetensors");
    rewrite_model(&model, &missing_tensor, |t| drop(t.remove("dense_1.bias")), |_| {});
    let bad_spec = tmp.join("bad_spec.safetensors");
    rewrite_model(&model, &bad_spec, |_| {}, |m| drop(m.insert("shrink.spec".into(), "{not json".into())));
    let bad_features = tmp.join("bad_features.safetensors");
    rewrite_model(
        &model,
        &bad_features,
        |_| {},
        |m| {
            let text = m["shrink.pipeline"].replace(r#",{"encoding":"numeric","column":"x1"}"#, "");
            m.insert("shrink.pipeline".into(), text);
        },
    );
    let absent = tmp.join("absent.safetensors");

    let cases: Vec<(&PathBuf, Vec<&str>)> = vec![
        (&truncated, vec!["truncated.safetensors", "not a readable safetensors file"]),
        (&header_only, vec!["header.safetensors", "not a readable safetensors file"]),
        (&garbage, vec!["garbage.safetensors", "not a readable safetensors file"]),
        (&empty, vec!["empty.safetensors", "not a readable safetensors file"]),
        (&foreign, vec!["foreign.safetensors", "shrink.spec", "not a shrink model"]),
        (&nan, vec!["nan.safetensors", "dense_1.kernel", "non-finite", "index 3"]),
        (&shape, vec!["shape.safetensors", "dense_0.bias", "[4, 4]", "[16]"]),
        (&missing_tensor, vec!["missing_tensor.safetensors", "dense_1.bias", "missing"]),
        (&bad_spec, vec!["bad_spec.safetensors"]),
        (&bad_features, vec!["bad_features.safetensors"]),
        (&absent, vec!["absent.safetensors"]),
    ];
    for (file, needles) in &cases {
        let out = tmp.join("ft-out");
        let runs = [
            args(&[&"inspect", &"--model", file]),
            args(&[&"predict", &"--model", file, &"--data", &moons]),
            args(&[&"evaluate", &"--model", file, &"--data", &moons]),
            args(&[&"fine-tune", &"--model", file, &"--data", &moons, &"--epochs", &"1", &"--out", &out]),
        ];
        for a in runs {
            let o = shrink(&a);
            assert_fails(&o, needles);
            assert!(stdout(&o).is_empty(), "{a:?} printed {}", stdout(&o));
        }
        assert!(!out.exists(), "fine-tune from {} created its --out", file.display());
    }
}

// ---------------------------------------------------------------------------------------------
// predict and evaluate
// ---------------------------------------------------------------------------------------------

#[test]
fn predict_round_trip_out_file_and_column_order() {
    let tmp = TempDir::new_in("model-cmds", "predict");
    let (moons, model) = trained(&tmp);
    let o = shrink(args(&[&"predict", &"--model", &model, &"--data", &moons]));
    assert_success(&o);
    let first = stdout(&o);
    let (header, rows) = parse_numeric_csv(&first);
    assert_eq!(header, ["pred_y", "class_y"]);
    assert_eq!(rows.len(), 100);
    for r in &rows {
        assert!((0.0..=1.0).contains(&r[0]), "a sigmoid output: {r:?}");
        assert_eq!(r[1], f64::from(u8::from(r[0] > 0.5)), "class thresholds at 0.5: {r:?}");
    }
    // Deterministic.
    let again = shrink(args(&[&"predict", &"--model", &model, &"--data", &moons]));
    assert_success(&again);
    assert_eq!(stdout(&again), first);
    // --out writes the same text, nothing on stdout.
    let out = tmp.join("preds.csv");
    let o = shrink(args(&[&"predict", &"--model", &model, &"--data", &moons, &"--out", &out]));
    assert_success(&o);
    assert!(stdout(&o).is_empty());
    assert!(stderr(&o).contains("100 predictions"), "{}", stderr(&o));
    assert_eq!(fs::read_to_string(&out).unwrap(), first);
    // Columns in another order, with an extra numeric column and without the target.
    for (name, order, extra) in
        [("reordered.csv", &["y", "x1", "x0"][..], Some("id")), ("features.csv", &["x1", "x0"][..], None)]
    {
        let path = tmp.write(name, &reorder_csv(&moons, order, extra));
        let o = shrink(args(&[&"predict", &"--model", &model, &"--data", &path]));
        assert_success(&o);
        assert_eq!(stdout(&o), first, "{name}");
    }
    // A missing column.
    let one = tmp.write("one.csv", &reorder_csv(&moons, &["x0", "y"], None));
    let o = shrink(args(&[&"predict", &"--model", &model, &"--data", &one]));
    assert_fails(&o, &["one.csv", "`x1` is missing", "x0, x1"]);
    // An existing --out is refused, then replaced with --force.
    fs::write(&out, "sentinel\n").unwrap();
    let o = shrink(args(&[&"predict", &"--model", &model, &"--data", &moons, &"--out", &out]));
    assert_fails(&o, &["preds.csv", "exists", "--force"]);
    assert_eq!(fs::read_to_string(&out).unwrap(), "sentinel\n");
    let o = shrink(args(&[&"predict", &"--model", &model, &"--data", &moons, &"--out", &out, &"--force"]));
    assert_success(&o);
    assert_eq!(fs::read_to_string(&out).unwrap(), first);
}

#[test]
fn predict_rejects_bad_data() {
    let tmp = TempDir::new_in("model-cmds", "predict-bad");
    let (_, model) = trained(&tmp);
    let cases = [
        ("nan.csv", "x0,x1\n1,NaN\n", vec!["nan.csv", "line 2", "NaN"]),
        ("malformed.csv", "x0,x1\n1,2\n3\n", vec!["malformed.csv", "line 3"]),
        ("header.csv", "x0,x1\n", vec!["header.csv", "no data rows"]),
        ("empty.csv", "", vec!["empty.csv", "empty"]),
        ("dup.csv", "x0,x0,x1\n1,2,3\n", vec!["dup.csv", "duplicate", "x0"]),
        ("other.csv", "a,b\n1,2\n", vec!["other.csv", "`x0` is missing"]),
        // Finite in the file, infinite as f32: the outputs are NaN, an error naming the row.
        ("huge.csv", "x0,x1\n0.1,0.2\n1e39,0.5\n", vec!["huge.csv", "row 2", "not finite"]),
    ];
    for (name, text, needles) in cases {
        let path = tmp.write(name, text);
        let out = tmp.join("p.csv");
        let o = shrink(args(&[&"predict", &"--model", &model, &"--data", &path, &"--out", &out]));
        assert_fails(&o, &needles);
        assert!(!out.exists(), "{name}: a failing predict wrote --out");
    }
    let o = shrink(args(&[&"predict", &"--model", &model, &"--data", &tmp.join("absent.csv")]));
    assert_fails(&o, &["absent.csv"]);
}

#[test]

fn predict_ignores_non_numeric_extra_columns() {
    let tmp = TempDir::new_in("model-cmds", "predict-extra-text");
    let (_, model) = trained(&tmp);
    let plain = tmp.write("plain.csv", "x0,x1\n1.0,0.5\n-0.5,0.25\n");
    let o = shrink(args(&[&"predict", &"--model", &model, &"--data", &plain]));
    assert_success(&o);
    let expected = stdout(&o);
    let with_text = tmp.write("text.csv", "name,x1,x0\nalice,0.5,1.0\nbob,0.25,-0.5\n");
    let o = shrink(args(&[&"predict", &"--model", &model, &"--data", &with_text]));
    assert_success(&o);
    assert_eq!(stdout(&o), expected);
    let empty_target = tmp.write("unlabelled.csv", "x0,x1,y\n1.0,0.5,\n-0.5,0.25,\n");
    let o = shrink(args(&[&"predict", &"--model", &model, &"--data", &empty_target]));
    assert_success(&o);
    assert_eq!(stdout(&o), expected);
}

#[test]
fn evaluate_table_and_json_agree_with_predict_and_the_tensors() {
    let tmp = TempDir::new_in("model-cmds", "evaluate");
    let (moons, model) = trained(&tmp);
    let e = json(&shrink(args(&[&"evaluate", &"--model", &model, &"--data", &moons, &"--json"])));
    let keys: Vec<&String> = e.as_object().unwrap().keys().collect();
    assert_eq!(keys, ["data_loss", "loss", "metrics", "penalty", "rows"]);
    assert_eq!(e["rows"], 100);
    let (loss, data_loss, penalty) =
        (e["loss"].as_f64().unwrap(), e["data_loss"].as_f64().unwrap(), e["penalty"].as_f64().unwrap());
    assert_close(loss, data_loss + penalty, 1e-12, "loss = data_loss + penalty");
    // The penalty is Keras' l2: alpha·Σw² of the penalized kernel, read from the file.
    let (tensors, _) = read_model(&model);
    assert_close(penalty, 1e-3 * l2_norm(&tensors["dense_0.kernel"].1).powi(2), 1e-6, "penalty");
    // Accuracy = share of predict's classes equal to the labels.
    let o = shrink(args(&[&"predict", &"--model", &model, &"--data", &moons]));
    assert_success(&o);
    let (_, preds) = parse_numeric_csv(&stdout(&o));
    let labels = csv_column(&moons, "y");
    let correct = preds.iter().zip(&labels).filter(|(p, y)| p[1] == **y).count();
    let accuracy = e["metrics"]["accuracy"].as_f64().unwrap();
    assert_close(accuracy, correct as f64 / 100.0, 1e-12, "accuracy");
    assert_eq!(e["metrics"].as_object().unwrap().len(), 1);
    // Data loss = mean binary cross-entropy of predict's probabilities.
    let bce = preds
        .iter()
        .zip(&labels)
        .map(|(p, y)| {
            let q = p[0].clamp(1e-7, 1.0 - 1e-7);
            -(y * q.ln() + (1.0 - y) * (1.0 - q).ln())
        })
        .sum::<f64>()
        / 100.0;
    assert_close(data_loss, bce, 1e-4, "binary cross-entropy");

    // The table shows the same numbers.
    let o = shrink(args(&[&"evaluate", &"--model", &model, &"--data", &moons]));
    assert_success(&o);
    let table = stdout(&o);
    for (label, value) in [
        ("rows", "100".to_string()),
        ("data loss", format!("{data_loss:.6}")),
        ("penalty", format!("{penalty:.6}")),
        ("loss (data + penalty)", format!("{loss:.6}")),
        ("accuracy", format!("{accuracy:.6}")),
    ] {
        let line = table.lines().find(|l| l.starts_with(label)).unwrap_or_else(|| panic!("{label} missing:\n{table}"));
        assert!(line.trim_end().ends_with(&value), "{label}: {line:?} should end with {value}");
    }

    // Another target name with --target; the data's columns in any order.
    let renamed = tmp.write("renamed.csv", &reorder_csv(&moons, &["y", "x1", "x0"], None).replacen("y,", "label,", 1));
    let e2 =
        json(&shrink(args(&[&"evaluate", &"--model", &model, &"--data", &renamed, &"--target", &"label", &"--json"])));
    assert_eq!(e, e2);
}

#[test]
fn evaluate_rejects_bad_data() {
    let tmp = TempDir::new_in("model-cmds", "evaluate-bad");
    let (moons, model) = trained(&tmp);
    let renamed = tmp.write("renamed.csv", &fs::read_to_string(&moons).unwrap().replacen(",y", ",label", 1));
    let cases: Vec<(PathBuf, Vec<&str>, Vec<&str>)> = vec![
        (renamed.clone(), vec![], vec!["renamed.csv", "`y` not found", "label"]),
        (renamed, vec!["--target", "nope"], vec!["renamed.csv", "`nope` not found"]),
        (tmp.write("nonbinary.csv", "x0,x1,y\n1,2,1\n3,4,3\n"), vec![], vec!["nonbinary.csv", "0 or 1"]),
        (tmp.write("missing_col.csv", "x0,y\n1,1\n3,0\n"), vec![], vec!["missing_col.csv", "`x1` is missing"]),
        (tmp.write("nan.csv", "x0,x1,y\n1,inf,1\n"), vec![], vec!["nan.csv", "inf"]),
        (tmp.join("absent.csv"), vec![], vec!["absent.csv"]),
    ];
    for (path, extra, needles) in cases {
        let mut a = args(&[&"evaluate", &"--model", &model, &"--data", &path, &"--json"]);
        a.extend(extra.iter().map(std::ffi::OsString::from));
        let o = shrink(a);
        assert_fails(&o, &needles);
        assert!(stdout(&o).is_empty());
    }
}

// ---------------------------------------------------------------------------------------------
// inspect
// ---------------------------------------------------------------------------------------------

#[test]
fn inspect_table_json_and_plots_match_the_tensors() {
    let tmp = TempDir::new_in("model-cmds", "inspect");
    let (_, model) = trained(&tmp);
    let (tensors, _) = read_model(&model);

    let o = shrink(args(&[&"inspect", &"--model", &model]));
    assert_success(&o);
    let table = stdout(&o);
    assert!(table.contains("65 parameters in 2 layers"), "{table}");
    assert!(table.contains("inputs [x0, x1] (standard scaling), target `y`"), "{table}");
    assert!(table.contains("optimizer adam (80 steps)"), "{table}");
    for p in PARAMS {
        let line = table.lines().find(|l| l.starts_with(p)).unwrap_or_else(|| panic!("{p} missing:\n{table}"));
        let l2 = format!("{:.4}", l2_norm(&tensors[p].1));
        assert!(line.contains(&l2), "{p}: {line:?} should show L2 {l2}");
    }
    assert!(table.lines().any(|l| l.starts_with("dense_0.kernel") && l.contains("[2, 16]") && l.contains("l2:0.001")));
    assert!(table.lines().any(|l| l.starts_with("dense_0.bias") && l.contains("none")));
    // The inputs still used are named from the model file's features (an L2 fit keeps both).
    assert!(table.contains("inputs used by dense_0.kernel (2 of 2): x0, x1"), "{table}");

    let v = json(&shrink(args(&[&"inspect", &"--model", &model, &"--json"])));
    assert_eq!(v["features"], serde_json::json!(["x0", "x1"]));
    assert_eq!(v["target"], "y");
    assert_eq!(v["scaling"], "standard");
    assert_eq!(v["optimizer_steps"], 80);
    assert_eq!(v["inputs_used"], serde_json::json!({"param": "dense_0.kernel", "names": ["x0", "x1"]}));
    assert_eq!(v["spec"]["input_shape"], serde_json::json!([2]));
    let params = v["parameters"].as_array().unwrap();
    assert_eq!(params.iter().map(|p| p["name"].as_str().unwrap()).collect::<Vec<_>>(), PARAMS);
    for p in params {
        let name = p["name"].as_str().unwrap();
        let (shape, values) = &tensors[name];
        let shape_json: Vec<usize> = serde_json::from_value(p["shape"].clone()).unwrap();
        assert_eq!(&shape_json, shape, "{name}");
        assert_eq!(p["count"], values.len());
        let l1: f64 = values.iter().map(|&x| (x as f64).abs()).sum();
        let max_abs = values.iter().map(|&x| (x as f64).abs()).fold(0.0, f64::max);
        assert_close(p["l1"].as_f64().unwrap(), l1, 1e-9, name);
        assert_close(p["l2"].as_f64().unwrap(), l2_norm(values), 1e-9, name);
        assert_close(p["max_abs"].as_f64().unwrap(), max_abs, 1e-12, name);
        assert_eq!(p["zeros"], values.iter().filter(|&&x| x == 0.0).count());
        assert!(p.get("penalty").is_some(), "{name}: penalty key");
    }
    assert_eq!(params[0]["penalty"], serde_json::json!({"l1": 0.0, "l2": 0.001}));
    assert!(params[1..].iter().all(|p| p["penalty"].is_null()));

    // --plot writes the histograms (and still prints the table).
    let plots = tmp.join("plots/nested");
    let o = shrink(args(&[&"inspect", &"--model", &model, &"--plot", &plots]));
    assert_success(&o);
    assert!(stdout(&o).contains("dense_0.kernel"));
    assert!(is_png(&plots.join("weights_histogram.png")), "weights_histogram.png");
    assert!(is_svg(&plots.join("weights_histogram.svg")), "weights_histogram.svg");
    let manifest = read_manifest(&plots);
    assert_eq!(manifest_inputs(&manifest), std::slice::from_ref(&model));
    assert_eq!(manifest_files(&manifest), ["weights_histogram.png", "weights_histogram.svg"]);
    // Existing histograms are kept without --force.
    let before = std::fs::read(plots.join("weights_histogram.svg")).unwrap();
    let o = shrink(args(&[&"inspect", &"--model", &model, &"--plot", &plots, &"--param", &"dense_1"]));
    assert_fails(&o, &["weights_histogram.png", "--force"]);
    assert_eq!(std::fs::read(plots.join("weights_histogram.svg")).unwrap(), before);
    let o = shrink(args(&[&"inspect", &"--model", &model, &"--plot", &plots, &"--param", &"dense_1", &"--force"]));
    assert_success(&o);
    assert_ne!(std::fs::read(plots.join("weights_histogram.svg")).unwrap(), before);
    // --param takes a selector: only those rows, and a typo lists what exists.
    let o = shrink(args(&[&"inspect", &"--model", &model, &"--param", &"*.kernel"]));
    let table = stdout(&o);
    assert!(table.lines().any(|l| l.starts_with("dense_1.kernel")), "{table}");
    assert!(!table.lines().any(|l| l.starts_with("dense_0.bias")), "{table}");
    let v = json(&shrink(args(&[&"inspect", &"--model", &model, &"--json", &"--param", &"dense_0.kernel"])));
    assert_eq!(v["parameters"].as_array().unwrap().len(), 1);
    assert_fails(
        &shrink(args(&[&"inspect", &"--model", &model, &"--param", &"conv2d_*.kernel"])),
        &["conv2d_*.kernel", "dense_0.bias"],
    );
    // A --plot folder that cannot be created.
    let file = tmp.write("a_file", "x");
    let o = shrink(args(&[&"inspect", &"--model", &model, &"--plot", &file.join("sub")]));
    assert_fails(&o, &["a_file"]);
}

// ---------------------------------------------------------------------------------------------
// fine-tune
// ---------------------------------------------------------------------------------------------

fn weights_only(t: &Tensors) -> Tensors {
    t.iter().filter(|(n, _)| !n.starts_with("optimizer.")).map(|(n, v)| (n.clone(), v.clone())).collect()
}

#[test]
fn fine_tune_zero_epochs_keeps_the_weights() {
    let tmp = TempDir::new_in("model-cmds", "ft-zero");
    let (moons, model) = trained(&tmp);
    let out = tmp.join("ft");
    let o = fine_tune(&model, &moons, &out, &["--penalty", "dense_0.kernel=l2:0", "--epochs", "0"]);
    assert_success(&o);
    let (before, _) = read_model(&model);
    let (after, meta) = read_model(&out.join("model.safetensors"));
    assert_eq!(before, after, "no epoch: weights and optimizer state unchanged");
    // l2:0 leaves no penalty in force (stored as absent or as all-zero strengths).
    let penalties: serde_json::Value = serde_json::from_str(&meta["shrink.penalties"]).unwrap();
    let kernel = &penalties["dense_0.kernel"];
    assert!(kernel.is_null() || *kernel == serde_json::json!({"l1": 0.0, "l2": 0.0}), "{penalties}");
    assert_eq!(penalties.as_object().unwrap().len(), usize::from(!kernel.is_null()), "{penalties}");
    let o = shrink(args(&[&"inspect", &"--model", &out.join("model.safetensors")]));
    assert_success(&o);
    assert!(stdout(&o).lines().any(|l| l.starts_with("dense_0.kernel") && l.contains("none")), "{}", stdout(&o));
    let history = fs::read_to_string(out.join("history.csv")).unwrap();
    assert_eq!(history.trim_end(), TRAIN_HEADER);
}

#[test]
fn fine_tune_growing_schedule_shrinks_the_kernel_stage_by_stage() {
    let tmp = TempDir::new_in("model-cmds", "ft-schedule");
    let (moons, model) = trained(&tmp);
    let out = tmp.join("ft");
    let o = fine_tune(
        &model,
        &moons,
        &out,
        &["--penalty", "dense_0.kernel=l2", "--schedule", "0:0,20:1e-2,40:1e-1", "--epochs", "60"],
    );
    assert_success(&o);
    let (header, rows) = read_numeric_csv(&out.join("history.csv"));
    assert_eq!(header.join(","), format!("{TRAIN_HEADER},alpha,dense_0.kernel_l2"));
    assert_eq!(rows.len(), 60);
    let (alpha, norm) = (col(&header, "alpha"), col(&header, "dense_0.kernel_l2"));
    for (i, r) in rows.iter().enumerate() {
        let expected = match i {
            0..20 => 0.0,
            20..40 => 1e-2,
            _ => 1e-1,
        };
        assert_eq!(r[alpha], expected, "alpha at epoch {}", i + 1);
        assert_close(r[1], r[2] + r[3], 1e-9, "loss = data + penalty");
        if expected == 0.0 {
            assert_eq!(r[3], 0.0, "no penalty before the first step-up");
        } else {
            assert!(r[3] > 0.0, "penalty after the step-up, epoch {}", i + 1);
        }
    }
    // The norm at the end of each stage is lower than just before its step-up.
    let at = |epoch: usize| rows[epoch - 1][norm];
    assert!(at(40) < at(20), "stage 1e-2: {} → {}", at(20), at(40));
    assert!(at(60) < at(40), "stage 1e-1: {} → {}", at(40), at(60));
    // The last norm is the kernel in the written model, which carries the final penalty.
    let (tensors, meta) = read_model(&out.join("model.safetensors"));
    assert_close(at(60), l2_norm(&tensors["dense_0.kernel"].1), 1e-9, "final norm");
    let penalties: serde_json::Value = serde_json::from_str(&meta["shrink.penalties"]).unwrap();
    assert_eq!(penalties, serde_json::json!({"dense_0.kernel": {"l1": 0.0, "l2": 0.1}}));
}

#[test]
fn fine_tune_ramp_and_wildcard_selector() {
    let tmp = TempDir::new_in("model-cmds", "ft-ramp");
    let (moons, model) = trained(&tmp);
    let out = tmp.join("ramp");
    let o = fine_tune(
        &model,
        &moons,
        &out,
        &["--penalty", "dense_0.kernel=l2", "--schedule", "ramp:0..1e-1@0..10", "--epochs", "12"],
    );
    assert_success(&o);
    let (header, rows) = read_numeric_csv(&out.join("history.csv"));
    let alpha = col(&header, "alpha");
    for (i, r) in rows.iter().enumerate() {
        assert_close(r[alpha], 0.1 * (i.min(10) as f64) / 10.0, 1e-12, "ramp alpha");
    }
    assert_eq!(rows.len(), 12);

    // `*.kernel` schedules both kernels; the history has one norm column each.
    let out = tmp.join("wild");
    let o = fine_tune(&model, &moons, &out, &["--penalty", "*.kernel=l1", "--schedule", "0:0,2:1e-3", "--epochs", "4"]);
    assert_success(&o);
    let (header, rows) = read_numeric_csv(&out.join("history.csv"));
    assert_eq!(header.join(","), format!("{TRAIN_HEADER},alpha,dense_0.kernel_l2,dense_1.kernel_l2"));
    assert_eq!(rows.iter().map(|r| r[col(&header, "alpha")]).collect::<Vec<_>>(), [0.0, 0.0, 1e-3, 1e-3]);
    let (tensors, meta) = read_model(&out.join("model.safetensors"));
    let last = rows.last().unwrap();
    assert_close(last[col(&header, "dense_1.kernel_l2")], l2_norm(&tensors["dense_1.kernel"].1), 1e-9, "norm");
    let penalties: serde_json::Value = serde_json::from_str(&meta["shrink.penalties"]).unwrap();
    assert_eq!(
        penalties,
        serde_json::json!({"dense_0.kernel": {"l1": 0.001, "l2": 0.0}, "dense_1.kernel": {"l1": 0.001, "l2": 0.0}})
    );
}

#[test]
fn fine_tune_sets_and_removes_penalties_and_continues_the_optimizer() {
    let tmp = TempDir::new_in("model-cmds", "ft-penalties");
    let (moons, model) = trained(&tmp);
    // `=none` removes the spec's penalty.
    let none = tmp.join("none");
    assert_success(&fine_tune(&model, &moons, &none, &["--penalty", "dense_0.kernel=none", "--epochs", "3"]));
    let (header, rows) = read_numeric_csv(&none.join("history.csv"));
    assert_eq!(header.join(","), TRAIN_HEADER);
    assert_eq!(rows.len(), 3);
    assert!(rows.iter().all(|r| r[3] == 0.0 && r[1] == r[2]), "no penalty left");
    let v = json(&shrink(args(&[&"inspect", &"--model", &none.join("model.safetensors"), &"--json"])));
    assert!(v["parameters"].as_array().unwrap().iter().all(|p| p["penalty"].is_null()), "{v}");
    assert_eq!(v["optimizer_steps"], 80 + 3 * 4, "the saved Adam state continues");
    // A fixed penalty on another parameter, the spec's one kept.
    let fixed = tmp.join("fixed");
    assert_success(&fine_tune(&model, &moons, &fixed, &["--penalty", "dense_1.bias=l1l2:1e-2,1e-3", "--epochs", "2"]));
    let (_, meta) = read_model(&fixed.join("model.safetensors"));
    let penalties: serde_json::Value = serde_json::from_str(&meta["shrink.penalties"]).unwrap();
    assert_eq!(
        penalties,
        serde_json::json!({"dense_0.kernel": {"l1": 0.0, "l2": 0.001}, "dense_1.bias": {"l1": 0.01, "l2": 0.001}})
    );
    // Without --penalty, training simply continues; the same data in another column order gives
    // the same weights, and --val-split adds validation columns.
    let plain = tmp.join("plain");
    assert_success(&fine_tune(&model, &moons, &plain, &["--epochs", "2"]));
    let reordered = tmp.write("reordered.csv", &reorder_csv(&moons, &["y", "x1", "x0"], Some("id")));
    let other = tmp.join("other");
    assert_success(&fine_tune(&model, &reordered, &other, &["--epochs", "2"]));
    assert_eq!(read_model(&plain.join("model.safetensors")).0, read_model(&other.join("model.safetensors")).0);
    let val = tmp.join("val");
    assert_success(&fine_tune(&model, &moons, &val, &["--epochs", "2", "--val-split", "0.3"]));
    let (header, _) = read_numeric_csv(&val.join("history.csv"));
    assert_eq!(header.join(","), TRAIN_VAL_HEADER);
    // Fine-tuning in place needs --force.
    let run = model.parent().unwrap();
    let o = fine_tune(&model, &moons, run, &["--epochs", "1"]);
    assert_fails(&o, &["model.safetensors", "exists", "--force"]);
    let before = fs::read(&model).unwrap();
    assert_success(&fine_tune(&model, &moons, run, &["--epochs", "1", "--force"]));
    assert_ne!(fs::read(&model).unwrap(), before, "fine-tune --force replaced the model");
}

#[test]
fn fine_tune_rejects_bad_penalties_and_schedules() {
    let tmp = TempDir::new_in("model-cmds", "ft-bad");
    let (moons, model) = trained(&tmp);
    let out = tmp.join("ft-out");
    let available = "dense_0.kernel, dense_0.bias, dense_1.kernel, dense_1.bias";
    let cases: Vec<(Vec<&str>, Vec<&str>)> = vec![
        (vec!["--penalty", "dense_0.kernel"], vec!["--penalty dense_0.kernel", "PARAM=PENALTY"]),
        (vec!["--penalty", "dense_0.kernel=l2"], vec!["penalty `l2`", "l1:A"]),
        (vec!["--penalty", "dense_0.kernel="], vec!["l1:A"]),
        (vec!["--penalty", "dense_0.kernel=l2:abc"], vec!["`abc`", "a number"]),
        (vec!["--penalty", "dense_0.kernel=l3:1e-3"], vec!["`l3:1e-3`", "group-rows:G"]),
        (vec!["--penalty", "dense_0.kernel=NONE"], vec!["dense_0.kernel=NONE"]),
        (vec!["--penalty", "dense_0.kernel=l2:-1"], vec!["dense_0.kernel=l2:-1", "≥ 0"]),
        (vec!["--penalty", "dense_0.kernel=l2:nan"], vec!["finite"]),
        (vec!["--penalty", "dense_0.kernel=l1:inf"], vec!["finite"]),
        (vec!["--penalty", "dense_0.kernel=l1l2:1e-3"], vec!["l1l2:L1,L2"]),
        (vec!["--penalty", "dense_0.kernel=l1l2:1e-3,-1"], vec!["≥ 0"]),
        (vec!["--penalty", "dense_9.kernel=l2:1e-3"], vec!["dense_9.kernel", available]),
        (vec!["--penalty", "dense_0.weight=l2:1e-3"], vec!["dense_0.weight", available]),
        (
            vec!["--penalty", "dense_0.kernel=l2", "--penalty", "dense_1.kernel=l2", "--schedule", "0:0"],
            vec!["--schedule needs exactly one --penalty"],
        ),
        (
            vec!["--penalty", "dense_0.kernel=l1l2:0,0", "--schedule", "0:0"],
            vec!["--penalty", "family without a strength"],
        ),
        (vec!["--penalty", "dense_0.kernel=none", "--schedule", "0:0"], vec!["--penalty", "a family l1, l2"]),
        (vec!["--schedule", "0:0"], vec!["--schedule needs exactly one --penalty"]),
    ];
    let mut cases = cases;
    for (bad, needle) in [
        ("", "EPOCH:ALPHA"),
        ("5", "EPOCH:ALPHA"),
        ("a:1", "integer"),
        ("0:-1", "≥ 0"),
        ("0:x", "number"),
        ("10:1,5:2", "increasing"),
        ("0:0,0:1", "increasing"),
        ("ramp:1..2", "ramp:A..B@E1..E2"),
        ("ramp:0..1@5..5", "end epoch after its start"),
        ("ramp:x..1@0..3", "number"),
        ("0:0;10:1", "number"),
    ] {
        cases.push((vec!["--penalty", "dense_0.kernel=l2", "--schedule", bad], vec!["--schedule", needle]));
    }
    for (extra, needles) in &cases {
        let mut a = extra.clone();
        a.extend(["--epochs", "1"]);
        let o = fine_tune(&model, &moons, &out, &a);
        assert_fails(&o, needles);
        assert!(!out.exists(), "{extra:?} created --out");
    }
    // Bad data and validation arguments.
    let nonbinary = tmp.write("nonbinary.csv", "x0,x1,y\n1,2,1\n3,4,2\n");
    assert_fails(&fine_tune(&model, &nonbinary, &out, &["--epochs", "1"]), &["nonbinary.csv", "0 or 1"]);
    let missing = tmp.write("missing.csv", "x0,y\n1,1\n");
    assert_fails(&fine_tune(&model, &missing, &out, &["--epochs", "1"]), &["missing.csv", "`x1` is missing"]);
    assert_fails(&fine_tune(&model, &moons, &out, &["--epochs", "1", "--target", "nope"]), &["`nope` not found"]);
    assert_fails(&fine_tune(&model, &moons, &out, &["--epochs", "1", "--val-split", "1.5"]), &["--val-split"]);
    assert!(!out.exists());
    // An existing model in --out is kept.
    fs::create_dir_all(&out).unwrap();
    fs::write(out.join("model.safetensors"), "sentinel").unwrap();
    assert_fails(&fine_tune(&model, &moons, &out, &["--epochs", "1"]), &["exists", "--force"]);
    assert_eq!(fs::read_to_string(out.join("model.safetensors")).unwrap(), "sentinel");
    assert_eq!(fs::read_dir(&out).unwrap().count(), 1);
    // --epochs is required.
    let o = shrink(args(&[&"fine-tune", &"--model", &model, &"--data", &moons, &"--out", &tmp.join("x")]));
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
}

#[test]

fn fine_tune_schedule_error_names_the_right_kind() {
    let tmp = TempDir::new_in("model-cmds", "ft-schedule-kind");
    let (moons, model) = trained(&tmp);
    let o = fine_tune(
        &model,
        &moons,
        &tmp.join("ft"),
        &["--penalty", "dense_0.kernel=l2", "--schedule", "0:0,5:-1", "--epochs", "1"],
    );
    let err = assert_fails(&o, &["--schedule", "-1"]);
    assert!(!err.contains("`l1`"), "the penalty is l2:\n{err}");
}

// ---------------------------------------------------------------------------------------------
// import --from-torch
// ---------------------------------------------------------------------------------------------

/// PyTorch `nn.Sequential(Linear, ReLU, Linear)` state dict of a trained shrink model:
/// `<prefix>.weight` [out, in] (the transposed kernel) and `<prefix>.bias`.
fn torch_tensors(tensors: &Tensors, prefixes: [&str; 2], dtype: Dtype) -> Vec<RawTensor> {
    let encode = |v: &[f32]| -> Vec<u8> {
        match dtype {
            Dtype::F64 => v.iter().flat_map(|&x| (x as f64).to_le_bytes()).collect(),
            _ => f32_bytes(v),
        }
    };
    let mut out = Vec::new();
    for (layer, prefix) in prefixes.iter().enumerate() {
        let (shape, k) = &tensors[&format!("dense_{layer}.kernel")];
        let (inputs, units) = (shape[0], shape[1]);
        let mut w = vec![0.0f32; k.len()];
        for i in 0..inputs {
            for o in 0..units {
                w[o * inputs + i] = k[i * units + o];
            }
        }
        out.push((format!("{prefix}.weight"), dtype, vec![units, inputs], encode(&w)));
        let b = &tensors[&format!("dense_{layer}.bias")].1;
        out.push((format!("{prefix}.bias"), dtype, vec![units], encode(b)));
    }
    out
}

fn import(torch: &Path, spec: &Path, out: &Path, extra: &[&str]) -> Output {
    let mut a = args(&[&"import", &"--from-torch", &torch, &"--spec", &spec, &"--out", &out]);
    a.extend(extra.iter().map(std::ffi::OsString::from));
    shrink(a)
}

#[test]
fn import_from_torch_round_trips_a_trained_model() {
    let tmp = TempDir::new_in("model-cmds", "import");
    let unscaled = SPEC.replace("\"standard\"", "\"none\"");
    let (moons, model) = trained_with(&tmp, &unscaled, "run");
    let spec = tmp.join("run.toml");
    let (original, _) = read_model(&model);
    let torch = tmp.join("torch.safetensors");
    write_safetensors(&torch, &torch_tensors(&original, ["0", "2"], Dtype::F32), None);

    let out = tmp.join("imported.safetensors");
    let o = import(&torch, &spec, &out, &[]);
    assert_success(&o);
    assert!(stdout(&o).contains("imported 2 Linear layers"), "{}", stdout(&o));
    let (imported, meta) = read_model(&out);
    assert_eq!(imported, weights_only(&original), "the imported tensors equal the original ones");
    let pipeline: serde_json::Value = serde_json::from_str(&meta["shrink.pipeline"]).unwrap();
    assert_eq!(pipeline["input"]["columns"][1]["column"], "x1");
    assert_eq!(pipeline["target"]["name"], "y");
    assert!(!meta.contains_key("shrink.optimizer"));
    // Same weights, same (absent) scaling: the same predictions and evaluation.
    let predict = |m: &Path| {
        let o = shrink(args(&[&"predict", &"--model", &m, &"--data", &moons]));
        assert_success(&o);
        stdout(&o)
    };
    assert_eq!(predict(&out), predict(&model));
    let eval = |m: &Path| json(&shrink(args(&[&"evaluate", &"--model", &m, &"--data", &moons, &"--json"])));
    assert_eq!(eval(&out), eval(&model));
    let v = json(&shrink(args(&[&"inspect", &"--model", &out, &"--json"])));
    assert!(v["optimizer_steps"].is_null());
    // The imported model fine-tunes (fresh optimizer).
    assert_success(&fine_tune(&out, &moons, &tmp.join("ft"), &["--epochs", "1"]));

    // F64 tensors, non-numeric prefixes sorted numerically (`net.2` before `net.10`), and
    // --features / --target recorded.
    let torch64 = tmp.join("torch64.safetensors");
    write_safetensors(&torch64, &torch_tensors(&original, ["net.2", "net.10"], Dtype::F64), None);
    let out64 = tmp.join("imported64.safetensors");
    assert_success(&import(&torch64, &spec, &out64, &["--features", "a,b", "--target", "label"]));
    let (imported64, meta) = read_model(&out64);
    assert_eq!(imported64, weights_only(&original));
    let pipeline: serde_json::Value = serde_json::from_str(&meta["shrink.pipeline"]).unwrap();
    assert_eq!(pipeline["input"]["columns"][0]["column"], "a");
    assert_eq!(pipeline["input"]["columns"][1]["column"], "b");
    assert_eq!(pipeline["target"]["name"], "label");

    // An existing --out is refused, then replaced with --force.
    let sentinel = tmp.write("sentinel.safetensors", "sentinel");
    assert_fails(&import(&torch, &spec, &sentinel, &[]), &["sentinel.safetensors", "exists", "--force"]);
    assert_eq!(fs::read_to_string(&sentinel).unwrap(), "sentinel");
    assert_success(&import(&torch, &spec, &sentinel, &["--force"]));
    assert_eq!(read_model(&sentinel).0, weights_only(&original));
}

#[test]
fn import_rejects_mismatched_and_unreadable_files() {
    let tmp = TempDir::new_in("model-cmds", "import-bad");
    let (_, model) = trained(&tmp);
    let spec = tmp.join("run.toml");
    let (original, _) = read_model(&model);
    let good = torch_tensors(&original, ["0", "2"], Dtype::F32);
    let write = |name: &str, edit: &dyn Fn(&mut Vec<RawTensor>)| {
        let mut t = good.clone();
        edit(&mut t);
        let path = tmp.join(name);
        write_safetensors(&path, &t, None);
        path
    };
    // [in, out] instead of PyTorch's [out, in].
    let transposed = write("transposed.safetensors", &|t| t[0].2 = vec![2, 16]);
    let bias = write("bias.safetensors", &|t| {
        t[1].2 = vec![15];
        t[1].3.truncate(60);
    });
    let no_bias = write("no_bias.safetensors", &|t| drop(t.remove(1)));
    let one = write("one.safetensors", &|t| t.truncate(2));
    let three = write("three.safetensors", &|t| {
        t.push(("4.weight".into(), Dtype::F32, vec![1, 1], f32_bytes(&[1.0])));
        t.push(("4.bias".into(), Dtype::F32, vec![1], f32_bytes(&[1.0])));
    });
    let ints = write("ints.safetensors", &|t| {
        t[3] = ("2.bias".into(), Dtype::I64, vec![1], 1i64.to_le_bytes().to_vec());
    });
    let garbage = tmp.write("garbage.safetensors", "not a safetensors file at all");
    let absent = tmp.join("absent.safetensors");

    let cases: Vec<(&PathBuf, Vec<&str>)> = vec![
        (&transposed, vec!["transposed.safetensors", "`0.weight`", "[2, 16]", "[16, 2]"]),
        (&bias, vec!["bias.safetensors", "`0.bias`", "[15]", "[16]"]),
        (&no_bias, vec!["no_bias.safetensors", "`0.bias` is missing"]),
        (&one, vec!["one.safetensors", "1 Linear weights", "2 Dense layers"]),
        (&three, vec!["three.safetensors", "3 Linear weights", "2 Dense layers"]),
        (&ints, vec!["ints.safetensors", "`2.bias`", "I64"]),
        (&garbage, vec!["garbage.safetensors", "not a readable safetensors file"]),
        (&model, vec!["model.safetensors", "0 Linear weights", "2 Dense layers"]),
        (&absent, vec!["absent.safetensors"]),
    ];
    let out = tmp.join("imported.safetensors");
    for (file, needles) in &cases {
        assert_fails(&import(file, &spec, &out, &[]), needles);
        assert!(!out.exists(), "importing {} wrote --out", file.display());
    }
    let torch = tmp.join("torch.safetensors");
    write_safetensors(&torch, &good, None);
    assert_fails(&import(&torch, &spec, &out, &["--features", "a,b,c"]), &["--features", "3", "2 inputs"]);
    assert_fails(&import(&torch, &tmp.join("absent.toml"), &out, &[]), &["cannot read spec", "absent.toml"]);
    let bad_spec = tmp.write("bad.toml", &SPEC.replace("units = 16\n", "units = 16\nunits2 = 1\n"));
    assert_fails(&import(&torch, &bad_spec, &out, &[]), &["bad.toml", "units2", "line 13"]);
    assert!(!out.exists());
}

#[test]

fn import_rejects_non_finite_weights() {
    let tmp = TempDir::new_in("model-cmds", "import-nan");
    let (_, model) = trained(&tmp);
    let (original, _) = read_model(&model);
    let mut tensors = torch_tensors(&original, ["0", "2"], Dtype::F32);
    tensors[0].3[..4].copy_from_slice(&f32::NAN.to_le_bytes());
    let torch = tmp.join("nan.safetensors");
    write_safetensors(&torch, &tensors, None);
    let out = tmp.join("imported.safetensors");
    let o = import(&torch, &tmp.join("run.toml"), &out, &[]);
    if o.status.success() {
        // Whatever import accepts must load.
        assert_success(&shrink(args(&[&"inspect", &"--model", &out])));
    } else {
        assert_fails(&o, &["nan.safetensors", "0.weight"]);
        assert!(!out.exists());
    }
}

#[test]

fn inspect_without_optimizer_state_reads_well() {
    let tmp = TempDir::new_in("model-cmds", "inspect-no-optimizer");
    let (_, model) = trained(&tmp);
    let (original, _) = read_model(&model);
    let torch = tmp.join("torch.safetensors");
    write_safetensors(&torch, &torch_tensors(&original, ["0", "2"], Dtype::F32), None);
    let out = tmp.join("imported.safetensors");
    assert_success(&import(&torch, &tmp.join("run.toml"), &out, &[]));
    let o = shrink(args(&[&"inspect", &"--model", &out]));
    assert_success(&o);
    assert!(!stdout(&o).contains("no saved state steps"), "{}", stdout(&o));
}
