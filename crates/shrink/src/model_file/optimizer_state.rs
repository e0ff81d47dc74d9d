//! The optimizer part of a model file: metadata `shrink.optimizer` (config and step count) and
//! one tensor `optimizer.<param>.<name>` per state vector (e.g. `optimizer.dense_0.kernel.m`).
//!
//! In memory an optimizer keys its state by slot, the position of a parameter in the model; on
//! disk and in [`SavedOptimizer`] the key is the parameter's qualified name, so that state put
//! back into another model is checked name by name and shape by shape instead of landing on
//! whatever parameter happens to sit at the same position.

use super::{bytes_of, corrupt, read_f32};
use crate::nn::Model;
use crate::optim::OptimizerConfig;
use crate::train::Trainer;
use crate::Error;
use safetensors::SafeTensors;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::Path;

const META_KEY: &str = "shrink.optimizer";
const PREFIX: &str = "optimizer.";

#[derive(Serialize, Deserialize)]
struct OptimizerMeta {
    config: OptimizerConfig,
    iterations: u64,
}

/// One state vector of one parameter (e.g. Adam's `m` of `dense_0.kernel`).
#[derive(Debug, Clone, PartialEq)]
pub struct StateTensor {
    /// The shape it was saved with: the parameter's shape.
    pub shape: Vec<usize>,
    /// The values, row-major.
    pub values: Vec<f32>,
}

/// An optimizer's settings, step count and state, keyed by parameter name.
#[derive(Debug, Clone, PartialEq)]
pub struct SavedOptimizer {
    /// The optimizer's kind and settings.
    pub config: OptimizerConfig,
    /// Steps taken.
    pub iterations: u64,
    /// Parameter name (`dense_0.kernel`) → state name (`m`, `v`, `velocity`, `momentum`) → values.
    pub state: BTreeMap<String, BTreeMap<String, StateTensor>>,
}

fn mismatch(message: String) -> Error {
    Error::OptimizerState(message)
}

impl SavedOptimizer {
    /// The state of `trainer`'s optimizer, which has been training `model`.
    ///
    /// Fails when the optimizer holds state that does not fit `model` (it trained another one).
    pub fn capture(trainer: &Trainer<f32>, model: &Model<f32>) -> Result<SavedOptimizer, Error> {
        let optimizer = trainer.optimizer();
        // Slots are positions in `Model::params` order, the order `for_each_param_mut` numbers.
        let params: Vec<(String, &[usize], usize)> =
            model.params().map(|(name, p)| (name, p.shape.as_slice(), p.value.len())).collect();
        let mut state: BTreeMap<String, BTreeMap<String, StateTensor>> = BTreeMap::new();
        for (slot, name, values) in optimizer.state() {
            let Some((param, shape, len)) = params.get(slot) else {
                return Err(mismatch(format!(
                    "the optimizer holds state for parameter number {slot}, the model has {} parameters",
                    params.len()
                )));
            };
            if values.len() != *len {
                return Err(mismatch(format!(
                    "optimizer state `{name}` of `{param}` has {} values, the parameter has {len}",
                    values.len()
                )));
            }
            let tensor = StateTensor { shape: shape.to_vec(), values: values.to_vec() };
            state.entry(param.clone()).or_default().insert(name.to_string(), tensor);
        }
        Ok(SavedOptimizer { config: optimizer.config(), iterations: optimizer.iterations(), state })
    }

