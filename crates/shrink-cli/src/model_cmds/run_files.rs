//! The files a training run writes beside its model: history, weights and learning curves.

use anyhow::Result;
use shrink::nn::Model;
use shrink::schedule::ScheduleRecord;
use shrink::train::History;
use shrink::weights::weight_report;
use shrink_report::{write_line_chart, LineChart, Series, Table};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

pub(super) fn history_csv(history: &History, schedule: &[ScheduleRecord], scheduled: &[String]) -> String {
    let mut head = vec!["epoch".to_string(), "loss".into(), "data_loss".into(), "penalty".into()];
    head.extend(history.metric_names.iter().cloned());
    let has_val = history.epochs.first().is_some_and(|e| e.validation.is_some());
    if has_val {
        head.extend(["val_loss".into(), "val_data_loss".into(), "val_penalty".into()]);
        head.extend(history.metric_names.iter().map(|m| format!("val_{m}")));
    }
    if !schedule.is_empty() {
        head.push("alpha".into());
        head.extend(scheduled.iter().map(|p| format!("{p}_l2")));
    }
    let mut out = head.join(",") + "\n";
    for (i, e) in history.epochs.iter().enumerate() {
        let mut row = vec![
            e.epoch.to_string(),
            e.train.loss.to_string(),
            e.train.data_loss.to_string(),
            e.train.penalty.to_string(),
        ];
        row.extend(e.train.metrics.iter().map(f64::to_string));
        if let Some(v) = &e.validation {
            row.extend([v.loss.to_string(), v.data_loss.to_string(), v.penalty.to_string()]);
            row.extend(v.metrics.iter().map(f64::to_string));
        }
        if let Some(s) = schedule.get(i) {
            row.push(s.alpha.to_string());
            row.extend(s.norms.iter().map(f64::to_string));
        }
        out += &(row.join(",") + "\n");
    }
    out
}

pub(super) fn write_learning_curves(history: &History, out: &Path) -> Result<Vec<PathBuf>> {
    let epochs: Vec<f64> = history.epochs.iter().map(|e| e.epoch as f64).collect();
    if epochs.is_empty() {
        return Ok(Vec::new());
    }
    let mut files = Vec::new();
    let mut loss = LineChart::new("Loss (data + penalty)", "epoch", "loss").series(Series::new(
        "train",
        epochs.clone(),
        history.epochs.iter().map(|e| e.train.loss).collect(),
    ));
    if history.epochs[0].validation.is_some() {
        loss = loss.series(Series::new(
            "validation",
            epochs.clone(),
            history.epochs.iter().filter_map(|e| e.validation.as_ref().map(|v| v.loss)).collect(),
        ));
    }
    files.extend(write_line_chart(&loss, &out.join("learning_curves_loss"))?);
    for (i, name) in history.metric_names.iter().enumerate() {
        let mut chart = LineChart::new(format!("Learning curves: {name}"), "epoch", name.clone()).series(Series::new(
            "train",
            epochs.clone(),
            history.epochs.iter().map(|e| e.train.metrics[i]).collect(),
        ));
        if history.epochs[0].validation.is_some() {
            chart = chart.series(Series::new(
                "validation",
                epochs.clone(),
                history.epochs.iter().filter_map(|e| e.validation.as_ref().map(|v| v.metrics[i])).collect(),
            ));
        }
        files.extend(write_line_chart(&chart, &out.join(format!("learning_curves_{name}")))?);
    }
    Ok(files)
}

pub(super) fn weights_table(model: &Model<f32>) -> Table {
    let mut table =
        Table::new(["parameter", "shape", "penalty", "L1", "L2", "max |w|", "zeros", "inputs used", "dead units"]);
    let count = |v: Option<usize>| v.map_or(String::from("-"), |v| v.to_string());
    for (w, (_, p)) in weight_report(model).iter().zip(model.params()) {
        table.push_row([
            w.name.clone(),
            format!("{:?}", w.shape),
            p.penalty.map_or("none".to_string(), |p| p.to_string()),
            format!("{:.4}", w.l1),
            format!("{:.4}", w.l2),
            format!("{:.4}", w.max_abs),
            format!("{} ({:.1}%)", w.zeros, 100.0 * w.zero_fraction),
            count(w.selected_features),
            count(w.dead_units),
        ]);
    }
    table
}

pub(super) fn weights_csv(model: &Model<f32>) -> String {
    let mut out =
        String::from(
        "parameter,layer,role,shape,count,l1,l2,max_abs,zeros,zero_fraction,penalty_l1,penalty_l2,selected_features,dead_units\n",
    );
    for (w, (_, p)) in weight_report(model).iter().zip(model.params()) {
        let pen = p.penalty_or_none();
        let shape = w.shape.iter().map(usize::to_string).collect::<Vec<_>>().join("x");
        let _ = writeln!(
            out,
            "{},{},{},{shape},{},{},{},{},{},{},{},{},{},{}",
            w.name,
            w.layer,
            w.role,
            w.count,
            w.l1,
            w.l2,
            w.max_abs,
            w.zeros,
            w.zero_fraction,
            pen.l1_strength(),
            pen.l2_strength(),
            w.selected_features.map_or(String::new(), |v| v.to_string()),
            w.dead_units.map_or(String::new(), |v| v.to_string())
        );
    }
    out
}
