//! Tables as the CLI prints them to the terminal and into Markdown reports.

use shrink_report::{format_mean_sd, Table};

fn results() -> Table {
    let mut t = Table::new(["penalty", "alpha", "test acc"]);
    t.push_row(["none", "0", &format_mean_sd(0.9137, 0.0123, 3)]);
    t.push_row(["L2", "1e-3", &format_mean_sd(0.93, 0.004, 3)]);
    t.push_row(["elastic net", "1e-4", &format_mean_sd(0.925, 0.01, 3)]);
    t
}

#[test]
fn mean_sd_formatting() {
    assert_eq!(format_mean_sd(0.9137, 0.0123, 3), "0.914 ± 0.012");
    assert_eq!(format_mean_sd(12.0, 0.5, 0), "12 ± 0");
    assert_eq!(format_mean_sd(f64::NAN, 0.1, 2), "NaN ± 0.10");
}

#[test]
fn display_aligns_text_left_and_numbers_right() {
    let text = results().to_string();
    let expected = "\
penalty      alpha       test acc
-----------  -----  -------------
none             0  0.914 ± 0.012
L2            1e-3  0.930 ± 0.004
elastic net   1e-4  0.925 ± 0.010
";
    assert_eq!(text, expected);
}

#[test]
fn markdown_marks_numeric_columns() {
    let md = results().to_markdown();
    let lines: Vec<&str> = md.lines().collect();
    assert_eq!(lines[0], "| penalty     | alpha |      test acc |");
    assert_eq!(lines[1], "| ----------- | ----: | ------------: |");
    assert_eq!(lines[2], "| none        |     0 | 0.914 ± 0.012 |");
    assert_eq!(lines.len(), 5);
}

#[test]
fn ragged_rows_and_pipes_do_not_break_the_table() {
    let mut t = Table::new(["a", "b"]);
    t.push_row(["x|y"]);
    t.push_row(["1", "2", "extra"]);
    let text = t.to_string();
    assert_eq!(text.lines().count(), 4);
    assert!(text.contains("extra"));
    let md = t.to_markdown();
    assert!(md.contains("x\\|y"));
    assert!(md.lines().all(|l| l.matches(" |").count() == 3), "{md}");
    assert_eq!(Table::default().to_string(), "\n\n");
}
