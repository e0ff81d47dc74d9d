//! Histograms: how a penalty reshapes the distribution of weights, one group per layer or run.

use std::path::{Path, PathBuf};

use plotters::coord::Shift;
use plotters::prelude::*;

use crate::error::{DataError, ReportError};
use crate::frame::{self, Axes, TickedAxis};
use crate::legend::{self, Glyph, LegendEntry};
use crate::output::{self, draw_err, Plot};
use crate::ticks;

/// Overlaid histograms sharing one set of bins, each group a translucent fill with a solid
/// outline so overlapping distributions stay readable.
///
/// The y axis shows counts when all groups have the same number of finite values and the
/// fraction of each group otherwise: layers differ in size by orders of magnitude, and raw
/// counts would flatten the small layer into the axis.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct HistogramChart {
    /// Title above the plot.
    pub title: String,
    /// X axis description (what the values are, e.g. "weight").
    pub x_label: String,
    /// `(name, values)` per distribution; non-finite values are ignored.
    pub groups: Vec<(String, Vec<f64>)>,
    /// Number of equal-width bins over the range of all finite values; must be at least 1.
    pub bins: usize,
}

impl HistogramChart {
    /// A chart with no groups yet.
    pub fn new(title: impl Into<String>, x_label: impl Into<String>, bins: usize) -> Self {
        HistogramChart { title: title.into(), x_label: x_label.into(), groups: Vec::new(), bins }
    }

    /// Appends a group.
    pub fn group(mut self, name: impl Into<String>, values: Vec<f64>) -> Self {
        self.groups.push((name.into(), values));
        self
    }
}

/// Writes `stem.png` and `stem.svg` and returns their paths (PNG first).
///
/// Fails with [`ReportError::NoData`] when no group has a finite value and with
/// [`ReportError::InvalidData`] when `bins` is 0; an empty group among others stays in the
/// legend as "name (no data)".
pub fn write_histogram_chart(chart: &HistogramChart, stem: &Path) -> Result<Vec<PathBuf>, ReportError> {
    let prepared = prepare(chart).map_err(|e| e.at(stem))?;
    output::write_plot(&prepared, stem)
}

/// Bin heights per group over shared edges.
#[derive(Debug)]
pub(crate) struct Binned {
    pub edges: Vec<f64>,
    pub heights: Vec<Vec<f64>>,
    /// Whether `heights` are fractions of each group rather than counts.
    pub normalized: bool,
}

/// Counts finite values into `bins` equal bins over their joint range; the last bin is closed
/// so the maximum is counted, and all-equal data gets a padded range instead of zero width.
pub(crate) fn bin(groups: &[(String, Vec<f64>)], bins: usize) -> Result<Binned, DataError> {
    if bins == 0 {
        return Err(DataError::Invalid("histogram needs at least 1 bin, got 0".into()));
    }
    let (lo, hi) = ticks::finite_extent(groups.iter().flat_map(|(_, v)| v.iter().copied())).ok_or(DataError::NoData)?;
    let (lo, hi) = if hi > lo { (lo, hi) } else { ticks::pad_linear(lo, hi, 0.0) };
    let width = (hi - lo) / bins as f64;
    let edges: Vec<f64> = (0..=bins).map(|i| lo + width * i as f64).collect();
    let mut sizes = Vec::with_capacity(groups.len());
    let mut heights: Vec<Vec<f64>> = groups
        .iter()
        .map(|(_, values)| {
            let mut h = vec![0.0; bins];
            let mut n = 0usize;
            for &v in values.iter().filter(|v| v.is_finite()) {
                let i = ((v - lo) / width).floor();
                let i = if i.is_finite() { (i.max(0.0) as usize).min(bins - 1) } else { 0 };
                h[i] += 1.0;
                n += 1;
            }
            sizes.push(n);
            h
        })
        .collect();
    let non_empty: Vec<usize> = sizes.iter().copied().filter(|&n| n > 0).collect();
    let normalized = non_empty.windows(2).any(|w| w[0] != w[1]);
    if normalized {
        for (h, &n) in heights.iter_mut().zip(&sizes) {
            if n > 0 {
                h.iter_mut().for_each(|c| *c /= n as f64);
            }
        }
    }
    Ok(Binned { edges, heights, normalized })
}

struct Prepared<'a> {
    chart: &'a HistogramChart,
    binned: Binned,
}

