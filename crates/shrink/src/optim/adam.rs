use super::{state, Optimizer, OptimizerConfig};
use crate::kernels::Parallelism;
use crate::Float;
use rayon::prelude::*;

/// Element-wise updates of parameters at least twice this long are split across threads.
const PARALLEL_CHUNK: usize = 1 << 15;

/// Adam as Keras 3 writes it: `m ← m + (g−m)(1−β₁)`, `v ← v + (g²−v)(1−β₂)`,
/// `w ← w − α·m/(√v + ε)` with `α = lr·√(1−β₂ᵗ)/(1−β₁ᵗ)`.
#[derive(Debug, Clone)]
pub struct Adam<F> {
    lr: f64,
    /// The learning rate in force (a schedule's); `lr` stays the configured one.
    current_lr: f64,
    beta1: f64,
    beta2: f64,
    epsilon: f64,
    iterations: u64,
    alpha: f64,
    m: Vec<Vec<F>>,
    v: Vec<Vec<F>>,
}

impl<F: Float> Adam<F> {
    /// A new optimizer; settings are validated by [`super::OptimizerConfig`].
    pub fn new(lr: f64, beta1: f64, beta2: f64, epsilon: f64) -> Self {
        Adam { lr, current_lr: lr, beta1, beta2, epsilon, iterations: 0, alpha: 0.0, m: Vec::new(), v: Vec::new() }
    }
}

impl<F: Float> Optimizer<F> for Adam<F> {
    fn begin_step(&mut self) {
        self.iterations += 1;
        let t = self.iterations as f64;
        self.alpha = self.current_lr * (1.0 - self.beta2.powf(t)).sqrt() / (1.0 - self.beta1.powf(t));
    }

    fn update(&mut self, slot: usize, value: &mut [F], grad: &[F], par: Parallelism) {
        let (alpha, eps) = (F::of(self.alpha), F::of(self.epsilon));
        let (c1, c2) = (F::of(1.0 - self.beta1), F::of(1.0 - self.beta2));
        let m = state(&mut self.m, slot, value.len());
        let v = state(&mut self.v, slot, value.len());
        match par {
            Parallelism::Pool(pool) if value.len() >= 2 * PARALLEL_CHUNK => pool.install(|| {
                value
                    .par_chunks_mut(PARALLEL_CHUNK)
                    .zip(grad.par_chunks(PARALLEL_CHUNK))
                    .zip(m.par_chunks_mut(PARALLEL_CHUNK))
                    .zip(v.par_chunks_mut(PARALLEL_CHUNK))
                    .for_each(|(((w, g), m), v)| adam_update(w, g, m, v, alpha, c1, c2, eps))
            }),
            _ => adam_update(value, grad, m, v, alpha, c1, c2, eps),
        }
    }

    fn step_sizes(&self, slot: usize, out: &mut [F]) {
        let (alpha, eps) = (F::of(self.alpha), F::of(self.epsilon));
        super::per_coordinate(&self.v, slot, out, F::of(self.current_lr), |v| alpha / (v.sqrt() + eps));
    }

    super::common_methods!("m" => m, "v" => v);

    fn config(&self) -> OptimizerConfig {
        OptimizerConfig::Adam { lr: self.lr, beta1: self.beta1, beta2: self.beta2, epsilon: self.epsilon }
    }
}

/// AdamW (Loshchilov & Hutter) as Keras applies it: `w ← w − lr·wd·w` before the Adam update.
///
/// Unlike an L2 penalty, the decay does not pass through Adam's per-coordinate scaling, so
/// every weight shrinks at the same relative rate `lr·wd` per step; an L2 penalty under Adam is
/// rescaled per coordinate and shrinks weights with a small gradient history much faster. The
/// two coincide only under plain SGD, where L2 shrinks by `lr·2·l2·w` per step: `wd = 2·l2`.
#[derive(Debug, Clone)]
pub struct AdamW<F> {
    adam: Adam<F>,
    weight_decay: f64,
}

impl<F: Float> AdamW<F> {
    /// A new optimizer; settings are validated by [`super::OptimizerConfig`].
    pub fn new(lr: f64, beta1: f64, beta2: f64, epsilon: f64, weight_decay: f64) -> Self {
        AdamW { adam: Adam::new(lr, beta1, beta2, epsilon), weight_decay }
    }
}

