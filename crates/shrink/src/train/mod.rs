//! Fitting, evaluating and the per-epoch history.
//!
//! A [`Trainer`] owns the loss, the metrics, the optimizer (and so its state, which a later
//! `fit` continues from) and every buffer a step needs; after the first batch a training step
//! allocates nothing.

use crate::kernels::Parallelism;
use crate::loss::Loss;
use crate::metrics::Metric;
use crate::nn::Model;
use crate::optim::{Optimizer, OptimizerConfig};
use crate::rng::Rng;
use crate::{Error, Float};
use control::Control;
use ndarray::ArrayView2;

mod control;
pub(crate) mod convergence;
mod data_parallel;
mod early_stopping;
mod fit_config;
mod history;
mod interrupt;
mod monitor;

pub use convergence::Convergence;
pub use data_parallel::Exchange;
pub use early_stopping::EarlyStopping;
pub use fit_config::FitConfig;
pub use history::{EpochRecord, Evaluation, History, Stop};
pub use interrupt::Interrupt;
pub use monitor::Monitor;

/// Hooks into a fit, e.g. a penalty schedule (before an epoch) or a progress bar (after).
pub trait Callback<F: Float> {
    /// Before epoch `epoch` (1-based); may change the model's penalties.
    fn on_epoch_begin(&mut self, _epoch: usize, _model: &mut Model<F>) -> Result<(), Error> {
        Ok(())
    }
    /// After each epoch.
    fn on_epoch_end(&mut self, _record: &EpochRecord, _model: &Model<F>) {}
}

#[derive(Default)]
struct Buffers<F> {
    order: Vec<usize>,
    x: Vec<F>,
    y: Vec<F>,
    grad: Vec<F>,
    steps: Vec<F>,
    metric_sums: Vec<f64>,
    /// The slot of the first parameter a step left non-finite, and its name once looked up.
    non_finite_slot: Option<usize>,
    non_finite: Option<String>,
    slabs: data_parallel::Slabs<F>,
}

impl<F: Float> Buffers<F> {
    /// Copies the rows `order[range]` into the batch buffers `x` and `y`.
    fn load(&mut self, rows: Rows<F>, range: std::ops::Range<usize>) {
        let (wi, wo, n) = (rows.wi, rows.wo, range.len());
        crate::nn::ensure_len(&mut self.x, n * wi);
        crate::nn::ensure_len(&mut self.y, n * wo);
        crate::nn::ensure_len(&mut self.grad, n * wo);
        for (r, &row) in self.order[range].iter().enumerate() {
            self.x[r * wi..(r + 1) * wi].copy_from_slice(&rows.xs[row * wi..(row + 1) * wi]);
            self.y[r * wo..(r + 1) * wo].copy_from_slice(&rows.ys[row * wo..(row + 1) * wo]);
        }
    }
}

/// The training rows, flat: `wi` inputs and `wo` targets per row.
#[derive(Clone, Copy)]
struct Rows<'a, F> {
    xs: &'a [F],
    ys: &'a [F],
    wi: usize,
    wo: usize,
}

/// The large products' threads of a step: the trainer's pool when it has more than one.
fn parallelism(pool: &Option<rayon::ThreadPool>, threads: usize) -> Parallelism<'_> {
    match (pool, threads) {
        (Some(pool), t) if t > 1 => Parallelism::Pool(pool),
        _ => Parallelism::Sequential,
    }
}

/// Whether every value is finite; one branch-free pass the compiler vectorizes.
fn all_finite<F: Float>(values: &[F]) -> bool {
    values.iter().fold(true, |ok, v| ok & v.is_finite())
}

/// Trains and evaluates models with one loss, optimizer and metric set.
pub struct Trainer<F: Float> {
    loss: Loss,
    metrics: Vec<Metric>,
    optimizer: Box<dyn Optimizer<F>>,
    pool: Option<rayon::ThreadPool>,
    buffers: Buffers<F>,
    interrupt: Option<Interrupt>,
    exchange: Option<Box<dyn Exchange<F> + Send>>,
}

impl<F: Float> Trainer<F> {
    /// A trainer with a fresh optimizer built (and validated) from `optimizer`.
    pub fn new(loss: Loss, optimizer: &OptimizerConfig, metrics: &[Metric]) -> Result<Self, Error> {
        Ok(Trainer {
            loss,
            metrics: metrics.to_vec(),
            optimizer: optimizer.build()?,
            pool: None,
            buffers: Buffers::default(),
            interrupt: None,
            exchange: None,
        })
    }

