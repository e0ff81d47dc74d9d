//! Per-row penalty factors (glmnet's `penalty.factor`) carried by a [`Penalty`]: made and
//! checked here, and applied row by row by the step's value, gradient and proximal passes.

use super::{Penalty, PenaltyError};
use crate::prox::{self, Groups};
use std::ops::Range;

impl Penalty {
    /// This penalty with per-row factors (each finite and ≥ 0; not with column groups). Their
    /// count is checked against the parameter's rows when the penalty is attached.
    pub fn with_row_factors(self, factors: Vec<f64>) -> Result<Self, PenaltyError> {
        if let Some(&bad) = factors.iter().find(|f| !(f.is_finite() && **f >= 0.0)) {
            return Err(PenaltyError::InvalidFactor(bad));
        }
        let p = Penalty { row_factors: Some(factors.into()), ..self };
        p.check_factors_fit_groups()?;
        Ok(p)
    }

    /// This penalty with the row factors of `other` (shared, already validated), or none.
    pub(crate) fn with_factors_of(self, other: &Penalty) -> Result<Self, PenaltyError> {
        let p = Penalty { row_factors: other.row_factors.clone(), ..self };
        p.check_factors_fit_groups()?;
        Ok(p)
    }

    /// This penalty without row factors.
    pub fn without_row_factors(&self) -> Penalty {
        Penalty { row_factors: None, ..self.clone() }
    }

    /// The per-row factors, if any.
    pub fn row_factors(&self) -> Option<&[f64]> {
        self.row_factors.as_deref()
    }

    pub(super) fn check_factors_fit_groups(&self) -> Result<(), PenaltyError> {
        if self.row_factors.is_some() && self.group != 0.0 && self.groups == Groups::Columns {
            return Err(PenaltyError::RowFactorsWithColumnGroups);
        }
        Ok(())
    }

    /// The penalty of one row: strengths times its `factor` (checked finite and ≥ 0 when the
    /// factors were made), without row factors and without touching the shared ones (the
    /// step's hot path).
    pub(super) fn row_penalty(&self, factor: f64) -> Penalty {
        Penalty {
            l1: self.l1 * factor,
            l2: self.l2 * factor,
            group: self.group * factor,
            groups: self.groups,
            mode: self.mode,
            row_factors: None,
        }
    }

    /// Calls `f(penalty, element range, shape)` per block of rows sharing one penalty: the whole
    /// of `len` elements without factors, otherwise each row (shape `[1, columns]`) with its
    /// scaled penalty.
    ///
    /// # Panics
    /// If the row factors do not match the rows of `shape` (attaching a penalty checks that).
    pub(super) fn for_each_block(
        &self,
        len: usize,
        shape: &[usize],
        mut f: impl FnMut(&Penalty, Range<usize>, &[usize]),
    ) {
        match self.row_factors.as_deref() {
            None => f(self, 0..len, shape),
            Some(factors) => {
                let (rows, cols) = prox::matrix_dims(len, shape);
                assert_eq!(factors.len(), rows, "{} row penalty factors for {rows} rows", factors.len());
                for (r, &factor) in factors.iter().enumerate() {
                    f(&self.row_penalty(factor), r * cols..(r + 1) * cols, &[1, cols]);
                }
            }
        }
    }
}
