//! Alpha grids: decades between two values, explicit lists, and the finer grid `--refine`
//! adds inside the most promising decade.

use super::log_grid;
use crate::Error;

/// Points per decade of the refinement grid.
pub const REFINE_PER_DECADE: i32 = 10;

/// Parses `--alphas`: `HI:LO` means every decade between (both ends rounded to their decade,
/// largest first, see [`log_grid`]); otherwise a comma-separated list of values > 0, kept in
/// the order given with duplicates dropped.
pub fn parse_alphas(text: &str) -> Result<Vec<f64>, Error> {
    let bad = |why: &'static str| Error::invalid("alphas", why, text);
    let number = |s: &str| s.trim().parse::<f64>().map_err(|_| bad("`HI:LO` (e.g. 1e-1:1e-6) or a list `1e-2,3e-3`"));
    let values = if let Some((from, to)) = text.split_once(':') {
        log_grid(number(from)?, number(to)?)?
    } else {
        let mut values: Vec<f64> = Vec::new();
        for part in text.split(',') {
            let v = number(part)?;
            if !values.contains(&v) {
                values.push(v);
            }
        }
        values
    };
    if values.is_empty() || values.iter().any(|v| !(v.is_finite() && *v > 0.0)) {
        return Err(bad("finite values > 0 (a zero alpha cannot sit on a log axis)"));
    }
    Ok(values)
}

/// The refinement points around `best`: `REFINE_PER_DECADE` points per decade from `best/√10`
/// to `best·√10` (exponents `log10(best) + j/10`, j = −5…5), rounded to 6 significant digits so
/// they print and round-trip cleanly, minus any value within 1e-9 (relative) of one already
/// run. Largest first. With 10 points per decade this is 11 points less `best` itself.
pub fn refine_points(best: f64, already: &[f64]) -> Vec<f64> {
    let centre = best.log10();
    let half = REFINE_PER_DECADE / 2;
    (-half..=half)
        .rev()
        .map(|j| round6(10f64.powf(centre + f64::from(j) / f64::from(REFINE_PER_DECADE))))
        .filter(|v| !already.iter().any(|a| ((a - v) / v).abs() < 1e-9))
        .collect()
}

/// `v` with 6 significant digits (via its decimal text, so the value is what prints).
fn round6(v: f64) -> f64 {
    format!("{v:.5e}").parse().unwrap_or(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_lists_and_errors() {
        assert_eq!(parse_alphas("1e-1:1e-4").unwrap(), [1e-1, 1e-2, 1e-3, 1e-4]);
        assert_eq!(parse_alphas("1e-6:1e-4").unwrap(), [1e-4, 1e-5, 1e-6]);
        assert_eq!(parse_alphas("0.3, 1e-2,0.3").unwrap(), [0.3, 1e-2]);
        for bad in ["", "abc", "1e-1:x", "0,1e-2", "-1e-3", "1e-1:0", "inf"] {
            let e = parse_alphas(bad).unwrap_err().to_string();
            assert!(e.contains("alpha"), "{bad}: {e}");
        }
    }

    #[test]
    fn refinement_is_inside_the_decade_and_skips_run_points() {
        let grid = [1e-1, 1e-2, 1e-3];
        let pts = refine_points(1e-2, &grid);
        assert_eq!(pts.len(), 10);
        assert!(!pts.contains(&1e-2));
        assert_eq!(pts[0], 3.16228e-2);
        assert_eq!(*pts.last().unwrap(), 3.16228e-3);
        assert!(pts.windows(2).all(|w| w[0] > w[1]));
        assert!(pts.iter().all(|p| (1e-2 / 10f64.sqrt() * 0.999..=1e-2 * 10f64.sqrt() * 1.001).contains(p)));
        assert!(pts.contains(&1.25893e-2));
        // Running refine twice adds nothing new.
        let all: Vec<f64> = grid.iter().copied().chain(pts.iter().copied()).collect();
        assert!(refine_points(1e-2, &all).is_empty());
    }
}
