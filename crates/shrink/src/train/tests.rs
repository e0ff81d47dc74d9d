use super::*;
use crate::nn::{Activation, Dense, Model};
use crate::Penalty;
use ndarray::Array2;

/// The full objective (mean data loss + penalty) of a model on a batch, for finite differences.
fn objective(model: &mut Model<f64>, loss: Loss, x: &Array2<f64>, y: &Array2<f64>) -> f64 {
    let out = model.forward(x.as_slice().unwrap(), x.nrows(), false, Parallelism::Sequential).to_vec();
    let mut scratch = vec![0.0; out.len()];
    loss.value(&out, y.as_slice().unwrap(), y.ncols(), &mut scratch) + model.penalty_value()
}

fn random(rows: usize, cols: usize, seed: u64) -> Array2<f64> {
    let mut rng = Rng::new(seed);
    Array2::from_shape_fn((rows, cols), |_| rng.uniform(-1.0, 1.0))
}

/// Checks `analytic` (every parameter's gradient, in `model.params()` order) against central
/// differences of `objective`, skipping weights near the kink of an L1 penalty; returns how
/// many coordinates it checked. `what` names the case in a failure.
#[allow(clippy::needless_range_loop)]
fn check_finite_differences(
    model: &mut Model<f64>,
    analytic: &[Vec<f64>],
    objective: impl Fn(&mut Model<f64>) -> f64,
    what: &str,
) -> usize {
    let ids: Vec<_> = model.select("*").unwrap();
    let mut checked = 0;
    for (pi, id) in ids.iter().enumerate() {
        for k in 0..model.param(*id).value.len() {
            let w = model.param(*id).value[k];
            if w.abs() < 1e-4 && model.param(*id).penalty.as_ref().is_some_and(|p| p.l1_strength() > 0.0) {
                continue; // |w| is not differentiable at 0
            }
            let h = 1e-6;
            model.param_mut(*id).value[k] = w + h;
            let up = objective(model);
            model.param_mut(*id).value[k] = w - h;
            let down = objective(model);
            model.param_mut(*id).value[k] = w;
            let fd = (up - down) / (2.0 * h);
            let a = analytic[pi][k];
            let err = (fd - a).abs() / fd.abs().max(a.abs()).max(1e-7);
            assert!(err < 1e-6 || (fd - a).abs() < 1e-10, "{what} param {pi}[{k}]: fd {fd} vs {a}");
            checked += 1;
        }
    }
    checked
}

/// Back-propagated gradient (data + penalty, as a step computes it) of every parameter of a
/// multi-layer network versus central differences, in f64, for every loss/activation pairing.
#[test]
fn dense_network_gradients_match_finite_differences() {
    let cases: [(Activation, Loss, usize); 4] = [
        (Activation::Sigmoid, Loss::BinaryCrossEntropy, 1),
        (Activation::Softmax, Loss::CategoricalCrossEntropy, 3),
        (Activation::Linear, Loss::MeanSquaredError, 2),
        (Activation::Tanh, Loss::MeanSquaredError, 2),
    ];
    for (i, (out_act, loss, outputs)) in cases.into_iter().enumerate() {
        let mut model = Model::<f64>::builder(&[4])
            .layer(
                Dense::new(6)
                    .activation(Activation::Tanh)
                    .kernel_penalty(Penalty::l1_l2(0.01, 0.02).unwrap())
                    .bias_penalty(Penalty::l2(0.03).unwrap()),
            )
            .layer(Dense::new(5).activation(Activation::Relu).kernel_penalty(Penalty::l1(0.05).unwrap()))
            .layer(Dense::new(outputs).activation(out_act).kernel_penalty(Penalty::l2(0.1).unwrap()))
            .build(i as u64)
            .unwrap();
        let x = random(7, 4, 100 + i as u64);
        let y = if loss == Loss::MeanSquaredError {
            random(7, outputs, 200)
        } else if outputs == 1 {
            Array2::from_shape_fn((7, 1), |(r, _)| (r % 2) as f64)
        } else {
            Array2::from_shape_fn((7, outputs), |(r, c)| f64::from(r % outputs == c))
        };
        // Analytic gradient: forward, loss gradient, backward, penalty gradient.
        let out = model.forward(x.as_slice().unwrap(), 7, true, Parallelism::Sequential).to_vec();
        let mut g = vec![0.0; out.len()];
        loss.value_and_grad(&out, y.as_slice().unwrap(), &mut g, outputs);
        model.backward(x.as_slice().unwrap(), &g, 7, Parallelism::Sequential);
        model.for_each_param_mut(|_, p| {
            if let Some(pen) = p.penalty.clone() {
                pen.accumulate(&p.value, &mut p.grad);
            }
        });
        let analytic: Vec<Vec<f64>> = model.params().map(|(_, p)| p.grad.clone()).collect();
        let what = format!("{loss:?}/{out_act:?}");
        let checked = check_finite_differences(&mut model, &analytic, |m| objective(m, loss, &x, &y), &what);
        assert!(checked > 50);
    }
}

