//! Learning-rate schedules with Keras' names and formulas; the initial learning rate is the
//! optimizer's `lr`.
//!
//! The step schedules (`step`, `exponential`, `cosine`) are functions of the number of
//! optimizer steps (batches) taken **in this fit**, 0 for its first batch, like a Keras
//! `LearningRateSchedule` evaluated at `optimizer.iterations`; a fit that continues a trained
//! model (`fine-tune`, a warm search path) starts its schedule again from `lr` (Keras would go on
//! from the restored iteration count). `plateau` is Keras' `ReduceLROnPlateau` callback: it
//! acts at the end of an epoch. Everything is computed in f64.

use crate::train::Monitor;
use crate::Error;
use serde::{Deserialize, Serialize};

/// A learning-rate schedule (`lr_schedule = { name = "…", … }` in a spec).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "name", rename_all = "snake_case", deny_unknown_fields)]
pub enum LrSchedule {
    /// Staircase decay: `lr · decay_rate^⌊step / decay_steps⌋` (Keras `ExponentialDecay` with
    /// `staircase = True`; with full-batch training a step is an epoch).
    Step {
        /// Steps between drops, ≥ 1.
        decay_steps: u64,
        /// Factor per drop, finite and > 0.
        decay_rate: f64,
    },
    /// Keras `ExponentialDecay`: `lr · decay_rate^(step / decay_steps)`, the exponent floored
    /// with `staircase`.
    Exponential {
        /// Steps per factor `decay_rate`, ≥ 1.
        decay_steps: u64,
        /// Finite and > 0.
        decay_rate: f64,
        /// Floor the exponent. Default false.
        #[serde(default)]
        staircase: bool,
    },
    /// Keras `CosineDecay`: `lr · ((1 − alpha)·½(1 + cos(π·min(step, decay_steps)/decay_steps))
    /// + alpha)`; with `warmup_target`, first a linear warmup from `lr` to `warmup_target` over
    /// `warmup_steps`, then the cosine from `warmup_target`.
    Cosine {
        /// Length of the decay in steps, ≥ 1.
        decay_steps: u64,
        /// The floor as a fraction of the initial rate, in [0, 1]. Default 0.
        #[serde(default)]
        alpha: f64,
        /// The rate the warmup reaches, finite and > 0. Default none (no warmup).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        warmup_target: Option<f64>,
        /// Warmup length in steps (needs `warmup_target`). Default 0.
        #[serde(default, skip_serializing_if = "is_zero")]
        warmup_steps: u64,
    },
    /// Keras `ReduceLROnPlateau`: at the end of an epoch, when `monitor` has not improved by
    /// more than `min_delta` for `patience` epochs (outside a cooldown), `lr ← max(lr·factor,
    /// min_lr)` (only while `lr > min_lr`), then `cooldown` epochs without counting.
    Plateau {
        /// The quantity watched, as for early stopping. Default `val_loss`.
        #[serde(default = "val_loss")]
        monitor: String,
        /// In (0, 1). Default 0.1.
        #[serde(default = "factor_default")]
        factor: f64,
        /// Epochs without improvement before a reduction. Default 10.
        #[serde(default = "patience_default")]
        patience: usize,
        /// Finite and ≥ 0. Default 1e-4.
        #[serde(default = "min_delta_default")]
        min_delta: f64,
        /// Epochs after a reduction during which no wait is counted. Default 0.
        #[serde(default)]
        cooldown: usize,
        /// Lower bound, finite and ≥ 0. Default 0.
        #[serde(default)]
        min_lr: f64,
    },
}

fn is_zero(v: &u64) -> bool {
    *v == 0
}
pub(crate) fn val_loss() -> String {
    "val_loss".into()
}
fn factor_default() -> f64 {
    0.1
}
fn patience_default() -> usize {
    10
}
fn min_delta_default() -> f64 {
    1e-4
}

