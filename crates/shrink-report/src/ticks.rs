//! Axis extents and tick positions.
//!
//! We choose ticks ourselves instead of using plotters' defaults: its logarithmic axis puts
//! light ticks at odd multiples such as 6e-6, and its linear labels vary in decimals from one
//! tick to the next. Fixed rules here give every chart "0.90, 0.92, 0.94" and "1e-6 … 1e-1".

/// Smallest and largest finite value, or `None` when there is none.
pub(crate) fn finite_extent<I: IntoIterator<Item = f64>>(values: I) -> Option<(f64, f64)> {
    values.into_iter().filter(|v| v.is_finite()).fold(None, |acc, v| match acc {
        None => Some((v, v)),
        Some((lo, hi)) => Some((lo.min(v), hi.max(v))),
    })
}

/// Widens `[lo, hi]` by `frac` of its span on each side so markers at the extremes are not cut
/// in half; a single value (all-equal data) gets a range around it instead of a zero-width axis.
pub(crate) fn pad_linear(lo: f64, hi: f64, frac: f64) -> (f64, f64) {
    let span = hi - lo;
    if !span.is_finite() {
        return (lo, hi);
    }
    if span <= f64::EPSILON * lo.abs().max(hi.abs()) || span == 0.0 {
        let mid = 0.5 * (lo + hi);
        let pad = if mid == 0.0 { 1.0 } else { mid.abs() * 0.1 };
        return (mid - pad, mid + pad);
    }
    (lo - frac * span, hi + frac * span)
}

/// Like [`pad_linear`] but in decades, for positive data on a log axis.
pub(crate) fn pad_log(lo: f64, hi: f64, frac: f64) -> (f64, f64) {
    let (a, b) = (lo.log10(), hi.log10());
    let span = b - a;
    let (a, b) = if span <= 1e-12 { (a - 0.5, b + 0.5) } else { (a - frac * span, b + frac * span) };
    (10f64.powf(a), 10f64.powf(b))
}

/// At most about `max_ticks` evenly spaced round values inside `[lo, hi]`.
pub(crate) fn linear_ticks(lo: f64, hi: f64, max_ticks: usize) -> Vec<f64> {
    let step = nice_step(lo, hi, max_ticks);
    if !step.is_finite() || step <= 0.0 {
        return vec![lo, hi];
    }
    let first = (lo / step - 1e-9).ceil();
    let last = (hi / step + 1e-9).floor();
    if !(first.is_finite() && last.is_finite()) || last - first > 1000.0 {
        return vec![lo, hi];
    }
    let mut ticks = Vec::new();
    let mut k = first;
    while k <= last {
        let v = k * step;
        // Avoid "-0" labels.
        ticks.push(if v == 0.0 { 0.0 } else { v });
        k += 1.0;
    }
    ticks
}

/// A 1-2-2.5-5 step giving at most `max_ticks` ticks over `[lo, hi]`.
fn nice_step(lo: f64, hi: f64, max_ticks: usize) -> f64 {
    let span = hi - lo;
    let raw = span / max_ticks.max(2) as f64;
    let mag = 10f64.powf(raw.log10().floor());
    [1.0, 2.0, 2.5, 5.0, 10.0].iter().map(|m| m * mag).find(|&s| s >= raw).unwrap_or(10.0 * mag)
}

/// Label formatter for linear ticks: one number of decimals for the whole axis, chosen from the
/// tick spacing, and scientific notation where fixed-point would be unreadably long.
pub(crate) fn linear_formatter(ticks: &[f64]) -> impl Fn(&f64) -> String {
    let step = ticks.windows(2).map(|w| (w[1] - w[0]).abs()).fold(f64::INFINITY, f64::min);
    let largest = ticks.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    let scientific = largest >= 1e6 || (step.is_finite() && step < 1e-4);
    let decimals = if step.is_finite() && step > 0.0 {
        let mut d = (-step.log10().floor()).max(0.0) as usize;
        // 2.5, 0.25, ... need one digit more than the power of ten suggests.
        if ((step / 10f64.powi(-(d as i32))) * 10.0).round() % 10.0 != 0.0 {
            d += 1;
        }
        d.min(10)
    } else {
        2
    };
    move |v: &f64| {
        if scientific {
            scientific_label(*v)
        } else {
            format!("{:.*}", decimals, v)
        }
    }
}

