//! Data-parallel fits: a group of processes (here threads with an in-memory [`Exchange`]) ends
//! with the same bits as one process with the same `micro_batches`.

use super::*;
use crate::nn::{Activation, Conv1D, Dense, Dropout, Flatten, Model};
use crate::optim::OptimizerConfig;
use crate::Penalty;
use ndarray::Array2;
use std::sync::{Arc, Barrier, Mutex};

/// An in-memory group: every member writes its part, waits for the others, reads them all.
struct Group {
    barrier: Barrier,
    parts: Mutex<Vec<Vec<f64>>>,
}

struct Member {
    rank: usize,
    size: usize,
    group: Arc<Group>,
}

impl Member {
    fn gather(&self, local: &[f64], counts: &[usize], all: &mut [f64]) {
        assert_eq!(local.len(), counts[self.rank]);
        self.group.parts.lock().unwrap()[self.rank] = local.to_vec();
        self.group.barrier.wait();
        let parts = self.group.parts.lock().unwrap().concat();
        all.copy_from_slice(&parts);
        // Nobody writes the next step's parts before everyone has read these.
        self.group.barrier.wait();
    }
}

impl Exchange<f64> for Member {
    fn rank(&self) -> usize {
        self.rank
    }
    fn size(&self) -> usize {
        self.size
    }
    fn all_gather(&self, local: &[f64], counts: &[usize], all: &mut [f64]) -> Result<(), Error> {
        self.gather(local, counts, all);
        Ok(())
    }
    fn all_gather_f64(&self, local: &[f64], counts: &[usize], all: &mut [f64]) -> Result<(), Error> {
        self.gather(local, counts, all);
        Ok(())
    }
}

fn data(rows: usize, seed: u64) -> (Array2<f64>, Array2<f64>) {
    let mut rng = Rng::new(seed);
    let x = Array2::from_shape_fn((rows, 6), |_| rng.uniform(-1.0, 1.0));
    let y = Array2::from_shape_fn((rows, 1), |(r, _)| f64::from(x[[r, 0]] * x[[r, 1]] + 0.3 * x[[r, 2]] > 0.0));
    (x, y)
}

/// A CNN with penalties of every mode (gradient, proximal) so that the whole update runs.
fn model(dropout: bool) -> Model<f64> {
    let mut b = Model::<f64>::builder(&[6, 1])
        .layer(Conv1D::new(3, 2).activation(Activation::Relu).kernel_penalty(Penalty::l2(1e-3).unwrap()))
        .layer(Flatten::new());
    if dropout {
        b = b.layer(Dropout::new(0.2));
    }
    b.layer(Dense::new(5).activation(Activation::Tanh).kernel_penalty("l1:1e-3@proximal".parse().unwrap()))
        .layer(Dense::new(1).activation(Activation::Sigmoid))
        .build(7)
        .unwrap()
}

fn config(micro_batches: usize) -> FitConfig {
    // 45 rows in batches of 8: the last batch (5 rows) is shorter than some micro-batch counts.
    FitConfig { epochs: 4, batch_size: 8, seed: 3, micro_batches, ..FitConfig::default() }
}

fn trainer() -> Trainer<f64> {
    Trainer::new(Loss::BinaryCrossEntropy, &OptimizerConfig::adam(), &[Metric::Accuracy]).unwrap()
}

fn weights(model: &Model<f64>) -> Vec<u64> {
    model.params().flat_map(|(_, p)| p.value.iter().map(|v| v.to_bits()).collect::<Vec<_>>()).collect()
}

fn history_bits(h: &History) -> Vec<u64> {
    h.epochs
        .iter()
        .flat_map(|e| [e.train.loss, e.train.data_loss, e.train.penalty, e.train.metrics[0]])
        .map(f64::to_bits)
        .collect()
}

