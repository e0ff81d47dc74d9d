//! Tests of the products: against naive loops, bit-identical at any thread count, checked views.

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
#[should_panic(expected = "a 3×4 matrix view needs 12 elements, the slice has 11")]
fn mat_longer_than_its_slice_is_rejected() {
    Mat::new(&[0.0f32; 11], 3, 4);
}

#[test]
#[should_panic(expected = "matrix has more elements than usize can count")]
fn mat_whose_size_overflows_is_rejected() {
    // Wrapping, the product would be 0 and the length check would pass.
    Mat::new(&[0.0f32; 4], usize::MAX / 2 + 1, 2);
}

#[test]
fn mat_views_the_leading_elements() {
    let m = Mat::new(&[1.0, 2.0, 3.0, 4.0, 5.0], 2, 2);
    assert_eq!((m.data, m.rows, m.cols), (&[1.0, 2.0, 3.0, 4.0][..], 2, 2));
    assert_eq!(m.row(1), [3.0, 4.0]);
    assert!(Mat::new(&[0.0f32; 0], 0, usize::MAX).data.is_empty());
}

#[test]
fn strides_reaching_outside_the_slice_are_rejected() {
    let a = [0.0f32; 12];
    assert!(fits((&a, 4, 1), 3, 4));
    assert!(fits((&a, 1, 3), 3, 4)); // the transpose of a 4×3 view
    assert!(!fits((&a, 4, 1), 3, 5));
    assert!(!fits((&a, 5, 1), 3, 4));
    assert!(!fits((&a, usize::MAX, 1), 2, 1));
    assert!(fits((&a[..0], 7, 7), 0, 3));
    let c = std::panic::catch_unwind(|| {
        let mut c = [0.0f32; 4];
        gemm_split(2, 3, 2, (&a[..5], 3, 1), (&a, 2, 1), 0.0, &mut c, Parallelism::Sequential);
    });
    assert!(c.is_err(), "a 2×3 operand over 5 elements must be refused");
    let c = std::panic::catch_unwind(|| {
        let mut c = [0.0f32; 3];
        gemm_split(2, 3, 2, (&a, 3, 1), (&a, 2, 1), 0.0, &mut c, Parallelism::Sequential);
    });
    assert!(c.is_err(), "a 2×2 output over 3 elements must be refused");
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