/// Activity penalties (Keras `activity_regularizer`): the back-propagated gradient of
/// mean data loss + `Σ_layers (l1·Σ|a| + l2·Σa²)/batch` matches central differences in f64.
#[test]
fn activity_penalty_gradients_match_finite_differences() {
    let rows = 7;
    let mut model = Model::<f64>::builder(&[4])
        .layer(Dense::new(6).activation(Activation::Tanh).activity_penalty(Penalty::l1_l2(0.05, 0.1).unwrap()))
        .layer(Dense::new(5).activation(Activation::Sigmoid).activity_penalty(Penalty::l2(0.2).unwrap()))
        .layer(Dense::new(2).activity_penalty(Penalty::l1(0.03).unwrap()))
        .build(11)
        .unwrap();
    let (x, y) = (random(rows, 4, 300), random(rows, 2, 301));
    let loss = Loss::MeanSquaredError;
    let objective = |model: &mut Model<f64>| {
        let out = model.forward(x.as_slice().unwrap(), rows, false, Parallelism::Sequential).to_vec();
        let mut scratch = vec![0.0; out.len()];
        loss.value(&out, y.as_slice().unwrap(), 2, &mut scratch) + model.activity_penalty_value(rows)
    };
    let out = model.forward(x.as_slice().unwrap(), rows, true, Parallelism::Sequential).to_vec();
    assert!(out.iter().all(|a| a.abs() > 1e-3), "an output at the |a| kink: {out:?}");
    let mut g = vec![0.0; out.len()];
    loss.value_and_grad(&out, y.as_slice().unwrap(), &mut g, 2);
    let activity = model.activity_penalty_value(rows);
    assert!(activity > 0.0);
    model.backward(x.as_slice().unwrap(), &g, rows, Parallelism::Sequential);
    let analytic: Vec<Vec<f64>> = model.params().map(|(_, p)| p.grad.clone()).collect();
    let checked = check_finite_differences(&mut model, &analytic, objective, "activity");
    assert_eq!(checked, 4 * 6 + 6 + 6 * 5 + 5 + 5 * 2 + 2);
    // Without the activity term the gradients differ (the penalty really enters backward).
    let mut plain = Model::<f64>::builder(&[4])
        .layer(Dense::new(6).activation(Activation::Tanh))
        .layer(Dense::new(5).activation(Activation::Sigmoid))
        .layer(Dense::new(2))
        .build(11)
        .unwrap();
    plain.forward(x.as_slice().unwrap(), rows, true, Parallelism::Sequential);
    plain.backward(x.as_slice().unwrap(), &g, rows, Parallelism::Sequential);
    assert_ne!(plain.params().next().unwrap().1.grad, analytic[0]);
}

