//! Exact sparsity: proximal L1 reaches the Lasso solution and makes exact zeros that stay zero;
//! proximal group lasso selects the informative inputs; gradient mode makes no exact zeros.

use ndarray::{Array1, Array2, Axis};
use shrink::loss::Loss;
use shrink::nn::{Activation, Dense, Model};
use shrink::optim::OptimizerConfig;
use shrink::prox::Groups;
use shrink::rng::Rng;
use shrink::train::{FitConfig, Trainer};
use shrink::{Penalty, PenaltyMode};

/// `n × p` standardized inputs (column mean 0, variance 1 with the 1/n convention) with some
/// correlation between neighbouring columns, and a centered target from `beta` plus noise.
fn regression(n: usize, p: usize, beta: &[f64], noise: f64, corr: f64, seed: u64) -> (Array2<f64>, Array2<f64>) {
    let mut rng = Rng::new(seed);
    let mut x = Array2::from_shape_fn((n, p), |_| rng.normal());
    for r in 0..n {
        for c in 1..p {
            x[[r, c]] += corr * x[[r, c - 1]];
        }
    }
    for mut col in x.columns_mut() {
        let mean = col.mean().unwrap_or(0.0);
        col -= mean;
        let sd = (col.mapv(|v| v * v).sum() / n as f64).sqrt();
        col /= sd;
    }
    let mut y: Array1<f64> = Array1::from_shape_fn(n, |r| {
        beta.iter().enumerate().map(|(j, b)| b * x[[r, j]]).sum::<f64>() + noise * rng.normal()
    });
    let mean = y.mean().unwrap_or(0.0);
    y -= mean;
    (x, y.insert_axis(Axis(1)))
}

fn linear_model(p: usize, penalty: Penalty) -> Model<f64> {
    Model::<f64>::builder(&[p]).layer(Dense::new(1).kernel_penalty(penalty)).build(3).unwrap()
}

fn full_batch_sgd(model: &mut Model<f64>, x: &Array2<f64>, y: &Array2<f64>, lr: f64, epochs: usize) {
    let optimizer = OptimizerConfig::Sgd { lr, momentum: 0.0, nesterov: false };
    let mut trainer = Trainer::new(Loss::MeanSquaredError, &optimizer, &[]).unwrap();
    let config = FitConfig { epochs, batch_size: x.nrows(), shuffle: false, ..FitConfig::default() };
    trainer.fit(model, x.view(), y.view(), None, &config, None).unwrap();
}

fn kernel(model: &Model<f64>) -> Vec<f64> {
    model.params().next().map(|(_, p)| p.value.clone()).unwrap_or_default()
}

/// The Lasso `min_w 1/(2n)·‖y − Xw‖² + α·Σ|w|` by cyclic coordinate descent (X standardized,
/// y centered, so no intercept is needed); coordinate `j` is penalized with `α·factors[j]`.
fn lasso_cd(x: &Array2<f64>, y: &Array2<f64>, alpha: f64, factors: &[f64]) -> Vec<f64> {
    let (n, p) = x.dim();
    let mut w = vec![0.0; p];
    let mut r: Vec<f64> = y.column(0).to_vec();
    for _ in 0..10_000 {
        let mut change = 0.0f64;
        for (j, wj) in w.iter_mut().enumerate() {
            let col = x.column(j);
            let norm = col.iter().map(|v| v * v).sum::<f64>() / n as f64;
            let rho = col.iter().zip(&r).map(|(a, b)| a * b).sum::<f64>() / n as f64 + norm * *wj;
            let new = rho.signum() * (rho.abs() - alpha * factors[j]).max(0.0) / norm;
            let delta = new - *wj;
            if delta != 0.0 {
                col.iter().zip(r.iter_mut()).for_each(|(a, ri)| *ri -= a * delta);
                *wj = new;
            }
            change = change.max(delta.abs());
        }
        if change < 1e-14 {
            break;
        }
    }
    w
}

