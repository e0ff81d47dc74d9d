//! The few dense-algebra kernels a layer needs, written for small and large shapes alike.
//!
//! Small products (the case study's 30×2×500) lose more to a GEMM library's packing than they
//! gain from its blocking, so they run as fused vector loops; large products go to
//! `matrixmultiply`. Nothing here allocates, and threads are used only when the caller hands a
//! [`Parallelism`] with more than one thread.
//!
//! The unsafe code is contained here: the products take checked [`Mat`] views and slices, and
//! only [`gemm_split`] turns them into the raw pointers and strides `matrixmultiply` wants,
//! after checking that every element it is told to touch lies inside them.
#![deny(clippy::undocumented_unsafe_blocks, clippy::missing_safety_doc)]

use crate::Float;
use std::marker::PhantomData;

/// How many threads one product may use. Chosen by the caller once per fit, never discovered
/// per call (reading CPU affinity on every call costs more than a small product).
#[derive(Clone, Copy, Debug, Default)]
pub enum Parallelism<'a> {
    /// Run on the calling thread.
    #[default]
    Sequential,
    /// Split large products across this pool's threads.
    Pool(&'a rayon::ThreadPool),
}

/// Products with fewer multiply-adds than this run as plain loops.
const GEMM_THRESHOLD: usize = 1 << 16;

/// `Σ a[i]·b[i]`, with eight independent accumulators so the compiler can vectorize the
/// reduction without being allowed to reassociate it.
///
/// # Panics
/// If the slices differ in length.
#[inline(always)]
pub fn dot<F: Float>(a: &[F], b: &[F]) -> F {
    assert_eq!(a.len(), b.len());
    let mut acc = [F::zero(); 8];
    let chunks = a.len() / 8 * 8;
    for (ca, cb) in a[..chunks].chunks_exact(8).zip(b[..chunks].chunks_exact(8)) {
        for l in 0..8 {
            acc[l] += ca[l] * cb[l];
        }
    }
    let mut tail = F::zero();
    for (x, y) in a[chunks..].iter().zip(&b[chunks..]) {
        tail += *x * *y;
    }
    ((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7])) + tail
}

/// `y ← y + alpha·x`.
///
/// # Panics
/// If the slices differ in length.
#[inline(always)]
pub fn axpy<F: Float>(y: &mut [F], alpha: F, x: &[F]) {
    assert_eq!(x.len(), y.len());
    for (yi, xi) in y.iter_mut().zip(x) {
        *yi += alpha * *xi;
    }
}

/// `rows·cols`, the element count of a `rows × cols` matrix.
///
/// # Panics
/// If it overflows `usize` (no slice can hold such a matrix).
#[inline(always)]
fn elements(rows: usize, cols: usize) -> usize {
    match rows.checked_mul(cols) {
        Some(n) => n,
        None => panic!("a {rows}×{cols} matrix has more elements than usize can count"),
    }
}

/// A read-only row-major matrix view over a slice: `rows × cols`, row stride `cols`.
///
/// The fields are private so that `data.len() == rows·cols` always holds: the GEMM path reads
/// through raw pointers sized from `rows` and `cols`.
#[derive(Clone, Copy, Debug)]
pub struct Mat<'a, F> {
    data: &'a [F],
    rows: usize,
    cols: usize,
}

impl<'a, F> Mat<'a, F> {
    /// A view of the first `rows·cols` elements of `data` as `rows × cols`.
    ///
    /// # Panics
    /// If `rows·cols` overflows `usize` or exceeds `data.len()`.
    pub fn new(data: &'a [F], rows: usize, cols: usize) -> Self {
        let len = elements(rows, cols);
        assert!(len <= data.len(), "a {rows}×{cols} matrix view needs {len} elements, the slice has {}", data.len());
        Mat { data: &data[..len], rows, cols }
    }

    fn row(&self, r: usize) -> &'a [F] {
        &self.data[r * self.cols..(r + 1) * self.cols]
    }
}

