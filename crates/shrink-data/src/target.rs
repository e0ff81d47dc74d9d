//! The target column: numbers for regression (optionally scaled, `target_scaling`), classes for
//! classification. Text targets (`species = "Adelie"`) get their classes sorted from the
//! training rows; numeric targets keep today's labels (0/1 for binary, 0…k−1 for several
//! classes) and get classes too, so that predictions can print the label a user wrote.

use ndarray::{Array1, ArrayView1};
use serde::{Deserialize, Serialize};

use crate::clip::summarize_list;
use crate::table::{ColumnData, TypedTable};
use crate::{DataError, Scaler, Scaling};

/// The most classes a stored target may have: a corrupt file cannot ask for more.
const MAX_STORED_CLASSES: usize = 1 << 20;

/// What the target is for, as the loss says.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum TargetTask {
    /// Regression on the values, scaled with this fitted on the training rows.
    Regression(Scaling),
    /// Two classes (one sigmoid output).
    Binary,
    /// `outputs` classes (softmax).
    Categorical(usize),
}

/// How target cells become the numbers the loss takes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum TargetEncoding {
    /// Regression values through a one-column scaler (kind `none` when unscaled); the model
    /// predicts scaled values, which the scaler maps back to the target's units.
    Values {
        /// The target scaler.
        scaler: Scaler,
    },
    /// Numeric class labels: the cell's number is the class index (`classes[i]` is `i`).
    Labels {
        /// The labels as text, `["0", "1", …]`.
        classes: Vec<String>,
    },
    /// Text classes: the index of the cell's text in the sorted `classes`.
    Classes {
        /// The sorted class names fitted on the training rows.
        classes: Vec<String>,
    },
}

/// The fitted target stage: the column's name and its encoding.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "RawTarget")]
pub struct TargetStage {
    name: String,
    encoding: TargetEncoding,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTarget {
    name: String,
    encoding: TargetEncoding,
}

impl TryFrom<RawTarget> for TargetStage {
    type Error = DataError;
    fn try_from(raw: RawTarget) -> Result<Self, DataError> {
        let bad = |why: &str| Err(DataError::InvalidPipeline(format!("target: {why}")));
        match &raw.encoding {
            TargetEncoding::Values { scaler } if scaler.n_features() != 1 => {
                return bad("the target scaler must have one column")
            }
            TargetEncoding::Labels { classes } | TargetEncoding::Classes { classes } => {
                if classes.len() < 2 || classes.len() > MAX_STORED_CLASSES {
                    return bad("2 to 2^20 classes are needed");
                }
                let mut sorted = classes.clone();
                sorted.sort();
                sorted.dedup();
                let labels = matches!(raw.encoding, TargetEncoding::Labels { .. });
                let in_order = if labels {
                    classes.iter().enumerate().all(|(i, c)| *c == i.to_string())
                } else {
                    sorted == *classes
                };
                if !in_order {
                    return bad("classes must be distinct and sorted (labels 0…k−1)");
                }
            }
            TargetEncoding::Values { .. } => {}
        }
        Ok(TargetStage { name: raw.name, encoding: raw.encoding })
    }
}

fn numbers(table: &TypedTable, name: &str) -> Result<Vec<f64>, DataError> {
    let column = table.column(name).ok_or_else(|| DataError::MissingTarget {
        path: table.path.clone(),
        target: name.to_owned(),
        available: summarize_list(&table.header),
    })?;
    match &column.data {
        ColumnData::Numbers(v) => Ok(v.clone()),
        ColumnData::Text(cells) => cells
            .iter()
            .zip(&table.lines)
            .map(|(cell, &line)| {
                crate::csv_io::parse_cell(cell).map_err(|reason| DataError::BadCell {
                    path: table.path.clone(),
                    line,
                    column: column.number,
                    name: name.to_owned(),
                    value: cell.clone(),
                    reason,
                })
            })
            .collect(),
    }
}

fn texts<'t>(table: &'t TypedTable, name: &str) -> Result<(&'t [String], usize), DataError> {
    match table.column(name) {
        Some(c) => match &c.data {
            ColumnData::Text(v) => Ok((v, c.number)),
            ColumnData::Numbers(_) => Err(DataError::Shape(format!("target `{name}` was read as numbers"))),
        },
        None => Err(DataError::MissingTarget {
            path: table.path.clone(),
            target: name.to_owned(),
            available: summarize_list(&table.header),
        }),
    }
}

impl TargetStage {
    /// A target as model files before pipelines stored it: the name and what the loss implies.
    pub fn legacy(name: &str, task: TargetTask) -> TargetStage {
        let labels = |k: usize| TargetEncoding::Labels { classes: (0..k).map(|i| i.to_string()).collect() };
        let encoding = match task {
            TargetTask::Regression(_) => TargetEncoding::Values { scaler: Scaler::identity(1) },
            TargetTask::Binary => labels(2),
            TargetTask::Categorical(k) => labels(k.max(2)),
        };
        TargetStage { name: name.to_owned(), encoding }
    }

