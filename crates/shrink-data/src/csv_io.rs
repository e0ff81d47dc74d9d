//! Numeric CSV tables in and out.
//!
//! Input is untrusted user data, so every cell is checked and any problem is reported with
//! file, line, column and the cell text rather than silently becoming NaN or a panic.
//! Output uses Rust's shortest round-trip float formatting so that a written dataset reads
//! back bit for bit.

use std::collections::HashMap;
use std::io::{self, Write};
use std::path::Path;

use ndarray::{Array1, Array2};

use crate::clip::summarize_list;
use crate::lines::LineCounter;
use crate::{DataError, Dataset};

/// Reads a CSV with a header row and splits off the column named `target` as `y`.
///
/// The remaining columns, in file order, become the features. Every cell must be a finite
/// number; whitespace around cells is ignored.
pub fn read_csv(path: &Path, target: &str) -> Result<Dataset, DataError> {
    let bytes = std::fs::read(path).map_err(|source| DataError::Io { path: path.to_path_buf(), source })?;
    read_csv_bytes(&bytes, path, target)
}

/// [`read_csv`] over bytes already in memory (e.g. a data set compiled into a program);
/// `name` stands for the file in error messages.
pub fn read_csv_bytes(bytes: &[u8], name: &Path, target: &str) -> Result<Dataset, DataError> {
    let path = name;
    let table = parse_table(bytes, path)?;
    let Some(t) = table.names.iter().position(|n| n == target) else {
        return Err(DataError::MissingTarget {
            path: path.to_path_buf(),
            target: target.to_owned(),
            available: summarize_list(&table.names),
        });
    };
    let ncols = table.names.len();
    if ncols == 1 {
        return Err(DataError::NoFeatures { path: path.to_path_buf(), target: target.to_owned() });
    }
    let nrows = table.nrows();
    let mut x = Vec::with_capacity(nrows * (ncols - 1));
    let mut y = Vec::with_capacity(nrows);
    for row in table.values.chunks_exact(ncols) {
        for (j, &v) in row.iter().enumerate() {
            if j == t {
                y.push(v);
            } else {
                x.push(v);
            }
        }
    }
    let mut names = table.names;
    let target_name = names.remove(t);
    let x = to_matrix(nrows, ncols - 1, x)?;
    Dataset::new(x, Array1::from(y), names, target_name)
}

/// Reads a CSV whose columns are all features (no target), e.g. inputs for prediction.
pub fn read_csv_features(path: &Path) -> Result<(Array2<f64>, Vec<String>), DataError> {
    let table = read_table(path)?;
    let nrows = table.nrows();
    let x = to_matrix(nrows, table.names.len(), table.values)?;
    Ok((x, table.names))
}

/// Reads only the columns named in `columns`, in that order: other columns may hold anything
/// (ids, text, an empty target), as when predicting from a table the model's inputs are part of.
pub fn read_csv_columns(path: &Path, columns: &[String]) -> Result<Array2<f64>, DataError> {
    if columns.is_empty() {
        return Err(DataError::InvalidParameter {
            name: "columns",
            value: "[]".into(),
            reason: "name at least one column".into(),
        });
    }
    let bytes = std::fs::read(path).map_err(|source| DataError::Io { path: path.to_path_buf(), source })?;
    let table = parse_columns(&bytes, path, Some(columns))?;
    to_matrix(table.nrows(), table.names.len(), table.values)
}

/// The 1-based file line of each data row of a CSV that [`read_csv`] accepts, so that a
/// problem found later in row `i` (say, a target outside its allowed values) can be reported
/// at the line a user will open.
pub fn csv_row_lines(path: &Path) -> Result<Vec<u64>, DataError> {
    Ok(read_table(path)?.lines)
}

/// Writes the header (features, then target) and one line per row.
///
/// Floats use Rust's `{}` formatting (shortest text that parses back to the same bits), so
/// labels come out as `0`/`1` and [`read_csv`] restores the data exactly.
pub fn write_csv<W: Write>(w: W, ds: &Dataset) -> io::Result<()> {
    if ds.feature_names.len() != ds.x.ncols() || ds.y.len() != ds.x.nrows() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!(
                "dataset shape is inconsistent: x is {}x{}, y has {} values, {} feature names",
                ds.x.nrows(),
                ds.x.ncols(),
                ds.y.len(),
                ds.feature_names.len()
            ),
        ));
    }
    let mut out = csv::Writer::from_writer(w);
    let mut header: Vec<&str> = ds.feature_names.iter().map(String::as_str).collect();
    header.push(&ds.target_name);
    out.write_record(&header)?;
    let mut fields: Vec<String> = Vec::with_capacity(ds.n_features() + 1);
    for (row, y) in ds.x.rows().into_iter().zip(ds.y.iter()) {
        fields.clear();
        fields.extend(row.iter().map(|v| format!("{v}")));
        fields.push(format!("{y}"));
        out.write_record(&fields)?;
    }
    out.flush()
}

