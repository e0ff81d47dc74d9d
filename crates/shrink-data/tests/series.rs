//! The `[series]` stage against numpy: windows, targets, anchors and inversion for
//! log + difference on a committed series (`tests/data/series_short.csv`).

use shrink_data::series::SeriesSpec;
use std::path::Path;

/// Output of `python3 scripts/series_reference.py` (numpy): origin row, six inputs (three steps
/// × [passengers, index]), target, anchor, inverted target.
const NUMPY: &str = "\
3 0.05218575317057095 -0.18232155679395462 0.11211729812070548 0.4700036292457355 -0.022989518224698635 0.22314355131420982 0.04546237407675768 4.859812404361672 135.00000000000003
4 0.11211729812070548 0.4700036292457355 -0.022989518224698635 0.22314355131420982 -0.0640218587649306 0.18232155679395468 0.20142172816737336 4.795790545596741 147.99999999999994
5 -0.022989518224698635 0.22314355131420982 -0.0640218587649306 0.18232155679395468 0.10948423284168829 -0.08701137698962991 0.09193749532568507 4.90527477843843 147.99999999999994
6 -0.0640218587649306 0.18232155679395468 0.10948423284168829 -0.08701137698962991 0.09193749532568507 0.3746934494414107 -0.08455738802806234 4.997212273764115 136.00000000000006
7 0.10948423284168829 -0.08701137698962991 0.09193749532568507 0.3746934494414107 0.0 0.1177830356563836 -0.21808878065258508 4.997212273764115 119.00000000000003";

#[test]
fn log_difference_windows_match_numpy() {
    let spec: SeriesSpec = serde_json::from_str(
        r#"{"columns": ["passengers", "index"], "window": 3, "horizon": 2, "transform": ["log", "difference"]}"#,
    )
    .unwrap();
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/series_short.csv");
    let table = spec.read_csv(&path).unwrap();
    assert_eq!(table.time.as_ref().unwrap().0, "month");
    let w = spec.windows(&table, true).unwrap();
    let rows: Vec<Vec<f64>> = NUMPY.lines().map(|l| l.split(' ').map(|v| v.parse().unwrap()).collect()).collect();
    assert_eq!(w.len(), rows.len());
    let back = spec.invert_all(&w.y.to_vec(), &w).unwrap();
    let actual = spec.actual(&table, &w);
    let close = |a: f64, b: f64| (a - b).abs() <= 1e-12 * b.abs().max(1.0);
    for (i, r) in rows.iter().enumerate() {
        assert_eq!(w.origin[i] as f64, r[0]);
        for k in 0..6 {
            assert!(close(w.x[[i, k]], r[1 + k]), "window {i} input {k}: {} vs numpy {}", w.x[[i, k]], r[1 + k]);
        }
        assert!(close(w.y[i], r[7]), "window {i} target: {} vs {}", w.y[i], r[7]);
        assert!(close(w.anchor[i], r[8]), "window {i} anchor");
        assert!(close(back[i], r[9]), "window {i} inverted: {} vs {}", back[i], r[9]);
        // The round trip returns the file's value (to 1e-12 relative in f64).
        assert!(close(back[i], actual[i]), "window {i}: {} vs {}", back[i], actual[i]);
    }
}
