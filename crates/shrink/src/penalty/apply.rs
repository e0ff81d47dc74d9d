//! The one owner of a parameter's penalty: its value, its gradient terms, the decoupled decay
//! before the optimizer's update and the proximal steps after it, each honouring the
//! penalty's row factors. Training, `evaluate`, searches, fine-tunes and schedules all go
//! through these, so the penalty a fit reports is the penalty `evaluate` reports on the same
//! weights.

use super::Penalty;
use crate::nn::Param;
use crate::prox::matrix_dims;
use crate::{Error, Float};

impl<F: Float> Param<F> {
    /// The attached penalty's value on the current weights, row factors included (0 without
    /// one).
    pub fn penalty_value(&self) -> f64 {
        self.penalty.as_ref().map_or(0.0, |pen| pen.value_shaped(&self.value, &self.shape))
    }

    /// Attaches (or, with `None`, removes) a penalty, checked against the parameter's shape;
    /// the only way a penalty changes after build. A penalty without row factors keeps the
    /// factors the parameter's penalty has now (those its spec declared), so an alpha of a
    /// search or a schedule changes the strengths without dropping them; `None` removes the
    /// factors too.
    pub fn set_penalty(&mut self, penalty: Option<Penalty>) -> Result<(), Error> {
        self.penalty = self.resolve_penalty(penalty)?;
        Ok(())
    }

    /// Whether `penalty` may be attached ([`Param::set_penalty`] would accept it).
    pub fn check_penalty(&self, penalty: Option<&Penalty>) -> Result<(), Error> {
        self.resolve_penalty(penalty.cloned()).map(|_| ())
    }

    /// What [`Param::set_penalty`] stores: the factors in place kept unless `penalty` brings
    /// its own, their count checked against the rows, a penalty adding nothing dropped (or,
    /// with factors, kept as factors alone).
    fn resolve_penalty(&self, penalty: Option<Penalty>) -> Result<Option<Penalty>, Error> {
        let Some(mut pen) = penalty else { return Ok(None) };
        if pen.row_factors().is_none() {
            if let Some(current) = &self.penalty {
                pen = pen.with_factors_of(current)?;
            }
        }
        if pen.is_zero() {
            if pen.row_factors().is_none() {
                return Ok(None);
            }
            pen = Penalty::NONE.with_factors_of(&pen)?;
        }
        check_row_factors(&pen, matrix_dims(self.value.len(), &self.shape).0)?;
        Ok(Some(pen))
    }

    /// The per-row penalty factors of the attached penalty, if any (read-only: they belong to
    /// the penalty, [`Penalty::with_row_factors`]).
    pub fn row_factors(&self) -> Option<&[f64]> {
        self.penalty.as_ref().and_then(Penalty::row_factors)
    }

    /// Sets (or, with `None`, removes) the per-row factors of the attached penalty (of a zero
    /// penalty when none is attached), checked against the parameter's rows and penalty.
    pub fn set_row_factors(&mut self, factors: Option<Vec<f64>>) -> Result<(), Error> {
        let penalty = match factors {
            Some(f) => Some(self.penalty.clone().unwrap_or(Penalty::NONE).with_row_factors(f)?),
            None => self.penalty.as_ref().map(Penalty::without_row_factors).filter(|p| !p.is_zero()),
        };
        if let Some(p) = &penalty {
            check_row_factors(p, matrix_dims(self.value.len(), &self.shape).0)?;
        }
        self.penalty = penalty;
        Ok(())
    }

    /// Adds the penalty's gradient terms to `grad`; returns its value ([`Penalty::accumulate_shaped`]).
    pub(crate) fn penalty_gradient(&mut self) -> f64 {
        let Param { value, grad, penalty, shape, .. } = self;
        penalty.as_ref().map_or(0.0, |pen| pen.accumulate_shaped(value, grad, shape))
    }

    /// Decoupled decay before the optimizer's update ([`Penalty::before_update_shaped`]).
    pub(crate) fn penalty_before_update(&mut self, lr: f64) {
        let Param { value, penalty, shape, .. } = self;
        if let Some(pen) = penalty {
            pen.before_update_shaped(value, lr, shape);
        }
    }

    /// Proximal steps after the optimizer's update ([`Penalty::after_update`]).
    pub(crate) fn penalty_after_update(&mut self, steps: &[F]) {
        let Param { value, penalty, shape, .. } = self;
        if let Some(pen) = penalty {
            pen.after_update(value, steps, shape);
        }
    }

    /// The penalty strength in force (zero when none is attached).
    pub fn penalty_or_none(&self) -> Penalty {
        self.penalty.clone().unwrap_or(Penalty::NONE)
    }
}

/// Checks a penalty's row factors, if any, against a parameter with `rows` rows (the factors
/// themselves were checked finite, ≥ 0 and not with column groups when made).
pub(crate) fn check_row_factors(penalty: &Penalty, rows: usize) -> Result<(), Error> {
    match penalty.row_factors() {
        Some(factors) if factors.len() != rows => {
            Err(Error::Shape(format!("{} row penalty factors for a kernel with {rows} rows", factors.len())))
        }
        _ => Ok(()),
    }
}
