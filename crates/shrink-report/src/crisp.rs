//! A bitmap backend wrapper that fixes two rendering flaws of plotters 0.3.7's bitmap output.
//!
//! Text: its `ab_glyph` drawing places each glyph at the pen position without its left side
//! bearing and on a per-glyph baseline, so small labels come out as "n one" or "T est". We lay
//! text out ourselves: subpixel pen positions, kerning and one shared baseline. Widths still
//! come from plotters' own estimate, so layout decisions (label areas, legend width) are
//! unchanged and the PNG matches the SVG.
//!
//! Thick lines: it strokes a wide path as one self-intersecting polygon, which grows spikes and
//! holes wherever a dense curve (4000 epochs on 600 pixels) turns sharply. We draw each segment
//! as parallel one-pixel lines instead, which has no joins to get wrong.

use ab_glyph::{Font, FontRef, ScaleFont};
use plotters::backend::BitMapBackend;
use plotters_backend::text_anchor::{HPos, VPos};
use plotters_backend::{BackendColor, BackendCoord, BackendStyle, BackendTextStyle, DrawingBackend, DrawingErrorKind};

/// `BitMapBackend` with our text renderer.
pub(crate) struct CrispText<'a> {
    inner: BitMapBackend<'a>,
    font: FontRef<'static>,
}

impl<'a> CrispText<'a> {
    /// Wraps `inner`; fails only if the embedded font does not parse.
    pub(crate) fn new(inner: BitMapBackend<'a>) -> Option<Self> {
        let font = FontRef::try_from_slice(crate::font::BYTES).ok()?;
        Some(CrispText { inner, font })
    }
}

type Res<E> = Result<(), DrawingErrorKind<E>>;
type BitMapError = <BitMapBackend<'static> as DrawingBackend>::ErrorType;

