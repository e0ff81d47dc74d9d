//! The LSTM's kernels: gate nonlinearities, the per-step recurrent products, and the
//! forward and backward passes over blocks of batch rows (each thread owns its rows).

use crate::kernels::{matmul, matmul_nt, matmul_tn, multiversion, Mat, Parallelism};
use crate::Float;
use std::marker::PhantomData;

/// `1/(1+e^−x)`; for f32 through a vectorizable exp.
#[inline(always)]
pub(super) fn sigmoid<F: Float>(x: F) -> F {
    F::one() / (F::one() + exp(-x))
}

/// `tanh(x)`; for f32 as `1 − 2/(1+e^{2x})` through a vectorizable exp.
#[inline(always)]
pub(super) fn tanh<F: Float>(x: F) -> F {
    if size_of::<F>() == 4 {
        let two = F::one() + F::one();
        F::one() - two / (F::one() + exp(two * x))
    } else {
        x.tanh()
    }
}

/// `e^x`: the libm function for f64 (gradient checks need every digit), and for f32 a
/// branch-free Cody–Waite reduction with a degree-6 polynomial (≤ 2 ulp on the normal range,
/// saturating to 0 and +inf), which the compiler vectorizes where a libm call cannot be.
#[inline(always)]
fn exp<F: Float>(x: F) -> F {
    if size_of::<F>() == 4 {
        let x = x.to_f32().unwrap_or(0.0);
        F::of(f64::from(exp_f32(x)))
    } else {
        x.exp()
    }
}

#[inline(always)]
pub(super) fn exp_f32(x: f32) -> f32 {
    // Keep 2^n a normal number; beyond these bounds the result saturates anyway.
    let xc = x.clamp(-87.0, 88.0);
    // Round x·log2(e) to the nearest integer n with the 1.5·2²³ trick: n's bits end up in the
    // low mantissa bits of `t`, so 2ⁿ is built with integer adds and shifts that vectorize
    // (a float → int `as` cast saturates, and does not).
    const MAGIC: f32 = 12_582_912.0;
    let t = xc * std::f32::consts::LOG2_E + MAGIC;
    let n = t - MAGIC;
    let r = xc - n * 0.693_145_75 - n * 1.428_606_8e-6;
    // e^r on |r| ≤ ln2/2, Taylor-like minimax coefficients (Cephes expf).
    let p = 1.987_569_1e-4f32;
    let p = p * r + 1.398_199_9e-3;
    let p = p * r + 8.333_452e-3;
    let p = p * r + 4.166_579_6e-2;
    let p = p * r + 0.166_666_65;
    let p = p * r + 0.5;
    let p = p * r * r + r + 1.0;
    let scale = f32::from_bits((t.to_bits().wrapping_sub(MAGIC.to_bits()).wrapping_add(127)) << 23);
    let y = p * scale;
    if x < -87.0 {
        0.0
    } else if x > 88.0 {
        f32::INFINITY
    } else {
        y
    }
}

/// Raw access to one time-major buffer `[steps, batch, width]`, so that each thread can own a
/// block of batch rows across every step: a step's rows are contiguous, a thread's rows over
/// time are not, so plain slice splitting cannot express the partition. It holds the buffer's
/// exclusive borrow `'buf`, so the buffer cannot be touched otherwise while it lives.
pub(super) struct Steps<'buf, F> {
    ptr: *mut F,
    len: usize,
    batch: usize,
    width: usize,
    _buf: PhantomData<&'buf mut [F]>,
}

// SAFETY: the pointer comes from an exclusive borrow held for `'buf` and is only dereferenced
// through `rows`, whose callers guarantee that threads touch disjoint rows; sharing a `Steps`
// hands out `&mut F` across threads, hence `F: Send` for both.
unsafe impl<F: Send> Send for Steps<'_, F> {}
unsafe impl<F: Send> Sync for Steps<'_, F> {}

impl<'buf, F> Steps<'buf, F> {
    pub(super) fn new(buf: &'buf mut [F], batch: usize, width: usize) -> Self {
        Steps { ptr: buf.as_mut_ptr(), len: buf.len(), batch, width, _buf: PhantomData }
    }

