//! Proximal operators: the exact steps that make weights exactly zero.
//!
//! A proximal step solves `argmin_u ½‖u − w‖²/step + h(u)` for a penalty `h` in closed form:
//! - L1, `h = t·Σ|u|`: soft-thresholding `u = sign(w)·max(|w| − step·t, 0)`.
//! - group lasso, `h = g·‖u‖₂` on one group: `u = w·max(0, 1 − step·g/‖w‖)` (the whole group
//!   becomes zero at once).
//! - L1 then group on the same group (sparse group lasso): soft-threshold first, then shrink the
//!   group; this composition is the exact proximal operator of the sum.
//!
//! Decoupled decay is not a proximal step of a loss term: it multiplies by `1 − lr·2·l2` (AdamW
//! with `weight_decay = 2·l2`, see [`crate::penalty`]).

use crate::Float;
use serde::{Deserialize, Serialize};

/// How the elements of a parameter form groups for the group lasso.
///
/// The parameter is read as a matrix `[rows, columns]` whose column count is its last dimension
/// (a Dense kernel `[in, out]` as it is; a convolution kernel `[kh, kw, in, filters]` as
/// `[kh·kw·in, filters]`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Groups {
    /// One group per row: for a Dense kernel, all weights leaving one input feature (feature
    /// selection on the first layer).
    #[default]
    Rows,
    /// One group per column: for a Dense kernel, all weights entering one unit (unit pruning).
    Columns,
}

impl Groups {
    /// The name used in specs and files.
    pub fn as_str(self) -> &'static str {
        match self {
            Groups::Rows => "rows",
            Groups::Columns => "columns",
        }
    }
}

/// `(rows, columns)` of a parameter of shape `shape` read as a matrix (last dimension = columns).
pub fn matrix_dims(len: usize, shape: &[usize]) -> (usize, usize) {
    let cols = shape.last().copied().unwrap_or(len).max(1);
    (len / cols, cols)
}

/// Calls `f(group index, element index)` for every element of every group, group by group.
fn for_each_member(len: usize, shape: &[usize], groups: Groups, mut f: impl FnMut(usize, usize)) {
    let (rows, cols) = matrix_dims(len, shape);
    match groups {
        Groups::Rows => (0..rows).for_each(|r| (0..cols).for_each(|c| f(r, r * cols + c))),
        Groups::Columns => (0..cols).for_each(|c| (0..rows).for_each(|r| f(c, r * cols + c))),
    }
}

/// The number of groups.
pub fn group_count(len: usize, shape: &[usize], groups: Groups) -> usize {
    let (rows, cols) = matrix_dims(len, shape);
    match groups {
        Groups::Rows => rows,
        Groups::Columns => cols,
    }
}

/// `Σ_groups ‖w_group‖₂`, accumulated in `f64`.
pub fn group_norm_sum<F: Float>(weights: &[F], shape: &[usize], groups: Groups) -> f64 {
    let mut total = 0.0;
    let (mut current, mut sq) = (0usize, 0.0f64);
    for_each_member(weights.len(), shape, groups, |g, i| {
        if g != current {
            total += sq.sqrt();
            (current, sq) = (g, 0.0);
        }
        let w = weights[i].f64();
        sq += w * w;
    });
    total + sq.sqrt()
}

/// The groups of a matrix of `len` weights of `shape`: how many (`outer`), the members of each
/// (`inner`), and where member `k` of group `o` sits in the weights.
fn group_layout(len: usize, shape: &[usize], groups: Groups) -> (usize, usize, impl Fn(usize, usize) -> usize) {
    let (rows, cols) = matrix_dims(len, shape);
    let (outer, inner) = match groups {
        Groups::Rows => (rows, cols),
        Groups::Columns => (cols, rows),
    };
    let index = move |o: usize, k: usize| match groups {
        Groups::Rows => o * cols + k,
        Groups::Columns => k * cols + o,
    };
    (outer, inner, index)
}

/// Adds the group lasso's gradient `g·w_group/‖w_group‖` to `grad` (0 for a zero group, the
/// minimum-norm subgradient).
pub fn group_gradient<F: Float>(weights: &[F], grad: &mut [F], shape: &[usize], groups: Groups, g: f64) {
    let (outer, inner, index) = group_layout(weights.len(), shape, groups);
    for o in 0..outer {
        let norm = (0..inner).map(|k| weights[index(o, k)].f64().powi(2)).sum::<f64>().sqrt();
        if norm > 0.0 {
            let scale = F::of(g / norm);
            (0..inner).for_each(|k| grad[index(o, k)] += scale * weights[index(o, k)]);
        }
    }
}

/// Soft-thresholding with a per-coordinate step: `w ← sign(w)·max(|w| − step·t, 0)`.
pub fn soft_threshold<F: Float>(weights: &mut [F], steps: &[F], t: F) {
    for (w, &s) in weights.iter_mut().zip(steps) {
        let shrunk = w.abs() - s * t;
        *w = if shrunk > F::zero() {
            if *w > F::zero() {
                shrunk
            } else {
                -shrunk
            }
        } else {
            F::zero()
        };
    }
}

