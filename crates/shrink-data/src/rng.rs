//! A bit-exact port of numpy's legacy `RandomState` (MT19937 plus its historical sampling
//! routines).
//!
//! shrink promises the same two-moons data and the same shuffles as scikit-learn for the
//! same seed, so that results can be compared against Python notebooks. That only works if
//! every draw — including rejection loops and the cached second Gaussian — matches numpy
//! exactly; hence the deliberately old-fashioned algorithms below instead of `rand`.

use rand_mt::Mt;

/// numpy's legacy `RandomState`, seeded with an integer.
#[derive(Clone)]
pub struct LegacyRandomState {
    mt: Mt,
    /// Second value of the last Marsaglia polar pair, handed out on the next `gauss` call.
    cached_gauss: Option<f64>,
}

impl std::fmt::Debug for LegacyRandomState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LegacyRandomState").field("cached_gauss", &self.cached_gauss).finish_non_exhaustive()
    }
}

impl LegacyRandomState {
    /// Same stream as `numpy.random.RandomState(seed)` (MT19937 `init_genrand`).
    pub fn new(seed: u32) -> Self {
        Self { mt: Mt::new(seed), cached_gauss: None }
    }

    /// One raw 32-bit MT19937 output.
    pub fn next_u32(&mut self) -> u32 {
        self.mt.next_u32()
    }

    /// Two outputs glued high word first, as numpy's `mt19937_next64` does.
    pub fn next_u64(&mut self) -> u64 {
        let hi = u64::from(self.next_u32());
        let lo = u64::from(self.next_u32());
        (hi << 32) | lo
    }

    /// Uniform in `[0, 1)` with 53 random bits (numpy's `random_sample`).
    pub fn next_f64(&mut self) -> f64 {
        let a = f64::from(self.next_u32() >> 5);
        let b = f64::from(self.next_u32() >> 6);
        (a * 67_108_864.0 + b) / 9_007_199_254_740_992.0
    }

    /// Uniform integer in `[0, max]` by masked rejection, numpy's `random_interval`.
    ///
    /// Rejection (rather than modulo) matters: it decides how many raw draws are consumed,
    /// and therefore every later number in the stream.
    pub fn random_interval(&mut self, max: u64) -> u64 {
        if max == 0 {
            return 0;
        }
        let mut mask = max;
        mask |= mask >> 1;
        mask |= mask >> 2;
        mask |= mask >> 4;
        mask |= mask >> 8;
        mask |= mask >> 16;
        mask |= mask >> 32;
        if max <= 0xffff_ffff {
            loop {
                let v = u64::from(self.next_u32()) & mask;
                if v <= max {
                    return v;
                }
            }
        } else {
            loop {
                let v = self.next_u64() & mask;
                if v <= max {
                    return v;
                }
            }
        }
    }

