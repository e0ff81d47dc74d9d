//! Line charts: learning curves and accuracy against penalty strength.

use std::path::{Path, PathBuf};

use plotters::coord::ranged1d::ValueFormatter;
use plotters::coord::Shift;
use plotters::prelude::*;

use crate::clip::clip_polyline;
use crate::error::{DataError, ReportError};
use crate::frame::{self, Axes, TickedAxis};
use crate::legend::{self, Glyph, LegendEntry};
use crate::output::{self, draw_err, Plot};
use crate::ticks;

/// One curve. Points whose x or y is not finite are left out and the line is broken there,
/// so a run that diverged to NaN shows as a gap instead of a made-up segment.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Series {
    /// Legend text.
    pub label: String,
    /// Horizontal positions, joined in the given order.
    pub x: Vec<f64>,
    /// Values; must have as many entries as `x`.
    pub y: Vec<f64>,
    /// Symmetric error bar half-widths (e.g. a standard deviation over seeds), one per point.
    pub y_err: Option<Vec<f64>>,
}

impl Series {
    /// A series without error bars.
    pub fn new(label: impl Into<String>, x: Vec<f64>, y: Vec<f64>) -> Self {
        Series { label: label.into(), x, y, y_err: None }
    }

    /// Adds error bars (`y ± err`); non-finite entries draw no bar for that point.
    pub fn with_err(mut self, y_err: Vec<f64>) -> Self {
        self.y_err = Some(y_err);
        self
    }
}

/// A chart of one or more [`Series`] against a shared x axis.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct LineChart {
    /// Title above the plot.
    pub title: String,
    /// X axis description.
    pub x_label: String,
    /// Y axis description.
    pub y_label: String,
    /// Logarithmic x axis, for penalty strengths spanning decades; then every finite x must
    /// be positive.
    pub log_x: bool,
    /// Fixed y range (e.g. `(0.0, 1.0)` for accuracies, so charts compare at a glance); parts
    /// of curves outside are clipped. `None` fits the data.
    pub y_range: Option<(f64, f64)>,
    /// The curves, drawn and listed in the legend in this order.
    pub series: Vec<Series>,
}

impl LineChart {
    /// An empty chart with linear axes fitted to the data.
    pub fn new(title: impl Into<String>, x_label: impl Into<String>, y_label: impl Into<String>) -> Self {
        LineChart { title: title.into(), x_label: x_label.into(), y_label: y_label.into(), ..LineChart::default() }
    }

    /// Switches the x axis to a logarithmic scale.
    pub fn log_x(mut self, log_x: bool) -> Self {
        self.log_x = log_x;
        self
    }

    /// Fixes the y axis to `[lo, hi]`.
    pub fn y_range(mut self, lo: f64, hi: f64) -> Self {
        self.y_range = Some((lo, hi));
        self
    }

    /// Appends a series.
    pub fn series(mut self, series: Series) -> Self {
        self.series.push(series);
        self
    }
}

/// Writes `stem.png` and `stem.svg` and returns their paths (PNG first).
///
/// Fails with [`ReportError::NoData`] when no series has a finite point (an empty plot would
/// hide the bug upstream); a single empty series among others is kept in the legend as
/// "label (no data)". Mismatched lengths, an invalid `y_range` and x <= 0 on a log axis are
/// [`ReportError::InvalidData`] naming the series.
pub fn write_line_chart(chart: &LineChart, stem: &Path) -> Result<Vec<PathBuf>, ReportError> {
    let prepared = prepare(chart).map_err(|e| e.at(stem))?;
    output::write_plot(&prepared, stem)
}

/// Most markers drawn per series: enough to tell curves apart, few enough that a 4000-epoch
/// curve stays a line rather than a smear of symbols.
const MAX_MARKERS: usize = 40;

struct Curve {
    label: String,
    /// Polylines after dropping non-finite points and clipping to the y range.
    lines: Vec<Vec<(f64, f64)>>,
    markers: Vec<(f64, f64)>,
    /// More points than markers, i.e. the line carries the data rather than the markers.
    dense: bool,
    /// (x, low, high, cap at low, cap at high); a cap is omitted where the bar was clipped.
    bars: Vec<(f64, f64, f64, bool, bool)>,
}

