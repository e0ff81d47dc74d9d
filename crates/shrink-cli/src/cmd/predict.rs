//! `shrink predict`: a saved model's outputs for each row of a table.

use crate::load::*;
use anyhow::{bail, Context, Result};
use shrink::data::read_csv_columns;
use std::fmt::Write as _;
use std::path::PathBuf;

#[derive(clap::Args)]
pub(crate) struct PredictArgs {
    /// A model file.
    #[arg(long)]
    model: PathBuf,
    /// Rows to predict: a CSV holding the model's input columns (others are ignored).
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
    if saved.series.is_some() {
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
    let x = match read_csv_columns(&args.data, &saved.features) {
        Err(shrink::data::DataError::MissingColumn { column, .. }) => {
            bail!(
                "{}: column `{}` is missing; the model needs [{}]",
                args.data.display(),
                shrink::data::summarize(&column),
                shrink::data::summarize_list(&saved.features)
            )
        }
        other => other?,
    };
    let x = saved.scaler.transform(x.view())?.mapv(|v| v as f32);
    let pred = saved.model.predict(x.view(), 256).with_context(|| format!("{}", args.data.display()))?;
    let k = pred.ncols();
    let classify =
        matches!(saved.spec.loss, shrink::loss::Loss::BinaryCrossEntropy | shrink::loss::Loss::CategoricalCrossEntropy);
    let mut text =
        if k == 1 { "prediction".to_string() } else { (0..k).map(|c| format!("p{c}")).collect::<Vec<_>>().join(",") };
    if classify {
        text += ",class";
    }
    text += "\n";
    for row in pred.rows() {
        let values: Vec<String> = row.iter().map(|v| v.to_string()).collect();
        text += &values.join(",");
        if classify {
            let class = if k == 1 {
                usize::from(row[0] > 0.5)
            } else {
                row.iter().enumerate().fold(0, |b, (i, v)| if *v > row[b] { i } else { b })
            };
            let _ = write!(text, ",{class}");
        }
        text += "\n";
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
