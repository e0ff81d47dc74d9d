//! `shrink example breast-cancer` end to end, with tiny settings.

mod common;
use common::*;

const NAMES: usize = 30;

#[test]
fn breast_cancer_example_writes_outputs_and_selects_a_subset() {
    let tmp = TempDir::new_in("breast", "outputs");
    let out = tmp.join("bc");
    let text = example(
        "breast-cancer",
        &out,
        &["--alphas", "1e-2,3e-1", "--folds", "2", "--repeats", "1", "--epochs", "20", "--threads", "2"],
    );
    assert!(text.contains("chosen alpha"), "{text}");
    assert!(text.contains("unpenalized"), "{text}");
    assert_plot(&out, "cv_accuracy_vs_alpha");
    // Every CV row records how many features its fit kept (a count, never NaN).
    let csv = std::fs::read_to_string(out.join("results.csv")).unwrap();
    for line in csv.lines().filter(|l| l.starts_with("cv,")) {
        let kept: f64 = line.rsplit(',').next().unwrap().parse().unwrap();
        assert!((0.0..=NAMES as f64).contains(&kept), "{line}");
    }
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap()).unwrap();
    // The strong alpha drops at least one input feature (in every CV fit, on average).
    let cv = summary["cv"].as_array().unwrap();
    assert_eq!(cv.len(), 2);
    let strong = cv.iter().find(|s| s["alpha"].as_f64() == Some(0.3)).unwrap();
    assert!(strong["features_kept_mean"].as_f64().unwrap() < NAMES as f64, "{strong}");
    // The selected features of the refit are names of the 30 inputs, without repeats.
    let csv = std::fs::read_to_string(common::data("breast_cancer.csv")).unwrap();
    let header: Vec<&str> = csv.lines().next().unwrap().split(',').filter(|c| *c != "target").collect();
    assert_eq!(header.len(), NAMES);
    let selected = summary["selected_features"][0]["features"].as_array().unwrap();
    assert!(selected.len() <= NAMES);
    let mut seen = std::collections::HashSet::new();
    for f in selected {
        let f = f.as_str().unwrap();
        assert!(header.contains(&f), "{f} is not a feature");
        assert!(seen.insert(f), "{f} listed twice");
    }
    let chosen = summary["selection"]["alpha"].as_f64().unwrap();
    assert!(chosen == 0.01 || chosen == 0.3, "{chosen}");
    let rows = std::fs::read_to_string(out.join("results.csv")).unwrap();
    assert_eq!(rows.lines().filter(|l| l.starts_with("cv,")).count(), 2 * 2);
    assert_eq!(rows.lines().filter(|l| l.starts_with("test_sparse,")).count(), 1);
    assert_eq!(rows.lines().filter(|l| l.starts_with("test_unpenalized,")).count(), 1);
}

#[test]
fn breast_cancer_example_rejects_bad_flags() {
    let o = shrink(["example", "breast-cancer", "--no-such-flag"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("--no-such-flag"), "{}", stderr(&o));
    let o = shrink(["example", "breast-cancer", "--folds", "1"]);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("--folds"), "{}", stderr(&o));
    let o = shrink(["example", "breast-cancer", "--alphas=0,-1"]);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("--alphas"), "{}", stderr(&o));
}

#[test]
fn breast_cancer_automatic_path_starts_where_every_input_is_zero() {
    let tmp = TempDir::new_in("breast", "auto");
    let out = tmp.join("bc");
    let text = example(
        "breast-cancer",
        &out,
        &["--alphas", "auto:3", "--folds", "2", "--repeats", "1", "--epochs", "20", "--threads", "2"],
    );
    assert!(text.contains("alpha_max"), "{text}");
    assert_plot(&out, "inputs_vs_alpha");
    assert_plot(&out, "score_vs_inputs");
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap()).unwrap();
    let alpha_max = summary["alpha_max"].as_f64().unwrap();
    let cv = summary["cv"].as_array().unwrap();
    assert_eq!(cv.len(), 3);
    assert!(cv[0]["alpha"].as_f64().unwrap() >= alpha_max);
    // Observed with Adam from the initialization: the strongest alpha keeps no input.
    assert_eq!(cv[0]["features_kept_mean"].as_f64(), Some(0.0), "{cv:?}");
    let exits = summary["input_exits"].as_array().unwrap();
    assert_eq!(exits.len(), NAMES);
    let alphas: Vec<f64> = exits.iter().filter_map(|e| e["last_alpha"].as_f64()).collect();
    assert!(alphas.windows(2).all(|w| w[0] >= w[1]), "sorted strongest first: {alphas:?}");
}
