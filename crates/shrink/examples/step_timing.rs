//! Quick timing of the case-study step (the `shrink bench` command is the real benchmark).
use shrink::loss::Loss;
use shrink::nn::{Activation, Dense, Model};
use shrink::optim::OptimizerConfig;
use shrink::train::{FitConfig, Trainer};
use shrink::Penalty;

fn main() {
    let ds = shrink::data::moons(100, 0.2, 1).unwrap();
    let x = ds.x.slice(ndarray::s![..30, ..]).mapv(|v| v as f32);
    let y = ds.y.slice(ndarray::s![..30]).mapv(|v| v as f32).insert_axis(ndarray::Axis(1));
    let mut model = Model::<f32>::builder(&[2])
        .layer(Dense::new(500).activation(Activation::Relu).kernel_penalty(Penalty::l2(0.001).unwrap()))
        .layer(Dense::new(1).activation(Activation::Sigmoid))
        .build(0)
        .unwrap();
    let mut trainer = Trainer::new(Loss::BinaryCrossEntropy, &OptimizerConfig::adam(), &[]).unwrap();
    let t = std::time::Instant::now();
    trainer.fit(&mut model, x.view(), y.view(), None, &FitConfig { epochs: 4000, ..Default::default() }, None).unwrap();
    let e = t.elapsed();
    println!("{:.2} us/step", e.as_secs_f64() * 1e6 / 4000.0);
}
