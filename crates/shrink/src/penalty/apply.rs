//! The one owner of a parameter's penalty: its value, its gradient terms, the decoupled decay
//! before the optimizer's update and the proximal steps after it, each honouring the
//! parameter's per-row factors. Training, `evaluate`, searches, fine-tunes and schedules all go
//! through these, so the penalty a fit reports is the penalty `evaluate` reports on the same
//! weights.

use super::Penalty;
use crate::nn::Param;
use crate::prox::{matrix_dims, Groups};
use crate::{Error, Float};

impl<F: Float> Param<F> {
    /// The attached penalty's value on the current weights, row factors included (0 without
    /// one).
    pub fn penalty_value(&self) -> f64 {
        let mut total = 0.0;
        penalty_blocks(
            self.penalty,
            self.row_factors.as_deref(),
            self.value.len(),
            &self.shape,
            |pen, range, shape| total += pen.value_shaped(&self.value[range], shape),
        );
        total
    }

    /// Attaches (or removes) a penalty, checked against the parameter's row factors; the only
    /// way a penalty changes after build.
    pub fn set_penalty(&mut self, penalty: Option<Penalty>) -> Result<(), Error> {
        self.check_penalty(penalty)?;
        self.penalty = penalty.filter(|p| !p.is_zero());
        Ok(())
    }

    /// Whether `penalty` may be attached: it must fit the row factors in place.
    pub fn check_penalty(&self, penalty: Option<Penalty>) -> Result<(), Error> {
        match &self.row_factors {
            Some(factors) => check_row_factors(factors, matrix_dims(self.value.len(), &self.shape).0, penalty),
            None => Ok(()),
        }
    }

    /// Sets per-row penalty factors, checked against the parameter's rows and penalty.
    pub fn set_row_factors(&mut self, factors: Option<Vec<f64>>) -> Result<(), Error> {
        if let Some(f) = &factors {
            check_row_factors(f, matrix_dims(self.value.len(), &self.shape).0, self.penalty)?;
        }
        self.row_factors = factors;
        Ok(())
    }

    /// Adds the penalty's gradient terms to `grad`; returns its value ([`Penalty::accumulate_shaped`]).
    pub(crate) fn penalty_gradient(&mut self) -> f64 {
        let mut total = 0.0;
        let Param { value, grad, penalty, row_factors, shape, .. } = self;
        penalty_blocks(*penalty, row_factors.as_deref(), value.len(), shape, |pen, range, shape| {
            total += pen.accumulate_shaped(&value[range.clone()], &mut grad[range], shape)
        });
        total
    }

    /// Decoupled decay before the optimizer's update ([`Penalty::before_update`]).
    pub(crate) fn penalty_before_update(&mut self, lr: f64) {
        let Param { value, penalty, row_factors, shape, .. } = self;
        let len = value.len();
        penalty_blocks(*penalty, row_factors.as_deref(), len, shape, |pen, range, _| {
            pen.before_update(&mut value[range], lr)
        });
    }

    /// Proximal steps after the optimizer's update ([`Penalty::after_update`]).
    pub(crate) fn penalty_after_update(&mut self, steps: &[F]) {
        let Param { value, penalty, row_factors, shape, .. } = self;
        let len = value.len();
        penalty_blocks(*penalty, row_factors.as_deref(), len, shape, |pen, range, shape| {
            pen.after_update(&mut value[range.clone()], &steps[range], shape)
        });
    }

    /// The penalty strength in force (zero when none is attached).
    pub fn penalty_or_none(&self) -> Penalty {
        self.penalty.unwrap_or(Penalty::NONE)
    }
}

/// Calls `f(penalty, element range, shape)` per block of rows sharing one penalty: the whole
/// parameter without factors, otherwise each row (shape `[1, columns]`) with its scaled penalty.
fn penalty_blocks(
    penalty: Option<Penalty>,
    factors: Option<&[f64]>,
    len: usize,
    shape: &[usize],
    mut f: impl FnMut(Penalty, std::ops::Range<usize>, &[usize]),
) {
    let Some(pen) = penalty else { return };
    match factors {
        None => f(pen, 0..len, shape),
        Some(factors) => {
            let cols = shape.last().copied().unwrap_or(1).max(1);
            for (r, &factor) in factors.iter().enumerate() {
                // Factors were checked finite and ≥ 0 when attached (check_row_factors).
                f(pen.scaled_unchecked(factor), r * cols..((r + 1) * cols).min(len), &[1, cols]);
            }
        }
    }
}

/// Checks per-row penalty factors against a parameter with `rows` rows: finite, ≥ 0, one per
/// row, and no column groups (a column spans every row, so it has no single factor).
pub(crate) fn check_row_factors(factors: &[f64], rows: usize, penalty: Option<Penalty>) -> Result<(), Error> {
    if let Some(bad) = factors.iter().find(|f| !(f.is_finite() && **f >= 0.0)) {
        return Err(Error::invalid("row penalty factor", "finite and ≥ 0", bad));
    }
    if factors.len() != rows {
        return Err(Error::Shape(format!("{} row penalty factors for a kernel with {rows} rows", factors.len())));
    }
    if penalty.is_some_and(|p| p.group_strength() != 0.0 && p.groups() == Groups::Columns) {
        return Err(Error::invalid("row penalty factors", "not combined with column groups", "groups = columns"));
    }
    Ok(())
}
