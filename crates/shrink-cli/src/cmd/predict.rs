//! `shrink predict`: a saved model's outputs for each row of a table.

use crate::load::*;
use anyhow::{Context, Result};
use std::fmt::Write as _;
use std::path::PathBuf;

#[derive(clap::Args)]
pub(crate) struct PredictArgs {
    /// A model file.
    #[arg(long)]
    model: PathBuf,
    /// Rows to predict: a CSV holding the model's input columns, in any order (others are
    /// ignored).
    #[arg(long)]
    data: PathBuf,
    /// Write the predictions here instead of stdout.
    #[arg(long)]
    out: Option<PathBuf>,
    /// Replace an existing --out file.
    #[arg(long)]
    force: bool,
}

pub(crate) fn predict(args: PredictArgs) -> Result<()> {
    let (mut saved, _) = load_model(&args.model)?;
    if let Some(out) = &args.out {
        refuse_existing(out, args.force)?;
    }
    if saved.pipeline.series().is_some() {
        let (text, n) = crate::cmd::series::predict_csv(&mut saved, &args.data)?;
        return match &args.out {
            Some(out) => {
                shrink::files::write_atomic(out, text.as_bytes())?;
                eprintln!("wrote {n} forecasts to {}", out.display());
                Ok(())
            }
            None => crate::print(&text),
        };
    }
    let rows = crate::tables::read_rows(&saved.pipeline, &args.data, None)?;
    let x = saved.pipeline.scale_inputs(rows.x.view())?.mapv(|v| v as f32);
    let pred = saved.model.predict(x.view(), 256).with_context(|| format!("{}", args.data.display()))?;
    let target = saved.pipeline.target();
    let columns = output_columns(&saved.pipeline.input_columns(), target.name(), target.classes(), pred.ncols());
    let mut text = columns.join(",") + "\n";
    match target.classes() {
        None => {
            let values = target.unscale(pred.column(0).mapv(f64::from).view())?;
            for v in values {
                let _ = writeln!(text, "{v}");
            }
        }
        Some(classes) => {
            for row in pred.rows() {
                let class = if row.len() == 1 {
                    usize::from(row[0] > 0.5)
                } else {
                    row.iter().enumerate().fold(0, |b, (i, v)| if *v > row[b] { i } else { b })
                };
                let values: Vec<String> = row.iter().map(|v| v.to_string()).collect();
                let _ = writeln!(text, "{},{}", values.join(","), csv_field(&classes[class]));
            }
        }
    }
    match &args.out {
        Some(out) => {
            shrink::files::write_atomic(out, text.as_bytes())?;
            eprintln!("wrote {} predictions to {}", pred.nrows(), out.display());
            Ok(())
        }
        None => crate::print(&text),
    }
}

/// A cell quoted when CSV needs it (a class name may hold a comma or a quote).
fn csv_field(text: &str) -> String {
    if text.contains([',', '"', '\n', '\r']) || text.trim() != text {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_owned()
    }
}

/// The header of the predictions, named after the target: `pred_<target>` (a regression value
/// or, for two classes, the probability of the second class) or `prob_<class>` per class; a
/// classifier adds the predicted class name (`pred_<target>` for several classes,
/// `class_<target>` for two). A name that an input column (or an earlier output) already has
/// gets `_2`, `_3`, … until it is free, so that joining predictions to the inputs is safe.
fn output_columns(inputs: &[String], target: &str, classes: Option<&[String]>, outputs: usize) -> Vec<String> {
    let wanted: Vec<String> = match classes {
        None => vec![format!("pred_{target}")],
        Some(_) if outputs == 1 => vec![format!("pred_{target}"), format!("class_{target}")],
        Some(classes) => classes.iter().map(|c| format!("prob_{c}")).chain([format!("pred_{target}")]).collect(),
    };
    let mut taken: std::collections::HashSet<String> = inputs.iter().cloned().collect();
    wanted
        .into_iter()
        .map(|name| {
            let mut candidate = name.clone();
            let mut n = 2;
            while taken.contains(&candidate) {
                candidate = format!("{name}_{n}");
                n += 1;
            }
            taken.insert(candidate.clone());
            csv_field(&candidate)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::output_columns;

    #[test]
    fn output_names_follow_the_target_and_avoid_inputs() {
        let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        assert_eq!(output_columns(&s(&["x"]), "y", None, 1), ["pred_y"]);
        assert_eq!(output_columns(&s(&["pred_y", "pred_y_2"]), "y", None, 1), ["pred_y_3"]);
        assert_eq!(output_columns(&s(&["a"]), "y", Some(&s(&["0", "1"])), 1), ["pred_y", "class_y"]);
        let classes = s(&["Adelie", "Gentoo, big"]);
        assert_eq!(
            output_columns(&s(&["prob_Adelie"]), "species", Some(&classes), 2),
            ["prob_Adelie_2", "\"prob_Gentoo, big\"", "pred_species"]
        );
    }
}
