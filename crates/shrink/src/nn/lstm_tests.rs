use super::*;
use crate::loss::Loss;
use crate::nn::lstm_kernels::{exp_f32, sigmoid, tanh};
use crate::nn::{Dense, Model};
use crate::optim::OptimizerConfig;
use crate::train::{FitConfig, Trainer};
use ndarray::Array2;

const SEQ: Parallelism<'static> = Parallelism::Sequential;

fn random(len: usize, rng: &mut Rng) -> Vec<f64> {
    (0..len).map(|_| rng.uniform(-1.0, 1.0)).collect()
}

/// Fourth-order central difference `f'(w)` with step 1e-4: truncation ~h⁴, rounding ~ε/h,
/// both far below the 1e-6 relative tolerance (a two-point stencil's ~1e-10 rounding noise
/// is not, for the smallest recurrent-kernel gradients).
fn stencil(w: f64, mut f: impl FnMut(f64) -> f64) -> f64 {
    let h = 1e-4;
    (f(w - 2.0 * h) - 8.0 * f(w - h) + 8.0 * f(w + h) - f(w + 2.0 * h)) / (12.0 * h)
}

fn rel_err(fd: f64, a: f64) -> f64 {
    (fd - a).abs() / fd.abs().max(a.abs()).max(1e-7)
}

/// The full objective (mean squared error + penalty) of a model on a batch.
fn objective(model: &mut Model<f64>, x: &[f64], y: &[f64], batch: usize) -> f64 {
    let out = model.forward(x, batch, false, SEQ).to_vec();
    let mut scratch = vec![0.0; out.len()];
    Loss::MeanSquaredError.value(&out, y, model.output_size(), &mut scratch) + model.penalty_value()
}

/// Back-propagated gradient (data + penalty, as a training step computes it) of every parameter
/// versus central differences. Returns the gradients, so callers can inspect them too.
#[allow(clippy::needless_range_loop)]
fn check_model(model: &mut Model<f64>, batch: usize, seed: u64) -> Vec<Vec<f64>> {
    let mut rng = Rng::new(seed);
    let x = random(batch * model.input_size(), &mut rng);
    let y = random(batch * model.output_size(), &mut rng);
    let out = model.forward(&x, batch, true, SEQ).to_vec();
    let mut g = vec![0.0; out.len()];
    Loss::MeanSquaredError.value_and_grad(&out, &y, &mut g, model.output_size());
    model.backward(&x, &g, batch, SEQ);
    model.for_each_param_mut(|_, p| {
        if let Some(pen) = p.penalty.clone() {
            pen.accumulate(&p.value, &mut p.grad);
        }
    });
    let analytic: Vec<Vec<f64>> = model.params().map(|(_, p)| p.grad.clone()).collect();
    let names: Vec<String> = model.params().map(|(n, _)| n).collect();
    for (pi, id) in model.select("*").unwrap().into_iter().enumerate() {
        for k in 0..model.param(id).value.len() {
            let w = model.param(id).value[k];
            if w.abs() < 3e-4 && model.param(id).penalty.as_ref().is_some_and(|p| p.l1_strength() > 0.0) {
                continue; // |w| is not differentiable at 0 (the stencil reaches ±2e-4)
            }
            let fd = stencil(w, |v| {
                model.param_mut(id).value[k] = v;
                objective(model, &x, &y, batch)
            });
            model.param_mut(id).value[k] = w;
            let a = analytic[pi][k];
            assert!(
                rel_err(fd, a) < 1e-6 || (fd - a).abs() < 1e-10,
                "{}[{k}]: finite difference {fd} vs back-propagated {a}",
                names[pi]
            );
        }
    }
    analytic
}