fn check(ok: bool, key: &'static str, expected: &'static str, value: impl ToString) -> Result<(), Error> {
    if ok {
        Ok(())
    } else {
        Err(Error::invalid(key, expected, value))
    }
}

impl LrSchedule {
    /// Checks every parameter's range; errors name the key (`lr_schedule.decay_rate must be
    /// finite and > 0, got -1`).
    pub fn validate(&self) -> Result<(), Error> {
        match self {
            LrSchedule::Step { decay_steps, decay_rate } | LrSchedule::Exponential { decay_steps, decay_rate, .. } => {
                check(*decay_steps >= 1, "lr_schedule.decay_steps", "≥ 1", decay_steps)?;
                let r = *decay_rate;
                check(r.is_finite() && r > 0.0, "lr_schedule.decay_rate", "finite and > 0", r)
            }
            LrSchedule::Cosine { decay_steps, alpha, warmup_target, warmup_steps } => {
                check(*decay_steps >= 1, "lr_schedule.decay_steps", "≥ 1", decay_steps)?;
                check((0.0..=1.0).contains(alpha), "lr_schedule.alpha", "in [0, 1]", alpha)?;
                if let Some(t) = *warmup_target {
                    check(t.is_finite() && t > 0.0, "lr_schedule.warmup_target", "finite and > 0", t)?;
                }
                let needs_target = *warmup_steps == 0 || warmup_target.is_some();
                check(needs_target, "lr_schedule.warmup_steps", "0 without a warmup_target", warmup_steps)
            }
            LrSchedule::Plateau { factor, min_delta, min_lr, .. } => {
                check(*factor > 0.0 && *factor < 1.0, "lr_schedule.factor", "in (0, 1)", factor)?;
                let d = *min_delta;
                check(d.is_finite() && d >= 0.0, "lr_schedule.min_delta", "finite and ≥ 0", d)?;
                check(min_lr.is_finite() && *min_lr >= 0.0, "lr_schedule.min_lr", "finite and ≥ 0", min_lr)
            }
        }
    }

    /// The monitored quantity's name (`plateau` only).
    pub fn monitor(&self) -> Option<&str> {
        match self {
            LrSchedule::Plateau { monitor, .. } => Some(monitor),
            _ => None,
        }
    }

    /// The learning rate of step `step` (0-based, counted in this fit) from the initial rate
    /// `lr`; `None` for `plateau`, which changes only at epoch ends.
    pub fn at_step(&self, lr: f64, step: u64) -> Option<f64> {
        let s = step as f64;
        match *self {
            LrSchedule::Step { decay_steps, decay_rate } => Some(lr * decay_rate.powf((step / decay_steps) as f64)),
            LrSchedule::Exponential { decay_steps, decay_rate, staircase } => {
                let p = s / decay_steps as f64;
                Some(lr * decay_rate.powf(if staircase { p.floor() } else { p }))
            }
            LrSchedule::Cosine { decay_steps, alpha, warmup_target, warmup_steps } => {
                let d = decay_steps as f64;
                let decayed = |s: f64, from: f64| {
                    let cosine = 0.5 * (1.0 + (std::f64::consts::PI * s / d).cos());
                    from * ((1.0 - alpha) * cosine + alpha)
                };
                Some(match warmup_target {
                    None => decayed(s.min(d), lr),
                    Some(target) => {
                        let w = warmup_steps as f64;
                        let s = s.min(d + w);
                        if s < w {
                            (target - lr) * (s / w) + lr
                        } else {
                            decayed(s - w, target)
                        }
                    }
                })
            }
            LrSchedule::Plateau { .. } => None,
        }
    }
}

/// `ReduceLROnPlateau`'s state over one fit.
#[derive(Debug, Clone)]
pub(crate) struct Plateau {
    monitor: Monitor,
    factor: f64,
    patience: usize,
    min_delta: f64,
    cooldown: usize,
    min_lr: f64,
    best: f64,
    wait: usize,
    cooldown_counter: usize,
}

