//! Tables whose columns are not all numbers: numeric cells parsed as today, the text of
//! categorical and target cells kept, every other column skipped unread.
//!
//! Which columns to keep depends on the header (a spec's `ignore` list means "everything
//! else"), so the caller decides from the header names through a closure; the rows are then
//! read once. Keeping text only where it is needed keeps a wide numeric table as compact as
//! [`crate::read_csv`] keeps it.

use std::path::{Path, PathBuf};

use crate::csv_io::{parse_cell, Records};
use crate::DataError;

/// How a kept column is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CellKind {
    /// Finite numbers; anything else is an error naming the cell.
    Number,
    /// The trimmed text of each cell, as is (categorical columns, targets).
    Text,
}

/// One kept column.
#[derive(Debug, Clone, PartialEq)]
pub enum ColumnData {
    /// Parsed numbers, one per row.
    Numbers(Vec<f64>),
    /// Cell texts, one per row.
    Text(Vec<String>),
}

impl ColumnData {
    fn select(&self, rows: &[usize]) -> ColumnData {
        match self {
            ColumnData::Numbers(v) => ColumnData::Numbers(rows.iter().map(|&r| v[r]).collect()),
            ColumnData::Text(v) => ColumnData::Text(rows.iter().map(|&r| v[r].clone()).collect()),
        }
    }
}

/// A kept column with where it came from.
#[derive(Debug, Clone, PartialEq)]
pub struct Column {
    /// Header name.
    pub name: String,
    /// 1-based column number in the file.
    pub number: usize,
    /// The cells.
    pub data: ColumnData,
}

/// The kept columns of a CSV, in the order the caller asked for them.
#[derive(Debug, Clone, PartialEq)]
pub struct TypedTable {
    /// The file, for messages.
    pub path: PathBuf,
    /// Every header name of the file, in file order.
    pub header: Vec<String>,
    /// The kept columns.
    pub columns: Vec<Column>,
    /// The 1-based file line of each row.
    pub lines: Vec<u64>,
}

impl TypedTable {
    /// Number of rows.
    pub fn nrows(&self) -> usize {
        self.lines.len()
    }

    /// The kept column called `name`.
    pub fn column(&self, name: &str) -> Option<&Column> {
        self.columns.iter().find(|c| c.name == name)
    }

    /// These rows, in this order (indices from code: a split's permutation).
    ///
    /// # Panics
    /// If an index is `>= self.nrows()`.
    pub fn select_rows(&self, rows: &[usize]) -> TypedTable {
        TypedTable {
            path: self.path.clone(),
            header: self.header.clone(),
            columns: self
                .columns
                .iter()
                .map(|c| Column { name: c.name.clone(), number: c.number, data: c.data.select(rows) })
                .collect(),
            lines: rows.iter().map(|&r| self.lines[r]).collect(),
        }
    }
}

/// Chooses the columns to keep from the header names: 0-based indices with how to read each.
pub type Pick<'a> = &'a dyn Fn(&[String]) -> Result<Vec<(usize, CellKind)>, DataError>;

/// Reads the CSV at `path`, keeping the columns `pick` chooses from the header names (as
/// 0-based indices with how to read each; every other column may hold anything).
/// `hint` is added to the message of a cell that is not a number.
pub fn read_typed(path: &Path, pick: Pick<'_>, hint: &'static str) -> Result<TypedTable, DataError> {
    let bytes = std::fs::read(path).map_err(|source| DataError::Io { path: path.to_path_buf(), source })?;
    parse_typed(&bytes, path, pick, hint)
}

