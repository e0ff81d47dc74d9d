//! Sliding-window geometry shared by convolutions and pooling (channels-last, Keras semantics).

use crate::Error;
use serde::{Deserialize, Serialize};

/// How a sliding window treats the borders of its input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Padding {
    /// No padding: only windows that fit entirely inside the input; `out = ⌊(in − k)/s⌋ + 1`.
    #[default]
    Valid,
    /// TensorFlow's "same": `out = ⌈in/s⌉`, total padding `max((out−1)·s + k − in, 0)`, split
    /// with the smaller half before and the extra element after.
    Same,
}

impl Padding {
    /// The name used in specs and reports (`valid`, `same`).
    pub fn as_str(self) -> &'static str {
        match self {
            Padding::Valid => "valid",
            Padding::Same => "same",
        }
    }
}

/// One spatial axis of a window: input length, window length, stride, padding before, output.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Axis {
    pub input: usize,
    pub window: usize,
    pub stride: usize,
    pub pad_before: usize,
    pub output: usize,
}

impl Axis {
    /// The axis geometry, or a message when the window cannot slide over the input.
    pub fn new(input: usize, window: usize, stride: usize, padding: Padding) -> Result<Axis, String> {
        let (output, pad_before) = match padding {
            Padding::Valid => {
                if window > input {
                    return Err(format!("window {window} is larger than the input {input} with valid padding"));
                }
                ((input - window) / stride + 1, 0)
            }
            Padding::Same => {
                let output = input.div_ceil(stride);
                // Saturating: window and stride come from specs and files, up to `u64::MAX`.
                let total = (output - 1).saturating_mul(stride).saturating_add(window).saturating_sub(input);
                (output, total / 2)
            }
        };
        Ok(Axis { input, window, stride, pad_before, output })
    }

    /// The input position under window offset `k` of output position `o`, if inside the input.
    #[inline(always)]
    pub fn source(&self, o: usize, k: usize) -> Option<usize> {
        (o * self.stride + k).checked_sub(self.pad_before).filter(|&i| i < self.input)
    }

    /// The window offsets `k` of output `o` that fall inside the input, as a range.
    #[inline(always)]
    pub fn valid_offsets(&self, o: usize) -> std::ops::Range<usize> {
        let start = o * self.stride;
        let lo = self.pad_before.saturating_sub(start);
        let hi = (self.input + self.pad_before).saturating_sub(start).min(self.window);
        lo..hi.max(lo)
    }
}

/// A 2-D window over a channels-last `[height, width, channels]` sample (1-D inputs use height 1).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Window {
    pub rows: Axis,
    pub cols: Axis,
    pub channels: usize,
}

impl Window {
    /// Elements per input sample.
    pub fn input_len(&self) -> usize {
        self.rows.input * self.cols.input * self.channels
    }

    /// Output positions per sample.
    pub fn positions(&self) -> usize {
        self.rows.output * self.cols.output
    }

    /// Calls `f` for every window of `batch` samples in output order (sample, output row,
    /// output column); `pos` counts the windows over the whole batch.
    #[inline(always)]
    pub fn each(&self, batch: usize, mut f: impl FnMut(WindowAt)) {
        let (rows, cols) = (self.rows, self.cols);
        let in_len = self.input_len();
        let mut pos = 0;
        for b in 0..batch {
            let base = b * in_len;
            for oy in 0..rows.output {
                let ky = rows.valid_offsets(oy);
                let iy0 = oy * rows.stride + ky.start - rows.pad_before;
                for ox in 0..cols.output {
                    let kx = cols.valid_offsets(ox);
                    let ix0 = ox * cols.stride + kx.start - cols.pad_before;
                    f(WindowAt { pos, base, iy0, ky: ky.len(), ix0, kx: kx.len() });
                    pos += 1;
                }
            }
        }
    }
}

/// One window of [`Window::each`]: the part of it inside the input is rows `iy0..iy0 + ky` and
/// columns `ix0..ix0 + kx` of the sample that starts at element `base` of the batch.
#[derive(Debug, Clone, Copy)]
pub(crate) struct WindowAt {
    pub pos: usize,
    pub base: usize,
    pub iy0: usize,
    pub ky: usize,
    pub ix0: usize,
    pub kx: usize,
}

