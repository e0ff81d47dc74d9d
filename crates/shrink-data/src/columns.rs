//! Which columns of a table are inputs and how each is encoded: the spec keys `features`,
//! `ignore`, `categorical`, `handle_unknown` and `max_categories`, and the fitted
//! [`TableStage`] that turns a table's rows into the numeric inputs a network takes.

use std::collections::HashSet;
use std::path::Path;

use ndarray::Array2;
use serde::{Deserialize, Serialize};

use crate::clip::summarize_list;
use crate::onehot::{HandleUnknown, OneHotEncoder, DEFAULT_MAX_CATEGORIES};
use crate::table::{CellKind, ColumnData, TypedTable};
use crate::DataError;

/// The message of a non-numeric cell in a column read as numbers for training.
pub const NOT_A_NUMBER_HINT: &str =
    "not a number (list the column in `categorical` to one-hot encode it, or in `ignore` to leave it out)";

/// How to pick and encode a table's input columns (the spec keys of the same names).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ColumnOptions {
    /// The input columns, in this order; `None`: every column but the target and `ignore`.
    pub features: Option<Vec<String>>,
    /// Columns that are not inputs (ids, dates, notes).
    pub ignore: Vec<String>,
    /// Input columns to one-hot encode (text or integer categories).
    pub categorical: Vec<String>,
    /// What a category unseen in training becomes.
    pub handle_unknown: HandleUnknown,
    /// The most categories one column may have.
    pub max_categories: usize,
}

impl Default for ColumnOptions {
    fn default() -> Self {
        ColumnOptions {
            features: None,
            ignore: Vec::new(),
            categorical: Vec::new(),
            handle_unknown: HandleUnknown::Error,
            max_categories: DEFAULT_MAX_CATEGORIES,
        }
    }
}

fn first_duplicate(names: &[String]) -> Option<&String> {
    let mut seen = HashSet::new();
    names.iter().find(|n| !seen.insert(n.as_str()))
}

impl ColumnOptions {
    /// What can be checked without a file: `features` and `ignore` exclude each other, an
    /// empty `features`, a column both categorical and ignored, repeated names.
    pub fn validate(&self) -> Result<(), DataError> {
        let err = |key, message: String| Err(DataError::Columns { key, message });
        if self.features.is_some() && !self.ignore.is_empty() {
            return err("features", "give `features` (the inputs) or `ignore` (what is not an input), not both".into());
        }
        if self.features.as_ref().is_some_and(Vec::is_empty) {
            return err("features", "is empty: name at least one input column".into());
        }
        for (key, names) in [
            ("features", self.features.as_deref().unwrap_or(&[])),
            ("ignore", &self.ignore),
            ("categorical", &self.categorical),
        ] {
            if let Some(d) = first_duplicate(names) {
                return err(key, format!("names column `{}` twice", crate::summarize(d)));
            }
        }
        if let Some(c) = self.categorical.iter().find(|c| self.ignore.contains(c)) {
            return err(
                "categorical",
                format!("column `{}` is also in `ignore`; an ignored column is not encoded", crate::summarize(c)),
            );
        }
        if let Some(features) = &self.features {
            if let Some(c) = self.categorical.iter().find(|c| !features.contains(c)) {
                return err("categorical", format!("column `{}` is not in `features`", crate::summarize(c)));
            }
        }
        if self.max_categories == 0 {
            return err("max_categories", "must be ≥ 1, got 0".into());
        }
        Ok(())
    }

    /// The columns to read from a file with this `header` for training on `target`: the inputs
    /// (numbers, or text for categorical columns) in order, then the target as text.
    pub fn pick(&self, path: &Path, header: &[String], target: &str) -> Result<Vec<(usize, CellKind)>, DataError> {
        self.validate()?;
        let position = |key: &'static str, name: &String| {
            header.iter().position(|n| n == name).ok_or_else(|| DataError::UnknownColumn {
                path: path.to_path_buf(),
                key,
                column: name.clone(),
                available: summarize_list(header),
            })
        };
        for (key, names) in [
            ("features", self.features.as_deref().unwrap_or(&[])),
            ("ignore", &self.ignore),
            ("categorical", &self.categorical),
        ] {
            for name in names {
                position(key, name)?;
                if name == target {
                    return Err(DataError::TargetListed { path: path.to_path_buf(), key, target: target.to_owned() });
                }
            }
        }
        let t = header.iter().position(|n| n == target).ok_or_else(|| DataError::MissingTarget {
            path: path.to_path_buf(),
            target: target.to_owned(),
            available: summarize_list(header),
        })?;
        let inputs: Vec<usize> = match &self.features {
            Some(features) => features.iter().map(|f| position("features", f)).collect::<Result<_, _>>()?,
            None => (0..header.len()).filter(|&j| j != t && !self.ignore.contains(&header[j])).collect(),
        };
        if inputs.is_empty() {
            let key = if self.ignore.is_empty() { "features" } else { "ignore" };
            return Err(DataError::NoInputs { path: path.to_path_buf(), key, target: target.to_owned() });
        }
        let kind = |j: usize| if self.categorical.contains(&header[j]) { CellKind::Text } else { CellKind::Number };
        Ok(inputs.into_iter().map(|j| (j, kind(j))).chain([(t, CellKind::Text)]).collect())
    }
}

