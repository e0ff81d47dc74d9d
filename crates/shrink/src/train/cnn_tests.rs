//! Convolutional networks end to end: whole-network gradients, learning, determinism.

use super::*;
use crate::nn::{
    Activation, AveragePooling2D, Conv1D, Conv2D, Dense, Dropout, Flatten, GlobalAveragePooling1D,
    GlobalAveragePooling2D, MaxPooling1D, MaxPooling2D, Model, Padding,
};
use crate::Penalty;
use ndarray::Array2;

fn objective(model: &mut Model<f64>, x: &Array2<f64>, y: &Array2<f64>) -> f64 {
    let out = model.forward(x.as_slice().unwrap(), x.nrows(), false, Parallelism::Sequential).to_vec();
    let mut scratch = vec![0.0; out.len()];
    Loss::CategoricalCrossEntropy.value(&out, y.as_slice().unwrap(), y.ncols(), &mut scratch) + model.penalty_value()
}

/// Back-propagated gradient (data + penalty) of every parameter of small CNNs versus central
/// differences, in f64, through categorical cross-entropy.
#[test]
#[allow(clippy::needless_range_loop)]
fn cnn_gradients_match_finite_differences() {
    let models: Vec<(Vec<usize>, Model<f64>)> = vec![
        (
            vec![6, 7, 2],
            Model::builder(&[6, 7, 2])
                .layer(
                    Conv2D::new(3, (3, 3))
                        .padding(Padding::Same)
                        .activation(Activation::Tanh)
                        .kernel_penalty(Penalty::l1_l2(0.01, 0.02).unwrap())
                        .bias_penalty(Penalty::l2(0.03).unwrap()),
                )
                .layer(MaxPooling2D::new((2, 2)).padding(Padding::Same))
                .layer(Conv2D::new(2, (2, 2)).activation(Activation::Sigmoid).kernel_penalty(Penalty::l2(0.1).unwrap()))
                .layer(Flatten::new())
                .layer(Dense::new(3).activation(Activation::Softmax))
                .build(1)
                .unwrap(),
        ),
        (
            vec![5, 5, 1],
            Model::builder(&[5, 5, 1])
                .layer(Conv2D::new(4, (2, 2)).strides((2, 1)).use_bias(false).activation(Activation::Tanh))
                .layer(AveragePooling2D::new((2, 2)).strides((1, 1)))
                .layer(GlobalAveragePooling2D::new())
                .layer(Dense::new(3).activation(Activation::Softmax))
                .build(2)
                .unwrap(),
        ),
        (
            vec![9, 2],
            Model::builder(&[9, 2])
                .layer(Conv1D::new(3, 3).padding(Padding::Same).activation(Activation::Tanh))
                .layer(MaxPooling1D::new(2))
                .layer(Conv1D::new(4, 2).kernel_penalty(Penalty::l1(0.02).unwrap()))
                .layer(GlobalAveragePooling1D::new())
                .layer(Dense::new(3).activation(Activation::Softmax))
                .build(3)
                .unwrap(),
        ),
    ];
    for (mi, (shape, mut model)) in models.into_iter().enumerate() {
        // Random biases, so the bias gradients and penalties are not evaluated at zero.
        let mut rng = Rng::new(40 + mi as u64);
        for id in model.select("bias").unwrap_or_default() {
            model.param_mut(id).value.iter_mut().for_each(|b| *b = rng.uniform(-0.3, 0.3));
        }
        let batch = 4;
        let width: usize = shape.iter().product();
        let x = Array2::from_shape_fn((batch, width), |_| rng.uniform(-1.0, 1.0));
        let y = Array2::from_shape_fn((batch, 3), |(r, c)| f64::from(r % 3 == c));
        let out = model.forward(x.as_slice().unwrap(), batch, true, Parallelism::Sequential).to_vec();
        let mut g = vec![0.0; out.len()];
        Loss::CategoricalCrossEntropy.value_and_grad(&out, y.as_slice().unwrap(), &mut g, 3);
        model.backward(x.as_slice().unwrap(), &g, batch, Parallelism::Sequential);
        model.for_each_param_mut(|_, p| {
            if let Some(pen) = p.penalty.clone() {
                pen.accumulate(&p.value, &mut p.grad);
            }
        });
        let analytic: Vec<Vec<f64>> = model.params().map(|(_, p)| p.grad.clone()).collect();
        let ids = model.select("*").unwrap();
        let mut checked = 0;
        for (pi, id) in ids.iter().enumerate() {
            for k in 0..model.param(*id).value.len() {
                let w = model.param(*id).value[k];
                if w.abs() < 1e-4 && model.param(*id).penalty.as_ref().is_some_and(|p| p.l1_strength() > 0.0) {
                    continue;
                }
                let h = 1e-6;
                model.param_mut(*id).value[k] = w + h;
                let up = objective(&mut model, &x, &y);
                model.param_mut(*id).value[k] = w - h;
                let down = objective(&mut model, &x, &y);
                model.param_mut(*id).value[k] = w;
                let fd = (up - down) / (2.0 * h);
                let a = analytic[pi][k];
                let err = (fd - a).abs() / fd.abs().max(a.abs()).max(1e-7);
                assert!(err < 1e-6 || (fd - a).abs() < 1e-10, "model {mi} param {pi}[{k}]: fd {fd} vs {a}");
                checked += 1;
            }
        }
        assert!(checked > 25, "{checked}");
    }
}

