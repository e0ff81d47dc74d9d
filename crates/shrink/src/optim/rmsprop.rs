use super::{state, Optimizer, OptimizerConfig};
use crate::kernels::Parallelism;
use crate::Float;

/// RMSprop as Keras 3 writes it: `v ← ρ·v + (1−ρ)·g²`, step `lr·g/√(v + ε)`, optionally
/// accumulated with momentum.
#[derive(Debug, Clone)]
pub struct RmsProp<F> {
    lr: f64,
    /// The learning rate in force (a schedule's); `lr` stays the configured one.
    current_lr: f64,
    rho: f64,
    momentum: f64,
    epsilon: f64,
    iterations: u64,
    v: Vec<Vec<F>>,
    mom: Vec<Vec<F>>,
}

impl<F: Float> RmsProp<F> {
    /// A new optimizer; settings are validated by [`super::OptimizerConfig`].
    pub fn new(lr: f64, rho: f64, momentum: f64, epsilon: f64) -> Self {
        RmsProp { lr, current_lr: lr, rho, momentum, epsilon, iterations: 0, v: Vec::new(), mom: Vec::new() }
    }
}

impl<F: Float> Optimizer<F> for RmsProp<F> {
    fn begin_step(&mut self) {
        self.iterations += 1;
    }

    fn update(&mut self, slot: usize, value: &mut [F], grad: &[F], _par: Parallelism) {
        let (lr, rho, eps) = (F::of(self.current_lr), F::of(self.rho), F::of(self.epsilon));
        let v = state(&mut self.v, slot, value.len());
        if self.momentum == 0.0 {
            for ((w, &g), v) in value.iter_mut().zip(grad).zip(v.iter_mut()) {
                *v = rho * *v + (F::one() - rho) * g * g;
                *w -= lr * g / (*v + eps).sqrt();
            }
            return;
        }
        let mu = F::of(self.momentum);
        let mom = state(&mut self.mom, slot, value.len());
        for (((w, &g), v), m) in value.iter_mut().zip(grad).zip(v.iter_mut()).zip(mom.iter_mut()) {
            *v = rho * *v + (F::one() - rho) * g * g;
            *m = mu * *m + lr * g / (*v + eps).sqrt();
            *w -= *m;
        }
    }

    fn step_sizes(&self, slot: usize, out: &mut [F]) {
        let (lr, eps) = (F::of(self.current_lr), F::of(self.epsilon));
        super::per_coordinate(&self.v, slot, out, lr, |v| lr / (v + eps).sqrt());
    }

    super::common_methods!("v" => v, "momentum" => mom);

    fn config(&self) -> OptimizerConfig {
        OptimizerConfig::RmsProp { lr: self.lr, rho: self.rho, momentum: self.momentum, epsilon: self.epsilon }
    }
}
