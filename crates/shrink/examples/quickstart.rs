//! The README's library example: an L2-penalized MLP on two moons.
use shrink::loss::Loss;
use shrink::metrics::Metric;
use shrink::nn::{Activation, Dense, Model};
use shrink::optim::OptimizerConfig;
use shrink::train::{FitConfig, Trainer};
use shrink::weights::weight_report;
use shrink::Penalty;

fn main() -> Result<(), shrink::Error> {
    // scikit-learn's make_moons(100, noise=0.2, random_state=1), bit for bit.
    let data = shrink::data::moons(100, 0.2, 1)?;
    let (train, test) = shrink::data::split_at(&data, 30)?;
    let f32_xy =
        |d: &shrink::data::Dataset| (d.x.mapv(|v| v as f32), d.y.mapv(|v| v as f32).insert_axis(ndarray::Axis(1)));
    let ((x, y), (x_test, y_test)) = (f32_xy(&train), f32_xy(&test));

    let mut model = Model::<f32>::builder(&[2])
        .layer(Dense::new(500).activation(Activation::Relu).kernel_penalty(Penalty::l2(0.001)?))
        .layer(Dense::new(1).activation(Activation::Sigmoid))
        .build(0)?;
    let mut trainer = Trainer::new(Loss::BinaryCrossEntropy, &OptimizerConfig::adam(), &[Metric::Accuracy])?;
    let config = FitConfig { epochs: 4000, batch_size: 32, seed: 0, ..FitConfig::default() };
    let history = trainer.fit(&mut model, x.view(), y.view(), Some((x_test.view(), y_test.view())), &config, None)?;

    let last = history.epochs.last().expect("4000 epochs ran");
    let test = last.validation.as_ref().expect("validation data was given");
    println!(
        "train loss {:.4} (data {:.4} + penalty {:.4})",
        last.train.loss, last.train.data_loss, last.train.penalty
    );
    println!("test accuracy {:.3}", test.metrics[0]);
    for w in weight_report(&model) {
        println!("{:<16} L2 {:>7.3}  max|w| {:.3}  zeros {}", w.name, w.l2, w.max_abs, w.zeros);
    }
    Ok(())
}
