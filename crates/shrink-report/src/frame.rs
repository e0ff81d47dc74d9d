//! The layout shared by all charts: title on top, legend column on the right, axes with our
//! own ticks and a light grid.
//!
//! Keeping this in one place is what makes a box plot and a learning curve from the same run
//! look like they belong to the same report (same fonts, margins and grid colours).

use std::ops::Range;

use plotters::coord::combinators::{IntoLogRange, LogCoord};
use plotters::coord::ranged1d::{KeyPointHint, NoDefaultFormatting, ValueFormatter};
use plotters::coord::types::RangedCoordf64;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::RGBColor;

use crate::font;
use crate::legend::{self, LegendEntry};
use crate::output::draw_err;

/// Space around the plot, in pixels.
const MARGIN: u32 = 12;

/// Draws the title and the legend and returns the area left for the plot itself.
pub(crate) fn layout<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    title: &str,
    entries: &[LegendEntry],
) -> Result<DrawingArea<DB, Shift>, String> {
    let body =
        if title.trim().is_empty() { root.clone() } else { root.titled(title, font::title()).map_err(draw_err)? };
    let legend_w = legend::width(root, entries);
    if legend_w == 0 {
        return Ok(body);
    }
    let (w, _) = body.dim_in_pixel();
    let (plot, side) = body.split_horizontally(w.saturating_sub(legend_w));
    legend::draw(&side, entries, MARGIN as i32)?;
    Ok(plot)
}

/// What the axes show; the formatters turn tick values into labels.
pub(crate) struct Axes<'f> {
    pub x_desc: &'f str,
    pub y_desc: &'f str,
    pub x_fmt: &'f dyn Fn(&f64) -> String,
    pub y_fmt: &'f dyn Fn(&f64) -> String,
    /// The y tick values, used to size the label column so long labels are never cut off.
    pub y_ticks: &'f [f64],
    /// Vertical grid lines help reading curves but only clutter categorical axes.
    pub x_grid: bool,
}

/// Builds a chart on `area` with the given coordinate specs and draws its axes and grid.
pub(crate) fn chart<'a, DB, X, Y>(
    area: &'a DrawingArea<DB, Shift>,
    x: X,
    y: Y,
    axes: &Axes,
) -> Result<ChartContext<'a, DB, Cartesian2d<X, Y>>, String>
where
    DB: DrawingBackend,
    X: Ranged<ValueType = f64> + ValueFormatter<f64>,
    Y: Ranged<ValueType = f64> + ValueFormatter<f64>,
{
    let tick_style = font::tick();
    let widest = axes
        .y_ticks
        .iter()
        .map(|v| area.estimate_text_size(&(axes.y_fmt)(v), &tick_style).map(|(w, _)| w).unwrap_or(40))
        .max()
        .unwrap_or(40);
    let y_desc_room = if axes.y_desc.is_empty() { 0 } else { 28 };
    let x_desc_room = if axes.x_desc.is_empty() { 0 } else { 24 };
    let mut chart = ChartBuilder::on(area)
        .margin(MARGIN)
        .margin_right(MARGIN + 8)
        .x_label_area_size(28 + x_desc_room)
        .y_label_area_size(widest + 14 + y_desc_room)
        .build_cartesian_2d(x, y)
        .map_err(draw_err)?;
    let mut mesh = chart.configure_mesh();
    mesh.x_desc(axes.x_desc)
        .y_desc(axes.y_desc)
        .x_label_formatter(axes.x_fmt)
        .y_label_formatter(axes.y_fmt)
        .label_style(tick_style.clone())
        .axis_desc_style(font::axis_desc())
        .axis_style(RGBColor(90, 90, 90))
        .bold_line_style(RGBColor(218, 218, 218))
        .light_line_style(RGBColor(240, 240, 240));
    if !axes.x_grid {
        mesh.disable_x_mesh();
    }
    mesh.draw().map_err(draw_err)?;
    Ok(chart)
}

/// An axis whose ticks we chose (see `ticks`): bold ticks are labelled and gridded, light ticks
/// only get a faint grid line.
///
/// plotters' own `with_key_points` cannot be used with custom label formatters on `f64` axes
/// (its linear f64 axis opts out of the default formatting the wrapper needs), hence this type.
pub(crate) struct TickedAxis<R> {
    inner: R,
    bold: Vec<f64>,
    light: Vec<f64>,
}

impl TickedAxis<RangedCoordf64> {
    /// Linear axis over `[lo, hi]`.
    pub(crate) fn linear(lo: f64, hi: f64, bold: Vec<f64>) -> Self {
        TickedAxis { inner: (lo..hi).into(), bold, light: Vec::new() }
    }
}

impl TickedAxis<LogCoord<f64>> {
    /// Logarithmic axis over `[lo, hi]`, `lo > 0`.
    pub(crate) fn log(lo: f64, hi: f64, bold: Vec<f64>, light: Vec<f64>) -> Self {
        TickedAxis { inner: (lo..hi).log_scale().into(), bold, light }
    }
}

impl<R: Ranged<ValueType = f64>> Ranged for TickedAxis<R> {
    type FormatOption = NoDefaultFormatting;
    type ValueType = f64;

    fn map(&self, value: &f64, limit: (i32, i32)) -> i32 {
        self.inner.map(value, limit)
    }

    fn key_points<Hint: KeyPointHint>(&self, hint: Hint) -> Vec<f64> {
        if hint.weight().allow_light_points() {
            self.light.clone()
        } else {
            self.bold.clone()
        }
    }

    fn range(&self) -> Range<f64> {
        self.inner.range()
    }

    fn axis_pixel_range(&self, limit: (i32, i32)) -> Range<i32> {
        self.inner.axis_pixel_range(limit)
    }
}

impl<R: Ranged<ValueType = f64>> ValueFormatter<f64> for TickedAxis<R> {
    /// Only a fallback: every chart passes its own label formatter to the mesh.
    fn format(value: &f64) -> String {
        format!("{value}")
    }
}
