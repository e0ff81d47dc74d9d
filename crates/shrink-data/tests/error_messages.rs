//! Data errors say where (issue 10, item 8): every error from a generated bad file names the
//! file and a 1-based line (and column where there is one), stays on one line, and echoes
//! user content only in capped form.

use std::path::{Path, PathBuf};

use ndarray::array;
use shrink_data::{read_csv, read_csv_columns, read_csv_features, Scaler, Scaling};

/// A scratch folder for one test, removed on drop.
struct Scratch(PathBuf);

impl Scratch {
    fn new(test: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("shrink-data-errors-{test}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Scratch(dir)
    }

    fn file(&self, name: &str, bytes: impl AsRef<[u8]>) -> PathBuf {
        let p = self.0.join(name);
        std::fs::write(&p, bytes).unwrap();
        p
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The error of reading `path` with target `y`, checked to start with the path and to be one
/// short line.
#[track_caller]
fn error(path: &Path) -> String {
    let e = read_csv(path, "y").expect_err("a bad file must be refused").to_string();
    assert!(e.starts_with(&path.display().to_string()), "no file name first: {e}");
    assert!(!e.contains('\n') && !e.contains('\r'), "not one line: {e}");
    assert!(e.chars().count() < 400, "message not capped ({} characters): {}", e.len(), &e[..400.min(e.len())]);
    e
}

#[test]
fn non_finite_cells_name_file_line_and_column() {
    let dir = Scratch::new("nonfinite");
    for (i, cell) in ["NaN", "nan", "inf", "-inf", "+Infinity", "1e400", "-1e400"].iter().enumerate() {
        let p = dir.file(&format!("bad{i}.csv"), format!("a,b,y\n1,2,0\n3,{cell},1\n"));
        let e = error(&p);
        assert!(e.contains("line 3, column 2 (`b`)"), "{e}");
        assert!(e.contains(&format!("`{cell}`")) && e.contains("not a finite number"), "{e}");
    }
    // The same cell through the other readers.
    let p = dir.file("features.csv", "a,b\n1,2\n\n3,NaN\n");
    let e = read_csv_features(&p).unwrap_err().to_string();
    assert!(e.contains("features.csv: line 4, column 2 (`b`): not a finite number: `NaN`"), "{e}");
    let e = read_csv_columns(&p, &["b".to_string()]).unwrap_err().to_string();
    assert!(e.contains("features.csv: line 4, column 2 (`b`)"), "{e}");
}

#[test]
fn a_two_megabyte_cell_is_summarized() {
    let dir = Scratch::new("bigcell");
    let cell = "z".repeat(2_000_000);
    let p = dir.file("big.csv", format!("a,y\n1,0\n{cell},1\n"));
    let e = error(&p);
    assert!(e.contains("line 3, column 1 (`a`): not a number"), "{e}");
    assert!(e.contains(&format!("`{}… (2000000 characters)`", "z".repeat(60))), "{e}");
}

#[test]
fn millions_of_characters_of_column_names_are_summarized() {
    let dir = Scratch::new("bigheader");
    // 1,000,000 names of 8-9 characters: about 8.9 million characters of header.
    let names: Vec<String> = (0..1_000_000).map(|i| format!("col{i:06}")).collect();
    let header = names.join(",");
    assert!(header.len() > 8_900_000);
    let p = dir.file("wide.csv", format!("{header}\n{}\n", vec!["1"; names.len()].join(",")));
    let e = error(&p);
    assert!(e.contains("line 1: target column `y` not found"), "{e}");
    assert!(e.contains("col000000, col000001") && e.contains("… and 999992 more"), "{e}");
    // One name of 3 million characters, twice.
    let long = "n".repeat(3_000_000);
    let p = dir.file("dup.csv", format!("{long},y,{long}\n1,2,3\n"));
    let e = error(&p);
    assert!(e.contains("line 1, column 3: duplicate column name") && e.contains("(3000000 characters)"), "{e}");
    assert!(e.contains("first seen in column 1"), "{e}");
    // A requested target of 1 MB is summarized too.
    let p = dir.file("small.csv", "a,b\n1,2\n");
    let e = read_csv(&p, &"t".repeat(1_000_000)).unwrap_err().to_string();
    assert!(e.len() < 300 && e.contains("(1000000 characters)"), "{e}");
}

#[test]
fn structural_errors_name_file_and_line() {
    let dir = Scratch::new("structure");
    let cases: [(&str, &[u8], &str); 10] = [
        ("empty.csv", b"", "file is empty"),
        ("header_only.csv", b"a,y\n", "no data rows after the header on line 1"),
        ("ragged.csv", b"a,y\n1,0\n2\n", "line 3: expected 2 fields like the header, found 1"),
        ("ragged_long.csv", b"a,y\r\n1,0\r\n\r\n2,1,3\r\n", "line 4: expected 2 fields like the header, found 3"),
        ("duplicate.csv", b"a,y,a\n1,0,1\n", "line 1, column 3: duplicate column name `a` (first seen in column 1)"),
        ("blank_name.csv", b"a,,y\n1,0,1\n", "line 1, column 2: empty column name"),
        ("utf8.csv", b"a,y\n1,0\n2,\xff\n", "line 3, column 2: not valid UTF-8 text"),
        ("quoted.csv", b"\"a\nb\",y\n1,0\n3,\"x\"\n", "line 4, column 2 (`y`): not a number: `x`"),
        ("quoted_newline.csv", b"a,y\n\"1\n2\",0\n", "line 2, column 1 (`a`): not a number: `1\\n2`"),
        ("only_target.csv", b"y\n1\n", "line 1: no feature columns besides the target `y`"),
    ];
    for (name, bytes, want) in cases {
        let p = dir.file(name, bytes);
        let e = error(&p);
        assert!(e.contains(want), "{name}: {e}");
    }
    // A BOM before the header is not part of the first name.
    let p = dir.file("bom.csv", "\u{feff}a,y\n1,0\n");
    assert_eq!(read_csv(&p, "y").unwrap().feature_names, ["a"]);
}

#[test]
fn scaler_positions_are_one_based() {
    let x = array![[1.0, 2.0], [3.0, f64::INFINITY]];
    let e = Scaler::fit(Scaling::Standard, x.view()).unwrap_err().to_string();
    assert_eq!(e, "row 2, column 2: non-finite value inf");
}
