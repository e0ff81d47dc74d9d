//! Box plots: the spread of a result over seeds or of weights within a layer.

use std::path::{Path, PathBuf};

use plotters::coord::Shift;
use plotters::prelude::*;

use crate::error::{DataError, ReportError};
use crate::frame::{self, Axes, TickedAxis};
use crate::legend;
use crate::output::{self, draw_err, Plot};
use crate::ticks;

/// One box per group, side by side on a categorical x axis.
///
/// Boxes span the quartiles, whiskers reach the most extreme values within 1.5 IQR of the box
/// (Tukey's rule, so a single diverged seed shows up as an outlier instead of stretching the
/// whisker), and the values beyond are drawn as open circles. Non-finite values are ignored.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct BoxChart {
    /// Title above the plot.
    pub title: String,
    /// Y axis description.
    pub y_label: String,
    /// `(name, values)` per box, left to right.
    pub groups: Vec<(String, Vec<f64>)>,
}

impl BoxChart {
    /// A chart with no groups yet.
    pub fn new(title: impl Into<String>, y_label: impl Into<String>) -> Self {
        BoxChart { title: title.into(), y_label: y_label.into(), groups: Vec::new() }
    }

    /// Appends a group.
    pub fn group(mut self, name: impl Into<String>, values: Vec<f64>) -> Self {
        self.groups.push((name.into(), values));
        self
    }
}

/// Writes `stem.png` and `stem.svg` and returns their paths (PNG first).
///
/// Fails with [`ReportError::NoData`] when no group has a finite value; an empty group among
/// others keeps its slot, labelled "name (no data)", so positions stay comparable across charts.
pub fn write_box_chart(chart: &BoxChart, stem: &Path) -> Result<Vec<PathBuf>, ReportError> {
    let prepared = prepare(chart).map_err(|e| e.at(stem))?;
    output::write_plot(&prepared, stem)
}

/// Five-number summary plus outliers of one group.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct BoxStats {
    pub q1: f64,
    pub median: f64,
    pub q3: f64,
    pub whisker_lo: f64,
    pub whisker_hi: f64,
    pub outliers: Vec<f64>,
}

/// Quartiles by linear interpolation (numpy's default, so numbers match a notebook) and Tukey
/// whiskers; `None` when there is no finite value.
pub(crate) fn box_stats(values: &[f64]) -> Option<BoxStats> {
    let mut v: Vec<f64> = values.iter().copied().filter(|x| x.is_finite()).collect();
    if v.is_empty() {
        return None;
    }
    v.sort_by(f64::total_cmp);
    let (q1, median, q3) = (quantile(&v, 0.25), quantile(&v, 0.5), quantile(&v, 0.75));
    let iqr = q3 - q1;
    let (fence_lo, fence_hi) = (q1 - 1.5 * iqr, q3 + 1.5 * iqr);
    let within = v.iter().copied().filter(|&x| x >= fence_lo && x <= fence_hi);
    let whisker_lo = within.clone().fold(f64::INFINITY, f64::min).min(q1);
    let whisker_hi = within.fold(f64::NEG_INFINITY, f64::max).max(q3);
    let outliers = v.iter().copied().filter(|&x| x < fence_lo || x > fence_hi).collect();
    Some(BoxStats { q1, median, q3, whisker_lo, whisker_hi, outliers })
}

fn quantile(sorted: &[f64], p: f64) -> f64 {
    let pos = p * (sorted.len() - 1) as f64;
    let (i, frac) = (pos.floor() as usize, pos.fract());
    match sorted.get(i + 1) {
        Some(&next) => sorted[i] + frac * (next - sorted[i]),
        None => sorted[i],
    }
}

struct Prepared<'a> {
    chart: &'a BoxChart,
    stats: Vec<Option<BoxStats>>,
    names: Vec<String>,
    y: (f64, f64),
}

fn prepare(chart: &BoxChart) -> Result<Prepared<'_>, DataError> {
    let stats: Vec<Option<BoxStats>> = chart.groups.iter().map(|(_, v)| box_stats(v)).collect();
    let (lo, hi) =
        ticks::finite_extent(chart.groups.iter().flat_map(|(_, v)| v.iter().copied())).ok_or(DataError::NoData)?;
    let names = chart
        .groups
        .iter()
        .zip(&stats)
        .map(|((name, _), s)| match s {
            Some(_) => name.clone(),
            None => format!("{name} (no data)"),
        })
        .collect();
    Ok(Prepared { chart, stats, names, y: ticks::pad_linear(lo, hi, 0.06) })
}

