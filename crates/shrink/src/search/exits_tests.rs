use super::*;

fn rec(alpha: f64, repeat: usize, mask: &str) -> TrialRecord {
    TrialRecord {
        alpha,
        repeat,
        fold: 0,
        seed: repeat as u64,
        score: 0.5,
        train_score: 0.5,
        kernel_l2: 1.0,
        zero_fraction: 0.0,
        inputs_used: Some(mask.bytes().filter(|&b| b == b'1').count()),
        input_mask: mask.to_string(),
        seconds: 0.0,
        l1_ratio: None,
        units: None,
        rung: None,
    }
}

fn score(alpha: f64) -> AlphaScore {
    AlphaScore {
        alpha,
        n: 2,
        mean: 0.5,
        se: 0.0,
        train_mean: 0.5,
        kernel_l2: 1.0,
        zero_fraction: 0.0,
        l1_ratio: None,
        units: None,
        rung: None,
    }
}

#[test]
fn rows_keep_inputs_used_in_half_the_trials_and_exits_sort_strongest_first() {
    let names: Vec<String> = ["a", "b,c", "d"].iter().map(|s| s.to_string()).collect();
    let records = [rec(1.0, 0, "010"), rec(1.0, 1, "000"), rec(0.1, 0, "110"), rec(0.1, 1, "011"), rec(0.01, 0, "111")];
    let rows = alpha_rows(&records, &[score(1.0), score(0.1), score(0.01)], &names, Some((0.1, None, None)));
    assert_eq!(rows[0].inputs_used, Some(0.5));
    assert_eq!(rows[0].inputs.as_deref(), Some(&["b,c".to_string()][..])); // 1 of 2 trials: half
    assert_eq!(rows[1].inputs.as_ref().unwrap().len(), 3);
    assert!(rows[1].chosen && !rows[0].chosen);
    let csv = alphas_csv(&rows);
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines[0], "alpha,score_mean,score_se,n,inputs_used,inputs,zero_fraction,kernel_l2,chosen");
    assert_eq!(lines[1], "1,0.5,0,2,0.5,\"b,c\",0,1,0");
    assert_eq!(lines[2], "0.1,0.5,0,2,2,\"a;b,c;d\",0,1,1");
    let exits = input_exits(&rows, &names);
    let order: Vec<(&str, Option<f64>)> = exits.iter().map(|e| (e.input.as_str(), e.last_alpha)).collect();
    assert_eq!(order, [("b,c", Some(1.0)), ("a", Some(0.1)), ("d", Some(0.1))]);
    // Extra grid keys lead.
    let mut keyed = rows.clone();
    keyed.iter_mut().for_each(|r| r.keys = vec![("l1_ratio".into(), "0.5".into())]);
    assert!(alphas_csv(&keyed).starts_with("l1_ratio,alpha,"));
    assert!(alphas_csv(&keyed).lines().nth(1).unwrap().starts_with("0.5,1,"));
}

#[test]
fn edge_warnings_suggest_the_next_range() {
    let grid = [0.1, 0.01, 0.001];
    let w = edge_warning(&grid, 0.001, None).unwrap();
    assert_eq!((w.edge, w.suggestion.as_str()), ("weakest", "--alphas 1e-1:1e-4"));
    let w = edge_warning(&grid, 0.1, None).unwrap();
    assert_eq!((w.edge, w.suggestion.as_str()), ("strongest", "--alphas 1e0:1e-3"));
    assert!(edge_warning(&grid, 0.01, None).is_none());
    assert!(edge_warning(&[0.1], 0.1, None).is_none());
    let w = edge_warning(&grid, 0.001, Some((1e-3, true))).unwrap();
    assert_eq!(w.suggestion, "--alpha-ratio 1e-4");
    let w = edge_warning(&grid, 0.1, Some((1e-3, true))).unwrap();
    assert!(w.suggestion.is_empty() && w.message.contains("alpha_max"), "{}", w.message);
}
