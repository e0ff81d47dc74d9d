//! A user's own tables (issue 11): ignored id and date columns, text and integer categories
//! one-hot encoded, a text target, input_shape inferred, a fixed divisor, target scaling, and
//! predictions named after the target. Every table is committed under tests/data
//! (scripts/make_table_fixtures.py) or written by the test.

mod common;

use common::{assert_fails, assert_success, data, shrink, stdout, TempDir};
use std::path::{Path, PathBuf};

const PENGUINS_SPEC: &str = include_str!("data/penguins_mlp.toml");

fn train_penguins(dir: &TempDir, extra_spec: &str) -> PathBuf {
    let spec = dir.write("spec.toml", &format!("{extra_spec}\n{PENGUINS_SPEC}"));
    let out = dir.join("run");
    let o = common::train(&spec, &data("penguins_small.csv"), "species", &out, &[]);
    assert_success(&o);
    out.join("model.safetensors")
}

/// The CSV `text` with its columns reordered by `order` (indices into the header).
fn shuffled(text: &str, order: &[usize]) -> String {
    text.lines()
        .map(|l| {
            let cells: Vec<&str> = l.split(',').collect();
            order.iter().map(|&i| cells[i]).collect::<Vec<_>>().join(",")
        })
        .collect::<Vec<_>>()
        .join("\n")
        + "\n"
}

fn predict(model: &Path, csv: &Path) -> std::process::Output {
    shrink(common::os_args(&[&"predict", &"--model", &model, &"--data", &csv]))
}

#[test]
fn one_hot_round_trip_with_shuffled_columns_and_unseen_categories() {
    let dir = TempDir::new_in("tables", "one-hot");
    let model = train_penguins(&dir, "");
    // inspect shows the stored pipeline: encoders and classes.
    let o = shrink(common::os_args(&[&"inspect", &"--model", &model]));
    assert_success(&o);
    let text = stdout(&o);
    assert!(text.contains("inputs [island=Biscoe, island=Dream, island=Torgersen, year=2007, year=2008, year=2009, bill_length_mm, flipper_length_mm]"), "{text}");
    assert!(
        text.contains("column `island`: one-hot over 3 categories [Biscoe, Dream, Torgersen], unseen: error"),
        "{text}"
    );
    assert!(text.contains("target `species`: classes [Adelie, Chinstrap, Gentoo]"), "{text}");
    let tensors = common::read_tensors(&model);
    assert_eq!(tensors["dense_0.kernel"].0, [8, 8], "input_shape inferred from the encoded columns");

    let original = std::fs::read_to_string(data("penguins_small.csv")).unwrap();
    let plain = predict(&model, &data("penguins_small.csv"));
    assert_success(&plain);
    let plain = stdout(&plain);
    assert!(plain.starts_with("prob_Adelie,prob_Chinstrap,prob_Gentoo,pred_species\n"), "{plain}");
    let names: Vec<&str> = plain.lines().skip(1).map(|l| l.rsplit(',').next().unwrap()).collect();
    let truth: Vec<&str> = original.lines().skip(1).map(|l| l.rsplit(',').next().unwrap()).collect();
    let right = names.iter().zip(&truth).filter(|(a, b)| a == b).count();
    assert!(right >= 50, "{right} of 60 right:\n{plain}");

    // The same rows with the columns in another order (target dropped): the same bits.
    let moved = dir.write("shuffled.csv", &shuffled(&original, &[5, 3, 0, 4, 2, 1]));
    let o = predict(&model, &moved);
    assert_success(&o);
    assert_eq!(stdout(&o), plain, "predictions depend on the column order");

    // An island never seen in training: an error naming file, column, line and value.
    let unseen = original.replacen(",Dream,", ",Atlantis,", 1);
    let line = unseen.lines().position(|l| l.contains("Atlantis")).unwrap() + 1;
    let unseen = dir.write("unseen.csv", &unseen);
    let o = predict(&model, &unseen);
    assert_fails(
        &o,
        &[
            &unseen.display().to_string(),
            &format!("line {line}, column 3 (`island`): category `Atlantis` was not seen in training"),
            "handle_unknown",
        ],
    );
    let o = shrink(common::os_args(&[&"evaluate", &"--model", &model, &"--data", &unseen]));
    assert_fails(&o, &["category `Atlantis`"]);

    // handle_unknown = "ignore": all-zero island inputs, a prediction for every row.
    let ignoring = TempDir::new_in("tables", "one-hot-ignore");
    let model = train_penguins(&ignoring, "handle_unknown = \"ignore\"");
    let o = predict(&model, &unseen);
    assert_success(&o);
    assert_eq!(stdout(&o).lines().count(), 61);
    // All-zero means exactly the encoding of an island that is none of the three: compare with
    // the row's prediction from a table whose island column says another unseen name.
    let other = dir.write("other.csv", &std::fs::read_to_string(&unseen).unwrap().replace("Atlantis", "Nowhere"));
    assert_eq!(stdout(&predict(&model, &other)), stdout(&o));
    let o =
        shrink(common::os_args(&[&"evaluate", &"--model", &model, &"--data", &data("penguins_small.csv"), &"--json"]));
    assert_success(&o);
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert!(v["metrics"]["accuracy"].as_f64().unwrap() > 0.8, "{v}");
}

