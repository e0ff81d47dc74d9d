//! What a fit decides around its steps: the learning rate of each step (a schedule), and after
//! each epoch whether to stop (early stopping, convergence); at the end, which weights to keep.

use super::convergence::ConvergenceTest;
use super::early_stopping::EarlyStopper;
use super::{EpochRecord, FitConfig, History, Monitor, Stop};
use crate::nn::Model;
use crate::optim::lr_schedule::Plateau;
use crate::optim::{LrSchedule, Optimizer};
use crate::{Error, Float};

pub(crate) struct Control<F> {
    base_lr: f64,
    schedule: Option<LrSchedule>,
    plateau: Option<(Plateau, Monitor)>,
    early: Option<(EarlyStopper<F>, Monitor)>,
    convergence: Option<ConvergenceTest>,
}

impl<F: Float> Control<F> {
    /// Resolves the monitors (errors before any step) and resets the optimizer's rate to its
    /// configured `lr`, where every fit's schedule starts.
    pub(crate) fn new(
        config: &FitConfig,
        metric_names: &[String],
        has_validation: bool,
        optimizer: &mut dyn Optimizer<F>,
    ) -> Result<Self, Error> {
        let (early, plateau) = config.monitors(metric_names, has_validation)?;
        let base_lr = optimizer.config().lr();
        optimizer.set_learning_rate(base_lr);
        let schedule = config.lr_schedule.clone();
        Ok(Control {
            base_lr,
            plateau: schedule.as_ref().zip(plateau).and_then(|(s, m)| Plateau::new(s, m).map(|p| (p, m))),
            schedule,
            early: config.early_stopping.as_ref().zip(early).map(|(e, m)| (EarlyStopper::new(e, m), m)),
            convergence: config.convergence.map(ConvergenceTest::new),
        })
    }

    /// Before step `step` (0-based in this fit): sets a step schedule's rate. Allocation-free.
    #[inline]
    pub(crate) fn before_step(&self, step: u64, optimizer: &mut dyn Optimizer<F>) {
        if let Some(lr) = self.schedule.as_ref().and_then(|s| s.at_step(self.base_lr, step)) {
            optimizer.set_learning_rate(lr);
        }
    }

    /// After an epoch: the plateau schedule acts, then early stopping and convergence are
    /// tested; `Some` when the fit stops here.
    pub(crate) fn after_epoch(
        &mut self,
        record: &EpochRecord,
        model: &mut Model<F>,
        optimizer: &mut dyn Optimizer<F>,
        history: &mut History,
    ) -> Option<Stop> {
        if let Some((plateau, monitor)) = &mut self.plateau {
            let lr = plateau.on_epoch_end(monitor.value(record), optimizer.learning_rate());
            optimizer.set_learning_rate(lr);
        }
        let early = self.early.as_mut().is_some_and(|(e, m)| e.on_epoch_end(record.epoch, m.value(record), model));
        let converged = self.convergence.as_mut().is_some_and(|c| c.on_epoch_end(record.train.loss));
        if converged {
            history.converged = Some(true);
        }
        match (early, converged) {
            (true, _) => Some(Stop::EarlyStopping),
            (false, true) => Some(Stop::Converged),
            _ => None,
        }
    }

    /// When the fit ends (stopped or out of epochs): the best weights back with
    /// `restore_best`, and the outcome recorded in the history.
    pub(crate) fn finish(&self, model: &mut Model<F>, history: &mut History, stop: Option<Stop>) {
        history.stop = stop.unwrap_or(Stop::Epochs);
        history.stopped_epoch = stop.and(history.epochs.last().map(|e| e.epoch));
        if self.convergence.is_some() && history.converged.is_none() {
            history.converged = Some(false);
        }
        if let Some((early, _)) = &self.early {
            history.best_epoch = early.best_epoch;
            history.best_value = early.best_value;
            history.restored_best = early.finish(model);
        }
    }
}