/// scikit-learn's `ElasticNet(alpha = a, l1_ratio = r)` minimises `1/(2n)·RSS + a·r·Σ|w| +
/// a·(1−r)/2·Σw²`; shrink's MSE is `RSS/n`, twice sklearn's data term, so the same solution is
/// `Penalty::elastic_net(2a, r)` (the conversion table's row). Reference coefficients from
/// scikit-learn 1.9.1 on this data (`X`, `Y` rounded to 4 decimals from
/// `RandomState(0).normal(size=(24, 4))`, column 1 += 0.4·column 0, `y = X·[1.5, −0.8, 0, 0.3]
/// + 0.5·normal`):
/// `ElasticNet(alpha=0.1, l1_ratio=0.5, fit_intercept=False, tol=1e-15, max_iter=10_000_000).fit(X, y).coef_`
/// and the same with `alpha=0.3, l1_ratio=0.7`.
#[test]
fn elastic_net_conversion_reaches_scikit_learns_solution() {
    #[rustfmt::skip]
    const X: [[f64; 4]; 24] = [[1.7641, 1.1058, 0.9787, 2.2409], [1.8676, -0.2303, 0.9501, -0.1514], [-0.1032, 0.3693, 0.144, 1.4543], [0.761, 0.4261, 0.4439, 0.3337], [1.4941, 0.3925, 0.3131, -0.8541], [-2.553, -0.3676, 0.8644, -0.7422], [2.2698, -0.5465, 0.0458, -0.1872], [1.5328, 2.0825, 0.1549, 0.3782], [-0.8878, -2.3359, -0.3479, 0.1563], [1.2303, 1.6945, -0.3873, -0.3023], [-1.0486, -1.8394, -1.7063, 1.9508], [-0.5097, -0.6419, -1.2528, 0.7775], [-1.6139, -0.8583, -0.8955, 0.3869], [-0.5108, -1.385, -0.0282, 0.4283], [0.0665, 0.3291, -0.6343, -0.3627], [-0.6725, -0.6285, -0.8131, -1.7263], [0.1774, -0.3308, -1.6302, 0.4628], [-0.9073, -0.311, 0.7291, 0.129], [1.1394, -0.7791, 0.4023, -0.6848], [-0.8708, -0.9272, -0.3116, 0.0562], [-1.1651, 0.4348, 0.4657, -1.5362], [1.4883, 2.4912, 1.1788, -0.1799], [-1.0708, 0.6262, -0.4032, 1.2224], [0.2083, 1.0599, 0.3564, 0.7066]];
    #[rustfmt::skip]
    const Y: [f64; 24] = [2.439, 3.8331, 0.0495, 1.1018, 2.6125, -4.432, 3.1504, 1.2313, -0.0026, 1.371, 0.2771, -0.3914, -0.6567, 1.2105, 0.6615, -0.5707, 0.239, -0.1184, 1.9929, -0.1464, -2.0828, 0.1079, -1.4333, 0.1375];
    let x = Array2::from_shape_fn((24, 4), |(r, c)| X[r][c]);
    let y = Array2::from_shape_fn((24, 1), |(r, _)| Y[r]);
    let cases = [
        (0.1, 0.5, [1.3619659550344372, -0.5403065045997052, 0.0, 0.17979641744284214]),
        (0.3, 0.7, [1.1352014264509638, -0.2955529949761091, 0.0, 0.02759232261163243]),
    ];
    for (alpha, ratio, sklearn) in cases {
        let fit = |scale: f64| {
            let penalty = Penalty::elastic_net(scale * alpha, ratio).unwrap().with_mode(PenaltyMode::Proximal).unwrap();
            let mut model = Model::<f64>::builder(&[4])
                .layer(Dense::new(1).use_bias(false).kernel_penalty(penalty))
                .build(3)
                .unwrap();
            full_batch_sgd(&mut model, &x, &y, 0.05, 20_000);
            kernel(&model)
        };
        let w = fit(2.0);
        for (j, (a, b)) in w.iter().zip(&sklearn).enumerate() {
            assert_eq!(*a == 0.0, *b == 0.0, "zero pattern differs at {j}: {w:?} vs {sklearn:?}");
            assert!((a - b).abs() < 1e-7, "alpha {alpha}, coefficient {j}: {a} vs {b}");
        }
        // Without the factor 2 (the table's old row) the coefficients are visibly off.
        let off = fit(1.0).iter().zip(&sklearn).map(|(a, b)| (a - b).abs()).fold(0.0, f64::max);
        assert!(off > 0.02, "alpha {alpha}: elastic_net(a, r) is {off} from sklearn");
    }
}