    /// In-place Fisher–Yates shuffle in numpy's order (from the back, `j` in `[0, i]`).
    pub fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            // usize -> u64 is lossless on every supported target, and j <= i < len.
            let j = self.random_interval(i as u64) as usize;
            items.swap(i, j);
        }
    }

    /// `numpy.random.RandomState.permutation(n)`: `0..n` shuffled.
    pub fn permutation(&mut self, n: usize) -> Vec<usize> {
        let mut idx: Vec<usize> = (0..n).collect();
        self.shuffle(&mut idx);
        idx
    }

    /// Standard normal draw by the Marsaglia polar method, caching the second value
    /// exactly as numpy's `legacy_gauss` does.
    pub fn gauss(&mut self) -> f64 {
        if let Some(g) = self.cached_gauss.take() {
            return g;
        }
        loop {
            let x1 = 2.0 * self.next_f64() - 1.0;
            let x2 = 2.0 * self.next_f64() - 1.0;
            let r2 = x1 * x1 + x2 * x2;
            if r2 < 1.0 && r2 != 0.0 {
                let f = (-2.0 * r2.ln() / r2).sqrt();
                self.cached_gauss = Some(f * x1);
                return f * x2;
            }
        }
    }

    /// `loc + scale * gauss()`, numpy's legacy `normal`.
    pub fn normal(&mut self, loc: f64, scale: f64) -> f64 {
        loc + scale * self.gauss()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mt19937_reference_stream() {
        // The 10000th output of MT19937 seeded with 5489 is 4123659995 (C++ std::mt19937).
        let mut rs = LegacyRandomState::new(5489);
        let mut v = 0;
        for _ in 0..10_000 {
            v = rs.next_u32();
        }
        assert_eq!(v, 4_123_659_995);
    }

    #[test]
    fn doubles_in_unit_interval() {
        let mut rs = LegacyRandomState::new(0);
        for _ in 0..1000 {
            let u = rs.next_f64();
            assert!((0.0..1.0).contains(&u));
        }
    }

    #[test]
    fn numpy_random_sample_seed_0() {
        // np.random.RandomState(0).random_sample() == 0.5488135039273248
        let mut rs = LegacyRandomState::new(0);
        assert_eq!(rs.next_f64(), 0.548_813_503_927_324_8);
    }

    #[test]
    fn numpy_standard_normal_seed_0() {
        // np.random.RandomState(0).standard_normal(2) == [1.764052345967664, 0.4001572083672233]
        let mut rs = LegacyRandomState::new(0);
        assert!((rs.gauss() - 1.764_052_345_967_664).abs() < 1e-15);
        assert!((rs.gauss() - 0.400_157_208_367_223_3).abs() < 1e-15);
    }

    #[test]
    fn numpy_permutation_seed_0() {
        // np.random.RandomState(0).permutation(10)
        let mut rs = LegacyRandomState::new(0);
        assert_eq!(rs.permutation(10), vec![2, 8, 4, 9, 1, 6, 7, 3, 0, 5]);
    }

    #[test]
    fn random_interval_bounds() {
        let mut rs = LegacyRandomState::new(7);
        assert_eq!(rs.random_interval(0), 0);
        for max in [1u64, 2, 3, 5, 100, 0xffff_ffff, 0x1_0000_0000, u64::MAX] {
            for _ in 0..50 {
                assert!(rs.random_interval(max) <= max);
            }
        }
    }

    #[test]
    fn shuffle_is_a_permutation() {
        let mut rs = LegacyRandomState::new(3);
        let mut p = rs.permutation(50);
        p.sort_unstable();
        assert_eq!(p, (0..50).collect::<Vec<_>>());
        let mut empty: [u8; 0] = [];
        rs.shuffle(&mut empty);
    }

    #[test]
    fn gauss_caches_second_value() {
        let mut a = LegacyRandomState::new(11);
        let first = a.gauss();
        let second = a.gauss();
        // Recompute the pair by hand from a fresh stream.
        let mut b = LegacyRandomState::new(11);
        let (x1, x2, r2) = loop {
            let x1 = 2.0 * b.next_f64() - 1.0;
            let x2 = 2.0 * b.next_f64() - 1.0;
            let r2 = x1 * x1 + x2 * x2;
            if r2 < 1.0 && r2 != 0.0 {
                break (x1, x2, r2);
            }
        };
        let f = (-2.0 * r2.ln() / r2).sqrt();
        assert_eq!(first, f * x2);
        assert_eq!(second, f * x1);
        // The cached value consumed no raw draws: both streams are now in step.
        assert_eq!(a.next_u32(), b.next_u32());
    }

    #[test]
    fn normal_scales_and_shifts() {
        let mut a = LegacyRandomState::new(5);
        let mut b = LegacyRandomState::new(5);
        assert_eq!(a.normal(3.0, 2.0), 3.0 + 2.0 * b.gauss());
        assert_eq!(a.normal(0.0, 0.0), 0.0);
    }
}