    /// Rows `r` of step `t`, living no longer than this borrow of `self` (and so of the buffer).
    ///
    /// # Safety
    /// No two slices alive at once may overlap: threads own disjoint row ranges, and one thread
    /// takes distinct steps (or drops one step's rows before taking them again). Bounds are
    /// checked (a panic, not undefined behaviour).
    #[inline(always)]
    #[allow(clippy::mut_from_ref)]
    pub(super) unsafe fn rows(&self, t: usize, r: std::ops::Range<usize>) -> &mut [F] {
        let (start, end) = ((t * self.batch + r.start) * self.width, (t * self.batch + r.end) * self.width);
        assert!(start <= end && end <= self.len, "rows out of range");
        // SAFETY: in bounds (checked above) of a buffer borrowed for `'buf`, which outlives
        // `&self`; exclusivity is the caller's contract.
        unsafe { std::slice::from_raw_parts_mut(self.ptr.add(start), end - start) }
    }
}

/// Fewest batch rows worth a thread of their own.
const MIN_ROWS_PER_THREAD: usize = 4;

/// Runs `f(r0, r1)` over blocks of batch rows, one per thread of `par`. Every row's arithmetic
/// is the same whichever block it falls in, so results are bit-identical at any thread count.
pub(super) fn run_rows(par: Parallelism, batch: usize, f: &(dyn Fn(usize, usize) + Sync)) {
    let parts = match par {
        Parallelism::Pool(pool) => pool.current_num_threads().min(batch / MIN_ROWS_PER_THREAD).max(1),
        Parallelism::Sequential => 1,
    };
    match par {
        Parallelism::Pool(pool) if parts > 1 => pool.install(|| split_rows(0, batch, parts, f)),
        _ => f(0, batch),
    }
}

fn split_rows(r0: usize, r1: usize, parts: usize, f: &(dyn Fn(usize, usize) + Sync)) {
    if parts <= 1 {
        return f(r0, r1);
    }
    let half = parts / 2;
    // Block edges on multiples of the kernel's row tile where possible.
    let mid = (r0 + ((r1 - r0) * half / parts).div_ceil(TILE_ROWS) * TILE_ROWS).min(r1);
    rayon::join(|| split_rows(r0, mid, half, f), || split_rows(mid, r1, parts - half, f));
}

const TILE_ROWS: usize = 4;
const TILE_COLS: usize = 16;

/// `C[m×n] += A[m×k]·B[k×n]`, row-major, for the per-step recurrent products: register tiles
/// of 4 rows × 16 columns, no packing, nothing allocated. Each element is `c + Σ_p a·b` summed
/// in order of `p` whatever tile it falls in, so how rows are split never changes a bit.
#[inline(always)]
fn gemm_acc<F: Float>(a: &[F], b: &[F], c: &mut [F], m: usize, k: usize, n: usize) {
    assert!(a.len() >= m * k && b.len() >= k * n && c.len() >= m * n);
    let mut i = 0;
    while i + TILE_ROWS <= m {
        gemm_rows::<F, TILE_ROWS>(&a[i * k..(i + TILE_ROWS) * k], b, &mut c[i * n..(i + TILE_ROWS) * n], k, n);
        i += TILE_ROWS;
    }
    while i < m {
        gemm_rows::<F, 1>(&a[i * k..(i + 1) * k], b, &mut c[i * n..(i + 1) * n], k, n);
        i += 1;
    }
}

#[inline(always)]
fn gemm_rows<F: Float, const R: usize>(a: &[F], b: &[F], c: &mut [F], k: usize, n: usize) {
    let a: [&[F]; R] = std::array::from_fn(|r| &a[r * k..(r + 1) * k]);
    let full = n / TILE_COLS * TILE_COLS;
    for j in (0..full).step_by(TILE_COLS) {
        let mut acc = [[F::zero(); TILE_COLS]; R];
        for (r, acc) in acc.iter_mut().enumerate() {
            acc.copy_from_slice(&c[r * n + j..r * n + j + TILE_COLS]);
        }
        for (p, brow) in b.chunks_exact(n).take(k).enumerate() {
            let bv: &[F; TILE_COLS] = brow[j..j + TILE_COLS].try_into().expect("tile width");
            for (acc, arow) in acc.iter_mut().zip(&a) {
                let av = arow[p];
                for (x, &y) in acc.iter_mut().zip(bv) {
                    *x += av * y;
                }
            }
        }
        for (r, acc) in acc.iter().enumerate() {
            c[r * n + j..r * n + j + TILE_COLS].copy_from_slice(acc);
        }
    }
    for j in full..n {
        for (r, arow) in a.iter().enumerate() {
            let mut s = c[r * n + j];
            for (p, &av) in arow.iter().enumerate() {
                s += av * b[p * n + j];
            }
            c[r * n + j] = s;
        }
    }
}

