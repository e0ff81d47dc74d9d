use super::{state, Optimizer, OptimizerConfig};
use crate::kernels::Parallelism;
use crate::Float;

/// SGD as Keras writes it: `v ← μ·v − lr·g`, `w ← w + v` (Nesterov: `w ← w + μ·v − lr·g`).
#[derive(Debug, Clone)]
pub struct Sgd<F> {
    lr: f64,
    /// The learning rate in force (a schedule's); `lr` stays the configured one.
    current_lr: f64,
    momentum: f64,
    nesterov: bool,
    iterations: u64,
    velocity: Vec<Vec<F>>,
}

impl<F: Float> Sgd<F> {
    /// A new optimizer; settings are validated by [`super::OptimizerConfig`].
    pub fn new(lr: f64, momentum: f64, nesterov: bool) -> Self {
        Sgd { lr, current_lr: lr, momentum, nesterov, iterations: 0, velocity: Vec::new() }
    }
}

impl<F: Float> Optimizer<F> for Sgd<F> {
    fn begin_step(&mut self) {
        self.iterations += 1;
    }

    fn update(&mut self, slot: usize, value: &mut [F], grad: &[F], _par: Parallelism) {
        let lr = F::of(self.current_lr);
        if self.momentum == 0.0 {
            for (w, &g) in value.iter_mut().zip(grad) {
                *w -= lr * g;
            }
            return;
        }
        let mu = F::of(self.momentum);
        let v = state(&mut self.velocity, slot, value.len());
        for ((w, &g), v) in value.iter_mut().zip(grad).zip(v.iter_mut()) {
            *v = mu * *v - lr * g;
            *w += if self.nesterov { mu * *v - lr * g } else { *v };
        }
    }

    fn step_sizes(&self, _slot: usize, out: &mut [F]) {
        out.fill(F::of(self.current_lr));
    }

    super::common_methods!("velocity" => velocity);

    fn config(&self) -> OptimizerConfig {
        OptimizerConfig::Sgd { lr: self.lr, momentum: self.momentum, nesterov: self.nesterov }
    }
}
