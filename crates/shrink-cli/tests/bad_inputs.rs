//! The permanent bad-input suite (issue 10, item 12): every file under `tests/corpus/` is fed
//! to the library entry point for its kind, which must return an error (a panic fails the test
//! and names the file), on one line, saying where: the file and line for CSVs, the key or line
//! for specs, the file for model files, the text or item for penalty, family and selector
//! texts. `tests/corpus/<kind>/expect.txt` lists each file with a fragment its error must
//! contain, so a new file needs an expectation. Inputs too big to commit (a 2 MB cell, a
//! header of millions of characters) and hostile model files built with the `safetensors`
//! crate are generated into a temp folder and replayed the same way.

mod common;

use std::collections::{BTreeMap, HashMap};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};

use common::TempDir;
use shrink::model_file::SavedModel;
use shrink::nn::selector::Selector;
use shrink::penalty::Family;
use shrink::spec::ModelSpec;
use shrink::Penalty;

fn corpus(kind: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus").join(kind)
}

/// `expect.txt` of a corpus folder: file name → fragment of its error.
fn expectations(dir: &Path) -> BTreeMap<String, String> {
    let text = std::fs::read_to_string(dir.join("expect.txt")).unwrap();
    text.lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .map(|l| {
            let (name, want) = l.split_once(' ').unwrap_or((l, ""));
            (name.to_string(), want.trim().to_string())
        })
        .collect()
}

/// The expectation prefix of an input that still crashes (an open bug, reported): skipped by
/// the corpus tests and replayed by the ignored test `known_bugs`, so fixing the bug means
/// deleting the prefix.
const KNOWN_BUG: &str = "KNOWN-BUG:";

/// Every file of `dir` but `expect.txt` and the known bugs, each listed there.
fn files(dir: &Path) -> Vec<(PathBuf, String)> {
    all_files(dir).into_iter().filter(|(_, w)| !w.starts_with(KNOWN_BUG)).collect()
}

/// Every file of `dir` but `expect.txt`, each listed there.
fn all_files(dir: &Path) -> Vec<(PathBuf, String)> {
    let want = expectations(dir);
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n != "expect.txt")
        .collect();
    names.sort();
    for n in want.keys() {
        assert!(names.contains(n), "{}: expect.txt lists `{n}`, which is not there", dir.display());
    }
    names
        .into_iter()
        .map(|n| {
            let w = want.get(&n).unwrap_or_else(|| panic!("{}: `{n}` has no line in expect.txt", dir.display()));
            (dir.join(&n), w.clone())
        })
        .collect()
}

/// Runs `f` on one input: it must return an error (not panic, not succeed), on one line,
/// containing `want` (and everything in `also`).
#[track_caller]
fn check<T>(label: &str, want: &str, also: &[&str], f: impl FnOnce() -> Result<T, String>) -> String {
    let outcome = catch_unwind(AssertUnwindSafe(f));
    let msg = match outcome {
        Err(panic) => {
            let what = panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default();
            panic!("{label}: the entry point panicked: {what}");
        }
        Ok(Ok(_)) => panic!("{label}: accepted, but it is a bad input"),
        Ok(Err(msg)) => msg,
    };
    eprintln!("{label} => {msg}");
    assert!(!msg.contains('\n') && !msg.contains('\r'), "{label}: error is not one line: {msg}");
    assert!(msg.chars().count() < 600, "{label}: error of {} characters: {msg}", msg.chars().count());
    for w in std::iter::once(want).chain(also.iter().copied()) {
        assert!(msg.contains(w), "{label}: error lacks `{w}`: {msg}");
    }
    msg
}

fn csv_case(path: &Path, want: &str) {
    let p = path.display().to_string();
    check(&p, want, &[&p], || shrink_data::read_csv(path, "y").map_err(|e| e.to_string()));
}

fn spec_case(path: &Path, want: &str) {
    let text = String::from_utf8_lossy(&std::fs::read(path).unwrap()).into_owned();
    let json = path.extension().is_some_and(|e| e == "json");
    check(&path.display().to_string(), want, &[], || {
        let spec = if json { ModelSpec::from_json(&text) } else { ModelSpec::from_toml(&text) };
        spec.map_err(|e| e.to_string())
    });
}