/// One layer on its own, every parameter and the input, through `L = Σ c ⊙ output`, with
/// random (non-initial) weights so that every gate is exercised away from its initial values.
#[test]
#[allow(clippy::needless_range_loop)]
fn layer_gradients_match_finite_differences_for_params_and_input() {
    // 6 rows and 20 gate columns: both the 4×16 register tiles and their remainders.
    let (batch, steps, features, units) = (6, 4, 3, 5);
    for return_sequences in [false, true] {
        let mut rng = Rng::new(21);
        let mut layer = Lstm::<f64>::new(units).return_sequences(return_sequences);
        layer.set_name("lstm_0".into());
        let shape = layer.build(&[steps, features], &mut rng).unwrap();
        assert_eq!(shape, if return_sequences { vec![steps, units] } else { vec![units] });
        for p in layer.params_mut() {
            p.value = random(p.value.len(), &mut rng);
        }
        let out_len = batch * shape.iter().product::<usize>();
        let x = random(batch * steps * features, &mut rng);
        let c = random(out_len, &mut rng);
        let loss = |layer: &mut Lstm<f64>, x: &[f64]| {
            layer.forward(x, batch, true, SEQ);
            layer.output()[..out_len].iter().zip(&c).map(|(y, c)| y * c).sum::<f64>()
        };
        loss(&mut layer, &x);
        layer.backward(&x, &c, batch, true, SEQ);
        let grads: Vec<Vec<f64>> = layer.params().iter().map(|p| p.grad.clone()).collect();
        let dx = layer.input_grad()[..x.len()].to_vec();
        for (pi, grad) in grads.iter().enumerate() {
            for k in 0..grad.len() {
                let w = layer.params()[pi].value[k];
                let fd = stencil(w, |v| {
                    layer.params_mut()[pi].value[k] = v;
                    loss(&mut layer, &x)
                });
                layer.params_mut()[pi].value[k] = w;
                assert!(rel_err(fd, grad[k]) < 1e-6, "rs={return_sequences} param {pi}[{k}]: {fd} vs {}", grad[k]);
            }
        }
        for k in 0..x.len() {
            let mut moved = x.clone();
            let fd = stencil(x[k], |v| {
                moved[k] = v;
                loss(&mut layer, &moved)
            });
            assert!(rel_err(fd, dx[k]) < 1e-6, "rs={return_sequences} input[{k}]: {fd} vs {}", dx[k]);
        }
    }
}

#[test]
fn network_gradients_match_finite_differences() {
    // Single LSTM with and without return_sequences, as the last layer or under a Dense head.
    for return_sequences in [false, true] {
        let mut model =
            Model::<f64>::builder(&[4, 3]).layer(Lstm::new(3).return_sequences(return_sequences)).build(3).unwrap();
        check_model(&mut model, 3, 7);
    }
    // Stack: LSTM(return_sequences) → LSTM → Dense, penalties on every role of both LSTMs.
    let mut model = Model::<f64>::builder(&[5, 2])
        .layer(
            Lstm::new(3)
                .return_sequences(true)
                .kernel_penalty(Penalty::l1_l2(0.01, 0.02).unwrap())
                .recurrent_penalty(Penalty::l2(0.03).unwrap())
                .bias_penalty(Penalty::l1(0.01).unwrap()),
        )
        .layer(Lstm::new(4).recurrent_penalty(Penalty::l1(0.02).unwrap()))
        .layer(Dense::new(2).activation(crate::nn::Activation::Tanh))
        .build(4)
        .unwrap();
    let names: Vec<String> = model.params().map(|(n, _)| n).collect();
    assert_eq!(
        names,
        [
            "lstm_0.kernel",
            "lstm_0.recurrent_kernel",
            "lstm_0.bias",
            "lstm_1.kernel",
            "lstm_1.recurrent_kernel",
            "lstm_1.bias",
            "dense_0.kernel",
            "dense_0.bias"
        ]
    );
    check_model(&mut model, 4, 8);
}

