//! From tables to arrays a spec's model can train on: input scaling, target encoding, column
//! checks. Shared by `train`, `evaluate`, `predict` and `fine-tune`. The stages themselves
//! (column encoders, scalers, classes) are [`shrink_data::Pipeline`]; this file joins them to
//! the spec's loss and input shape.

use crate::loss::Loss;
use crate::spec::ModelSpec;
use crate::Error;
use ndarray::{Array2, ArrayView2};
use shrink_data::{Dataset, Pipeline, Scaler};

/// Targets in the form the spec's loss expects: 0/1 for binary cross-entropy, one-hot rows for
/// categorical cross-entropy (labels must be the integers 0…k−1), raw values for MSE.
/// A regression target goes through the pipeline's target scaler first.
pub fn encode_targets(spec: &ModelSpec, pipeline: &Pipeline, data: &Dataset) -> Result<Array2<f32>, Error> {
    if pipeline.target().scaler().is_some() {
        let scaled = Dataset { y: pipeline.target().scale(data.y.view())?, ..data.clone() };
        return targets_for(spec.loss, spec.build_output_size(), &scaled);
    }
    targets_for(spec.loss, spec.build_output_size(), data)
}

/// Targets for `loss` on a network with `outputs` units (see [`encode_targets`]).
pub fn targets_for(loss: Loss, outputs: usize, data: &Dataset) -> Result<Array2<f32>, Error> {
    let bad = |row: usize, v: f64, must: String| {
        Error::Target(format!("target `{}` {must}; data row {} has {v}", data.target_name, row + 1))
    };
    match loss {
        Loss::BinaryCrossEntropy => {
            if let Some((row, &v)) = data.y.iter().enumerate().find(|(_, v)| **v != 0.0 && **v != 1.0) {
                return Err(bad(row, v, "must be 0 or 1 for binary_crossentropy".into()));
            }
            Ok(data.y.mapv(|v| v as f32).insert_axis(ndarray::Axis(1)))
        }
        Loss::CategoricalCrossEntropy => {
            let mut y = Array2::zeros((data.len(), outputs));
            for (row, &v) in data.y.iter().enumerate() {
                if v.fract() != 0.0 || v < 0.0 || v >= outputs as f64 {
                    return Err(bad(
                        row,
                        v,
                        format!("must be a class label 0…{} for {outputs} softmax units", outputs - 1),
                    ));
                }
                y[[row, v as usize]] = 1.0;
            }
            Ok(y)
        }
        Loss::MeanSquaredError => {
            if outputs != 1 {
                return Err(Error::Spec(format!("one target column cannot feed {outputs} mse outputs")));
            }
            Ok(data.y.mapv(|v| v as f32).insert_axis(ndarray::Axis(1)))
        }
    }
}

/// Scaled inputs in f32, after checking the columns against what the model was trained on.
pub fn encode_inputs(spec: &ModelSpec, pipeline: &Pipeline, data: &Dataset) -> Result<Array2<f32>, Error> {
    let features = pipeline.features();
    if data.feature_names != features {
        return Err(Error::Shape(format!(
            "the model was trained on columns [{}], the data has [{}]",
            features.join(", "),
            data.feature_names.join(", ")
        )));
    }
    let width =
        crate::nn::checked_elements(&spec.input_shape).map_err(|e| Error::Shape(format!("input_shape: {e}")))?;
    if data.n_features() != width {
        return Err(Error::Shape(format!(
            "input_shape {:?} needs {width} columns, the data has {}",
            spec.input_shape,
            data.n_features()
        )));
    }
    scaled_inputs(pipeline.scaler(), data)
}

/// The rows of a fit as the model trains on them: encoded inputs and targets of the training
/// rows and, when given, of the validation rows.
pub struct FitRows {
    /// Training inputs.
    pub x: Array2<f32>,
    /// Training targets.
    pub y: Array2<f32>,
    /// Validation inputs and targets.
    pub val: Option<(Array2<f32>, Array2<f32>)>,
}

impl FitRows {
    /// Encodes `train` and `val` through `pipeline` for `spec` ([`encode_inputs`], [`encode_targets`]).
    pub fn encode(
        spec: &ModelSpec,
        pipeline: &Pipeline,
        train: &Dataset,
        val: Option<&Dataset>,
    ) -> Result<Self, Error> {
        let pair =
            |d: &Dataset| Ok::<_, Error>((encode_inputs(spec, pipeline, d)?, encode_targets(spec, pipeline, d)?));
        let (x, y) = pair(train)?;
        let val = val.map(pair).transpose()?;
        Ok(FitRows { x, y, val })
    }

    /// The validation rows as views, the form [`crate::train::Trainer::fit`] takes.
    pub fn validation(&self) -> Option<(ArrayView2<'_, f32>, ArrayView2<'_, f32>)> {
        self.val.as_ref().map(|(x, y)| (x.view(), y.view()))
    }
}

/// The inputs of `data` through `scaler`, in f32 (no column checks: the caller built both).
pub fn scaled_inputs(scaler: &Scaler, data: &Dataset) -> Result<Array2<f32>, Error> {
    Ok(scaler.transform(data.x.view())?.mapv(|v| v as f32))
}

impl ModelSpec {
    /// Outputs per sample of the spec's network.
    pub fn build_output_size(&self) -> usize {
        self.build_model().map_or(0, |m| m.output_size())
    }
}

/// A training table with its pipeline fitted on the training rows: what `shrink train` (and the
/// Python estimators) train on.
#[derive(Debug, Clone)]
pub struct PreparedTable {
    /// The spec, with `input_shape` filled in when it was omitted.
    pub spec: ModelSpec,
    /// The pipeline fitted on the training rows.
    pub pipeline: Pipeline,
    /// The training rows, encoded (inputs unscaled: the model file's scaler scales them).
    pub train: Dataset,
    /// The held-out rows (`val_split`), encoded the same way.
    pub val: Option<Dataset>,
}

/// Holds out `val_split` of `table`'s rows (shuffled, seeded by the spec's seed, as
/// `shrink train --val-split`), fits the pipeline on the training rows and encodes both sides;
/// an omitted `input_shape` becomes the encoded width.
pub fn prepare_table(
    mut spec: ModelSpec,
    table: &shrink_data::TypedTable,
    target: &str,
    val_split: Option<f64>,
) -> Result<PreparedTable, Error> {
    let options = spec.column_options();
    let (train_table, held) = match val_split {
        Some(f) => {
            let (train, test) = shrink_data::shuffle_split_indices(table.nrows(), f, spec.seed)?;
            (table.select_rows(&train), Some(table.select_rows(&test)))
        }
        None => (table.clone(), None),
    };
    let outputs = if spec.input_shape.is_empty() {
        ModelSpec { input_shape: vec![1], ..spec.clone() }.build_output_size()
    } else {
        spec.build_output_size()
    };
    let task = crate::model_file::target_task(&spec, outputs);
    let pipeline = Pipeline::fit(&train_table, target, &options, spec.scaling, task)?;
    if spec.input_shape.is_empty() {
        spec.input_shape = vec![pipeline.input().width()];
        spec.validate()?;
    }
    let train = pipeline.dataset(&train_table, true)?;
    let val = match held {
        Some(rows) => Some(pipeline.dataset(&rows, true)?),
        None => None,
    };
    Ok(PreparedTable { spec, pipeline, train, val })
}
