//! A penalty *family*: the text form of a penalty with the strength left out, so that one alpha
//! sets it (what `search --penalty` and `case-study --penalty` take).
//!
//! | family | penalty at alpha |
//! |---|---|
//! | `l1` | `alpha·Σ\|w\|` |
//! | `l2` | `alpha·Σw²` |
//! | `l1l2` | `alpha·Σ\|w\| + alpha·Σw²` (Keras `L1L2(alpha, alpha)`) |
//! | `elastic-net:R` | `alpha·(R·Σ\|w\| + (1−R)/2·Σw²)` (glmnet, scikit-learn `ElasticNet`) |
//! | `group-rows`, `group-columns` | `alpha·Σ_groups ‖w_g‖₂` |
//!
//! Each takes the same mode suffix as a penalty: `group-rows@proximal`, `l2@decoupled`.

use super::text::{split_mode, syntax};
use super::{Penalty, PenaltyError, PenaltyMode};
use crate::prox::Groups;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// What a family's alpha is the strength of.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum FamilyKind {
    /// `alpha·Σ|w|`.
    L1,
    /// `alpha·Σw²`.
    L2,
    /// `alpha` on both L1 and L2.
    L1L2,
    /// glmnet's mix with this `l1_ratio` in [0, 1].
    ElasticNet(f64),
    /// Group lasso over the rows (inputs) or columns (units) of a kernel.
    Group(Groups),
}

/// A penalty family with its mode; validated on construction.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Family {
    kind: FamilyKind,
    mode: PenaltyMode,
}

impl Family {
    /// The family `kind` applied in `mode`; `decoupled` needs a pure L2 family.
    pub fn new(kind: FamilyKind, mode: PenaltyMode) -> Result<Family, PenaltyError> {
        let family = Family { kind, mode };
        family.at(1.0)?; // the mode and ratio checks of the penalty itself
        Ok(family)
    }

    /// Keras' plain L2, gradient mode (the reference case study's family).
    pub const L2: Family = Family { kind: FamilyKind::L2, mode: PenaltyMode::Gradient };

    /// The penalty of this family at strength `alpha` (finite, ≥ 0), without row factors:
    /// attached with `set_penalty`, it keeps the factors the parameter's penalty has.
    pub fn at(&self, alpha: f64) -> Result<Penalty, PenaltyError> {
        let base = match self.kind {
            FamilyKind::L1 => Penalty::l1(alpha)?,
            FamilyKind::L2 => Penalty::l2(alpha)?,
            FamilyKind::L1L2 => Penalty::l1_l2(alpha, alpha)?,
            FamilyKind::ElasticNet(r) => Penalty::elastic_net(alpha, r)?,
            FamilyKind::Group(groups) => Penalty::group_lasso(alpha, groups)?,
        };
        base.with_mode(self.mode)
    }

    /// The same family applied in `mode` (checked as [`Family::new`]).
    pub fn with_mode(self, mode: PenaltyMode) -> Result<Family, PenaltyError> {
        Family::new(self.kind, mode)
    }

    /// What alpha is the strength of.
    pub fn kind(&self) -> FamilyKind {
        self.kind
    }

    /// How the family's penalties are applied.
    pub fn mode(&self) -> PenaltyMode {
        self.mode
    }

    /// Whether its penalties can make weights exactly zero (L1 or group parts in proximal mode).
    pub fn makes_zeros(&self) -> bool {
        self.mode == PenaltyMode::Proximal && !matches!(self.kind, FamilyKind::L2 | FamilyKind::ElasticNet(0.0))
    }
}

impl FromStr for Family {
    type Err = PenaltyError;

    fn from_str(text: &str) -> Result<Family, PenaltyError> {
        const FAMILIES: &str = "a family l1, l2, l1l2, elastic-net:RATIO, group-rows or group-columns";
        let (body, mode) = split_mode(text.trim())?;
        let kind = match body.trim().split_once(':') {
            Some(("elastic-net", ratio)) => FamilyKind::ElasticNet(
                ratio.trim().parse().map_err(|_| syntax(ratio, "a number (the elastic-net ratio)"))?,
            ),
            Some(_) => return Err(syntax(text, "a family without a strength (the alpha of a trial sets it)")),
            None => match body.trim() {
                "l1" => FamilyKind::L1,
                "l2" => FamilyKind::L2,
                "l1l2" => FamilyKind::L1L2,
                "group-rows" => FamilyKind::Group(Groups::Rows),
                "group-columns" => FamilyKind::Group(Groups::Columns),
                _ => return Err(syntax(text, FAMILIES)),
            },
        };
        Family::new(kind, mode)
    }
}

impl fmt::Display for Family {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.kind {
            FamilyKind::L1 => f.write_str("l1"),
            FamilyKind::L2 => f.write_str("l2"),
            FamilyKind::L1L2 => f.write_str("l1l2"),
            FamilyKind::ElasticNet(r) => write!(f, "elastic-net:{r}"),
            FamilyKind::Group(groups) => write!(f, "group-{}", groups.as_str()),
        }?;
        if self.mode != PenaltyMode::Gradient {
            write!(f, "@{}", self.mode.as_str())?;
        }
        Ok(())
    }
}

impl TryFrom<String> for Family {
    type Error = PenaltyError;
    fn try_from(text: String) -> Result<Family, PenaltyError> {
        text.parse()
    }
}

impl From<Family> for String {
    fn from(family: Family) -> String {
        family.to_string()
    }
}
