//! Quick timing of a small CNN step: 28×28×1 inputs, batch 64,
//! Conv2D(32, 3×3, relu) → MaxPool 2 → Conv2D(64, 3×3, relu) → MaxPool 2 → Flatten →
//! Dense(10, softmax), categorical cross-entropy, Adam, random inputs.
//!
//! `cargo run --release -p shrink --example cnn_timing [steps] [--layers]` (`--layers` adds a
//! per-layer breakdown of one thread's forward and backward).
use ndarray::Array2;
use shrink::loss::Loss;
use shrink::nn::{Activation, Conv2D, Dense, Flatten, MaxPooling2D, Model};
use shrink::optim::OptimizerConfig;
use shrink::rng::Rng;
use shrink::train::{FitConfig, Trainer};
use shrink::Parallelism;
use std::time::Instant;

fn main() {
    let steps: usize = std::env::args().nth(1).and_then(|s| s.parse().ok()).filter(|&s| s > 0).unwrap_or(20);
    let batch = 64;
    let n = batch * steps;
    let mut rng = Rng::new(1);
    let x = Array2::from_shape_fn((n, 28 * 28), |_| rng.next_f64() as f32);
    let y = Array2::from_shape_fn((n, 10), |(r, c)| f32::from(r % 10 == c));
    if std::env::args().any(|a| a == "--layers") {
        layer_breakdown(x.as_slice().unwrap(), batch);
    }
    for threads in [1, 2] {
        let mut model = cnn();
        let mut trainer = Trainer::new(Loss::CategoricalCrossEntropy, &OptimizerConfig::adam(), &[]).unwrap();
        let warm = FitConfig { epochs: 1, batch_size: batch, threads, ..FitConfig::default() };
        let (wx, wy) = (x.slice(ndarray::s![..batch * 3, ..]), y.slice(ndarray::s![..batch * 3, ..]));
        trainer.fit(&mut model, wx, wy, None, &warm, None).unwrap();
        // The machine may be shared: report the best of several rounds (and the median).
        let mut rounds: Vec<f64> = (0..5)
            .map(|_| {
                let t = Instant::now();
                trainer.fit(&mut model, x.view(), y.view(), None, &warm, None).unwrap();
                t.elapsed().as_secs_f64() / steps as f64
            })
            .collect();
        rounds.sort_by(f64::total_cmp);
        let (per_step, median) = (rounds[0], rounds[2]);
        let gflop = 2.0 * 3.0 * model.forward_macs() as f64 * batch as f64 / 1e9; // ≈ fwd + 2 bwd
        println!(
            "threads {threads}: {:.2} ms/step best of 5 rounds (median {:.2}; {:.1} GFLOP/s, ≈{:.2} GFLOP/step)",
            per_step * 1e3,
            median * 1e3,
            gflop / per_step,
            gflop
        );
    }
}

fn cnn() -> Model<f32> {
    Model::<f32>::builder(&[28, 28, 1])
        .layer(Conv2D::new(32, (3, 3)).activation(Activation::Relu))
        .layer(MaxPooling2D::new((2, 2)))
        .layer(Conv2D::new(64, (3, 3)).activation(Activation::Relu))
        .layer(MaxPooling2D::new((2, 2)))
        .layer(Flatten::new())
        .layer(Dense::new(10).activation(Activation::Softmax))
        .build(0)
        .unwrap()
}

/// Milliseconds per call (best of 20) of each layer's forward and backward, one thread.
fn layer_breakdown(x: &[f32], batch: usize) {
    let mut model = cnn();
    let reps = 20;
    let layers = model.layers().len();
    let (mut fwd, mut bwd) = (vec![f64::INFINITY; layers], vec![f64::INFINITY; layers]);
    for rep in 0..=reps {
        for i in 0..layers {
            let (before, rest) = model.layers_mut().split_at_mut(i);
            let input = if i == 0 { x } else { before[i - 1].output() };
            let t = Instant::now();
            rest[0].forward(input, batch, true, Parallelism::Sequential);
            if rep > 0 {
                fwd[i] = fwd[i].min(t.elapsed().as_secs_f64());
            }
        }
        let out = model.output_size();
        let grad = vec![0.01f32; batch * out];
        for i in (0..layers).rev() {
            let (before, rest) = model.layers_mut().split_at_mut(i);
            let (current, after) = rest.split_first_mut().unwrap();
            let input = if i == 0 { x } else { before[i - 1].output() };
            let g = if after.is_empty() { &grad[..] } else { after[0].input_grad() };
            let t = Instant::now();
            current.backward(input, g, batch, i > 0, Parallelism::Sequential);
            if rep > 0 {
                bwd[i] = bwd[i].min(t.elapsed().as_secs_f64());
            }
        }
    }
    for (i, layer) in model.layers().iter().enumerate() {
        let ms = |s: f64| s * 1e3;
        println!("  {:<16} forward {:6.2} ms  backward {:6.2} ms", layer.name(), ms(fwd[i]), ms(bwd[i]));
    }
}
