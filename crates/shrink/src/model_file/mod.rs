//! Models as single safetensors files that Python reads directly.
//!
//! Tensors are named `<layer>.<role>` (`dense_0.kernel` `[in, out]`, `dense_0.bias`), f32,
//! exactly what Keras' `layer.set_weights([kernel, bias])` takes. PyTorch's `nn.Linear` stores
//! `weight` as `[out, in]`: transpose. The metadata (`__metadata__`, string → string) holds JSON:
//! `shrink.spec` (the training settings, with `input_shape` and `layers` written from the
//! model's own [`Model::describe`], so they carry the penalties, row factors and constraints in
//! force), `shrink.pipeline` (the preprocessing: input columns and their encoders or the
//! `[series]` stage, the input scaler, the target's classes or scaler — [`Pipeline`]), `shrink.penalties` (a flat copy
//! of the penalties in force, for readers that do not parse layer configs) and, when saved with
//! its optimizer, `shrink.optimizer` with the state tensors `optimizer.<param>.<name>` (e.g.
//! Adam's `m`, `v`). Files written before pipelines hold `shrink.scaler`, `shrink.features`
//! and `shrink.target` instead; they load as a numeric pipeline.
//!
//! Loading builds the described network and requires its parameters and the file's tensors to
//! be the same set with the same shapes. Format 1 files, whose layers came from the caller's
//! spec, still load: their `shrink.penalties` and `shrink.row_factors` are applied as before.

use crate::nn::Model;
use crate::spec::ModelSpec;
use crate::train::Trainer;
use crate::{Error, Penalty};
use safetensors::tensor::{Dtype, TensorView};
use safetensors::SafeTensors;
use shrink_data::{Pipeline, Scaler, TargetStage, TargetTask};
use std::collections::{BTreeMap, HashMap};
use std::path::Path;

mod optimizer_state;
pub use optimizer_state::{SavedOptimizer, StateTensor};

/// Format version written into every file.
pub const FORMAT_VERSION: &str = "2";