/// `C[m×n] ← A[m×k]·B[k×n] + beta·C` — a layer's forward product (`X·W`).
///
/// # Panics
/// If the shapes disagree or `c` is shorter than `m·n`.
#[inline(always)]
pub fn matmul<F: Float>(a: Mat<F>, b: Mat<F>, beta: F, c: &mut [F], par: Parallelism) {
    let (m, k, n) = (a.rows, a.cols, b.cols);
    assert_eq!(b.rows, k, "inner dimensions differ");
    let c = &mut c[..elements(m, n)];
    if macs(m, k, n) >= GEMM_THRESHOLD {
        gemm_split(m, k, n, (a.data, k, 1), (b.data, n, 1), beta, c, par);
        return;
    }
    if beta == F::zero() {
        c.fill(F::zero());
    } else if beta != F::one() {
        c.iter_mut().for_each(|v| *v *= beta);
    }
    if n == 1 {
        let col = &b.data[..k];
        for (i, ci) in c.iter_mut().enumerate() {
            *ci += dot(a.row(i), col);
        }
        return;
    }
    for (i, crow) in c.chunks_exact_mut(n).enumerate() {
        for (p, &aip) in a.row(i).iter().enumerate() {
            axpy(crow, aip, b.row(p));
        }
    }
}

/// `C[k×n] ← Aᵀ·B + beta·C` with `A[m×k]`, `B[m×n]` — a kernel's gradient (`Xᵀ·dZ`).
///
/// # Panics
/// If the shapes disagree or `c` is shorter than `k·n`.
#[inline(always)]
pub fn matmul_tn<F: Float>(a: Mat<F>, b: Mat<F>, beta: F, c: &mut [F], par: Parallelism) {
    let (m, k, n) = (a.rows, a.cols, b.cols);
    assert_eq!(b.rows, m, "outer dimensions differ");
    let c = &mut c[..elements(k, n)];
    if macs(m, k, n) >= GEMM_THRESHOLD {
        // Aᵀ is A read with strides (1, k).
        gemm_split(k, m, n, (a.data, 1, k), (b.data, n, 1), beta, c, par);
        return;
    }
    if beta == F::zero() {
        c.fill(F::zero());
    } else if beta != F::one() {
        c.iter_mut().for_each(|v| *v *= beta);
    }
    for r in 0..m {
        let arow = a.row(r);
        let brow = b.row(r);
        if n == 1 {
            axpy(c, brow[0], arow);
        } else {
            for (p, &ap) in arow.iter().enumerate() {
                axpy(&mut c[p * n..(p + 1) * n], ap, brow);
            }
        }
    }
}

/// `C[m×k] ← A·Bᵀ` with `A[m×n]`, `B[k×n]` — an input gradient (`dZ·Wᵀ`).
///
/// # Panics
/// If the shapes disagree or `c` is shorter than `m·k`.
#[inline(always)]
pub fn matmul_nt<F: Float>(a: Mat<F>, b: Mat<F>, c: &mut [F], par: Parallelism) {
    let (m, n, k) = (a.rows, a.cols, b.rows);
    assert_eq!(b.cols, n, "inner dimensions differ");
    let c = &mut c[..elements(m, k)];
    if macs(m, k, n) >= GEMM_THRESHOLD {
        // Bᵀ is B read with strides (1, n).
        gemm_split(m, n, k, (a.data, n, 1), (b.data, 1, n), F::zero(), c, par);
        return;
    }
    for (i, crow) in c.chunks_exact_mut(k).enumerate() {
        let arow = a.row(i);
        if n == 1 {
            for (cj, bj) in crow.iter_mut().zip(b.data) {
                *cj = arow[0] * *bj;
            }
        } else {
            for (j, cj) in crow.iter_mut().enumerate() {
                *cj = dot(arow, b.row(j));
            }
        }
    }
}