/// 8×8 images holding one horizontal or one vertical bar (class 0 / 1) at a random place, plus
/// noise.
fn bars(n: usize, seed: u64) -> (Array2<f32>, Array2<f32>) {
    let mut rng = Rng::new(seed);
    let mut x = Array2::from_shape_fn((n, 64), |_| rng.uniform(0.0, 0.3) as f32);
    let mut y = Array2::zeros((n, 2));
    for r in 0..n {
        let (class, at, from) = (rng.below(2), rng.below(8), rng.below(4));
        for i in from..from + 4 {
            let (row, col) = if class == 0 { (at, i) } else { (i, at) };
            x[[r, row * 8 + col]] += 1.0;
        }
        y[[r, class]] = 1.0;
    }
    (x, y)
}

fn cnn(seed: u64) -> Model<f32> {
    Model::builder(&[8, 8, 1])
        .layer(Conv2D::new(8, (3, 3)).padding(Padding::Same).activation(Activation::Relu))
        .layer(MaxPooling2D::new((2, 2)))
        .layer(Conv2D::new(8, (3, 3)).activation(Activation::Relu).kernel_penalty(Penalty::l2(1e-4).unwrap()))
        .layer(Flatten::new())
        .layer(Dropout::new(0.1))
        .layer(Dense::new(2).activation(Activation::Softmax))
        .build(seed)
        .unwrap()
}

#[test]
fn cnn_learns_bars_and_is_bit_identical_at_one_and_two_threads() {
    let (x, y) = bars(256, 1);
    let (vx, vy) = bars(200, 2);
    let run = |threads| {
        let mut model = cnn(4);
        let mut trainer =
            Trainer::new(Loss::CategoricalCrossEntropy, &OptimizerConfig::adam(), &[Metric::Accuracy]).unwrap();
        // Batches of 64: the convolutions' products (64·64 rows) take the threaded GEMM path.
        let config = FitConfig { epochs: 15, batch_size: 64, seed: 3, threads, ..FitConfig::default() };
        let h = trainer.fit(&mut model, x.view(), y.view(), Some((vx.view(), vy.view())), &config, None).unwrap();
        let weights: Vec<Vec<f32>> = model.params().map(|(_, p)| p.value.clone()).collect();
        (weights, h)
    };
    let (w1, h1) = run(1);
    let (w2, h2) = run(2);
    assert_eq!(w1, w2);
    assert_eq!(h1, h2);
    let acc = h1.validation_metric("accuracy").unwrap();
    assert!(acc[acc.len() - 1] > 0.9, "validation accuracy {acc:?}");
    assert!(h1.epochs.last().unwrap().train.loss < h1.epochs[0].train.loss);
}
