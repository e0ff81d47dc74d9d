//! `shrink bench`: speed of a training step, measured against a baseline run in the same
//! process, so the figures are ratios that survive a change of machine.
//!
//! The baseline is the straightforward ndarray program a newcomer would write: every product
//! through `Array::dot` (matrixmultiply) and every element-wise operation allocating a fresh
//! array, with the same Adam and the same penalty.

use anyhow::Result;
use ndarray::{Array1, Array2, Axis};
use shrink::case_study::{self, CaseStudyConfig};
use shrink::loss::Loss;
use shrink::nn::{Activation, Conv2D, Dense, Flatten, Lstm, MaxPooling2D, Model};
use shrink::optim::OptimizerConfig;
use shrink::rng::Rng;
use shrink::train::{FitConfig, Trainer};
use shrink::Penalty;
use shrink_report::Table;
use std::time::Instant;

#[derive(clap::Args)]
pub struct Args {
    /// Fewer steps and a shortened case study: a smoke run of a few seconds, not a measurement.
    #[arg(long)]
    quick: bool,
    /// Skip the whole-case-study timing.
    #[arg(long)]
    no_case_study: bool,
    /// Time the alpha search instead: trials per second on 1 and 2 threads, warm path vs cold grid.
    #[arg(long)]
    search: bool,
}

/// FLOPs of one training step of an MLP: forward, kernel gradients, and input gradients of all
/// layers but the first (which needs none).
fn step_flops(sizes: &[usize], batch: usize) -> f64 {
    let macs: Vec<usize> = sizes.windows(2).map(|w| w[0] * w[1]).collect();
    let total: usize = macs.iter().sum();
    2.0 * batch as f64 * (2 * total + (total - macs[0])) as f64
}

struct Row {
    name: String,
    per_step_s: f64,
    flops: f64,
    baseline_s: Option<f64>,
}

impl Row {
    /// Times `steps` training steps of `model` on `(x, y, batch)`; a forward and backward pass
    /// count as 6 flops per multiply-accumulate of the forward pass.
    fn timed(
        name: String,
        model: Model<f32>,
        (x, y, batch): (&Array2<f32>, &Array2<f32>, usize),
        steps: usize,
        threads: usize,
        loss: Loss,
    ) -> Result<Row> {
        let flops = 6.0 * model.forward_macs() as f64 * batch as f64;
        let per_step_s = time_fit(model, x, y, batch, steps, threads, loss)?;
        Ok(Row { name, per_step_s, flops, baseline_s: None })
    }
}

