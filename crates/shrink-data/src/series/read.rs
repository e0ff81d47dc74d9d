//! Reading a series from a CSV: the series columns as numbers (every cell checked, with file,
//! line and column), and the first other column as text, so that a forecast can say which
//! month or year it is for. Other columns may hold anything.

use std::path::{Path, PathBuf};

use ndarray::Array2;

use super::SeriesSpec;
use crate::csv_io::{bad_cell, column_positions, parse_cell, Records};
use crate::DataError;

/// The series of a CSV, in file order.
#[derive(Debug, Clone, PartialEq)]
pub struct SeriesTable {
    /// The file it came from (for messages).
    pub path: PathBuf,
    /// Raw values, one row per data row, one column per series column (spec order).
    pub values: Array2<f64>,
    /// The 1-based file line of each data row.
    pub lines: Vec<u64>,
    /// The first column that is not a series column (name and each row's text), e.g. `month`.
    pub time: Option<(String, Vec<String>)>,
}

impl SeriesTable {
    /// Data rows.
    pub fn len(&self) -> usize {
        self.values.nrows()
    }

    /// True when there are no rows (never for a table [`SeriesSpec::read_csv`] returns).
    pub fn is_empty(&self) -> bool {
        self.values.nrows() == 0
    }
}

impl SeriesSpec {
    /// Reads the series columns of `path` (see [`SeriesSpec::read_csv_bytes`]).
    pub fn read_csv(&self, path: &Path) -> Result<SeriesTable, DataError> {
        let bytes = std::fs::read(path).map_err(|source| DataError::Io { path: path.to_path_buf(), source })?;
        self.read_csv_bytes(&bytes, path)
    }

    /// Reads the series columns from CSV bytes (`name` stands for the file in messages): every
    /// series cell must be a finite number (and > 0 with `"log"`); a missing column, an empty
    /// cell or a `NaN` is an error naming the file, the line and the column.
    pub fn read_csv_bytes(&self, bytes: &[u8], name: &Path) -> Result<SeriesTable, DataError> {
        let path = name;
        let records = Records::open(bytes, path)?;
        let names = records.names.clone();
        let wanted = column_positions(path, &names, self.columns())?;
        let time_col = (0..names.len()).find(|j| !wanted.contains(j));
        let mut values = Vec::new();
        let mut row_lines = Vec::new();
        let mut time = Vec::new();
        for row in records {
            let (line, record) = row?;
            row_lines.push(line);
            for &j in &wanted {
                let cell = &record[j];
                let bad = |reason| bad_cell(path, line, j, &names, cell, reason);
                let v = parse_cell(cell).map_err(bad)?;
                if self.log() && v <= 0.0 {
                    return Err(bad("transform \"log\" needs every value > 0"));
                }
                values.push(v);
            }
            if let Some(j) = time_col {
                time.push(record[j].to_owned());
            }
        }
        if row_lines.is_empty() {
            return Err(DataError::NoRows { path: path.to_path_buf() });
        }
        let values = Array2::from_shape_vec((row_lines.len(), wanted.len()), values)
            .map_err(|e| DataError::Shape(e.to_string()))?;
        Ok(SeriesTable {
            path: path.to_path_buf(),
            values,
            lines: row_lines,
            time: time_col.map(|j| (names[j].clone(), time)),
        })
    }

    /// Refuses a table too short for one window: with `targets`, one that also has its target
    /// (`context + horizon` rows), else one to forecast from (`context` rows).
    pub fn check_length(&self, table: &SeriesTable, targets: bool) -> Result<(), DataError> {
        let needed = if targets { self.min_rows() } else { self.context() };
        if table.len() >= needed {
            return Ok(());
        }
        let mut why = format!("`series.window` = {}", self.window());
        if self.difference() {
            why += " + 1 for `difference`";
        }
        if targets {
            why += &format!(" + `series.horizon` = {} for the target", self.horizon());
        }
        Err(DataError::SeriesTooShort { path: table.path.clone(), rows: table.len(), needed, why })
    }
}
