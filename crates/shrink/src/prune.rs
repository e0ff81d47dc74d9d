//! Pruning a Dense-only network: an equivalent, smaller model without unused inputs and dead
//! hidden units.
//!
//! - An input whose row of the first kernel is all zero has no effect: it is dropped from the
//!   network, the stored feature list and the scaler.
//! - A hidden unit whose outgoing row (in the next kernel) is all zero has no effect: dropped.
//! - A hidden unit whose incoming column is all zero outputs the constant `act(bias)`; its
//!   contribution `act(bias)·W_next[unit, :]` is added to the next layer's bias and the unit is
//!   dropped (kept when that constant is non-zero and the next layer has no bias, or when the
//!   layer's activation is not element-wise, i.e. softmax).
//!
//! Predictions stay the same up to float rounding. Output units are never removed.

use crate::model_file::SavedModel;
use crate::nn::Activation;
use crate::nn::{DenseConfig, LayerConfig};
use crate::Error;

/// What [`prune`] removed.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct PruneReport {
    /// Names of the dropped input features.
    pub removed_inputs: Vec<String>,
    /// Per hidden layer (by name), the indices of the removed units in the original model.
    pub removed_units: Vec<(String, Vec<usize>)>,
}

struct DenseWeights {
    name: String,
    activation: Activation,
    kernel: Vec<f32>,
    bias: Option<Vec<f32>>,
    rows: usize,
    cols: usize,
}

impl DenseWeights {
    fn column_is_zero(&self, c: usize) -> bool {
        (0..self.rows).all(|r| self.kernel[r * self.cols + c] == 0.0)
    }
    fn row_is_zero(&self, r: usize) -> bool {
        self.kernel[r * self.cols..(r + 1) * self.cols].iter().all(|v| *v == 0.0)
    }
    fn keep_rows(&mut self, keep: &[usize]) {
        self.kernel = keep.iter().flat_map(|&r| self.kernel[r * self.cols..(r + 1) * self.cols].to_vec()).collect();
        self.rows = keep.len();
    }
    fn keep_columns(&mut self, keep: &[usize]) {
        let cols = self.cols;
        self.kernel =
            (0..self.rows).flat_map(|r| keep.iter().map(move |&c| r * cols + c)).map(|i| self.kernel[i]).collect();
        self.bias = self.bias.as_ref().map(|b| keep.iter().map(|&c| b[c]).collect());
        self.cols = keep.len();
    }
}

/// A smaller model computing the same function as `saved`; fails unless every layer is Dense.
pub fn prune(saved: &SavedModel) -> Result<(SavedModel, PruneReport), Error> {
    if saved.pipeline.series().is_some() {
        // Its inputs are window positions: dropping one would break the windows' layout.
        return Err(Error::Spec("prune does not handle [series] models (their inputs are window positions)".into()));
    }
    let mut layers = Vec::new();
    for layer in saved.model.layers() {
        let LayerConfig::Dense(DenseConfig { activation, .. }) = layer.config() else {
            return Err(Error::Spec(format!("prune handles Dense-only models; `{}` is not Dense", layer.name())));
        };
        let params = layer.params();
        let (kernel, bias) = (&params[0], params.get(1));
        layers.push(DenseWeights {
            name: layer.name().to_string(),
            activation,
            kernel: kernel.value.clone(),
            bias: bias.map(|b| b.value.clone()),
            rows: kernel.shape[0],
            cols: kernel.shape[1],
        });
    }
    let mut report = PruneReport::default();
    let mut kept_rows: Vec<Vec<usize>> = Vec::with_capacity(layers.len());
    // Inputs: rows of the first kernel that are all zero (at least one input stays).
    let first = &layers[0];
    let mut keep: Vec<usize> = (0..first.rows).filter(|&r| !first.row_is_zero(r)).collect();
    if keep.is_empty() {
        keep.push(0);
    }
    // A one-hot column's inputs go together: it stays whole while any of them is used.
    let (keep, pipeline) = saved.pipeline.select_inputs(&keep).map_err(|e| Error::Spec(e.to_string()))?;
    let features = saved.features();
    report.removed_inputs =
        (0..first.rows).filter(|r| !keep.contains(r)).map(|r| features.get(r).cloned().unwrap_or_default()).collect();
    layers[0].keep_rows(&keep);
    kept_rows.push(keep);
    for i in 0..layers.len().saturating_sub(1) {
        let (head, tail) = layers.split_at_mut(i + 1);
        let (layer, next) = (&mut head[i], &mut tail[0]);
        let mut removed = Vec::new();
        for unit in 0..layer.cols {
            // At least one unit stays; checked first so that no constant is folded for a kept unit.
            let removable = if removed.len() + 1 >= layer.cols {
                false
            } else if next.row_is_zero(unit) {
                true
            } else if layer.column_is_zero(unit) && layer.activation != Activation::Softmax {
                let mut constant = [layer.bias.as_ref().map_or(0.0, |b| b[unit])];
                layer.activation.forward(&mut constant, 1);
                if constant[0] == 0.0 {
                    true
                } else if let Some(bias) = &mut next.bias {
                    let c = constant[0];
                    bias.iter_mut().enumerate().for_each(|(k, b)| *b += c * next.kernel[unit * next.cols + k]);
                    true
                } else {
                    false
                }
            } else {
                false
            };
            if removable {
                removed.push(unit);
            }
        }
        let keep: Vec<usize> = (0..layer.cols).filter(|u| !removed.contains(u)).collect();
        layer.keep_columns(&keep);
        next.keep_rows(&keep);
        if !removed.is_empty() {
            report.removed_units.push((layer.name.clone(), removed));
        }
        kept_rows.push(keep);
    }
    rebuild(saved, pipeline, &layers, &kept_rows, report)
}

