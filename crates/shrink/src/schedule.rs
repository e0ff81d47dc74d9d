//! Penalties that change during training: "fit without a penalty, then continue with one that
//! grows", applied to a trained network without rebuilding it.

use crate::nn::{Model, ParamId};
use crate::penalty::Family;
use crate::train::{Callback, EpochRecord};
use crate::{Error, Float};
use serde::Serialize;

/// Alpha as a function of the (0-based, like Keras callbacks) epoch of a fit.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Schedule {
    /// `alpha` is the value of the last step whose epoch has been reached; before the first
    /// step, the first step's value. Written `0:0,1200:1e-5,2500:1e-4`.
    Steps(Vec<(usize, f64)>),
    /// Linear from `from_alpha` at `from_epoch` to `to_alpha` at `to_epoch`, constant outside.
    /// Written `ramp:0..1e-3@0..2000`.
    Ramp {
        /// Alpha at and before `from_epoch`.
        from_alpha: f64,
        /// Alpha at and after `to_epoch`.
        to_alpha: f64,
        /// Start of the ramp.
        from_epoch: usize,
        /// End of the ramp.
        to_epoch: usize,
    },
}

fn alpha(text: &str) -> Result<f64, Error> {
    let v: f64 = text.trim().parse().map_err(|_| Error::invalid("schedule alpha", "a number", text))?;
    if !(v.is_finite() && v >= 0.0) {
        return Err(Error::invalid("schedule alpha", "finite and ≥ 0", text.trim()));
    }
    Ok(v)
}

fn epoch(text: &str) -> Result<usize, Error> {
    text.trim().parse().map_err(|_| Error::invalid("schedule epoch", "an integer ≥ 0", text))
}

impl Schedule {
    /// Parses either written form.
    pub fn parse(text: &str) -> Result<Self, Error> {
        if let Some(rest) = text.strip_prefix("ramp:") {
            let (alphas, epochs) =
                rest.split_once('@').ok_or_else(|| Error::invalid("schedule", "ramp:A..B@E1..E2", text))?;
            let (a, b) = alphas.split_once("..").ok_or_else(|| Error::invalid("schedule", "ramp:A..B@E1..E2", text))?;
            let (e1, e2) =
                epochs.split_once("..").ok_or_else(|| Error::invalid("schedule", "ramp:A..B@E1..E2", text))?;
            let (from_epoch, to_epoch) = (epoch(e1)?, epoch(e2)?);
            if to_epoch <= from_epoch {
                return Err(Error::invalid("schedule ramp", "an end epoch after its start", text));
            }
            return Ok(Schedule::Ramp { from_alpha: alpha(a)?, to_alpha: alpha(b)?, from_epoch, to_epoch });
        }
        let mut steps = Vec::new();
        for part in text.split(',') {
            let (e, a) = part
                .split_once(':')
                .ok_or_else(|| Error::invalid("schedule", "EPOCH:ALPHA,… or ramp:A..B@E1..E2", text))?;
            let e = epoch(e)?;
            if steps.last().is_some_and(|&(prev, _)| prev >= e) {
                return Err(Error::invalid("schedule", "epochs in increasing order", text));
            }
            steps.push((e, alpha(a)?));
        }
        Ok(Schedule::Steps(steps))
    }

    /// Alpha in force during `epoch` (0-based).
    pub fn alpha_at(&self, epoch: usize) -> f64 {
        match self {
            Schedule::Steps(steps) => {
                steps.iter().take_while(|(e, _)| *e <= epoch).last().or(steps.first()).map_or(0.0, |s| s.1)
            }
            &Schedule::Ramp { from_alpha, to_alpha, from_epoch, to_epoch } => {
                let t = (epoch.clamp(from_epoch, to_epoch) - from_epoch) as f64 / (to_epoch - from_epoch) as f64;
                from_alpha + t * (to_alpha - from_alpha)
            }
        }
    }
}

/// What a schedule applied in one epoch and the weights it produced.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ScheduleRecord {
    /// 1-based epoch (as in the history).
    pub epoch: usize,
    /// Alpha in force during the epoch.
    pub alpha: f64,
    /// L2 norm of each scheduled parameter after the epoch, in selector order.
    pub norms: Vec<f64>,
}

/// A [`Callback`] that sets the penalty of some parameters before every epoch.
pub struct PenaltySchedule {
    params: Vec<ParamId>,
    family: Family,
    schedule: Schedule,
    records: Vec<ScheduleRecord>,
    current: f64,
}