/// A series CSV read by the stage of a `[series]` table over column `y`, window 3, log then
/// difference, and turned into training windows.
fn series_case(path: &Path, want: &str) {
    let p = path.display().to_string();
    let spec: shrink_data::series::SeriesSpec =
        serde_json::from_str(r#"{"column": "y", "window": 3, "transform": ["log", "difference"]}"#).unwrap();
    check(&p, want, &[&p], || {
        let table = spec.read_csv(path).map_err(|e| e.to_string())?;
        spec.windows(&table, true).map_err(|e| e.to_string())
    });
}

/// A spec with column keys, read against the committed penguin table (target `species`): the
/// error must name the key and, for what only the file can tell, the file.
fn table_case(path: &Path, want: &str) {
    let text = text(path);
    let table = common::data("penguins_small.csv");
    check(&path.display().to_string(), want, &[], || {
        let spec = ModelSpec::from_toml(&text).map_err(|e| e.to_string())?;
        let options = spec.column_options();
        let read = shrink_data::Pipeline::read_training(&table, "species", &options).map_err(|e| e.to_string())?;
        let task = shrink_data::TargetTask::Categorical(3);
        shrink_data::Pipeline::fit(&read, "species", &options, spec.scaling, task).map_err(|e| e.to_string())
    });
}

#[test]
fn table_corpus() {
    for (path, want) in files(&corpus("table")) {
        table_case(&path, &want);
    }
}

fn model_case(path: &Path, want: &str) {
    let p = path.display().to_string();
    check(&p, want, &[&p], || SavedModel::load(path).map(|_| ()).map_err(|e| e.to_string()));
}

/// The text of a corpus file (the files hold the text exactly, no trailing newline).
fn text(path: &Path) -> String {
    String::from_utf8(std::fs::read(path).unwrap()).unwrap()
}

#[test]
fn csv_corpus() {
    for (path, want) in files(&corpus("csv")) {
        csv_case(&path, &want);
    }
}

#[test]
fn spec_corpus() {
    for (path, want) in files(&corpus("spec")) {
        spec_case(&path, &want);
    }
}

#[test]
fn series_corpus() {
    for (path, want) in files(&corpus("series")) {
        series_case(&path, &want);
    }
}

#[test]
fn model_corpus() {
    for (path, want) in files(&corpus("model")) {
        model_case(&path, &want);
    }
}

#[test]
fn penalty_corpus() {
    for (path, want) in files(&corpus("penalty")) {
        let t = text(&path);
        check(&path.display().to_string(), &want, &[], || t.parse::<Penalty>().map_err(|e| e.to_string()));
    }
}

#[test]
fn family_corpus() {
    for (path, want) in files(&corpus("family")) {
        let t = text(&path);
        check(&path.display().to_string(), &want, &[], || t.parse::<Family>().map_err(|e| e.to_string()));
    }
}

/// Selectors are checked against a model (a selector that parses but matches nothing is an
/// error naming the item and listing what exists).
#[test]
fn selector_corpus() {
    let spec = ModelSpec::from_json(
        r#"{"input_shape": [2], "loss": "mse", "layers": [{"type": "dense", "units": 3}, {"type": "dense", "units": 1}]}"#,
    )
    .unwrap();
    let model = spec.build_model().unwrap();
    for (path, want) in files(&corpus("selector")) {
        let t = text(&path);
        check(&path.display().to_string(), &want, &[], || {
            if let Some(s) = Selector::parse(&t) {
                assert!(!s.is_empty());
            }
            model.select(&t).map_err(|e| e.to_string())
        });
    }
}

#[test]
fn generated_big_csvs() {
    let dir = TempDir::new_in("bad-inputs", "big-csv");
    let big_cell = dir.join("big_cell.csv");
    std::fs::write(&big_cell, format!("a,y\n1,0\n{},1\n", "7x".repeat(1_000_000))).unwrap();
    csv_case(&big_cell, "line 3, column 1 (`a`): not a number: `7x7x");
    csv_case(&big_cell, "… (2000000 characters)`");
    let wide = dir.join("wide_header.csv");
    let names: Vec<String> = (0..1_000_000).map(|i| format!("column{i}")).collect();
    std::fs::write(&wide, format!("{}\n{}\n", names.join(","), vec!["1"; names.len()].join(","))).unwrap();
    csv_case(&wide, "line 1: target column `y` not found; available columns: column0, column1");
    csv_case(&wide, "… and 999992 more");
    let dup = dir.join("duplicate_long_name.csv");
    let long = "n".repeat(2_000_000);
    std::fs::write(&dup, format!("{long},y,{long}\n1,0,1\n")).unwrap();
    csv_case(&dup, "line 1, column 3: duplicate column name");
}

/// A small valid model file's metadata and tensors, to be corrupted one way at a time.
struct Saved {
    meta: HashMap<String, String>,
    tensors: Vec<(String, Vec<usize>, Vec<u8>)>,
}

fn saved_model(dir: &TempDir) -> (PathBuf, Saved) {
    let spec = ModelSpec::from_json(
        r#"{"input_shape": [2], "loss": "binary_crossentropy", "layers": [{"type": "dense", "units": 3, "activation": "relu"}, {"type": "dense", "units": 1, "activation": "sigmoid"}]}"#,
    )
    .unwrap();
    let model = spec.build_model().unwrap();
    let scaler =
        shrink_data::Scaler::fit(shrink_data::Scaling::Standard, ndarray::array![[0.0, 1.0], [2.0, 3.0]].view())
            .unwrap();
    let saved = SavedModel::numeric(spec, scaler, &["a".into(), "b".into()], "y", model).unwrap();
    let path = dir.join("good.safetensors");
    saved.save(&path, None, true).unwrap();
    SavedModel::load(&path).expect("the unmodified file loads");
    let bytes = std::fs::read(&path).unwrap();
    let st = safetensors::SafeTensors::deserialize(&bytes).unwrap();
    let (_, metadata) = safetensors::SafeTensors::read_metadata(&bytes).unwrap();
    let meta = metadata.metadata().clone().unwrap();
    let tensors =
        st.tensors().into_iter().map(|(n, t)| (n.to_string(), t.shape().to_vec(), t.data().to_vec())).collect();
    (path, Saved { meta, tensors })
}

fn serialize(meta: &HashMap<String, String>, tensors: &[(String, Vec<usize>, Vec<u8>)]) -> Vec<u8> {
    let views: Vec<(String, safetensors::tensor::TensorView)> = tensors
        .iter()
        .map(|(n, s, d)| {
            (n.clone(), safetensors::tensor::TensorView::new(safetensors::Dtype::F32, s.clone(), d).unwrap())
        })
        .collect();
    safetensors::serialize(views, Some(meta.clone())).unwrap()
}

#[test]
fn generated_hostile_model_files() {
    let dir = TempDir::new_in("bad-inputs", "models");
    let (good, saved) = saved_model(&dir);
    let bytes = std::fs::read(&good).unwrap();
    let mut cases: Vec<(&str, Vec<u8>, &str)> = Vec::new();
    cases.push(("truncated_half", bytes[..bytes.len() / 2].to_vec(), "not a readable safetensors file"));
    cases.push(("truncated_data", bytes[..bytes.len() - 3].to_vec(), "not a readable safetensors file"));
    let mut lying = bytes.clone();
    lying[..8].copy_from_slice(&(bytes.len() as u64 * 4).to_le_bytes());
    cases.push(("lying_header_length", lying, "not a readable safetensors file"));
    // Files written before pipelines: the same model with `shrink.scaler`, `shrink.features`
    // and `shrink.target` instead of `shrink.pipeline`.
    let mut legacy = saved.meta.clone();
    let pipeline: serde_json::Value = serde_json::from_str(&legacy.remove("shrink.pipeline").unwrap()).unwrap();
    legacy.insert("shrink.scaler".into(), pipeline["scaler"].to_string());
    legacy.insert("shrink.features".into(), "[\"a\",\"b\"]".into());
    legacy.insert("shrink.target".into(), "\"y\"".into());
    let legacy_path = dir.join("legacy.safetensors");
    std::fs::write(&legacy_path, serialize(&legacy, &saved.tensors)).unwrap();
    let (old, _) = SavedModel::load(&legacy_path).expect("a file from before pipelines loads");
    assert_eq!(old.features(), ["a", "b"]);
    assert_eq!(old.pipeline.target().classes().unwrap(), ["0", "1"]);
    let mut edit = |name: &'static str, key: &str, value: Option<String>, want: &'static str| {
        let mut meta = if key.starts_with("shrink.pipeline") || key == "shrink.spec" {
            saved.meta.clone()
        } else {
            legacy.clone()
        };
        match value {
            Some(v) => meta.insert(key.to_string(), v),
            None => meta.remove(key),
        };
        cases.push((name, serialize(&meta, &saved.tensors), want));
    };
    edit("spec_not_json", "shrink.spec", Some("{".into()), "spec");
    edit("no_spec", "shrink.spec", None, "metadata `shrink.spec` is missing");
    edit("features_not_a_list", "shrink.features", Some("3".into()), "metadata `shrink.features`");
    edit("scaler_garbage", "shrink.scaler", Some("{\"kind\":\"standard\"}".into()), "metadata `shrink.scaler`");
    // Format 2 takes penalties from the layers' description inside `shrink.spec`.
    let mut spec: serde_json::Value = serde_json::from_str(&saved.meta["shrink.spec"]).unwrap();
    spec["layers"][0]["kernel_penalty"] = serde_json::json!("l2:-1");
    edit("penalty_negative", "shrink.spec", Some(spec.to_string()), "must be finite and ≥ 0, got -1");
    edit("wrong_feature_count", "shrink.features", Some("[\"a\"]".into()), "feature list does not match");
    edit("no_pipeline_no_legacy", "shrink.pipeline", None, "metadata `shrink.scaler` is missing");
    edit(
        "pipeline_not_json",
        "shrink.pipeline",
        Some("{".into()),
        "metadata `shrink.pipeline`: invalid preprocessing pipeline",
    );
    let p = |f: &dyn Fn(&mut serde_json::Value)| {
        let mut v = pipeline.clone();
        f(&mut v);
        Some(v.to_string())
    };
    // A series stage must be valid and agree with the spec's (absent here).
    edit(
        "series_hostile_window",
        "shrink.pipeline",
        p(&|v| v["input"] = serde_json::json!({"kind": "series", "column": "y", "window": 18446744073709551615u64})),
        "invalid series.window",
    );
    edit(
        "series_not_in_spec",
        "shrink.pipeline",
        p(&|v| v["input"] = serde_json::json!({"kind": "series", "column": "y", "window": 2})),
        "series",
    );
    edit("pipeline_format", "shrink.pipeline", p(&|v| v["format"] = 99.into()), "format 99");
    edit("pipeline_width", "shrink.pipeline", p(&|v| v["input"]["columns"][1]["column"] = "a".into()), "appears twice");
    edit(
        "pipeline_three_inputs",
        "shrink.pipeline",
        p(&|v| {
            v["input"]["columns"]
                .as_array_mut()
                .unwrap()
                .push(serde_json::json!({"encoding": "numeric", "column": "c"}))
        }),
        "the input scaler has 2 columns, the input stage produces 3",
    );
    edit(
        "pipeline_regression_target",
        "shrink.pipeline",
        p(&|v| {
            v["target"]["encoding"] =
                serde_json::json!({"kind": "values", "scaler": {"kind": "none", "offset": [0.0], "scale": [1.0]}})
        }),
        "the target's encoding does not fit loss binary_crossentropy",
    );
    edit(
        "pipeline_categories_unsorted",
        "shrink.pipeline",
        p(
            &|v| v["input"]["columns"][0] = serde_json::json!({"encoding": "one_hot", "column": "a", "categories": ["z", "a"], "handle_unknown": "error"}),
        ),
        "categories must be distinct and sorted",
    );
    edit(
        "pipeline_huge_categories",
        "shrink.pipeline",
        p(&|v| {
            v["target"]["encoding"] =
                serde_json::json!({"kind": "classes", "classes": (0..3).map(|i| format!("c{i}")).collect::<Vec<_>>()})
        }),
        "the target has 3 classes, the model 1 outputs",
    );
    let mut tensors = saved.tensors.clone();
    tensors[0].2[..4].copy_from_slice(&f32::NAN.to_le_bytes());
    let nan_name = tensors[0].0.clone();
    cases.push(("nan_weight", serialize(&saved.meta, &tensors), "holds a non-finite value"));
    let mut tensors = saved.tensors.clone();
    tensors.retain(|(n, _, _)| *n != nan_name);
    cases.push(("missing_tensor", serialize(&saved.meta, &tensors), "is missing"));
    let mut tensors = saved.tensors.clone();
    let kernel = tensors.iter_mut().find(|(n, _, _)| n == "dense_0.kernel").expect("the file has dense_0.kernel");
    kernel.1 = vec![kernel.1.iter().product()];
    cases.push((
        "wrong_shape",
        serialize(&saved.meta, &tensors),
        "tensor `dense_0.kernel` has shape [6], its layer's config says [2, 3]",
    ));
    for (name, bytes, want) in cases {
        let path = dir.join(&format!("{name}.safetensors"));
        std::fs::write(&path, bytes).unwrap();
        model_case(&path, want);
    }
}
