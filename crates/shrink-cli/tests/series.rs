//! `[series]` end to end on the committed monthly airline series: train an LSTM on windows of
//! 12 log-differenced months with a chronological validation split, predict, evaluate, and the
//! errors a user meets first.

mod common;
use common::*;
use std::fs;
use std::path::{Path, PathBuf};

/// The example spec with fewer epochs, so the test runs in a few seconds.
fn airline_spec(tmp: &TempDir, epochs: usize) -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/airline_lstm.toml");
    let text = fs::read_to_string(root).unwrap().replace("epochs = 300", &format!("epochs = {epochs}"));
    assert!(text.contains(&format!("epochs = {epochs}")));
    tmp.write("airline.toml", &text)
}

#[test]
fn airline_lstm_trains_predicts_and_evaluates_in_passengers() {
    let tmp = TempDir::new_in("series", "airline");
    let spec = airline_spec(&tmp, 120);
    let data = data("airline_passengers.csv");
    let out = tmp.join("run");
    let o = shrink(os_args(&[&"train", &"--spec", &spec, &"--data", &data, &"--val-split", &"0.2", &"--out", &out]));
    assert_success(&o);
    let text = stdout(&o);
    // 144 months − 13 of context − 1 of horizon + 1 = 131 windows; ceil(0.2 × 131) = 27 validate.
    assert!(text.contains("104 training windows of 12 steps (rows 14–117 predicted)"), "{text}");
    assert!(text.contains("validation (27 windows, series units): RMSE"), "{text}");
    assert!(text.contains("seasonal naive (season 12): RMSE"), "{text}");

    let model = out.join("model.safetensors");
    let o = shrink(os_args(&[&"predict", &"--model", &model, &"--data", &data]));
    assert_success(&o);
    let csv = stdout(&o);
    let mut lines = csv.lines();
    assert_eq!(lines.next(), Some("row,month,pred_passengers"));
    let rows: Vec<Vec<&str>> = lines.map(|l| l.split(',').collect()).collect();
    // One forecast per window with 13 months of context: 144 − 13 + 1; the last is for row 145.
    assert_eq!(rows.len(), 132);
    assert_eq!(rows[0][..2], ["14", "1950-02"]);
    assert_eq!(rows[131][..2], ["145", ""]);
    let source = fs::read_to_string(&data).unwrap();
    let actual: Vec<f64> = source.lines().skip(1).map(|l| l.split(',').nth(1).unwrap().parse().unwrap()).collect();
    for r in &rows {
        let (row, pred): (usize, f64) = (r[0].parse().unwrap(), r[2].parse().unwrap());
        assert!(pred.is_finite() && (50.0..1500.0).contains(&pred), "row {row}: {pred}");
        if let Some(a) = actual.get(row - 1) {
            // In passengers, not log-differences: within a factor of 1.5 of the month's value.
            assert!(pred / a > 1.0 / 1.5 && pred / a < 1.5, "row {row}: forecast {pred}, actual {a}");
        }
    }

    let o = shrink(os_args(&[&"evaluate", &"--model", &model, &"--data", &data, &"--json"]));
    assert_success(&o);
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(v["windows"], 131);
    let (rmse, naive) = (v["rmse"].as_f64().unwrap(), v["seasonal_naive"]["rmse"].as_f64().unwrap());
    assert!(rmse > 0.0 && rmse < 60.0, "{v}");
    // The seasonal naive forecast ignores the trend: about 36 passengers over these windows.
    assert!((naive - 36.45).abs() < 0.01, "{v}");
    assert!(v["model_units"]["mse"].as_f64().unwrap() < 0.05, "{v}");
    let o = shrink(os_args(&[&"evaluate", &"--model", &model, &"--data", &data]));
    assert_success(&o);
    assert!(stdout(&o).contains("MSE (model units: transformed target)"), "{}", stdout(&o));
}

#[test]
fn series_errors_name_the_key_and_the_file() {
    let tmp = TempDir::new_in("series", "errors");
    let spec = airline_spec(&tmp, 1);
    let short: String = fs::read_to_string(data("airline_passengers.csv"))
        .unwrap()
        .lines()
        .take(14)
        .map(|l| format!("{l}\n"))
        .collect();
    let short = tmp.write("short.csv", &short);
    let out = tmp.join("run");
    let train = |data: &Path, extra: &[&str]| {
        let mut args = os_args(&[&"train", &"--spec", &spec, &"--data", &data, &"--out", &out]);
        args.extend(extra.iter().map(Into::into));
        shrink(args)
    };
    assert_fails(&train(&short, &[]), &["short.csv", "13 data rows, but one window needs 14", "`series.window` = 12"]);
    assert!(!out.exists(), "nothing is written before the checks");
    let full = data("airline_passengers.csv");
    assert_fails(&train(&full, &["--target", "month"]), &["--target `month`", "series target `passengers`"]);
    let bad = tmp.write("bad.csv", "month,passengers\n1949-01,112\n1949-02,-3\n");
    assert_fails(&train(&bad, &[]), &["bad.csv: line 3, column 2 (`passengers`)", "needs every value > 0", "`-3`"]);
    assert!(!out.exists());
    // Without [series] --target stays required.
    let plain = tmp.write("plain.toml", "input_shape = [1]\nloss = \"mse\"\n[[layers]]\ntype = \"dense\"\nunits = 1\n");
    let o = shrink(os_args(&[&"train", &"--spec", &plain, &"--data", &full, &"--out", &out]));
    assert_fails(&o, &["--target is required"]);
}