impl Plateau {
    /// The state for `schedule` when it is `plateau`, its monitor resolved.
    pub(crate) fn new(schedule: &LrSchedule, monitor: Monitor) -> Option<Self> {
        match *schedule {
            LrSchedule::Plateau { factor, patience, min_delta, cooldown, min_lr, .. } => Some(Plateau {
                monitor,
                factor,
                patience,
                min_delta,
                cooldown,
                min_lr,
                best: monitor.worst(),
                wait: 0,
                cooldown_counter: 0,
            }),
            _ => None,
        }
    }

    /// Keras' `on_epoch_end` with the monitored `current` value and the rate `lr` in force;
    /// returns the rate for the next epoch.
    pub(crate) fn on_epoch_end(&mut self, current: f64, lr: f64) -> f64 {
        if self.cooldown_counter > 0 {
            self.cooldown_counter -= 1;
            self.wait = 0;
        }
        if self.monitor.improves(current, self.best, self.min_delta) {
            self.best = current;
            self.wait = 0;
        } else if self.cooldown_counter == 0 {
            self.wait += 1;
            // Keras compares with `np.float32(min_lr)`; here everything is f64.
            if self.wait >= self.patience && lr > self.min_lr {
                self.cooldown_counter = self.cooldown;
                self.wait = 0;
                return (lr * self.factor).max(self.min_lr);
            }
        }
        lr
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Keras' `ReduceLROnPlateau` on a scripted plateau (factor 0.5, patience 2, cooldown 1,
    /// min_lr 0.3, min_delta 0.01), worked by hand from its `on_epoch_end`.
    #[test]
    fn plateau_reduces_with_cooldown_and_min_lr() {
        let schedule = LrSchedule::Plateau {
            monitor: "loss".into(),
            factor: 0.5,
            patience: 2,
            min_delta: 0.01,
            cooldown: 1,
            min_lr: 0.3,
        };
        let monitor = Monitor::resolve("lr_schedule.monitor", "loss", &[], false).unwrap();
        let mut p = Plateau::new(&schedule, monitor).unwrap();
        let mut lr = 1.0;
        let mut rates = Vec::new();
        for v in [1.0, 0.995, 0.99, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5] {
            lr = p.on_epoch_end(v, lr);
            rates.push(lr);
        }
        // 1: best 1. 2: 0.995 is not < 0.99 − 0.01 → wait 1. 3: wait 2 → lr 0.5, cooldown 1.
        // 4: cooldown → 0, and 0.5 improves. 5: wait 1. 6: wait 2 → max(0.25, 0.3) = 0.3,
        // cooldown 1. 7: cooldown → 0 first, so `elif not in_cooldown()` counts: wait 1. 8:
        // wait 2, but lr 0.3 is not > min_lr: no change (and the wait keeps growing).
        assert_eq!(rates, [1.0, 1.0, 0.5, 0.5, 0.5, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3]);
        // Cooldown 3 delays counting after a reduction.
        let schedule = LrSchedule::Plateau {
            monitor: "loss".into(),
            factor: 0.1,
            patience: 1,
            min_delta: 0.0,
            cooldown: 3,
            min_lr: 0.0,
        };
        let mut p = Plateau::new(&schedule, monitor).unwrap();
        let mut lr = 1.0;
        let mut rates = Vec::new();
        for _ in 0..7 {
            lr = p.on_epoch_end(1.0, lr);
            rates.push(lr);
        }
        // 1: best. 2: wait 1 ≥ 1 → 0.1, cooldown 3. 3, 4: cooldown 2, 1 (no counting). 5:
        // cooldown 0 after the decrement → counts, wait 1 → 0.01, cooldown 3. 6, 7: cooldown.
        let expected = [1.0, 0.1, 0.1, 0.1, 0.01, 0.01, 0.01];
        assert!(rates.iter().zip(expected).all(|(a, b)| (a - b).abs() < 1e-15), "{rates:?}");
    }
}
