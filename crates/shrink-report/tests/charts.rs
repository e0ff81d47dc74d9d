//! End-to-end checks: every chart kind lands on disk as a valid PNG of the documented size and
//! an SVG carrying its labels, and bad data gives the documented error instead of a panic.

use std::fs;
use std::path::{Path, PathBuf};
use std::time::Instant;

use shrink_report::{
    write_box_chart, write_histogram_chart, write_line_chart, BoxChart, HistogramChart, LineChart, ReportError, Series,
    CHART_SIZE,
};

/// A fresh directory per test, so tests can run in parallel.
fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("shrink-report-{}-{name}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).unwrap();
    dir
}

/// Width and height from the IHDR chunk, after checking the PNG signature.
fn png_size(path: &Path) -> (u32, u32) {
    let bytes = fs::read(path).unwrap();
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n", "{} is not a PNG", path.display());
    assert_eq!(&bytes[12..16], b"IHDR");
    let be = |b: &[u8]| u32::from_be_bytes([b[0], b[1], b[2], b[3]]);
    (be(&bytes[16..20]), be(&bytes[20..24]))
}

/// Checks both outputs and returns the SVG text.
fn check_outputs(paths: &[PathBuf], stem: &Path) -> String {
    assert_eq!(paths.len(), 2);
    assert_eq!(paths[0], stem.with_file_name(format!("{}.png", stem.file_name().unwrap().to_str().unwrap())));
    assert_eq!(paths[1].extension().unwrap(), "svg");
    assert_eq!(png_size(&paths[0]), CHART_SIZE);
    for p in paths {
        let tmp = PathBuf::from(format!("{}.tmp", p.display()));
        assert!(!tmp.exists(), "left behind {}", tmp.display());
    }
    let svg = fs::read_to_string(&paths[1]).unwrap();
    assert!(svg.contains("<svg"));
    svg
}

fn learning_curve() -> LineChart {
    let epochs: Vec<f64> = (1..=4000).map(f64::from).collect();
    let train = epochs.iter().map(|e| 1.0 - 0.5 * (-e / 300.0).exp()).collect();
    let test = epochs.iter().map(|e| 0.9 - 0.45 * (-e / 250.0).exp() - 1e-5 * e).collect();
    LineChart::new("Learning curve", "epoch", "accuracy")
        .series(Series::new("train", epochs.clone(), train))
        .series(Series::new("test", epochs, test))
}

fn alpha_sweep() -> LineChart {
    let alphas = vec![1e-6, 1e-5, 1e-4, 1e-3, 1e-2, 1e-1];
    LineChart::new("Test accuracy vs penalty", "alpha", "test accuracy")
        .log_x(true)
        .series(
            Series::new("L2", alphas.clone(), vec![0.91, 0.912, 0.92, 0.93, 0.89, 0.6])
                .with_err(vec![0.01, 0.012, 0.008, 0.006, 0.02, 0.05]),
        )
        .series(
            Series::new("L1", alphas, vec![0.905, 0.91, 0.915, 0.9, 0.7, 0.3])
                .with_err(vec![0.01, 0.01, 0.01, 0.015, 0.04, 0.06]),
        )
}

