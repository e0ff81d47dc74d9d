//! Quick timing of the GEMM-bound MLP step (the `shrink bench` command is the real benchmark).
use shrink::loss::Loss;
use shrink::nn::{Activation, Dense, Model};
use shrink::optim::OptimizerConfig;
use shrink::train::{FitConfig, Trainer};

fn main() {
    let threads: usize = std::env::args().nth(1).and_then(|a| a.parse().ok()).unwrap_or(1);
    let mut rng = shrink::rng::Rng::new(7);
    let x = ndarray::Array2::from_shape_fn((128, 784), |_| rng.next_f64() as f32);
    let y = ndarray::Array2::from_shape_fn((128, 10), |(r, c)| f32::from(u8::from(r % 10 == c)));
    let mut model = Model::<f32>::builder(&[784])
        .layer(Dense::new(512).activation(Activation::Relu))
        .layer(Dense::new(512).activation(Activation::Relu))
        .layer(Dense::new(10).activation(Activation::Softmax))
        .build(0)
        .unwrap();
    let mut trainer = Trainer::new(Loss::CategoricalCrossEntropy, &OptimizerConfig::adam(), &[]).unwrap();
    let config = FitConfig { epochs: 5, batch_size: 128, threads, ..Default::default() };
    trainer.fit(&mut model, x.view(), y.view(), None, &config, None).unwrap();
    let t = std::time::Instant::now();
    trainer.fit(&mut model, x.view(), y.view(), None, &FitConfig { epochs: 100, ..config }, None).unwrap();
    println!("{threads} threads: {:.2} ms/step", t.elapsed().as_secs_f64() * 1e3 / 100.0);
}
