//! Time of one training step of LSTM(64) over 50 steps of 1 input, batch 32 → Dense(1), MSE,
//! Adam, on random data, at 1 and 2 threads. (PyTorch: ≈3.1 ms per step on the same shape.)
//!
//! `cargo run -p shrink --release --example lstm_timing [steps] [threads…]` (default 200, 1 2)
use shrink::loss::Loss;
use shrink::nn::{Dense, Lstm, Model};
use shrink::optim::OptimizerConfig;
use shrink::rng::Rng;
use shrink::train::{FitConfig, Trainer};

fn main() {
    let (timesteps, batch, units) = (50, 32, 64);
    let steps: usize = std::env::args().nth(1).and_then(|s| s.parse().ok()).unwrap_or(200);
    let mut rng = Rng::new(0);
    let x = ndarray::Array2::from_shape_fn((batch, timesteps), |_| rng.uniform(-1.0, 1.0) as f32);
    let y = ndarray::Array2::from_shape_fn((batch, 1), |_| rng.uniform(-1.0, 1.0) as f32);
    let mut threads: Vec<usize> = std::env::args().skip(2).filter_map(|s| s.parse().ok()).collect();
    if threads.is_empty() {
        threads = vec![1, 2];
    }
    for threads in threads {
        let mut model =
            Model::<f32>::builder(&[timesteps, 1]).layer(Lstm::new(units)).layer(Dense::new(1)).build(0).unwrap();
        let mut trainer = Trainer::new(Loss::MeanSquaredError, &OptimizerConfig::adam(), &[]).unwrap();
        // One batch per epoch: every epoch is exactly one step.
        let warm = FitConfig { epochs: 10, batch_size: batch, threads, ..FitConfig::default() };
        trainer.fit(&mut model, x.view(), y.view(), None, &warm, None).unwrap();
        let config = FitConfig { epochs: steps, ..warm };
        let t = std::time::Instant::now();
        trainer.fit(&mut model, x.view(), y.view(), None, &config, None).unwrap();
        let ms = t.elapsed().as_secs_f64() * 1e3 / steps as f64;
        println!("threads {threads}: {ms:.3} ms/step ({steps} steps)");
    }
}