/// Bold ticks (labelled) and light ticks (grid only) for a log axis over `[lo, hi]`, `lo > 0`.
pub(crate) fn log_ticks(lo: f64, hi: f64) -> (Vec<f64>, Vec<f64>) {
    let (dlo, dhi) = (lo.log10(), hi.log10());
    let first = (dlo - 1e-9).ceil() as i32;
    let last = (dhi + 1e-9).floor() as i32;
    let decades = (last - first + 1).max(0);
    if decades >= 2 {
        // Keep at most about eight labels by labelling every n-th decade.
        let stride = ((decades + 7) / 8).max(1);
        let bold: Vec<f64> = (first..=last).filter(|k| k.rem_euclid(stride) == 0).map(|k| 10f64.powi(k)).collect();
        let mut light = Vec::new();
        for k in (dlo.floor() as i32)..=last {
            let base = 10f64.powi(k);
            if stride == 1 {
                light.extend((2..=9).map(|m| m as f64 * base));
            } else if k.rem_euclid(stride) != 0 {
                light.push(base);
            }
        }
        light.retain(|&v| v >= lo && v <= hi);
        return (bold, light);
    }
    let mut bold = Vec::new();
    for k in (dlo.floor() as i32)..=(dhi.ceil() as i32) {
        for m in [1.0, 2.0, 5.0] {
            let v = m * 10f64.powi(k);
            if v >= lo && v <= hi {
                bold.push(v);
            }
        }
    }
    if bold.len() < 3 {
        bold = linear_ticks(lo, hi, 5);
    }
    (bold, Vec::new())
}

/// Label of a log-axis tick: "1", "10", "100", "1000" stay plain; everything else is written
/// as "1e-6", "2.5e-3", matching how penalty strengths are quoted in the text.
pub(crate) fn log_label(v: &f64) -> String {
    let v = *v;
    if (1.0..1e4).contains(&v) {
        return trim_number(format!("{:.3}", v));
    }
    scientific_label(v)
}

/// "2.5e-3" style with at most three significant digits and no trailing zeros.
pub(crate) fn scientific_label(v: f64) -> String {
    if v == 0.0 || !v.is_finite() {
        return format!("{}", if v == 0.0 { 0.0 } else { v });
    }
    let mut exp = v.abs().log10().floor() as i32;
    let mut mantissa = v / 10f64.powi(exp);
    mantissa = (mantissa * 100.0).round() / 100.0;
    if mantissa.abs() >= 10.0 {
        mantissa /= 10.0;
        exp += 1;
    }
    format!("{}e{}", trim_number(format!("{:.2}", mantissa)), exp)
}

fn trim_number(s: String) -> String {
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extent_skips_non_finite() {
        let e = finite_extent([f64::NAN, 3.0, f64::INFINITY, -1.0]);
        assert_eq!(e, Some((-1.0, 3.0)));
        assert_eq!(finite_extent([f64::NAN]), None);
    }

    #[test]
    fn degenerate_ranges_are_padded() {
        let (lo, hi) = pad_linear(0.9, 0.9, 0.05);
        assert!(lo < 0.9 && hi > 0.9);
        assert_eq!(pad_linear(0.0, 0.0, 0.05), (-1.0, 1.0));
        let (lo, hi) = pad_log(1e-3, 1e-3, 0.05);
        assert!((lo - 10f64.powf(-3.5)).abs() < 1e-12 && (hi - 10f64.powf(-2.5)).abs() < 1e-9);
    }

    #[test]
    fn linear_ticks_are_round_and_inside() {
        let t = linear_ticks(0.0, 4000.0, 8);
        assert_eq!(t, vec![0.0, 500.0, 1000.0, 1500.0, 2000.0, 2500.0, 3000.0, 3500.0, 4000.0]);
        let t = linear_ticks(0.883, 0.951, 8);
        let f = linear_formatter(&t);
        let labels: Vec<String> = t.iter().map(&f).collect();
        assert_eq!(labels, ["0.89", "0.90", "0.91", "0.92", "0.93", "0.94", "0.95"]);
    }

    #[test]
    fn log_ticks_are_decades_with_sci_labels() {
        let (bold, light) = log_ticks(5e-7, 2e-1);
        let labels: Vec<String> = bold.iter().map(log_label).collect();
        assert_eq!(labels, ["1e-6", "1e-5", "1e-4", "1e-3", "1e-2", "1e-1"]);
        assert!(light.iter().all(|&v| (5e-7..=2e-1).contains(&v)));
        assert!(light.len() > 30);
    }

    #[test]
    fn narrow_log_range_still_gets_ticks() {
        let (bold, _) = log_ticks(0.011, 0.09);
        assert!(bold.len() >= 3, "{bold:?}");
        assert_eq!(log_label(&0.02), "2e-2");
        assert_eq!(log_label(&100.0), "100");
        assert_eq!(scientific_label(2.5e-3), "2.5e-3");
    }
}
