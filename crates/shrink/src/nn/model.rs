use super::selector::Selector;
use super::{Layer, LayerConfig, ModelConfig, Param};
use crate::kernels::Parallelism;
use crate::rng::Rng;
use crate::{Error, Float, Penalty};
use ndarray::{Array2, ArrayView2};
use std::collections::HashMap;

/// Collects layers before their shapes are known.
pub struct ModelBuilder<F: Float> {
    input_shape: Vec<usize>,
    layers: Vec<Box<dyn Layer<F>>>,
}

impl<F: Float> ModelBuilder<F> {
    /// Appends a layer.
    pub fn layer(mut self, layer: impl Layer<F> + 'static) -> Self {
        self.layers.push(Box::new(layer));
        self
    }

    /// Appends the layer a config describes.
    pub fn config(mut self, config: impl Into<LayerConfig>) -> Self {
        self.layers.push(config.into().into_layer());
        self
    }

    /// Names the layers (`dense_0`, `dense_1`, … per kind), checks every shape, and draws the
    /// initial weights from `seed`.
    pub fn build(self, seed: u64) -> Result<Model<F>, Error> {
        self.build_capped(seed, super::MAX_MODEL_PARAMETERS)
    }

    /// [`ModelBuilder::build`] refusing more than `max_parameters` trainable values.
    pub(crate) fn build_capped(mut self, seed: u64, max_parameters: usize) -> Result<Model<F>, Error> {
        if self.layers.is_empty() {
            return Err(Error::EmptyModel);
        }
        if self.input_shape.is_empty() || self.input_shape.contains(&0) {
            return Err(Error::Shape(format!(
                "input shape must be non-empty with no zero axis, got {:?}",
                self.input_shape
            )));
        }
        super::checked_elements(&self.input_shape).map_err(|e| Error::Shape(format!("input shape: {e}")))?;
        let mut rng = Rng::derive(seed, 0x1417);
        let mut counts: HashMap<&'static str, usize> = HashMap::new();
        let mut shape = self.input_shape.clone();
        let mut total = 0usize;
        for layer in &mut self.layers {
            let count = counts.entry(layer.kind()).or_default();
            layer.set_name(format!("{}_{}", layer.kind(), count));
            *count += 1;
            let error = |message: String| Error::Layer { layer: layer.name().to_string(), message };
            // Checked before the layer allocates; each tensor is checked again as it is made.
            total = total.saturating_add(layer.planned_parameters(&shape));
            if total > max_parameters {
                return Err(error(format!("the model would hold more than {max_parameters} parameters")));
            }
            // Values, gradients and up to two optimizer states per parameter.
            let need = (total as u64).saturating_mul(4 * std::mem::size_of::<F>() as u64);
            if let Some(have) = crate::threads::available_memory().filter(|&have| need > have) {
                let gb = |b: u64| b as f64 / 1e9;
                return Err(error(format!(
                    "the model's {total} parameters need about {:.1} GB (values, gradients, optimizer state), more than the {:.1} GB this machine has available",
                    gb(need),
                    gb(have)
                )));
            }
            shape = layer.build(&shape, &mut rng)?;
            super::checked_elements(&shape)
                .map_err(|e| Error::Layer { layer: layer.name().to_string(), message: format!("output: {e}") })?;
        }
        Ok(Model { input_shape: self.input_shape, output_shape: shape, layers: self.layers })
    }
}

/// Identifies one parameter of a model: layer index and position within the layer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ParamId {
    /// Index of the layer.
    pub layer: usize,
    /// Index within the layer's parameters.
    pub index: usize,
}

/// A built sequential network.
pub struct Model<F: Float> {
    input_shape: Vec<usize>,
    output_shape: Vec<usize>,
    layers: Vec<Box<dyn Layer<F>>>,
}

impl<F: Float> Clone for Model<F> {
    fn clone(&self) -> Self {
        Model {
            input_shape: self.input_shape.clone(),
            output_shape: self.output_shape.clone(),
            layers: self.layers.iter().map(|l| l.clone_box()).collect(),
        }
    }
}

impl<F: Float> Model<F> {
    /// Starts a model whose samples have `input_shape` (e.g. `&[2]` for two features).
    pub fn builder(input_shape: &[usize]) -> ModelBuilder<F> {
        ModelBuilder { input_shape: input_shape.to_vec(), layers: Vec::new() }
    }

    /// Builds the network a config describes with weights drawn from `seed`.
    pub fn from_config(config: &ModelConfig, seed: u64) -> Result<Self, Error> {
        config.build(seed)
    }