impl<F: Float> Optimizer<F> for AdamW<F> {
    fn begin_step(&mut self) {
        self.adam.begin_step();
    }

    fn update(&mut self, slot: usize, value: &mut [F], grad: &[F], par: Parallelism) {
        let shrink = F::one() - F::of(self.adam.current_lr * self.weight_decay);
        value.iter_mut().for_each(|w| *w *= shrink);
        self.adam.update(slot, value, grad, par);
    }

    fn step_sizes(&self, slot: usize, out: &mut [F]) {
        self.adam.step_sizes(slot, out);
    }

    fn learning_rate(&self) -> f64 {
        self.adam.current_lr
    }

    fn set_learning_rate(&mut self, lr: f64) {
        self.adam.current_lr = lr;
    }

    fn iterations(&self) -> u64 {
        self.adam.iterations
    }

    fn set_iterations(&mut self, iterations: u64) {
        self.adam.set_iterations(iterations);
    }

    fn config(&self) -> OptimizerConfig {
        let a = &self.adam;
        OptimizerConfig::AdamW {
            lr: a.lr,
            beta1: a.beta1,
            beta2: a.beta2,
            epsilon: a.epsilon,
            weight_decay: self.weight_decay,
        }
    }

    fn state_names(&self) -> &'static [&'static str] {
        self.adam.state_names()
    }

    fn state(&self) -> Vec<(usize, &'static str, &[F])> {
        self.adam.state()
    }

    fn set_state(&mut self, slot: usize, name: &str, values: Vec<F>) -> bool {
        self.adam.set_state(slot, name, values)
    }
}

crate::kernels::multiversion! {
    /// The fused Adam update of one parameter.
    fn adam_update<F: Float>(value: &mut [F], grad: &[F], m: &mut [F], v: &mut [F], alpha: F, c1: F, c2: F, eps: F) {
        for (((w, &g), m), v) in value.iter_mut().zip(grad).zip(m.iter_mut()).zip(v.iter_mut()) {
            *m += (g - *m) * c1;
            *v += (g * g - *v) * c2;
            *w -= alpha * *m / (v.sqrt() + eps);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One Adam step by hand: with m₀=v₀=0 the first step moves each weight by ≈ lr·sign(g).
    #[test]
    fn first_step_by_hand() {
        let mut adam = Adam::<f64>::new(0.001, 0.9, 0.999, 1e-7);
        let mut w = [1.0, -1.0];
        adam.begin_step();
        adam.update(0, &mut w, &[0.5, -2.0], Parallelism::Sequential);
        // m = 0.1g, v = 0.001g², α = 0.001·√0.001/0.1 → step = α·0.1g/(√0.001|g| + ε)
        let step = |g: f64| {
            let alpha = 0.001 * 0.001f64.sqrt() / 0.1;
            alpha * 0.1 * g / ((0.001 * g * g).sqrt() + 1e-7)
        };
        assert!((w[0] - (1.0 - step(0.5))).abs() < 1e-15);
        assert!((w[1] - (-1.0 - step(-2.0))).abs() < 1e-15);
    }

    #[test]
    fn step_sizes_are_alpha_over_root_v_plus_epsilon() {
        let mut adam = Adam::<f64>::new(0.01, 0.9, 0.999, 1e-7);
        let mut w = [1.0, -1.0];
        let mut steps = [0.0; 2];
        adam.step_sizes(0, &mut steps);
        assert_eq!(steps, [0.01, 0.01]); // before the first update: lr
        adam.begin_step();
        adam.update(0, &mut w, &[0.5, -2.0], Parallelism::Sequential);
        adam.step_sizes(0, &mut steps);
        let alpha = 0.01 * 0.001f64.sqrt() / 0.1;
        for (s, g) in steps.iter().zip([0.5f64, -2.0]) {
            assert!((s - alpha / ((0.001 * g * g).sqrt() + 1e-7)).abs() < 1e-15);
        }
    }

    #[test]
    fn adamw_decays_with_zero_gradient() {
        let mut opt = AdamW::<f64>::new(0.1, 0.9, 0.999, 1e-7, 0.5);
        let mut w = [2.0];
        opt.begin_step();
        opt.update(0, &mut w, &[0.0], Parallelism::Sequential);
        assert!((w[0] - 2.0 * (1.0 - 0.05)).abs() < 1e-12);
    }
}
