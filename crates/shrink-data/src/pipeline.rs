//! The stored preprocessing pipeline: everything between a user's table and the numbers a
//! network sees, fitted on the training rows and saved in the model file as one JSON value.
//!
//! Two steps, kept apart on purpose:
//!
//! 1. an **input stage** turns a file's rows into numeric `(x, y)`: [`TableStage`] (picked
//!    columns, one-hot encoders) or a [`SeriesSpec`] (windows over series columns, see
//!    [`crate::series`]; its windows are built by the series stage itself);
//! 2. the **numeric step** does not care how `(x, y)` were made: the input [`Scaler`] on `x`,
//!    the [`TargetStage`] on `y` (classes, or a target scaler for regression).
//!
//! ```json
//! {"format":1,
//!  "input":{"kind":"table","columns":[{"encoding":"numeric","column":"bill"},
//!    {"encoding":"one_hot","column":"island","categories":["Biscoe","Dream"],"handle_unknown":"error"}]},
//!  "scaler":{"kind":"standard","offset":[…],"scale":[…]},
//!  "target":{"name":"species","encoding":{"kind":"classes","classes":["Adelie","Gentoo"]}}}
//! ```

use std::path::Path;

use ndarray::{Array1, Array2, ArrayView2};
use serde::{Deserialize, Serialize};

use crate::columns::{ColumnOptions, TableStage, NOT_A_NUMBER_HINT};
use crate::series::SeriesSpec;
use crate::table::{pick_by_name, read_typed, CellKind, TypedTable};
use crate::target::{TargetStage, TargetTask};
use crate::{DataError, Dataset, Scaler, Scaling};

/// The pipeline format this version writes and reads.
pub const PIPELINE_FORMAT: u32 = 1;

/// How a file's rows become numeric inputs (and the raw target).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum InputStage {
    /// Columns of a table, each numeric or one-hot encoded.
    Table(TableStage),
    /// Windows over the columns of a series (`[series]`); the inputs are the window positions.
    Series(SeriesSpec),
}

impl InputStage {
    /// The names of the numeric inputs it produces, in order.
    pub fn output_names(&self) -> Vec<String> {
        match self {
            InputStage::Table(t) => t.output_names(),
            InputStage::Series(s) => s.feature_names(),
        }
    }

    /// Number of numeric inputs.
    pub fn width(&self) -> usize {
        match self {
            InputStage::Table(t) => t.width(),
            InputStage::Series(s) => s.input_shape().iter().product(),
        }
    }
}

/// A fitted preprocessing pipeline (see the module documentation).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "RawPipeline")]
pub struct Pipeline {
    format: u32,
    input: InputStage,
    scaler: Scaler,
    target: TargetStage,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPipeline {
    format: u32,
    input: InputStage,
    scaler: Scaler,
    target: TargetStage,
}

impl TryFrom<RawPipeline> for Pipeline {
    type Error = DataError;
    fn try_from(raw: RawPipeline) -> Result<Self, DataError> {
        if raw.format != PIPELINE_FORMAT {
            return Err(DataError::InvalidPipeline(format!(
                "format {} (this shrink reads format {PIPELINE_FORMAT})",
                raw.format
            )));
        }
        Pipeline::new(raw.input, raw.scaler, raw.target)
    }
}

impl Pipeline {
    /// Puts the stages together, checking that the scaler fits the input stage's width.
    pub fn new(input: InputStage, scaler: Scaler, target: TargetStage) -> Result<Pipeline, DataError> {
        if scaler.n_features() != input.width() {
            return Err(DataError::InvalidPipeline(format!(
                "the input scaler has {} columns, the input stage produces {}",
                scaler.n_features(),
                input.width()
            )));
        }
        Ok(Pipeline { format: PIPELINE_FORMAT, input, scaler, target })
    }

    /// A numeric table: these columns as they are, through `scaler`.
    pub fn numeric(features: &[String], scaler: Scaler, target: TargetStage) -> Result<Pipeline, DataError> {
        Pipeline::new(InputStage::Table(TableStage::numeric(features)?), scaler, target)
    }

    /// Reads the training table at `path`: the columns `options` pick, the target as text.
    pub fn read_training(path: &Path, target: &str, options: &ColumnOptions) -> Result<TypedTable, DataError> {
        read_typed(path, &|header| options.pick(path, header, target), NOT_A_NUMBER_HINT)
    }

    /// Fits every stage on the training rows of `table` (read with [`Pipeline::read_training`]).
    pub fn fit(
        table: &TypedTable,
        target: &str,
        options: &ColumnOptions,
        scaling: Scaling,
        task: TargetTask,
    ) -> Result<Pipeline, DataError> {
        let stage = TableStage::fit(table, target, options)?;
        let x = stage.transform(table)?;
        let scaler = Scaler::fit(scaling, x.view())?;
        Pipeline::new(InputStage::Table(stage), scaler, TargetStage::fit(table, target, task)?)
    }

