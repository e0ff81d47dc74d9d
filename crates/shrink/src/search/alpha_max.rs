//! Where an automatic alpha path starts: glmnet's `lambda.max`, the smallest strength at which
//! the penalized parameters sitting at zero satisfy the optimality (KKT) conditions.
//!
//! shrink's objective is `mean data loss + penalty`. With the penalized parameters `w` at 0 and
//! `g = ∂L/∂w` the gradient of the mean data loss over every row there, the subgradient
//! condition `0 ∈ g + ∂penalty(0)` holds exactly when
//!
//! - L1 `l1·Σ f_r·|w_ij|` (row factors `f_r`): `l1·f_r ≥ |g_ij|` for every element, so
//!   `alpha_max = max_ij |g_ij| / f_r` for the `l1` family (rows with `f_r = 0` are never
//!   penalized and do not count), divided by the family's L1 share per unit alpha: `r` for
//!   `elastic-net:r` (glmnet's `lambda.max = max|xᵀy|/(n·r)`), 1 for `l1l2`; the L2 part has a
//!   zero gradient at 0 and never matters;
//! - group lasso `g·Σ_groups f·‖w_group‖₂`: `max_group ‖g_group‖₂ / f`;
//! - several penalized parameters: the max over them.
//!
//! **Where the gradient is taken.** The rest of the network (every unpenalized parameter) sits
//! at its initialization with the spec's seed — glmnet's intercept is at its optimum, but a
//! network has no closed-form optimum for the rest, so this is the point a cold trial of the
//! path starts its penalized parameters from (zero) with everything else as it starts. The
//! guarantee is therefore exact for the first full-batch proximal SGD step from that point, and
//! for any convex model whose other parameters are at their optimum there (a linear model with
//! a centered target and a zero bias: the Lasso, [`crate::search`] tests it against
//! scikit-learn); for a network trained from its initialization it is the natural scale, not
//! a proof, and the path records what happened at each alpha.
//!
//! **ReLU.** A relu Dense layer whose kernel is the zeroed parameter and whose bias is zero has
//! every pre-activation exactly 0; Keras' derivative of relu at 0 is 0, so the gradient wrt the
//! kernel would vanish and `alpha_max` would be 0 whatever the data. Such a layer is evaluated
//! with relu's **right derivative** `relu'(0⁺) = 1` — the slope a weight leaving zero in the
//! direction that raises the pre-activation sees — which here is the same as evaluating the
//! layer as linear (both output 0). Other relu layers keep Keras' derivative (their
//! pre-activations are 0 with probability 0). The layers treated so are listed in
//! [`AlphaMax::linearized`].

use crate::loss::Loss;
use crate::nn::{Activation, LayerConfig, Model, ParamId};
use crate::penalty::{Family, FamilyKind};
use crate::prox::{matrix_dims, Groups};
use crate::{Error, Parallelism};
use ndarray::ArrayView2;
use serde::Serialize;

/// Rows per forward/backward pass while the gradient is accumulated.
const CHUNK: usize = 1024;

/// The start of an automatic path and where it comes from.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AlphaMax {
    /// The smallest alpha of the family at which the zeroed parameters satisfy the KKT
    /// conditions (see the module documentation).
    pub alpha_max: f64,
    /// The parameter that sets it (the one with the largest ratio).
    pub param: String,
    /// Each penalized parameter's own value, in model order.
    pub per_param: Vec<(String, f64)>,
    /// Relu layers evaluated with the right derivative at 0 (see the module documentation).
    pub linearized: Vec<String>,
}

/// `alpha_max` of `family` on the parameters `selector` picks in `model` (at its current values
/// for everything else), from the mean data loss `loss` over every row of `(x, y)`, in `f64`.
/// `None` for a family without an L1 or group part (L2, `elastic-net:0`): no strength makes
/// those weights zero. An error when the gradient vanishes (alpha_max 0, e.g. every path from
/// the parameter to the output runs through another zero) or is not finite.
pub fn alpha_max(
    model: &Model<f32>,
    selector: &str,
    family: &Family,
    loss: Loss,
    x: ArrayView2<f32>,
    y: ArrayView2<f32>,
) -> Result<Option<AlphaMax>, Error> {
    let Some((per_alpha, group)) = unit_strength(family) else { return Ok(None) };
    let ids = model.select(selector)?;
    let n = x.nrows();
    if n == 0 || x.ncols() != model.input_size() || y.ncols() != model.output_size() || y.nrows() != n {
        return Err(Error::Shape(format!(
            "alpha_max needs rows of {} inputs and {} targets, got {}×{} and {}×{}",
            model.input_size(),
            model.output_size(),
            x.nrows(),
            x.ncols(),
            y.nrows(),
            y.ncols()
        )));
    }
    let (mut zeroed, linearized) = zeroed_copy(model, &ids)?;
    let grads = mean_gradient(&mut zeroed, &ids, loss, x, y);
    let mut per_param = Vec::new();
    for (&id, grad) in ids.iter().zip(&grads) {
        let p = model.param(id);
        let (rows, cols) = matrix_dims(p.value.len(), &p.shape);
        let factor = |r: usize| p.row_factors().map_or(1.0, |f| f[r]);
        let mut best = 0.0f64;
        match group {
            None => {
                for r in (0..rows).filter(|&r| factor(r) > 0.0) {
                    for &g in &grad[r * cols..(r + 1) * cols] {
                        best = best.max(g.abs() / factor(r));
                    }
                }
            }
            Some(Groups::Rows) => {
                for r in (0..rows).filter(|&r| factor(r) > 0.0) {
                    best = best.max(norm(grad[r * cols..(r + 1) * cols].iter().copied()) / factor(r));
                }
            }
            Some(Groups::Columns) => {
                for c in 0..cols {
                    best = best.max(norm((0..rows).map(|r| grad[r * cols + c])));
                }
            }
        }
        per_param.push((model.param_name(id), best / per_alpha));
    }
    let (param, value) = per_param
        .iter()
        .fold(None::<&(String, f64)>, |acc, p| match acc {
            Some(a) if a.1 >= p.1 => Some(a),
            _ => Some(p),
        })
        .cloned()
        .unwrap_or_default();
    if !(value.is_finite() && value > 0.0) {
        return Err(Error::invalid(
            "alphas auto",
            "a penalized parameter with a non-zero data-loss gradient at zero (alpha_max > 0); \
             give the range instead, --alphas HI:LO",
            format!("alpha_max {value} on `{selector}`"),
        ));
    }
    Ok(Some(AlphaMax { alpha_max: value, param, per_param, linearized }))
}