/// A penalty attached to one role reaches exactly that parameter: its value is the penalty
/// total, its gradient (and only its gradient) moves by the penalty's gradient, and the whole
/// objective still matches finite differences.
#[test]
fn each_role_penalty_reaches_exactly_its_parameter() {
    let penalty = Penalty::l1_l2(0.05, 0.1).unwrap();
    let plain = || Model::<f64>::builder(&[3, 2]).layer(Lstm::new(3)).layer(Dense::new(1)).build(11).unwrap();
    let mut reference = plain();
    // Non-zero biases, so a bias penalty has something to act on.
    let fill_bias = |m: &mut Model<f64>| {
        let id = m.select("lstm_0.bias").unwrap()[0];
        m.param_mut(id).value.iter_mut().enumerate().for_each(|(i, b)| *b += 0.1 * (i % 3) as f64 - 0.1);
    };
    fill_bias(&mut reference);
    let base = check_model(&mut reference, 3, 5);
    for (index, selector) in ["lstm_0.kernel", "lstm_0.recurrent_kernel", "lstm_0.bias"].into_iter().enumerate() {
        let mut model = plain();
        fill_bias(&mut model);
        model.set_penalty(selector, Some(penalty.clone())).unwrap();
        let ids = model.select(selector).unwrap();
        assert_eq!(ids.len(), 1);
        let target = model.param(ids[0]);
        assert_eq!(target.role, [Role::Kernel, Role::RecurrentKernel, Role::Bias][index]);
        assert!((model.penalty_value() - penalty.value(&target.value)).abs() < 1e-15);
        let mut expected = vec![0.0; target.value.len()];
        penalty.accumulate(&target.value, &mut expected);
        let grads = check_model(&mut model, 3, 5);
        for (pi, (g, b)) in grads.iter().zip(&base).enumerate() {
            if pi == index {
                for ((g, b), e) in g.iter().zip(b).zip(&expected) {
                    assert!((g - b - e).abs() < 1e-14, "{selector}: {g} − {b} ≠ {e}");
                }
            } else {
                assert_eq!(g, b, "{selector} changed parameter {pi}");
            }
        }
    }
    // Role selectors across layers.
    let mut stack = Model::<f64>::builder(&[3, 2])
        .layer(Lstm::new(2).return_sequences(true))
        .layer(Lstm::new(2))
        .layer(Dense::new(1))
        .build(0)
        .unwrap();
    stack.set_penalty("*.recurrent_kernel", Some(penalty)).unwrap();
    let penalized: Vec<String> = stack.params().filter(|(_, p)| p.penalty.is_some()).map(|(n, _)| n).collect();
    assert_eq!(penalized, ["lstm_0.recurrent_kernel", "lstm_1.recurrent_kernel"]);
}

/// Two steps of a 1-unit, 1-feature LSTM with hand-set weights, computed by hand:
///
/// ```text
/// W = [wi, wf, wc, wo] = [0.5, −0.3, 0.8, 0.1]    (kernel, one input)
/// U = [ui, uf, uc, uo] = [0.2, 0.4, −0.6, 0.3]    (recurrent kernel, one unit)
/// b = [bi, bf, bc, bo] = [0.1, 1.0, −0.2, 0.05]
/// x = [1.0, −2.0]
/// step 0 (h₋₁ = c₋₁ = 0): z = x₀·W + b = [0.6, 0.7, 0.6, 0.15]
///   i = σ(0.6), f = σ(0.7), g = tanh(0.6), o = σ(0.15)
///   c₀ = f·0 + i·g,  h₀ = o·tanh(c₀)
/// step 1: z = x₁·W + h₀·U + b = [−0.9 + 0.2h₀, 1.6 + 0.4h₀, −1.8 − 0.6h₀, −0.15 + 0.3h₀]
///   c₁ = σ(z_f)·c₀ + σ(z_i)·tanh(z_c),  h₁ = σ(z_o)·tanh(c₁)
/// ```
#[test]
fn one_unit_known_values() {
    let s = |z: f64| 1.0 / (1.0 + (-z).exp());
    let i0 = s(0.6);
    let g0 = 0.6f64.tanh();
    let o0 = s(0.15);
    let c0 = i0 * g0;
    let h0 = o0 * c0.tanh();
    let (zi, zf, zc, zo) = (-0.9 + 0.2 * h0, 1.6 + 0.4 * h0, -1.8 - 0.6 * h0, -0.15 + 0.3 * h0);
    let c1 = s(zf) * c0 + s(zi) * zc.tanh();
    let h1 = s(zo) * c1.tanh();
    // Sanity of the hand computation itself: h₀ ≈ 0.17923, h₁ ≈ 0.0039059.
    assert!((h0 - 0.179_23).abs() < 1e-5 && (h1 - 0.003_905_9).abs() < 1e-7, "{h0} {h1}");

    let mut layer = Lstm::<f64>::new(1).return_sequences(true);
    let shape = layer.build(&[2, 1], &mut Rng::new(0)).unwrap();
    assert_eq!(shape, [2, 1]);
    assert_eq!(layer.params()[2].value, [0.0, 1.0, 0.0, 0.0], "unit_forget_bias");
    layer.params_mut()[0].value = vec![0.5, -0.3, 0.8, 0.1];
    layer.params_mut()[1].value = vec![0.2, 0.4, -0.6, 0.3];
    layer.params_mut()[2].value = vec![0.1, 1.0, -0.2, 0.05];
    layer.forward(&[1.0, -2.0], 1, false, SEQ);
    let out = &layer.output()[..2];
    assert!((out[0] - h0).abs() < 1e-15 && (out[1] - h1).abs() < 1e-15, "{out:?} vs [{h0}, {h1}]");
    // Without return_sequences: only h₁; and in f32 (fast exp) to f32 precision.
    let mut last = Lstm::<f32>::new(1);
    last.build(&[2, 1], &mut Rng::new(0)).unwrap();
    last.params_mut()[0].value = vec![0.5, -0.3, 0.8, 0.1];
    last.params_mut()[1].value = vec![0.2, 0.4, -0.6, 0.3];
    last.params_mut()[2].value = vec![0.1, 1.0, -0.2, 0.05];
    last.forward(&[1.0, -2.0], 1, false, SEQ);
    assert!((f64::from(last.output()[0]) - h1).abs() < 1e-6, "{} vs {h1}", last.output()[0]);
}

