use super::{ensure_len, Layer, LayerConfig};
use crate::kernels::Parallelism;
use crate::rng::Rng;
use crate::{Error, Float};
use serde::{Deserialize, Serialize};

/// The config of a [`Flatten`] layer, which has no options.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FlattenConfig {}

impl FlattenConfig {
    /// The unbuilt layer.
    pub fn into_layer<F: Float>(self) -> Flatten<F> {
        Flatten::new()
    }
}

/// Reshapes each sample to one axis (`[h, w, c]` → `[h·w·c]`, row-major, as Keras does for
/// channels-last data), so that a [`Dense`](super::Dense) layer can follow a convolution.
#[derive(Debug, Clone, Default)]
pub struct Flatten<F> {
    name: String,
    size: usize,
    output: Vec<F>,
    dx: Vec<F>,
}

impl<F: Float> Flatten<F> {
    /// The layer (it has no options).
    pub fn new() -> Self {
        Flatten { name: String::new(), size: 0, output: Vec::new(), dx: Vec::new() }
    }
}

impl<F: Float> Layer<F> for Flatten<F> {
    super::name_field!("flatten");

    fn build(&mut self, input_shape: &[usize], _rng: &mut Rng) -> Result<Vec<usize>, Error> {
        self.size = input_shape.iter().product();
        if self.size == 0 {
            return Err(Error::Layer {
                layer: self.name.clone(),
                message: format!("Flatten needs a non-empty input, got shape {input_shape:?}"),
            });
        }
        Ok(vec![self.size])
    }

    fn forward(&mut self, input: &[F], batch: usize, _training: bool, _par: Parallelism) {
        let len = batch * self.size;
        ensure_len(&mut self.output, len);
        self.output[..len].copy_from_slice(&input[..len]);
    }

    fn output(&self) -> &[F] {
        &self.output
    }

    fn backward(&mut self, _input: &[F], grad_output: &[F], batch: usize, need_input_grad: bool, _par: Parallelism) {
        if need_input_grad {
            let len = batch * self.size;
            ensure_len(&mut self.dx, len);
            self.dx[..len].copy_from_slice(&grad_output[..len]);
        }
    }

    fn input_grad(&self) -> &[F] {
        &self.dx
    }

    fn config(&self) -> LayerConfig {
        FlattenConfig {}.into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::nn::testing::check_layer;

    #[test]
    fn flattens_row_major_and_passes_gradients_through() {
        assert_eq!(check_layer(Flatten::new(), &[3, 2, 2], 2, 1, |_| {}), [12]);
        assert_eq!(check_layer(Flatten::new(), &[5], 2, 2, |_| {}), [5]);
        let mut f = Flatten::<f32>::new();
        assert_eq!(f.build(&[2, 3, 4], &mut Rng::new(0)).unwrap(), [24]);
        let x: Vec<f32> = (0..48).map(|i| i as f32).collect();
        f.forward(&x, 2, false, Parallelism::Sequential);
        assert_eq!(&f.output()[..48], &x[..]);
        assert!(f.params().is_empty());
    }
}
