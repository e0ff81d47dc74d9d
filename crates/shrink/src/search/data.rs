//! The training/validation pairs a search scores on: a 20 % hold-out, a separate test table,
//! or K folds. Inputs are scaled with a scaler fitted on each pair's training rows only, so no
//! validation row leaks into the scaling.

use super::folds::{kfold, stratified_kfold};
use crate::loss::Loss;
use crate::pipeline::{encode_inputs, encode_targets};
use crate::spec::ModelSpec;
use crate::Error;
use ndarray::Array2;
use shrink_data::{shuffle_split, Dataset, Scaler};

/// Fraction of the training rows held out when neither a test table nor `--cv` is given.
pub const HOLDOUT_FRACTION: f64 = 0.2;

/// Where validation scores come from.
#[derive(Debug, Clone)]
pub enum Validation {
    /// Hold out [`HOLDOUT_FRACTION`] of the rows (shuffled with the spec's seed).
    Holdout,
    /// Score on this separate table.
    Test(Dataset),
    /// K-fold cross-validation (stratified for classification), seeded by the spec's seed.
    Folds(usize),
}

/// One training/validation pair, encoded for the spec's network.
#[derive(Debug, Clone)]
pub struct Fold {
    /// Scaled training inputs.
    pub x_train: Array2<f32>,
    /// Encoded training targets.
    pub y_train: Array2<f32>,
    /// Validation inputs, scaled with the training rows' scaler.
    pub x_val: Array2<f32>,
    /// Encoded validation targets.
    pub y_val: Array2<f32>,
}

/// Whether the spec's loss makes this a classification problem (scored by accuracy).
pub fn is_classification(spec: &ModelSpec) -> bool {
    matches!(spec.loss, Loss::BinaryCrossEntropy | Loss::CategoricalCrossEntropy)
}

impl Fold {
    /// Scales and encodes one pair (the scaler is fitted on `train` alone).
    pub fn new(spec: &ModelSpec, train: &Dataset, val: &Dataset) -> Result<Self, Error> {
        let scaler = Scaler::fit(spec.scaling, train.x.view())?;
        let features = &train.feature_names;
        Ok(Fold {
            x_train: encode_inputs(spec, &scaler, features, train)?,
            y_train: encode_targets(spec, train)?,
            x_val: encode_inputs(spec, &scaler, features, val)?,
            y_val: encode_targets(spec, val)?,
        })
    }
}

/// The pairs for `validation`; with `Folds(k)`, pair `i` validates on the rows of fold `i`.
pub fn make_folds(spec: &ModelSpec, train: &Dataset, validation: &Validation) -> Result<Vec<Fold>, Error> {
    match validation {
        Validation::Holdout => {
            let (tr, val) = shuffle_split(train, HOLDOUT_FRACTION, spec.seed)?;
            Ok(vec![Fold::new(spec, &tr, &val)?])
        }
        Validation::Test(test) => Ok(vec![Fold::new(spec, train, test)?]),
        Validation::Folds(k) => {
            let labels = train.y.to_vec();
            let assignment = if is_classification(spec) {
                stratified_kfold(&labels, *k, spec.seed)?
            } else {
                kfold(labels.len(), *k, spec.seed)?
            };
            (0..*k)
                .map(|f| {
                    let rows = |inside: bool| -> Vec<usize> {
                        (0..labels.len()).filter(|&r| (assignment[r] == f) == inside).collect()
                    };
                    Fold::new(spec, &train.select(&rows(false)), &train.select(&rows(true)))
                })
                .collect()
        }
    }
}
