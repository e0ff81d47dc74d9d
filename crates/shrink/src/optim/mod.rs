//! Optimizers with Keras' formulas and defaults.
//!
//! An optimizer sees one parameter at a time through [`Optimizer::update`], keyed by a stable
//! slot number, and keeps its state (momenta) per slot. State is allocated on the first step and
//! reused afterwards. Slots are an in-memory detail of one model: a saved optimizer is keyed by
//! parameter name instead (see `model_file::SavedOptimizer`), so that restoring it into another
//! model is checked rather than matched by position.

mod adam;
pub mod lr_schedule;
mod rmsprop;
mod sgd;

pub use adam::{Adam, AdamW};
pub use lr_schedule::LrSchedule;
pub use rmsprop::RmsProp;
pub use sgd::Sgd;

use crate::kernels::Parallelism;
use crate::{Error, Float};
use serde::{Deserialize, Serialize};

/// Updates parameters from their gradients.
pub trait Optimizer<F: Float>: Send {
    /// Called once before the updates of a step (advances the step counter).
    fn begin_step(&mut self);
    /// Updates one parameter (`slot` identifies it across steps); large parameters may be
    /// split across the threads of `par` (element-wise, so the result does not depend on it).
    fn update(&mut self, slot: usize, value: &mut [F], grad: &[F], par: Parallelism);
    /// The per-coordinate step size of the last [`Optimizer::update`] of `slot`, written into
    /// `out` (one entry per element of the parameter): the factor by which that update scaled the
    /// gradient (or its momentum average). Proximal penalties threshold with it.
    ///
    /// SGD: `lr` (with momentum too: the step actually taken also carries past velocity, which
    /// a proximal step cannot attribute; `lr` is the step of the current gradient). Adam and
    /// AdamW: `α_t/(√v + ε)` with `α_t = lr·√(1−β₂ᵗ)/(1−β₁ᵗ)` (Keras' form of `lr/(√v̂ + ε)`).
    /// RMSprop: `lr/√(v + ε)`. Before a slot's first update: `lr`.
    fn step_sizes(&self, slot: usize, out: &mut [F]);
    /// The learning rate in force: the configured `lr` unless [`Optimizer::set_learning_rate`]
    /// changed it.
    fn learning_rate(&self) -> f64;
    /// Sets the learning rate of the following steps (a learning-rate schedule's), including
    /// the per-coordinate steps proximal penalties threshold with and AdamW's decay. Takes effect
    /// at the next [`Optimizer::begin_step`]; allocates nothing. [`Optimizer::config`] keeps
    /// the configured `lr`, so saved settings do not drift with a schedule.
    fn set_learning_rate(&mut self, lr: f64);
    /// Number of steps taken.
    fn iterations(&self) -> u64;
    /// Sets the step counter (restoring a saved optimizer).
    fn set_iterations(&mut self, iterations: u64);
    /// The settings it was built with (its kind and hyperparameters).
    fn config(&self) -> OptimizerConfig;
    /// The names of the state vectors this optimizer may keep per parameter (e.g. Adam's `m`
    /// and `v`), so that saved state can be checked before any of it is restored.
    fn state_names(&self) -> &'static [&'static str];
    /// Every state vector by slot and name (e.g. Adam's `m` and `v`), for saving.
    fn state(&self) -> Vec<(usize, &'static str, &[F])>;
    /// Restores one state vector saved by [`Optimizer::state`]; false for a name this
    /// optimizer does not keep. The caller checks that `values` has the parameter's length:
    /// a vector of another length is replaced by zeros on the next update.
    fn set_state(&mut self, slot: usize, name: &str, values: Vec<F>) -> bool;
}

/// The [`Optimizer`] methods every optimizer implements the same way, over its fields
/// `current_lr` and `iterations` and its per-slot state vectors: `learning_rate`,
/// `set_learning_rate`, `iterations`, `set_iterations`, `state_names`, `state` and `set_state`,
/// each state vector saved under its name (`"m" => m` keeps field `m` as `"m"`), in the order
/// given. Used inside `impl Optimizer<F> for …`.
macro_rules! common_methods {
    ($($name:literal => $field:ident),+) => {
        fn learning_rate(&self) -> f64 {
            self.current_lr
        }

        fn set_learning_rate(&mut self, lr: f64) {
            self.current_lr = lr;
        }

        fn iterations(&self) -> u64 {
            self.iterations
        }

        fn set_iterations(&mut self, iterations: u64) {
            self.iterations = iterations;
        }

        fn state_names(&self) -> &'static [&'static str] {
            &[$($name),+]
        }

        fn state(&self) -> Vec<(usize, &'static str, &[F])> {
            std::iter::empty()$(.chain(super::named(&self.$field, $name)))+.collect()
        }

        fn set_state(&mut self, slot: usize, name: &str, values: Vec<F>) -> bool {
            match name {
                $($name => super::put(&mut self.$field, slot, values),)+
                _ => return false,
            }
            true
        }
    };
}
pub(crate) use common_methods;