#[test]
fn learning_curve_writes_png_and_svg_quickly() {
    let dir = temp_dir("learning");
    let stem = dir.join("nested/dirs/curve");
    let start = Instant::now();
    let paths = write_line_chart(&learning_curve(), &stem).unwrap();
    let elapsed = start.elapsed();
    let svg = check_outputs(&paths, &stem);
    assert!(svg.contains("train") && svg.contains("test") && svg.contains("epoch"));
    if !cfg!(debug_assertions) {
        assert!(elapsed.as_secs_f64() < 0.5, "took {elapsed:?}");
    }
    // Rewriting replaces the files in place.
    write_line_chart(&learning_curve(), &stem).unwrap();
    fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn log_axis_with_error_bars_has_decade_labels() {
    let dir = temp_dir("alpha");
    let stem = dir.join("alpha.sweep");
    let paths = write_line_chart(&alpha_sweep(), &stem).unwrap();
    let svg = check_outputs(&paths, &stem);
    for label in ["L1", "L2", "1e-6", "1e-3", "1e-1", "alpha"] {
        assert!(svg.contains(label), "svg lacks {label}");
    }
    fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn log_axis_rejects_non_positive_x_naming_the_series() {
    let dir = temp_dir("logzero");
    let chart = LineChart::new("t", "alpha", "acc")
        .log_x(true)
        .series(Series::new("ok", vec![1e-3, 1e-2], vec![0.9, 0.8]))
        .series(Series::new("baseline", vec![0.0, 1e-2], vec![0.9, 0.8]));
    let stem = dir.join("bad");
    let err = write_line_chart(&chart, &stem).unwrap_err();
    let msg = err.to_string();
    assert!(matches!(err, ReportError::InvalidData { .. }), "{msg}");
    assert!(msg.contains("'baseline'") && msg.contains(&stem.display().to_string()), "{msg}");
    assert!(!dir.join("bad.png").exists() && !dir.join("bad.png.tmp").exists());
    fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn empty_chart_is_an_error_but_an_empty_series_is_listed() {
    let dir = temp_dir("empty");
    let stem = dir.join("none");
    let no_series = LineChart::new("t", "x", "y");
    assert!(matches!(write_line_chart(&no_series, &stem), Err(ReportError::NoData { .. })));
    let only_nan = no_series.clone().series(Series::new("nan", vec![1.0], vec![f64::NAN]));
    assert!(matches!(write_line_chart(&only_nan, &stem), Err(ReportError::NoData { .. })));
    assert!(!dir.join("none.png").exists());

    let mixed = LineChart::new("t", "x", "y")
        .series(Series::new("real", vec![1.0, 2.0, 3.0], vec![1.0, f64::NAN, 3.0]))
        .series(Series::new("missing", vec![], vec![]));
    let stem = dir.join("mixed");
    let svg = check_outputs(&write_line_chart(&mixed, &stem).unwrap(), &stem);
    assert!(svg.contains("missing (no data)"));
    fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn degenerate_and_mismatched_data() {
    let dir = temp_dir("degenerate");
    // All-equal values on both axes still give a drawable range.
    let flat = LineChart::new("flat", "x", "y").series(Series::new("one", vec![5.0, 5.0], vec![0.9, 0.9]));
    let stem = dir.join("flat");
    check_outputs(&write_line_chart(&flat, &stem).unwrap(), &stem);
    let flat_log = flat.clone().log_x(true);
    write_line_chart(&flat_log, &dir.join("flat-log")).unwrap();

    let mismatched = LineChart::new("t", "x", "y").series(Series::new("short", vec![1.0, 2.0], vec![1.0]));
    let msg = write_line_chart(&mismatched, &dir.join("m")).unwrap_err().to_string();
    assert!(msg.contains("'short'") && msg.contains("2 x values but 1 y values"), "{msg}");
    let bad_err =
        LineChart::new("t", "x", "y").series(Series::new("e", vec![1.0, 2.0], vec![1.0, 2.0]).with_err(vec![0.1]));
    assert!(matches!(write_line_chart(&bad_err, &dir.join("e")), Err(ReportError::InvalidData { .. })));
    let bad_range = flat.clone().y_range(1.0, 0.0);
    assert!(matches!(write_line_chart(&bad_range, &dir.join("r")), Err(ReportError::InvalidData { .. })));
    fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn fixed_y_range_clips_instead_of_failing() {
    let dir = temp_dir("clip");
    let chart = alpha_sweep().y_range(0.85, 0.95);
    let stem = dir.join("clipped");
    check_outputs(&write_line_chart(&chart, &stem).unwrap(), &stem);
    fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn box_chart_writes_groups_and_handles_edge_cases() {
    let dir = temp_dir("box");
    let chart = BoxChart::new("Test accuracy over seeds", "accuracy")
        .group("none", vec![0.90, 0.91, 0.905, 0.93, 0.92, 0.5])
        .group("L2", vec![0.93, 0.935, 0.94, 0.925, f64::NAN])
        .group("L1", vec![0.92])
        .group("empty", vec![]);
    let stem = dir.join("box");
    let svg = check_outputs(&write_box_chart(&chart, &stem).unwrap(), &stem);
    for label in ["none", "L2", "L1", "empty (no data)", "accuracy"] {
        assert!(svg.contains(label), "svg lacks {label}");
    }
    let nothing = BoxChart::new("t", "y").group("a", vec![f64::NAN]);
    assert!(matches!(write_box_chart(&nothing, &dir.join("n")), Err(ReportError::NoData { .. })));
    fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn histogram_writes_groups_and_handles_edge_cases() {
    let dir = temp_dir("hist");
    let layer = |n: usize, scale: f64| -> Vec<f64> {
        (0..n).map(|i| scale * ((i as f64 * 0.618).fract() * 2.0 - 1.0).powi(3)).collect()
    };
    let chart = HistogramChart::new("Weights", "weight", 40)
        .group("layer 1", layer(78_400, 0.3))
        .group("layer 2", layer(1000, 0.8))
        .group("nan", vec![f64::NAN]);
    let stem = dir.join("hist");
    let svg = check_outputs(&write_histogram_chart(&chart, &stem).unwrap(), &stem);
    for label in ["layer 1", "layer 2", "nan (no data)", "weight", "fraction of group"] {
        assert!(svg.contains(label), "svg lacks {label}");
    }
    let flat = HistogramChart::new("t", "w", 10).group("zeros", vec![0.0; 50]);
    write_histogram_chart(&flat, &dir.join("flat")).unwrap();
    let zero_bins = HistogramChart::new("t", "w", 0).group("a", vec![1.0]);
    assert!(matches!(write_histogram_chart(&zero_bins, &dir.join("z")), Err(ReportError::InvalidData { .. })));
    let empty = HistogramChart::new("t", "w", 10);
    assert!(matches!(write_histogram_chart(&empty, &dir.join("e")), Err(ReportError::NoData { .. })));
    fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn stem_without_file_name_is_rejected() {
    let chart = learning_curve();
    let err = write_line_chart(&chart, Path::new("")).unwrap_err();
    assert!(matches!(err, ReportError::InvalidStem { .. }), "{err}");
    let err = write_line_chart(&chart, Path::new("some/dir/")).unwrap_err();
    assert!(matches!(err, ReportError::InvalidStem { .. }), "{err}");
}