/// The activity penalty is reported in the penalty part of the loss, by `evaluate` and by
/// training, and only gradient-mode L1/L2 is accepted.
#[test]
fn activity_penalty_is_reported_and_checked() {
    let (x, y) = moons_like(40);
    let build = |p: Option<Penalty>| {
        let mut hidden = Dense::new(8).activation(Activation::Relu);
        if let Some(p) = p {
            hidden = hidden.activity_penalty(p);
        }
        Model::<f32>::builder(&[2]).layer(hidden).layer(Dense::new(1).activation(Activation::Sigmoid)).build(3)
    };
    let mut model = build(Some(Penalty::l1_l2(0.01, 0.02).unwrap())).unwrap();
    let mut trainer = Trainer::new(Loss::BinaryCrossEntropy, &OptimizerConfig::adam(), &[]).unwrap();
    let e = trainer.evaluate(&mut model, x.view(), y.view(), 40).unwrap();
    // By hand: the hidden outputs on all 40 rows.
    let hidden = {
        let mut m = model.clone();
        m.forward(x.as_slice().unwrap(), 40, false, Parallelism::Sequential);
        m.layers()[0].output()[..40 * 8].iter().map(|&a| a as f64).collect::<Vec<_>>()
    };
    let expected =
        (0.01 * hidden.iter().map(|a| a.abs()).sum::<f64>() + 0.02 * hidden.iter().map(|a| a * a).sum::<f64>()) / 40.0;
    assert!(expected > 0.0);
    assert!((e.penalty - expected).abs() < 1e-6 * expected.max(1.0), "{} vs {expected}", e.penalty);
    assert!((e.loss - e.data_loss - e.penalty).abs() < 1e-12);
    let config = FitConfig { epochs: 1, batch_size: 40, shuffle: false, ..FitConfig::default() };
    let h = trainer.fit(&mut model, x.view(), y.view(), None, &config, None).unwrap();
    assert!((h.epochs[0].train.penalty - expected).abs() < 1e-6 * expected.max(1.0), "{:?}", h.epochs[0]);
    let prox = Penalty::l1(0.01).unwrap().with_mode(crate::PenaltyMode::Proximal).unwrap();
    assert!(build(Some(prox)).is_err());
    let group = Penalty::group_lasso(0.01, crate::prox::Groups::Rows).unwrap();
    assert!(build(Some(group)).is_err());
    assert!(build(None).unwrap().layers()[0].activity_penalty().is_none());
}

fn moons_like(n: usize) -> (Array2<f32>, Array2<f32>) {
    let ds = shrink_data::moons(n, 0.2, 3).unwrap();
    (ds.x.mapv(|v| v as f32), ds.y.mapv(|v| v as f32).insert_axis(ndarray::Axis(1)))
}

fn small_model(seed: u64, penalty: Option<Penalty>) -> Model<f32> {
    let mut hidden = Dense::new(32).activation(Activation::Relu);
    if let Some(p) = penalty {
        hidden = hidden.kernel_penalty(p);
    }
    Model::builder(&[2]).layer(hidden).layer(Dense::new(1).activation(Activation::Sigmoid)).build(seed).unwrap()
}

fn weights(model: &Model<f32>) -> Vec<Vec<f32>> {
    model.params().map(|(_, p)| p.value.clone()).collect()
}

#[test]
fn same_seed_same_bits_at_one_and_two_threads() {
    let (x, y) = moons_like(60);
    // A deep enough model that the 256×256 products take the threaded GEMM path.
    let run = |threads| {
        let mut model = Model::builder(&[2])
            .layer(Dense::new(256).activation(Activation::Relu).kernel_penalty(Penalty::l2(1e-3).unwrap()))
            .layer(Dense::new(256).activation(Activation::Relu))
            .layer(Dense::new(1).activation(Activation::Sigmoid))
            .build(5)
            .unwrap();
        let mut trainer =
            Trainer::new(Loss::BinaryCrossEntropy, &OptimizerConfig::adam(), &[Metric::Accuracy]).unwrap();
        let config = FitConfig { epochs: 5, batch_size: 32, seed: 9, threads, ..FitConfig::default() };
        let h = trainer.fit(&mut model, x.view(), y.view(), None, &config, None).unwrap();
        (weights(&model), h)
    };
    let (w1, h1) = run(1);
    let (w2, h2) = run(2);
    assert_eq!(w1, w2);
    assert_eq!(h1, h2);
    let (w3, _) = run(1);
    assert_eq!(w1, w3);
}

#[test]
fn training_learns_and_history_is_complete() {
    let (x, y) = moons_like(100);
    let mut model = small_model(1, None);
    let mut trainer = Trainer::new(Loss::BinaryCrossEntropy, &OptimizerConfig::adam(), &[Metric::Accuracy]).unwrap();
    let config = FitConfig { epochs: 200, ..FitConfig::default() };
    let h = trainer.fit(&mut model, x.view(), y.view(), Some((x.view(), y.view())), &config, None).unwrap();
    assert_eq!(h.epochs.len(), 200);
    assert_eq!(trainer.optimizer().iterations(), 200 * 4);
    let acc = h.validation_metric("accuracy").unwrap();
    assert!(acc[199] > 0.85, "final accuracy {}", acc[199]);
    assert!(h.epochs[199].train.loss < h.epochs[0].train.loss);
    assert_eq!(h.epochs[5].train.penalty, 0.0);
}