pub fn run(args: Args) -> Result<()> {
    if args.search {
        return crate::cmd::bench_search::run(args.quick);
    }
    let mut rows = Vec::new();
    let steps = if args.quick { 300 } else { 4000 };

    // 1. The case-study step: 2→500 relu→1 sigmoid, batch 30, Adam, L2(1e-3) on the hidden kernel.
    let data = case_study::reference_data()?;
    let sizes = [2, 500, 1];
    let shrink_s = time_fit(build(&sizes)?, &data.x_train, &data.y_train, 30, steps, 1, Loss::BinaryCrossEntropy)?;
    let base_s = time_baseline(&sizes, &data.x_train, &data.y_train, steps)?;
    rows.push(Row {
        name: "case-study step 2→500→1, batch 30 (1 thread)".into(),
        per_step_s: shrink_s,
        flops: step_flops(&sizes, 30),
        baseline_s: Some(base_s),
    });

    // 2. The GEMM-bound MLP: 784→512→512→10 softmax, batch 128, Adam.
    let sizes = [784, 512, 512, 10];
    let mut rng = Rng::new(7);
    let x = Array2::from_shape_fn((128, 784), |_| rng.next_f64() as f32);
    let y = Array2::from_shape_fn((128, 10), |(r, c)| f32::from(u8::from(r % 10 == c)));
    let gemm_steps = if args.quick { 5 } else { 100 };
    let base = time_baseline(&sizes, &x, &y, gemm_steps)?;
    for threads in [1, 2] {
        let s = time_fit(build(&sizes)?, &x, &y, 128, gemm_steps, threads, Loss::CategoricalCrossEntropy)?;
        rows.push(Row {
            name: format!("MLP 784→512→512→10, batch 128 ({threads} thread{})", if threads > 1 { "s" } else { "" }),
            per_step_s: s,
            flops: step_flops(&sizes, 128),
            baseline_s: Some(base),
        });
    }

    // 3. A CNN and an LSTM, shapes of the PyTorch reference figures in the README.
    let mut rng = Rng::new(3);
    let conv_steps = if args.quick { 2 } else { 20 };
    let x = Array2::from_shape_fn((64 * conv_steps, 784), |_| rng.next_f64() as f32);
    let y = Array2::from_shape_fn((64 * conv_steps, 10), |(r, c)| f32::from(u8::from(r % 10 == c)));
    for threads in [1, 2] {
        let cnn = Model::<f32>::builder(&[28, 28, 1])
            .layer(Conv2D::new(32, (3, 3)).activation(Activation::Relu))
            .layer(MaxPooling2D::new((2, 2)))
            .layer(Conv2D::new(64, (3, 3)).activation(Activation::Relu))
            .layer(MaxPooling2D::new((2, 2)))
            .layer(Flatten::new())
            .layer(Dense::new(10).activation(Activation::Softmax))
            .build(0)?;
        let name = format!("CNN 28×28 conv32-pool-conv64-pool-dense10, batch 64 ({threads} thr.)");
        rows.push(Row::timed(name, cnn, (&x, &y, 64), conv_steps, threads, Loss::CategoricalCrossEntropy)?);
    }
    let lstm_steps = if args.quick { 5 } else { 200 };
    let x = Array2::from_shape_fn((32, 50), |_| rng.uniform(-1.0, 1.0) as f32);
    let y = Array2::from_shape_fn((32, 1), |_| rng.uniform(-1.0, 1.0) as f32);
    for threads in [1, 2] {
        let lstm = Model::<f32>::builder(&[50, 1]).layer(Lstm::new(64)).layer(Dense::new(1)).build(0)?;
        let name = format!("LSTM(64) over 50 steps, batch 32 ({threads} thr.)");
        rows.push(Row::timed(name, lstm, (&x, &y, 32), lstm_steps, threads, Loss::MeanSquaredError)?);
    }

    let mut table = Table::new(["benchmark", "shrink", "GFLOP/s", "baseline", "speed-up"]);
    for r in &rows {
        table.push_row([
            r.name.clone(),
            per_step(r.per_step_s),
            format!("{:.2}", r.flops / r.per_step_s / 1e9),
            r.baseline_s.map_or("-".into(), per_step),
            r.baseline_s.map_or("-".into(), |b| format!("{:.2}×", b / r.per_step_s)),
        ]);
    }
    crate::print(&format!(
        "{table}\nbaseline: ndarray with an allocating op per step (Array::dot through matrixmultiply), 1 thread;\nGFLOP/s of the CNN and LSTM rows count 3× their forward multiply-adds\n"
    ))?;

    if !args.no_case_study {
        let config = CaseStudyConfig { epochs: if args.quick { 100 } else { 4000 }, ..CaseStudyConfig::default() };
        let one = CaseStudyConfig { threads: 1, ..config.clone() };
        let t1 = case_study::run(&one, &data, &|_, _| {})?;
        let tn = case_study::run(&config, &data, &|_, _| {})?;
        crate::print(&format!(
            "case study ({} fits × {} epochs): {:.2} s on 1 thread, {:.2} s on {} threads ({:.2}× from threads)\n",
            tn.trained,
            config.epochs,
            t1.total_seconds,
            tn.total_seconds,
            config.threads,
            t1.total_seconds / tn.total_seconds
        ))?;
    }
    Ok(())
}

fn per_step(seconds: f64) -> String {
    if seconds < 1e-3 {
        format!("{:.1} µs/step", seconds * 1e6)
    } else {
        format!("{:.2} ms/step", seconds * 1e3)
    }
}

fn build(sizes: &[usize]) -> Result<Model<f32>> {
    let mut builder = Model::builder(&[sizes[0]]);
    let last = sizes.len() - 2;
    for (i, w) in sizes.windows(2).enumerate() {
        let activation = match (i == last, w[1]) {
            (false, _) => Activation::Relu,
            (true, 1) => Activation::Sigmoid,
            (true, _) => Activation::Softmax,
        };
        let mut layer = Dense::new(w[1]).activation(activation);
        if i == 0 {
            layer = layer.kernel_penalty(Penalty::l2(1e-3)?);
        }
        builder = builder.layer(layer);
    }
    Ok(builder.build(0)?)
}

