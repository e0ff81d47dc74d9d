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
//! | glmnet `alpha·(r·Σ|w| + (1−r)/2·Σw²)` beside a loss with the same scale as shrink's | `alpha`, `l1_ratio = r` | `Penalty::elastic_net(alpha, r)` |
//! | scikit-learn `ElasticNet(alpha, l1_ratio)` (data term `RSS/(2n)`) on an MSE model | `alpha`, `l1_ratio` | `Penalty::elastic_net(2·alpha, r)`: shrink's MSE is `RSS/n`, twice sklearn's data term |
//!
//! # Group lasso
//! `group = g` adds `g·Σ_groups ‖w_group‖₂` over the rows (`groups = "rows"`: one group per
//! input feature of a Dense kernel `[in, out]`) or columns (`"columns"`: one group per unit) of
//! the parameter read as a matrix (see [`crate::prox::Groups`]). It is not scaled by
//! `√group size`: in one kernel all groups have the same size, so the standard group lasso's
//! `√p` is a constant that folds into `g` (`g = λ·√p` reproduces it).
//!
//! # How a penalty is applied: [`PenaltyMode`]
//! - `gradient` (default, identical to Keras): the penalty's (sub)gradient joins the data
//!   gradient before the optimizer. L1 weights then oscillate around zero and are almost never
//!   exactly zero.
//! - `proximal`: the L1 and group parts are applied after the optimizer step as proximal steps
//!   (soft-thresholding, group soft-thresholding; [`crate::prox`]) with the step size the
//!   optimizer actually used for each coordinate ([`crate::optim::Optimizer::step_sizes`]):
//!   `lr` for SGD (also with momentum), `α_t/(√v + ε)` for Adam/AdamW, `lr/√(v + ε)` for
//!   RMSprop. Weights become exactly zero and stay zero while the data gradient is weaker than
//!   the threshold. The L2 part stays a gradient term. Right for sparsity and feature
//!   selection; with SGD it is proximal gradient descent (ISTA) and reaches the Lasso solution.
//! - `decoupled` (pure L2 only): `w ← w·(1 − lr·2·l2)` before the optimizer's update, outside
//!   any adaptive scaling. This is exactly AdamW's decay with `weight_decay = 2·l2` (the factor 2
//!   keeps `l2` meaning the same as in gradient mode: under plain SGD both modes give the same
//!   training). Right with Adam/RMSprop when every weight should decay at the same relative rate.
//!
//! In every mode the reported loss includes the full penalty value.
//!
//! # Row factors
//! A penalty may carry per-row factors (glmnet's `penalty.factor`, [`Penalty::with_row_factors`]):
//! row `r` of the parameter read as a matrix (for a Dense kernel `[in, out]`, input feature `r`)
//! is penalized with every strength times `factor[r]`; 0 leaves the row unpenalized. They are
//! checked finite and ≥ 0 when made, and their count against the parameter's rows wherever the
//! penalty is attached (build, `set_penalty`, load). Scaling ([`Penalty::scaled`]) keeps them.
//! They have no text form: specs and files write them as the Dense option
//! `kernel_row_factors = [..]`, beside the penalty's text or table form.
//!
//! ## Converting alphas between modes and libraries
//! The strengths mean the same objective in every mode; only the optimization differs.
//! PyTorch `weight_decay = wd` (coupled) is `l2 = wd/2` in gradient mode; PyTorch `AdamW(weight_decay = wd)`
//! multiplies by `1 − lr·wd` and so is `l2 = wd/2` in decoupled mode. scikit-learn's `Lasso(alpha = a)`
//! minimises `1/(2n)·RSS + a·Σ|w|`; shrink's MSE loss is `RSS/n`, twice that data term, so the
//! same solution needs `l1 = 2a` (mean-squared-error models; for other losses there is no fixed
//! conversion).

mod apply;
mod family;
mod rows;
pub mod text;

pub(crate) use apply::check_row_factors;
pub use family::{Family, FamilyKind};