    /// Fits on the training rows' target column (read as text).
    pub fn fit(table: &TypedTable, name: &str, task: TargetTask) -> Result<TargetStage, DataError> {
        let classes_for = |k: usize| -> Result<TargetEncoding, DataError> {
            let (cells, _) = texts(table, name)?;
            if cells.iter().all(|c| crate::csv_io::parse_cell(c).is_ok()) {
                // Numbers keep their meaning as labels; the loss checks they are 0…k−1.
                return Ok(TargetEncoding::Labels { classes: (0..k).map(|i| i.to_string()).collect() });
            }
            let mut classes: Vec<String> = cells.to_vec();
            classes.sort();
            classes.dedup();
            if classes.len() != k {
                let units = if k == 2 {
                    "binary_crossentropy takes 2 classes".to_string()
                } else {
                    format!("the last layer has {k} softmax units")
                };
                return Err(DataError::Classes {
                    path: table.path.clone(),
                    target: name.to_owned(),
                    message: format!(
                        "the training rows hold {} classes ({}), but {units}",
                        classes.len(),
                        summarize_list(&classes)
                    ),
                });
            }
            Ok(TargetEncoding::Classes { classes })
        };
        let encoding = match task {
            TargetTask::Regression(scaling) => {
                let y = Array1::from(numbers(table, name)?);
                TargetEncoding::Values { scaler: Scaler::fit_column(scaling, y.view())? }
            }
            TargetTask::Binary => classes_for(2)?,
            TargetTask::Categorical(k) => classes_for(k)?,
        };
        Ok(TargetStage { name: name.to_owned(), encoding })
    }

    /// A regression target with this (one-column) target scaler.
    pub fn with_scaler(self, scaler: Scaler) -> Result<TargetStage, DataError> {
        match self.encoding {
            TargetEncoding::Values { .. } if scaler.n_features() == 1 => {
                Ok(TargetStage { name: self.name, encoding: TargetEncoding::Values { scaler } })
            }
            _ => Err(DataError::InvalidPipeline("a target scaler needs a one-column regression target".into())),
        }
    }

    /// The target column's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The encoding.
    pub fn encoding(&self) -> &TargetEncoding {
        &self.encoding
    }

    /// The class names, for classification.
    pub fn classes(&self) -> Option<&[String]> {
        match &self.encoding {
            TargetEncoding::Values { .. } => None,
            TargetEncoding::Labels { classes } | TargetEncoding::Classes { classes } => Some(classes),
        }
    }

    /// The target scaler of a regression target whose scaling is not `none`.
    pub fn scaler(&self) -> Option<&Scaler> {
        match &self.encoding {
            TargetEncoding::Values { scaler } if scaler.kind() != Scaling::None => Some(scaler),
            _ => None,
        }
    }

    /// The target of every row of `table`, unscaled: the value (regression), the label's
    /// number, or the index of a text class (an unknown class is an error at its line).
    pub fn values(&self, table: &TypedTable) -> Result<Array1<f64>, DataError> {
        match &self.encoding {
            TargetEncoding::Values { .. } | TargetEncoding::Labels { .. } => {
                Ok(Array1::from(numbers(table, &self.name)?))
            }
            TargetEncoding::Classes { classes } => {
                let (cells, number) = texts(table, &self.name)?;
                let index: std::collections::HashMap<&str, usize> =
                    classes.iter().enumerate().map(|(i, c)| (c.as_str(), i)).collect();
                cells
                    .iter()
                    .zip(&table.lines)
                    .map(|(cell, &line)| {
                        index.get(cell.as_str()).map(|&i| i as f64).ok_or_else(|| DataError::UnknownClass {
                            path: table.path.clone(),
                            line,
                            column: number,
                            name: self.name.clone(),
                            value: cell.clone(),
                            known: summarize_list(classes),
                        })
                    })
                    .collect()
            }
        }
    }

    /// Values through the target scaler (identity unless regression with `target_scaling`).
    pub fn scale(&self, y: ArrayView1<f64>) -> Result<Array1<f64>, DataError> {
        match &self.encoding {
            TargetEncoding::Values { scaler } => scaler.transform_column(0, y),
            _ => Ok(y.to_owned()),
        }
    }

    /// Model outputs back in the target's units (identity unless the target is scaled).
    pub fn unscale(&self, y: ArrayView1<f64>) -> Result<Array1<f64>, DataError> {
        match &self.encoding {
            TargetEncoding::Values { scaler } => scaler.inverse_transform_column(0, y),
            _ => Ok(y.to_owned()),
        }
    }
}
