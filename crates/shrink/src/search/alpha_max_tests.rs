//! `alpha_max` against formulas written out here (not the module's code path), and the KKT
//! property that makes it the start of a path: a full-batch proximal step from zero at
//! `alpha_max` keeps every penalized weight at zero, a slightly weaker one does not.

use super::*;
use crate::loss::Loss;
use crate::metrics::Metric;
use crate::nn::{Activation, Dense, Initializer, Model};
use crate::optim::OptimizerConfig;
use crate::penalty::Family;
use crate::train::{FitConfig, Trainer};
use crate::Penalty;
use ndarray::Array2;

/// 40 rows of 4 inputs and a target from a fixed recurrence (no RNG dependency).
fn table(outputs: usize) -> (Array2<f32>, Array2<f32>) {
    let mut s = 12345u64;
    let mut next = || {
        s = s.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        ((s >> 33) as f64 / (1u64 << 31) as f64) * 2.0 - 1.0
    };
    let x = Array2::from_shape_fn((40, 4), |_| next() as f32);
    let y = Array2::from_shape_fn((40, outputs), |(r, k)| {
        (x[[r, 0]] * (1.5 + k as f32) - 0.7 * x[[r, 2]] + 0.1 * next() as f32) + 0.3
    });
    (x, y)
}

/// `mean_n x_nj · y_nk` in f64.
fn xty(x: &Array2<f32>, y: &Array2<f32>, j: usize, k: usize) -> f64 {
    (0..x.nrows()).map(|r| f64::from(x[[r, j]]) * f64::from(y[[r, k]])).sum::<f64>() / x.nrows() as f64
}

fn linear(inputs: usize, units: usize) -> Model<f32> {
    Model::<f32>::builder(&[inputs]).layer(Dense::new(units)).build(0).unwrap()
}

fn at(model: &Model<f32>, family: &str, x: &Array2<f32>, y: &Array2<f32>) -> AlphaMax {
    let family: Family = family.parse().unwrap();
    alpha_max(model, "dense_0.kernel", &family, Loss::MeanSquaredError, x.view(), y.view()).unwrap().unwrap()
}

#[test]
fn l1_is_the_largest_gradient_and_elastic_net_divides_by_the_mix() {
    let (x, y) = table(1);
    let m = linear(4, 1);
    // MSE at w = 0, bias 0: ∂L/∂w_j = −2·mean(x_j·y), so alpha_max = 2·max_j |mean(x_j·y)|.
    let expect = (0..4).map(|j| 2.0 * xty(&x, &y, j, 0).abs()).fold(0.0, f64::max);
    let a = at(&m, "l1", &x, &y);
    assert!((a.alpha_max - expect).abs() < 1e-12 * expect, "{} vs {expect}", a.alpha_max);
    assert_eq!(a.param, "dense_0.kernel");
    assert!(a.linearized.is_empty());
    assert!((at(&m, "l1l2", &x, &y).alpha_max - expect).abs() < 1e-12 * expect);
    let en = at(&m, "elastic-net:0.25@proximal", &x, &y).alpha_max;
    assert!((en - expect / 0.25).abs() < 1e-12 * expect, "{en}");
    // No L1 or group part: no alpha_max.
    let l2: Family = "l2".parse().unwrap();
    assert!(alpha_max(&m, "dense_0.kernel", &l2, Loss::MeanSquaredError, x.view(), y.view()).unwrap().is_none());
}

#[test]
fn group_rows_and_columns_take_the_largest_group_norm() {
    let (x, y) = table(2);
    let m = linear(4, 2);
    // Two outputs: MSE averages over 2·n values, ∂L/∂w_jk = −(2/2)·mean_n(x_nj·y_nk).
    let g = |j: usize, k: usize| -xty(&x, &y, j, k);
    let rows = (0..4).map(|j| (g(j, 0).powi(2) + g(j, 1).powi(2)).sqrt()).fold(0.0, f64::max);
    let cols = (0..2).map(|k| (0..4).map(|j| g(j, k).powi(2)).sum::<f64>().sqrt()).fold(0.0, f64::max);
    let a = at(&m, "group-rows@proximal", &x, &y).alpha_max;
    assert!((a - rows).abs() < 1e-12 * rows, "{a} vs {rows}");
    let a = at(&m, "group-columns", &x, &y).alpha_max;
    assert!((a - cols).abs() < 1e-12 * cols, "{a} vs {cols}");
}

