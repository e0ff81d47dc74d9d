//! Models as single safetensors files that Python reads directly.
//!
//! Tensors are named `<layer>.<role>` (`dense_0.kernel` `[in, out]`, `dense_0.bias`), f32,
//! exactly what Keras' `layer.set_weights([kernel, bias])` takes. PyTorch's `nn.Linear` stores
//! `weight` as `[out, in]`: transpose. The metadata (`__metadata__`, string → string) holds JSON:
//! `shrink.spec`, `shrink.scaler`, `shrink.features`, `shrink.target`, `shrink.penalties` (the
//! penalties in force, which a fine-tune may have changed) and, when saved with its optimizer,
//! `shrink.optimizer` with the state tensors `optimizer.<param>.<name>` (e.g. Adam's `m`, `v`).

use crate::nn::Model;
use crate::spec::ModelSpec;
use crate::train::Trainer;
use crate::{Error, Penalty};
use safetensors::tensor::{Dtype, TensorView};
use safetensors::SafeTensors;
use shrink_data::Scaler;
use std::collections::{BTreeMap, HashMap};
use std::path::Path;

mod optimizer_state;
pub use optimizer_state::{SavedOptimizer, StateTensor};

/// Format version written into every file.
pub const FORMAT_VERSION: &str = "1";

/// A trained model with everything needed to use it on new rows.
#[derive(Clone)]
pub struct SavedModel {
    /// The spec it was built from.
    pub spec: ModelSpec,
    /// The input scaler fitted on its training rows.
    pub scaler: Scaler,
    /// The input columns, in order.
    pub features: Vec<String>,
    /// The target column's name.
    pub target: String,
    /// The network (weights and penalties in force).
    pub model: Model<f32>,
}

fn corrupt(path: &Path, what: impl std::fmt::Display) -> Error {
    Error::ModelFile { path: path.display().to_string(), message: what.to_string() }
}

fn bytes_of(values: &[f32]) -> Vec<u8> {
    values.iter().flat_map(|v| v.to_le_bytes()).collect()
}

impl SavedModel {
    /// Writes the model (and, given a trainer, its optimizer state) to `path` atomically;
    /// refuses to replace an existing file unless `force`.
    pub fn save(&self, path: &Path, trainer: Option<&Trainer<f32>>, force: bool) -> Result<(), Error> {
        if path.exists() && !force {
            return Err(Error::Exists { path: path.display().to_string() });
        }
        let mut tensors: Vec<(String, Vec<usize>, Vec<u8>)> =
            self.model.params().map(|(name, p)| (name, p.shape.clone(), bytes_of(&p.value))).collect();
        let penalties: BTreeMap<String, Penalty> =
            self.model.params().filter_map(|(name, p)| p.penalty.map(|pen| (name, pen))).collect();
        let json = |v: &dyn erased::Json| v.to_json();
        let mut meta = HashMap::from([
            ("format".to_string(), format!("shrink {FORMAT_VERSION}")),
            ("shrink.spec".to_string(), self.spec.to_json()),
            ("shrink.scaler".to_string(), json(&self.scaler)),
            ("shrink.features".to_string(), json(&self.features)),
            ("shrink.target".to_string(), json(&self.target)),
            ("shrink.penalties".to_string(), json(&penalties)),
        ]);
        let factors: BTreeMap<String, &Vec<f64>> =
            self.model.params().filter_map(|(name, p)| p.row_factors.as_ref().map(|f| (name, f))).collect();
        if !factors.is_empty() {
            meta.insert("shrink.row_factors".to_string(), json(&factors));
        }
        if let Some(trainer) = trainer {
            SavedOptimizer::capture(trainer, &self.model)?.write(&mut tensors, &mut meta);
        }
        let views = tensors
            .iter()
            .map(|(name, shape, data)| {
                Ok((name.clone(), TensorView::new(Dtype::F32, shape.clone(), data).map_err(|e| corrupt(path, e))?))
            })
            .collect::<Result<Vec<_>, Error>>()?;
        let bytes = canonical::sorted_header(safetensors::serialize(views, Some(meta)).map_err(|e| corrupt(path, e))?);
        crate::case_study::write_atomic(path, &bytes)
    }

