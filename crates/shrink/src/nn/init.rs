use crate::rng::Rng;
use crate::Float;
use serde::{Deserialize, Serialize};

/// How a parameter's first values are drawn (Keras names and formulas).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Initializer {
    /// Uniform in ±√(6/(fan_in+fan_out)); Keras' default for kernels.
    #[default]
    GlorotUniform,
    /// Uniform in ±√(6/fan_in); suits relu layers.
    HeUniform,
    /// All zeros; Keras' default for biases.
    Zeros,
}

impl Initializer {
    /// Fills `values` for a weight with the given fans.
    pub fn fill<F: Float>(self, values: &mut [F], fan_in: usize, fan_out: usize, rng: &mut Rng) {
        let limit = match self {
            Initializer::GlorotUniform => (6.0 / (fan_in + fan_out).max(1) as f64).sqrt(),
            Initializer::HeUniform => (6.0 / fan_in.max(1) as f64).sqrt(),
            Initializer::Zeros => {
                values.fill(F::zero());
                return;
            }
        };
        for v in values {
            *v = F::of(rng.uniform(-limit, limit));
        }
    }
}
