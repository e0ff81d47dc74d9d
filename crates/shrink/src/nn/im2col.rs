//! The convolution's data movement: bias and activation per output row, im2col and its
//! adjoint col2im over channels-last samples.

use super::geometry::Window;
use super::Activation;
use crate::kernels::multiversion;
use crate::Float;

multiversion! {
    /// `row ← f(row + bias)` for every row of width `n`.
    pub(super) fn bias_activation<F: Float>(out: &mut [F], bias: Option<&[F]>, n: usize, activation: Activation) {
        for row in out.chunks_exact_mut(n) {
            if let Some(bias) = bias {
                for (v, &b) in row.iter_mut().zip(bias) {
                    *v += b;
                }
            }
            activation.forward(row, n);
        }
    }
}

multiversion! {
    /// Copies every window of `batch` channels-last samples into one row of `patches`
    /// (`[ky][kx][channel]` order), writing zeros where the window overhangs the padding.
    pub(super) fn im2col<F: Float>(input: &[F], patches: &mut [F], batch: usize, w: Window) {
        let (rows, cols, c) = (w.rows, w.cols, w.channels);
        let seg = cols.window * c;
        let k = rows.window * seg;
        let in_len = w.input_len();
        let mut dst_rows = patches.chunks_exact_mut(k);
        for b in 0..batch {
            let sample = &input[b * in_len..(b + 1) * in_len];
            for oy in 0..rows.output {
                for ox in 0..cols.output {
                    let dst = dst_rows.next().expect("patches holds batch·positions rows");
                    let valid = cols.valid_offsets(ox);
                    for (ky, dst) in dst.chunks_exact_mut(seg).enumerate() {
                        let Some(iy) = rows.source(oy, ky) else {
                            dst.fill(F::zero());
                            continue;
                        };
                        if valid.start > 0 {
                            dst[..valid.start * c].fill(F::zero());
                        }
                        if valid.end < cols.window {
                            dst[valid.end * c..].fill(F::zero());
                        }
                        if !valid.is_empty() {
                            let ix = ox * cols.stride + valid.start - cols.pad_before;
                            let src = (iy * cols.input + ix) * c;
                            copy(&mut dst[valid.start * c..valid.end * c], &sample[src..src + valid.len() * c]);
                        }
                    }
                }
            }
        }
    }
}

/// `dst ← src`, with the short copies of few-channel inputs (3 floats for a 3-wide kernel over
/// one channel) inlined rather than sent through a `memcpy` call each.
#[inline(always)]
fn copy<F: Float>(dst: &mut [F], src: &[F]) {
    #[inline(always)]
    fn fixed<const N: usize, F: Copy>(dst: &mut [F], src: &[F]) {
        let d: &mut [F; N] = dst.try_into().expect("lengths match");
        *d = *<&[F; N]>::try_from(src).expect("lengths match");
    }
    match dst.len() {
        1 => fixed::<1, F>(dst, src),
        2 => fixed::<2, F>(dst, src),
        3 => fixed::<3, F>(dst, src),
        4 => fixed::<4, F>(dst, src),
        5 => fixed::<5, F>(dst, src),
        6 => fixed::<6, F>(dst, src),
        7 => fixed::<7, F>(dst, src),
        8 => fixed::<8, F>(dst, src),
        _ => dst.copy_from_slice(src),
    }
}

multiversion! {
    /// The adjoint of [`im2col`]: `dx` ← Σ over windows of the patch gradients (padding dropped).
    pub(super) fn col2im<F: Float>(dpatches: &[F], dx: &mut [F], batch: usize, w: Window) {
        let (rows, cols, c) = (w.rows, w.cols, w.channels);
        let seg = cols.window * c;
        let k = rows.window * seg;
        let in_len = w.input_len();
        dx.fill(F::zero());
        let mut src_rows = dpatches.chunks_exact(k);
        for b in 0..batch {
            let sample = &mut dx[b * in_len..(b + 1) * in_len];
            for oy in 0..rows.output {
                for ox in 0..cols.output {
                    let src = src_rows.next().expect("dpatches holds batch·positions rows");
                    let valid = cols.valid_offsets(ox);
                    if valid.is_empty() {
                        continue;
                    }
                    for (ky, src) in src.chunks_exact(seg).enumerate() {
                        let Some(iy) = rows.source(oy, ky) else { continue };
                        let ix = ox * cols.stride + valid.start - cols.pad_before;
                        let dst = (iy * cols.input + ix) * c;
                        let dst = &mut sample[dst..dst + valid.len() * c];
                        for (d, &s) in dst.iter_mut().zip(&src[valid.start * c..valid.end * c]) {
                            *d += s;
                        }
                    }
                }
            }
        }
    }
}