    /// Reads a model written by [`SavedModel::save`], with its optimizer state when the file
    /// has one (put it into a trainer with [`SavedOptimizer::restore`]).
    pub fn load(path: &Path) -> Result<(SavedModel, Option<SavedOptimizer>), Error> {
        let bytes = std::fs::read(path).map_err(|source| Error::Io { path: path.display().to_string(), source })?;
        let (_, metadata) = SafeTensors::read_metadata(&bytes)
            .map_err(|e| corrupt(path, format!("not a readable safetensors file ({e})")))?;
        let tensors = SafeTensors::deserialize(&bytes)
            .map_err(|e| corrupt(path, format!("not a readable safetensors file ({e})")))?;
        let meta = metadata.metadata().clone().unwrap_or_default();
        let field = |key: &str| {
            meta.get(key).ok_or_else(|| corrupt(path, format!("metadata `{key}` is missing (not a shrink model?)")))
        };
        let spec = ModelSpec::from_json(field("shrink.spec")?).map_err(|e| corrupt(path, e))?;
        let parse = |key: &str| -> Result<serde_json::Value, Error> {
            serde_json::from_str(field(key)?).map_err(|e| corrupt(path, format!("metadata `{key}`: {e}")))
        };
        let scaler: Scaler = serde_json::from_value(parse("shrink.scaler")?)
            .map_err(|e| corrupt(path, format!("metadata `shrink.scaler`: {e}")))?;
        let features: Vec<String> = serde_json::from_value(parse("shrink.features")?)
            .map_err(|e| corrupt(path, format!("metadata `shrink.features`: {e}")))?;
        let target: String = serde_json::from_value(parse("shrink.target")?)
            .map_err(|e| corrupt(path, format!("metadata `shrink.target`: {e}")))?;
        let penalties: BTreeMap<String, Penalty> = serde_json::from_value(parse("shrink.penalties")?)
            .map_err(|e| corrupt(path, format!("metadata `shrink.penalties`: {e}")))?;
        let factors: BTreeMap<String, Vec<f64>> = match meta.get("shrink.row_factors") {
            None => BTreeMap::new(),
            Some(_) => serde_json::from_value(parse("shrink.row_factors")?)
                .map_err(|e| corrupt(path, format!("metadata `shrink.row_factors`: {e}")))?,
        };
        let mut model = spec.build_model()?;
        let names: Vec<String> = model.params().map(|(n, _)| n).collect();
        for (name, id) in names.iter().zip(model.select("*")?) {
            let p = model.param_mut(id);
            p.value = read_f32(path, &tensors, name, &p.shape)?;
            p.penalty = penalties.get(name).copied();
            p.row_factors = factors.get(name).cloned();
            if let Some(f) = &p.row_factors {
                let rows = crate::prox::matrix_dims(p.value.len(), &p.shape).0;
                crate::nn::check_row_factors(f, rows, p.penalty)
                    .map_err(|e| corrupt(path, format!("row factors of `{name}`: {e}")))?;
            }
        }
        if scaler.n_features() != model.input_size() || features.len() != model.input_size() {
            return Err(corrupt(path, "scaler or feature list does not match the model's inputs"));
        }
        let optimizer = SavedOptimizer::read(path, &tensors, &meta)?;
        Ok((SavedModel { spec, scaler, features, target, model }, optimizer))
    }
}

fn read_f32(path: &Path, tensors: &SafeTensors, name: &str, shape: &[usize]) -> Result<Vec<f32>, Error> {
    let t = tensors.tensor(name).map_err(|_| corrupt(path, format!("tensor `{name}` is missing")))?;
    if t.dtype() != Dtype::F32 {
        return Err(corrupt(path, format!("tensor `{name}` is {:?}, expected F32", t.dtype())));
    }
    if t.shape() != shape {
        return Err(corrupt(path, format!("tensor `{name}` has shape {:?}, the spec says {shape:?}", t.shape())));
    }
    let values: Vec<f32> = t.data().chunks_exact(4).map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]])).collect();
    if let Some(i) = values.iter().position(|v| !v.is_finite()) {
        return Err(corrupt(path, format!("tensor `{name}` holds a non-finite value at index {i}")));
    }
    Ok(values)
}

mod erased {
    /// Object-safe JSON serialization for the metadata map.
    pub trait Json {
        fn to_json(&self) -> String;
    }
    impl<T: serde::Serialize> Json for T {
        fn to_json(&self) -> String {
            serde_json::to_string(self).expect("metadata values always serialize")
        }
    }
}

mod canonical;

#[cfg(test)]
mod tests;