    /// The network's description: input shape and every layer's config, with the penalties,
    /// row factors and constraints its parameters carry now. [`Model::from_config`] of it gives
    /// a network of the same shapes and parameter settings; model files store it.
    pub fn describe(&self) -> ModelConfig {
        ModelConfig { input_shape: self.input_shape.clone(), layers: self.layer_configs() }
    }

    /// Every layer's config, in order ([`Layer::config`]).
    pub fn layer_configs(&self) -> Vec<LayerConfig> {
        self.layers.iter().map(|l| l.config()).collect()
    }

    /// Per-sample input shape.
    pub fn input_shape(&self) -> &[usize] {
        &self.input_shape
    }

    /// Number of input features per sample (product of the input shape).
    pub fn input_size(&self) -> usize {
        self.input_shape.iter().product()
    }

    /// Number of outputs per sample.
    pub fn output_size(&self) -> usize {
        self.output_shape.iter().product()
    }

    /// The layers, in order.
    pub fn layers(&self) -> &[Box<dyn Layer<F>>] {
        &self.layers
    }

    /// The layers, mutable.
    pub fn layers_mut(&mut self) -> &mut [Box<dyn Layer<F>>] {
        &mut self.layers
    }

    /// Multiply-adds per sample of one forward pass.
    pub fn forward_macs(&self) -> usize {
        self.layers.iter().map(|l| l.forward_macs()).sum()
    }

    /// Total number of trainable values.
    pub fn parameter_count(&self) -> usize {
        // Not through `params()`: naming each parameter would allocate, and a step asks for this.
        self.layers.iter().flat_map(|l| l.params()).map(|p| p.value.len()).sum()
    }

    /// Every parameter with its qualified name `layer.role` (e.g. `dense_0.kernel`).
    pub fn params(&self) -> impl Iterator<Item = (String, &Param<F>)> {
        self.layers.iter().flat_map(|l| l.params().iter().map(move |p| (format!("{}.{}", l.name(), p.role), p)))
    }

    /// Calls `f` for every parameter in a fixed order with its slot number (optimizers key
    /// their state by slot). Allocation-free, for the training step.
    pub fn for_each_param_mut(&mut self, mut f: impl FnMut(usize, &mut Param<F>)) {
        let mut slot = 0;
        for layer in &mut self.layers {
            for p in layer.params_mut() {
                f(slot, p);
                slot += 1;
            }
        }
    }

    /// The parameters matching a selector ([`super::selector`]): a comma-separated list of
    /// globs over `layer.role` names (`conv2d_*.kernel,lstm_0.recurrent_kernel`, `*.kernel`,
    /// `dense_1`, `*`), in model order. An item that matches nothing is an error listing the
    /// parameters that exist.
    pub fn select(&self, selector: &str) -> Result<Vec<ParamId>, Error> {
        let parsed = Selector::parse(selector).ok_or_else(|| self.unknown(selector))?;
        let mut used = vec![false; parsed.len()];
        let mut ids = Vec::new();
        for (li, layer) in self.layers.iter().enumerate() {
            for (pi, p) in layer.params().iter().enumerate() {
                let mut hit = false;
                for (i, used) in used.iter_mut().enumerate() {
                    if parsed.item_matches(i, layer.name(), p.role) {
                        *used = true;
                        hit = true;
                    }
                }
                if hit {
                    ids.push(ParamId { layer: li, index: pi });
                }
            }
        }
        if let Some(i) = used.iter().position(|u| !u) {
            let item = parsed.items().nth(i).unwrap_or_default();
            return Err(self.unknown(&item));
        }
        Ok(ids)
    }

    fn unknown(&self, selector: &str) -> Error {
        Error::UnknownParameter {
            selector: selector.to_string(),
            available: self.params().map(|(n, _)| n).collect::<Vec<_>>().join(", "),
        }
    }

    /// A parameter by id.
    ///
    /// # Panics
    /// If the id does not come from this model's [`Model::select`].
    pub fn param(&self, id: ParamId) -> &Param<F> {
        &self.layers[id.layer].params()[id.index]
    }

    /// The qualified name (`dense_0.kernel`) of a parameter.
    ///
    /// # Panics
    /// If the id does not come from this model's [`Model::select`].
    pub fn param_name(&self, id: ParamId) -> String {
        let layer = &self.layers[id.layer];
        format!("{}.{}", layer.name(), layer.params()[id.index].role)
    }

    /// A parameter by id, mutable.
    ///
    /// # Panics
    /// If the id does not come from this model's [`Model::select`].
    pub fn param_mut(&mut self, id: ParamId) -> &mut Param<F> {
        &mut self.layers[id.layer].params_mut()[id.index]
    }