#[test]
fn proximal_sgd_reaches_the_lasso_solution_of_coordinate_descent() {
    let beta = [1.5, -1.0, 0.0, 0.0, 0.5, 0.0, 0.05, 0.0];
    let (x, y) = regression(120, beta.len(), &beta, 0.5, 0.3, 11);
    // Objective mapping: shrink minimises mean((y − Xw − b)²) + l1·Σ|w| = (1/n)·RSS + l1·Σ|w|;
    // with X standardized and y centered the best b is 0. Halving gives 1/(2n)·RSS +
    // (l1/2)·Σ|w|, scikit-learn's Lasso objective with α = l1/2: same minimiser.
    let l1 = 0.2;
    let reference = lasso_cd(&x, &y, l1 / 2.0, &[1.0; 8]);
    let mut model = linear_model(beta.len(), Penalty::l1(l1).unwrap().with_mode(PenaltyMode::Proximal).unwrap());
    // Proximal gradient descent (ISTA) with lr below 1/L (L = 2·λmax(XᵀX/n) < 2·(1 + 2·0.3)·…
    // ≈ 4 here): the problem is strongly convex (n > p, X of full rank), so ISTA converges
    // linearly, by a factor ≤ 1 − lr·2·λmin per epoch; 3000 epochs at lr 0.05 take that far below
    // 1e-9, so the only error left is rounding: a tolerance of 1e-7 is loose.
    full_batch_sgd(&mut model, &x, &y, 0.05, 3000);
    let w = kernel(&model);
    for (j, (a, b)) in w.iter().zip(&reference).enumerate() {
        assert_eq!(*a == 0.0, *b == 0.0, "zero pattern differs at {j}: {w:?} vs {reference:?}");
        assert!((a - b).abs() < 1e-7, "coefficient {j}: {a} vs {b}");
    }
    assert!(reference.iter().filter(|v| **v == 0.0).count() >= 3, "{reference:?}");
}

/// glmnet's penalty.factor: factor 0 frees input 3 (a noise input) from the penalty, factor 2
/// doubles it on input 4; the result is the weighted Lasso of coordinate descent.
#[test]
fn row_factors_give_the_weighted_lasso() {
    let beta = [1.5, -1.0, 0.0, 0.0, 0.5, 0.0, 0.05, 0.0];
    let (x, y) = regression(120, beta.len(), &beta, 0.5, 0.3, 11);
    let factors = vec![1.0, 1.0, 1.0, 0.0, 2.0, 1.0, 1.0, 1.0];
    let reference = lasso_cd(&x, &y, 0.1, &factors);
    let penalty = Penalty::l1(0.2).unwrap().with_mode(PenaltyMode::Proximal).unwrap();
    let mut model = Model::<f64>::builder(&[8])
        .layer(Dense::new(1).kernel_penalty(penalty.clone()).kernel_row_factors(factors))
        .build(3)
        .unwrap();
    full_batch_sgd(&mut model, &x, &y, 0.05, 3000);
    let w = kernel(&model);
    assert!(w[3] != 0.0, "{w:?}");
    for (j, (a, b)) in w.iter().zip(&reference).enumerate() {
        assert_eq!(*a == 0.0, *b == 0.0, "zero pattern differs at {j}: {w:?} vs {reference:?}");
        assert!((a - b).abs() < 1e-7, "coefficient {j}: {a} vs {b}");
    }
    for bad in [vec![1.0; 7], vec![1.0, -1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0], vec![f64::NAN; 8]] {
        let built = Model::<f64>::builder(&[8])
            .layer(Dense::new(1).kernel_penalty(penalty.clone()).kernel_row_factors(bad))
            .build(0);
        assert!(built.is_err());
    }
}

