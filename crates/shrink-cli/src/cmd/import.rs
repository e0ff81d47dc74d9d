//! `shrink import`: a PyTorch state dict (safetensors) and a spec to a shrink model file.

use crate::load::*;
use anyhow::{bail, Context, Result};
use ndarray::Array2;
use shrink::data::{Scaler, Scaling};
use shrink::model_file::SavedModel;
use std::path::PathBuf;

#[derive(clap::Args)]
pub(crate) struct ImportArgs {
    /// A PyTorch state dict saved with safetensors: `N.weight` [out, in] and `N.bias` of each
    /// nn.Linear, in layer order.
    #[arg(long)]
    from_torch: PathBuf,
    /// The spec describing the same network (its Dense layers, in order).
    #[arg(long)]
    spec: PathBuf,
    /// Input column names, comma-separated (default x0, x1, …).
    #[arg(long, value_delimiter = ',')]
    features: Vec<String>,
    /// Target column name recorded in the model.
    #[arg(long, default_value = "y")]
    target: String,
    /// The shrink model file to write.
    #[arg(long)]
    out: PathBuf,
    /// Replace an existing --out file.
    #[arg(long)]
    force: bool,
}

pub(crate) fn import(args: ImportArgs) -> Result<()> {
    let mut spec = load_spec(&args.spec)?;
    // A state dict carries no fitted scaler: the imported model takes its inputs as given.
    let unscaled = spec.scaling != Scaling::None;
    spec.scaling = Scaling::None;
    refuse_existing(&args.out, args.force)?;
    let bytes =
        std::fs::read(&args.from_torch).with_context(|| format!("cannot read {}", args.from_torch.display()))?;
    let tensors = safetensors::SafeTensors::deserialize(&bytes)
        .map_err(|e| anyhow::anyhow!("{}: not a readable safetensors file ({e})", args.from_torch.display()))?;
    // nn.Linear weights in layer order: sort `<prefix>.weight` by prefix, numbers numerically.
    let mut prefixes: Vec<String> =
        tensors.names().iter().filter_map(|n| n.strip_suffix(".weight").map(str::to_string)).collect();
    let key = |p: &String| {
        p.split('.')
            .map(|part| part.parse::<u64>().map_or((1, 0, part.to_string()), |n| (0, n, String::new())))
            .collect::<Vec<_>>()
    };
    prefixes.sort_by_key(key);
    let mut model = spec.build_model()?;
    let dense: Vec<usize> =
        model.layers().iter().enumerate().filter(|(_, l)| l.kind() == "dense").map(|(i, _)| i).collect();
    if prefixes.len() != dense.len() {
        bail!(
            "{}: {} Linear weights ([{}]), the spec has {} Dense layers",
            args.from_torch.display(),
            prefixes.len(),
            prefixes.join(", "),
            dense.len()
        );
    }
    let read = |name: &str| -> Result<(Vec<usize>, Vec<f32>)> {
        let t = tensors
            .tensor(name)
            .map_err(|_| anyhow::anyhow!("{}: tensor `{name}` is missing", args.from_torch.display()))?;
        let values: Vec<f32> = match t.dtype() {
            safetensors::Dtype::F32 => {
                t.data().chunks_exact(4).map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]])).collect()
            }
            safetensors::Dtype::F64 => {
                t.data().chunks_exact(8).map(|b| f64::from_le_bytes(b.try_into().expect("8 bytes")) as f32).collect()
            }
            other => bail!("{}: tensor `{name}` is {other:?}; F32 or F64 expected", args.from_torch.display()),
        };
        if let Some(i) = values.iter().position(|v| !v.is_finite()) {
            bail!("{}: tensor `{name}` holds a non-finite value at index {i}", args.from_torch.display());
        }
        Ok((t.shape().to_vec(), values))
    };
    for (prefix, &layer) in prefixes.iter().zip(&dense) {
        let (shape, w) = read(&format!("{prefix}.weight"))?;
        let params = model.layers_mut()[layer].params_mut();
        let (inputs, units) = (params[0].shape[0], params[0].shape[1]);
        if shape != [units, inputs] {
            bail!("{}: `{prefix}.weight` has shape {shape:?}; the spec's layer needs [{units}, {inputs}] (PyTorch's [out, in])", args.from_torch.display());
        }
        for o in 0..units {
            for i in 0..inputs {
                params[0].value[i * units + o] = w[o * inputs + i];
            }
        }
        if params.len() > 1 {
            let (bshape, b) = read(&format!("{prefix}.bias"))?;
            if bshape != [units] {
                bail!("{}: `{prefix}.bias` has shape {bshape:?}, expected [{units}]", args.from_torch.display());
            }
            params[1].value = b;
        }
    }
    let inputs = model.input_size();
    let features =
        if args.features.is_empty() { (0..inputs).map(|i| format!("x{i}")).collect() } else { args.features.clone() };
    if features.len() != inputs {
        bail!("--features names {} columns, the model has {inputs} inputs", features.len());
    }
    let scaler = Scaler::fit(Scaling::None, Array2::<f64>::zeros((1, inputs)).view())?;
    let saved = SavedModel::numeric(spec, scaler, &features, &args.target, model)?;
    saved.save(&args.out, None, args.force)?;
    if unscaled {
        eprintln!(
            "note: {} asks for input scaling, but PyTorch weights carry no fitted scaler; the imported model uses its inputs unscaled",
            args.spec.display()
        );
    }
    crate::print(&format!("imported {} Linear layers into {}\n", prefixes.len(), args.out.display()))
}