    /// Makes every later [`Trainer::fit`] check `interrupt` before each batch and return
    /// [`Error::Interrupted`] once it is set (`None`: no check). The model keeps the weights of
    /// the steps taken so far.
    pub fn set_interrupt(&mut self, interrupt: Option<Interrupt>) {
        self.interrupt = interrupt;
    }

    /// Trains data-parallel from now on: every [`Trainer::fit`] computes this process's share
    /// of each batch's micro-batches and combines the gradients through `exchange`, so that
    /// every process of the group ends each step with the same weights (the same bits as one
    /// process with the same `micro_batches`). Every process must call `fit` with the same
    /// model, data and settings; `None` goes back to training alone.
    pub fn set_exchange(&mut self, exchange: Option<Box<dyn Exchange<F> + Send>>) {
        self.exchange = exchange;
    }

    /// The optimizer (its step count tells how far training has gone).
    pub fn optimizer(&self) -> &dyn Optimizer<F> {
        self.optimizer.as_ref()
    }

    /// The optimizer, mutable (restoring saved state).
    pub fn optimizer_mut(&mut self) -> &mut dyn Optimizer<F> {
        self.optimizer.as_mut()
    }

    /// The metric names in evaluation order.
    pub fn metric_names(&self) -> Vec<String> {
        self.metrics.iter().map(|m| m.as_str().to_string()).collect()
    }