    /// Puts the state into `trainer`'s optimizer for the parameters of `model`, the model the
    /// trainer will go on training.
    ///
    /// Checks everything before changing anything, and fails naming what does not match: an
    /// optimizer of another kind, state of a parameter `model` lacks, of another shape, of a
    /// name the optimizer does not keep, or a state vector some parameters have and others
    /// lack. Nothing is silently reset to zero.
    pub fn restore(self, trainer: &mut Trainer<f32>, model: &Model<f32>) -> Result<(), Error> {
        let optimizer = trainer.optimizer_mut();
        let (saved, used) = (self.config.name(), optimizer.config().name());
        if saved != used {
            return Err(mismatch(format!("the saved optimizer is {saved}, this trainer uses {used}")));
        }
        let params: Vec<(String, &crate::Param<f32>)> = model.params().collect();
        if let Some(param) = self.state.keys().find(|k| !params.iter().any(|(n, _)| n == *k)) {
            let names: Vec<&str> = params.iter().map(|(n, _)| n.as_str()).collect();
            return Err(mismatch(format!(
                "the saved optimizer has state for `{param}`, which this model does not have (it has: {})",
                names.join(", ")
            )));
        }
        let kept = optimizer.state_names();
        let mut names = BTreeSet::new();
        for (param, p) in &params {
            for (name, t) in self.state.get(param).into_iter().flatten() {
                if !kept.contains(&name.as_str()) {
                    return Err(mismatch(format!(
                        "optimizer state `{name}` of `{param}` is not kept by {used} (it keeps: {})",
                        kept.join(", ")
                    )));
                }
                if t.shape != p.shape || t.values.len() != p.value.len() {
                    return Err(mismatch(format!(
                        "optimizer state `{name}` of `{param}` has shape {:?}, the parameter has {:?}",
                        t.shape, p.shape
                    )));
                }
                names.insert(name.as_str());
            }
        }
        // Every step updates every parameter, so a state vector kept for one is kept for all;
        // one missing means the state belongs to another model.
        for (param, _) in &params {
            if let Some(name) = names.iter().find(|n| !self.state.get(param).is_some_and(|s| s.contains_key(**n))) {
                return Err(mismatch(format!("the saved optimizer has no state `{name}` for `{param}`")));
            }
        }
        let mut state = self.state;
        optimizer.set_iterations(self.iterations);
        for (slot, (param, _)) in params.iter().enumerate() {
            for (name, t) in state.remove(param).into_iter().flatten() {
                let known = optimizer.set_state(slot, &name, t.values);
                debug_assert!(known, "state names were checked against state_names");
            }
        }
        Ok(())
    }

    /// Adds the state tensors and the metadata entry to a file being written.
    pub(super) fn write(&self, tensors: &mut Vec<(String, Vec<usize>, Vec<u8>)>, meta: &mut HashMap<String, String>) {
        for (param, states) in &self.state {
            for (name, t) in states {
                tensors.push((format!("{PREFIX}{param}.{name}"), t.shape.clone(), bytes_of(&t.values)));
            }
        }
        let m = OptimizerMeta { config: self.config, iterations: self.iterations };
        // A derived Serialize of an enum of numbers and a count, no maps: serde_json cannot fail.
        meta.insert(META_KEY.to_string(), serde_json::to_string(&m).expect("optimizer metadata always serializes"));
    }