use crate::prox::{self, Groups};
use crate::Float;
use serde::{Deserialize, Serialize};
use std::sync::Arc;

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
    /// `decoupled` applies to pure L2 penalties only.
    #[error("mode `decoupled` needs a pure L2 penalty (l1 = 0, group = 0), got l1 = {l1}, group = {group}")]
    DecoupledNeedsPureL2 {
        /// The L1 strength given.
        l1: f64,
        /// The group strength given.
        group: f64,
    },
    /// A penalty or family in text form that does not parse.
    #[error("penalty `{text}`: expected {expected}")]
    Syntax {
        /// The offending text (a prefix, if it was long).
        text: String,
        /// What was expected there.
        expected: &'static str,
    },
    /// A factor scaling a penalty (a per-row factor, a schedule's multiplier) that is negative
    /// or not finite.
    #[error("penalty factor must be finite and ≥ 0, got {0}")]
    InvalidFactor(f64),
    /// Row factors combined with column groups (a column spans every row, so it has no single
    /// factor).
    #[error("row penalty factors cannot be combined with column groups (groups = columns)")]
    RowFactorsWithColumnGroups,
}

/// How a penalty acts on training; see the module documentation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PenaltyMode {
    /// The penalty's gradient joins the data gradient (Keras).
    #[default]
    Gradient,
    /// L1 and group parts as proximal steps after the optimizer's update: exact zeros.
    Proximal,
    /// Pure L2 as decoupled decay `w ← w·(1 − lr·2·l2)` (AdamW with `weight_decay = 2·l2`).
    Decoupled,
}

impl PenaltyMode {
    /// The name used in specs and files.
    pub fn as_str(self) -> &'static str {
        match self {
            PenaltyMode::Gradient => "gradient",
            PenaltyMode::Proximal => "proximal",
            PenaltyMode::Decoupled => "decoupled",
        }
    }
}

/// L1, L2 and group strengths of one penalty, how it is applied and its optional per-row
/// factors, validated on construction.
///
/// Written in specs and flags either as text (`"l1:1e-3@proximal"`, see [`text`]) or as a
/// table (`{ l1 = 1e-3, mode = "proximal" }`); files store the table form. Neither form holds
/// the row factors (see the module documentation): serializing writes the strengths and mode
/// only. Cloning is cheap: the factors are shared.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
#[serde(into = "RawPenalty")]
pub struct Penalty {
    l1: f64,
    l2: f64,
    group: f64,
    groups: Groups,
    mode: PenaltyMode,
    row_factors: Option<Arc<[f64]>>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPenalty {
    #[serde(default, deserialize_with = "l1_alpha")]
    l1: f64,
    #[serde(default, deserialize_with = "l2_alpha")]
    l2: f64,
    #[serde(default, deserialize_with = "group_alpha", skip_serializing_if = "is_zero")]
    group: f64,
    #[serde(default, skip_serializing_if = "is_default")]
    groups: Groups,
    #[serde(default, skip_serializing_if = "is_default")]
    mode: PenaltyMode,
}

fn is_zero(v: &f64) -> bool {
    *v == 0.0
}

fn is_default<T: Default + PartialEq>(v: &T) -> bool {
    *v == T::default()
}

fn group_alpha<'de, D: serde::Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
    check("group", f64::deserialize(d)?).map_err(serde::de::Error::custom)
}

// Checked per field, so a spec parser can point at the offending value.
fn l1_alpha<'de, D: serde::Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
    check("l1", f64::deserialize(d)?).map_err(serde::de::Error::custom)
}

fn l2_alpha<'de, D: serde::Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
    check("l2", f64::deserialize(d)?).map_err(serde::de::Error::custom)
}

impl<'de> Deserialize<'de> for Penalty {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Either;
        impl<'de> serde::de::Visitor<'de> for Either {
            type Value = Penalty;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a penalty as text (\"l2:1e-4\") or as a table ({ l2 = 1e-4 })")
            }
            fn visit_str<E: serde::de::Error>(self, text: &str) -> Result<Penalty, E> {
                text.parse().map_err(E::custom)
            }
            fn visit_map<M: serde::de::MapAccess<'de>>(self, map: M) -> Result<Penalty, M::Error> {
                let raw = RawPenalty::deserialize(serde::de::value::MapAccessDeserializer::new(map))?;
                Penalty::try_from(raw).map_err(serde::de::Error::custom)
            }
        }
        d.deserialize_any(Either)
    }
}