multiversion! {
    /// Before the recurrence: the input in time-major order and its projection for every step
    /// as one product, `gates = X·W + b`.
    pub(super) fn lstm_project<F: Float>(
        input: &[F],
        kernel: &[F],
        bias: &[F],
        xt: &mut [F],
        gates: &mut [F],
        batch: usize,
        steps: usize,
        features: usize,
        par: Parallelism<'_>,
    ) {
        // [B, T, I] → [T, B, I], so each step's rows are contiguous.
        for b in 0..batch {
            for t in 0..steps {
                let src = &input[(b * steps + t) * features..(b * steps + t + 1) * features];
                xt[(t * batch + b) * features..(t * batch + b + 1) * features].copy_from_slice(src);
            }
        }
        let g = bias.len();
        for row in gates.chunks_exact_mut(g) {
            row.copy_from_slice(bias);
        }
        matmul(Mat::new(xt, steps * batch, features), Mat::new(kernel, features, g), F::one(), gates, par);
    }
}

multiversion! {
    /// The recurrence for batch rows `r0..r1`: per step `z += h_{t−1}·U`, the gates, `c_t`, `h_t`.
    pub(super) fn forward_rows<F: Float>(
        gates: &Steps<F>,
        cells: &Steps<F>,
        tanh_cells: &Steps<F>,
        hidden: &Steps<F>,
        recurrent: &[F],
        r0: usize,
        r1: usize,
        steps: usize,
        units: usize,
    ) {
        let (u, g, m) = (units, 4 * units, r1 - r0);
        for t in 0..steps {
            // SAFETY: this call owns rows r0..r1 of every step, and steps t−1 and t are disjoint.
            let (z, c_now, tc_now, h_now) = unsafe {
                (gates.rows(t, r0..r1), cells.rows(t, r0..r1), tanh_cells.rows(t, r0..r1), hidden.rows(t, r0..r1))
            };
            // SAFETY: as above.
            let c_prev = if t > 0 { Some(unsafe { cells.rows(t - 1, r0..r1) }) } else { None };
            if t > 0 {
                // SAFETY: as above.
                let h_prev = unsafe { hidden.rows(t - 1, r0..r1) };
                gemm_acc(h_prev, recurrent, z, m, u, g);
            }
            for b in 0..m {
                let zr = &mut z[b * g..(b + 1) * g];
                let (ifg, o) = zr.split_at_mut(3 * u);
                let (if_, gg) = ifg.split_at_mut(2 * u);
                if_.iter_mut().for_each(|v| *v = sigmoid(*v));
                gg.iter_mut().for_each(|v| *v = tanh(*v));
                o.iter_mut().for_each(|v| *v = sigmoid(*v));
                let (ig, fg) = if_.split_at(u);
                let row = b * u..(b + 1) * u;
                let c = &mut c_now[row.clone()];
                match &c_prev {
                    Some(cp) => {
                        let cp = &cp[row.clone()];
                        for k in 0..u {
                            c[k] = fg[k] * cp[k] + ig[k] * gg[k];
                        }
                    }
                    None => {
                        for k in 0..u {
                            c[k] = ig[k] * gg[k];
                        }
                    }
                }
                let tc = &mut tc_now[row.clone()];
                let h = &mut h_now[row];
                for k in 0..u {
                    tc[k] = tanh(c[k]);
                    h[k] = o[k] * tc[k];
                }
            }
        }
    }
}