#[test]
fn fast_f32_exp_is_accurate_and_saturates() {
    let mut worst = 0.0f64;
    let mut x = -87.0f32;
    while x < 88.0 {
        let want = f64::from(x).exp();
        worst = worst.max((f64::from(exp_f32(x)) - want).abs() / want);
        x += 0.013;
    }
    assert!(worst < 3e-7, "relative error {worst}");
    assert_eq!(exp_f32(-200.0), 0.0);
    assert_eq!(exp_f32(200.0), f32::INFINITY);
    assert_eq!(exp_f32(0.0), 1.0);
    assert!(exp_f32(f32::NAN).is_nan());
    assert_eq!(sigmoid(-200.0f32), 0.0);
    assert_eq!(sigmoid(200.0f32), 1.0);
    assert_eq!(tanh(50.0f32), 1.0);
    assert_eq!(tanh(-50.0f32), -1.0);
    for v in [-3.0f32, -0.5, -1e-3, 0.0, 1e-3, 0.7, 4.0] {
        assert!((tanh(v) - v.tanh()).abs() < 2e-7, "tanh({v})");
        assert!((sigmoid(v) - 1.0 / (1.0 + (-v).exp())).abs() < 2e-7, "sigmoid({v})");
    }
}

/// f32 (fast exp) and f64 (libm) forward passes of the same weights agree to f32 precision.
#[test]
fn f32_and_f64_agree() {
    let build64 = || Model::<f64>::builder(&[6, 2]).layer(Lstm::new(5).return_sequences(true)).build(2).unwrap();
    let build32 = || Model::<f32>::builder(&[6, 2]).layer(Lstm::new(5).return_sequences(true)).build(2).unwrap();
    let (mut m64, mut m32) = (build64(), build32());
    let mut rng = Rng::new(1);
    let x = random(4 * 12, &mut rng);
    let x32: Vec<f32> = x.iter().map(|&v| v as f32).collect();
    let a = m64.forward(&x, 4, false, SEQ).to_vec();
    let b = m32.forward(&x32, 4, false, SEQ).to_vec();
    for (a, b) in a.iter().zip(&b) {
        assert!((a - f64::from(*b)).abs() < 1e-5, "{a} vs {b}");
    }
}

#[test]
fn initial_weights_follow_keras() {
    let m = Model::<f64>::builder(&[7, 3]).layer(Lstm::new(4)).build(1).unwrap();
    let p: Vec<_> = m.params().collect();
    assert_eq!(p[0].1.shape, [3, 16]);
    assert_eq!(p[1].1.shape, [4, 16]);
    assert_eq!(p[2].1.shape, [16]);
    let limit = (6.0f64 / 19.0).sqrt();
    assert!(p[0].1.value.iter().all(|w| w.abs() <= limit));
    // Recurrent kernel [4, 16]: orthonormal rows.
    let r = &p[1].1.value;
    for a in 0..4 {
        for b in 0..4 {
            let dot: f64 = (0..16).map(|k| r[a * 16 + k] * r[b * 16 + k]).sum();
            assert!((dot - f64::from(a == b)).abs() < 1e-12);
        }
    }
    let expected: Vec<f64> = (0..16).map(|k| f64::from((4..8).contains(&k))).collect();
    assert_eq!(p[2].1.value, expected);
    assert!(m.params().all(|(_, p)| p.penalty.is_none()));
    let m = Model::<f64>::builder(&[7, 3]).layer(Lstm::new(4).unit_forget_bias(false)).build(1).unwrap();
    assert!(m.params().nth(2).unwrap().1.value.iter().all(|&b| b == 0.0));
    assert_eq!(m.output_size(), 4);
    assert_eq!(m.forward_macs(), 7 * (3 + 4) * 16);
}