#[test]
fn bad_table_keys_fail_before_anything_is_written() {
    let dir = TempDir::new_in("tables", "bad-keys");
    let table = data("penguins_small.csv");
    let run = |extra: &str, flags: &[&str]| {
        let spec = dir.write(
            "spec.toml",
            &format!(
                "{extra}\n{}",
                PENGUINS_SPEC.replace("ignore = [\"id\", \"date\"]\n", "").replace("scaling = \"standard\"\n", "")
            ),
        );
        let out = dir.join("out");
        let mut args =
            common::os_args(&[&"train", &"--spec", &spec, &"--data", &table, &"--target", &"species", &"--out", &out]);
        args.extend(flags.iter().map(|f| f.into()));
        let o = shrink(args);
        assert!(!out.exists(), "{} was created", out.display());
        o
    };
    let file = table.display().to_string();
    // Without ignore, the id column is text.
    assert_fails(
        &run("", &[]),
        &[&file, "line 2, column 1 (`id`): not a number (list the column in `categorical`", "`P001`"],
    );
    assert_fails(
        &run("", &["--ignore", "id,date,colour"]),
        &[&file, "`ignore` names column `colour`, which is not in the file; available columns: id, date, island"],
    );
    assert_fails(
        &run("features = [\"island\", \"year\", \"species\"]", &[]),
        &[&file, "`features` lists the target column `species`"],
    );
    assert_fails(
        &run("max_categories = 2", &["--ignore", "id,date"]),
        &[&file, "column `island` has 3 categories, more than `max_categories` = 2"],
    );
    assert_fails(
        &run("features = [\"bill_length_mm\"]\nignore = [\"id\"]", &[]),
        &["spec.toml", "line 1: features: give `features`"],
    );
    assert_fails(&run("features = []", &[]), &["line 1: features: is empty"]);
    assert_fails(&run("ignore = [\"island\"]", &[]), &["categorical: column `island` is also in `ignore`"]);
    assert_fails(&run("", &["--features", "bill_length_mm", "--ignore", "id"]), &["features: give `features`"]);
    assert_fails(&run("scaling = { divide = 0 }", &[]), &["spec.toml", "scaling.divide", "finite and > 0"]);
    assert_fails(&run("scaling = { divide = nan }", &[]), &["scaling.divide"]);
    assert_fails(&run("target_scaling = \"standard\"", &[]), &["target_scaling: scales a regression (mse) target"]);
    assert_fails(
        &run("", &["--features", "bill_length_mm", "--categorical", "island"]),
        &["categorical: column `island` is not in `features`"],
    );
}

const LINEAR_SPEC: &str = include_str!("data/linear_target_scaling.toml");