fn prepare(chart: &HistogramChart) -> Result<Prepared<'_>, DataError> {
    let binned = bin(&chart.groups, chart.bins)?;
    Ok(Prepared { chart, binned })
}

impl Plot for Prepared<'_> {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String> {
        let b = &self.binned;
        let entries: Vec<LegendEntry> = self
            .chart
            .groups
            .iter()
            .zip(&b.heights)
            .enumerate()
            .map(|(i, ((name, _), h))| LegendEntry {
                label: if h.iter().any(|&c| c > 0.0) { name.clone() } else { format!("{name} (no data)") },
                color: legend::color(i),
                glyph: Glyph::Swatch,
            })
            .collect();
        let area = frame::layout(root, &self.chart.title, &entries)?;
        let (lo, hi) = (b.edges[0], b.edges[b.edges.len() - 1]);
        let (x0, x1) = ticks::pad_linear(lo, hi, 0.02);
        let top = b.heights.iter().flatten().fold(0.0f64, |m, &h| m.max(h));
        let y1 = if top > 0.0 { top * 1.08 } else { 1.0 };
        let x_ticks = ticks::linear_ticks(x0, x1, 8);
        let x_fmt = ticks::linear_formatter(&x_ticks);
        let y_ticks = ticks::linear_ticks(0.0, y1, 6);
        let y_fmt = ticks::linear_formatter(&y_ticks);
        let axes = Axes {
            x_desc: &self.chart.x_label,
            y_desc: if b.normalized { "fraction of group" } else { "count" },
            x_fmt: &x_fmt,
            y_fmt: &y_fmt,
            y_ticks: &y_ticks,
            x_grid: true,
        };
        let x = TickedAxis::linear(x0, x1, x_ticks.clone());
        let y = TickedAxis::linear(0.0, y1, y_ticks.clone());
        let chart = frame::chart(&area, x, y, &axes)?;
        let plot = chart.plotting_area();
        for (i, h) in b.heights.iter().enumerate() {
            let color = legend::color(i);
            let fill = color.mix(0.3).filled();
            for (j, &c) in h.iter().enumerate().filter(|(_, &c)| c > 0.0) {
                plot.draw(&Rectangle::new([(b.edges[j], 0.0), (b.edges[j + 1], c)], fill)).map_err(draw_err)?;
            }
            // One step path per run of non-empty bins: adjacent bars merge into a single
            // silhouette, and empty stretches leave no line lying on the axis.
            let mut j = 0;
            while j < h.len() {
                if h[j] <= 0.0 {
                    j += 1;
                    continue;
                }
                let mut outline = vec![(b.edges[j], 0.0)];
                while j < h.len() && h[j] > 0.0 {
                    outline.push((b.edges[j], h[j]));
                    outline.push((b.edges[j + 1], h[j]));
                    j += 1;
                }
                outline.push((b.edges[j], 0.0));
                plot.draw(&PathElement::new(outline, color.stroke_width(2))).map_err(draw_err)?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn g(name: &str, v: &[f64]) -> (String, Vec<f64>) {
        (name.to_string(), v.to_vec())
    }

    #[test]
    fn counts_include_the_maximum_and_skip_nan() {
        let b = bin(&[g("a", &[0.0, 0.5, 1.0, 1.0, f64::NAN])], 2).unwrap();
        assert_eq!(b.edges, vec![0.0, 0.5, 1.0]);
        assert_eq!(b.heights[0], vec![1.0, 3.0]);
        assert!(!b.normalized);
    }

    #[test]
    fn unequal_groups_are_normalized() {
        let b = bin(&[g("big", &[0.0, 0.0, 1.0, 1.0]), g("small", &[1.0])], 2).unwrap();
        assert!(b.normalized);
        assert_eq!(b.heights[0], vec![0.5, 0.5]);
        assert_eq!(b.heights[1], vec![0.0, 1.0]);
    }

    #[test]
    fn all_equal_values_and_zero_bins() {
        let b = bin(&[g("a", &[2.0, 2.0])], 4).unwrap();
        assert!(b.edges[0] < 2.0 && b.edges[4] > 2.0);
        assert_eq!(b.heights[0].iter().sum::<f64>(), 2.0);
        assert!(matches!(bin(&[g("a", &[1.0])], 0), Err(DataError::Invalid(_))));
        assert!(matches!(bin(&[g("a", &[f64::NAN])], 3), Err(DataError::NoData)));
    }
}