/// The state vectors of `states` under one name, skipping slots never used.
pub(crate) fn named<'a, F>(
    states: &'a [Vec<F>],
    name: &'static str,
) -> impl Iterator<Item = (usize, &'static str, &'a [F])> {
    states.iter().enumerate().filter(|(_, s)| !s.is_empty()).map(move |(i, s)| (i, name, s.as_slice()))
}

/// Puts `values` into slot `slot` of `states`.
pub(crate) fn put<F>(states: &mut Vec<Vec<F>>, slot: usize, values: Vec<F>) {
    if states.len() <= slot {
        states.resize_with(slot + 1, Vec::new);
    }
    states[slot] = values;
}

/// Which optimizer, with its settings; validated by [`OptimizerConfig::build`].
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "name", rename_all = "snake_case", deny_unknown_fields)]
pub enum OptimizerConfig {
    /// Stochastic gradient descent, optionally with (Nesterov) momentum.
    Sgd {
        /// Learning rate, > 0. Default 0.01.
        #[serde(default = "lr_sgd")]
        lr: f64,
        /// Momentum in [0, 1). Default 0.
        #[serde(default)]
        momentum: f64,
        /// Nesterov momentum. Default false.
        #[serde(default)]
        nesterov: bool,
    },
    /// Adam (Kingma & Ba), Keras defaults.
    Adam {
        /// Learning rate, > 0. Default 0.001.
        #[serde(default = "lr_default")]
        lr: f64,
        /// First-moment decay in [0, 1). Default 0.9.
        #[serde(default = "beta1_default")]
        beta1: f64,
        /// Second-moment decay in [0, 1). Default 0.999.
        #[serde(default = "beta2_default")]
        beta2: f64,
        /// Added to the denominator, > 0. Default 1e-7.
        #[serde(default = "eps_default")]
        epsilon: f64,
    },
    /// AdamW: Adam with decoupled weight decay applied to every parameter.
    AdamW {
        /// Learning rate, > 0. Default 0.001.
        #[serde(default = "lr_default")]
        lr: f64,
        /// First-moment decay. Default 0.9.
        #[serde(default = "beta1_default")]
        beta1: f64,
        /// Second-moment decay. Default 0.999.
        #[serde(default = "beta2_default")]
        beta2: f64,
        /// Denominator term. Default 1e-7.
        #[serde(default = "eps_default")]
        epsilon: f64,
        /// Decoupled decay, ≥ 0: `w ← w − lr·weight_decay·w` each step. Default 0.004 (Keras).
        #[serde(default = "wd_default")]
        weight_decay: f64,
    },
    /// RMSprop, Keras defaults (not centered).
    RmsProp {
        /// Learning rate, > 0. Default 0.001.
        #[serde(default = "lr_default")]
        lr: f64,
        /// Decay of the squared-gradient average in [0, 1). Default 0.9.
        #[serde(default = "rho_default")]
        rho: f64,
        /// Momentum in [0, 1). Default 0.
        #[serde(default)]
        momentum: f64,
        /// Denominator term. Default 1e-7.
        #[serde(default = "eps_default")]
        epsilon: f64,
    },
}

fn lr_sgd() -> f64 {
    0.01
}
fn lr_default() -> f64 {
    0.001
}
fn beta1_default() -> f64 {
    0.9
}
fn beta2_default() -> f64 {
    0.999
}
fn eps_default() -> f64 {
    1e-7
}
fn wd_default() -> f64 {
    0.004
}
fn rho_default() -> f64 {
    0.9
}

impl Default for OptimizerConfig {
    fn default() -> Self {
        OptimizerConfig::adam()
    }
}

fn positive(parameter: &'static str, v: f64) -> Result<(), Error> {
    if v.is_finite() && v > 0.0 {
        Ok(())
    } else {
        Err(Error::invalid(parameter, "finite and > 0", v))
    }
}

fn unit(parameter: &'static str, v: f64) -> Result<(), Error> {
    if (0.0..1.0).contains(&v) {
        Ok(())
    } else {
        Err(Error::invalid(parameter, "in [0, 1)", v))
    }
}