/// Header names plus all cells, row-major; `values.len()` is a multiple of `names.len()`.
struct Table {
    names: Vec<String>,
    values: Vec<f64>,
    /// The 1-based file line of each data row (blank lines and quoted newlines counted).
    lines: Vec<u64>,
}

impl Table {
    fn nrows(&self) -> usize {
        // names is never empty: read_table rejects an empty header.
        self.values.len() / self.names.len()
    }
}

fn to_matrix(nrows: usize, ncols: usize, values: Vec<f64>) -> Result<Array2<f64>, DataError> {
    // Cannot fail: read_table checks every row's length; mapped rather than unwrapped anyway.
    Array2::from_shape_vec((nrows, ncols), values).map_err(|e| DataError::Shape(e.to_string()))
}

pub(crate) fn csv_error(path: &Path, lines: &mut LineCounter, e: &csv::Error) -> DataError {
    if let csv::ErrorKind::Utf8 { pos, err } = e.kind() {
        return DataError::Encoding {
            path: path.to_path_buf(),
            line: pos.as_ref().map_or(0, |p| lines.line_at(p.byte())),
            column: err.field() + 1,
        };
    }
    DataError::Csv {
        path: path.to_path_buf(),
        line: e.position().map_or(0, |p| lines.line_at(p.byte())),
        message: e.to_string(),
    }
}

/// A CSV in memory read row by row, as every reader here does: the header's checked names,
/// then each data row with its 1-based file line, refused when its width is not the header's.
pub(crate) struct Records<'b> {
    path: &'b Path,
    lines: LineCounter<'b>,
    records: csv::StringRecordsIntoIter<&'b [u8]>,
    /// The header's names (a BOM trimmed; empty and duplicate names refused).
    pub(crate) names: Vec<String>,
}

impl<'b> Records<'b> {
    /// Reads the header of `bytes` (`path` names the file in messages).
    pub(crate) fn open(bytes: &'b [u8], path: &'b Path) -> Result<Self, DataError> {
        let mut lines = LineCounter::new(bytes);
        let reader =
            csv::ReaderBuilder::new().has_headers(false).flexible(true).trim(csv::Trim::All).from_reader(bytes);
        let mut records = reader.into_records();
        let header = match records.next() {
            None => return Err(DataError::EmptyFile { path: path.to_path_buf() }),
            Some(r) => r.map_err(|e| csv_error(path, &mut lines, &e))?,
        };
        let names = parse_header(path, &header)?;
        Ok(Records { path, lines, records, names })
    }
}

impl Iterator for Records<'_> {
    type Item = Result<(u64, csv::StringRecord), DataError>;

    fn next(&mut self) -> Option<Self::Item> {
        let record = match self.records.next()? {
            Ok(r) => r,
            Err(e) => return Some(Err(csv_error(self.path, &mut self.lines, &e))),
        };
        let line = record.position().map_or(0, |p| self.lines.line_at(p.byte()));
        if record.len() != self.names.len() {
            return Some(Err(DataError::RaggedRow {
                path: self.path.to_path_buf(),
                line,
                expected: self.names.len(),
                found: record.len(),
            }));
        }
        Some(Ok((line, record)))
    }
}

fn read_table(path: &Path) -> Result<Table, DataError> {
    let bytes = std::fs::read(path).map_err(|source| DataError::Io { path: path.to_path_buf(), source })?;
    parse_table(&bytes, path)
}

fn parse_table(bytes: &[u8], path: &Path) -> Result<Table, DataError> {
    parse_columns(bytes, path, None)
}

/// Parses the header and the rows; with `pick`, only those columns (in that order) are parsed
/// and kept, and the others may hold anything.
fn parse_columns(bytes: &[u8], path: &Path, pick: Option<&[String]>) -> Result<Table, DataError> {
    let records = Records::open(bytes, path)?;
    let names = records.names.clone();
    let wanted: Vec<usize> = match pick {
        None => (0..names.len()).collect(),
        Some(columns) => column_positions(path, &names, columns)?,
    };

    let mut values = Vec::new();
    let mut row_lines = Vec::new();
    for row in records {
        let (line, record) = row?;
        row_lines.push(line);
        // j < record.len() = names.len(): `Records` checks every row's width.
        for &j in &wanted {
            let cell = &record[j];
            values.push(parse_cell(cell).map_err(|reason| bad_cell(path, line, j, &names, cell, reason))?);
        }
    }
    if values.is_empty() {
        return Err(DataError::NoRows { path: path.to_path_buf() });
    }
    let names = wanted.iter().map(|&j| names[j].clone()).collect();
    Ok(Table { names, values, lines: row_lines })
}

