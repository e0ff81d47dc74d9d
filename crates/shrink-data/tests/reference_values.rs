//! numpy's `RandomState(seed)` outputs, pinned (issue 10, item 11): `LegacyRandomState` must
//! reproduce them exactly, so any change to the generator or its sampling routines fails here.
//!
//! Computed with numpy 2.4 by `python3 scripts/reference_values.py` (section "numpy
//! RandomState"); the generating call is in the comment above each value.

use shrink_data::LegacyRandomState;

#[test]
fn raw_mt19937_outputs() {
    // np.random.RandomState(0)._bit_generator.random_raw(5)
    let mut rs = LegacyRandomState::new(0);
    let got: Vec<u32> = (0..5).map(|_| rs.next_u32()).collect();
    assert_eq!(got, [2357136044, 2546248239, 3071714933, 3626093760, 2588848963]);
    // np.random.RandomState(12345)._bit_generator.random_raw(5)
    let mut rs = LegacyRandomState::new(12345);
    let got: Vec<u32> = (0..5).map(|_| rs.next_u32()).collect();
    assert_eq!(got, [3992670690, 3823185381, 1358822685, 561383553, 789925284]);
}

#[test]
fn random_sample() {
    // np.random.RandomState(0).random_sample(5)
    let mut rs = LegacyRandomState::new(0);
    let got: Vec<f64> = (0..5).map(|_| rs.next_f64()).collect();
    assert_eq!(
        got,
        [0.5488135039273248, 0.7151893663724195, 0.6027633760716439, 0.5448831829968969, 0.4236547993389047]
    );
}

#[test]
fn gaussians_with_the_cached_second_value() {
    // np.random.RandomState(1).standard_normal(5)
    let mut rs = LegacyRandomState::new(1);
    let got: Vec<f64> = (0..5).map(|_| rs.gauss()).collect();
    let want = [1.6243453636632417, -0.6117564136500754, -0.5281717522634557, -1.0729686221561705, 0.8654076293246785];
    for (g, w) in got.iter().zip(want) {
        assert!((g - w).abs() <= 1e-15, "{got:?}");
    }
    // np.random.RandomState(2).normal(1.5, 2.0, size=3)
    let mut rs = LegacyRandomState::new(2);
    let got: Vec<f64> = (0..3).map(|_| rs.normal(1.5, 2.0)).collect();
    for (g, w) in got.iter().zip([0.6664843051890588, 1.387466345547341, -2.772392191336908]) {
        assert!((g - w).abs() <= 1e-15, "{got:?}");
    }
}

#[test]
fn bounded_integers() {
    // np.random.RandomState(3).randint(0, 1000, size=8): masked rejection on 32-bit draws
    let mut rs = LegacyRandomState::new(3);
    let got: Vec<u64> = (0..8).map(|_| rs.random_interval(999)).collect();
    assert_eq!(got, [874, 664, 249, 643, 952, 968, 256, 789]);
    // np.random.RandomState(4).randint(0, 2**40, size=3, dtype=np.int64): 64-bit draws
    let mut rs = LegacyRandomState::new(4);
    let got: Vec<u64> = (0..3).map(|_| rs.random_interval((1 << 40) - 1)).collect();
    assert_eq!(got, [527854149806, 786720735941, 557725645160]);
}

#[test]
fn permutation() {
    // np.random.RandomState(42).permutation(20)
    let mut rs = LegacyRandomState::new(42);
    assert_eq!(rs.permutation(20), [0, 17, 15, 1, 8, 5, 11, 3, 18, 16, 13, 2, 9, 19, 4, 12, 7, 10, 14, 6]);
}