#[test]
fn shape_errors_do_not_panic() {
    let msg = |shape: &[usize], units: usize| {
        Model::<f32>::builder(shape).layer(Lstm::new(units)).build(0).err().expect("must fail").to_string()
    };
    let e = msg(&[5], 3);
    assert!(e.contains("lstm_0") && e.contains("expects [timesteps, features]") && e.contains("[5]"), "{e}");
    let e = msg(&[2, 3, 4], 3);
    assert!(e.contains("expects [timesteps, features]"), "{e}");
    let e = msg(&[4, 2], 0);
    assert!(e.contains("lstm_0") && e.contains("≥ 1 unit"), "{e}");
    // Stacking on a layer that returns [units] is a rank error too.
    let e = Model::<f32>::builder(&[4, 2]).layer(Lstm::new(3)).layer(Lstm::new(3)).build(0).err().unwrap();
    assert!(e.to_string().contains("lstm_1") && e.to_string().contains("return_sequences"), "{e}");
    // Zero-length axes are refused by the model builder already; the layer refuses them too.
    for shape in [[0, 3], [3, 0]] {
        let mut layer = Lstm::<f32>::new(2);
        layer.set_name("lstm_0".into());
        let e = layer.build(&shape, &mut Rng::new(0)).unwrap_err().to_string();
        assert!(e.contains("a sequence of length 0"), "{e}");
    }
}

fn sum_task(n: usize, steps: usize, seed: u64) -> (Array2<f32>, Array2<f32>) {
    let mut rng = Rng::new(seed);
    let x = Array2::from_shape_fn((n, steps), |_| rng.uniform(-1.0, 1.0) as f32);
    let y = x.sum_axis(ndarray::Axis(1)).insert_axis(ndarray::Axis(1));
    (x, y)
}

#[test]
fn learns_the_sum_of_a_sequence() {
    let steps = 5;
    let (x, y) = sum_task(512, steps, 1);
    let (vx, vy) = sum_task(128, steps, 2);
    let mut model = Model::<f32>::builder(&[steps, 1]).layer(Lstm::new(16)).layer(Dense::new(1)).build(0).unwrap();
    let adam = OptimizerConfig::Adam { lr: 0.01, beta1: 0.9, beta2: 0.999, epsilon: 1e-7 };
    let mut trainer = Trainer::new(Loss::MeanSquaredError, &adam, &[]).unwrap();
    let config = FitConfig { epochs: 40, batch_size: 32, ..FitConfig::default() };
    let h = trainer.fit(&mut model, x.view(), y.view(), Some((vx.view(), vy.view())), &config, None).unwrap();
    let first = h.epochs[0].validation.as_ref().unwrap().loss;
    let last = h.epochs.last().unwrap().validation.as_ref().unwrap().loss;
    // Var(sum of 5 U(−1, 1)) = 5/3: predicting the mean scores ≈ 1.67.
    assert!(last < 0.02 && last < first / 20.0, "validation MSE {first} → {last}");
}

#[test]
fn same_seed_same_bits_at_one_and_two_threads() {
    // 32×64×256 per-step products take the threaded GEMM path at two threads.
    let steps = 6;
    let mut rng = Rng::new(3);
    let x = Array2::from_shape_fn((64, steps * 2), |_| rng.uniform(-1.0, 1.0) as f32);
    let y = Array2::from_shape_fn((64, 1), |_| rng.uniform(-1.0, 1.0) as f32);
    let run = |threads| {
        let mut model = Model::<f32>::builder(&[steps, 2])
            .layer(Lstm::new(64).return_sequences(true).recurrent_penalty(Penalty::l2(1e-3).unwrap()))
            .layer(Lstm::new(64))
            .layer(Dense::new(1))
            .build(5)
            .unwrap();
        let mut trainer = Trainer::new(Loss::MeanSquaredError, &OptimizerConfig::adam(), &[]).unwrap();
        let config = FitConfig { epochs: 3, batch_size: 32, seed: 9, threads, ..FitConfig::default() };
        let h = trainer.fit(&mut model, x.view(), y.view(), None, &config, None).unwrap();
        (model.params().map(|(_, p)| p.value.clone()).collect::<Vec<_>>(), h)
    };
    let (w1, h1) = run(1);
    let (w2, h2) = run(2);
    assert_eq!(w1, w2);
    assert_eq!(h1, h2);
    assert_eq!(w1, run(1).0);
}