/// Fits with `micro` micro-batches over a group of `size` threads; every member's weights.
fn fit_in_group(size: usize, micro: usize) -> Vec<(Vec<u64>, Vec<u64>)> {
    let (x, y) = data(45, 1);
    let group = Arc::new(Group { barrier: Barrier::new(size), parts: Mutex::new(vec![Vec::new(); size]) });
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..size)
            .map(|rank| {
                let (x, y, group) = (&x, &y, group.clone());
                s.spawn(move || {
                    let mut m = model(false);
                    let mut t = trainer();
                    t.set_exchange(Some(Box::new(Member { rank, size, group })));
                    let h = t.fit(&mut m, x.view(), y.view(), None, &config(micro), None).unwrap();
                    (weights(&m), history_bits(&h))
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    })
}

#[test]
fn a_group_of_any_size_gives_the_bits_of_one_process() {
    let (x, y) = data(45, 1);
    for micro in [2, 3, 4] {
        let mut alone = model(false);
        let h = trainer().fit(&mut alone, x.view(), y.view(), None, &config(micro), None).unwrap();
        let expected = (weights(&alone), history_bits(&h));
        for size in 1..=micro {
            for (rank, got) in fit_in_group(size, micro).into_iter().enumerate() {
                assert!(got == expected, "micro_batches {micro}, {size} processes: rank {rank} differs");
            }
        }
    }
}

#[test]
fn more_processes_than_micro_batches_leave_some_idle_with_the_same_result() {
    let (x, y) = data(45, 1);
    let mut alone = model(false);
    let h = trainer().fit(&mut alone, x.view(), y.view(), None, &config(2), None).unwrap();
    let got = fit_in_group(3, 2);
    assert!(got.iter().all(|g| *g == (weights(&alone), history_bits(&h))));
}

/// Micro-batches change only the rounding: after a few epochs the losses agree closely with the
/// ordinary step, and the first step's gradient to float rounding.
#[test]
fn micro_batches_change_only_the_rounding() {
    let (x, y) = data(45, 1);
    let mut one = model(false);
    let h1 = trainer().fit(&mut one, x.view(), y.view(), None, &config(1), None).unwrap();
    let mut four = model(false);
    let h4 = trainer().fit(&mut four, x.view(), y.view(), None, &config(4), None).unwrap();
    for (a, b) in h1.epochs.iter().zip(&h4.epochs) {
        assert!((a.train.loss - b.train.loss).abs() < 1e-9 * a.train.loss.abs().max(1.0), "{a:?} vs {b:?}");
    }
    let max_diff = one
        .params()
        .zip(four.params())
        .flat_map(|((_, p), (_, q))| p.value.iter().zip(&q.value).map(|(a, b)| (a - b).abs()).collect::<Vec<_>>())
        .fold(0.0, f64::max);
    assert!(max_diff < 1e-9, "weights differ by {max_diff}");
    // The sum is not the same float computation, so some bits differ.
    assert_ne!(weights(&one), weights(&four));
}

#[test]
fn dropout_and_activity_penalties_are_refused_where_they_cannot_be_split() {
    let (x, y) = data(45, 1);
    let group = Arc::new(Group { barrier: Barrier::new(2), parts: Mutex::new(vec![Vec::new(); 2]) });
    let mut t = trainer();
    t.set_exchange(Some(Box::new(Member { rank: 0, size: 2, group })));
    let err = t.fit(&mut model(true), x.view(), y.view(), None, &config(2), None).unwrap_err();
    assert!(err.to_string().contains("dropout"), "{err}");
    // In one process micro-batches keep dropout's sequence of masks: allowed.
    trainer().fit(&mut model(true), x.view(), y.view(), None, &config(2), None).unwrap();

    let mut active = Model::<f64>::builder(&[6])
        .layer(Dense::new(4).activity_penalty(Penalty::l1(1e-3).unwrap()))
        .layer(Dense::new(1).activation(Activation::Sigmoid))
        .build(1)
        .unwrap();
    let err = trainer().fit(&mut active, x.view(), y.view(), None, &config(2), None).unwrap_err();
    assert!(err.to_string().contains("activity"), "{err}");
    let err = trainer().fit(&mut active, x.view(), y.view(), None, &config(0), None).unwrap_err();
    assert!(err.to_string().contains("micro_batches"), "{err}");
}