#[test]
fn reported_loss_includes_the_penalty_and_biases_stay_unpenalized() {
    let (x, y) = moons_like(40);
    let mut model = small_model(2, Some(Penalty::l2(0.01).unwrap()));
    let mut trainer = Trainer::new(Loss::BinaryCrossEntropy, &OptimizerConfig::adam(), &[]).unwrap();
    let before = model.penalty_value();
    let kernel_sq: f64 =
        model.param(model.select("dense_0.kernel").unwrap()[0]).value.iter().map(|w| (*w as f64).powi(2)).sum();
    assert!((before - 0.01 * kernel_sq).abs() < 1e-9);
    let e = trainer.evaluate(&mut model, x.view(), y.view(), 32).unwrap();
    assert!((e.loss - e.data_loss - e.penalty).abs() < 1e-12 && (e.penalty - before).abs() < 1e-12);
    // One full-batch step: an unpenalized bias moves only by its data gradient, so with a
    // penalty attached to the bias the step must differ, and without one it must not.
    let step = |model: &mut Model<f32>| {
        let mut t = Trainer::new(
            Loss::BinaryCrossEntropy,
            &OptimizerConfig::Sgd { lr: 0.1, momentum: 0.0, nesterov: false },
            &[],
        )
        .unwrap();
        t.fit(
            model,
            x.view(),
            y.view(),
            None,
            &FitConfig { epochs: 1, batch_size: 40, shuffle: false, ..FitConfig::default() },
            None,
        )
        .unwrap();
        model.param(model.select("dense_0.bias").unwrap()[0]).value.clone()
    };
    let mut plain = small_model(2, Some(Penalty::l2(0.01).unwrap()));
    let mut biased = small_model(2, Some(Penalty::l2(0.01).unwrap()));
    // Give the biases non-zero values so a bias penalty has something to act on.
    for m in [&mut plain, &mut biased] {
        let id = m.select("dense_0.bias").unwrap()[0];
        m.param_mut(id).value.iter_mut().enumerate().for_each(|(i, b)| *b = 0.1 * (i as f32 % 3.0));
    }
    let mut no_pen = small_model(2, None);
    let id = no_pen.select("dense_0.bias").unwrap()[0];
    no_pen.param_mut(id).value.iter_mut().enumerate().for_each(|(i, b)| *b = 0.1 * (i as f32 % 3.0));
    biased.set_penalty("dense_0.bias", Some(Penalty::l2(0.5).unwrap())).unwrap();
    let (a, b) = (step(&mut plain), step(&mut biased));
    assert_ne!(a, b);
    // A kernel penalty changes the bias update only through the data gradient of later steps,
    // not on the first step from identical weights.
    let c = step(&mut no_pen);
    assert_eq!(a, c);
}

#[test]
fn divergence_stops_with_the_epoch_named() {
    let (x, y) = moons_like(40);
    let mut model = Model::<f32>::builder(&[2])
        .layer(Dense::new(8).activation(Activation::Relu))
        .layer(Dense::new(1))
        .build(0)
        .unwrap();
    let mut trainer =
        Trainer::new(Loss::MeanSquaredError, &OptimizerConfig::Sgd { lr: 1e6, momentum: 0.0, nesterov: false }, &[])
            .unwrap();
    let err = trainer
        .fit(&mut model, x.view(), y.view(), None, &FitConfig { epochs: 100, ..FitConfig::default() }, None)
        .unwrap_err();
    match err {
        Error::Diverged { epoch, .. } => assert!((1..100).contains(&epoch)),
        other => panic!("expected divergence, got {other}"),
    }
    assert!(err.to_string().contains("diverged at epoch"));
}

