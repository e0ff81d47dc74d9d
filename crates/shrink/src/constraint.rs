//! Keras weight constraints, applied to a parameter after every optimizer step (and after any
//! proximal step of its penalty).
//!
//! A parameter is read as a matrix `[rows, columns]` whose column count is its last dimension
//! (see [`crate::prox::matrix_dims`]). `axis = 0` takes norms over the rows, one norm per column:
//! for a Dense kernel `[in, out]` the incoming weights of each unit, Keras' default `axis=0`; for
//! a convolution kernel `[kh, kw, in, filters]` one norm per filter, Keras' `axis=[0, 1, 2]`.
//! `axis = 1` takes one norm per row.

use crate::prox::matrix_dims;
use crate::{Error, Float};
use serde::{Deserialize, Serialize};

/// Keras' backend epsilon, added to norms before dividing.
const EPSILON: f64 = 1e-7;

/// A constraint on a parameter's values; see the module documentation.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "name", rename_all = "snake_case", deny_unknown_fields)]
pub enum Constraint {
    /// `w ← w·min(‖w‖, max_value)/(ε + ‖w‖)` per norm group (Keras `MaxNorm`).
    MaxNorm {
        /// The largest norm allowed, > 0. Default 2 (Keras).
        #[serde(default = "two")]
        max_value: f64,
        /// 0 or 1. Default 0.
        #[serde(default)]
        axis: usize,
    },
    /// `w ← w/(ε + ‖w‖)` per norm group (Keras `UnitNorm`).
    UnitNorm {
        /// 0 or 1. Default 0.
        #[serde(default)]
        axis: usize,
    },
    /// Negative values set to 0 (Keras `NonNeg`).
    NonNeg,
}

fn two() -> f64 {
    2.0
}

impl Constraint {
    /// Checks `max_value > 0` (finite) and `axis ∈ {0, 1}`.
    pub fn validate(&self) -> Result<(), Error> {
        let axis = match *self {
            Constraint::MaxNorm { max_value, axis } => {
                if !(max_value.is_finite() && max_value > 0.0) {
                    return Err(Error::invalid("max_value", "finite and > 0", max_value));
                }
                axis
            }
            Constraint::UnitNorm { axis } => axis,
            Constraint::NonNeg => 0,
        };
        if axis > 1 {
            return Err(Error::invalid("axis", "0 (one norm per column) or 1 (one norm per row)", axis));
        }
        Ok(())
    }

    /// Projects `weights` (of shape `shape`) onto the constraint, in place.
    pub fn apply<F: Float>(&self, weights: &mut [F], shape: &[usize]) {
        match *self {
            Constraint::NonNeg => weights.iter_mut().for_each(|w| {
                if *w < F::zero() {
                    *w = F::zero()
                }
            }),
            Constraint::MaxNorm { max_value, axis } => {
                scale_by_norm(weights, shape, axis, |norm| norm.min(max_value) / (EPSILON + norm))
            }
            Constraint::UnitNorm { axis } => scale_by_norm(weights, shape, axis, |norm| 1.0 / (EPSILON + norm)),
        }
    }
}

/// Multiplies each norm group by `factor(‖group‖)`.
fn scale_by_norm<F: Float>(weights: &mut [F], shape: &[usize], axis: usize, factor: impl Fn(f64) -> f64) {
    let (rows, cols) = matrix_dims(weights.len(), shape);
    let (outer, inner) = if axis == 0 { (cols, rows) } else { (rows, cols) };
    let index = |o: usize, k: usize| if axis == 0 { k * cols + o } else { o * cols + k };
    for o in 0..outer {
        let norm = (0..inner).map(|k| weights[index(o, k)].f64().powi(2)).sum::<f64>().sqrt();
        let f = F::of(factor(norm));
        (0..inner).for_each(|k| weights[index(o, k)] *= f);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn max_norm_closed_form() {
        // [[3, 0.3], [4, 0.4]]: column norms 5 and 0.5
        let mut w = [3.0f64, 0.3, 4.0, 0.4];
        Constraint::MaxNorm { max_value: 2.0, axis: 0 }.apply(&mut w, &[2, 2]);
        let big = 2.0 / (5.0 + EPSILON);
        let small = 0.5 / (0.5 + EPSILON);
        let want = [3.0 * big, 0.3 * small, 4.0 * big, 0.4 * small];
        assert!(w.iter().zip(want).all(|(a, b)| (a - b).abs() < 1e-15), "{w:?}");
        // axis 1: row norms √9.09 and √16.16, both above 2
        let mut w = [3.0f64, 0.3, 4.0, 0.4];
        Constraint::MaxNorm { max_value: 2.0, axis: 1 }.apply(&mut w, &[2, 2]);
        let r0 = (w[0] * w[0] + w[1] * w[1]).sqrt();
        assert!((r0 - 2.0).abs() < 1e-6 && (w[0] / w[1] - 10.0).abs() < 1e-12);
    }

    #[test]
    fn unit_norm_and_non_neg_closed_form() {
        let mut w = [3.0f64, -4.0];
        Constraint::UnitNorm { axis: 0 }.apply(&mut w, &[2, 1]);
        assert!((w[0] - 3.0 / (5.0 + EPSILON)).abs() < 1e-15 && (w[1] + 4.0 / (5.0 + EPSILON)).abs() < 1e-15);
        let mut w = [1.0f32, -2.0, 0.0, -0.5];
        Constraint::NonNeg.apply(&mut w, &[4]);
        assert_eq!(w, [1.0, 0.0, 0.0, 0.0]);
    }

    #[test]
    fn parse_and_validate() {
        let c: Constraint = serde_json::from_str(r#"{"name": "max_norm", "max_value": 3}"#).unwrap();
        assert_eq!(c, Constraint::MaxNorm { max_value: 3.0, axis: 0 });
        assert!(Constraint::MaxNorm { max_value: -1.0, axis: 0 }.validate().is_err());
        assert!(Constraint::UnitNorm { axis: 2 }.validate().is_err());
        assert!(serde_json::from_str::<Constraint>(r#"{"name": "min_norm"}"#).is_err());
    }
}