/// How one input column becomes network inputs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "encoding", rename_all = "snake_case", deny_unknown_fields)]
pub enum ColumnEncoding {
    /// The column's numbers, as one input.
    Numeric {
        /// The column's name.
        column: String,
    },
    /// One 0/1 input per fitted category.
    OneHot(OneHotEncoder),
}

impl ColumnEncoding {
    /// The table column it reads.
    pub fn column(&self) -> &str {
        match self {
            ColumnEncoding::Numeric { column } => column,
            ColumnEncoding::OneHot(e) => e.column(),
        }
    }

    /// The names of the inputs it produces.
    pub fn output_names(&self) -> Vec<String> {
        match self {
            ColumnEncoding::Numeric { column } => vec![column.clone()],
            ColumnEncoding::OneHot(e) => e.output_names(),
        }
    }

    fn width(&self) -> usize {
        match self {
            ColumnEncoding::Numeric { .. } => 1,
            ColumnEncoding::OneHot(e) => e.categories().len(),
        }
    }
}

/// The fitted input stage of a table: its input columns, in order, each with its encoding.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "RawTableStage")]
pub struct TableStage {
    columns: Vec<ColumnEncoding>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTableStage {
    columns: Vec<ColumnEncoding>,
}

impl TryFrom<RawTableStage> for TableStage {
    type Error = DataError;
    fn try_from(raw: RawTableStage) -> Result<Self, DataError> {
        let names: Vec<String> = raw.columns.iter().map(|c| c.column().to_owned()).collect();
        if names.is_empty() || names.iter().any(String::is_empty) {
            return Err(DataError::InvalidPipeline("the table stage needs named input columns".into()));
        }
        if let Some(d) = first_duplicate(&names) {
            return Err(DataError::InvalidPipeline(format!("input column `{}` appears twice", crate::summarize(d))));
        }
        Ok(TableStage { columns: raw.columns })
    }
}

impl TableStage {
    /// Numeric columns only (what model files before pipelines describe).
    pub fn numeric(columns: &[String]) -> Result<TableStage, DataError> {
        TableStage::try_from(RawTableStage {
            columns: columns.iter().map(|c| ColumnEncoding::Numeric { column: c.clone() }).collect(),
        })
    }

    /// Fits on the training rows of `table`, read with [`ColumnOptions::pick`]: every kept
    /// column but `target`, in the table's order.
    pub fn fit(table: &TypedTable, target: &str, options: &ColumnOptions) -> Result<TableStage, DataError> {
        let mut columns = Vec::new();
        for c in table.columns.iter().filter(|c| c.name != target) {
            columns.push(match &c.data {
                ColumnData::Numbers(_) => ColumnEncoding::Numeric { column: c.name.clone() },
                ColumnData::Text(values) => ColumnEncoding::OneHot(OneHotEncoder::fit(
                    &c.name,
                    values,
                    options.handle_unknown,
                    options.max_categories,
                    &table.path,
                )?),
            });
        }
        TableStage::try_from(RawTableStage { columns })
    }

    /// The encodings, in input order.
    pub fn columns(&self) -> &[ColumnEncoding] {
        &self.columns
    }

    /// The table columns to read for this stage, with how to read each.
    pub fn read_columns(&self) -> Vec<(String, CellKind)> {
        let kind = |c: &ColumnEncoding| match c {
            ColumnEncoding::Numeric { .. } => CellKind::Number,
            ColumnEncoding::OneHot(_) => CellKind::Text,
        };
        self.columns.iter().map(|c| (c.column().to_owned(), kind(c))).collect()
    }

    /// The names of the encoded inputs (`bill_length`, `island=Biscoe`, …).
    pub fn output_names(&self) -> Vec<String> {
        self.columns.iter().flat_map(ColumnEncoding::output_names).collect()
    }

    /// Number of encoded inputs.
    pub fn width(&self) -> usize {
        self.columns.iter().map(ColumnEncoding::width).sum()
    }

    /// For each encoded input, the index of the column that produces it.
    pub fn owners(&self) -> Vec<usize> {
        self.columns.iter().enumerate().flat_map(|(i, c)| std::iter::repeat_n(i, c.width())).collect()
    }