/// Seconds per training step of `model` (Adam), after a warm-up epoch.
fn time_fit(
    mut model: Model<f32>,
    x: &Array2<f32>,
    y: &Array2<f32>,
    batch: usize,
    steps: usize,
    threads: usize,
    loss: Loss,
) -> Result<f64> {
    let mut trainer = Trainer::new(loss, &OptimizerConfig::adam(), &[])?;
    let steps_per_epoch = x.nrows().div_ceil(batch);
    let epochs = steps.div_ceil(steps_per_epoch);
    let config = FitConfig { epochs: 1, batch_size: batch, threads, ..FitConfig::default() };
    trainer.fit(&mut model, x.view(), y.view(), None, &config, None)?; // warm-up: buffers, pool
    let start = Instant::now();
    trainer.fit(&mut model, x.view(), y.view(), None, &FitConfig { epochs, ..config }, None)?;
    Ok(start.elapsed().as_secs_f64() / (epochs * steps_per_epoch) as f64)
}

/// The per-op ndarray program: same network, loss, Adam and penalty; full-batch steps.
fn time_baseline(sizes: &[usize], x: &Array2<f32>, y: &Array2<f32>, steps: usize) -> Result<f64> {
    let mut rng = Rng::new(0);
    let mut ws: Vec<Array2<f32>> = sizes
        .windows(2)
        .map(|w| {
            let limit = (6.0 / (w[0] + w[1]) as f64).sqrt();
            Array2::from_shape_fn((w[0], w[1]), |_| rng.uniform(-limit, limit) as f32)
        })
        .collect();
    let mut bs: Vec<Array1<f32>> = sizes[1..].iter().map(|&n| Array1::zeros(n)).collect();
    let mut mw: Vec<Array2<f32>> = ws.iter().map(|w| Array2::zeros(w.raw_dim())).collect();
    let mut vw = mw.clone();
    let mut mb: Vec<Array1<f32>> = bs.iter().map(|b| Array1::zeros(b.raw_dim())).collect();
    let mut vb = mb.clone();
    let n = x.nrows() as f32;
    let start = Instant::now();
    for t in 1..=steps {
        let mut acts = vec![x.clone()];
        for (i, (w, b)) in ws.iter().zip(&bs).enumerate() {
            let z = acts[i].dot(w) + b;
            let a = if i + 1 < ws.len() {
                z.mapv(|v| v.max(0.0))
            } else if z.ncols() == 1 {
                z.mapv(|v| 1.0 / (1.0 + (-v).exp()))
            } else {
                let max = z.map_axis(Axis(1), |r| r.fold(f32::MIN, |m, &v| m.max(v)));
                let e = (&z - &max.insert_axis(Axis(1))).mapv(f32::exp);
                let s = e.sum_axis(Axis(1)).insert_axis(Axis(1));
                e / s
            };
            acts.push(a);
        }
        // Sigmoid + BCE and softmax + CE share dL/dz = (p − y)/n.
        let mut dz = (&acts[ws.len()] - y) / n;
        for i in (0..ws.len()).rev() {
            let mut gw = acts[i].t().dot(&dz);
            if i == 0 {
                gw = gw + &ws[0] * 2e-3;
            }
            let gb = dz.sum_axis(Axis(0));
            if i > 0 {
                let mask = acts[i].mapv(|v| if v > 0.0 { 1.0 } else { 0.0 });
                dz = dz.dot(&ws[i].t()) * mask;
            }
            let alpha = 1e-3 * (1.0 - 0.999f32.powi(t as i32)).sqrt() / (1.0 - 0.9f32.powi(t as i32));
            mw[i] = &mw[i] * 0.9 + &gw * 0.1;
            vw[i] = &vw[i] * 0.999 + &(&gw * &gw) * 0.001;
            ws[i] = &ws[i] - &(&mw[i] * alpha / (vw[i].mapv(f32::sqrt) + 1e-7));
            mb[i] = &mb[i] * 0.9 + &gb * 0.1;
            vb[i] = &vb[i] * 0.999 + &(&gb * &gb) * 0.001;
            bs[i] = &bs[i] - &(&mb[i] * alpha / (vb[i].mapv(f32::sqrt) + 1e-7));
        }
    }
    Ok(start.elapsed().as_secs_f64() / steps as f64)
}