    /// Attaches (or, with `None`, removes) a penalty on every parameter the selector matches;
    /// this is how a fitted network gets a penalty without being rebuilt.
    pub fn set_penalty(&mut self, selector: &str, penalty: Option<Penalty>) -> Result<(), Error> {
        let ids = self.select(selector)?;
        // All checked first, so a refused penalty leaves every parameter as it was.
        for &id in &ids {
            self.param(id)
                .check_penalty(penalty.as_ref())
                .map_err(|e| Error::Layer { layer: self.param_name(id), message: e.to_string() })?;
        }
        for &id in &ids {
            self.param_mut(id).set_penalty(penalty.clone())?;
        }
        Ok(())
    }

    /// The total penalty on the current weights (what a step adds to the mean data loss).
    pub fn penalty_value(&self) -> f64 {
        // A fold from +0.0: an empty float sum is −0.0, which prints as "-0".
        self.params().map(|(_, p)| p.penalty_value()).fold(0.0, |a, b| a + b)
    }

    /// The activity penalties of the last forward pass of `batch` rows (each layer's
    /// `(l1·Σ|a| + l2·Σa²)/batch`), summed over layers.
    pub fn activity_penalty_value(&self, batch: usize) -> f64 {
        self.layers.iter().map(|l| l.activity_penalty_value(batch)).sum()
    }

    /// Whether any layer penalizes its outputs.
    pub fn has_activity_penalty(&self) -> bool {
        self.layers.iter().any(|l| l.activity_penalty().is_some())
    }

    /// Runs a batch forward; returns the output (`batch × output_size` elements).
    ///
    /// # Panics
    /// If `input` holds fewer than `batch × input_size` elements.
    pub fn forward(&mut self, input: &[F], batch: usize, training: bool, par: Parallelism) -> &[F] {
        assert!(input.len() >= batch * self.input_size(), "input too short for the batch");
        for i in 0..self.layers.len() {
            let (before, rest) = self.layers.split_at_mut(i);
            let x = if i == 0 { input } else { before[i - 1].output() };
            rest[0].forward(x, batch, training, par);
        }
        let out = self.output_size();
        &self.layers[self.layers.len() - 1].output()[..batch * out]
    }

    /// Back-propagates `grad_output` (d loss / d output) through every layer, overwriting
    /// each parameter's gradient. Must follow a `forward` of the same batch.
    pub fn backward(&mut self, input: &[F], grad_output: &[F], batch: usize, par: Parallelism) {
        for i in (0..self.layers.len()).rev() {
            let (before, rest) = self.layers.split_at_mut(i);
            let (current, after) = rest.split_first_mut().expect("i is in range");
            let x = if i == 0 { input } else { before[i - 1].output() };
            let g = if after.is_empty() { grad_output } else { after[0].input_grad() };
            current.backward(x, g, batch, i > 0, par);
        }
    }