impl OptimizerConfig {
    /// Adam with Keras defaults (lr 1e-3, β 0.9/0.999, ε 1e-7).
    pub fn adam() -> Self {
        OptimizerConfig::Adam {
            lr: lr_default(),
            beta1: beta1_default(),
            beta2: beta2_default(),
            epsilon: eps_default(),
        }
    }

    /// Checks every setting against its documented range.
    pub fn validate(&self) -> Result<(), Error> {
        match *self {
            OptimizerConfig::Sgd { lr, momentum, .. } => {
                positive("lr", lr)?;
                unit("momentum", momentum)
            }
            OptimizerConfig::Adam { lr, beta1, beta2, epsilon } => {
                positive("lr", lr)?;
                unit("beta1", beta1)?;
                unit("beta2", beta2)?;
                positive("epsilon", epsilon)
            }
            OptimizerConfig::AdamW { lr, beta1, beta2, epsilon, weight_decay } => {
                positive("lr", lr)?;
                unit("beta1", beta1)?;
                unit("beta2", beta2)?;
                positive("epsilon", epsilon)?;
                if weight_decay.is_finite() && weight_decay >= 0.0 {
                    Ok(())
                } else {
                    Err(Error::invalid("weight_decay", "finite and ≥ 0", weight_decay))
                }
            }
            OptimizerConfig::RmsProp { lr, rho, momentum, epsilon } => {
                positive("lr", lr)?;
                unit("rho", rho)?;
                unit("momentum", momentum)?;
                positive("epsilon", epsilon)
            }
        }
    }

    /// A fresh optimizer (no state) after validation.
    pub fn build<F: Float>(&self) -> Result<Box<dyn Optimizer<F>>, Error> {
        self.validate()?;
        Ok(match *self {
            OptimizerConfig::Sgd { lr, momentum, nesterov } => Box::new(Sgd::new(lr, momentum, nesterov)),
            OptimizerConfig::Adam { lr, beta1, beta2, epsilon } => Box::new(Adam::new(lr, beta1, beta2, epsilon)),
            OptimizerConfig::AdamW { lr, beta1, beta2, epsilon, weight_decay } => {
                Box::new(AdamW::new(lr, beta1, beta2, epsilon, weight_decay))
            }
            OptimizerConfig::RmsProp { lr, rho, momentum, epsilon } => {
                Box::new(RmsProp::new(lr, rho, momentum, epsilon))
            }
        })
    }

    /// The configured learning rate (where a learning-rate schedule starts).
    pub fn lr(&self) -> f64 {
        match *self {
            OptimizerConfig::Sgd { lr, .. }
            | OptimizerConfig::Adam { lr, .. }
            | OptimizerConfig::AdamW { lr, .. }
            | OptimizerConfig::RmsProp { lr, .. } => lr,
        }
    }

    /// The optimizer's name.
    pub fn name(&self) -> &'static str {
        match self {
            OptimizerConfig::Sgd { .. } => "sgd",
            OptimizerConfig::Adam { .. } => "adam",
            OptimizerConfig::AdamW { .. } => "adam_w",
            OptimizerConfig::RmsProp { .. } => "rms_prop",
        }
    }
}

/// Fills `out` with `f(v)` per coordinate of slot `slot` of `states`, or with `fallback` when
/// the slot has no state of the right length yet.
pub(crate) fn per_coordinate<F: Float>(states: &[Vec<F>], slot: usize, out: &mut [F], fallback: F, f: impl Fn(F) -> F) {
    match states.get(slot) {
        Some(v) if v.len() == out.len() => out.iter_mut().zip(v).for_each(|(o, &v)| *o = f(v)),
        _ => out.fill(fallback),
    }
}

