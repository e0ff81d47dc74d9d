//! Clipping curves to a fixed y range.
//!
//! plotters draws whatever coordinates it is given, even outside the plot area, so without
//! this a fixed `y_range` would let curves run over the axes, the title and the legend.

/// Splits a polyline into the pieces inside `lo <= y <= hi`, cutting segments at the border.
/// Interpolation is done in axis space (log x when `log_x`), where the
/// drawn segment is straight.
pub(crate) fn clip_polyline(pts: &[(f64, f64)], (lo, hi): (f64, f64), log_x: bool) -> Vec<Vec<(f64, f64)>> {
    let inside = |y: f64| y >= lo && y <= hi;
    if pts.iter().all(|p| inside(p.1)) {
        return vec![pts.to_vec()];
    }
    if pts.len() == 1 {
        return Vec::new();
    }
    let to_axis = |x: f64| if log_x { x.ln() } else { x };
    let from_axis = |a: f64| if log_x { a.exp() } else { a };
    let mut out = Vec::new();
    let mut cur: Vec<(f64, f64)> = Vec::new();
    for w in pts.windows(2) {
        let (a, b) = (w[0], w[1]);
        let dy = b.1 - a.1;
        let (t0, t1) = if dy == 0.0 {
            if inside(a.1) {
                (0.0, 1.0)
            } else {
                (1.0, 0.0)
            }
        } else {
            let (ta, tb) = ((lo - a.1) / dy, (hi - a.1) / dy);
            (ta.min(tb).max(0.0), ta.max(tb).min(1.0))
        };
        if t0 > t1 {
            if !cur.is_empty() {
                out.push(std::mem::take(&mut cur));
            }
            continue;
        }
        let at = |t: f64| {
            let ax = to_axis(a.0) + t * (to_axis(b.0) - to_axis(a.0));
            (from_axis(ax), (a.1 + t * dy).clamp(lo, hi))
        };
        if cur.is_empty() || t0 > 0.0 {
            if !cur.is_empty() {
                out.push(std::mem::take(&mut cur));
            }
            cur.push(at(t0));
        }
        cur.push(at(t1));
        if t1 < 1.0 {
            out.push(std::mem::take(&mut cur));
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clipping_cuts_at_the_border() {
        let pts = [(0.0, 0.0), (1.0, 2.0), (2.0, 0.0)];
        let out = clip_polyline(&pts, (-1.0, 1.0), false);
        assert_eq!(out, vec![vec![(0.0, 0.0), (0.5, 1.0)], vec![(1.5, 1.0), (2.0, 0.0)]]);
    }

    #[test]
    fn log_axis_interpolates_in_log_space() {
        let out = clip_polyline(&[(1.0, 0.0), (100.0, 2.0)], (0.0, 1.0), true);
        assert_eq!(out.len(), 1);
        let (x, y) = out[0][1];
        assert!((x - 10.0).abs() < 1e-9 && y == 1.0, "{x} {y}");
    }

    #[test]
    fn fully_outside_is_dropped() {
        assert!(clip_polyline(&[(0.0, 5.0), (1.0, 6.0)], (0.0, 1.0), false).is_empty());
        assert!(clip_polyline(&[(0.0, 5.0)], (0.0, 1.0), false).is_empty());
    }
}
