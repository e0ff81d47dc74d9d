//! A training step allocates nothing after the first batch: the number of allocations of a fit
//! must not grow with the number of steps, for every layer kind.
//!
//! The counting allocator counts per thread and only while asked to, so the test harness and
//! the other tests running at the same time cannot disturb a count.
//!
//! The products stay below the kernels' GEMM threshold: above it `matrixmultiply` allocates a
//! packing buffer on every call (one allocation per large product, documented in the README).

use ndarray::Array2;
use shrink::loss::Loss;
use shrink::metrics::Metric;
use shrink::nn::{
    Activation, AveragePooling2D, Conv1D, Conv2D, Dense, Dropout, Flatten, GlobalAveragePooling1D, Lstm, MaxPooling1D,
    MaxPooling2D, Model, Padding,
};
use shrink::optim::OptimizerConfig;
use shrink::train::{FitConfig, Trainer};
use shrink::{Penalty, PenaltyMode};
use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

struct Counting;
thread_local! {
    static COUNTING: Cell<bool> = const { Cell::new(false) };
    static ALLOCATIONS: Cell<usize> = const { Cell::new(0) };
}

fn count() {
    if COUNTING.with(Cell::get) {
        ALLOCATIONS.with(|n| n.set(n.get() + 1));
    }
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        count();
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        count();
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// Allocations on this thread made by one single-epoch fit over `rows` rows in batches of 8 (a
/// ragged last batch included).
fn allocations(
    mut model: Model<f32>,
    loss: Loss,
    optimizer: &OptimizerConfig,
    x: &Array2<f32>,
    y: &Array2<f32>,
) -> usize {
    let metrics: &[Metric] = if loss == Loss::MeanSquaredError { &[] } else { &[Metric::Accuracy] };
    fit_allocations(&mut model, Trainer::new(loss, optimizer, metrics).unwrap(), x, y)
}

/// Allocations on this thread made by `trainer`'s single-epoch fit in batches of 8.
fn fit_allocations(model: &mut Model<f32>, trainer: Trainer<f32>, x: &Array2<f32>, y: &Array2<f32>) -> usize {
    fit_allocations_with(model, trainer, x, y, &FitConfig { epochs: 1, batch_size: 8, ..FitConfig::default() })
}

/// Allocations on this thread made by `trainer`'s fit with `config`.
fn fit_allocations_with(
    model: &mut Model<f32>,
    mut trainer: Trainer<f32>,
    x: &Array2<f32>,
    y: &Array2<f32>,
    config: &FitConfig,
) -> usize {
    let before = ALLOCATIONS.with(Cell::get);
    COUNTING.with(|c| c.set(true));
    trainer.fit(model, x.view(), y.view(), None, config, None).unwrap();
    COUNTING.with(|c| c.set(false));
    ALLOCATIONS.with(Cell::get) - before
}

/// [`allocations`] of `hidden` and a sigmoid output fitted to `rows` moons (binary cross-entropy).
fn moons_allocations(rows: usize, hidden: [Dense<f32>; 2], optimizer: &OptimizerConfig) -> usize {
    let (x, y) = moons(rows);
    let [first, second] = hidden;
    let model = Model::<f32>::builder(&[2])
        .layer(first)
        .layer(second)
        .layer(Dense::new(1).activation(Activation::Sigmoid))
        .build(0)
        .unwrap();
    allocations(model, Loss::BinaryCrossEntropy, optimizer, &x, &y)
}

/// Fits over 43 rows (6 steps) and 803 rows (101 steps) must allocate the same number of times.
fn assert_step_allocation_free(what: &str, run: impl Fn(usize) -> usize) {
    run(43); // warm-up: one-time process state (lazy statics, thread-locals)
    let (few, many) = (run(43), run(803));
    assert_eq!(few, many, "{what}: {few} allocations for 6 steps, {many} for 101");
}

fn moons(rows: usize) -> (Array2<f32>, Array2<f32>) {
    let ds = shrink::data::moons(rows, 0.2, 1).unwrap();
    (ds.x.mapv(|v| v as f32), ds.y.mapv(|v| v as f32).insert_axis(ndarray::Axis(1)))
}

#[test]
fn dense_steps_allocate_nothing_after_the_first_batch() {
    for optimizer in [
        OptimizerConfig::adam(),
        OptimizerConfig::Sgd { lr: 0.01, momentum: 0.9, nesterov: true },
        OptimizerConfig::RmsProp { lr: 0.001, rho: 0.9, momentum: 0.5, epsilon: 1e-7 },
    ] {
        assert_step_allocation_free(&format!("dense, {optimizer:?}"), |rows| {
            let hidden = [
                Dense::new(64).activation(Activation::Relu).kernel_penalty(Penalty::l1_l2(1e-4, 1e-3).unwrap()),
                Dense::new(16).activation(Activation::Tanh),
            ];
            moons_allocations(rows, hidden, &optimizer)
        });
    }
}

#[test]
fn cnn_steps_allocate_nothing_after_the_first_batch() {
    for one_d in [false, true] {
        assert_step_allocation_free(&format!("cnn (1-D: {one_d})"), |rows| {
            let mut rng = shrink::rng::Rng::new(rows as u64);
            let width = if one_d { 36 } else { 72 };
            let x = Array2::from_shape_fn((rows, width), |_| rng.uniform(-1.0, 1.0) as f32);
            let y = Array2::from_shape_fn((rows, 1), |(r, _)| (r % 2) as f32);
            let model = if one_d {
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
            allocations(model, Loss::BinaryCrossEntropy, &OptimizerConfig::adam(), &x, &y)
        });
    }
}

#[test]
fn lstm_steps_allocate_nothing_after_the_first_batch() {
    assert_step_allocation_free("stacked LSTM", |rows| {
        let (steps, features) = (7, 3);
        let x = Array2::from_shape_fn((rows, steps * features), |(r, c)| ((r * 31 + c * 7) % 13) as f32 / 13.0);
        let y = Array2::from_shape_fn((rows, 1), |(r, _)| (r % 5) as f32 / 5.0);
        let model = Model::<f32>::builder(&[steps, features])
            .layer(Lstm::new(16).return_sequences(true).recurrent_penalty(Penalty::l1_l2(1e-4, 1e-3).unwrap()))
            .layer(Lstm::new(8).kernel_penalty(Penalty::l2(1e-3).unwrap()))
            .layer(Dense::new(1))
            .build(0)
            .unwrap();
        allocations(model, Loss::MeanSquaredError, &OptimizerConfig::adam(), &x, &y)
    });
}

#[test]
fn proximal_and_decoupled_steps_allocate_nothing_after_the_first_batch() {
    let prox = Penalty::l1(1e-3).unwrap().with_group(1e-3, shrink::prox::Groups::Rows).unwrap();
    let prox = prox.with_mode(PenaltyMode::Proximal).unwrap();
    let decoupled = Penalty::l2(1e-3).unwrap().with_mode(PenaltyMode::Decoupled).unwrap();
    for optimizer in [
        OptimizerConfig::adam(),
        OptimizerConfig::Sgd { lr: 0.01, momentum: 0.9, nesterov: false },
        OptimizerConfig::RmsProp { lr: 0.001, rho: 0.9, momentum: 0.0, epsilon: 1e-7 },
    ] {
        assert_step_allocation_free(&format!("proximal dense, {optimizer:?}"), |rows| {
            let hidden = [
                Dense::new(32).activation(Activation::Relu).kernel_penalty(prox.clone()),
                Dense::new(8).activation(Activation::Tanh).kernel_penalty(decoupled.clone()),
            ];
            moons_allocations(rows, hidden, &optimizer)
        });
        // Row factors are applied row by row without cloning them.
        assert_step_allocation_free(&format!("row-factor dense, {optimizer:?}"), |rows| {
            let hidden = [
                Dense::new(32)
                    .activation(Activation::Relu)
                    .kernel_penalty(prox.clone())
                    .kernel_row_factors(vec![1.0, 0.5]),
                Dense::new(8).activation(Activation::Tanh).kernel_penalty(decoupled.clone()),
            ];
            moons_allocations(rows, hidden, &optimizer)
        });
    }
}

#[test]
fn activity_penalty_steps_allocate_nothing_after_the_first_batch() {
    assert_step_allocation_free("dense with activity penalties", |rows| {
        let hidden = [
            Dense::new(32).activation(Activation::Relu).activity_penalty(Penalty::l1_l2(1e-4, 1e-3).unwrap()),
            Dense::new(8).activation(Activation::Tanh).activity_penalty(Penalty::l2(1e-3).unwrap()),
        ];
        moons_allocations(rows, hidden, &OptimizerConfig::adam())
    });
}

#[test]
fn steps_checking_an_interrupt_allocate_nothing_after_the_first_batch() {
    let interrupt = shrink::train::Interrupt::new();
    assert_step_allocation_free("dense with an interrupt token", |rows| {
        let (x, y) = moons(rows);
        let mut model = Model::<f32>::builder(&[2])
            .layer(Dense::new(32).activation(Activation::Relu))
            .layer(Dense::new(1).activation(Activation::Sigmoid))
            .build(0)
            .unwrap();
        let mut trainer = Trainer::new(Loss::BinaryCrossEntropy, &OptimizerConfig::adam(), &[]).unwrap();
        trainer.set_interrupt(Some(interrupt.clone()));
        fit_allocations(&mut model, trainer, &x, &y)
    });
}

#[test]
fn micro_batch_steps_allocate_nothing_after_the_first_batch() {
    // 3 micro-batches of a batch of 8 (3, 3, 2 rows), and of the ragged last batch.
    let config = FitConfig { epochs: 1, batch_size: 8, micro_batches: 3, ..FitConfig::default() };
    assert_step_allocation_free("dense in micro-batches", |rows| {
        let (x, y) = moons(rows);
        let mut model = Model::<f32>::builder(&[2])
            .layer(Dense::new(32).activation(Activation::Relu).kernel_penalty("l1:1e-3@proximal".parse().unwrap()))
            .layer(Dense::new(1).activation(Activation::Sigmoid))
            .build(0)
            .unwrap();
        let trainer = Trainer::new(Loss::BinaryCrossEntropy, &OptimizerConfig::adam(), &[Metric::Accuracy]).unwrap();
        fit_allocations_with(&mut model, trainer, &x, &y, &config)
    });
}