/// [`read_typed`] over bytes in memory; `path` names them in messages.
pub fn parse_typed(bytes: &[u8], path: &Path, pick: Pick<'_>, hint: &'static str) -> Result<TypedTable, DataError> {
    let records = Records::open(bytes, path)?;
    let names = records.names.clone();
    let wanted = pick(&names)?;
    let mut columns: Vec<Column> = wanted
        .iter()
        .map(|&(j, kind)| Column {
            name: names[j].clone(),
            number: j + 1,
            data: match kind {
                CellKind::Number => ColumnData::Numbers(Vec::new()),
                CellKind::Text => ColumnData::Text(Vec::new()),
            },
        })
        .collect();
    let mut row_lines = Vec::new();
    for row in records {
        let (line, record) = row?;
        row_lines.push(line);
        for column in &mut columns {
            // number - 1 < record.len() = names.len(): `Records` checks every row's width.
            let cell = &record[column.number - 1];
            match &mut column.data {
                ColumnData::Numbers(values) => values.push(parse_cell(cell).map_err(|reason| DataError::BadCell {
                    path: path.to_path_buf(),
                    line,
                    column: column.number,
                    name: column.name.clone(),
                    value: cell.to_owned(),
                    reason: if reason == "not a number" && !hint.is_empty() { hint } else { reason },
                })?),
                ColumnData::Text(values) => {
                    if cell.is_empty() {
                        return Err(DataError::BadCell {
                            path: path.to_path_buf(),
                            line,
                            column: column.number,
                            name: column.name.clone(),
                            value: String::new(),
                            reason: "empty cell",
                        });
                    }
                    values.push(cell.to_owned())
                }
            }
        }
    }
    if row_lines.is_empty() {
        return Err(DataError::NoRows { path: path.to_path_buf() });
    }
    Ok(TypedTable { path: path.to_path_buf(), header: names, columns, lines: row_lines })
}

/// Picks `names` (numbers or text) from a header, or says which one is missing and what the
/// file has.
pub fn pick_by_name(
    path: &Path,
    header: &[String],
    wanted: &[(String, CellKind)],
) -> Result<Vec<(usize, CellKind)>, DataError> {
    wanted
        .iter()
        .map(|(name, kind)| {
            header.iter().position(|n| n == name).map(|j| (j, *kind)).ok_or_else(|| DataError::MissingColumn {
                path: path.to_path_buf(),
                column: name.clone(),
                available: crate::summarize_list(header),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pick_all_text(names: &[String]) -> Result<Vec<(usize, CellKind)>, DataError> {
        Ok((0..names.len()).map(|j| (j, if j == 0 { CellKind::Number } else { CellKind::Text })).collect())
    }

    #[test]
    fn keeps_text_and_numbers_and_lines() {
        let t =
            parse_typed(b"\xef\xbb\xbfa,b\r\n1, x \r\n\r\n2,y\r\n", Path::new("t.csv"), &pick_all_text, "").unwrap();
        assert_eq!(t.header, ["a", "b"]);
        assert_eq!(t.columns[0].data, ColumnData::Numbers(vec![1.0, 2.0]));
        assert_eq!(t.columns[1].data, ColumnData::Text(vec!["x".into(), "y".into()]));
        assert_eq!(t.lines, [2, 4]);
        let s = t.select_rows(&[1, 1]);
        assert_eq!(s.lines, [4, 4]);
        assert_eq!(s.columns[1].data, ColumnData::Text(vec!["y".into(), "y".into()]));
    }

    #[test]
    fn skipped_columns_may_hold_anything_and_hints_join_number_errors() {
        let pick = |_: &[String]| Ok(vec![(1, CellKind::Number)]);
        let t = parse_typed(b"id,v\nabc,1\n,2\n", Path::new("t.csv"), &pick, "").unwrap();
        assert_eq!(t.columns[0].data, ColumnData::Numbers(vec![1.0, 2.0]));
        let e = parse_typed(b"id,v\nabc,1\nq,Dream\n", Path::new("t.csv"), &pick, "not a number (HINT)")
            .unwrap_err()
            .to_string();
        assert!(e.contains("t.csv: line 3, column 2 (`v`): not a number (HINT): `Dream`"), "{e}");
        let e = parse_typed(b"id,v\nabc,\n", Path::new("t.csv"), &pick, "HINT").unwrap_err().to_string();
        assert!(e.contains("empty cell") && !e.contains("HINT"), "{e}");
    }

    #[test]
    fn empty_text_cells_and_missing_names_are_errors() {
        let e = parse_typed(b"a,b\n1,\n", Path::new("t.csv"), &pick_all_text, "").unwrap_err().to_string();
        assert!(e.contains("line 2, column 2 (`b`): empty cell"), "{e}");
        let header = vec!["a".to_string(), "b".into()];
        let e = pick_by_name(Path::new("t.csv"), &header, &[("c".into(), CellKind::Text)]).unwrap_err().to_string();
        assert!(e.contains("column `c` not found; available columns: a, b"), "{e}");
    }
}