#[test]
fn proximal_l1_zeros_stay_zero_while_gradient_mode_makes_none() {
    let beta = [1.0, -0.8, 0.6, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0];
    let (x, y) = regression(200, beta.len(), &beta, 0.3, 0.3, 5);
    let prox = Penalty::l1(0.1).unwrap().with_mode(PenaltyMode::Proximal).unwrap();
    let mut model = linear_model(beta.len(), prox);
    full_batch_sgd(&mut model, &x, &y, 0.05, 300);
    let first = kernel(&model);
    let zeros: Vec<usize> = (0..first.len()).filter(|&j| first[j] == 0.0).collect();
    assert!(zeros.len() >= 5, "{first:?}");
    assert!(zeros.iter().all(|&j| j >= 3), "{first:?}");
    full_batch_sgd(&mut model, &x, &y, 0.05, 200);
    let later = kernel(&model);
    assert!(zeros.iter().all(|&j| later[j] == 0.0), "a zero came back: {later:?}");

    let mut model = linear_model(beta.len(), Penalty::l1(0.1).unwrap());
    full_batch_sgd(&mut model, &x, &y, 0.05, 500);
    let w = kernel(&model);
    assert!(w.iter().all(|v| *v != 0.0), "{w:?}");
    assert!(w[3..].iter().all(|v| v.abs() < 0.05), "{w:?}"); // small, but not zero
}

/// 5 informative and 45 noise inputs, a hidden layer: input-row group lasso (proximal) keeps
/// exactly the informative inputs; gradient-mode L1 at the same alpha zeros nothing.
#[test]
fn proximal_group_lasso_selects_the_informative_inputs() {
    let mut beta = vec![0.0; 50];
    beta[..5].copy_from_slice(&[1.0, -1.0, 0.8, -0.6, 0.5]);
    let (x, y) = regression(600, 50, &beta, 0.2, 0.0, 17);
    let run = |penalty: Penalty| {
        let mut model = Model::<f64>::builder(&[50])
            .layer(Dense::new(6).activation(Activation::Tanh).kernel_penalty(penalty))
            .layer(Dense::new(1))
            .build(5)
            .unwrap();
        full_batch_sgd(&mut model, &x, &y, 0.1, 300);
        kernel(&model)
    };
    // Large enough that a noise row's data gradient (≈ 2·‖v‖·σ_residual/√n) stays below it,
    // small enough that the informative rows survive; 0.05 keeps some noise rows, 0.1–0.3 none.
    let alpha = 0.1;
    let group = Penalty::group_lasso(alpha, Groups::Rows).unwrap().with_mode(PenaltyMode::Proximal).unwrap();
    let w = run(group);
    let row_zero = |w: &[f64], r: usize| w[r * 6..(r + 1) * 6].iter().all(|v| *v == 0.0);
    let kept: Vec<usize> = (0..50).filter(|&r| !row_zero(&w, r)).collect();
    assert_eq!(kept, vec![0, 1, 2, 3, 4]);

    let w = run(Penalty::l1(alpha).unwrap());
    assert!(w.iter().all(|v| *v != 0.0));
}

