//! Renders one chart of each kind with made-up but realistic numbers, for eyeballing the
//! layout: `cargo run -p shrink-report --example demo -- /tmp/report-demo`.

use std::path::PathBuf;

use shrink_report::{
    format_mean_sd, write_box_chart, write_histogram_chart, write_line_chart, BoxChart, HistogramChart, LineChart,
    ReportError, Series, Table,
};

fn main() -> Result<(), ReportError> {
    let dir = PathBuf::from(std::env::args().nth(1).unwrap_or_else(|| "/tmp/report-demo".into()));

    let epochs: Vec<f64> = (1..=4000).map(f64::from).collect();
    let wobble = |e: f64| 0.004 * (e * 0.37).sin() * (-e / 800.0).exp();
    let train = epochs.iter().map(|&e| 1.0 - 0.55 * (-e / 300.0).exp() + wobble(e).min(0.0)).collect();
    let test = epochs.iter().map(|&e| 0.88 - 0.45 * (-e / 250.0).exp() - 8e-6 * e + wobble(e + 1.0)).collect();
    let curve = LineChart::new("Learning curve, no penalty", "epoch", "accuracy")
        .series(Series::new("train", epochs.clone(), train))
        .series(Series::new("test", epochs, test));
    print_paths(write_line_chart(&curve, &dir.join("learning-curve"))?);

    let alphas = vec![1e-6, 1e-5, 1e-4, 1e-3, 1e-2, 1e-1];
    let sweep = LineChart::new("Test accuracy vs penalty strength", "alpha", "test accuracy")
        .log_x(true)
        .series(
            Series::new("L2", alphas.clone(), vec![0.912, 0.914, 0.921, 0.932, 0.905, 0.71])
                .with_err(vec![0.010, 0.011, 0.008, 0.006, 0.015, 0.04]),
        )
        .series(
            Series::new("L1", alphas.clone(), vec![0.910, 0.915, 0.925, 0.918, 0.80, 0.42])
                .with_err(vec![0.011, 0.010, 0.009, 0.012, 0.03, 0.06]),
        )
        .series(Series::new("no penalty", vec![1e-6, 1e-1], vec![0.911, 0.911]));
    print_paths(write_line_chart(&sweep, &dir.join("alpha-sweep"))?);

    let boxes = BoxChart::new("Test accuracy over 10 seeds", "test accuracy")
        .group("none", vec![0.90, 0.91, 0.905, 0.915, 0.92, 0.908, 0.912, 0.902, 0.918, 0.84])
        .group("L2 1e-3", vec![0.93, 0.935, 0.94, 0.925, 0.932, 0.928, 0.936, 0.931, 0.929, 0.934])
        .group("L1 1e-4", vec![0.92, 0.915, 0.925, 0.918, 0.93, 0.91, 0.922, 0.917, 0.924, 0.921]);
    print_paths(write_box_chart(&boxes, &dir.join("seeds-box"))?);

    let layer = |n: usize, scale: f64| -> Vec<f64> {
        (0..n).map(|i| scale * ((i as f64 * 0.618_034).fract() * 2.0 - 1.0).powi(3)).collect()
    };
    let hist = HistogramChart::new("Weights after training", "weight", 60)
        .group("hidden (L2)", layer(78_400, 0.25))
        .group("output (L2)", layer(1_000, 0.6));
    print_paths(write_histogram_chart(&hist, &dir.join("weights-hist"))?);

    let mut table = Table::new(["penalty", "alpha", "test acc"]);
    table.push_row(["none", "0", &format_mean_sd(0.9121, 0.0103, 3)]);
    table.push_row(["L2", "1e-3", &format_mean_sd(0.932, 0.006, 3)]);
    print!("{table}\n{}", table.to_markdown());
    Ok(())
}

fn print_paths(paths: Vec<PathBuf>) {
    for p in paths {
        println!("{}", p.display());
    }
}
