//! The one text form of a penalty, parsed and printed by the same code:
//!
//! ```text
//! none
//! l1:1e-3            l2:1e-4            l1l2:1e-5,1e-4      elastic-net:ALPHA,RATIO
//! group-rows:0.1     group-columns:0.1
//! l1:1e-3+group-rows:0.1@proximal        l2:1e-4@decoupled
//! ```
//!
//! Terms join with `+` (each strength at most once, one grouping), and a mode suffix
//! `@proximal` or `@decoupled` follows the last term; `gradient` is the default and is never
//! printed. `elastic-net:A,R` is glmnet's `A·(R·Σ|w| + (1−R)/2·Σw²)`, so it prints as the
//! `l1l2` it equals. Printing uses Rust's shortest round-trip form of each `f64`, so parsing a
//! printed penalty gives back the same value bit for bit.
//!
//! Row factors ([`Penalty::with_row_factors`]) have no text form: a penalty prints its
//! strengths and mode only, and specs give the factors as the Dense option
//! `kernel_row_factors = [..]`.

use super::{check, Penalty, PenaltyError, PenaltyMode};
use crate::prox::Groups;
use std::fmt;
use std::str::FromStr;

impl PenaltyMode {
    /// Parses a mode name (`gradient`, `proximal`, `decoupled`).
    pub fn parse(text: &str) -> Result<PenaltyMode, PenaltyError> {
        match text {
            "gradient" => Ok(PenaltyMode::Gradient),
            "proximal" => Ok(PenaltyMode::Proximal),
            "decoupled" => Ok(PenaltyMode::Decoupled),
            _ => Err(syntax(text, "a mode `gradient`, `proximal` or `decoupled`")),
        }
    }
}

/// Splits `text` at a trailing `@mode`.
pub(super) fn split_mode(text: &str) -> Result<(&str, PenaltyMode), PenaltyError> {
    match text.rsplit_once('@') {
        Some((body, mode)) => Ok((body, PenaltyMode::parse(mode.trim())?)),
        None => Ok((text, PenaltyMode::Gradient)),
    }
}

pub(super) fn syntax(text: &str, expected: &'static str) -> PenaltyError {
    // A cell of a hostile file can be megabytes long; echo a prefix only.
    let mut shown: String = text.chars().take(60).collect();
    if shown.len() < text.len() {
        shown.push('…');
    }
    PenaltyError::Syntax { text: shown, expected }
}

/// Parses a strength: a finite number ≥ 0.
pub(super) fn number(parameter: &'static str, text: &str) -> Result<f64, PenaltyError> {
    // Name the strength the number is for, so that `l1:` or `l1l2:1e-3,` says which one is missing.
    let expected = match parameter {
        "l1" => "a number (the l1 strength)",
        "l2" => "a number (the l2 strength)",
        "alpha" => "a number (the elastic-net alpha)",
        "group" => "a number (the group strength)",
        _ => "a number",
    };
    let value: f64 = text.trim().parse().map_err(|_| syntax(text, expected))?;
    check(parameter, value)
}

/// `A,B` as two numbers.
pub(super) fn pair<'a>(text: &'a str, expected: &'static str) -> Result<(&'a str, &'a str), PenaltyError> {
    text.split_once(',').ok_or_else(|| syntax(text, expected))
}

impl FromStr for Penalty {
    type Err = PenaltyError;

    fn from_str(text: &str) -> Result<Penalty, PenaltyError> {
        const TERMS: &str = "none, l1:A, l2:A, l1l2:A,B, elastic-net:A,R, group-rows:G or group-columns:G";
        let (body, mode) = split_mode(text.trim())?;
        if body.trim() == "none" {
            return Ok(Penalty::NONE);
        }
        let (mut l1, mut l2, mut group) = (None::<f64>, None::<f64>, None::<(f64, Groups)>);
        for term in body.split('+') {
            let term = term.trim();
            let (name, args) = term.split_once(':').ok_or_else(|| syntax(term, TERMS))?;
            let twice = |what: &'static str| syntax(text, what);
            match name.trim() {
                "l1" => set(&mut l1, number("l1", args)?).map_err(|()| twice("each strength at most once"))?,
                "l2" => set(&mut l2, number("l2", args)?).map_err(|()| twice("each strength at most once"))?,
                "l1l2" => {
                    let (a, b) = pair(args, "l1l2:L1,L2")?;
                    set(&mut l1, number("l1", a)?).map_err(|()| twice("each strength at most once"))?;
                    set(&mut l2, number("l2", b)?).map_err(|()| twice("each strength at most once"))?;
                }
                "elastic-net" => {
                    let (a, r) = pair(args, "elastic-net:ALPHA,RATIO")?;
                    let ratio: f64 = r.trim().parse().map_err(|_| syntax(r, "a number (the elastic-net ratio)"))?;
                    let net = Penalty::elastic_net(number("alpha", a)?, ratio)?;
                    set(&mut l1, net.l1).map_err(|()| twice("each strength at most once"))?;
                    set(&mut l2, net.l2).map_err(|()| twice("each strength at most once"))?;
                }
                "group-rows" | "group-columns" => {
                    let groups = if name.trim() == "group-rows" { Groups::Rows } else { Groups::Columns };
                    set(&mut group, (number("group", args)?, groups)).map_err(|()| twice("one group term"))?;
                }
                _ => return Err(syntax(term, TERMS)),
            }
        }
        let (g, groups) = group.unwrap_or((0.0, Groups::Rows));
        Penalty::l1_l2(l1.unwrap_or(0.0), l2.unwrap_or(0.0))?.with_group(g, groups)?.with_mode(mode)
    }
}

fn set<T>(slot: &mut Option<T>, value: T) -> Result<(), ()> {
    if slot.is_some() {
        return Err(());
    }
    *slot = Some(value);
    Ok(())
}

impl fmt::Display for Penalty {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_zero() {
            return f.write_str("none");
        }
        let mut terms = Vec::with_capacity(2);
        match (self.l1 > 0.0, self.l2 > 0.0) {
            (true, true) => terms.push(format!("l1l2:{},{}", self.l1, self.l2)),
            (true, false) => terms.push(format!("l1:{}", self.l1)),
            (false, true) => terms.push(format!("l2:{}", self.l2)),
            (false, false) => {}
        }
        if self.group > 0.0 {
            terms.push(format!("group-{}:{}", self.groups.as_str(), self.group));
        }
        f.write_str(&terms.join("+"))?;
        if self.mode != PenaltyMode::Gradient {
            write!(f, "@{}", self.mode.as_str())?;
        }
        Ok(())
    }
}
