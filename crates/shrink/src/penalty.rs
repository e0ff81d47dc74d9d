//! Weight penalties: L1, L2 and both together (elastic net), with Keras scaling.
//!
//! A [`Penalty`] is attached to one parameter (a layer's kernel, bias or recurrent kernel). Per
//! training step it adds `l1·Σ|w| + l2·Σw²` to the mean data loss of the batch and
//! `l1·sign(w) + 2·l2·w` to the gradient; `sign(0) = 0`, as in TensorFlow.
//!
//! # Converting from other conventions
//! | convention | their knob | shrink |
//! |---|---|---|
//! | Keras `regularizers.L1L2(l1, l2)` | `l1`, `l2` | `Penalty::l1_l2(l1, l2)` (identical) |
//! | PyTorch `weight_decay=wd` (SGD, Adam) | adds `wd·w` to the gradient | `Penalty::from_torch_weight_decay(wd)` = `l2 = wd/2` |
//! | scikit-learn `MLPClassifier(alpha=a)` | adds `a/(2·n_batch)·Σw²` | `Penalty::from_sklearn_alpha(a, n_batch)` = `l2 = a/(2·n_batch)` |
//! | glmnet / sklearn `ElasticNet(alpha, l1_ratio)` | `alpha·(r·Σ|w| + (1−r)/2·Σw²)` | `Penalty::elastic_net(alpha, r)` |
//!
//! Decoupled weight decay (AdamW) is not a penalty on the loss: it shrinks weights outside the
//! adaptive update and so differs from L2 under Adam; see [`crate::optim::AdamW`].

use crate::Float;
use serde::{Deserialize, Serialize};

/// A rejected penalty strength.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PenaltyError {
    /// Alpha must be finite and non-negative.
    #[error("alpha `{parameter}` must be finite and ≥ 0, got {value}")]
    InvalidAlpha {
        /// Which strength (`l1`, `l2`, `alpha`, `weight_decay`).
        parameter: &'static str,
        /// The rejected value.
        value: f64,
    },
    /// `l1_ratio` must lie in [0, 1].
    #[error("l1_ratio must be in [0, 1], got {0}")]
    InvalidL1Ratio(f64),
    /// A batch size of zero cannot scale a scikit-learn alpha.
    #[error("batch_size must be ≥ 1 to convert a scikit-learn alpha, got 0")]
    ZeroBatch,
}

/// L1 and L2 strengths of one penalty, validated on construction.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
#[serde(try_from = "RawPenalty", into = "RawPenalty")]
pub struct Penalty {
    l1: f64,
    l2: f64,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPenalty {
    #[serde(default, deserialize_with = "l1_alpha")]
    l1: f64,
    #[serde(default, deserialize_with = "l2_alpha")]
    l2: f64,
}

// Checked per field, so a spec parser can point at the offending value.
fn l1_alpha<'de, D: serde::Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
    check("l1", f64::deserialize(d)?).map_err(serde::de::Error::custom)
}

fn l2_alpha<'de, D: serde::Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
    check("l2", f64::deserialize(d)?).map_err(serde::de::Error::custom)
}

impl TryFrom<RawPenalty> for Penalty {
    type Error = PenaltyError;
    fn try_from(raw: RawPenalty) -> Result<Self, PenaltyError> {
        Penalty::l1_l2(raw.l1, raw.l2)
    }
}

impl From<Penalty> for RawPenalty {
    fn from(p: Penalty) -> Self {
        RawPenalty { l1: p.l1, l2: p.l2 }
    }
}

fn check(parameter: &'static str, value: f64) -> Result<f64, PenaltyError> {
    if value.is_finite() && value >= 0.0 {
        Ok(value)
    } else {
        Err(PenaltyError::InvalidAlpha { parameter, value })
    }
}

impl Penalty {
    /// No penalty; the same as not attaching one.
    pub const NONE: Penalty = Penalty { l1: 0.0, l2: 0.0 };

    /// `alpha·Σ|w|` (Keras `L1(alpha)`); drives weights towards zero at a constant rate.
    pub fn l1(alpha: f64) -> Result<Self, PenaltyError> {
        Ok(Penalty { l1: check("l1", alpha)?, l2: 0.0 })
    }