/// Where each of `columns` is among the header's `names`, or the error naming the first missing.
pub(crate) fn column_positions(path: &Path, names: &[String], columns: &[String]) -> Result<Vec<usize>, DataError> {
    columns
        .iter()
        .map(|c| {
            names.iter().position(|n| n == c).ok_or_else(|| DataError::MissingColumn {
                path: path.to_path_buf(),
                column: c.clone(),
                available: summarize_list(names),
            })
        })
        .collect()
}

/// The error of `cell`, in column `j` (0-based) of line `line`: not a number for `reason`.
pub(crate) fn bad_cell(
    path: &Path,
    line: u64,
    j: usize,
    names: &[String],
    cell: &str,
    reason: &'static str,
) -> DataError {
    DataError::BadCell {
        path: path.to_path_buf(),
        line,
        column: j + 1,
        name: names[j].clone(),
        value: cell.to_owned(),
        reason,
    }
}

pub(crate) fn parse_header(path: &Path, header: &csv::StringRecord) -> Result<Vec<String>, DataError> {
    let mut names = Vec::with_capacity(header.len());
    let mut seen: HashMap<String, usize> = HashMap::new();
    for (j, raw) in header.iter().enumerate() {
        // Spreadsheet exports often start with a UTF-8 byte-order mark the parser keeps.
        let name = if j == 0 { raw.trim_start_matches('\u{feff}').trim() } else { raw };
        if name.is_empty() {
            return Err(DataError::EmptyColumnName { path: path.to_path_buf(), column: j + 1 });
        }
        if let Some(&first) = seen.get(name) {
            return Err(DataError::DuplicateColumn {
                path: path.to_path_buf(),
                column: j + 1,
                first,
                name: name.to_owned(),
            });
        }
        seen.insert(name.to_owned(), j + 1);
        names.push(name.to_owned());
    }
    Ok(names)
}

