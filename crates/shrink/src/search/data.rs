//! The training/validation pairs a search scores on: a 20 % hold-out, a separate test table,
//! or K folds. Inputs are scaled with a scaler fitted on each pair's training rows only, so no
//! validation row leaks into the scaling.
//!
//! K-fold assignment lives here too: every row is in exactly one validation fold, stratified
//! for classification so each fold keeps the class balance of the whole table.

use crate::loss::Loss;
use crate::pipeline::{encode_inputs, encode_targets, scaled_inputs, targets_for};
use crate::spec::ModelSpec;
use crate::Error;
use ndarray::Array2;
use shrink_data::{shuffle_split, Dataset, LegacyRandomState, Scaler, Scaling};

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
    /// Scales and encodes a pair without a spec: inputs with `scaling` fitted on `train` alone,
    /// targets for `loss` on `outputs` units (the one scale-and-convert step of every study).
    pub fn encode(scaling: Scaling, loss: Loss, outputs: usize, train: &Dataset, val: &Dataset) -> Result<Self, Error> {
        if train.n_features() != val.n_features() {
            return Err(Error::Shape(format!(
                "the training rows have {} feature columns, the validation rows {}",
                train.n_features(),
                val.n_features()
            )));
        }
        let scaler = Scaler::fit(scaling, train.x.view())?;
        Ok(Fold {
            x_train: scaled_inputs(&scaler, train)?,
            y_train: targets_for(loss, outputs, train)?,
            x_val: scaled_inputs(&scaler, val)?,
            y_val: targets_for(loss, outputs, val)?,
        })
    }

    /// Scales and encodes one pair (the input scaler, and the target scaler of a spec with
    /// `target_scaling`, are fitted on `train` alone; scores are then in scaled units).
    pub fn new(spec: &ModelSpec, train: &Dataset, val: &Dataset) -> Result<Self, Error> {
        let scaler = Scaler::fit(spec.scaling, train.x.view())?;
        let task = crate::model_file::target_task(spec, spec.build_output_size());
        let target = match task {
            shrink_data::TargetTask::Regression(scaling) => shrink_data::TargetStage::legacy(&train.target_name, task)
                .with_scaler(Scaler::fit_column(scaling, train.y.view())?)?,
            _ => shrink_data::TargetStage::legacy(&train.target_name, task),
        };
        let pipeline = shrink_data::Pipeline::numeric(&train.feature_names, scaler, target)?;
        Ok(Fold {
            x_train: encode_inputs(spec, &pipeline, train)?,
            y_train: encode_targets(spec, &pipeline, train)?,
            x_val: encode_inputs(spec, &pipeline, val)?,
            y_val: encode_targets(spec, &pipeline, val)?,
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

/// Fold (0…k−1) of each of `n` rows: a seeded permutation dealt round-robin, so fold sizes
/// differ by at most one.
pub fn kfold(n: usize, k: usize, seed: u64) -> Result<Vec<usize>, Error> {
    check(n, k)?;
    let mut fold = vec![0; n];
    let perm = LegacyRandomState::new(seed as u32).permutation(n);
    for (i, &row) in perm.iter().enumerate() {
        fold[row] = i % k;
    }
    Ok(fold)
}

/// Fold of each row, stratified by `labels`: the rows of each class (classes in ascending
/// order) are shuffled with one seeded generator and dealt round-robin, the deal continuing
/// across classes. Each class's count per fold then differs by at most one, and so do the
/// fold sizes.
pub fn stratified_kfold(labels: &[f64], k: usize, seed: u64) -> Result<Vec<usize>, Error> {
    check(labels.len(), k)?;
    let mut classes: Vec<f64> = labels.to_vec();
    classes.sort_by(f64::total_cmp);
    classes.dedup();
    let mut rng = LegacyRandomState::new(seed as u32);
    let mut fold = vec![0; labels.len()];
    let mut dealt = 0;
    for class in classes {
        let mut rows: Vec<usize> = (0..labels.len()).filter(|&r| labels[r] == class).collect();
        rng.shuffle(&mut rows);
        for row in rows {
            fold[row] = dealt % k;
            dealt += 1;
        }
    }
    Ok(fold)
}

fn check(n: usize, k: usize) -> Result<(), Error> {
    if k < 2 {
        return Err(Error::invalid("folds", "≥ 2", k));
    }
    if k > n {
        return Err(Error::invalid("folds", "at most the number of training rows", k));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_row_once_and_balanced() {
        let f = kfold(23, 5, 7).unwrap();
        let sizes: Vec<usize> = (0..5).map(|k| f.iter().filter(|&&x| x == k).count()).collect();
        assert_eq!(sizes.iter().sum::<usize>(), 23);
        assert!(sizes.iter().all(|&s| s == 4 || s == 5), "{sizes:?}");
        assert_eq!(f, kfold(23, 5, 7).unwrap());
        assert_ne!(f, kfold(23, 5, 8).unwrap());
        assert!(kfold(3, 1, 0).is_err());
        assert!(kfold(3, 4, 0).is_err());
    }

    #[test]
    fn stratified_keeps_class_balance() {
        // 30 of class 0, 12 of class 1, 6 of class 2, interleaved.
        let labels: Vec<f64> = (0..48)
            .map(|i| {
                if i % 8 == 0 {
                    2.0
                } else if i % 4 == 1 {
                    1.0
                } else {
                    0.0
                }
            })
            .collect();
        let counts = |c: f64| labels.iter().filter(|&&l| l == c).count();
        assert_eq!((counts(0.0), counts(1.0), counts(2.0)), (30, 12, 6));
        let f = stratified_kfold(&labels, 4, 3).unwrap();
        assert_eq!(f.len(), 48);
        for k in 0..4 {
            let per_class: Vec<usize> =
                [0.0, 1.0, 2.0].iter().map(|&c| (0..48).filter(|&r| f[r] == k && labels[r] == c).count()).collect();
            // 30/4, 12/4, 6/4 rounded either way.
            assert!(
                (7..=8).contains(&per_class[0]) && per_class[1] == 3 && (1..=2).contains(&per_class[2]),
                "{per_class:?}"
            );
            assert_eq!(per_class.iter().sum::<usize>(), 12);
        }
        assert!(stratified_kfold(&labels, 1, 0).is_err());
    }
}
