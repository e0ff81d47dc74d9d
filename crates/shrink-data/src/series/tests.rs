use super::*;
use crate::Scaling;
use std::path::Path;

fn spec(json: &str) -> Result<SeriesSpec, String> {
    serde_json::from_str::<SeriesSpec>(json).map_err(|e| e.to_string())
}

fn table(spec: &SeriesSpec, csv: &str) -> Result<SeriesTable, DataError> {
    spec.read_csv_bytes(csv.as_bytes(), Path::new("s.csv"))
}

/// `month,y` with y = 10, 20, …
fn numbered(n: usize) -> String {
    let mut s = String::from("month,y\n");
    for i in 0..n {
        s += &format!("m{i},{}\n", 10 * (i + 1));
    }
    s
}

#[test]
fn defaults_and_resolved_form_round_trip() {
    let s = spec(r#"{"column": "y", "window": 4}"#).unwrap();
    assert_eq!((s.columns(), s.target(), s.window(), s.horizon()), (&["y".to_string()][..], "y", 4, 1));
    assert!(!s.log() && !s.difference() && s.season().is_none());
    assert_eq!((s.context(), s.min_rows(), s.input_shape()), (4, 5, [4, 1]));
    let s = spec(r#"{"columns": ["a", "b"], "target": "b", "window": 2, "transform": ["log", "difference"]}"#).unwrap();
    assert_eq!((s.target(), s.target_index(), s.context()), ("b", 1, 3));
    assert_eq!(s.feature_names(), ["a[t-1]", "b[t-1]", "a[t]", "b[t]"]);
    let json = serde_json::to_string(&s).unwrap();
    assert_eq!(json, r#"{"columns":["a","b"],"target":"b","window":2,"horizon":1,"transform":["log","difference"]}"#);
    assert_eq!(spec(&json).unwrap(), s);
}

#[test]
fn bad_specs_name_the_key() {
    for (json, want) in [
        (r#"{"window": 3}"#, "series.column"),
        (r#"{"column": "y", "columns": ["y"], "window": 3}"#, "not both"),
        (r#"{"columns": [], "window": 3}"#, "series.columns"),
        (r#"{"columns": ["a", "a"], "window": 3}"#, "twice"),
        (r#"{"column": "y", "target": "z", "window": 3}"#, "series.target"),
        (r#"{"column": "y", "window": 0}"#, "`window` must be ≥ 1"),
        (r#"{"column": "y", "window": 18446744073709551615}"#, "series.window"),
        (r#"{"columns": ["a", "b"], "window": 268435456}"#, "exceeds 268435456"),
        (r#"{"column": "y", "window": 3, "horizon": 0}"#, "series.horizon"),
        (r#"{"column": "y", "window": 3, "transform": ["difference", "log"]}"#, "series.transform"),
        (r#"{"column": "y", "window": 3, "transform": ["log", "log"]}"#, "series.transform"),
        (r#"{"column": "y", "window": 3, "transform": ["sqrt"]}"#, "unknown variant `sqrt`"),
        (r#"{"column": "y", "window": 3, "season": 0}"#, "series.season"),
        // window 3 + horizon 1 reach 3 rows back: a season of 4 has no value for the first window.
        (r#"{"column": "y", "window": 3, "season": 4}"#, "reach at most 3"),
        (r#"{"column": "y", "window": 3, "colour": 1}"#, "unknown field `colour`"),
    ] {
        let e = spec(json).unwrap_err();
        assert!(e.contains(want), "{json}: {e}");
    }
    // With difference the context is one row longer.
    assert!(spec(r#"{"column": "y", "window": 3, "season": 4, "transform": ["difference"]}"#).is_ok());
}

#[test]
fn windows_without_transform_are_the_raw_values() {
    let s = spec(r#"{"column": "y", "window": 3, "horizon": 2}"#).unwrap();
    let t = table(&s, &numbered(7)).unwrap();
    assert_eq!(t.time, Some(("month".to_string(), (0..7).map(|i| format!("m{i}")).collect())));
    assert_eq!(t.lines, [2, 3, 4, 5, 6, 7, 8]);
    let w = s.windows(&t, true).unwrap();
    // n − context − horizon + 1 = 7 − 3 − 2 + 1 windows, ending at rows 2, 3, 4.
    assert_eq!(w.origin, [2, 3, 4]);
    assert_eq!(w.x.row(0).to_vec(), [10.0, 20.0, 30.0]);
    assert_eq!(w.y.to_vec(), [50.0, 60.0, 70.0]);
    assert_eq!(s.actual(&t, &w), [50.0, 60.0, 70.0]);
    // For forecasting every window with context counts; the last two have no target.
    let f = s.windows(&t, false).unwrap();
    assert_eq!((f.origin.clone(), f.y.len()), (vec![2, 3, 4, 5, 6], 3));
    assert_eq!(s.invert_all(&[1.0, 2.0, 3.0, 4.0, 5.0], &f).unwrap(), [1.0, 2.0, 3.0, 4.0, 5.0]);
    assert!(s.invert_all(&[1.0], &f).is_err());
}

#[test]
fn transform_then_invert_returns_the_series() {
    for transform in [r#"[]"#, r#"["log"]"#, r#"["difference"]"#, r#"["log", "difference"]"#] {
        for horizon in [1, 3] {
            let s = spec(&format!(r#"{{"column": "y", "window": 4, "horizon": {horizon}, "transform": {transform}}}"#))
                .unwrap();
            let csv: String = std::iter::once("t,y\n".to_string())
                .chain((0..40).map(|i| format!("{i},{}\n", 100.0 + 50.0 * (i as f64 * 0.7).sin() + i as f64)))
                .collect();
            let t = table(&s, &csv).unwrap();
            let w = s.windows(&t, true).unwrap();
            assert_eq!(w.len(), 40 - s.context() - horizon + 1);
            let back = s.invert_all(&w.y.to_vec(), &w).unwrap();
            for (i, (b, a)) in back.iter().zip(s.actual(&t, &w)).enumerate() {
                assert!((b - a).abs() <= 1e-12 * a.abs(), "{transform} h {horizon} window {i}: {b} vs {a}");
            }
        }
    }
}

#[test]
fn chronological_split_keeps_order_and_context() {
    let s = spec(r#"{"column": "y", "window": 2, "transform": ["difference"]}"#).unwrap();
    let t = table(&s, &numbered(13)).unwrap();
    let w = s.windows(&t, true).unwrap();
    assert_eq!(w.len(), 10);
    let (train, val) = w.split_last(0.25).unwrap();
    // ceil(10 × 0.25) = 3 validation windows: the last three, in order.
    assert_eq!((train.len(), val.len()), (7, 3));
    assert_eq!(train.origin, (2..9).collect::<Vec<_>>());
    assert_eq!(val.origin, [9, 10, 11]);
    // The first validation window reads rows 7–9, the end of the training part's rows.
    assert_eq!(val.x.row(0).to_vec(), [10.0, 10.0]);
    // No validation target is a training target or input: training reaches row 9 at most.
    let last_train_target = train.origin.last().unwrap() + s.horizon();
    assert!(val.origin.iter().all(|&o| o + s.horizon() > last_train_target));
    assert_eq!(val.anchor, [100.0, 110.0, 120.0]);
    for bad in [0.0, 1.0, f64::NAN, 0.99] {
        assert!(w.split_last(bad).unwrap_err().to_string().contains("val_split"), "{bad}");
    }
    assert!(w.split_at(0).is_err() && w.split_at(10).is_err());
}

#[test]
fn seasonal_naive_looks_one_season_back() {
    let s = spec(r#"{"column": "y", "window": 3, "horizon": 1, "season": 2}"#).unwrap();
    let t = table(&s, &numbered(6)).unwrap();
    let w = s.windows(&t, true).unwrap();
    // Windows end at rows 2, 3, 4 and predict rows 3, 4, 5; a season of 2 gives rows 1, 2, 3.
    assert_eq!(s.seasonal_naive(&t, &w).unwrap(), [20.0, 30.0, 40.0]);
    // A horizon past the season looks back whole seasons: h = 3, season 2 → lag 4.
    let s = spec(r#"{"column": "y", "window": 3, "horizon": 3, "season": 2}"#).unwrap();
    let w = s.windows(&table(&s, &numbered(8)).unwrap(), true).unwrap();
    assert_eq!(s.seasonal_naive(&table(&s, &numbered(8)).unwrap(), &w).unwrap(), [20.0, 30.0, 40.0]);
    assert!(spec(r#"{"column": "y", "window": 3}"#).unwrap().seasonal_naive(&t, &w).is_none());
}

#[test]
fn scaler_has_one_set_of_parameters_per_series_column() {
    let s = spec(r#"{"columns": ["a", "b"], "window": 2}"#).unwrap();
    let t = table(&s, "a,b\n1,10\n2,20\n3,30\n4,40\n").unwrap();
    assert!(t.time.is_none());
    let w = s.windows(&t, true).unwrap();
    let scaler = s.fit_scaler(Scaling::MinMax, &w).unwrap();
    // Pooled over both steps: a spans 1…3, b 10…30.
    assert_eq!(scaler.offset(), [1.0, 10.0, 1.0, 10.0]);
    let z = scaler.transform(w.x.view()).unwrap();
    assert_eq!(z.row(0).to_vec(), [0.0, 0.0, 0.5, 0.5]);
}

#[test]
fn bad_tables_name_file_line_and_column() {
    let s = spec(r#"{"column": "y", "window": 3, "transform": ["log"]}"#).unwrap();
    for (csv, want) in [
        ("month,y\na,1\nb,0\n", "s.csv: line 3, column 2 (`y`): transform \"log\" needs every value > 0: `0`"),
        ("month,y\na,1\nb,\n", "line 3, column 2 (`y`): empty cell"),
        ("month,y\na,1\nb,NaN\n", "line 3, column 2 (`y`): not a finite number"),
        ("month,x\na,1\n", "s.csv: line 1: column `y` not found; available columns: month, x"),
        ("month,y\na,1,2\n", "line 2: expected 2 fields"),
        ("month,y\n", "no data rows"),
        ("", "file is empty"),
    ] {
        let e = table(&s, csv).unwrap_err().to_string();
        assert!(e.contains(want), "{csv:?}: {e}");
    }
    let t = table(&s, "month,y\na,1\nb,2\nc,3\n").unwrap();
    let e = s.windows(&t, true).unwrap_err().to_string();
    assert!(e.contains("s.csv: 3 data rows, but one window needs 4") && e.contains("`series.window` = 3"), "{e}");
    assert!(s.windows(&t, false).is_ok());
}