/// Half the width of a box, in slots (one slot per group).
const HALF_BOX: f64 = 0.25;
/// Half the width of a whisker cap, in slots.
const HALF_CAP: f64 = 0.12;

impl Plot for Prepared<'_> {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String> {
        let area = frame::layout(root, &self.chart.title, &[])?;
        let n = self.names.len();
        let slots: Vec<f64> = (0..n).map(|i| i as f64).collect();
        let names = &self.names;
        let x_fmt = |v: &f64| {
            let i = v.round();
            if (v - i).abs() < 1e-9 && i >= 0.0 && (i as usize) < names.len() {
                names[i as usize].clone()
            } else {
                String::new()
            }
        };
        let y_ticks = ticks::linear_ticks(self.y.0, self.y.1, 8);
        let y_fmt = ticks::linear_formatter(&y_ticks);
        let axes = Axes {
            x_desc: "",
            y_desc: &self.chart.y_label,
            x_fmt: &x_fmt,
            y_fmt: &y_fmt,
            y_ticks: &y_ticks,
            x_grid: false,
        };
        let x = TickedAxis::linear(-0.5, n as f64 - 0.5, slots);
        let y = TickedAxis::linear(self.y.0, self.y.1, y_ticks.clone());
        let chart = frame::chart(&area, x, y, &axes)?;
        let plot = chart.plotting_area();
        for (i, stats) in self.stats.iter().enumerate() {
            let Some(s) = stats else { continue };
            let c = i as f64;
            let color = legend::color(i);
            let line = color.stroke_width(2);
            let path = |pts: Vec<(f64, f64)>| plot.draw(&PathElement::new(pts, line)).map_err(draw_err);
            // Whiskers and caps first so the box covers their ends.
            path(vec![(c, s.whisker_lo), (c, s.q1)])?;
            path(vec![(c, s.q3), (c, s.whisker_hi)])?;
            path(vec![(c - HALF_CAP, s.whisker_lo), (c + HALF_CAP, s.whisker_lo)])?;
            path(vec![(c - HALF_CAP, s.whisker_hi), (c + HALF_CAP, s.whisker_hi)])?;
            let corners = [(c - HALF_BOX, s.q3), (c + HALF_BOX, s.q1)];
            plot.draw(&Rectangle::new(corners, color.mix(0.25).filled())).map_err(draw_err)?;
            plot.draw(&Rectangle::new(corners, line)).map_err(draw_err)?;
            plot.draw(&PathElement::new(
                vec![(c - HALF_BOX, s.median), (c + HALF_BOX, s.median)],
                BLACK.stroke_width(3),
            ))
            .map_err(draw_err)?;
            for &o in &s.outliers {
                plot.draw(&Circle::new((c, o), 4, color.stroke_width(2))).map_err(draw_err)?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quartiles_match_numpy_linear() {
        let s = box_stats(&[1.0, 2.0, 3.0, 4.0]).unwrap();
        assert_eq!((s.q1, s.median, s.q3), (1.75, 2.5, 3.25));
        assert!(s.outliers.is_empty());
        assert_eq!((s.whisker_lo, s.whisker_hi), (1.0, 4.0));
    }

    #[test]
    fn far_values_become_outliers_and_nan_is_ignored() {
        let s = box_stats(&[0.90, 0.91, 0.92, 0.93, 0.94, 0.10, f64::NAN]).unwrap();
        assert_eq!(s.outliers, vec![0.10]);
        assert_eq!(s.whisker_lo, 0.90);
        assert_eq!(s.whisker_hi, 0.94);
        assert!(box_stats(&[f64::NAN]).is_none());
        assert!(box_stats(&[]).is_none());
    }

    #[test]
    fn single_value_is_a_flat_box() {
        let s = box_stats(&[0.5]).unwrap();
        assert_eq!((s.q1, s.median, s.q3, s.whisker_lo, s.whisker_hi), (0.5, 0.5, 0.5, 0.5, 0.5));
    }
}