/// Constraints hold after every step of a fit (Keras `NonNeg`, `MaxNorm`).
#[test]
fn constraints_hold_after_training() {
    use shrink::Constraint;
    let beta = [1.5, -1.0, 0.5, 0.0];
    let (x, y) = regression(100, 4, &beta, 0.3, 0.0, 2);
    let mut model = Model::<f64>::builder(&[4])
        .layer(
            Dense::new(3)
                .activation(Activation::Tanh)
                .kernel_constraint(Constraint::MaxNorm { max_value: 0.5, axis: 0 }),
        )
        .layer(Dense::new(1).kernel_constraint(Constraint::NonNeg))
        .build(1)
        .unwrap();
    full_batch_sgd(&mut model, &x, &y, 0.1, 50);
    let params: Vec<_> = model.params().map(|(_, p)| p.value.clone()).collect();
    let first = &params[0];
    for unit in 0..3 {
        let norm = (0..4).map(|r| first[r * 3 + unit].powi(2)).sum::<f64>().sqrt();
        assert!(norm <= 0.5 + 1e-12, "unit {unit}: {norm}");
    }
    assert!(params[2].iter().all(|w| *w >= 0.0), "{:?}", params[2]);
}

/// Decoupled L2 under Adam is AdamW with `weight_decay = 2·l2`, step for step.
#[test]
fn decoupled_l2_under_adam_is_adamw() {
    let (x, y) = regression(64, 4, &[1.0, -0.5, 0.0, 0.2], 0.1, 0.0, 9);
    let fit = |penalty: Option<Penalty>, optimizer: OptimizerConfig| {
        let mut dense = Dense::new(1).use_bias(false);
        if let Some(p) = penalty {
            dense = dense.kernel_penalty(p);
        }
        let mut model = Model::<f64>::builder(&[4]).layer(dense).build(3).unwrap();
        let mut trainer = Trainer::new(Loss::MeanSquaredError, &optimizer, &[]).unwrap();
        let config = FitConfig { epochs: 20, batch_size: 16, ..FitConfig::default() };
        trainer.fit(&mut model, x.view(), y.view(), None, &config, None).unwrap();
        kernel(&model)
    };
    let l2 = 0.05;
    let decoupled = Penalty::l2(l2).unwrap().with_mode(PenaltyMode::Decoupled).unwrap();
    let ours = fit(Some(decoupled), OptimizerConfig::Adam { lr: 0.01, beta1: 0.9, beta2: 0.999, epsilon: 1e-7 });
    let adamw = OptimizerConfig::AdamW { lr: 0.01, beta1: 0.9, beta2: 0.999, epsilon: 1e-7, weight_decay: 2.0 * l2 };
    let theirs = fit(None, adamw);
    assert!(ours.iter().zip(&theirs).all(|(a, b)| (a - b).abs() < 1e-12), "{ours:?} vs {theirs:?}");
}

/// Proximal L1 under Adam (per-coordinate steps) also makes exact zeros on noise inputs.
#[test]
fn proximal_l1_under_adam_makes_exact_zeros() {
    let beta = [1.0, -0.8, 0.6, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0];
    let (x, y) = regression(200, beta.len(), &beta, 0.3, 0.0, 5);
    let mut model = linear_model(beta.len(), Penalty::l1(0.1).unwrap().with_mode(PenaltyMode::Proximal).unwrap());
    let optimizer = OptimizerConfig::Adam { lr: 0.01, beta1: 0.9, beta2: 0.999, epsilon: 1e-7 };
    let mut trainer = Trainer::new(Loss::MeanSquaredError, &optimizer, &[]).unwrap();
    let config = FitConfig { epochs: 300, batch_size: 200, shuffle: false, ..FitConfig::default() };
    trainer.fit(&mut model, x.view(), y.view(), None, &config, None).unwrap();
    let w = kernel(&model);
    assert!(w[..3].iter().all(|v| v.abs() > 0.3), "{w:?}");
    assert!(w[3..].iter().filter(|v| **v == 0.0).count() >= 5, "{w:?}");
}