struct Prepared<'a> {
    chart: &'a LineChart,
    x: (f64, f64),
    y: (f64, f64),
    curves: Vec<Curve>,
}

fn prepare(chart: &LineChart) -> Result<Prepared<'_>, DataError> {
    for s in &chart.series {
        check_series(s, chart.log_x)?;
    }
    let finite = |s: &'_ Series| {
        let pts: Vec<(usize, f64, f64)> =
            s.x.iter()
                .zip(&s.y)
                .enumerate()
                .filter(|(_, (x, y))| x.is_finite() && y.is_finite())
                .map(|(i, (&x, &y))| (i, x, y))
                .collect();
        pts
    };
    let x_ext = ticks::finite_extent(chart.series.iter().flat_map(|s| finite(s).into_iter().map(|p| p.1)));
    let Some((x_lo, x_hi)) = x_ext else {
        return Err(DataError::NoData);
    };
    let x = if chart.log_x { ticks::pad_log(x_lo, x_hi, 0.03) } else { ticks::pad_linear(x_lo, x_hi, 0.02) };
    let y = match chart.y_range {
        Some((lo, hi)) => {
            if !(lo.is_finite() && hi.is_finite() && lo < hi) {
                return Err(DataError::Invalid(format!("y_range ({lo}, {hi}) must be finite with low < high")));
            }
            (lo, hi)
        }
        None => {
            let ys = chart.series.iter().flat_map(|s| {
                let err = s.y_err.as_deref();
                finite(s).into_iter().flat_map(move |(i, _, y)| {
                    let e = err.map_or(0.0, |e| e[i].abs());
                    let e = if e.is_finite() { e } else { 0.0 };
                    [y - e, y + e]
                })
            });
            let (lo, hi) = ticks::finite_extent(ys).ok_or(DataError::NoData)?;
            ticks::pad_linear(lo, hi, 0.06)
        }
    };

    let curves = chart
        .series
        .iter()
        .map(|s| {
            let pts = finite(s);
            let mut lines = Vec::new();
            let mut current: Vec<(f64, f64)> = Vec::new();
            let mut last_index = None;
            for &(i, px, py) in &pts {
                if last_index.is_some_and(|l| l + 1 != i) {
                    lines.push(std::mem::take(&mut current));
                }
                current.push((px, py));
                last_index = Some(i);
            }
            lines.push(current);
            let lines: Vec<Vec<(f64, f64)>> =
                lines.iter().filter(|l| !l.is_empty()).flat_map(|l| clip_polyline(l, y, chart.log_x)).collect();
            let inside = |p: &(f64, f64)| p.1 >= y.0 && p.1 <= y.1;
            let stride = pts.len().div_ceil(MAX_MARKERS).max(1);
            let mut markers: Vec<(f64, f64)> = pts.iter().step_by(stride).map(|&(_, px, py)| (px, py)).collect();
            // A point with no neighbour is invisible without its marker.
            markers.extend(lines.iter().filter(|l| l.len() == 1).map(|l| l[0]));
            markers.retain(inside);
            let bars = match &s.y_err {
                None => Vec::new(),
                Some(err) => pts
                    .iter()
                    .filter_map(|&(i, px, py)| {
                        let e = err[i].abs();
                        let (lo, hi) = (py - e, py + e);
                        (e.is_finite() && e > 0.0 && hi >= y.0 && lo <= y.1)
                            .then(|| (px, lo.max(y.0), hi.min(y.1), lo >= y.0, hi <= y.1))
                    })
                    .collect(),
            };
            let label = if pts.is_empty() { format!("{} (no data)", s.label) } else { s.label.clone() };
            Curve { label, lines, markers, dense: stride > 1, bars }
        })
        .collect();
    Ok(Prepared { chart, x, y, curves })
}

fn check_series(s: &Series, log_x: bool) -> Result<(), DataError> {
    if s.x.len() != s.y.len() {
        return Err(DataError::Invalid(format!(
            "series '{}' has {} x values but {} y values",
            s.label,
            s.x.len(),
            s.y.len()
        )));
    }
    if let Some(err) = &s.y_err {
        if err.len() != s.y.len() {
            return Err(DataError::Invalid(format!(
                "series '{}' has {} y values but {} error bars",
                s.label,
                s.y.len(),
                err.len()
            )));
        }
    }
    if log_x {
        if let Some(bad) = s.x.iter().find(|x| x.is_finite() && **x <= 0.0) {
            return Err(DataError::Invalid(format!(
                "series '{}' has x = {bad} but the x axis is logarithmic and needs x > 0",
                s.label
            )));
        }
    }
    Ok(())
}

