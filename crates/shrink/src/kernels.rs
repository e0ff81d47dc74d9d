//! The few dense-algebra kernels a layer needs, written for small and large shapes alike.
//!
//! Small products (the case study's 30×2×500) lose more to a GEMM library's packing than they
//! gain from its blocking, so they run as fused vector loops; large products go to
//! `matrixmultiply`. Nothing here allocates, and threads are used only when the caller hands a
//! [`Parallelism`] with more than one thread.

use crate::Float;

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

/// A read-only row-major matrix view over a slice: `rows × cols`, row stride `cols`.
#[derive(Clone, Copy, Debug)]
pub struct Mat<'a, F> {
    /// The elements, row-major.
    pub data: &'a [F],
    /// Number of rows.
    pub rows: usize,
    /// Number of columns.
    pub cols: usize,
}

impl<'a, F> Mat<'a, F> {
    /// A view of `data` as `rows × cols`.
    ///
    /// # Panics
    /// If `data` is shorter than `rows·cols`.
    pub fn new(data: &'a [F], rows: usize, cols: usize) -> Self {
        assert!(data.len() >= rows * cols, "matrix view needs {rows}x{cols} elements");
        Mat { data: &data[..rows * cols], rows, cols }
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
    let c = &mut c[..m * n];
    if m * k * n >= GEMM_THRESHOLD {
        // SAFETY: row-major A (k, 1), B (n, 1), C (n, 1) strides over slices checked above.
        unsafe { gemm_split(m, k, n, a.data.as_ptr(), k as isize, 1, b.data.as_ptr(), n as isize, 1, beta, c, par) };
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
    let c = &mut c[..k * n];
    if m * k * n >= GEMM_THRESHOLD {
        // SAFETY: Aᵀ is A read with strides (1, k); B and C are row-major over checked slices.
        unsafe { gemm_split(k, m, n, a.data.as_ptr(), 1, k as isize, b.data.as_ptr(), n as isize, 1, beta, c, par) };
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
    let c = &mut c[..m * k];
    if m * k * n >= GEMM_THRESHOLD {
        // SAFETY: Bᵀ is B read with strides (1, n); A and C are row-major over checked slices.
        unsafe {
            gemm_split(m, n, k, a.data.as_ptr(), n as isize, 1, b.data.as_ptr(), 1, n as isize, F::zero(), c, par)
        };
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

struct SendPtr<T>(*const T);
// SAFETY: only used to hand read-only operands to scoped threads that end before the borrow.
unsafe impl<T> Send for SendPtr<T> {}
unsafe impl<T> Sync for SendPtr<T> {}

/// GEMM over a row-major `C[m×n]`, split by column blocks across the pool's threads. Each
/// element of C is computed by exactly one thread with the same k-order, so the result is
/// bit-identical whatever the thread count.
#[allow(clippy::too_many_arguments)]
unsafe fn gemm_split<F: Float>(
    m: usize,
    k: usize,
    n: usize,
    a: *const F,
    rsa: isize,
    csa: isize,
    b: *const F,
    rsb: isize,
    csb: isize,
    beta: F,
    c: &mut [F],
    par: Parallelism,
) {
    // Split the longer side of C, so each thread packs only its share of the larger operand.
    let by_rows = m > n;
    let long = if by_rows { m } else { n };
    let threads = match par {
        Parallelism::Pool(pool) => pool.current_num_threads().min(long / 64).max(1),
        Parallelism::Sequential => 1,
    };
    if threads <= 1 {
        // SAFETY: caller's contract.
        unsafe { F::gemm_raw(m, k, n, F::one(), a, rsa, csa, b, rsb, csb, beta, c.as_mut_ptr(), n as isize, 1) };
        return;
    }
    let Parallelism::Pool(pool) = par else { unreachable!("threads > 1 only with a pool") };
    // Blocks rounded to 16 so each thread's microkernel tiles stay full.
    let block = long.div_ceil(threads).div_ceil(16) * 16;
    let (pa, pb) = (SendPtr(a), SendPtr(b));
    let c_addr = c.as_mut_ptr() as usize;
    pool.scope(|s| {
        let (pa, pb) = (&pa, &pb);
        let mut start = 0;
        while start < long {
            let width = block.min(long - start);
            s.spawn(move |_| {
                let c = c_addr as *mut F;
                // SAFETY: disjoint row or column blocks of C; A and B outlive the scope.
                unsafe {
                    if by_rows {
                        let a_block = pa.0.offset(start as isize * rsa);
                        F::gemm_raw(
                            width,
                            k,
                            n,
                            F::one(),
                            a_block,
                            rsa,
                            csa,
                            pb.0,
                            rsb,
                            csb,
                            beta,
                            c.add(start * n),
                            n as isize,
                            1,
                        )
                    } else {
                        let b_block = pb.0.offset(start as isize * csb);
                        F::gemm_raw(
                            m,
                            k,
                            width,
                            F::one(),
                            pa.0,
                            rsa,
                            csa,
                            b_block,
                            rsb,
                            csb,
                            beta,
                            c.add(start),
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
                #[target_feature(enable = "avx2")]
                #[allow(clippy::too_many_arguments)]
                unsafe fn avx2<$($g: $bound),*>($($arg: $ty),*) $(-> $ret)? {
                    body($($arg),*)
                }
                if $crate::kernels::has_avx2() {
                    // SAFETY: the CPU reported AVX2.
                    return unsafe { avx2($($arg),*) };
                }
            }
            body($($arg),*)
        }
    };
}
pub(crate) use multiversion;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::Rng;

    fn naive(a: &[f64], b: &[f64], m: usize, k: usize, n: usize) -> Vec<f64> {
        let mut c = vec![0.0; m * n];
        for i in 0..m {
            for j in 0..n {
                for p in 0..k {
                    c[i * n + j] += a[i * k + p] * b[p * n + j];
                }
            }
        }
        c
    }

    fn transpose(a: &[f64], rows: usize, cols: usize) -> Vec<f64> {
        let mut t = vec![0.0; rows * cols];
        for i in 0..rows {
            for j in 0..cols {
                t[j * rows + i] = a[i * cols + j];
            }
        }
        t
    }

    fn random(len: usize, rng: &mut Rng) -> Vec<f64> {
        (0..len).map(|_| rng.uniform(-1.0, 1.0)).collect()
    }

    #[test]
    fn all_products_match_naive_for_small_and_large_shapes() {
        let pool = rayon::ThreadPoolBuilder::new().num_threads(2).build().unwrap();
        let mut rng = Rng::new(5);
        for &(m, k, n) in &[(3, 2, 5), (30, 2, 500), (30, 500, 1), (7, 1, 1), (64, 80, 200), (33, 129, 257)] {
            let a = random(m * k, &mut rng);
            let b = random(k * n, &mut rng);
            let want = naive(&a, &b, m, k, n);
            for par in [Parallelism::Sequential, Parallelism::Pool(&pool)] {
                let mut c = vec![0.0; m * n];
                matmul(Mat::new(&a, m, k), Mat::new(&b, k, n), 0.0, &mut c, par);
                let err = c.iter().zip(&want).map(|(x, y)| (x - y).abs()).fold(0.0, f64::max);
                assert!(err < 1e-12, "matmul {m}x{k}x{n}: {err}");

                let at = transpose(&a, m, k); // [k×m]
                let mut c2 = vec![0.0; m * n];
                matmul_tn(Mat::new(&at, k, m), Mat::new(&b, k, n), 0.0, &mut c2, par);
                let err = c2.iter().zip(&want).map(|(x, y)| (x - y).abs()).fold(0.0, f64::max);
                assert!(err < 1e-12, "matmul_tn {m}x{k}x{n}: {err}");

                let bt = transpose(&b, k, n); // [n×k]
                let mut c3 = vec![0.0; m * n];
                matmul_nt(Mat::new(&a, m, k), Mat::new(&bt, n, k), &mut c3, par);
                let err = c3.iter().zip(&want).map(|(x, y)| (x - y).abs()).fold(0.0, f64::max);
                assert!(err < 1e-12, "matmul_nt {m}x{k}x{n}: {err}");
            }
        }
    }

    #[test]
    fn beta_accumulates() {
        let a = [1.0, 2.0];
        let b = [3.0, 4.0];
        let mut c = [10.0];
        matmul(Mat::new(&a, 1, 2), Mat::new(&b, 2, 1), 1.0, &mut c, Parallelism::Sequential);
        assert_eq!(c, [21.0]);
    }

    #[test]
    fn threaded_gemm_is_bit_identical_to_sequential() {
        let pool = rayon::ThreadPoolBuilder::new().num_threads(2).build().unwrap();
        let mut rng = Rng::new(9);
        // Wide C (split by columns) and tall C (split by rows), with ragged blocks.
        for (m, k, n) in [(128, 300, 512), (700, 130, 200), (131, 77, 333)] {
            let a: Vec<f32> = (0..m * k).map(|_| rng.uniform(-1.0, 1.0) as f32).collect();
            let b: Vec<f32> = (0..k * n).map(|_| rng.uniform(-1.0, 1.0) as f32).collect();
            let mut c1 = vec![0.0f32; m * n];
            let mut c2 = vec![0.0f32; m * n];
            matmul(Mat::new(&a, m, k), Mat::new(&b, k, n), 0.0, &mut c1, Parallelism::Sequential);
            matmul(Mat::new(&a, m, k), Mat::new(&b, k, n), 0.0, &mut c2, Parallelism::Pool(&pool));
            assert_eq!(c1, c2, "{m}x{k}x{n}");
        }
    }
}