/// The pruned model: a spec with the new sizes, the weights, penalties and row factors carried.
fn rebuild(
    saved: &SavedModel,
    pipeline: shrink_data::Pipeline,
    layers: &[DenseWeights],
    kept_rows: &[Vec<usize>],
    report: PruneReport,
) -> Result<(SavedModel, PruneReport), Error> {
    // From the model's own description, so penalties and row factors in force are carried.
    let mut config = saved.model.describe();
    config.input_shape = vec![layers[0].rows];
    for ((c, w), rows) in config.layers.iter_mut().zip(layers).zip(kept_rows) {
        if let LayerConfig::Dense(dense) = c {
            dense.units = w.cols;
            if let Some(f) = &mut dense.kernel_row_factors {
                *f = rows.iter().map(|&r| f[r]).collect();
            }
        }
    }
    let spec = saved.spec.clone().with_model_config(config);
    let mut model = spec.build_model()?;
    for (new, w) in model.layers_mut().iter_mut().zip(layers) {
        let params = new.params_mut();
        params[0].value.clone_from(&w.kernel);
        if let (Some(p), Some(b)) = (params.get_mut(1), &w.bias) {
            p.value.clone_from(b);
        }
    }
    Ok((SavedModel { spec, pipeline, model }, report))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::ModelSpec;
    use ndarray::Array2;
    use shrink_data::{Scaler, Scaling};

    const SPEC: &str = include_str!("../tests/data/prune_mlp.toml");

    #[test]
    fn pruned_model_predicts_the_same_and_says_what_it_removed() {
        let spec = ModelSpec::from_toml(SPEC).unwrap();
        let mut model = spec.build_model().unwrap();
        {
            let layers = model.layers_mut();
            let p0 = layers[0].params_mut();
            (0..6).for_each(|c| p0[0].value[6 + c] = 0.0); // input 1 unused
            (0..4).for_each(|r| p0[0].value[r * 6 + 2] = 0.0); // unit 2 of dense_0: constant relu(0.7)
            p0[1].value[2] = 0.7;
            let p1 = layers[1].params_mut();
            (0..5).for_each(|c| p1[0].value[4 * 5 + c] = 0.0); // unit 4 of dense_0: no outgoing weight
            (0..6).for_each(|r| p1[0].value[r * 5] = 0.0); // unit 0 of dense_1: constant sigmoid(-0.3)
            p1[1].value[0] = -0.3;
        }
        let mut rng = crate::rng::Rng::new(4);
        let x = Array2::from_shape_fn((20, 4), |_| rng.normal());
        let scaler = Scaler::fit(Scaling::Standard, x.view()).unwrap();
        let features: Vec<String> = (0..4).map(|i| format!("x{i}")).collect();
        let l1 = crate::Penalty::l1(1e-3).unwrap();
        model.set_penalty("dense_0.kernel", Some(l1.clone())).unwrap();
        model.layers_mut()[0].params_mut()[0].set_row_factors(Some(vec![0.0, 1.0, 2.0, 3.0])).unwrap();
        let mut saved = SavedModel::numeric(spec, scaler, &features, "y", model).unwrap();
        let (mut pruned, report) = prune(&saved).unwrap();
        let kernel = &pruned.model.layers()[0].params()[0];
        let strengths = kernel.penalty.as_ref().map(crate::Penalty::without_row_factors);
        assert_eq!((strengths, kernel.row_factors()), (Some(l1), Some([0.0, 2.0, 3.0].as_slice())));
        assert_eq!(report.removed_inputs, ["x1"]);
        assert_eq!(report.removed_units, [("dense_0".to_string(), vec![2, 4]), ("dense_1".to_string(), vec![0])]);
        assert_eq!(pruned.features(), ["x0", "x2", "x3"]);
        assert_eq!(pruned.pipeline.scaler().offset(), [0, 2, 3].map(|c| saved.pipeline.scaler().offset()[c]));
        assert_eq!(pruned.model.input_size(), 3);
        let xf = x.mapv(|v| v as f32);
        let before = saved.model.predict(xf.view(), 8).unwrap();
        let after = pruned.model.predict(xf.select(ndarray::Axis(1), &[0, 2, 3]).view(), 8).unwrap();
        let diff = before.iter().zip(&after).map(|(a, b)| (a - b).abs()).fold(0.0f32, f32::max);
        assert!(diff < 1e-6, "{diff}");
        assert_eq!(pruned.model.parameter_count(), 3 * 4 + 4 + 4 * 4 + 4 + 4 + 1);
    }
}
