//! A training step of a convolutional network allocates nothing after the first batch: the
//! number of allocations of a fit must not grow with the number of steps. (Its own process, so
//! the counting allocator sees only this test.)

use shrink::loss::Loss;
use shrink::metrics::Metric;
use shrink::nn::{
    Activation, AveragePooling2D, Conv1D, Conv2D, Dense, Dropout, Flatten, GlobalAveragePooling1D, MaxPooling1D,
    MaxPooling2D, Model, Padding,
};
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

/// Allocations made by one single-epoch fit of a convolutional network (every new layer kind)
/// over `rows` random 6×6×2 images or 12×3 sequences, in batches of 8 (a ragged last batch
/// included).
///
/// The products stay below the kernels' GEMM threshold: above it `matrixmultiply` allocates a
/// packing buffer on every call, for Dense and convolution layers alike.
fn cnn_allocations_for(rows: usize, optimizer: &OptimizerConfig, one_d: bool) -> usize {
    let mut rng = shrink::rng::Rng::new(rows as u64);
    let width = if one_d { 36 } else { 72 };
    let x = ndarray::Array2::from_shape_fn((rows, width), |_| rng.uniform(-1.0, 1.0) as f32);
    let y = ndarray::Array2::from_shape_fn((rows, 1), |(r, _)| (r % 2) as f32);
    let mut model = if one_d {
        Model::<f32>::builder(&[12, 3])
            .layer(Conv1D::new(4, 3).padding(Padding::Same).activation(Activation::Relu))
            .layer(MaxPooling1D::new(2))
            .layer(Conv1D::new(4, 2).strides(2))
            .layer(GlobalAveragePooling1D::new())
            .layer(Dense::new(1).activation(Activation::Sigmoid))
            .build(0)
            .unwrap()
    } else {
        Model::<f32>::builder(&[6, 6, 2])
            .layer(
                Conv2D::new(8, (3, 3))
                    .padding(Padding::Same)
                    .activation(Activation::Relu)
                    .kernel_penalty(Penalty::l1_l2(1e-4, 1e-3).unwrap()),
            )
            .layer(MaxPooling2D::new((2, 2)))
            .layer(Conv2D::new(6, (2, 2)).strides((2, 1)).activation(Activation::Tanh))
            .layer(AveragePooling2D::new((2, 2)).padding(Padding::Same))
            .layer(Flatten::new())
            .layer(Dropout::new(0.25))
            .layer(Dense::new(1).activation(Activation::Sigmoid))
            .build(0)
            .unwrap()
    };
    let mut trainer = Trainer::new(Loss::BinaryCrossEntropy, optimizer, &[Metric::Accuracy]).unwrap();
    let config = FitConfig { epochs: 1, batch_size: 8, ..FitConfig::default() };
    let before = ALLOCATIONS.load(Ordering::Relaxed);
    trainer.fit(&mut model, x.view(), y.view(), None, &config, None).unwrap();
    ALLOCATIONS.load(Ordering::Relaxed) - before
}

#[test]
fn cnn_steps_after_the_first_batch_allocate_nothing() {
    for optimizer in [OptimizerConfig::adam(), OptimizerConfig::Sgd { lr: 0.01, momentum: 0.9, nesterov: false }] {
        for one_d in [false, true] {
            let few = cnn_allocations_for(43, &optimizer, one_d); // 6 steps
            let many = cnn_allocations_for(803, &optimizer, one_d); // 101 steps
            assert_eq!(few, many, "{optimizer:?} (1-D: {one_d}): {few} allocations for 6 steps, {many} for 101");
        }
    }
}