#[test]
fn target_scaling_predicts_and_evaluates_in_the_targets_units() {
    let dir = TempDir::new_in("tables", "target-scaling");
    let spec = dir.write("spec.toml", LINEAR_SPEC);
    let table = data("linear.csv");
    let out = dir.join("run");
    assert_success(&common::train(&spec, &table, "y", &out, &[]));
    let model = out.join("model.safetensors");
    let o = predict(&model, &table);
    assert_success(&o);
    let text = stdout(&o);
    assert!(text.starts_with("pred_y\n"), "{text}");
    let pred: Vec<f64> = text.lines().skip(1).map(|l| l.parse().unwrap()).collect();
    let truth: Vec<f64> = std::fs::read_to_string(&table)
        .unwrap()
        .lines()
        .skip(1)
        .map(|l| l.rsplit(',').next().unwrap().parse().unwrap())
        .collect();
    // A linear model learns the linear target: predictions in y's units (y spans ~50…650).
    let worst = pred.iter().zip(&truth).map(|(p, t)| (p - t).abs()).fold(0.0, f64::max);
    assert!(worst < 5.0, "worst error {worst}:\n{text}");
    let mse = pred.iter().zip(&truth).map(|(p, t)| (p - t) * (p - t)).sum::<f64>() / truth.len() as f64;
    let o = shrink(common::os_args(&[&"evaluate", &"--model", &model, &"--data", &table, &"--json"]));
    assert_success(&o);
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    let reported = v["data_loss"].as_f64().unwrap();
    // predict prints shortest round-trip f64s, so the same numbers come back.
    assert!((reported - mse).abs() <= 1e-9 * mse.max(1e-12), "evaluate {reported} vs by hand {mse}");
    assert_eq!(v["metrics"]["mse"].as_f64().unwrap(), reported);
    assert!(v["units"].as_str().unwrap().contains("target `y`"), "{v}");
    // history.csv is in scaled units: its last mse is the reported one over the scaler's scale².
    let inspect = stdout(&shrink(common::os_args(&[&"inspect", &"--model", &model])));
    assert!(inspect.contains("target `y`: standard target scaling"), "{inspect}");
}

#[test]
fn divide_scales_every_input_by_the_same_number() {
    let dir = TempDir::new_in("tables", "divide");
    let csv = dir.write("pixels.csv", "p0,p1,y\n0,255,1\n255,0,0\n51,102,1\n");
    let spec = dir.write(
        "spec.toml",
        "scaling = { divide = 255 }\nloss = \"binary_crossentropy\"\nepochs = 1\n[[layers]]\ntype = \"dense\"\nunits = 1\nactivation = \"sigmoid\"\n",
    );
    let out = dir.join("run");
    assert_success(&common::train(&spec, &csv, "y", &out, &[]));
    let o = shrink(common::os_args(&[&"inspect", &"--model", &out.join("model.safetensors"), &"--json"]));
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(v["scaling"], serde_json::json!({"divide": 255.0}));
    assert_eq!(v["pipeline"]["scaler"]["scale"], serde_json::json!([255.0, 255.0]));
    assert_eq!(v["pipeline"]["scaler"]["offset"], serde_json::json!([0.0, 0.0]));
    // A binary model's predictions: probability and the class label, named after the target.
    let o = predict(&out.join("model.safetensors"), &csv);
    assert_success(&o);
    assert!(stdout(&o).starts_with("pred_y,class_y\n"), "{}", stdout(&o));
}

#[test]
fn prediction_names_never_collide_with_inputs() {
    let dir = TempDir::new_in("tables", "collide");
    let csv = dir.write("t.csv", "pred_y,b,y\n1,2,3\n2,1,4\n3,3,5\n");
    let spec = dir.write("spec.toml", "loss = \"mse\"\nepochs = 1\n[[layers]]\ntype = \"dense\"\nunits = 1\n");
    let out = dir.join("run");
    assert_success(&common::train(&spec, &csv, "y", &out, &[]));
    let o = predict(&out.join("model.safetensors"), &csv);
    assert_success(&o);
    assert!(stdout(&o).starts_with("pred_y_2\n"), "{}", stdout(&o));
}