/// Group soft-thresholding: `w_g ← w_g·max(0, 1 − step_g·g/‖w_g‖)` per group, with `step_g`
/// the mean of the group's per-coordinate steps (exact for SGD, whose steps are all equal; an
/// approximation for adaptive optimizers, whose exact group step has no closed form).
pub fn group_soft_threshold<F: Float>(weights: &mut [F], steps: &[F], shape: &[usize], groups: Groups, g: f64) {
    let (outer, inner, index) = group_layout(weights.len(), shape, groups);
    for o in 0..outer {
        let (mut sq, mut step) = (0.0f64, 0.0f64);
        for k in 0..inner {
            let i = index(o, k);
            sq += weights[i].f64().powi(2);
            step += steps[i].f64();
        }
        let (norm, step) = (sq.sqrt(), step / inner.max(1) as f64);
        let factor = if norm > 0.0 { (1.0 - step * g / norm).max(0.0) } else { 0.0 };
        (0..inner).for_each(|k| weights[index(o, k)] *= F::of(factor));
    }
}

/// Decoupled decay: `w ← w·(1 − lr·2·l2)`, the same shrink per step as AdamW with
/// `weight_decay = 2·l2` and as the L2 gradient term under plain SGD.
pub fn decoupled_shrink<F: Float>(weights: &mut [F], lr: f64, l2: f64) {
    let factor = F::of(1.0 - lr * 2.0 * l2);
    weights.iter_mut().for_each(|w| *w *= factor);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn soft_threshold_closed_form() {
        let mut w = [1.0f64, -1.0, 0.3, -0.3, 0.0, 0.25];
        soft_threshold(&mut w, &[0.5, 0.5, 0.5, 0.5, 0.5, 1.0], 0.5);
        // thresholds 0.25, except the last one (step 1 → 0.5)
        assert_eq!(w[4..], [0.0, 0.0]);
        assert!(w[..4].iter().zip([0.75, -0.75, 0.05, -0.05]).all(|(a, b)| (a - b).abs() < 1e-15));
    }

    #[test]
    fn group_soft_threshold_closed_form_rows_and_columns() {
        // [[3, 4], [0.3, 0.4]]: row norms 5 and 0.5, column norms √9.09 and √16.16
        let shape = [2, 2];
        let mut w = [3.0f64, 4.0, 0.3, 0.4];
        group_soft_threshold(&mut w, &[0.5; 4], &shape, Groups::Rows, 2.0);
        // threshold 1: row 0 scaled by 1 − 1/5 = 0.8, row 1 (norm 0.5 < 1) zeroed
        assert_eq!(w, [3.0 * 0.8, 4.0 * 0.8, 0.0, 0.0]);
        let mut w = [3.0f64, 4.0, 0.3, 0.4];
        group_soft_threshold(&mut w, &[1.0; 4], &shape, Groups::Columns, 1.0);
        let (n0, n1) = (9.09f64.sqrt(), 16.16f64.sqrt());
        let expected = [3.0 * (1.0 - 1.0 / n0), 4.0 * (1.0 - 1.0 / n1), 0.3 * (1.0 - 1.0 / n0), 0.4 * (1.0 - 1.0 / n1)];
        assert!(w.iter().zip(expected).all(|(a, b)| (a - b).abs() < 1e-14), "{w:?}");
        assert!((group_norm_sum(&[3.0f64, 4.0, 0.3, 0.4], &shape, Groups::Rows) - 5.5).abs() < 1e-15);
        assert_eq!(group_count(4, &shape, Groups::Columns), 2);
    }

    #[test]
    fn group_gradient_matches_finite_differences_away_from_zero() {
        let shape = [3, 2];
        let w = [0.3f64, -1.2, 0.5, 0.7, -0.4, 2.0];
        for groups in [Groups::Rows, Groups::Columns] {
            let mut grad = [0.0; 6];
            group_gradient(&w, &mut grad, &shape, groups, 0.7);
            for i in 0..6 {
                let h = 1e-6;
                let (mut up, mut down) = (w, w);
                up[i] += h;
                down[i] -= h;
                let fd =
                    0.7 * (group_norm_sum(&up, &shape, groups) - group_norm_sum(&down, &shape, groups)) / (2.0 * h);
                assert!((fd - grad[i]).abs() < 1e-8, "{groups:?} {i}: {fd} vs {}", grad[i]);
            }
        }
    }

    #[test]
    fn decoupled_shrink_matches_adamw_decay() {
        let mut w = [2.0f64, -1.0];
        decoupled_shrink(&mut w, 0.1, 0.25);
        // AdamW with weight_decay = 2·l2 = 0.5: w·(1 − 0.1·0.5)
        assert_eq!(w, [2.0 * 0.95, -0.95]);
    }
}