impl PenaltySchedule {
    /// A schedule of penalties of `family` on the parameters `selector` matches in `model`
    /// (any family and mode: `l1@proximal` keeps exact zeros while alpha grows).
    pub fn new<F: Float>(model: &Model<F>, selector: &str, family: Family, schedule: Schedule) -> Result<Self, Error> {
        let params = model.select(selector)?;
        // Every alpha the schedule can reach is a valid strength of the family, checked now
        // rather than at the epoch where it takes effect.
        let alphas: Vec<f64> = match &schedule {
            Schedule::Steps(steps) => steps.iter().map(|s| s.1).collect(),
            Schedule::Ramp { from_alpha, to_alpha, .. } => vec![*from_alpha, *to_alpha],
        };
        for alpha in alphas {
            let penalty = Some(family.at(alpha)?);
            for &id in &params {
                model.param(id).check_penalty(penalty.as_ref())?;
            }
        }
        Ok(PenaltySchedule { params, family, schedule, records: Vec::new(), current: 0.0 })
    }

    /// One record per epoch so far.
    pub fn records(&self) -> &[ScheduleRecord] {
        &self.records
    }
}

impl<F: Float> Callback<F> for PenaltySchedule {
    fn on_epoch_begin(&mut self, epoch: usize, model: &mut Model<F>) -> Result<(), Error> {
        self.current = self.schedule.alpha_at(epoch - 1);
        let penalty = self.family.at(self.current)?;
        for &id in &self.params {
            model.param_mut(id).set_penalty(Some(penalty.clone()))?;
        }
        Ok(())
    }

    fn on_epoch_end(&mut self, record: &EpochRecord, model: &Model<F>) {
        let norms = self
            .params
            .iter()
            .map(|&id| model.param(id).value.iter().map(|w| w.f64().powi(2)).sum::<f64>().sqrt())
            .collect();
        self.records.push(ScheduleRecord { epoch: record.epoch, alpha: self.current, norms });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::loss::Loss;
    use crate::nn::{Activation, Dense};
    use crate::optim::OptimizerConfig;
    use crate::train::{FitConfig, Trainer};

    #[test]
    fn parsing_and_values() {
        let s = Schedule::parse("0:0,1200:1e-5,2500:1e-4,3700:1e-3").unwrap();
        assert_eq!([s.alpha_at(0), s.alpha_at(1199), s.alpha_at(1200), s.alpha_at(4000)], [0.0, 0.0, 1e-5, 1e-3]);
        let late = Schedule::parse("10:1e-3").unwrap();
        assert_eq!(late.alpha_at(0), 1e-3);
        let r = Schedule::parse("ramp:0..1e-3@0..2000").unwrap();
        assert_eq!([r.alpha_at(0), r.alpha_at(1000), r.alpha_at(5000)], [0.0, 5e-4, 1e-3]);
        for bad in ["", "5", "a:1", "0:-1", "0:nan", "10:1,5:2", "ramp:1..2", "ramp:0..1@5..5", "ramp:x..1@0..3"] {
            assert!(Schedule::parse(bad).is_err(), "{bad:?} accepted");
        }
    }

    /// Fit without a penalty, then continue with a growing L2 schedule: the kernel's L2 norm
    /// drops after every step-up, read from the recorded history.
    #[test]
    fn growing_l2_schedule_shrinks_the_kernel_after_each_step_up() {
        let ds = shrink_data::moons(60, 0.2, 4).unwrap();
        let x = ds.x.mapv(|v| v as f32);
        let y = ds.y.mapv(|v| v as f32).insert_axis(ndarray::Axis(1));
        let mut model = Model::<f32>::builder(&[2])
            .layer(Dense::new(64).activation(Activation::Relu))
            .layer(Dense::new(1).activation(Activation::Sigmoid))
            .build(3)
            .unwrap();
        let mut trainer = Trainer::new(Loss::BinaryCrossEntropy, &OptimizerConfig::adam(), &[]).unwrap();
        let config = FitConfig { epochs: 300, batch_size: 60, ..FitConfig::default() };
        trainer.fit(&mut model, x.view(), y.view(), None, &config, None).unwrap();
        let schedule = Schedule::parse("0:0,100:1e-2,200:3e-2,300:1e-1").unwrap();
        let mut cb = PenaltySchedule::new(&model, "dense_0.kernel", Family::L2, schedule).unwrap();
        let fine = FitConfig { epochs: 400, ..config };
        let history = trainer.fit(&mut model, x.view(), y.view(), None, &fine, Some(&mut cb)).unwrap();
        let r = cb.records();
        assert_eq!(r.len(), 400);
        assert_eq!((r[99].alpha, r[100].alpha, r[399].alpha), (0.0, 1e-2, 1e-1));
        for step in [100, 200, 300] {
            let (before, after) = (r[step - 1].norms[0], r[step + 99].norms[0]);
            assert!(after < before, "norm after the step-up at epoch {step}: {before} → {after}");
        }
        // The history's penalty column follows the schedule: zero before the first step-up.
        assert_eq!(history.epochs[50].train.penalty, 0.0);
        assert!(history.epochs[350].train.penalty > 0.0);
    }
}