#[test]
fn row_factors_scale_each_row_and_a_zero_factor_drops_it() {
    let (x, y) = table(1);
    let grads: Vec<f64> = (0..4).map(|j| 2.0 * xty(&x, &y, j, 0).abs()).collect();
    let factors = vec![0.0, 2.0, 1.0, 1.0];
    let m = Model::<f32>::builder(&[4])
        .layer(Dense::new(1).kernel_penalty(Penalty::l1(1.0).unwrap()).kernel_row_factors(factors.clone()))
        .build(0)
        .unwrap();
    let expect = (1..4).map(|j| grads[j] / factors[j]).fold(0.0, f64::max);
    let a = at(&m, "l1", &x, &y).alpha_max;
    assert!((a - expect).abs() < 1e-12 * expect, "{a} vs {expect}");
    assert!(grads[0] > expect, "the unpenalized row would otherwise set it: {grads:?}");
}

#[test]
fn relu_uses_the_right_derivative_at_zero() {
    let (x, y) = table(1);
    let m = Model::<f32>::builder(&[4])
        .layer(Dense::new(3).activation(Activation::Relu))
        .layer(Dense::new(1))
        .build(0)
        .unwrap();
    let a = at(&m, "l1", &x, &y);
    assert_eq!(a.linearized, ["dense_0"]);
    // Kernel 0, bias 0: hidden outputs 0, prediction b₂ = 0; with relu'(0⁺) = 1 the gradient
    // is ∂L/∂W₁[j,u] = −2·mean(x_j·y)·W₂[u]: alpha_max = 2·max_j|mean(x_j·y)|·max_u|W₂[u]|.
    let w2 = m.layers()[1].params()[0].value.iter().map(|v| f64::from(v.abs())).fold(0.0, f64::max);
    let expect = (0..4).map(|j| 2.0 * xty(&x, &y, j, 0).abs()).fold(0.0, f64::max) * w2;
    assert!(a.alpha_max > 0.0);
    assert!((a.alpha_max - expect).abs() < 1e-6 * expect, "{} vs {expect}", a.alpha_max);
    // Both kernels zeroed: the second's input is 0 and the first's path runs through a zero
    // kernel: no strength is needed, which is an error that says what to do instead.
    let family: Family = "l1".parse().unwrap();
    let e = alpha_max(&m, "*.kernel", &family, Loss::MeanSquaredError, x.view(), y.view()).unwrap_err();
    assert!(e.to_string().contains("--alphas HI:LO"), "{e}");
}

/// One epoch of full-batch proximal SGD from a zero kernel; the kernel after it.
fn one_step(alpha: f64, relu: bool) -> Vec<f32> {
    let (x, y) = table(1);
    let first = Dense::new(3)
        .activation(if relu { Activation::Relu } else { Activation::Linear })
        .kernel_initializer(Initializer::Zeros)
        .kernel_penalty(
            Penalty::group_lasso(alpha, crate::prox::Groups::Rows)
                .unwrap()
                .with_mode(crate::PenaltyMode::Proximal)
                .unwrap(),
        );
    let mut m = Model::<f32>::builder(&[4]).layer(first).layer(Dense::new(1)).build(0).unwrap();
    let sgd = OptimizerConfig::Sgd { lr: 0.1, momentum: 0.0, nesterov: false };
    let mut t = Trainer::new(Loss::MeanSquaredError, &sgd, &[Metric::Mse]).unwrap();
    let config = FitConfig { epochs: 1, batch_size: 40, seed: 0, ..FitConfig::default() };
    t.fit(&mut m, x.view(), y.view(), None, &config, None).unwrap();
    m.layers()[0].params()[0].value.clone()
}

#[test]
fn a_full_batch_proximal_step_from_zero_stays_at_zero_exactly_at_alpha_max() {
    let (x, y) = table(1);
    let m = Model::<f32>::builder(&[4])
        .layer(Dense::new(3).kernel_initializer(Initializer::Zeros))
        .layer(Dense::new(1))
        .build(0)
        .unwrap();
    let top = at(&m, "group-rows@proximal", &x, &y).alpha_max;
    // The path's first point (alpha_max·(1 + TOP_MARGIN), see auto_path) covers the f32
    // rounding of the trainer's gradient.
    let first = crate::search::auto_path::auto_grid(Some(top), 5, 1e-3)[0];
    assert!(one_step(first, false).iter().all(|&w| w == 0.0));
    assert!(one_step(0.99 * top, false).iter().any(|&w| w != 0.0), "just below alpha_max a row must leave zero");
    // With relu the right-derivative convention gives the same alpha_max as the linear layer;
    // Keras' relu'(0) = 0 gives the zero kernel no gradient at all, so it stays at zero at any
    // strength (what the trainer does), and alpha_max is an upper bound of what it needs.
    let relu = Model::<f32>::builder(&[4])
        .layer(Dense::new(3).activation(Activation::Relu).kernel_initializer(Initializer::Zeros))
        .layer(Dense::new(1))
        .build(0)
        .unwrap();
    assert_eq!(at(&relu, "group-rows@proximal", &x, &y).alpha_max, top);
    assert!(one_step(0.5 * top, true).iter().all(|&w| w == 0.0));
}