multiversion! {
    /// Back-propagation through time for batch rows `r0..r1`: per step the gate gradients
    /// `dZ_t` (kept for the weight gradients) and `dh_{t−1} = dZ_t·Uᵀ` (with `rt` = `Uᵀ`).
    pub(super) fn backward_rows<F: Float>(
        grad_output: &[F],
        gates: &[F],
        cells: &[F],
        tanh_cells: &[F],
        rt: &[F],
        dz: &Steps<F>,
        dh: &Steps<F>,
        dc: &Steps<F>,
        r0: usize,
        r1: usize,
        batch: usize,
        steps: usize,
        units: usize,
        return_sequences: bool,
    ) {
        let (u, g, m) = (units, 4 * units, r1 - r0);
        let bu = batch * u;
        // SAFETY: this call owns rows r0..r1 of dh, dc and of every step of dz.
        let (dh, dc) = unsafe { (dh.rows(0, r0..r1), dc.rows(0, r0..r1)) };
        dh.fill(F::zero());
        dc.fill(F::zero());
        let one = F::one();
        for t in (0..steps).rev() {
            if return_sequences {
                for b in 0..m {
                    let src = &grad_output[((r0 + b) * steps + t) * u..((r0 + b) * steps + t + 1) * u];
                    dh[b * u..(b + 1) * u].iter_mut().zip(src).for_each(|(d, &s)| *d += s);
                }
            } else if t == steps - 1 {
                dh.iter_mut().zip(&grad_output[r0 * u..r1 * u]).for_each(|(d, &s)| *d += s);
            }
            // SAFETY: as above.
            let dz_t = unsafe { dz.rows(t, r0..r1) };
            let gates_t = &gates[(t * batch + r0) * g..(t * batch + r1) * g];
            let tc_t = &tanh_cells[t * bu + r0 * u..t * bu + r1 * u];
            for b in 0..m {
                let a = &gates_t[b * g..(b + 1) * g];
                let (ig, fg, gg, og) = (&a[..u], &a[u..2 * u], &a[2 * u..3 * u], &a[3 * u..]);
                let d = &mut dz_t[b * g..(b + 1) * g];
                let (di, rest) = d.split_at_mut(u);
                let (df, rest) = rest.split_at_mut(u);
                let (dg, do_) = rest.split_at_mut(u);
                let row = b * u..(b + 1) * u;
                let (dhr, dcr, tc) = (&dh[row.clone()], &mut dc[row.clone()], &tc_t[row.clone()]);
                // c_{t−1}; zero before the first step (the loop is unswitched on it).
                let first = t == 0;
                let cp = if first { tc } else { &cells[(t - 1) * bu + (r0 + b) * u..(t - 1) * bu + (r0 + b + 1) * u] };
                for k in 0..u {
                    let (i, f, gv, o) = (ig[k], fg[k], gg[k], og[k]);
                    let dct = dcr[k] + dhr[k] * o * (one - tc[k] * tc[k]);
                    di[k] = dct * gv * i * (one - i);
                    df[k] = if first { F::zero() } else { dct * cp[k] * f * (one - f) };
                    dg[k] = dct * i * (one - gv * gv);
                    do_[k] = dhr[k] * tc[k] * o * (one - o);
                    dcr[k] = dct * f;
                }
            }
            if t > 0 {
                dh.fill(F::zero());
                gemm_acc(dz_t, rt, dh, m, g, u);
            }
        }
    }
}

multiversion! {
    /// After the recurrence, each weight gradient as one product over every step:
    /// `dU = Σ_t h_{t−1}ᵀ·dZ_t`, `dW = Xᵀ·dZ`, `db = Σ dZ`, and optionally `dX = dZ·Wᵀ`.
    pub(super) fn lstm_gradients<F: Float>(
        xt: &[F],
        hidden: &[F],
        dz: &[F],
        kernel: &[F],
        kernel_grad: &mut [F],
        recurrent_grad: &mut [F],
        bias_grad: &mut [F],
        dx: Option<(&mut [F], &mut [F])>,
        batch: usize,
        steps: usize,
        features: usize,
        units: usize,
        par: Parallelism<'_>,
    ) {
        let (u, g) = (units, 4 * units);
        // Time-major, step t's rows of dZ pair with step t−1's rows of H: one product.
        let paired = (steps - 1) * batch;
        if paired > 0 {
            let h = Mat::new(&hidden[..paired * u], paired, u);
            matmul_tn(h, Mat::new(&dz[batch * g..], paired, g), F::zero(), recurrent_grad, par);
        } else {
            recurrent_grad.fill(F::zero());
        }
        matmul_tn(Mat::new(xt, steps * batch, features), Mat::new(dz, steps * batch, g), F::zero(), kernel_grad, par);
        bias_grad.fill(F::zero());
        for row in dz.chunks_exact(g) {
            bias_grad.iter_mut().zip(row).for_each(|(s, &d)| *s += d);
        }
        if let Some((dxt, dx)) = dx {
            matmul_nt(Mat::new(dz, steps * batch, g), Mat::new(kernel, features, g), dxt, par);
            for t in 0..steps {
                for b in 0..batch {
                    let src = &dxt[(t * batch + b) * features..(t * batch + b + 1) * features];
                    dx[(b * steps + t) * features..(b * steps + t + 1) * features].copy_from_slice(src);
                }
            }
        }
    }
}
