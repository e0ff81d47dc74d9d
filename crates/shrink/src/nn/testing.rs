//! Finite-difference gradient checks of single layers, in f64 (tests only).

use super::Layer;
use crate::kernels::Parallelism;
use crate::rng::Rng;

/// `Σ c·layer(x)` plus every attached penalty: a scalar whose gradient exercises every output.
fn objective<L: Layer<f64>>(layer: &mut L, x: &[f64], c: &[f64], batch: usize) -> f64 {
    layer.forward(x, batch, true, Parallelism::Sequential);
    let data: f64 = layer.output().iter().zip(c).map(|(y, c)| y * c).sum();
    data + layer.params().iter().filter_map(|p| p.penalty.as_ref().map(|pen| pen.value(&p.value))).sum::<f64>()
}

fn assert_close(what: &str, fd: f64, analytic: f64) {
    let err = (fd - analytic).abs() / fd.abs().max(analytic.abs()).max(1e-7);
    assert!(err < 1e-6 || (fd - analytic).abs() < 1e-9, "{what}: finite difference {fd} vs backward {analytic}");
}

/// Builds `layer` for `input_shape`, randomizes its parameters (biases included, so a bias
/// penalty has something to act on), and checks the backward pass — parameter gradients with
/// their penalties, and the input gradient — against central differences on a random batch.
/// `prepare` runs after the first training forward (Dropout freezes its mask there). Returns
/// the output shape.
pub(crate) fn check_layer<L: Layer<f64>>(
    mut layer: L,
    input_shape: &[usize],
    batch: usize,
    seed: u64,
    prepare: impl FnOnce(&mut L),
) -> Vec<usize> {
    let mut rng = Rng::new(seed);
    layer.set_name("under_test".into());
    let out_shape = layer.build(input_shape, &mut rng).expect("layer builds");
    for p in layer.params_mut() {
        p.value.iter_mut().for_each(|v| *v = rng.uniform(-0.5, 0.5));
    }
    let (n_in, n_out) = (batch * input_shape.iter().product::<usize>(), batch * out_shape.iter().product::<usize>());
    let mut x: Vec<f64> = (0..n_in).map(|_| rng.uniform(-1.0, 1.0)).collect();
    let c: Vec<f64> = (0..n_out).map(|_| rng.uniform(-1.0, 1.0)).collect();

    layer.forward(&x, batch, true, Parallelism::Sequential);
    prepare(&mut layer);
    layer.backward(&x, &c, batch, true, Parallelism::Sequential);
    for p in layer.params_mut() {
        if let Some(pen) = p.penalty.clone() {
            pen.accumulate(&p.value, &mut p.grad);
        }
    }
    let param_grads: Vec<Vec<f64>> = layer.params().iter().map(|p| p.grad.clone()).collect();
    let input_grad = layer.input_grad()[..n_in].to_vec();

    let h = 1e-6;
    for (pi, analytic) in param_grads.iter().enumerate() {
        for (k, &analytic) in analytic.iter().enumerate() {
            let w = layer.params()[pi].value[k];
            if w.abs() < 1e-4 && layer.params()[pi].penalty.as_ref().is_some_and(|p| p.l1_strength() > 0.0) {
                continue; // |w| is not differentiable at 0
            }
            layer.params_mut()[pi].value[k] = w + h;
            let up = objective(&mut layer, &x, &c, batch);
            layer.params_mut()[pi].value[k] = w - h;
            let down = objective(&mut layer, &x, &c, batch);
            layer.params_mut()[pi].value[k] = w;
            assert_close(&format!("param {pi}[{k}]"), (up - down) / (2.0 * h), analytic);
        }
    }
    for i in 0..n_in {
        let v = x[i];
        x[i] = v + h;
        let up = objective(&mut layer, &x, &c, batch);
        x[i] = v - h;
        let down = objective(&mut layer, &x, &c, batch);
        x[i] = v;
        assert_close(&format!("input [{i}]"), (up - down) / (2.0 * h), input_grad[i]);
    }
    out_shape
}