/// The state vector of `slot`, created zero-filled on first use.
pub(crate) fn state<F: Float>(states: &mut Vec<Vec<F>>, slot: usize, len: usize) -> &mut [F] {
    if states.len() <= slot {
        states.resize_with(slot + 1, Vec::new);
    }
    let s = &mut states[slot];
    if s.len() != len {
        *s = vec![F::zero(); len];
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every optimizer minimises a quadratic bowl.
    #[test]
    fn all_optimizers_descend() {
        let configs = [
            OptimizerConfig::Sgd { lr: 0.1, momentum: 0.0, nesterov: false },
            OptimizerConfig::Sgd { lr: 0.05, momentum: 0.9, nesterov: true },
            OptimizerConfig::Adam { lr: 0.01, beta1: 0.9, beta2: 0.999, epsilon: 1e-7 },
            OptimizerConfig::AdamW { lr: 0.01, beta1: 0.9, beta2: 0.999, epsilon: 1e-7, weight_decay: 0.0 },
            OptimizerConfig::RmsProp { lr: 0.01, rho: 0.9, momentum: 0.0, epsilon: 1e-7 },
        ];
        for config in configs {
            let mut opt = config.build::<f64>().unwrap();
            let mut w = vec![3.0, -2.0];
            for _ in 0..3000 {
                let g: Vec<f64> = w.iter().map(|x| 2.0 * x).collect();
                opt.begin_step();
                opt.update(0, &mut w, &g, Parallelism::Sequential);
            }
            assert!(w.iter().all(|x| x.abs() < 0.05), "{config:?}: {w:?}");
        }
    }

    /// What is saved as an optimizer's kind and settings is what it was built from, and every
    /// state vector it keeps is one it declares.
    #[test]
    fn config_and_state_names_describe_the_optimizer() {
        let configs = [
            OptimizerConfig::Sgd { lr: 0.05, momentum: 0.9, nesterov: true },
            OptimizerConfig::adam(),
            OptimizerConfig::AdamW { lr: 0.01, beta1: 0.8, beta2: 0.99, epsilon: 1e-6, weight_decay: 0.1 },
            OptimizerConfig::RmsProp { lr: 0.01, rho: 0.8, momentum: 0.5, epsilon: 1e-6 },
        ];
        for config in configs {
            let mut opt = config.build::<f32>().unwrap();
            assert_eq!(opt.config(), config);
            let mut w = vec![1.0, 2.0];
            opt.begin_step();
            opt.update(0, &mut w, &[0.5, -0.5], Parallelism::Sequential);
            let state = opt.state();
            assert!(!state.is_empty(), "{config:?}");
            assert!(state.iter().all(|(_, name, _)| opt.state_names().contains(name)), "{config:?}");
        }
    }

    /// A scheduled learning rate scales the next steps (and the proximal step sizes) of every
    /// optimizer, while the saved settings keep the configured one.
    #[test]
    fn set_learning_rate_changes_the_steps_not_the_config() {
        let configs = [
            OptimizerConfig::Sgd { lr: 0.1, momentum: 0.0, nesterov: false },
            OptimizerConfig::adam(),
            OptimizerConfig::AdamW { lr: 0.01, beta1: 0.9, beta2: 0.999, epsilon: 1e-7, weight_decay: 0.1 },
            OptimizerConfig::RmsProp { lr: 0.01, rho: 0.9, momentum: 0.0, epsilon: 1e-7 },
        ];
        for config in configs {
            let run = |scale: f64| {
                let mut opt = config.build::<f64>().unwrap();
                opt.set_learning_rate(config.lr() * scale);
                assert_eq!(opt.learning_rate(), config.lr() * scale);
                assert_eq!(opt.config(), config, "the saved settings keep the configured lr");
                let mut w = vec![1.0, -2.0];
                opt.begin_step();
                opt.update(0, &mut w, &[0.5, 0.25], Parallelism::Sequential);
                let mut steps = vec![0.0; 2];
                opt.step_sizes(0, &mut steps);
                (w, steps)
            };
            let ((w1, s1), (w2, s2)) = (run(1.0), run(0.5));
            for i in 0..2 {
                // Every optimizer's first step is proportional to the learning rate.
                let (d1, d2) = (w1[i] - [1.0, -2.0][i], w2[i] - [1.0, -2.0][i]);
                assert!((d2 - 0.5 * d1).abs() < 1e-12 * d1.abs(), "{config:?}: {d1} {d2}");
                assert!((s2[i] - 0.5 * s1[i]).abs() < 1e-12 * s1[i], "{config:?}: {s1:?} {s2:?}");
            }
        }
    }

    #[test]
    fn invalid_settings_name_the_parameter() {
        let e = OptimizerConfig::Adam { lr: -1.0, beta1: 0.9, beta2: 0.999, epsilon: 1e-7 }.validate().unwrap_err();
        assert_eq!(e.to_string(), "lr must be finite and > 0, got -1");
        assert!(OptimizerConfig::Sgd { lr: 0.1, momentum: 1.0, nesterov: false }.validate().is_err());
        let e = serde_json::from_str::<OptimizerConfig>(r#"{"name":"adam","lr":0.01,"beta3":1}"#).unwrap_err();
        assert!(e.to_string().contains("beta3"));
    }
}