    /// Outputs for every row of `x`, in batches of `batch_size`; an output that is not finite
    /// (inputs far outside the training range can overflow `f32`) is an error naming the row.
    pub fn predict(&mut self, x: ArrayView2<F>, batch_size: usize) -> Result<Array2<F>, Error> {
        let n = x.nrows();
        if x.ncols() != self.input_size() {
            return Err(Error::Shape(format!(
                "the model expects {} input columns, the data has {}",
                self.input_size(),
                x.ncols()
            )));
        }
        let x = x.as_standard_layout();
        let flat = x.as_slice().expect("standard layout is contiguous");
        let (width, out) = (self.input_size(), self.output_size());
        let mut result = Array2::zeros((n, out));
        let batch_size = batch_size.max(1);
        let dst = result.as_slice_mut().expect("fresh array is contiguous");
        let mut start = 0;
        while start < n {
            let b = batch_size.min(n - start);
            let y = self.forward(&flat[start * width..(start + b) * width], b, false, Parallelism::Sequential);
            if let Some(i) = y.iter().position(|v| !v.is_finite()) {
                return Err(Error::NonFinitePrediction { row: start + i / out + 1, value: y[i].f64() });
            }
            dst[start * out..(start + b) * out].copy_from_slice(y);
            start += b;
        }
        Ok(result)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::nn::{Activation, Dense};

    fn mlp() -> Model<f64> {
        Model::builder(&[3])
            .layer(Dense::new(4).activation(Activation::Tanh))
            .layer(Dense::new(2).activation(Activation::Softmax))
            .build(1)
            .unwrap()
    }

    #[test]
    fn names_and_selectors() {
        let m = mlp();
        let names: Vec<String> = m.params().map(|(n, _)| n).collect();
        assert_eq!(names, ["dense_0.kernel", "dense_0.bias", "dense_1.kernel", "dense_1.bias"]);
        assert_eq!(m.select("dense_0.kernel").unwrap(), [ParamId { layer: 0, index: 0 }]);
        assert_eq!(m.select("*.kernel").unwrap().len(), 2);
        assert_eq!(m.select("bias").unwrap().len(), 2);
        assert_eq!(m.select("dense_1").unwrap().len(), 2);
        let e = m.select("dense_7.kernel").unwrap_err().to_string();
        assert!(e.contains("dense_7.kernel") && e.contains("dense_0.bias"), "{e}");
        assert!(m.select("dense_0.weights").is_err());
        // Lists and globs, in model order, each parameter once.
        assert_eq!(
            m.select("dense_1.bias,dense_0.kernel").unwrap(),
            [ParamId { layer: 0, index: 0 }, ParamId { layer: 1, index: 1 }]
        );
        assert_eq!(m.select("dense_*.kernel,*.kernel").unwrap().len(), 2);
        assert_eq!(m.select("dense_?").unwrap().len(), 4);
        // One item matching nothing fails the whole selector, naming that item.
        let e = m.select("dense_0.kernel,conv2d_*.kernel").unwrap_err().to_string();
        assert!(e.contains("`conv2d_*.kernel`") && e.contains("dense_1.bias"), "{e}");
        assert!(m.select("dense_0.kernel,").is_err());
    }

    #[test]
    fn set_penalty_is_checked_and_all_or_nothing() {
        let mut m = mlp();
        m.param_mut(ParamId { layer: 1, index: 0 }).set_row_factors(Some(vec![1.0; 4])).unwrap();
        let columns = Penalty::group_lasso(0.1, crate::prox::Groups::Columns).unwrap();
        let e = m.set_penalty("*.kernel", Some(columns)).unwrap_err().to_string();
        assert!(e.contains("dense_1") && e.contains("column groups"), "{e}");
        assert!(
            m.params().all(|(_, p)| p.penalty.as_ref().is_none_or(Penalty::is_zero)),
            "a refused penalty changed nothing"
        );
        assert!(m.param_mut(ParamId { layer: 1, index: 0 }).set_row_factors(Some(vec![1.0; 3])).is_err());
        assert!(m.param_mut(ParamId { layer: 1, index: 0 }).set_row_factors(Some(vec![-1.0; 4])).is_err());
    }

    #[test]
    fn kernels_are_glorot_and_biases_zero_and_unpenalized() {
        let m = mlp();
        let k = m.param(ParamId { layer: 0, index: 0 });
        assert_eq!(k.shape, [3, 4]);
        let limit = (6.0f64 / 7.0).sqrt();
        assert!(k.value.iter().all(|w| w.abs() <= limit) && k.value.iter().any(|w| *w != 0.0));
        let b = m.param(ParamId { layer: 0, index: 1 });
        assert!(b.value.iter().all(|&w| w == 0.0));
        assert!(m.params().all(|(_, p)| p.penalty.is_none()));
    }

    #[test]
    fn same_seed_same_weights() {
        let (a, b) = (mlp(), mlp());
        for ((_, p), (_, q)) in a.params().zip(b.params()) {
            assert_eq!(p.value, q.value);
        }
    }

    #[test]
    fn the_parameter_cap_is_checked_before_a_layer_allocates() {
        let layers = || Model::<f32>::builder(&[3]).layer(Dense::new(4)).layer(Dense::new(2));
        assert!(layers().build_capped(0, 26).is_ok());
        let e = layers().build_capped(0, 25).err().unwrap().to_string();
        assert!(e.contains("dense_1") && e.contains("more than 25 parameters"), "{e}");
        let e = layers().build_capped(0, 15).err().unwrap().to_string();
        assert!(e.contains("dense_0"), "{e}");
        let conv = Model::<f32>::builder(&[4, 4, 3]).layer(crate::nn::Conv2D::new(2, (2, 2)));
        assert!(conv.build_capped(0, 2 * 2 * 3 * 2 + 1).is_err());
        let lstm = Model::<f32>::builder(&[5, 3]).layer(crate::nn::Lstm::new(2));
        assert_eq!(lstm.build_capped(0, (3 + 2 + 1) * 8).unwrap().parameter_count(), 48);
    }

    #[test]
    fn shape_errors_do_not_panic() {
        let err = Model::<f32>::builder(&[2, 2]).layer(Dense::new(3)).build(0).err().unwrap();
        assert!(err.to_string().contains("Flatten"), "{err}");
        assert!(Model::<f32>::builder(&[2]).build(0).is_err());
        let mut m = mlp();
        assert!(m.predict(ndarray::Array2::zeros((2, 5)).view(), 32).is_err());
    }
}