/// A trained model with everything needed to use it on new rows.
#[derive(Clone)]
pub struct SavedModel {
    /// The training settings (loss, optimizer, epochs, …). Its `input_shape` and `layers` are
    /// not trusted on save: the file describes `model` itself ([`Model::describe`]); after a
    /// load they equal the loaded model's description.
    pub spec: ModelSpec,
    /// The preprocessing fitted on its training rows: input columns and encoders, the input
    /// scaler, the target's encoding.
    pub pipeline: Pipeline,
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
        let spec = self.spec.clone().with_model_config(self.model.describe());
        check_described(path, &spec, &self.model)?;
        if self.pipeline.input().width() != self.model.input_size() {
            return Err(corrupt(path, "the preprocessing pipeline does not match the model's inputs"));
        }
        let mut tensors: Vec<(String, Vec<usize>, Vec<u8>)> =
            self.model.params().map(|(name, p)| (name, p.shape.clone(), bytes_of(&p.value))).collect();
        let penalties: BTreeMap<String, Penalty> = self
            .model
            .params()
            .filter_map(|(name, p)| {
                // Row factors alone (no strengths) are no penalty here, as before they moved into it.
                let only_factors = |pen: &Penalty| pen.is_zero() && pen.row_factors().is_some();
                p.penalty.as_ref().filter(|pen| !only_factors(pen)).map(|pen| (name, pen.without_row_factors()))
            })
            .collect();
        let json = |v: &dyn erased::Json| v.to_json();
        let mut meta = HashMap::from([
            ("format".to_string(), format!("shrink {FORMAT_VERSION}")),
            ("shrink.spec".to_string(), spec.to_json()),
            ("shrink.pipeline".to_string(), self.pipeline.to_json()),
            ("shrink.penalties".to_string(), json(&penalties)),
        ]);
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
        Ok(crate::files::write_atomic(path, &bytes)?)
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
        let pipeline = match meta.get("shrink.pipeline") {
            Some(text) => {
                Pipeline::from_json(text).map_err(|e| corrupt(path, format!("metadata `shrink.pipeline`: {e}")))?
            }
            None => legacy_pipeline(path, &spec, &parse)?,
        };
        let mut model = spec.build_model().map_err(|e| corrupt(path, e))?;
        let names: Vec<String> = model.params().map(|(n, _)| n).collect();
        for stored in tensors.names() {
            if !stored.starts_with("optimizer.") && !names.iter().any(|n| n == stored) {
                return Err(corrupt(
                    path,
                    format!("tensor `{stored}` is not a parameter of the described layers ({})", names.join(", ")),
                ));
            }
        }
        for (name, id) in names.iter().zip(model.select("*")?) {
            let p = model.param_mut(id);
            p.value = read_f32(path, &tensors, name, &p.shape)?;
        }
        if meta.get("format").map(String::as_str) == Some("shrink 1") {
            apply_legacy_settings(path, &meta, &mut model)?;
        }
        if pipeline.input().width() != model.input_size() {
            return Err(corrupt(
                path,
                "the preprocessing pipeline (scaler or feature list) does not match the model's inputs",
            ));
        }
        let regression = spec.loss == crate::loss::Loss::MeanSquaredError;
        if regression == pipeline.target().classes().is_some() {
            return Err(corrupt(path, format!("the target's encoding does not fit loss {}", spec.loss.as_str())));
        }
        if let Some(classes) = pipeline.target().classes() {
            let outputs = model.output_size();
            if classes.len() != outputs.max(2) {
                return Err(corrupt(
                    path,
                    format!("the target has {} classes, the model {outputs} outputs", classes.len()),
                ));
            }
        }
        if pipeline.series() != spec.series.as_ref() {
            return Err(corrupt(path, "the pipeline's series stage does not match the `series` of `shrink.spec`"));
        }
        let optimizer = SavedOptimizer::read(path, &tensors, &meta)?;
        Ok((SavedModel { spec, pipeline, model }, optimizer))
    }

    /// A model of numeric columns `features` through `scaler`, its target what the spec's loss
    /// implies (labels 0…k−1, or unscaled values): what `import` and tests build.
    pub fn numeric(
        spec: ModelSpec,
        scaler: Scaler,
        features: &[String],
        target: &str,
        model: Model<f32>,
    ) -> Result<SavedModel, Error> {
        let task = target_task(&spec, model.output_size());
        let pipeline = Pipeline::numeric(features, scaler, TargetStage::legacy(target, task))?;
        Ok(SavedModel { spec, pipeline, model })
    }

    /// The names of the network's inputs (encoded columns).
    pub fn features(&self) -> Vec<String> {
        self.pipeline.features()
    }

    /// The target column's name.
    pub fn target(&self) -> &str {
        self.pipeline.target().name()
    }
}

/// What the loss says the target is, for a target stage.
pub fn target_task(spec: &ModelSpec, outputs: usize) -> TargetTask {
    match spec.loss {
        crate::loss::Loss::MeanSquaredError => TargetTask::Regression(spec.target_scaling),
        crate::loss::Loss::BinaryCrossEntropy => TargetTask::Binary,
        crate::loss::Loss::CategoricalCrossEntropy => TargetTask::Categorical(outputs),
    }
}

/// Files written before pipelines: `shrink.scaler`, `shrink.features`, `shrink.target`, a
/// numeric table whose target the loss describes.
fn legacy_pipeline(
    path: &Path,
    spec: &ModelSpec,
    parse: &dyn Fn(&str) -> Result<serde_json::Value, Error>,
) -> Result<Pipeline, Error> {
    let scaler: Scaler = serde_json::from_value(parse("shrink.scaler")?)
        .map_err(|e| corrupt(path, format!("metadata `shrink.scaler`: {e}")))?;
    let features: Vec<String> = serde_json::from_value(parse("shrink.features")?)
        .map_err(|e| corrupt(path, format!("metadata `shrink.features`: {e}")))?;
    let target: String = serde_json::from_value(parse("shrink.target")?)
        .map_err(|e| corrupt(path, format!("metadata `shrink.target`: {e}")))?;
    if scaler.n_features() != features.len() {
        return Err(corrupt(path, "scaler or feature list does not match the model's inputs"));
    }
    let outputs = spec.build_output_size();
    Pipeline::numeric(&features, scaler, TargetStage::legacy(&target, target_task(spec, outputs)))
        .map_err(|e| corrupt(path, format!("metadata `shrink.features`: {e}")))
}