/// The `[height, width, channels]` of a per-sample shape of rank `rank` (1: `[steps, channels]`,
/// 2: `[height, width, channels]`), or the layer error explaining what was expected.
pub(crate) fn spatial_input(layer: &str, kind: &str, rank: usize, shape: &[usize]) -> Result<[usize; 3], Error> {
    let dims = match (rank, shape) {
        (1, &[steps, channels]) => [1, steps, channels],
        (2, &[height, width, channels]) => [height, width, channels],
        _ => {
            let expected = if rank == 1 { "[steps, channels]" } else { "[height, width, channels]" };
            return Err(layer_error(
                layer,
                format!("{kind} expects per-sample inputs {expected}, got shape {shape:?}"),
            ));
        }
    };
    Ok(dims)
}

/// `3×3` for a 2-D size, `3` for a 1-D one (height 1).
fn size_text(rank: usize, (a, b): (usize, usize)) -> String {
    if rank == 1 {
        b.to_string()
    } else {
        format!("{a}×{b}")
    }
}

/// Builds the window of a layer of `rank` (1: height 1), turning geometry problems into layer
/// errors; `what` names the window ("kernel", "pool").
#[allow(clippy::too_many_arguments)]
pub(crate) fn window(
    layer: &str,
    kind: &str,
    what: &str,
    rank: usize,
    dims: [usize; 3],
    size: (usize, usize),
    strides: (usize, usize),
    padding: Padding,
) -> Result<Window, Error> {
    if size.0 == 0 || size.1 == 0 {
        return Err(layer_error(
            layer,
            format!("{kind} needs a {what} size of at least 1, got {}", size_text(rank, size)),
        ));
    }
    if strides.0 == 0 || strides.1 == 0 {
        return Err(layer_error(
            layer,
            format!("{kind} needs strides of at least 1, got {}", size_text(rank, strides)),
        ));
    }
    let axis = |input, window, stride| {
        Axis::new(input, window, stride, padding).map_err(|_| {
            layer_error(
                layer,
                format!(
                    "{kind} {what} {} is larger than the input {} with valid padding; use padding same or a smaller {what}",
                    size_text(rank, size),
                    size_text(rank, (dims[0], dims[1])),
                ),
            )
        })
    };
    Ok(Window { rows: axis(dims[0], size.0, strides.0)?, cols: axis(dims[1], size.1, strides.1)?, channels: dims[2] })
}

pub(crate) fn layer_error(layer: &str, message: String) -> Error {
    Error::Layer { layer: layer.to_string(), message }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_padding_follows_tensorflow() {
        // in 5, k 3, s 2: out 3, total pad (2·2 + 3 − 5) = 2 → 1 before, 1 after.
        let a = Axis::new(5, 3, 2, Padding::Same).unwrap();
        assert_eq!((a.output, a.pad_before), (3, 1));
        // in 4, k 2, s 1: out 4, total 1 → 0 before, the extra one after.
        let a = Axis::new(4, 2, 1, Padding::Same).unwrap();
        assert_eq!((a.output, a.pad_before), (4, 0));
        // in 6, k 1, s 4: out 2, total max(4 + 1 − 6, 0) = 0.
        let a = Axis::new(6, 1, 4, Padding::Same).unwrap();
        assert_eq!((a.output, a.pad_before), (2, 0));
        // Window larger than the input is fine with same padding: in 2, k 5, s 1 → total 4.
        let a = Axis::new(2, 5, 1, Padding::Same).unwrap();
        assert_eq!((a.output, a.pad_before), (2, 2));
        let a = Axis::new(7, 3, 2, Padding::Valid).unwrap();
        assert_eq!((a.output, a.pad_before), (3, 0));
        assert!(Axis::new(2, 3, 1, Padding::Valid).is_err());
        let a = Axis::new(3, usize::MAX, usize::MAX, Padding::Same).unwrap();
        assert_eq!((a.output, a.pad_before), (1, (usize::MAX - 3) / 2));
        assert_eq!(a.valid_offsets(0), a.pad_before..a.pad_before + 3);
    }

    #[test]
    fn valid_offsets_agree_with_source() {
        for (input, window, stride, padding) in
            [(5, 3, 2, Padding::Same), (2, 5, 1, Padding::Same), (7, 3, 2, Padding::Valid), (4, 2, 3, Padding::Same)]
        {
            let a = Axis::new(input, window, stride, padding).unwrap();
            for o in 0..a.output {
                let want: Vec<usize> = (0..window).filter(|&k| a.source(o, k).is_some()).collect();
                let got: Vec<usize> = a.valid_offsets(o).collect();
                assert_eq!(got, want, "{input} {window} {stride} {padding:?} o={o}");
            }
        }
    }
}