    /// The optimizer saved in a file, `None` when it was saved without one.
    pub(super) fn read(
        path: &Path,
        tensors: &SafeTensors,
        meta: &HashMap<String, String>,
    ) -> Result<Option<SavedOptimizer>, Error> {
        let Some(text) = meta.get(META_KEY) else {
            return Ok(None);
        };
        let m: OptimizerMeta =
            serde_json::from_str(text).map_err(|e| corrupt(path, format!("metadata `{META_KEY}`: {e}")))?;
        let mut state: BTreeMap<String, BTreeMap<String, StateTensor>> = BTreeMap::new();
        for (stored, view) in tensors.tensors() {
            let Some(rest) = stored.strip_prefix(PREFIX) else {
                continue;
            };
            // Parameter names hold a dot (`dense_0.kernel`), state names do not.
            let Some((param, name)) = rest.rsplit_once('.') else {
                return Err(corrupt(path, format!("tensor `{stored}` is not named optimizer.<parameter>.<state>")));
            };
            let shape = view.shape().to_vec();
            let values = read_f32(path, tensors, &stored, &shape)?;
            state.entry(param.to_string()).or_default().insert(name.to_string(), StateTensor { shape, values });
        }
        Ok(Some(SavedOptimizer { config: m.config, iterations: m.iterations, state }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model_file::SavedModel;
    use crate::pipeline::{encode_inputs, encode_targets};
    use crate::spec::ModelSpec;
    use crate::train::FitConfig;
    use ndarray::Array2;
    use shrink_data::{Scaler, Scaling};

    fn spec(units: usize, optimizer: &str) -> ModelSpec {
        ModelSpec::from_toml(&format!(
            r#"
input_shape = [2]
loss = "binary_crossentropy"
epochs = 3
optimizer = {optimizer}
[[layers]]
type = "dense"
units = {units}
activation = "relu"
[[layers]]
type = "dense"
units = 1
activation = "sigmoid"
"#
        ))
        .unwrap()
    }

    const ADAM: &str = r#"{ name = "adam", lr = 0.01 }"#;

    fn data(spec: &ModelSpec) -> (Scaler, Vec<String>, String, Array2<f32>, Array2<f32>) {
        let data = shrink_data::moons(40, 0.2, 3).unwrap();
        let scaler = Scaler::fit(Scaling::Standard, data.x.view()).unwrap();
        let features = data.feature_names.clone();
        let pipeline = shrink_data::Pipeline::numeric(
            &features,
            scaler.clone(),
            shrink_data::TargetStage::legacy("y", shrink_data::TargetTask::Binary),
        )
        .unwrap();
        let x = encode_inputs(spec, &pipeline, &data).unwrap();
        let y = encode_targets(spec, &pipeline, &data).unwrap();
        (scaler, features, data.target_name.clone(), x, y)
    }

    /// A model trained with Adam, saved with its optimizer and read back.
    fn saved_adam(name: &str) -> (SavedModel, SavedOptimizer, Trainer<f32>, Array2<f32>, Array2<f32>) {
        let spec = spec(4, ADAM);
        let (scaler, features, target, x, y) = data(&spec);
        let mut model = spec.build_model().unwrap();
        let mut trainer = spec.trainer().unwrap();
        trainer.fit(&mut model, x.view(), y.view(), None, &spec.fit_config(), None).unwrap();
        let saved = SavedModel::numeric(spec, scaler, &features, &target, model).unwrap();
        let dir = std::env::temp_dir().join(format!("shrink-optimizer-state-{name}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("model.safetensors");
        saved.save(&path, Some(&trainer), true).unwrap();
        let (loaded, optimizer) = SavedModel::load(&path).unwrap();
        std::fs::remove_dir_all(dir).unwrap();
        (loaded, optimizer.expect("saved with its optimizer"), trainer, x, y)
    }

    #[test]
    fn state_is_keyed_by_parameter_name_with_its_shape() {
        let (loaded, optimizer, trainer, _, _) = saved_adam("keys");
        assert_eq!(optimizer.config, trainer.optimizer().config());
        assert_eq!(optimizer.iterations, trainer.optimizer().iterations());
        let keys: Vec<&str> = optimizer.state.keys().map(String::as_str).collect();
        assert_eq!(keys, ["dense_0.bias", "dense_0.kernel", "dense_1.bias", "dense_1.kernel"]);
        for (param, p) in loaded.model.params() {
            let states = &optimizer.state[&param];
            assert_eq!(states.keys().map(String::as_str).collect::<Vec<_>>(), ["m", "v"]);
            assert!(states.values().all(|t| t.shape == p.shape && t.values.len() == p.value.len()));
        }
        assert_eq!(optimizer, SavedOptimizer::capture(&trainer, &loaded.model).unwrap());
    }

    /// Names map to slots by position in `Model::params`: that must be the order in which
    /// training numbers the parameters.
    #[test]
    fn slots_are_positions_in_params_order() {
        let (mut loaded, _, _, _, _) = saved_adam("slots");
        let by_name: Vec<usize> = loaded.model.params().map(|(_, p)| p as *const _ as usize).collect();
        let mut by_slot = vec![0; by_name.len()];
        loaded.model.for_each_param_mut(|slot, p| by_slot[slot] = p as *const _ as usize);
        assert_eq!(by_slot, by_name);
    }

    #[test]
    fn another_kind_of_optimizer_is_an_error_naming_both() {
        let (loaded, optimizer, _, _, _) = saved_adam("kind");
        for (sgd, uses) in [(r#"{ name = "sgd", momentum = 0.9 }"#, "sgd"), (r#"{ name = "adam_w" }"#, "adam_w")] {
            let mut trainer = spec(4, sgd).trainer().unwrap();
            let e = optimizer.clone().restore(&mut trainer, &loaded.model).unwrap_err().to_string();
            assert_eq!(e, format!("the saved optimizer is adam, this trainer uses {uses}"));
            assert_eq!(trainer.optimizer().iterations(), 0, "nothing restored");
            assert!(trainer.optimizer().state().is_empty());
        }
    }

    #[test]
    fn another_shape_is_an_error_naming_the_parameter_and_both_shapes() {
        let (_, optimizer, _, _, _) = saved_adam("shape");
        let other = spec(5, ADAM);
        let model = other.build_model().unwrap();
        let mut trainer = other.trainer().unwrap();
        let e = optimizer.restore(&mut trainer, &model).unwrap_err().to_string();
        assert_eq!(e, "optimizer state `m` of `dense_0.kernel` has shape [2, 4], the parameter has [2, 5]");
        assert_eq!(trainer.optimizer().iterations(), 0, "nothing restored");
    }

    #[test]
    fn state_of_missing_or_extra_parameters_is_an_error() {
        let (loaded, optimizer, _, _, _) = saved_adam("params");
        let mut trainer = loaded.spec.trainer().unwrap();
        let mut extra = optimizer.clone();
        let t = extra.state["dense_1.bias"].clone();
        extra.state.insert("dense_2.bias".into(), t);
        let e = extra.restore(&mut trainer, &loaded.model).unwrap_err().to_string();
        assert!(
            e.starts_with("the saved optimizer has state for `dense_2.bias`, which this model does not have"),
            "{e}"
        );
        let mut partial = optimizer.clone();
        partial.state.get_mut("dense_1.kernel").unwrap().remove("v");
        let e = partial.restore(&mut trainer, &loaded.model).unwrap_err().to_string();
        assert_eq!(e, "the saved optimizer has no state `v` for `dense_1.kernel`");
        let mut foreign = optimizer;
        let t = foreign.state["dense_0.bias"]["m"].clone();
        foreign.state.get_mut("dense_0.bias").unwrap().insert("velocity".into(), t);
        let e = foreign.restore(&mut trainer, &loaded.model).unwrap_err().to_string();
        assert_eq!(e, "optimizer state `velocity` of `dense_0.bias` is not kept by adam (it keeps: m, v)");
        assert_eq!(trainer.optimizer().iterations(), 0, "nothing restored");
    }

    /// Adam → file → Adam continues exactly like the uninterrupted trainer.
    #[test]
    fn restored_adam_continues_bit_identically() {
        let (mut loaded, optimizer, mut trainer, x, y) = saved_adam("continue");
        let mut resumed = loaded.spec.trainer().unwrap();
        optimizer.restore(&mut resumed, &loaded.model).unwrap();
        let mut model = loaded.model.clone();
        let more = FitConfig { epochs: 4, seed: 5, ..loaded.spec.fit_config() };
        trainer.fit(&mut model, x.view(), y.view(), None, &more, None).unwrap();
        resumed.fit(&mut loaded.model, x.view(), y.view(), None, &more, None).unwrap();
        for ((_, a), (_, b)) in model.params().zip(loaded.model.params()) {
            assert_eq!(
                a.value.iter().map(|v| v.to_bits()).collect::<Vec<_>>(),
                b.value.iter().map(|v| v.to_bits()).collect::<Vec<_>>()
            );
        }
    }
}