/// Multiply-adds of an `m×k` by `k×n` product, saturating: only compared with the threshold.
#[inline(always)]
fn macs(m: usize, k: usize, n: usize) -> usize {
    m.saturating_mul(k).saturating_mul(n)
}

/// A strided read-only operand: the slice, its row stride and its column stride.
type Strided<'a, F> = (&'a [F], usize, usize);

/// Whether every element `i·rs + j·cs` (`i < rows`, `j < cols`) of `a` lies inside it, with
/// each offset representable as `isize`.
fn fits<F>((data, rs, cs): Strided<F>, rows: usize, cols: usize) -> bool {
    if rows == 0 || cols == 0 {
        return true;
    }
    let last = (rows - 1).checked_mul(rs).and_then(|r| (cols - 1).checked_mul(cs).and_then(|c| r.checked_add(c)));
    // A slice never exceeds isize::MAX bytes, so an in-bounds offset fits isize too.
    matches!(last, Some(last) if last < data.len()) && isize::try_from(rs).is_ok() && isize::try_from(cs).is_ok()
}

/// The output matrix shared by the pool's threads when each writes a disjoint column block of
/// every row (not a contiguous range, so it cannot be split into `&mut` slices). Tied to the
/// borrow of C, so it cannot outlive it.
struct SharedOut<'a, F> {
    ptr: *mut F,
    _c: PhantomData<&'a mut [F]>,
}

// SAFETY: it stands for the `&'a mut [F]` it was made from, which may move to another thread
// when `F: Send`; the threads that share it write disjoint elements (see `gemm_split`).
unsafe impl<F: Send> Send for SharedOut<'_, F> {}
// SAFETY: as above; no element is read or written by two threads.
unsafe impl<F: Send> Sync for SharedOut<'_, F> {}

/// GEMM `C[m×n] ← A·B + beta·C` over a row-major `C`, with `A[m×k]` and `B[k×n]` read through
/// their strides, split by row or column blocks across the pool's threads. Each element of C
/// is computed by exactly one thread with the same k-order, so the result is bit-identical
/// whatever the thread count.
///
/// # Panics
/// If an operand's strides reach outside its slice or `c` is shorter than `m·n`.
#[allow(clippy::too_many_arguments)]
fn gemm_split<F: Float>(
    m: usize,
    k: usize,
    n: usize,
    a: Strided<F>,
    b: Strided<F>,
    beta: F,
    c: &mut [F],
    par: Parallelism,
) {
    assert!(fits(a, m, k) && fits(b, k, n), "GEMM operand strides reach outside their slices");
    assert!(c.len() >= elements(m, n), "GEMM output shorter than {m}×{n}");
    if m == 0 || n == 0 {
        return;
    }
    // `fits` checked that these strides are in isize range.
    let (rsa, csa, rsb, csb) = (a.1 as isize, a.2 as isize, b.1 as isize, b.2 as isize);
    // Split the longer side of C, so each thread packs only its share of the larger operand.
    let by_rows = m > n;
    let long = if by_rows { m } else { n };
    let threads = match par {
        Parallelism::Pool(pool) => pool.current_num_threads().min(long / 64).max(1),
        Parallelism::Sequential => 1,
    };
    if threads <= 1 {
        // SAFETY: `fits` and the length check put every element of A, B and C that the
        // product touches inside its slice; C is borrowed mutably, so it aliases neither.
        unsafe {
            F::gemm_raw(
                crate::float::GEMM,
                m,
                k,
                n,
                F::one(),
                a.0.as_ptr(),
                rsa,
                csa,
                b.0.as_ptr(),
                rsb,
                csb,
                beta,
                c.as_mut_ptr(),
                n as isize,
                1,
            )
        };
        return;
    }
    let Parallelism::Pool(pool) = par else { unreachable!("threads > 1 only with a pool") };
    // Blocks rounded to 16 so each thread's microkernel tiles stay full.
    let block = long.div_ceil(threads).div_ceil(16) * 16;
    let (a, b) = (a.0, b.0);
    let out = SharedOut { ptr: c.as_mut_ptr(), _c: PhantomData };
    pool.scope(|s| {
        let out = &out;
        let mut start = 0;
        while start < long {
            let width = block.min(long - start);
            s.spawn(move |_| {
                // SAFETY: rows (or columns) `start..start + width` of the product checked
                // above: A's (B's) block starts at an in-bounds offset and its elements are a
                // subset of the checked ones; this thread alone writes that block of C, whose
                // borrow outlives the scope.
                unsafe {
                    if by_rows {
                        let a_block = a.as_ptr().offset(start as isize * rsa);
                        F::gemm_raw(
                            crate::float::GEMM,
                            width,
                            k,
                            n,
                            F::one(),
                            a_block,
                            rsa,
                            csa,
                            b.as_ptr(),
                            rsb,
                            csb,
                            beta,
                            out.ptr.add(start * n),
                            n as isize,
                            1,
                        )
                    } else {
                        let b_block = b.as_ptr().offset(start as isize * csb);
                        F::gemm_raw(
                            crate::float::GEMM,
                            m,
                            k,
                            width,
                            F::one(),
                            a.as_ptr(),
                            rsa,
                            csa,
                            b_block,
                            rsb,
                            csb,
                            beta,
                            out.ptr.add(start),
                            n as isize,
                            1,
                        )
                    }
                };
            });
            start += width;
        }
    });
}