/// Format 1 stored the penalties in force and the row factors beside a caller-supplied spec;
/// they override what its layers say, as they did then.
fn apply_legacy_settings(path: &Path, meta: &HashMap<String, String>, model: &mut Model<f32>) -> Result<(), Error> {
    let parse = |key: &str| -> Result<Option<serde_json::Value>, Error> {
        meta.get(key)
            .map(|text| serde_json::from_str(text).map_err(|e| corrupt(path, format!("metadata `{key}`: {e}"))))
            .transpose()
    };
    let penalties: BTreeMap<String, Penalty> = match parse("shrink.penalties")? {
        None => BTreeMap::new(),
        Some(v) => serde_json::from_value(v).map_err(|e| corrupt(path, format!("metadata `shrink.penalties`: {e}")))?,
    };
    let factors: BTreeMap<String, Vec<f64>> = match parse("shrink.row_factors")? {
        None => BTreeMap::new(),
        Some(v) => {
            serde_json::from_value(v).map_err(|e| corrupt(path, format!("metadata `shrink.row_factors`: {e}")))?
        }
    };
    let names: Vec<String> = model.params().map(|(n, _)| n).collect();
    for (name, id) in names.iter().zip(model.select("*")?) {
        let p = model.param_mut(id);
        p.penalty = penalties.get(name).cloned();
        if let Some(f) = factors.get(name) {
            let penalty = p.penalty.clone().unwrap_or(Penalty::NONE);
            let penalty = penalty
                .with_row_factors(f.clone())
                .map_err(|e| corrupt(path, format!("row factors of `{name}`: {e}")))?;
            let rows = crate::prox::matrix_dims(p.value.len(), &p.shape).0;
            crate::nn::check_row_factors(&penalty, rows)
                .map_err(|e| corrupt(path, format!("row factors of `{name}`: {e}")))?;
            p.penalty = Some(penalty);
        }
    }
    Ok(())
}

/// Refuses to write a file that would not load as this model: every parameter's shape,
/// penalty, row factors and constraint must be what its layer's config rebuilds.
fn check_described(path: &Path, spec: &ModelSpec, model: &Model<f32>) -> Result<(), Error> {
    // Loading validates the spec (the loss must fit the last layer, …): so does saving.
    spec.validate().map_err(|e| corrupt(path, format!("the training settings do not fit the model: {e}")))?;
    let rebuilt =
        spec.build_model().map_err(|e| corrupt(path, format!("the model's description does not build: {e}")))?;
    let (ours, theirs): (Vec<_>, Vec<_>) = (model.params().collect(), rebuilt.params().collect());
    if ours.len() != theirs.len() {
        return Err(corrupt(path, "the model's description does not rebuild its parameters"));
    }
    for ((name, p), (other, q)) in ours.into_iter().zip(theirs) {
        let same = name == other && p.shape == q.shape && p.penalty == q.penalty && p.constraint == q.constraint;
        if !same {
            return Err(corrupt(
                path,
                format!("parameter `{name}` carries settings its layer's config cannot describe (row factors or a constraint on a layer without that option?)"),
            ));
        }
    }
    Ok(())
}

fn read_f32(path: &Path, tensors: &SafeTensors, name: &str, shape: &[usize]) -> Result<Vec<f32>, Error> {
    let t = tensors.tensor(name).map_err(|_| corrupt(path, format!("tensor `{name}` is missing")))?;
    if t.dtype() != Dtype::F32 {
        return Err(corrupt(path, format!("tensor `{name}` is {:?}, expected F32", t.dtype())));
    }
    if t.shape() != shape {
        return Err(corrupt(
            path,
            format!("tensor `{name}` has shape {:?}, its layer's config says {shape:?}", t.shape()),
        ));
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
mod description_tests;
#[cfg(test)]
mod tests;