/// The L1 strength per unit alpha (or, for a group family, the group strength) and the
/// grouping; `None` when the family has no part that zeros weights.
fn unit_strength(family: &Family) -> Option<(f64, Option<Groups>)> {
    match family.kind() {
        FamilyKind::L1 | FamilyKind::L1L2 => Some((1.0, None)),
        FamilyKind::ElasticNet(r) if r > 0.0 => Some((r, None)),
        FamilyKind::ElasticNet(_) | FamilyKind::L2 => None,
        FamilyKind::Group(groups) => Some((1.0, Some(groups))),
    }
}

fn norm(values: impl Iterator<Item = f64>) -> f64 {
    values.map(|v| v * v).sum::<f64>().sqrt()
}

/// An `f64` copy of `model` with the selected parameters at zero and the relu layers they
/// silence linearized; the names of those layers.
fn zeroed_copy(model: &Model<f32>, ids: &[ParamId]) -> Result<(Model<f64>, Vec<String>), Error> {
    let mut config = model.describe();
    let mut linearized = Vec::new();
    for (li, layer) in config.layers.iter_mut().enumerate() {
        let LayerConfig::Dense(dense) = layer else { continue };
        let kernel_zeroed = ids.contains(&ParamId { layer: li, index: 0 });
        let params = model.layers()[li].params();
        let bias_zero = ids.contains(&ParamId { layer: li, index: 1 })
            || params.get(1).is_none_or(|b| b.value.iter().all(|&v| v == 0.0));
        if dense.activation == Activation::Relu && kernel_zeroed && bias_zero {
            dense.activation = Activation::Linear;
            linearized.push(model.layers()[li].name().to_string());
        }
    }
    let mut copy: Model<f64> = config.build(0)?;
    let values: Vec<Vec<f64>> = model.params().map(|(_, p)| p.value.iter().map(|&v| f64::from(v)).collect()).collect();
    copy.for_each_param_mut(|slot, p| p.value.copy_from_slice(&values[slot]));
    for &id in ids {
        copy.param_mut(id).value.iter_mut().for_each(|v| *v = 0.0);
    }
    Ok((copy, linearized))
}

/// The gradient of the mean data loss over every row wrt each selected parameter, in `f64`,
/// accumulated over chunks of [`CHUNK`] rows (each chunk's mean gradient weighted by its
/// share of the rows). Evaluation mode: dropout is off.
fn mean_gradient(
    model: &mut Model<f64>,
    ids: &[ParamId],
    loss: Loss,
    x: ArrayView2<f32>,
    y: ArrayView2<f32>,
) -> Vec<Vec<f64>> {
    let (n, wi, wo) = (x.nrows(), x.ncols(), y.ncols());
    let xs: Vec<f64> = x.iter().map(|&v| f64::from(v)).collect();
    let ys: Vec<f64> = y.iter().map(|&v| f64::from(v)).collect();
    let mut sums: Vec<Vec<f64>> = ids.iter().map(|&id| vec![0.0; model.param(id).value.len()]).collect();
    let mut grad_out = vec![0.0; CHUNK.min(n) * wo];
    let mut start = 0;
    while start < n {
        let b = CHUNK.min(n - start);
        let input = &xs[start * wi..(start + b) * wi];
        let out = model.forward(input, b, false, Parallelism::Sequential).to_vec();
        loss.value_and_grad(&out, &ys[start * wo..(start + b) * wo], &mut grad_out[..b * wo], wo);
        model.backward(input, &grad_out[..b * wo], b, Parallelism::Sequential);
        let share = b as f64 / n as f64;
        for (sum, &id) in sums.iter_mut().zip(ids) {
            sum.iter_mut().zip(&model.param(id).grad).for_each(|(s, g)| *s += share * g);
        }
        start += b;
    }
    sums
}

#[cfg(test)]
#[path = "alpha_max_tests.rs"]
mod tests;
