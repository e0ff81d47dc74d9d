//! `--alphas auto[:N]`: glmnet's automatic path, N log-spaced alphas from [`alpha_max`] down
//! to `alpha_max·ratio`, and the documented default range for families that never zero a
//! weight.

use super::alpha_max::{alpha_max, AlphaMax};
use super::grid::parse_alphas;
use crate::penalty::Family;
use crate::pipeline::{encode_inputs, encode_targets};
use crate::spec::ModelSpec;
use crate::Error;
use shrink_data::{Dataset, Pipeline};

/// Points of an automatic path without `:N` (glmnet's default is 100; a network trial costs
/// far more than a coordinate-descent solution).
pub const DEFAULT_POINTS: usize = 20;
/// `--alpha-ratio` default, glmnet's `lambda.min.ratio` for n > p.
pub const DEFAULT_RATIO: f64 = 1e-3;
/// The strongest alpha of an automatic path for a family without an L1 or group part (L2,
/// `elastic-net:0`, `@decoupled`): no strength zeros those weights, so there is no alpha_max;
/// the path runs from here down to `L2_TOP·ratio` (with the default ratio 1e-1 … 1e-4, the
/// range where the case study's L2 matters).
pub const L2_TOP: f64 = 0.1;
/// The first point sits this much (relative) above alpha_max: the trainer's `f32` gradient
/// differs from the `f64` one by rounding, and the strongest alpha must still zero everything.
pub const TOP_MARGIN: f64 = 1e-4;

/// What `--alphas` asked for.
#[derive(Debug, Clone, PartialEq)]
pub enum AlphaRequest {
    /// `auto` or `auto:N`.
    Auto {
        /// Number of alphas, ≥ 1.
        points: usize,
    },
    /// `HI:LO` or a list, as [`parse_alphas`] reads them.
    Given(Vec<f64>),
}

/// Parses `--alphas`: `auto`, `auto:N` (N ≥ 1) or anything [`parse_alphas`] takes.
pub fn parse_alpha_request(text: &str) -> Result<AlphaRequest, Error> {
    let trimmed = text.trim();
    if trimmed == "auto" {
        return Ok(AlphaRequest::Auto { points: DEFAULT_POINTS });
    }
    if let Some(n) = trimmed.strip_prefix("auto:") {
        return match n.trim().parse::<usize>() {
            Ok(points) if (1..=10_000).contains(&points) => Ok(AlphaRequest::Auto { points }),
            _ => Err(Error::invalid("alphas", "auto:N with 1 ≤ N ≤ 10000 (e.g. auto:20)", text)),
        };
    }
    Ok(AlphaRequest::Given(parse_alphas(text)?))
}

/// Checks `--alpha-ratio`: finite, in (0, 1).
pub fn check_ratio(ratio: f64) -> Result<f64, Error> {
    if ratio.is_finite() && ratio > 0.0 && ratio < 1.0 {
        Ok(ratio)
    } else {
        Err(Error::invalid("alpha-ratio", "finite and in (0, 1) (e.g. 1e-3)", ratio))
    }
}

/// The automatic path, strongest first: `points` alphas `top·ratio^(k/(points−1))`, with `top`
/// = `alpha_max·(1 + TOP_MARGIN)` rounded **up** at its 6th significant digit (or [`L2_TOP`]
/// without an alpha_max), the others rounded to 6 significant digits so they print and
/// round-trip cleanly; duplicates after rounding are dropped.
pub fn auto_grid(alpha_max: Option<f64>, points: usize, ratio: f64) -> Vec<f64> {
    let top = alpha_max.map_or(L2_TOP, |a| round6_up(a * (1.0 + TOP_MARGIN)));
    let mut out: Vec<f64> = Vec::with_capacity(points);
    for k in 0..points.max(1) {
        let v = if k == 0 { top } else { round6(top * ratio.powf(k as f64 / (points - 1) as f64)) };
        if out.last() != Some(&v) {
            out.push(v);
        }
    }
    out
}

/// `alpha_max` of `family` on `param` for `spec` over every row of `data` (through `pipeline`,
/// fitted on those rows, as `search --refit` trains), the network at its
/// initialization with the spec's seed (repeat 0). `None` for families without one.
pub fn path_start(
    spec: &ModelSpec,
    param: &str,
    family: &Family,
    pipeline: &Pipeline,
    data: &Dataset,
) -> Result<Option<AlphaMax>, Error> {
    let x = encode_inputs(spec, pipeline, data)?;
    let y = encode_targets(spec, pipeline, data)?;
    let model = spec.build_model()?;
    alpha_max(&model, param, family, spec.loss, x.view(), y.view())
}

fn round6(v: f64) -> f64 {
    format!("{v:.5e}").parse().unwrap_or(v)
}

/// `v` rounded up at its 6th significant digit (never below `v`).
fn round6_up(v: f64) -> f64 {
    let r = round6(v);
    if r >= v {
        return r;
    }
    let step = 10f64.powi(v.log10().floor() as i32 - 5);
    round6(r + step).max(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_and_grids() {
        assert_eq!(parse_alpha_request("auto").unwrap(), AlphaRequest::Auto { points: 20 });
        assert_eq!(parse_alpha_request("auto:5").unwrap(), AlphaRequest::Auto { points: 5 });
        assert_eq!(parse_alpha_request("1e-1:1e-2").unwrap(), AlphaRequest::Given(vec![0.1, 0.01]));
        for bad in ["auto:0", "auto:x", "auto:", "automatic"] {
            assert!(parse_alpha_request(bad).unwrap_err().to_string().contains("alphas"), "{bad}");
        }
        assert!(check_ratio(1.0).is_err() && check_ratio(0.0).is_err() && check_ratio(1e-3).is_ok());
        let g = auto_grid(Some(0.123456789), 4, 1e-3);
        assert_eq!(g.len(), 4);
        assert!(g[0] >= 0.123456789 * (1.0 + TOP_MARGIN) && g[0] < 0.123456789 * (1.0 + 2.0 * TOP_MARGIN));
        assert_eq!(g[0], 0.12347); // 0.1234691346… rounded up at the 6th significant digit
        assert!((g[3] / g[0] - 1e-3).abs() < 1e-5, "{g:?}");
        assert!((g[1] / g[0] - 0.1).abs() < 1e-5, "{g:?}");
        assert_eq!(auto_grid(None, 3, 1e-2), [0.1, 0.01, 0.001]);
        assert_eq!(auto_grid(Some(2.0), 1, 1e-3), [2.0002]);
        assert_eq!(round6_up(1.0000001), 1.00001);
    }
}
