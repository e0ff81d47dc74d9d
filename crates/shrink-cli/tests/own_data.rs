//! The README's "Your own data" runs, as written there: a table with strings and IDs, a monthly
//! series with an LSTM against the seasonal naive forecast, raw image pixels with a divisor.
//! Each asserts what the README claims, with a margin for other CPUs' float rounding.

mod common;
use common::*;
use std::path::{Path, PathBuf};

fn repo(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").join(rel)
}

/// The number after `label` in `text` (e.g. `RMSE 17.98,` → 17.98).
fn number_after(text: &str, label: &str) -> f64 {
    let at = text.find(label).unwrap_or_else(|| panic!("`{label}` not in:\n{text}")) + label.len();
    let digits: String =
        text[at..].trim_start().chars().take_while(|c| c.is_ascii_digit() || *c == '.' || *c == '-').collect();
    digits.parse().unwrap_or_else(|_| panic!("no number after `{label}` in:\n{text}"))
}

#[test]
fn penguins_table_with_strings_and_ids() {
    let dir = TempDir::new_in("own-data", "penguins");
    let (spec, data) = (repo("examples/penguins.toml"), repo("examples/data/penguins.csv"));
    let out = dir.join("penguins");
    let o = train(&spec, &data, "species", &out, &["--val-split", "0.3"]);
    assert_success(&o);
    let text = stdout(&o);
    assert!(number_after(&text, "validation: loss") < 0.2, "{text}");
    assert!(number_after(text.split("validation:").nth(1).unwrap(), "accuracy") >= 0.97, "{text}");
    let model = out.join("model.safetensors");
    let o = shrink(os_args(&[&"inspect", &"--model", &model]));
    assert_success(&o);
    let text = stdout(&o);
    assert!(text.contains("column `island`: one-hot over 3 categories [Biscoe, Dream, Torgersen]"), "{text}");
    assert!(text.contains("target `species`: classes [Adelie, Chinstrap, Gentoo]"), "{text}");
    let o = shrink(os_args(&[&"predict", &"--model", &model, &"--data", &data]));
    assert_success(&o);
    let text = stdout(&o);
    assert!(text.starts_with("prob_Adelie,prob_Chinstrap,prob_Gentoo,pred_species\n"), "{text}");
    assert_eq!(text.lines().count(), 334);
}

#[test]
fn airline_lstm_beats_the_seasonal_naive_forecast() {
    let dir = TempDir::new_in("own-data", "airline");
    let (spec, data) = (repo("examples/airline_lstm.toml"), data("airline_passengers.csv"));
    let out = dir.join("airline");
    let o = shrink(os_args(&[&"train", &"--spec", &spec, &"--data", &data, &"--val-split", &"0.2", &"--out", &out]));
    assert_success(&o);
    let text = stdout(&o);
    let (lstm, naive) = (number_after(&text, "series units): RMSE"), number_after(&text, "(season 12): RMSE"));
    // README: 17.98 against 47.19 passengers.
    assert!((10.0..25.0).contains(&lstm) && (naive - 47.1946).abs() < 1e-3, "{text}");
    let o = shrink(os_args(&[&"predict", &"--model", &out.join("model.safetensors"), &"--data", &data]));
    assert_success(&o);
    let text = stdout(&o);
    assert!(text.starts_with("row,month,pred_passengers\n14,1950-02,"), "{text}");
    let last: f64 = text.lines().last().unwrap().rsplit(',').next().unwrap().parse().unwrap();
    assert!((350.0..600.0).contains(&last), "the forecast for 1961-01 is in passengers: {last}");
}

#[test]
fn raw_pixels_need_the_divisor() {
    let dir = TempDir::new_in("own-data", "mnist");
    let (spec, data) = (repo("examples/mnist_pixels.toml"), repo("examples/data/mnist_1k.csv"));
    let best = |spec: &Path, name: &str| {
        let out = dir.join(name);
        let o = train(spec, &data, "label", &out, &["--val-split", "0.2"]);
        assert_success(&o);
        number_after(&stdout(&o), "val_accuracy")
    };
    let divided = best(&spec, "divide");
    let raw = dir.write(
        "raw.toml",
        &std::fs::read_to_string(&spec).unwrap().replace("scaling = { divide = 255 }", "scaling = \"none\""),
    );
    let undivided = best(&raw, "none");
    // README: 0.825 with the divisor, 0.490 without.
    assert!(divided > 0.75 && undivided < 0.65 && divided - undivided > 0.15, "{divided} vs {undivided}");
}
