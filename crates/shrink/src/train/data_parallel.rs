//! Data-parallel steps: a batch cut into a fixed number of micro-batches whose gradients are
//! computed separately and summed in micro-batch order.
//!
//! With `micro_batches = M` a batch of `b` rows is cut into `M` contiguous micro-batches (the
//! first `b mod M` one row longer). Each micro-batch's mean-loss gradient is scaled by its share
//! of the batch (`m_j / b`), so that the sum is the gradient of the batch's mean loss; the sum
//! runs in order `j = 0, 1, …` over the non-empty ones. Nothing in that definition depends on
//! which process computes which micro-batch: spread over N cooperating processes (an
//! [`Exchange`], e.g. MPI ranks; rank r computes a contiguous run of micro-batches), every
//! process ends each step with the same gradient bits as one process computing all `M`, and so
//! with the same weights. With `M = 1` the step is the ordinary one; a different `M` changes
//! only the float rounding of the sum.
//!
//! The penalty is not part of the exchange: it is computed once, on identical weights, by every
//! process after the data gradients are combined.

use super::{parallelism, Model, Rows, Trainer};
use crate::{Error, Float};
use std::ops::Range;

/// How the processes of a data-parallel fit share their micro-batch results. The CLI
/// implements it over MPI; every process of a fit must hold the same model, data and settings.
pub trait Exchange<F: Float> {
    /// This process's index, `0 ≤ rank < size`.
    fn rank(&self) -> usize;
    /// The number of processes taking part, ≥ 1.
    fn size(&self) -> usize;
    /// Every process's `local` (process r's holds `counts[r]` values) concatenated in rank
    /// order into `all` (of length `Σ counts`), on every process.
    fn all_gather(&self, local: &[F], counts: &[usize], all: &mut [F]) -> Result<(), Error>;
    /// [`Exchange::all_gather`] for the losses and metric sums.
    fn all_gather_f64(&self, local: &[f64], counts: &[usize], all: &mut [f64]) -> Result<(), Error>;
}

impl<F: Float> Trainer<F> {
    /// The step of a fit with micro-batches (or over several processes): each micro-batch this
    /// process owns runs forward and backward alone, the gradients of all of them are gathered
    /// and summed in micro-batch order ([`data_parallel`]), then the update is the usual one.
    pub(super) fn step_micro(
        &mut self,
        model: &mut Model<F>,
        rows: Rows<F>,
        start: usize,
        b: usize,
        threads: usize,
        micro: usize,
    ) -> Result<(f64, f64), Error> {
        let par = parallelism(&self.pool, threads);
        let (wi, wo) = (rows.wi, rows.wo);
        let (rank, size) = self.exchange.as_ref().map_or((0, 1), |e| (e.rank(), e.size()));
        let parameters = model.parameter_count();
        let stats = 1 + self.metrics.len();
        let buf = &mut self.buffers;
        buf.slabs.prepare(parameters, stats, micro, rank, size);
        for (k, j) in owned(micro, rank, size).enumerate() {
            let cut = micro_batch(b, micro, j);
            let m = cut.len();
            if m == 0 {
                // Skipped in the sum; zeros keep the gathered buffer defined.
                buf.slabs.local_stats[k * stats..(k + 1) * stats].fill(0.0);
                continue;
            }
            buf.load(rows, start + cut.start..start + cut.end);
            let stat = &mut buf.slabs.local_stats[k * stats..(k + 1) * stats];
            let out = model.forward(&buf.x[..m * wi], m, true, par);
            let loss = self.loss.value_and_grad(out, &buf.y[..m * wo], &mut buf.grad[..m * wo], wo);
            let share = m as f64 / b as f64;
            stat[0] = loss * share;
            for (i, metric) in self.metrics.iter().enumerate() {
                stat[1 + i] = metric.batch_sum(out, &buf.y[..m * wo], wo);
            }
            let scale = F::of(share);
            buf.grad[..m * wo].iter_mut().for_each(|g| *g *= scale);
            // A non-finite loss still takes part in the exchange (every process must), and
            // shows in the sum on every process alike.
            model.backward(&buf.x[..m * wi], &buf.grad[..m * wo], m, par);
            let slab = &mut buf.slabs.local[k * parameters..(k + 1) * parameters];
            let mut offset = 0;
            model.for_each_param_mut(|_, p| {
                slab[offset..offset + p.grad.len()].copy_from_slice(&p.grad);
                offset += p.grad.len();
            });
        }
        let slabs = &mut buf.slabs;
        match &self.exchange {
            Some(e) if size > 1 => {
                e.all_gather(&slabs.local[..slabs.counts[rank]], &slabs.counts, &mut slabs.all[..micro * parameters])?;
                e.all_gather_f64(&slabs.local_stats, &slabs.stat_counts, &mut slabs.all_stats)?;
            }
            _ => {
                std::mem::swap(&mut slabs.local, &mut slabs.all);
                std::mem::swap(&mut slabs.local_stats, &mut slabs.all_stats);
            }
        }
        let used = micro.min(b);
        let mut data_loss = 0.0;
        for j in 0..used {
            let stat = &slabs.all_stats[j * stats..(j + 1) * stats];
            data_loss += stat[0];
            for (sum, v) in buf.metric_sums.iter_mut().zip(&stat[1..]) {
                *sum += v;
            }
        }
        let all = &slabs.all;
        let mut offset = 0;
        model.for_each_param_mut(|_, p| {
            let n = p.grad.len();
            p.grad.copy_from_slice(&all[offset..offset + n]);
            for j in 1..used {
                let part = &all[j * parameters + offset..j * parameters + offset + n];
                p.grad.iter_mut().zip(part).for_each(|(g, &v)| *g += v);
            }
            offset += n;
        });
        if size == 1 {
            // Back where the next step expects them.
            std::mem::swap(&mut slabs.local, &mut slabs.all);
            std::mem::swap(&mut slabs.local_stats, &mut slabs.all_stats);
        }
        if !data_loss.is_finite() {
            return Ok((data_loss, 0.0));
        }
        let penalty = Self::update(&mut self.optimizer, &mut self.buffers, model, 0.0, par);
        Ok((data_loss, penalty))
    }
}

