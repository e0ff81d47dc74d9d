//! Rendering a chart to PNG and SVG and putting the files in place atomically.
//!
//! Both pictures are rendered into memory first and only then written, so a chart that fails to
//! draw never touches the disk. Each file is written to `<name>.tmp` and renamed over the final
//! name: a crash or a full disk leaves either the old plot or the new one, never half a PNG
//! that an image viewer or a LaTeX build would choke on.

use std::ffi::OsString;
use std::fs;
use std::path::{Path, PathBuf};

use plotters::coord::Shift;
use plotters::prelude::{BitMapBackend, DrawingArea, DrawingBackend, IntoDrawingArea, SVGBackend};
use plotters::style::WHITE;

use crate::crisp::CrispText;
use crate::error::ReportError;
use crate::font;

/// Pixel size of every chart: wide enough for a right-hand legend next to a readable plot,
/// small enough to sit side by side in a report.
pub const CHART_SIZE: (u32, u32) = (800, 500);

/// A chart whose data has been checked and that only needs a canvas.
///
/// Drawing is generic over the backend so that the PNG and the SVG come from the same code and
/// cannot drift apart.
pub(crate) trait Plot {
    /// Draws the whole chart onto `root`, which is already cleared to white.
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String>;
}

/// Turns any plotters error into the message kept in [`ReportError::Render`].
pub(crate) fn draw_err<E: std::fmt::Display>(e: E) -> String {
    e.to_string()
}

/// `stem` with `ext` appended; appending (rather than `with_extension`) keeps stems such as
/// `alpha-1e-3` or `run.v2` intact.
pub(crate) fn with_suffix(stem: &Path, ext: &str) -> PathBuf {
    let mut s: OsString = stem.as_os_str().to_owned();
    s.push(".");
    s.push(ext);
    PathBuf::from(s)
}

/// Renders `plot` to `stem.png` and `stem.svg` (creating parent directories) and returns the
/// two paths, PNG first.
pub(crate) fn write_plot<P: Plot>(plot: &P, stem: &Path) -> Result<Vec<PathBuf>, ReportError> {
    if stem.file_name().is_none() || stem.as_os_str().to_string_lossy().ends_with('/') {
        return Err(ReportError::InvalidStem { path: stem.to_path_buf() });
    }
    font::ensure_registered().map_err(|()| ReportError::Font { path: stem.to_path_buf() })?;
    let png_path = with_suffix(stem, "png");
    let svg_path = with_suffix(stem, "svg");

    let png = render_png(plot).map_err(|message| ReportError::Render { path: png_path.clone(), message })?;
    let svg = render_svg(plot).map_err(|message| ReportError::Render { path: svg_path.clone(), message })?;

    if let Some(parent) = stem.parent() {
        if !parent.as_os_str().is_empty() {
            fs::create_dir_all(parent).map_err(|source| ReportError::Io { path: parent.to_path_buf(), source })?;
        }
    }
    write_atomic(&png_path, &png)?;
    write_atomic(&svg_path, svg.as_bytes())?;
    Ok(vec![png_path, svg_path])
}

fn render_png<P: Plot>(plot: &P) -> Result<Vec<u8>, String> {
    let (w, h) = CHART_SIZE;
    let mut rgb = vec![0u8; w as usize * h as usize * 3];
    {
        let backend = CrispText::new(BitMapBackend::with_buffer(&mut rgb, CHART_SIZE))
            .ok_or_else(|| "the embedded font could not be parsed".to_string())?;
        let root = backend.into_drawing_area();
        root.fill(&WHITE).map_err(draw_err)?;
        plot.draw(&root)?;
        root.present().map_err(draw_err)?;
    }
    encode_png(&rgb, w, h).map_err(draw_err)
}

fn render_svg<P: Plot>(plot: &P) -> Result<String, String> {
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, CHART_SIZE).into_drawing_area();
        root.fill(&WHITE).map_err(draw_err)?;
        plot.draw(&root)?;
        root.present().map_err(draw_err)?;
    }
    Ok(svg)
}

/// Encodes an RGB buffer ourselves because the bitmap backend can only save to a path whose
/// extension names the format, and the temporary file is called `*.png.tmp`.
fn encode_png(rgb: &[u8], w: u32, h: u32) -> Result<Vec<u8>, png::EncodingError> {
    let mut out = Vec::with_capacity(rgb.len() / 8);
    {
        let mut enc = png::Encoder::new(&mut out, w, h);
        enc.set_color(png::ColorType::Rgb);
        enc.set_depth(png::BitDepth::Eight);
        enc.set_compression(png::Compression::Fast);
        let mut writer = enc.write_header()?;
        writer.write_image_data(rgb)?;
        writer.finish()?;
    }
    Ok(out)
}

/// Writes `bytes` to `path.tmp`, syncs it and renames it over `path`; the temporary file is
/// removed again if any step fails.
/// The one atomic writer shared with the core library (`shrink-files`).
fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), ReportError> {
    shrink_files::write_atomic(path, bytes).map_err(|e| match e {
        shrink_files::Error::Io { source, .. } => ReportError::Io { path: path.to_path_buf(), source },
        other => ReportError::Io { path: path.to_path_buf(), source: std::io::Error::other(other.to_string()) },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suffix_is_appended_not_replaced() {
        assert_eq!(with_suffix(Path::new("out/alpha-1e-3"), "png"), PathBuf::from("out/alpha-1e-3.png"));
        assert_eq!(with_suffix(Path::new("run.v2"), "svg"), PathBuf::from("run.v2.svg"));
    }

    #[test]
    fn failed_write_leaves_no_tmp_file() {
        let dir = std::env::temp_dir().join(format!("shrink-report-atomic-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        // A directory where the file should go makes the rename fail after the tmp was written.
        let target = dir.join("blocked.png");
        fs::create_dir_all(target.join("inner")).unwrap();
        let err = write_atomic(&target, b"data").unwrap_err();
        assert!(matches!(err, ReportError::Io { .. }), "{err}");
        let leftovers: Vec<_> = fs::read_dir(&dir)
            .unwrap()
            .filter_map(|e| e.ok())
            .filter(|e| e.file_name().to_string_lossy().ends_with(".tmp"))
            .collect();
        assert!(leftovers.is_empty(), "{leftovers:?}");
        fs::remove_dir_all(&dir).unwrap();
    }
}
