//! Series colours, marker shapes and the legend panel.
//!
//! The legend sits in its own column right of the plot instead of inside it: learning curves
//! fill the top of the plot and accuracy-vs-alpha curves the bottom, so no fixed corner is safe
//! and a legend drawn over data hides exactly the points a reader is looking for.

use plotters::coord::{CoordTranslate, Shift};
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use plotters::style::RGBColor;

use crate::font;
use crate::output::draw_err;

/// Okabe–Ito colours (without yellow, which vanishes on white): distinguishable with the
/// common forms of colour blindness and still apart when printed in grey.
const PALETTE: [RGBColor; 7] = [
    RGBColor(0, 114, 178),
    RGBColor(213, 94, 0),
    RGBColor(0, 158, 115),
    RGBColor(204, 121, 167),
    RGBColor(230, 159, 0),
    RGBColor(86, 180, 233),
    RGBColor(0, 0, 0),
];

/// Colour of the `i`-th series or group.
pub(crate) fn color(i: usize) -> RGBColor {
    PALETTE[i % PALETTE.len()]
}

/// Marker shapes; combined with colour they keep series apart in greyscale prints.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Marker {
    Circle,
    Square,
    Triangle,
    Diamond,
}

/// Marker of the `i`-th series; the period (4) differs from the palette's (7) so the first 28
/// series all get distinct colour/shape pairs.
pub(crate) fn marker(i: usize) -> Marker {
    [Marker::Circle, Marker::Square, Marker::Triangle, Marker::Diamond][i % 4]
}

/// Draws one filled marker of pixel radius `r` at `at`, in any coordinate system.
pub(crate) fn draw_marker<DB, CT>(
    area: &DrawingArea<DB, CT>,
    shape: Marker,
    at: CT::From,
    r: i32,
    color: RGBColor,
) -> Result<(), String>
where
    DB: DrawingBackend,
    CT: CoordTranslate,
{
    let style = color.filled();
    let res = match shape {
        Marker::Circle => area.draw(&Circle::new(at, r, style)),
        Marker::Square => {
            let s = r - 1;
            area.draw(&(EmptyElement::at(at) + Rectangle::new([(-s, -s), (s, s)], style)))
        }
        Marker::Triangle => {
            let h = r + 1;
            area.draw(&(EmptyElement::at(at) + Polygon::new(vec![(0, -h), (h, h - 1), (-h, h - 1)], style)))
        }
        Marker::Diamond => {
            let h = r + 1;
            area.draw(&(EmptyElement::at(at) + Polygon::new(vec![(0, -h), (h, 0), (0, h), (-h, 0)], style)))
        }
    };
    res.map_err(draw_err)
}

/// What a legend row shows next to its label.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Glyph {
    /// A line sample with a marker in the middle (line charts).
    Line(Marker),
    /// A filled, outlined square (histograms).
    Swatch,
}

/// One legend row.
pub(crate) struct LegendEntry {
    pub label: String,
    pub color: RGBColor,
    pub glyph: Glyph,
}

const SAMPLE_W: i32 = 28;
const PAD: i32 = 10;
const ROW_H: i32 = 22;
/// Widest legend column; longer labels are shortened with "…" so the plot keeps its width.
const MAX_WIDTH: u32 = 240;

/// Width of the legend column for `entries` (0 when there is nothing to list).
pub(crate) fn width<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, entries: &[LegendEntry]) -> u32 {
    if entries.is_empty() {
        return 0;
    }
    let style = font::legend();
    let text_w = entries
        .iter()
        .map(|e| root.estimate_text_size(&e.label, &style).map(|(w, _)| w).unwrap_or(0))
        .max()
        .unwrap_or(0);
    (text_w + (3 * PAD + SAMPLE_W) as u32 + 6).min(MAX_WIDTH)
}

/// Draws the legend rows into `area`, starting `top` pixels below its upper edge.
pub(crate) fn draw<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    entries: &[LegendEntry],
    top: i32,
) -> Result<(), String> {
    if entries.is_empty() {
        return Ok(());
    }
    let style = font::legend();
    let (w, _) = area.dim_in_pixel();
    let text_x = PAD + SAMPLE_W + 8;
    let text_room = (w as i32 - text_x - PAD).max(10) as u32;
    let box_h = ROW_H * entries.len() as i32 + PAD;
    area.draw(&Rectangle::new([(2, top), (w as i32 - 4, top + box_h)], RGBColor(190, 190, 190).stroke_width(1)))
        .map_err(draw_err)?;
    for (i, e) in entries.iter().enumerate() {
        let y = top + PAD / 2 + ROW_H * i as i32 + ROW_H / 2;
        match e.glyph {
            Glyph::Line(shape) => {
                area.draw(&PathElement::new(vec![(PAD, y), (PAD + SAMPLE_W, y)], e.color.stroke_width(2)))
                    .map_err(draw_err)?;
                draw_marker(area, shape, (PAD + SAMPLE_W / 2, y), 4, e.color)?;
            }
            Glyph::Swatch => {
                let (x0, x1) = (PAD + 6, PAD + SAMPLE_W - 6);
                area.draw(&Rectangle::new([(x0, y - 7), (x1, y + 7)], e.color.mix(0.35).filled())).map_err(draw_err)?;
                area.draw(&Rectangle::new([(x0, y - 7), (x1, y + 7)], e.color.stroke_width(2))).map_err(draw_err)?;
            }
        }
        let label = fit_text(area, &e.label, &style, text_room);
        area.draw(&Text::new(label, (text_x, y), style.pos(Pos::new(HPos::Left, VPos::Center)))).map_err(draw_err)?;
    }
    Ok(())
}

/// `text`, shortened with a trailing "…" until it fits into `room` pixels.
fn fit_text<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, text: &str, style: &TextStyle, room: u32) -> String {
    let fits = |s: &str| area.estimate_text_size(s, style).map(|(w, _)| w <= room).unwrap_or(true);
    if fits(text) {
        return text.to_string();
    }
    let mut chars: Vec<char> = text.chars().collect();
    while !chars.is_empty() {
        chars.pop();
        let candidate: String = chars.iter().collect::<String>() + "…";
        if fits(&candidate) {
            return candidate;
        }
    }
    "…".to_string()
}