/// Rows `start..start + len` of micro-batch `j` of a batch of `b` rows cut into `m`.
pub(crate) fn micro_batch(b: usize, m: usize, j: usize) -> Range<usize> {
    let (base, longer) = (b / m, b % m);
    let start = j * base + j.min(longer);
    start..start + base + usize::from(j < longer)
}

/// The micro-batches process `rank` of `size` computes: a contiguous run, as even as possible.
pub(crate) fn owned(m: usize, rank: usize, size: usize) -> Range<usize> {
    rank * m / size..(rank + 1) * m / size
}

/// What a data-parallel step needs beyond the ordinary buffers; sized once, on the first step.
#[derive(Default)]
pub(crate) struct Slabs<F> {
    /// The gradients of this process's micro-batches, one parameter-sized slab each.
    pub(crate) local: Vec<F>,
    /// Every micro-batch's gradients, in micro-batch order.
    pub(crate) all: Vec<F>,
    /// Per micro-batch: its share of the batch's data loss, then its metric sums.
    pub(crate) local_stats: Vec<f64>,
    pub(crate) all_stats: Vec<f64>,
    pub(crate) counts: Vec<usize>,
    pub(crate) stat_counts: Vec<usize>,
}

impl<F: Float> Slabs<F> {
    /// Sizes the buffers for `m` micro-batches over `size` processes (no allocation when they
    /// already fit).
    pub(crate) fn prepare(&mut self, parameters: usize, stats: usize, m: usize, rank: usize, size: usize) {
        let mine = owned(m, rank, size).len();
        crate::nn::ensure_len(&mut self.local, mine * parameters);
        crate::nn::ensure_len(&mut self.all, m * parameters);
        self.local_stats.resize(mine * stats, 0.0);
        self.all_stats.resize(m * stats, 0.0);
        if self.counts.len() != size {
            self.counts = (0..size).map(|r| owned(m, r, size).len() * parameters).collect();
            self.stat_counts = (0..size).map(|r| owned(m, r, size).len() * stats).collect();
        }
    }
}

/// Why a model cannot be trained data-parallel, if it cannot: the masks of dropout are drawn
/// in sequence over the whole batch (a process skipping others' micro-batches would draw other
/// masks), and activity penalties are defined on a whole batch's outputs.
pub(crate) fn unsupported<F: Float>(model: &crate::nn::Model<F>, processes: usize, m: usize) -> Option<String> {
    if model.has_activity_penalty() && m > 1 {
        return Some("activity penalties are defined on a whole batch: train them with micro_batches = 1".into());
    }
    let dropout = model.layer_configs().iter().any(|c| matches!(c, crate::nn::LayerConfig::Dropout(_)));
    if dropout && processes > 1 {
        return Some(
            "dropout draws its masks in sequence over the whole batch, which processes splitting the batch \
             cannot share: train a model with dropout in one process"
                .into(),
        );
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn micro_batches_cover_the_batch_in_order() {
        for b in 1..40 {
            for m in 1..9 {
                let cuts: Vec<_> = (0..m).map(|j| micro_batch(b, m, j)).collect();
                assert_eq!(cuts[0].start, 0);
                assert_eq!(cuts[m - 1].end, b);
                for w in cuts.windows(2) {
                    assert_eq!(w[0].end, w[1].start);
                    // Lengths differ by at most one, longer first, so empty ones come last.
                    assert!(w[0].len() == w[1].len() || w[0].len() == w[1].len() + 1);
                }
            }
        }
        assert_eq!(micro_batch(10, 4, 0), 0..3);
        assert_eq!(micro_batch(10, 4, 3), 8..10);
        assert_eq!(micro_batch(2, 4, 3), 2..2);
    }

    #[test]
    fn ranks_own_contiguous_runs() {
        for m in 1..12 {
            for size in 1..6 {
                let runs: Vec<_> = (0..size).map(|r| owned(m, r, size)).collect();
                assert_eq!(runs[0].start, 0);
                assert_eq!(runs[size - 1].end, m);
                assert!(runs.windows(2).all(|w| w[0].end == w[1].start));
            }
        }
        assert_eq!(owned(4, 1, 2), 2..4);
        assert_eq!(owned(2, 0, 3), 0..0);
    }
}