    /// Reads the columns this pipeline needs from `path` (in any order; other columns may
    /// hold anything), with the target column when `target` names it.
    pub fn read(&self, path: &Path, target: Option<&str>) -> Result<TypedTable, DataError> {
        let stage = self.table()?;
        let mut wanted = stage.read_columns();
        if let Some(t) = target {
            wanted.push((t.to_owned(), CellKind::Text));
        }
        read_typed(path, &|header| pick_target_last(path, header, &wanted, target), "")
    }

    /// Step 1 on `table`: the encoded, unscaled inputs and the unscaled target (zeros when
    /// `with_target` is false), named as the network's inputs.
    pub fn dataset(&self, table: &TypedTable, with_target: bool) -> Result<Dataset, DataError> {
        let stage = self.table()?;
        let x = stage.transform(table)?;
        let y = if with_target { self.target.values(table)? } else { Array1::zeros(table.nrows()) };
        Dataset::new(x, y, self.features(), self.target.name())
    }

    /// The input stage.
    pub fn input(&self) -> &InputStage {
        &self.input
    }

    /// The input scaler.
    pub fn scaler(&self) -> &Scaler {
        &self.scaler
    }

    /// The target stage.
    pub fn target(&self) -> &TargetStage {
        &self.target
    }

    /// The names of the network's inputs (`bill`, `island=Biscoe`, …).
    pub fn features(&self) -> Vec<String> {
        self.input.output_names()
    }

    /// The table columns a prediction reads (before encoding).
    pub fn input_columns(&self) -> Vec<String> {
        match &self.input {
            InputStage::Table(stage) => stage.columns().iter().map(|c| c.column().to_owned()).collect(),
            InputStage::Series(series) => series.columns().to_vec(),
        }
    }

    /// The series stage, for a model trained on windows.
    pub fn series(&self) -> Option<&SeriesSpec> {
        match &self.input {
            InputStage::Series(series) => Some(series),
            InputStage::Table(_) => None,
        }
    }

    /// The table stage; a series pipeline builds its windows with [`crate::series`] instead.
    fn table(&self) -> Result<&TableStage, DataError> {
        match &self.input {
            InputStage::Table(stage) => Ok(stage),
            InputStage::Series(series) => Err(DataError::InvalidPipeline(format!(
                "the model reads windows of the series `{}` (a [series] model), not table columns",
                series.target()
            ))),
        }
    }

    /// Step 2 on the inputs: the scaler.
    pub fn scale_inputs(&self, x: ArrayView2<f64>) -> Result<Array2<f64>, DataError> {
        self.scaler.transform(x)
    }

    /// The pipeline reading only the inputs `keep` (indices of network inputs) needs: a
    /// one-hot column stays whole if any of its inputs is kept. Returns the inputs kept, a
    /// superset of `keep` in order, and the new pipeline.
    pub fn select_inputs(&self, keep: &[usize]) -> Result<(Vec<usize>, Pipeline), DataError> {
        let stage = self.table()?;
        let owners = stage.owners();
        let mut columns: Vec<usize> = keep.iter().filter_map(|&i| owners.get(i).copied()).collect();
        columns.dedup();
        let inputs: Vec<usize> = (0..owners.len()).filter(|&i| columns.contains(&owners[i])).collect();
        let stage = stage.select(&columns)?;
        let scaler = self.scaler.select(&inputs)?;
        Ok((inputs, Pipeline::new(InputStage::Table(stage), scaler, self.target.clone())?))
    }

    /// The pipeline as the JSON stored in model files.
    pub fn to_json(&self) -> String {
        // serde_json fails only on maps with non-string keys or a failing Serialize impl; the
        // pipeline derives Serialize over strings, numbers and vectors.
        serde_json::to_string(self).expect("a pipeline always serializes")
    }