impl Plot for Prepared<'_> {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String> {
        let (x0, x1) = self.x;
        if self.chart.log_x {
            let (bold, light) = ticks::log_ticks(x0, x1);
            let x = TickedAxis::log(x0, x1, bold, light);
            self.draw_with(root, x, &ticks::log_label)
        } else {
            let t = ticks::linear_ticks(x0, x1, 8);
            let fmt = ticks::linear_formatter(&t);
            self.draw_with(root, TickedAxis::linear(x0, x1, t), &fmt)
        }
    }
}

impl Prepared<'_> {
    fn draw_with<DB, X>(
        &self,
        root: &DrawingArea<DB, Shift>,
        x: X,
        x_fmt: &dyn Fn(&f64) -> String,
    ) -> Result<(), String>
    where
        DB: DrawingBackend,
        X: Ranged<ValueType = f64> + ValueFormatter<f64>,
    {
        let entries: Vec<LegendEntry> = self
            .curves
            .iter()
            .enumerate()
            .map(|(i, c)| LegendEntry {
                label: c.label.clone(),
                color: legend::color(i),
                glyph: Glyph::Line(legend::marker(i)),
            })
            .collect();
        let area = frame::layout(root, &self.chart.title, &entries)?;
        let y_ticks = ticks::linear_ticks(self.y.0, self.y.1, 8);
        let y_fmt = ticks::linear_formatter(&y_ticks);
        let axes = Axes {
            x_desc: &self.chart.x_label,
            y_desc: &self.chart.y_label,
            x_fmt,
            y_fmt: &y_fmt,
            y_ticks: &y_ticks,
            x_grid: true,
        };
        let y = TickedAxis::linear(self.y.0, self.y.1, y_ticks.clone());
        let chart = frame::chart(&area, x, y, &axes)?;
        let plot = chart.plotting_area();
        for (i, c) in self.curves.iter().enumerate() {
            let color = legend::color(i);
            let bar_style = color.mix(0.8).stroke_width(2);
            for &(bx, lo, hi, cap_lo, cap_hi) in &c.bars {
                plot.draw(&PathElement::new(vec![(bx, lo), (bx, hi)], bar_style)).map_err(draw_err)?;
                for (end, cap) in [(lo, cap_lo), (hi, cap_hi)] {
                    if cap {
                        plot.draw(&(EmptyElement::at((bx, end)) + PathElement::new(vec![(-5, 0), (5, 0)], bar_style)))
                            .map_err(draw_err)?;
                    }
                }
            }
            for line in c.lines.iter().filter(|l| l.len() >= 2) {
                plot.draw(&PathElement::new(line.clone(), color.stroke_width(2))).map_err(draw_err)?;
            }
            // Sparse curves (a sweep over alpha) are read point by point: bigger markers.
            let r = if c.dense { 3 } else { 4 };
            for &m in &c.markers {
                legend::draw_marker(plot, legend::marker(i), m, r, color)?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nan_breaks_the_line_and_isolated_points_keep_a_marker() {
        let chart = LineChart::new("t", "x", "y").series(Series::new(
            "s",
            vec![1.0, 2.0, 3.0, 4.0, 5.0],
            vec![1.0, 2.0, f64::NAN, 4.0, f64::NAN],
        ));
        let p = prepare(&chart).unwrap();
        assert_eq!(p.curves[0].lines, vec![vec![(1.0, 1.0), (2.0, 2.0)], vec![(4.0, 4.0)]]);
        assert!(p.curves[0].markers.contains(&(4.0, 4.0)));
    }

    #[test]
    fn long_series_get_few_markers() {
        let x: Vec<f64> = (1..=4000).map(f64::from).collect();
        let chart = LineChart::new("t", "x", "y").series(Series::new("s", x.clone(), x));
        let p = prepare(&chart).unwrap();
        assert!(p.curves[0].markers.len() <= MAX_MARKERS);
    }
}