    /// `alpha·Σw²` (Keras `L2(alpha)`, no ½); shrinks large weights hardest.
    pub fn l2(alpha: f64) -> Result<Self, PenaltyError> {
        Ok(Penalty { l1: 0.0, l2: check("l2", alpha)? })
    }

    /// `l1·Σ|w| + l2·Σw²` (Keras `L1L2`).
    pub fn l1_l2(l1: f64, l2: f64) -> Result<Self, PenaltyError> {
        Ok(Penalty { l1: check("l1", l1)?, l2: check("l2", l2)? })
    }

    /// glmnet's parametrisation `alpha·(r·Σ|w| + (1−r)/2·Σw²)`, so a search can move along
    /// `alpha` with a fixed mix `r = l1_ratio`.
    pub fn elastic_net(alpha: f64, l1_ratio: f64) -> Result<Self, PenaltyError> {
        let alpha = check("alpha", alpha)?;
        if !(0.0..=1.0).contains(&l1_ratio) {
            return Err(PenaltyError::InvalidL1Ratio(l1_ratio));
        }
        Ok(Penalty { l1: alpha * l1_ratio, l2: alpha * (1.0 - l1_ratio) / 2.0 })
    }

    /// PyTorch's coupled `weight_decay` adds `wd·w` to the gradient, which is the gradient of
    /// `wd/2·Σw²`: the same training as `l2 = wd/2`.
    pub fn from_torch_weight_decay(weight_decay: f64) -> Result<Self, PenaltyError> {
        let wd = check("weight_decay", weight_decay)?;
        Ok(Penalty { l1: 0.0, l2: wd / 2.0 })
    }

    /// scikit-learn's MLP adds `alpha/(2·n)·Σw²` per batch of `n` rows: `l2 = alpha/(2·n)`.
    pub fn from_sklearn_alpha(alpha: f64, batch_size: usize) -> Result<Self, PenaltyError> {
        let alpha = check("alpha", alpha)?;
        if batch_size == 0 {
            return Err(PenaltyError::ZeroBatch);
        }
        Ok(Penalty { l1: 0.0, l2: alpha / (2.0 * batch_size as f64) })
    }

    /// The L1 strength.
    pub fn l1_strength(&self) -> f64 {
        self.l1
    }

    /// The L2 strength.
    pub fn l2_strength(&self) -> f64 {
        self.l2
    }

    /// True when this penalty adds nothing.
    pub fn is_zero(&self) -> bool {
        self.l1 == 0.0 && self.l2 == 0.0
    }

    /// The penalty's value on `weights`, accumulated in `f64`.
    pub fn value<F: Float>(&self, weights: &[F]) -> f64 {
        let (mut abs, mut sq) = (0.0f64, 0.0f64);
        for w in weights {
            let w = w.f64();
            abs += w.abs();
            sq += w * w;
        }
        self.l1 * abs + self.l2 * sq
    }

    /// Adds the penalty's gradient to `grad` and returns its value, in one pass over the
    /// weights (the step's hot path).
    ///
    /// # Panics
    /// If `weights` and `grad` differ in length.
    pub fn accumulate<F: Float>(&self, weights: &[F], grad: &mut [F]) -> f64 {
        assert_eq!(weights.len(), grad.len());
        let (l1, two_l2) = (F::of(self.l1), F::of(2.0 * self.l2));
        let (abs, sq) = penalty_accumulate(weights, grad, l1, two_l2);
        self.l1 * abs.f64() + self.l2 * sq.f64()
    }
}

impl std::fmt::Display for Penalty {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match (self.l1 > 0.0, self.l2 > 0.0) {
            (false, false) => write!(f, "none"),
            (true, false) => write!(f, "L1({})", self.l1),
            (false, true) => write!(f, "L2({})", self.l2),
            (true, true) => write!(f, "L1L2(l1={}, l2={})", self.l1, self.l2),
        }
    }
}

