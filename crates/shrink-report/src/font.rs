//! The embedded font and the text styles built from it.
//!
//! plotters' `ab_glyph` backend knows no system fonts: text is measured and rasterised only with
//! fonts registered from bytes. Embedding DejaVu Sans makes every PNG look the same on every
//! machine (CI containers often have no fonts at all), and the SVGs are laid out with the same
//! metrics, so labels fit in both.

use std::sync::OnceLock;

use plotters::style::{FontStyle, IntoFont, RGBColor, TextStyle};

/// Family name the font is registered under; SVG viewers fall back to their own sans-serif.
pub(crate) const FAMILY: &str = "sans-serif";

/// DejaVu Sans (see `assets/LICENSE-DejaVu.txt`).
pub(crate) static BYTES: &[u8] = include_bytes!("../assets/DejaVuSans.ttf");

/// Registers the embedded font the first time it is needed.
///
/// The outcome is cached: registering is global state inside plotters, and a font that failed
/// once will fail again, so callers get the same answer cheaply on every chart.
pub(crate) fn ensure_registered() -> Result<(), ()> {
    static REGISTERED: OnceLock<bool> = OnceLock::new();
    let ok = *REGISTERED.get_or_init(|| plotters::style::register_font(FAMILY, FontStyle::Normal, BYTES).is_ok());
    if ok {
        Ok(())
    } else {
        Err(())
    }
}

/// Dark grey rather than black: it reads as black but makes the data lines stand out more.
pub(crate) const TEXT_COLOR: RGBColor = RGBColor(30, 30, 30);

/// Text style of the given pixel size in the embedded font.
///
/// Call only after [`ensure_registered`]: the style resolves its font when created and keeps a
/// "font unavailable" error otherwise.
pub(crate) fn text(size: f64) -> TextStyle<'static> {
    (FAMILY, size).into_font().color(&TEXT_COLOR)
}

/// Chart titles.
pub(crate) fn title() -> TextStyle<'static> {
    text(22.0)
}

/// Axis descriptions ("epoch", "accuracy").
pub(crate) fn axis_desc() -> TextStyle<'static> {
    text(16.0)
}

/// Tick labels.
pub(crate) fn tick() -> TextStyle<'static> {
    text(13.0)
}

/// Legend entries.
pub(crate) fn legend() -> TextStyle<'static> {
    text(14.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_font_registers_and_is_idempotent() {
        assert!(ensure_registered().is_ok());
        assert!(ensure_registered().is_ok());
    }
}