pub(crate) fn parse_cell(cell: &str) -> Result<f64, &'static str> {
    if cell.is_empty() {
        return Err("empty cell");
    }
    let v: f64 = cell.parse().map_err(|_| "not a number")?;
    if v.is_finite() {
        Ok(v)
    } else {
        Err("not a finite number")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;
    use std::path::PathBuf;
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// A CSV file in the temp dir that is removed when dropped.
    struct TempCsv(PathBuf);

    impl TempCsv {
        fn new(contents: &str) -> Self {
            static COUNTER: AtomicUsize = AtomicUsize::new(0);
            let n = COUNTER.fetch_add(1, Ordering::Relaxed);
            let path = std::env::temp_dir().join(format!("shrink-data-test-{}-{n}.csv", std::process::id()));
            std::fs::write(&path, contents).unwrap();
            Self(path)
        }
    }

    impl Drop for TempCsv {
        fn drop(&mut self) {
            let _ = std::fs::remove_file(&self.0);
        }
    }

    fn err(contents: &str, target: &str) -> String {
        let f = TempCsv::new(contents);
        let e = read_csv(&f.0, target).unwrap_err().to_string();
        assert!(e.contains(&f.0.display().to_string()), "no path in: {e}");
        e
    }

    #[test]
    fn row_lines_count_blank_lines() {
        let path = std::env::temp_dir().join(format!("shrink-data-row-lines-{}.csv", std::process::id()));
        std::fs::write(&path, "a,y\n1,0\n\n2,1\n3,0\n").unwrap();
        assert_eq!(csv_row_lines(&path).unwrap(), [2, 4, 5]);
        std::fs::remove_file(&path).unwrap();
    }

    #[test]
    fn reads_target_anywhere_and_trims() {
        let f = TempCsv::new("a, label ,b\n 1.5 ,0, -2\n3,1,4e1\n");
        let ds = read_csv(&f.0, "label").unwrap();
        assert_eq!(ds.feature_names, vec!["a", "b"]);
        assert_eq!(ds.target_name, "label");
        assert_eq!(ds.x, array![[1.5, -2.0], [3.0, 40.0]]);
        assert_eq!(ds.y, array![0.0, 1.0]);
    }

    #[test]
    fn reads_features_only() {
        let f = TempCsv::new("\u{feff}p,q\n1,2\n\n3,4\n");
        let (x, names) = read_csv_features(&f.0).unwrap();
        assert_eq!(names, vec!["p", "q"]);
        assert_eq!(x, array![[1.0, 2.0], [3.0, 4.0]]);
    }

    #[test]
    fn write_then_read_round_trips_exactly() {
        let ds = crate::moons(25, 0.3, 4).unwrap();
        let mut buf = Vec::new();
        write_csv(&mut buf, &ds).unwrap();
        let text = String::from_utf8(buf).unwrap();
        assert!(text.starts_with("x0,x1,y\n"));
        let first = text.lines().nth(1).unwrap();
        assert!(first.ends_with(",0") || first.ends_with(",1"), "{first}");
        let f = TempCsv::new(&text);
        assert_eq!(read_csv(&f.0, "y").unwrap(), ds);
    }

    #[test]
    fn write_formats_like_fixture() {
        let ds = Dataset::new(
            array![[1.366982377748571, -0.23541583828163382]],
            array![1.0],
            vec!["x0".into(), "x1".into()],
            "y",
        )
        .unwrap();
        let mut buf = Vec::new();
        write_csv(&mut buf, &ds).unwrap();
        assert_eq!(String::from_utf8(buf).unwrap(), "x0,x1,y\n1.366982377748571,-0.23541583828163382,1\n");
    }

    #[test]
    fn write_rejects_inconsistent_dataset() {
        let mut ds = crate::moons(3, 0.0, 0).unwrap();
        ds.feature_names.pop();
        assert!(write_csv(Vec::new(), &ds).is_err());
    }

    #[test]
    fn missing_file() {
        let path = std::env::temp_dir().join("shrink-data-test-does-not-exist.csv");
        let e = read_csv(&path, "y").unwrap_err().to_string();
        assert!(e.contains("does-not-exist.csv") && e.contains("cannot read"), "{e}");
    }

    #[test]
    fn empty_and_header_only() {
        assert!(err("", "y").contains("file is empty"));
        assert!(err("a,y\n", "y").contains("no data rows"));
        assert!(err("a,y\n\n\n", "y").contains("no data rows"));
    }

    #[test]
    fn bad_header() {
        let e = err("a,b,a\n1,2,3\n", "b");
        assert!(e.contains("line 1, column 3") && e.contains("`a`") && e.contains("column 1"));
        let e = err("a,,b\n1,2,3\n", "b");
        assert!(e.contains("line 1, column 2: empty column name"), "{e}");
    }

    #[test]
    fn missing_target_lists_columns() {
        let e = err("a,b\n1,2\n", "y");
        assert!(e.contains("`y` not found") && e.contains("a, b"), "{e}");
    }

    #[test]
    fn target_only_has_no_features() {
        assert!(err("y\n1\n", "y").contains("no feature columns"));
    }

    #[test]
    fn ragged_rows_name_line() {
        let e = err("a,y\n1,2\n3\n", "y");
        assert!(e.contains("line 3: expected 2 fields") && e.contains("found 1"), "{e}");
        let e = err("a,y\n1,2\n3,4,5\n", "y");
        assert!(e.contains("line 3") && e.contains("found 3"), "{e}");
    }

    #[test]
    fn bad_cells_name_line_column_and_text() {
        let e = err("a,y\n1,2\n3,abc\n", "y");
        assert!(e.contains("line 3, column 2 (`y`)") && e.contains("`abc`"), "{e}");
        assert!(e.contains("not a number"), "{e}");
        let e = err("a,y\n1,2\n , 4\n", "y");
        assert!(e.contains("line 3, column 1 (`a`): empty cell"), "{e}");
        for bad in ["NaN", "nan", "inf", "-inf", "Infinity", "1e999"] {
            let e = err(&format!("a,y\n{bad},1\n"), "y");
            assert!(e.contains("line 2, column 1 (`a`)") && e.contains(bad), "{e}");
            assert!(e.contains("not a finite number") || e.contains("not a number"));
        }
    }

    #[test]
    fn line_numbers_count_skipped_blank_lines() {
        let e = err("a,y\n\n1,2\n\nx,1\n", "y");
        assert!(e.contains("line 5, column 1"), "{e}");
        let e = err("a,y\r\n\r\n1,2\r\n\r\n\r\nx,1\r\n", "y");
        assert!(e.contains("line 6, column 1"), "{e}");
        let e = err("a,y\r1,2\r\r3,", "y");
        assert!(e.contains("line 4, column 2 (`y`): empty cell"), "{e}");
    }

    #[test]
    fn quoted_newlines_advance_line_numbers() {
        let e = err("\"a\nb\",y\n1,2\n3,\"\n\"\n", "y");
        assert!(e.contains("line 4, column 2"), "{e}");
    }

    #[test]
    fn invalid_utf8_is_reported() {
        let f = TempCsv::new("a,y\n1,2\n");
        std::fs::write(&f.0, b"a,y\n1,\xff\n").unwrap();
        let e = read_csv(&f.0, "y").unwrap_err().to_string();
        assert!(e.contains("line 2") || e.contains("malformed CSV"), "{e}");
    }

    #[test]
    fn features_reader_errors_too() {
        let f = TempCsv::new("a,b\n1,oops\n");
        let e = read_csv_features(&f.0).unwrap_err().to_string();
        assert!(e.contains("line 2, column 2 (`b`)") && e.contains("oops"), "{e}");
    }
}
