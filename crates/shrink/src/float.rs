use std::fmt::{Debug, Display};
use std::iter::Sum;
use std::ops::{AddAssign, DivAssign, MulAssign, SubAssign};

/// The element type a network trains in: `f32` for speed, `f64` for gradient checks.
///
/// Everything numeric in shrink is generic over this trait so that the same code that trains
/// in `f32` is the code whose gradients are checked against finite differences in `f64`.
///
/// Sealed: only `f32` and `f64` implement it, and its raw matrix product (`gemm_raw`, an
/// `unsafe fn`) cannot be called outside this crate: it takes a token only this crate can make.
pub trait Float:
    sealed::Gemm
    + num_traits::Float
    + ndarray::LinalgScalar
    + ndarray::ScalarOperand
    + Send
    + Sync
    + Debug
    + Display
    + Default
    + Sum
    + AddAssign
    + SubAssign
    + MulAssign
    + DivAssign
    + serde::Serialize
    + 'static
{
    /// Converts from `f64`, rounding to the nearest representable value.
    fn of(value: f64) -> Self;
    /// Widens to `f64` (exact for both implementations).
    fn f64(self) -> f64;
}

impl Float for f32 {
    fn of(value: f64) -> Self {
        value as f32
    }
    fn f64(self) -> f64 {
        self as f64
    }
}

impl Float for f64 {
    fn of(value: f64) -> Self {
        value
    }
    fn f64(self) -> f64 {
        self
    }
}

impl sealed::Gemm for f32 {
    unsafe fn gemm_raw(
        _: sealed::Token,
        m: usize,
        k: usize,
        n: usize,
        alpha: f32,
        a: *const f32,
        rsa: isize,
        csa: isize,
        b: *const f32,
        rsb: isize,
        csb: isize,
        beta: f32,
        c: *mut f32,
        rsc: isize,
        csc: isize,
    ) {
        // SAFETY: the caller upholds the trait method's contract, which is `matrixmultiply`'s.
        unsafe { matrixmultiply::sgemm(m, k, n, alpha, a, rsa, csa, b, rsb, csb, beta, c, rsc, csc) }
    }
}

impl sealed::Gemm for f64 {
    unsafe fn gemm_raw(
        _: sealed::Token,
        m: usize,
        k: usize,
        n: usize,
        alpha: f64,
        a: *const f64,
        rsa: isize,
        csa: isize,
        b: *const f64,
        rsb: isize,
        csb: isize,
        beta: f64,
        c: *mut f64,
        rsc: isize,
        csc: isize,
    ) {
        // SAFETY: the caller upholds the trait method's contract, which is `matrixmultiply`'s.
        unsafe { matrixmultiply::dgemm(m, k, n, alpha, a, rsa, csa, b, rsb, csb, beta, c, rsc, csc) }
    }
}

/// The token [`sealed::Gemm::gemm_raw`] takes: what lets this crate, and only it, call it.
pub(crate) const GEMM: sealed::Token = sealed::TOKEN;

mod sealed {
    /// Made only here: a generic `F: Float` outside the crate can name `F::gemm_raw`, but cannot
    /// call it without one.
    #[derive(Clone, Copy)]
    pub struct Token(());

    pub const TOKEN: Token = Token(());

    /// The raw matrix product behind [`Float`](super::Float); the module is private, so only
    /// this crate implements or calls it.
    pub trait Gemm {
        /// Raw general matrix product `C ← alpha·A·B + beta·C` with arbitrary strides.
        ///
        /// # Safety
        /// This is `matrixmultiply`'s contract. For the whole call: every `a + i·rsa + p·csa`
        /// (`i < m`, `p < k`) and `b + p·rsb + j·csb` (`p < k`, `j < n`) must be readable and every
        /// `c + i·rsc + j·csc` (`i < m`, `j < n`) writable, each inside one allocation; no element
        /// of C may alias another element of C, of A or of B, and nothing else may access C.
        #[allow(clippy::too_many_arguments)]
        unsafe fn gemm_raw(
            token: Token,
            m: usize,
            k: usize,
            n: usize,
            alpha: Self,
            a: *const Self,
            rsa: isize,
            csa: isize,
            b: *const Self,
            rsb: isize,
            csb: isize,
            beta: Self,
            c: *mut Self,
            rsc: isize,
            csc: isize,
        );
    }
}
