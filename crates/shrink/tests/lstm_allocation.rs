//! An LSTM training step allocates nothing after the first batch: the number of allocations of
//! a fit must not grow with the number of steps. (Its own process, so the counting allocator
//! sees only this test.)

use shrink::loss::Loss;
use shrink::nn::{Dense, Lstm, Model};
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

/// Allocations made by one single-epoch fit over `rows` sequences in batches of 8 (a ragged last
/// batch included) through a stacked LSTM.
fn allocations_for(rows: usize) -> usize {
    let (steps, features) = (7, 3);
    let x = ndarray::Array2::from_shape_fn((rows, steps * features), |(r, c)| ((r * 31 + c * 7) % 13) as f32 / 13.0);
    let y = ndarray::Array2::from_shape_fn((rows, 1), |(r, _)| (r % 5) as f32 / 5.0);
    let mut model = Model::<f32>::builder(&[steps, features])
        .layer(Lstm::new(16).return_sequences(true).recurrent_penalty(Penalty::l1_l2(1e-4, 1e-3).unwrap()))
        .layer(Lstm::new(8).kernel_penalty(Penalty::l2(1e-3).unwrap()))
        .layer(Dense::new(1))
        .build(0)
        .unwrap();
    let mut trainer = Trainer::new(Loss::MeanSquaredError, &OptimizerConfig::adam(), &[]).unwrap();
    let config = FitConfig { epochs: 1, batch_size: 8, ..FitConfig::default() };
    let before = ALLOCATIONS.load(Ordering::Relaxed);
    trainer.fit(&mut model, x.view(), y.view(), None, &config, None).unwrap();
    ALLOCATIONS.load(Ordering::Relaxed) - before
}

#[test]
fn lstm_steps_after_the_first_batch_allocate_nothing() {
    let few = allocations_for(43); // 6 steps
    let many = allocations_for(803); // 101 steps
    assert_eq!(few, many, "{few} allocations for 6 steps, {many} for 101");
}