impl DrawingBackend for CrispText<'_> {
    type ErrorType = BitMapError;

    fn get_size(&self) -> (u32, u32) {
        self.inner.get_size()
    }

    fn ensure_prepared(&mut self) -> Res<BitMapError> {
        self.inner.ensure_prepared()
    }

    fn present(&mut self) -> Res<BitMapError> {
        self.inner.present()
    }

    fn draw_pixel(&mut self, point: BackendCoord, color: BackendColor) -> Res<BitMapError> {
        self.inner.draw_pixel(point, color)
    }

    fn draw_line<S: BackendStyle>(&mut self, from: BackendCoord, to: BackendCoord, style: &S) -> Res<BitMapError> {
        self.inner.draw_line(from, to, style)
    }

    fn draw_rect<S: BackendStyle>(
        &mut self,
        upper_left: BackendCoord,
        bottom_right: BackendCoord,
        style: &S,
        fill: bool,
    ) -> Res<BitMapError> {
        self.inner.draw_rect(upper_left, bottom_right, style, fill)
    }

    fn draw_path<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(
        &mut self,
        path: I,
        style: &S,
    ) -> Res<BitMapError> {
        let width = style.stroke_width() as i32;
        if width <= 1 || style.color().alpha == 0.0 {
            return self.inner.draw_path(path, style);
        }
        let color = style.color();
        let first_offset = -(width - 1) / 2;
        let mut prev: Option<BackendCoord> = None;
        for p in path {
            let Some(a) = prev.replace(p) else { continue };
            if a == p {
                continue;
            }
            // Offsets across the segment's minor axis give it `width` pixels of thickness.
            let x_major = (p.0 - a.0).abs() >= (p.1 - a.1).abs();
            for k in 0..width {
                let o = first_offset + k;
                let (ox, oy) = if x_major { (0, o) } else { (o, 0) };
                self.inner.draw_line((a.0 + ox, a.1 + oy), (p.0 + ox, p.1 + oy), &color)?;
            }
        }
        Ok(())
    }

    fn draw_circle<S: BackendStyle>(
        &mut self,
        center: BackendCoord,
        radius: u32,
        style: &S,
        fill: bool,
    ) -> Res<BitMapError> {
        self.inner.draw_circle(center, radius, style, fill)
    }

    fn fill_polygon<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(
        &mut self,
        vert: I,
        style: &S,
    ) -> Res<BitMapError> {
        self.inner.fill_polygon(vert, style)
    }

    fn blit_bitmap(&mut self, pos: BackendCoord, size: (u32, u32), src: &[u8]) -> Res<BitMapError> {
        self.inner.blit_bitmap(pos, size, src)
    }

    fn draw_text<TStyle: BackendTextStyle>(
        &mut self,
        text: &str,
        style: &TStyle,
        pos: BackendCoord,
    ) -> Res<BitMapError> {
        let color = style.color();
        if color.alpha == 0.0 || text.is_empty() {
            return Ok(());
        }
        let ((min_x, min_y), (max_x, max_y)) =
            style.layout_box(text).map_err(|e| DrawingErrorKind::FontError(Box::new(e)))?;
        let (width, height) = (max_x - min_x, max_y - min_y);
        let dx = match style.anchor().h_pos {
            HPos::Left => 0,
            HPos::Right => -width,
            HPos::Center => -width / 2,
        };
        let dy = match style.anchor().v_pos {
            VPos::Top => 0,
            VPos::Center => -height / 2,
            VPos::Bottom => -height,
        };
        let font = self.font.as_scaled(style.size() as f32);
        // Baseline one cap height below the top of the layout box: capitals and digits then fill
        // the box plotters reserved, and centred labels look centred.
        let cap = font.outline_glyph(font.scaled_glyph('H')).map_or(font.ascent(), |g| -g.px_bounds().min.y);
        let trans = style.transform();
        let (w, h) = self.get_size();
        let mut pen = 0.0f32;
        let mut prev = None;
        let mut pixels = Vec::new();
        for c in text.chars() {
            let id = font.glyph_id(c);
            if let Some(p) = prev {
                pen += font.kern(p, id);
            }
            prev = Some(id);
            let glyph = id.with_scale_and_position(font.scale(), ab_glyph::point(pen, cap));
            pen += font.h_advance(id);
            let Some(outline) = font.outline_glyph(glyph) else {
                continue;
            };
            let b = outline.px_bounds();
            outline.draw(|gx, gy, coverage| {
                pixels.push((b.min.x as i32 + gx as i32, b.min.y as i32 + gy as i32, coverage));
            });
        }
        for (x, y, coverage) in pixels {
            let (x, y) = trans.transform(x + dx, y + dy);
            let (x, y) = (pos.0 + x, pos.1 + y);
            if x >= 0 && y >= 0 && x < w as i32 && y < h as i32 {
                let alpha = color.alpha * f64::from(coverage.clamp(0.0, 1.0));
                self.inner.draw_pixel((x, y), BackendColor { alpha, rgb: color.rgb })?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::CrispText;
    use plotters::prelude::*;

    fn render(draw: impl FnOnce(&DrawingArea<CrispText<'_>, plotters::coord::Shift>)) -> Vec<u8> {
        crate::font::ensure_registered().unwrap();
        let mut buf = vec![255u8; 100 * 40 * 3];
        {
            let root = CrispText::new(BitMapBackend::with_buffer(&mut buf, (100, 40))).unwrap().into_drawing_area();
            draw(&root);
            root.present().unwrap();
        }
        buf
    }

    fn dark_columns(buf: &[u8]) -> Vec<usize> {
        let mut cols: Vec<usize> =
            buf.chunks(3).enumerate().filter(|(_, p)| p[0] < 128).map(|(i, _)| i % 100).collect();
        cols.sort_unstable();
        cols.dedup();
        cols
    }

    #[test]
    fn text_lands_where_the_layout_box_says() {
        // Text styles look their font up when created, so register first.
        crate::font::ensure_registered().unwrap();
        let style = crate::font::text(20.0);
        let mut w = 0;
        let buf = render(|root| {
            w = root.estimate_text_size("Hello", &style).unwrap().0;
            root.draw(&Text::new("Hello", (10, 10), style.clone())).unwrap();
        });
        let cols = dark_columns(&buf);
        assert!(!cols.is_empty(), "no text drawn");
        assert!(cols[0] >= 10 && *cols.last().unwrap() <= 10 + w as usize + 1, "{cols:?} vs width {w}");
    }

    #[test]
    fn thick_paths_are_solid_and_the_right_width() {
        let buf = render(|root| {
            root.draw(&PathElement::new(vec![(10, 20), (90, 20)], BLACK.stroke_width(2))).unwrap();
        });
        let rows: Vec<usize> = buf.chunks(3).enumerate().filter(|(_, p)| p[0] < 128).map(|(i, _)| i / 100).collect();
        let (min, max) = (rows.iter().min().unwrap(), rows.iter().max().unwrap());
        assert_eq!(max - min + 1, 2);
        assert_eq!(rows.len(), 2 * 81);
    }
}