    fn check_data(
        model: &Model<F>,
        x: &ArrayView2<F>,
        y: &ArrayView2<F>,
        what: [&'static str; 2],
    ) -> Result<(), Error> {
        if x.nrows() == 0 {
            return Err(Error::Shape(format!("{} are empty", what[0])));
        }
        if x.ncols() != model.input_size() {
            return Err(Error::Shape(format!(
                "the model expects {} input columns, {} have {}",
                model.input_size(),
                what[0],
                x.ncols()
            )));
        }
        if y.nrows() != x.nrows() || y.ncols() != model.output_size() {
            return Err(Error::Shape(format!(
                "{} have shape {}×{}, expected {}×{}",
                what[1],
                y.nrows(),
                y.ncols(),
                x.nrows(),
                model.output_size()
            )));
        }
        for (name, a) in [(what[0], x), (what[1], y)] {
            if let Some(((row, column), _)) = a.indexed_iter().find(|(_, v)| !v.is_finite()) {
                return Err(Error::NonFinite { what: name, row: row + 1, column: column + 1 });
            }
        }
        Ok(())
    }

    /// Trains `model` on `(x, y)`; continues from the optimizer's state when called again.
    ///
    /// With `config.lr_schedule` the learning rate changes per step (or per epoch for
    /// `plateau`); with `config.early_stopping` or `config.convergence` the fit may end before
    /// `config.epochs` (the history says why, and with `restore_best` the model ends with the best
    /// epoch's weights). A monitor the fit cannot provide (`val_…` without `validation`, an
    /// unknown metric) is an error before the first step.
    ///
    /// With an interrupt ([`Trainer::set_interrupt`]) set, stops with [`Error::Interrupted`]
    /// before the next batch.
    ///
    /// Stops with [`Error::Diverged`] as soon as a batch loss (before the cross-entropies'
    /// clipping) is NaN or infinite, or a step leaves a weight that is not finite.
    pub fn fit(
        &mut self,
        model: &mut Model<F>,
        x: ArrayView2<F>,
        y: ArrayView2<F>,
        validation: Option<(ArrayView2<F>, ArrayView2<F>)>,
        config: &FitConfig,
        mut callback: Option<&mut dyn Callback<F>>,
    ) -> Result<History, Error> {
        config.validate()?;
        Self::check_data(model, &x, &y, ["training inputs", "training targets"])?;
        if let Some((vx, vy)) = &validation {
            Self::check_data(model, vx, vy, ["validation inputs", "validation targets"])?;
        }
        let processes = self.exchange.as_ref().map_or(1, |e| e.size());
        let micro_step = config.micro_batches > 1 || processes > 1;
        if let Some(why) = data_parallel::unsupported(model, processes, config.micro_batches) {
            return Err(Error::Spec(why));
        }
        let threads = crate::threads::capped(config.threads);
        if threads > 1 && self.pool.as_ref().is_none_or(|p| p.current_num_threads() != threads) {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .map_err(|e| Error::invalid("threads", "a thread count the system can start", e))?;
            self.pool = Some(pool);
        }
        let (x, y) = (x.as_standard_layout(), y.as_standard_layout());
        let xs = x.as_slice().expect("standard layout is contiguous");
        let ys = y.as_slice().expect("standard layout is contiguous");
        let (n, width_in, width_out) = (x.nrows(), x.ncols(), y.ncols());
        let mut rng = Rng::derive(config.seed, 0x5_4FF1E);
        let mut history = History { metric_names: self.metric_names(), ..History::default() };
        let mut control = Control::new(config, &history.metric_names, validation.is_some(), self.optimizer.as_mut())?;
        self.buffers.order.clear();
        self.buffers.order.extend(0..n);
        // Continuing (Keras `initial_epoch`): the shuffles and step count of the epochs already
        // trained, so that the continued epochs see the rows and rates an uninterrupted fit would.
        let batches = n.div_ceil(config.batch_size) as u64;
        if config.shuffle {
            (0..config.initial_epoch).for_each(|_| rng.shuffle(&mut self.buffers.order));
        }
        let mut steps_taken = config.initial_epoch as u64 * batches;
        let mut stop = None;

        for epoch in config.initial_epoch + 1..=config.epochs {
            if let Some(cb) = callback.as_deref_mut() {
                cb.on_epoch_begin(epoch, model)?;
            }
            if config.shuffle {
                rng.shuffle(&mut self.buffers.order);
            }
            let (mut data_sum, mut penalty_sum) = (0.0, 0.0);
            self.buffers.metric_sums.clear();
            self.buffers.metric_sums.resize(self.metrics.len(), 0.0);
            let mut start = 0;
            let mut batch_index = 0;
            while start < n {
                if self.interrupt.as_ref().is_some_and(Interrupt::is_set) {
                    return Err(Error::Interrupted { epoch, batch: batch_index + 1 });
                }
                let b = config.batch_size.min(n - start);
                control.before_step(steps_taken, self.optimizer.as_mut());
                steps_taken += 1;
                let rows = Rows { xs, ys, wi: width_in, wo: width_out };
                let (data_loss, penalty) = if micro_step {
                    self.step_micro(model, rows, start, b, threads, config.micro_batches)?
                } else {
                    self.step(model, rows, start, b, threads)
                };
                let total = data_loss + penalty;
                if !total.is_finite() {
                    let what = format!("loss is {total}");
                    return Err(Error::Diverged { epoch, batch: batch_index + 1, what });
                }
                if let Some(name) = self.buffers.non_finite.take() {
                    let what = format!("the weights of {name} are no longer finite numbers");
                    return Err(Error::Diverged { epoch, batch: batch_index + 1, what });
                }
                data_sum += data_loss * b as f64;
                penalty_sum += penalty * b as f64;
                start += b;
                batch_index += 1;
            }
            let inv = 1.0 / n as f64;
            let train = Evaluation {
                loss: (data_sum + penalty_sum) * inv,
                data_loss: data_sum * inv,
                penalty: penalty_sum * inv,
                metrics: self.metrics.iter().zip(&self.buffers.metric_sums).map(|(m, s)| m.finish(s * inv)).collect(),
            };
            let validation = match &validation {
                Some((vx, vy)) => Some(self.evaluate(model, vx.view(), vy.view(), config.batch_size)?),
                None => None,
            };
            let record = EpochRecord { epoch, train, validation, lr: self.optimizer.learning_rate() };
            if let Some(cb) = callback.as_deref_mut() {
                cb.on_epoch_end(&record, model);
            }
            stop = control.after_epoch(&record, model, self.optimizer.as_mut(), &mut history);
            history.epochs.push(record);
            if stop.is_some() {
                break;
            }
        }
        control.finish(model, &mut history, stop);
        Ok(history)
    }

    /// One optimizer step on rows `order[start..start+b]`; returns (data loss, penalty).
    fn step(&mut self, model: &mut Model<F>, rows: Rows<F>, start: usize, b: usize, threads: usize) -> (f64, f64) {
        let par = parallelism(&self.pool, threads);
        let buf = &mut self.buffers;
        let (wi, wo) = (rows.wi, rows.wo);
        buf.load(rows, start..start + b);
        let out = model.forward(&buf.x[..b * wi], b, true, par);
        let data_loss = self.loss.value_and_grad(out, &buf.y[..b * wo], &mut buf.grad[..b * wo], wo);
        for (m, sum) in self.metrics.iter().zip(buf.metric_sums.iter_mut()) {
            *sum += m.batch_sum(out, &buf.y[..b * wo], wo);
        }
        if !data_loss.is_finite() {
            return (data_loss, 0.0);
        }
        // Activity penalties (Keras `activity_regularizer`): on this batch's outputs, once per
        // step; their gradients join the backward pass inside each layer.
        let activity = model.activity_penalty_value(b);
        model.backward(&buf.x[..b * wi], &buf.grad[..b * wo], b, par);
        let penalty = Self::update(&mut self.optimizer, &mut self.buffers, model, activity, par);
        (data_loss, penalty)
    }

    /// The optimizer step on the gradients in the parameters, with the penalty's terms (once
    /// per step); returns the penalty plus `activity`.
    fn update(
        optimizer: &mut Box<dyn Optimizer<F>>,
        buf: &mut Buffers<F>,
        model: &mut Model<F>,
        activity: f64,
        par: Parallelism,
    ) -> f64 {
        let steps = &mut buf.steps;
        let non_finite = &mut buf.non_finite_slot;
        optimizer.begin_step();
        let lr = optimizer.learning_rate();
        let mut penalty = activity;
        model.for_each_param_mut(|slot, p| {
            // The penalty's gradient terms and decoupled decay before the update, its proximal
            // steps after it (penalty/apply.rs owns all three).
            let proximal = p.penalty.as_ref().is_some_and(|pen| pen.is_proximal());
            if p.penalty.is_some() {
                penalty += p.penalty_gradient();
                p.penalty_before_update(lr);
            }
            optimizer.update(slot, &mut p.value, &p.grad, par);
            if proximal {
                let n = p.value.len();
                crate::nn::ensure_len(steps, n);
                optimizer.step_sizes(slot, &mut steps[..n]);
                p.penalty_after_update(&steps[..n]);
            }
            if let Some(c) = p.constraint {
                c.apply(&mut p.value, &p.shape);
            }
            if non_finite.is_none() && !all_finite(&p.value) {
                *non_finite = Some(slot);
            }
        });
        if let Some(slot) = buf.non_finite_slot.take() {
            // Naming the parameter allocates, but only once, on the way out of a failed fit.
            buf.non_finite = model.params().nth(slot).map(|(name, _)| name);
        }
        penalty
    }

    /// Data loss, penalty and metrics of `model` on `(x, y)` (no training).
    pub fn evaluate(
        &mut self,
        model: &mut Model<F>,
        x: ArrayView2<F>,
        y: ArrayView2<F>,
        batch_size: usize,
    ) -> Result<Evaluation, Error> {
        Self::check_data(model, &x, &y, ["inputs", "targets"])?;
        let (x, y) = (x.as_standard_layout(), y.as_standard_layout());
        let xs = x.as_slice().expect("standard layout is contiguous");
        let ys = y.as_slice().expect("standard layout is contiguous");
        let (n, wi, wo) = (x.nrows(), x.ncols(), y.ncols());
        let batch_size = batch_size.max(1);
        let buf = &mut self.buffers;
        crate::nn::ensure_len(&mut buf.grad, batch_size.min(n) * wo);
        let mut sums = vec![0.0; self.metrics.len()];
        let (mut data_sum, mut activity_sum) = (0.0, 0.0);
        let mut start = 0;
        while start < n {
            let b = batch_size.min(n - start);
            let out = model.forward(&xs[start * wi..(start + b) * wi], b, false, Parallelism::Sequential);
            let target = &ys[start * wo..(start + b) * wo];
            data_sum += self.loss.value(out, target, wo, &mut buf.grad[..b * wo]) * b as f64;
            for (m, s) in self.metrics.iter().zip(sums.iter_mut()) {
                *s += m.batch_sum(out, target, wo);
            }
            activity_sum += model.activity_penalty_value(b) * b as f64;
            start += b;
        }
        let data_loss = data_sum / n as f64;
        let penalty = model.penalty_value() + activity_sum / n as f64;
        let metrics = self.metrics.iter().zip(&sums).map(|(m, s)| m.finish(s / n as f64)).collect();
        Ok(Evaluation { loss: data_loss + penalty, data_loss, penalty, metrics })
    }
}

#[cfg(test)]
mod tests;

#[cfg(test)]
mod cnn_tests;

#[cfg(test)]
mod penalty_tests;

#[cfg(test)]
mod stopping_tests;

#[cfg(test)]
mod continue_tests;

#[cfg(test)]
mod data_parallel_tests;