    /// The stage with only the columns `keep` (indices into [`TableStage::columns`]).
    pub fn select(&self, keep: &[usize]) -> Result<TableStage, DataError> {
        TableStage::try_from(RawTableStage {
            columns: keep.iter().filter_map(|&c| self.columns.get(c).cloned()).collect(),
        })
    }

    /// The encoded, unscaled inputs of every row of `table` (any column order; the columns
    /// this stage reads must be there, read as [`TableStage::read_columns`] says).
    pub fn transform(&self, table: &TypedTable) -> Result<Array2<f64>, DataError> {
        let (rows, width) = (table.nrows(), self.width());
        let mut out = vec![0.0; rows * width];
        let mut offset = 0;
        for c in &self.columns {
            let found = table.column(c.column()).ok_or_else(|| DataError::MissingColumn {
                path: table.path.clone(),
                column: c.column().to_owned(),
                available: summarize_list(&table.header),
            })?;
            match (c, &found.data) {
                (ColumnEncoding::Numeric { .. }, ColumnData::Numbers(values)) => {
                    values.iter().enumerate().for_each(|(r, &v)| out[r * width + offset] = v)
                }
                (ColumnEncoding::OneHot(e), ColumnData::Text(values)) => {
                    e.encode_into(values, &mut out, width, offset, (&table.path, &table.lines, found.number))?
                }
                _ => return Err(DataError::Shape(format!("column `{}` was read as the wrong kind", c.column()))),
            }
            offset += c.width();
        }
        Array2::from_shape_vec((rows, width), out).map_err(|e| DataError::Shape(e.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::table::parse_typed;

    const CSV: &[u8] = b"id,island,bill,year,species\n1,Dream,39.1,2007,Adelie\n2,Biscoe,46.5,2008,Gentoo\n";

    fn opts(features: Option<&[&str]>, ignore: &[&str], categorical: &[&str]) -> ColumnOptions {
        let v = |s: &[&str]| s.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        ColumnOptions {
            features: features.map(v),
            ignore: v(ignore),
            categorical: v(categorical),
            ..ColumnOptions::default()
        }
    }

    fn read(o: &ColumnOptions) -> Result<TypedTable, DataError> {
        parse_typed(CSV, Path::new("p.csv"), &|h| o.pick(Path::new("p.csv"), h, "species"), NOT_A_NUMBER_HINT)
    }

    #[test]
    fn ignore_and_categorical_encode_in_file_order() {
        let o = opts(None, &["id"], &["island", "year"]);
        let t = read(&o).unwrap();
        let stage = TableStage::fit(&t, "species", &o).unwrap();
        assert_eq!(stage.output_names(), ["island=Biscoe", "island=Dream", "bill", "year=2007", "year=2008"]);
        let x = stage.transform(&t).unwrap();
        assert_eq!(x.row(0).to_vec(), [0.0, 1.0, 39.1, 1.0, 0.0]);
        assert_eq!(stage.owners(), [0, 0, 1, 2, 2]);
        let json = serde_json::to_string(&stage).unwrap();
        assert_eq!(serde_json::from_str::<TableStage>(&json).unwrap(), stage);
    }

    #[test]
    fn features_pick_and_order() {
        let o = opts(Some(&["bill", "island"]), &[], &["island"]);
        let stage = TableStage::fit(&read(&o).unwrap(), "species", &o).unwrap();
        assert_eq!(stage.output_names(), ["bill", "island=Biscoe", "island=Dream"]);
    }

    #[test]
    fn bad_options_name_the_key() {
        let e = |o: ColumnOptions| read(&o).unwrap_err().to_string();
        assert!(e(opts(None, &[], &[]))
            .contains("line 2, column 2 (`island`): not a number (list the column in `categorical`"));
        assert!(e(opts(None, &["id", "nope"], &["island"])).contains(
            "p.csv: line 1: `ignore` names column `nope`, which is not in the file; available columns: id, island"
        ));
        assert!(e(opts(Some(&["bill", "species"]), &[], &[]))
            .contains("p.csv: `features` lists the target column `species`"));
        assert!(e(opts(Some(&["bill"]), &["id"], &[])).contains("features: give `features`"));
        assert!(e(opts(Some(&[]), &[], &[])).contains("features: is empty"));
        assert!(e(opts(None, &["island"], &["island"])).contains("categorical: column `island` is also in `ignore`"));
        assert!(e(opts(None, &["id", "island", "bill", "year"], &[]))
            .contains("p.csv: no input columns are left besides the target `species` (`ignore`"));
        let mut o = opts(None, &["id"], &["island", "year"]);
        o.max_categories = 1;
        let t = read(&o).unwrap();
        let e = TableStage::fit(&t, "species", &o).unwrap_err().to_string();
        assert!(e.contains("p.csv: column `island` has 2 categories, more than `max_categories` = 1"), "{e}");
    }
}