    /// Reads the stored JSON, checking every stage.
    pub fn from_json(text: &str) -> Result<Pipeline, DataError> {
        serde_json::from_str(text).map_err(|e| DataError::InvalidPipeline(e.to_string()))
    }
}

fn pick_target_last(
    path: &Path,
    header: &[String],
    wanted: &[(String, CellKind)],
    target: Option<&str>,
) -> Result<Vec<(usize, CellKind)>, DataError> {
    // A missing target reads better as such than as a missing input column.
    match pick_by_name(path, header, wanted) {
        Err(DataError::MissingColumn { column, available, .. }) if Some(column.as_str()) == target => {
            Err(DataError::MissingTarget { path: path.to_path_buf(), target: column, available })
        }
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::table::parse_typed;
    use crate::HandleUnknown;

    const CSV: &[u8] = b"id,island,bill,species\n1,Dream,39.1,Adelie\n2,Biscoe,46.5,Gentoo\n3,Dream,40.0,Adelie\n";

    fn fitted(task: TargetTask) -> (Pipeline, TypedTable) {
        let o =
            ColumnOptions { ignore: vec!["id".into()], categorical: vec!["island".into()], ..ColumnOptions::default() };
        let path = Path::new("p.csv");
        let t = parse_typed(CSV, path, &|h| o.pick(path, h, "species"), NOT_A_NUMBER_HINT).unwrap();
        (Pipeline::fit(&t, "species", &o, Scaling::Standard, task).unwrap(), t)
    }

    #[test]
    fn json_round_trip_and_shape() {
        let (p, t) = fitted(TargetTask::Binary);
        let json = p.to_json();
        assert!(json.starts_with(r#"{"format":1,"input":{"kind":"table","columns":[{"encoding":"one_hot","column":"island","categories":["Biscoe","Dream"],"handle_unknown":"error"},{"encoding":"numeric","column":"bill"}]},"scaler":{"kind":"standard""#), "{json}");
        assert!(
            json.ends_with(
                r#""target":{"name":"species","encoding":{"kind":"classes","classes":["Adelie","Gentoo"]}}}"#
            ),
            "{json}"
        );
        let back = Pipeline::from_json(&json).unwrap();
        assert_eq!(back, p);
        let ds = back.dataset(&t, true).unwrap();
        assert_eq!(ds.feature_names, ["island=Biscoe", "island=Dream", "bill"]);
        assert_eq!(ds.y.to_vec(), [0.0, 1.0, 0.0]);
        assert_eq!(p.input_columns(), ["island", "bill"]);
    }

    #[test]
    fn corrupt_json_is_an_error_naming_what() {
        let (p, _) = fitted(TargetTask::Binary);
        let json = p.to_json();
        let cases = [
            (json.replace(r#""format":1"#, r#""format":7"#), "format 7"),
            (json.replace(r#"["Biscoe","Dream"]"#, r#"["Dream","Biscoe"]"#), "distinct and sorted"),
            (
                json.replace(r#"["Biscoe","Dream"]"#, r#"["Biscoe"]"#),
                "the input scaler has 3 columns, the input stage produces 2",
            ),
            (json.replace(r#""kind":"table""#, r#""kind":"spreadsheet""#), "unknown variant"),
            (json.replace(r#"["Adelie","Gentoo"]"#, r#"["Adelie"]"#), "2 to 2^20 classes"),
            (json.replace(r#""column":"bill""#, r#""column":"island""#), "appears twice"),
            (json.replace(r#""format":1,"#, r#""format":1,"extra":0,"#), "unknown field"),
            ("[1,2]".to_string(), "invalid type"),
            ("{\"format\":1".to_string(), "EOF"),
        ];
        for (text, want) in cases {
            let e = Pipeline::from_json(&text).unwrap_err().to_string();
            assert!(e.starts_with("invalid preprocessing pipeline") && e.contains(want), "{want}: {e}");
        }
    }

    #[test]
    fn unknown_categories_at_prediction() {
        let (p, _) = fitted(TargetTask::Binary);
        let path = Path::new("new.csv");
        let wanted = |h: &[String]| {
            pick_by_name(path, h, &[("bill".into(), CellKind::Number), ("island".into(), CellKind::Text)])
        };
        let t = parse_typed(b"bill,island\n1,Dream\n2,Torgersen\n", path, &wanted, "").unwrap();
        let e = p.dataset(&t, false).unwrap_err().to_string();
        assert!(
            e.contains("new.csv: line 3, column 2 (`island`): category `Torgersen` was not seen in training"),
            "{e}"
        );
        let json = p.to_json().replace(r#""handle_unknown":"error""#, r#""handle_unknown":"ignore""#);
        let p = Pipeline::from_json(&json).unwrap();
        assert_eq!(p.dataset(&t, false).unwrap().x.row(1).to_vec(), [0.0, 0.0, 2.0]);
        assert!(
            matches!(p.input(), InputStage::Table(s) if matches!(&s.columns()[0], crate::ColumnEncoding::OneHot(e) if e.handle_unknown() == HandleUnknown::Ignore))
        );
    }

    #[test]
    fn regression_targets_scale_and_invert() {
        let csv = b"x,y\n1,10\n2,20\n3,30\n";
        let path = Path::new("r.csv");
        let o = ColumnOptions::default();
        let t = parse_typed(csv, path, &|h| o.pick(path, h, "y"), NOT_A_NUMBER_HINT).unwrap();
        let p = Pipeline::fit(&t, "y", &o, Scaling::None, TargetTask::Regression(Scaling::MinMax)).unwrap();
        let y = p.dataset(&t, true).unwrap().y;
        let z = p.target().scale(y.view()).unwrap();
        assert_eq!(z.to_vec(), [0.0, 0.5, 1.0]);
        assert_eq!(p.target().unscale(z.view()).unwrap().to_vec(), [10.0, 20.0, 30.0]);
        // Numeric targets of a classifier are labels 0…k−1 (the loss checks the values).
        let p = Pipeline::fit(&t, "y", &o, Scaling::None, TargetTask::Categorical(3)).unwrap();
        assert_eq!(p.target().classes().unwrap(), ["0", "1", "2"]);
        assert!(p.target().scaler().is_none());
    }
}