impl TryFrom<RawPenalty> for Penalty {
    type Error = PenaltyError;
    fn try_from(raw: RawPenalty) -> Result<Self, PenaltyError> {
        Penalty::l1_l2(raw.l1, raw.l2)?.with_group(raw.group, raw.groups)?.with_mode(raw.mode)
    }
}

impl From<Penalty> for RawPenalty {
    fn from(p: Penalty) -> Self {
        RawPenalty { l1: p.l1, l2: p.l2, group: p.group, groups: p.groups, mode: p.mode }
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
    pub const NONE: Penalty =
        Penalty { l1: 0.0, l2: 0.0, group: 0.0, groups: Groups::Rows, mode: PenaltyMode::Gradient, row_factors: None };

    /// `alpha·Σ|w|` (Keras `L1(alpha)`); drives weights towards zero at a constant rate.
    pub fn l1(alpha: f64) -> Result<Self, PenaltyError> {
        Ok(Penalty { l1: check("l1", alpha)?, ..Penalty::NONE })
    }

    /// `alpha·Σw²` (Keras `L2(alpha)`, no ½); shrinks large weights hardest.
    pub fn l2(alpha: f64) -> Result<Self, PenaltyError> {
        Ok(Penalty { l2: check("l2", alpha)?, ..Penalty::NONE })
    }

    /// `l1·Σ|w| + l2·Σw²` (Keras `L1L2`).
    pub fn l1_l2(l1: f64, l2: f64) -> Result<Self, PenaltyError> {
        Ok(Penalty { l1: check("l1", l1)?, l2: check("l2", l2)?, ..Penalty::NONE })
    }

    /// glmnet's parametrisation `alpha·(r·Σ|w| + (1−r)/2·Σw²)`, so a search can move along
    /// `alpha` with a fixed mix `r = l1_ratio`.
    pub fn elastic_net(alpha: f64, l1_ratio: f64) -> Result<Self, PenaltyError> {
        let alpha = check("alpha", alpha)?;
        if !(0.0..=1.0).contains(&l1_ratio) {
            return Err(PenaltyError::InvalidL1Ratio(l1_ratio));
        }
        Ok(Penalty { l1: alpha * l1_ratio, l2: alpha * (1.0 - l1_ratio) / 2.0, ..Penalty::NONE })
    }

    /// PyTorch's coupled `weight_decay` adds `wd·w` to the gradient, which is the gradient of
    /// `wd/2·Σw²`: the same training as `l2 = wd/2`.
    pub fn from_torch_weight_decay(weight_decay: f64) -> Result<Self, PenaltyError> {
        let wd = check("weight_decay", weight_decay)?;
        Ok(Penalty { l2: wd / 2.0, ..Penalty::NONE })
    }

    /// scikit-learn's MLP adds `alpha/(2·n)·Σw²` per batch of `n` rows: `l2 = alpha/(2·n)`.
    pub fn from_sklearn_alpha(alpha: f64, batch_size: usize) -> Result<Self, PenaltyError> {
        let alpha = check("alpha", alpha)?;
        if batch_size == 0 {
            return Err(PenaltyError::ZeroBatch);
        }
        Ok(Penalty { l2: alpha / (2.0 * batch_size as f64), ..Penalty::NONE })
    }

    /// Group lasso `g·Σ_groups ‖w_group‖₂` alone (gradient mode).
    pub fn group_lasso(g: f64, groups: Groups) -> Result<Self, PenaltyError> {
        Penalty::NONE.with_group(g, groups)
    }

    /// This penalty with its group strength set to `g` over `groups`.
    pub fn with_group(self, g: f64, groups: Groups) -> Result<Self, PenaltyError> {
        let mode = self.mode;
        let p = Penalty { group: check("group", g)?, groups, ..self };
        p.check_factors_fit_groups()?;
        p.with_mode(mode)
    }

    /// This penalty applied in `mode`; `decoupled` needs `l1 = 0` and `group = 0`.
    pub fn with_mode(self, mode: PenaltyMode) -> Result<Self, PenaltyError> {
        if mode == PenaltyMode::Decoupled && (self.l1 != 0.0 || self.group != 0.0) {
            return Err(PenaltyError::DecoupledNeedsPureL2 { l1: self.l1, group: self.group });
        }
        Ok(Penalty { mode, ..self })
    }

    /// Every strength times `factor` (finite, ≥ 0: an alpha's multiplier), mode, grouping and
    /// row factors kept.
    pub fn scaled(&self, factor: f64) -> Result<Penalty, PenaltyError> {
        if !(factor.is_finite() && factor >= 0.0) {
            return Err(PenaltyError::InvalidFactor(factor));
        }
        let scale = |v: f64, name| check(name, v * factor);
        Ok(Penalty {
            l1: scale(self.l1, "l1")?,
            l2: scale(self.l2, "l2")?,
            group: scale(self.group, "group")?,
            ..self.clone()
        })
    }

    /// How the penalty is applied.
    pub fn mode(&self) -> PenaltyMode {
        self.mode
    }

    /// The group lasso strength.
    pub fn group_strength(&self) -> f64 {
        self.group
    }

    /// How the group lasso groups the elements.
    pub fn groups(&self) -> Groups {
        self.groups
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
        self.l1 == 0.0 && self.l2 == 0.0 && self.group == 0.0
    }

    /// The penalty's value on a 1-D `weights` (a group per element for `rows`, one group for
    /// `columns`), accumulated in `f64`.
    pub fn value<F: Float>(&self, weights: &[F]) -> f64 {
        self.value_shaped(weights, &[weights.len()])
    }

    /// The penalty's value on `weights` of shape `shape` (row factors included), accumulated
    /// in `f64`.
    ///
    /// # Panics
    /// If the row factors do not match the rows of `shape`.
    pub fn value_shaped<F: Float>(&self, weights: &[F], shape: &[usize]) -> f64 {
        let mut total = 0.0;
        self.for_each_block(weights.len(), shape, |pen, range, shape| total += pen.block_value(&weights[range], shape));
        total
    }

    fn block_value<F: Float>(&self, weights: &[F], shape: &[usize]) -> f64 {
        // The same sums in the same order as the step's `accumulate_shaped`, so that a fit and
        // an evaluation of the same weights report the same penalty to the last bit.
        let (abs, sq) = penalty_sums(weights);
        self.l1 * abs + self.l2 * sq + self.group_value(weights, shape)
    }

    fn group_value<F: Float>(&self, weights: &[F], shape: &[usize]) -> f64 {
        if self.group == 0.0 {
            return 0.0;
        }
        self.group * prox::group_norm_sum(weights, shape, self.groups)
    }

    /// [`Penalty::accumulate_shaped`] of a 1-D parameter.
    ///
    /// # Panics
    /// If `weights` and `grad` differ in length.
    pub fn accumulate<F: Float>(&self, weights: &[F], grad: &mut [F]) -> f64 {
        self.accumulate_shaped(weights, grad, &[weights.len()])
    }

    /// Adds the gradient terms of this penalty's mode to `grad` (gradient mode: all of them;
    /// proximal: the L2 term; decoupled: none) and returns the full value, in one pass over the
    /// weights for L1/L2 (the step's hot path); row factors included.
    ///
    /// # Panics
    /// If `weights` and `grad` differ in length, or the row factors do not match the rows of
    /// `shape`.
    pub fn accumulate_shaped<F: Float>(&self, weights: &[F], grad: &mut [F], shape: &[usize]) -> f64 {
        assert_eq!(weights.len(), grad.len());
        let mut total = 0.0;
        self.for_each_block(weights.len(), shape, |pen, range, shape| {
            total += pen.block_accumulate(&weights[range.clone()], &mut grad[range], shape)
        });
        total
    }

    fn block_accumulate<F: Float>(&self, weights: &[F], grad: &mut [F], shape: &[usize]) -> f64 {
        let (l1, two_l2) = match self.mode {
            PenaltyMode::Gradient => (self.l1, 2.0 * self.l2),
            PenaltyMode::Proximal => (0.0, 2.0 * self.l2),
            PenaltyMode::Decoupled => (0.0, 0.0),
        };
        let (abs, sq) = penalty_accumulate(weights, grad, F::of(l1), F::of(two_l2));
        if self.mode == PenaltyMode::Gradient && self.group != 0.0 {
            prox::group_gradient(weights, grad, shape, self.groups, self.group);
        }
        self.l1 * abs + self.l2 * sq + self.group_value(weights, shape)
    }

    /// [`Penalty::before_update_shaped`] of a 1-D parameter.
    pub fn before_update<F: Float>(&self, weights: &mut [F], lr: f64) {
        self.before_update_shaped(weights, lr, &[weights.len()])
    }

    /// Work to do on the weights of shape `shape` before the optimizer's update: decoupled
    /// decay with learning rate `lr`, row factors included (nothing in the other modes).
    pub fn before_update_shaped<F: Float>(&self, weights: &mut [F], lr: f64, shape: &[usize]) {
        if self.mode != PenaltyMode::Decoupled || self.l2 == 0.0 {
            return;
        }
        self.for_each_block(weights.len(), shape, |pen, range, _| {
            if pen.l2 != 0.0 {
                prox::decoupled_shrink(&mut weights[range], lr, pen.l2)
            }
        });
    }

    /// True when [`Penalty::after_update`] has work to do (proximal mode with L1 or group).
    pub fn is_proximal(&self) -> bool {
        self.mode == PenaltyMode::Proximal && (self.l1 != 0.0 || self.group != 0.0)
    }

    /// The proximal steps after the optimizer's update, with the per-coordinate `steps` it used:
    /// soft-thresholding by `step·l1`, then group soft-thresholding by `step·group` (together the
    /// exact proximal operator of the sparse group lasso). Nothing outside proximal mode.
    /// Row factors included.
    pub fn after_update<F: Float>(&self, weights: &mut [F], steps: &[F], shape: &[usize]) {
        if !self.is_proximal() {
            return;
        }
        self.for_each_block(weights.len(), shape, |pen, range, shape| {
            pen.block_after_update(&mut weights[range.clone()], &steps[range], shape)
        });
    }

    fn block_after_update<F: Float>(&self, weights: &mut [F], steps: &[F], shape: &[usize]) {
        if self.l1 != 0.0 {
            prox::soft_threshold(weights, steps, F::of(self.l1));
        }
        if self.group != 0.0 {
            prox::group_soft_threshold(weights, steps, shape, self.groups, self.group);
        }
    }
}

crate::kernels::multiversion! {
    /// Adds `l1·sign(w) + 2·l2·w` to `grad`; returns (Σ|w|, Σw²) from [`penalty_sums`].
    fn penalty_accumulate<F: Float>(weights: &[F], grad: &mut [F], l1: F, two_l2: F) -> (f64, f64) {
        for (g, &w) in grad.iter_mut().zip(weights) {
            *g += l1 * sign(w) + two_l2 * w;
        }
        penalty_sums(weights)
    }
}

crate::kernels::multiversion! {
    /// (Σ|w|, Σw²) accumulated in `f64` with eight partial sums in a fixed order: the one
    /// reduction behind both the step's and an evaluation's penalty value, so they agree to
    /// the last bit whatever the CPU.
    fn penalty_sums<F: Float>(weights: &[F]) -> (f64, f64) {
        let (mut abs, mut sq) = ([0.0f64; 8], [0.0f64; 8]);
        let split = weights.len() / 8 * 8;
        for w8 in weights[..split].chunks_exact(8) {
            for l in 0..8 {
                let w = w8[l].f64();
                abs[l] += w.abs();
                sq[l] += w * w;
            }
        }
        for &w in &weights[split..] {
            let w = w.f64();
            abs[0] += w.abs();
            sq[0] += w * w;
        }
        (abs.iter().sum(), sq.iter().sum())
    }
}

/// TensorFlow's sign: −1, 0 or 1 (0 at 0, so an exact zero feels no L1 pull).
#[inline(always)]
fn sign<F: Float>(w: F) -> F {
    let (zero, one) = (F::zero(), F::one());
    (if w > zero { one } else { zero }) - (if w < zero { one } else { zero })
}

#[cfg(test)]
mod tests;