/// SGD with a huge learning rate on a classifier: the sigmoid saturates, the clipped
/// cross-entropy stays finite (≈ 8.06), and only the weights show the divergence. The fit must
/// stop naming the epoch, the batch and the parameter; the NaN-weight model's predictions are
/// an error naming the row.
#[test]
fn divergence_behind_the_clipped_cross_entropy_is_caught() {
    let (x, y) = moons_like(40);
    let mut model = small_model(1, None);
    let sgd = OptimizerConfig::Sgd { lr: 1e30, momentum: 0.0, nesterov: false };
    let mut trainer = Trainer::new(Loss::BinaryCrossEntropy, &sgd, &[]).unwrap();
    let config = FitConfig { epochs: 200, batch_size: 8, ..FitConfig::default() };
    let err = trainer.fit(&mut model, x.view(), y.view(), None, &config, None).unwrap_err();
    let Error::Diverged { epoch, batch, ref what } = err else { panic!("expected divergence, got {err}") };
    assert!(epoch >= 1 && (1..=5).contains(&batch), "epoch {epoch}, batch {batch}");
    assert!(what.contains("dense_") || what.contains("loss is NaN"), "{what}");
    let e = model.predict(x.view(), 32).unwrap_err().to_string();
    assert!(e.contains("row 1") && e.contains("not finite"), "{e}");
    // A NaN prediction is not clipped into a finite loss.
    let mut scratch = [0.0f32; 2];
    assert!(Loss::BinaryCrossEntropy.value(&[f32::NAN, 0.5], &[1.0, 0.0], 1, &mut scratch).is_nan());
    let mut scratch = [0.0f32; 2];
    assert!(Loss::CategoricalCrossEntropy.value(&[f32::NAN, 0.5], &[1.0, 0.0], 2, &mut scratch).is_nan());
}

#[test]
fn bad_data_is_rejected_with_position() {
    let (mut x, y) = moons_like(10);
    let mut model = small_model(0, None);
    let mut trainer = Trainer::new(Loss::BinaryCrossEntropy, &OptimizerConfig::adam(), &[]).unwrap();
    x[[3, 1]] = f32::NAN;
    let e = trainer.fit(&mut model, x.view(), y.view(), None, &FitConfig::default(), None).unwrap_err();
    // x[[3, 1]], numbered from 1
    assert_eq!(e.to_string(), "training inputs contains a non-finite value at row 4, column 2");
    let e = trainer
        .fit(&mut model, x.slice(ndarray::s![.., ..1]), y.view(), None, &FitConfig::default(), None)
        .unwrap_err();
    assert!(e.to_string().contains("expects 2 input columns"));
    let bad = FitConfig { batch_size: 0, ..FitConfig::default() };
    assert!(trainer.fit(&mut model, x.view(), y.view(), None, &bad, None).is_err());
}

/// Sets an interrupt after epoch `after` (as another thread would).
struct InterruptAfter(usize, Interrupt);

impl Callback<f64> for InterruptAfter {
    fn on_epoch_end(&mut self, record: &EpochRecord, _model: &Model<f64>) {
        if record.epoch == self.0 {
            self.1.set();
        }
    }
}

#[test]
fn an_interrupt_stops_the_fit_before_the_next_batch() {
    let x = random(40, 3, 1);
    let y = random(40, 1, 2);
    let build = || Model::<f64>::builder(&[3]).layer(Dense::new(1)).build(0).unwrap();
    let config = FitConfig { epochs: 10, batch_size: 8, ..FitConfig::default() };
    let interrupt = Interrupt::new();
    let mut trainer = Trainer::new(Loss::MeanSquaredError, &OptimizerConfig::adam(), &[]).unwrap();
    trainer.set_interrupt(Some(interrupt.clone()));
    let mut model = build();
    let mut cb = InterruptAfter(2, interrupt.clone());
    let e = trainer.fit(&mut model, x.view(), y.view(), None, &config, Some(&mut cb)).unwrap_err();
    assert!(matches!(e, Error::Interrupted { epoch: 3, batch: 1 }), "{e}");
    assert_eq!(e.to_string(), "interrupted at epoch 3, batch 1");
    // The model holds the two epochs trained: the same weights as a fit of 2 epochs.
    let mut two = build();
    let mut fresh = Trainer::new(Loss::MeanSquaredError, &OptimizerConfig::adam(), &[]).unwrap();
    fresh.fit(&mut two, x.view(), y.view(), None, &FitConfig { epochs: 2, ..config.clone() }, None).unwrap();
    assert_eq!(
        model.params().map(|(_, p)| p.value.clone()).collect::<Vec<_>>(),
        two.params().map(|(_, p)| p.value.clone()).collect::<Vec<_>>()
    );
    // A set flag stops every later fit at once; without one (or with a clear one) a fit runs.
    let e = trainer.fit(&mut model, x.view(), y.view(), None, &config, None).unwrap_err();
    assert!(matches!(e, Error::Interrupted { epoch: 1, batch: 1 }), "{e}");
    trainer.set_interrupt(Some(Interrupt::new()));
    assert_eq!(trainer.fit(&mut model, x.view(), y.view(), None, &config, None).unwrap().epochs.len(), 10);
    assert_eq!(interrupt, interrupt.clone());
    assert_ne!(interrupt, Interrupt::new());
}