crate::kernels::multiversion! {
    /// Adds `l1·sign(w) + 2·l2·w` to `grad`; returns (Σ|w|, Σw²). Eight partial sums per norm
    /// keep the reductions vectorizable and their order fixed.
    fn penalty_accumulate<F: Float>(weights: &[F], grad: &mut [F], l1: F, two_l2: F) -> (F, F) {
        let (mut abs, mut sq) = ([F::zero(); 8], [F::zero(); 8]);
        let split = weights.len() / 8 * 8;
        let (gh, gt) = grad.split_at_mut(split);
        let (wh, wt) = weights.split_at(split);
        for (g8, w8) in gh.chunks_exact_mut(8).zip(wh.chunks_exact(8)) {
            for l in 0..8 {
                let w = w8[l];
                g8[l] += l1 * sign(w) + two_l2 * w;
                abs[l] += w.abs();
                sq[l] += w * w;
            }
        }
        for (g, &w) in gt.iter_mut().zip(wt) {
            *g += l1 * sign(w) + two_l2 * w;
            abs[0] += w.abs();
            sq[0] += w * w;
        }
        (abs.iter().copied().sum::<F>(), sq.iter().copied().sum::<F>())
    }
}

/// TensorFlow's sign: −1, 0 or 1 (0 at 0, so an exact zero feels no L1 pull).
#[inline(always)]
fn sign<F: Float>(w: F) -> F {
    let (zero, one) = (F::zero(), F::one());
    (if w > zero { one } else { zero }) - (if w < zero { one } else { zero })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keras_convention_values_by_hand() {
        let w = [1.0f64, -2.0, 0.5, 0.0];
        // Σ|w| = 3.5, Σw² = 5.25
        assert_eq!(Penalty::l1(0.1).unwrap().value(&w), 0.1 * 3.5);
        assert_eq!(Penalty::l2(0.01).unwrap().value(&w), 0.01 * 5.25);
        let both = Penalty::l1_l2(0.1, 0.01).unwrap();
        assert!((both.value(&w) - (0.35 + 0.0525)).abs() < 1e-15);
        let mut g = [0.0f64; 4];
        let v = both.accumulate(&w, &mut g);
        assert!((v - 0.4025).abs() < 1e-15);
        // l1·sign(w) + 2·l2·w, sign(0) = 0
        assert_eq!(g, [0.1 + 0.02, -0.1 - 0.04, 0.1 + 0.01, 0.0]);
    }

    #[test]
    fn gradient_matches_finite_differences_away_from_zero() {
        let w = [0.3f64, -1.7, 2.2, -0.05];
        for p in [Penalty::l1(0.3).unwrap(), Penalty::l2(0.7).unwrap(), Penalty::l1_l2(0.2, 0.9).unwrap()] {
            let mut g = [0.0; 4];
            p.accumulate(&w, &mut g);
            for i in 0..4 {
                let h = 1e-6;
                let (mut up, mut down) = (w, w);
                up[i] += h;
                down[i] -= h;
                let fd = (p.value(&up) - p.value(&down)) / (2.0 * h);
                assert!((fd - g[i]).abs() <= 1e-6 * fd.abs().max(1.0), "{p}: {fd} vs {}", g[i]);
            }
        }
    }

    #[test]
    fn invalid_alpha_is_a_typed_error_naming_the_parameter() {
        let e = Penalty::l2(-1.0).unwrap_err();
        assert_eq!(e.to_string(), "alpha `l2` must be finite and ≥ 0, got -1");
        assert!(Penalty::l1(f64::NAN).is_err());
        assert!(Penalty::l1_l2(0.0, f64::INFINITY).is_err());
        assert!(Penalty::elastic_net(0.1, 1.5).is_err());
        assert!(Penalty::from_sklearn_alpha(0.1, 0).is_err());
        assert!(serde_json::from_str::<Penalty>(r#"{"l2": -0.5}"#).is_err());
        assert!(serde_json::from_str::<Penalty>(r#"{"l3": 0.5}"#).is_err());
    }

    #[test]
    fn conversions() {
        assert_eq!(Penalty::from_torch_weight_decay(0.01).unwrap().l2_strength(), 0.005);
        assert_eq!(Penalty::from_sklearn_alpha(0.0001, 50).unwrap().l2_strength(), 0.0001 / 100.0);
        let en = Penalty::elastic_net(0.2, 0.25).unwrap();
        assert!((en.l1_strength() - 0.05).abs() < 1e-15 && (en.l2_strength() - 0.075).abs() < 1e-15);
        let p: Penalty = serde_json::from_str(r#"{"l2": 0.001}"#).unwrap();
        assert_eq!(p, Penalty::l2(0.001).unwrap());
    }
}