/// True when the CPU has AVX2 (detected once, then a relaxed atomic load).
#[inline]
pub fn has_avx2() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        use std::sync::atomic::{AtomicU8, Ordering};
        static STATE: AtomicU8 = AtomicU8::new(0);
        let mut state = STATE.load(Ordering::Relaxed);
        if state == 0 {
            state = if std::arch::is_x86_feature_detected!("avx2") { 2 } else { 1 };
            STATE.store(state, Ordering::Relaxed);
        }
        state == 2
    }
    #[cfg(not(target_arch = "x86_64"))]
    false
}

/// Defines a function twice — as built, and compiled for AVX2 — and picks one per call.
///
/// The default x86-64 target allows only SSE2; the fused loops of a small layer run about 1.5×
/// faster with 256-bit vectors. Results are bit-identical either way: every reduction here
/// fixes its own summation order and no multiply-add is contracted into an FMA. Everything the
/// body calls must be `#[inline(always)]` to be compiled into the AVX2 copy.
macro_rules! multiversion {
    ($(#[$meta:meta])* $vis:vis fn $name:ident<$($g:ident: $bound:path),*>($($arg:ident: $ty:ty),* $(,)?) $(-> $ret:ty)? $body:block) => {
        $(#[$meta])*
        #[allow(clippy::too_many_arguments)]
        $vis fn $name<$($g: $bound),*>($($arg: $ty),*) $(-> $ret)? {
            #[inline(always)]
            #[allow(clippy::too_many_arguments)]
            fn body<$($g: $bound),*>($($arg: $ty),*) $(-> $ret)? $body
            #[cfg(target_arch = "x86_64")]
            {
                /// The body compiled for AVX2.
                ///
                /// # Safety
                /// The CPU must support AVX2 (check with `has_avx2`).
                #[target_feature(enable = "avx2")]
                #[allow(clippy::too_many_arguments)]
                unsafe fn avx2<$($g: $bound),*>($($arg: $ty),*) $(-> $ret)? {
                    body($($arg),*)
                }
                if $crate::kernels::has_avx2() {
                    // SAFETY: the CPU reported AVX2, the one obligation of `avx2`.
                    return unsafe { avx2($($arg),*) };
                }
            }
            body($($arg),*)
        }
    };
}
pub(crate) use multiversion;

#[cfg(test)]
#[path = "kernels_tests.rs"]
mod tests;
