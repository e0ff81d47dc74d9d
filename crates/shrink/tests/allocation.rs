//! A training step allocates nothing after the first batch: the number of allocations of a fit
//! must not grow with the number of steps. (Its own process, so the counting allocator sees only
//! this test.)

use shrink::loss::Loss;
use shrink::metrics::Metric;
use shrink::nn::{Activation, Dense, Model};
use shrink::optim::OptimizerConfig;
use shrink::train::{FitConfig, Trainer};
use shrink::Penalty;
use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

struct Counting;
static ALLOCATIONS: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// Allocations made by one single-epoch fit over `rows` rows in batches of 8 (a ragged last
/// batch included), for each optimizer.
fn allocations_for(rows: usize, optimizer: &OptimizerConfig) -> usize {
    let ds = shrink::data::moons(rows, 0.2, 1).unwrap();
    let x = ds.x.mapv(|v| v as f32);
    let y = ds.y.mapv(|v| v as f32).insert_axis(ndarray::Axis(1));
    let mut model = Model::<f32>::builder(&[2])
        .layer(Dense::new(64).activation(Activation::Relu).kernel_penalty(Penalty::l1_l2(1e-4, 1e-3).unwrap()))
        .layer(Dense::new(16).activation(Activation::Tanh))
        .layer(Dense::new(1).activation(Activation::Sigmoid))
        .build(0)
        .unwrap();
    let mut trainer = Trainer::new(Loss::BinaryCrossEntropy, optimizer, &[Metric::Accuracy]).unwrap();
    let config = FitConfig { epochs: 1, batch_size: 8, ..FitConfig::default() };
    let before = ALLOCATIONS.load(Ordering::Relaxed);
    trainer.fit(&mut model, x.view(), y.view(), None, &config, None).unwrap();
    ALLOCATIONS.load(Ordering::Relaxed) - before
}

#[test]
fn steps_after_the_first_batch_allocate_nothing() {
    for optimizer in [
        OptimizerConfig::adam(),
        OptimizerConfig::Sgd { lr: 0.01, momentum: 0.9, nesterov: true },
        OptimizerConfig::RmsProp { lr: 0.001, rho: 0.9, momentum: 0.5, epsilon: 1e-7 },
    ] {
        let few = allocations_for(43, &optimizer); // 6 steps
        let many = allocations_for(803, &optimizer); // 101 steps
        assert_eq!(few, many, "{optimizer:?}: {few} allocations for 6 steps, {many} for 101");
    }
}
