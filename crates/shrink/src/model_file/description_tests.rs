//! Model files are written from the model's own description: every layer kind and option
//! round-trips bit for bit, a wrong caller spec cannot mis-describe a model, and files whose
//! description and tensors disagree are refused.

use super::*;
use crate::nn::{Activation, Dense, LayerConfig, ModelConfig};
use ndarray::Array2;
use safetensors::tensor::TensorView;

fn dir(name: &str) -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!("shrink-description-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// Every layer kind, every option away from its default, spread over four networks.
const NETWORKS: [(&str, &str); 4] = [
    (
        "[3]",
        r#"
[[layers]]
type = "dense"
units = 4
activation = "tanh"
kernel_initializer = "he_uniform"
kernel_penalty = { l1 = 1e-3, mode = "proximal" }
kernel_row_factors = [1.0, 0.0, 2.5]
bias_penalty = { l2 = 1e-4 }
activity_penalty = { l1 = 1e-5, l2 = 1e-4 }
kernel_constraint = { name = "max_norm", max_value = 3.0 }
bias_constraint = { name = "non_neg" }
[[layers]]
type = "dropout"
rate = 0.25
[[layers]]
type = "dense"
units = 2
activation = "relu"
use_bias = false
"#,
    ),
    (
        "[6, 6, 2]",
        r#"
[[layers]]
type = "conv2d"
filters = 3
kernel_size = [3, 2]
strides = [1, 2]
padding = "same"
activation = "relu"
kernel_initializer = "he_uniform"
kernel_penalty = { l2 = 1e-3 }
bias_penalty = { l1 = 1e-4 }
[[layers]]
type = "max_pooling2d"
pool_size = [2, 2]
strides = [1, 1]
padding = "same"
[[layers]]
type = "average_pooling2d"
pool_size = [2, 1]
[[layers]]
type = "flatten"
[[layers]]
type = "dense"
units = 1
"#,
    ),
    (
        "[9, 2]",
        r#"
[[layers]]
type = "conv1d"
filters = 3
kernel_size = 3
strides = 2
padding = "same"
activation = "tanh"
use_bias = false
kernel_initializer = "he_uniform"
kernel_penalty = { group = 1e-2, groups = "rows" }
[[layers]]
type = "max_pooling1d"
pool_size = 2
strides = 1
padding = "same"
[[layers]]
type = "average_pooling1d"
pool_size = 2
strides = 1
padding = "same"
[[layers]]
type = "lstm"
units = 3
return_sequences = true
unit_forget_bias = false
kernel_penalty = { l2 = 1e-3 }
recurrent_penalty = { l1 = 1e-4 }
bias_penalty = { l2 = 1e-5 }
[[layers]]
type = "conv1d"
filters = 2
kernel_size = 1
bias_penalty = { l1 = 1e-4 }
[[layers]]
type = "global_average_pooling1d"
[[layers]]
type = "dense"
units = 1
"#,
    ),
    (
        "[5, 5, 1]",
        r#"
[[layers]]
type = "conv2d"
filters = 2
kernel_size = [2, 2]
use_bias = false
[[layers]]
type = "average_pooling2d"
pool_size = [2, 2]
strides = [1, 1]
padding = "same"
[[layers]]
type = "global_average_pooling2d"
[[layers]]
type = "dense"
units = 2
"#,
    ),
];

fn spec_of(input_shape: &str, layers: &str) -> ModelSpec {
    ModelSpec::from_toml(&format!("input_shape = {input_shape}\nloss = \"mse\"\nseed = 3\n{layers}")).unwrap()
}

/// Moves every weight off its initial value, so a load that re-initialized would be caught.
fn perturb(model: &mut Model<f32>) {
    model.for_each_param_mut(|slot, p| {
        for (i, v) in p.value.iter_mut().enumerate() {
            *v += 0.01 * ((i * 7 + slot * 3) % 11) as f32 - 0.05;
        }
    });
}

fn inputs(n: usize, width: usize) -> Array2<f32> {
    Array2::from_shape_fn((n, width), |(r, c)| ((r * 31 + c * 17) % 13) as f32 / 6.5 - 1.0)
}

fn saved(spec: ModelSpec, model: Model<f32>) -> SavedModel {
    let n = model.input_size();
    let scaler = Scaler::fit(shrink_data::Scaling::None, inputs(4, n).mapv(f64::from).view()).unwrap();
    let features: Vec<String> = (0..n).map(|i| format!("x{i}")).collect();
    SavedModel::numeric(spec, scaler, &features, "y", model).unwrap()
}

fn bits(a: &Array2<f32>) -> Vec<u32> {
    a.iter().map(|v| v.to_bits()).collect()
}

#[test]
fn every_layer_kind_and_option_round_trips_bit_for_bit() {
    let d = dir("round-trip");
    let mut kinds = std::collections::BTreeSet::new();
    for (i, (shape, layers)) in NETWORKS.iter().enumerate() {
        let spec = spec_of(shape, layers);
        let mut model = spec.build_model().unwrap();
        // The built layers describe themselves as the configs they were built from.
        assert_eq!(model.layer_configs(), spec.layers, "network {i}");
        assert_eq!(model.describe(), spec.model_config());
        let json = serde_json::to_string(&model.describe()).unwrap();
        assert_eq!(serde_json::from_str::<ModelConfig>(&json).unwrap(), spec.model_config());
        kinds.extend(model.layers().iter().map(|l| l.kind()));
        perturb(&mut model);
        let x = inputs(7, model.input_size());
        let before = model.predict(x.view(), 3).unwrap();
        let path = d.join(format!("net{i}.safetensors"));
        saved(spec.clone(), model).save(&path, None, false).unwrap();
        let (mut loaded, _) = SavedModel::load(&path).unwrap();
        assert_eq!(bits(&loaded.model.predict(x.view(), 3).unwrap()), bits(&before), "network {i}");
        assert_eq!(loaded.model.layer_configs(), spec.layers, "network {i}");
        assert_eq!(loaded.spec, spec);
    }
    let all = [
        "dense",
        "conv2d",
        "conv1d",
        "max_pooling2d",
        "max_pooling1d",
        "average_pooling2d",
        "average_pooling1d",
        "global_average_pooling2d",
        "global_average_pooling1d",
        "flatten",
        "dropout",
        "lstm",
    ];
    assert_eq!(kinds, all.into_iter().collect());
    std::fs::remove_dir_all(d).unwrap();
}

#[test]
fn builders_and_configs_describe_the_same_layer() {
    let built = Model::<f32>::builder(&[3])
        .layer(Dense::new(2).activation(Activation::Tanh).kernel_row_factors(vec![1.0, 0.5, 0.0]))
        .build(0)
        .unwrap();
    let LayerConfig::Dense(dense) = &built.layer_configs()[0] else { panic!("not dense") };
    assert_eq!((dense.units, dense.activation), (2, Activation::Tanh));
    assert_eq!(dense.kernel_row_factors.as_deref(), Some([1.0, 0.5, 0.0].as_slice()));
    let from_config = ModelConfig { input_shape: vec![3], layers: built.layer_configs() }.build::<f32>(0).unwrap();
    for ((_, a), (_, b)) in built.params().zip(from_config.params()) {
        assert_eq!(a.value, b.value);
    }
}

#[test]
fn penalties_set_after_build_are_described() {
    let mut model = spec_of(NETWORKS[2].0, NETWORKS[2].1).build_model().unwrap();
    let p = Penalty::l1(2e-3).unwrap();
    model.set_penalty("lstm_0.recurrent_kernel", Some(p.clone())).unwrap();
    model.set_penalty("conv1d_0.kernel", None).unwrap();
    let configs = model.layer_configs();
    let (LayerConfig::Conv1d(conv), LayerConfig::Lstm(lstm)) = (&configs[0], &configs[3]) else { panic!("kinds") };
    assert_eq!((conv.kernel_penalty.clone(), lstm.recurrent_penalty.clone()), (None, Some(p)));
}

#[test]
fn a_wrong_spec_cannot_mis_describe_the_model() {
    let d = dir("mis-described");
    let tanh = ModelSpec::from_toml(
        "input_shape = [2]\nloss = \"mse\"\n[[layers]]\ntype = \"dense\"\nunits = 3\nactivation = \"tanh\"\n\
         [[layers]]\ntype = \"dense\"\nunits = 1\n",
    )
    .unwrap();
    let mut model = tanh.build_model().unwrap();
    perturb(&mut model);
    let relu = ModelSpec::from_json(&tanh.to_json().replace("tanh", "relu")).unwrap();
    let x = inputs(9, 2).mapv(|v| v * 3.0);
    let before = model.predict(x.view(), 4).unwrap();
    let path = d.join("model.safetensors");
    saved(relu, model).save(&path, None, false).unwrap();
    let (mut loaded, _) = SavedModel::load(&path).unwrap();
    let LayerConfig::Dense(first) = &loaded.spec.layers[0] else { panic!("not dense") };
    assert_eq!(first.activation, Activation::Tanh);
    assert_eq!(bits(&loaded.model.predict(x.view(), 4).unwrap()), bits(&before));
    std::fs::remove_dir_all(d).unwrap();
}

#[test]
fn settings_the_description_cannot_carry_are_refused_on_save() {
    let d = dir("undescribable");
    let spec = spec_of(NETWORKS[3].0, NETWORKS[3].1);
    let mut model = spec.build_model().unwrap();
    let id = model.select("conv2d_0.kernel").unwrap()[0];
    model.param_mut(id).constraint = Some(crate::Constraint::NonNeg);
    let path = d.join("model.safetensors");
    let e = saved(spec, model).save(&path, None, false).unwrap_err().to_string();
    assert!(e.contains("conv2d_0.kernel") && e.contains(&path.display().to_string()), "{e}");
    assert!(!path.exists());
    std::fs::remove_dir_all(d).unwrap();
}

/// Rewrites a model file through `edit(tensors, metadata)`.
fn tamper(
    from: &Path,
    to: &Path,
    edit: impl FnOnce(&mut Vec<(String, Vec<usize>, Vec<u8>)>, &mut HashMap<String, String>),
) {
    let bytes = std::fs::read(from).unwrap();
    let (_, meta) = SafeTensors::read_metadata(&bytes).unwrap();
    let mut meta = meta.metadata().clone().unwrap();
    let file = SafeTensors::deserialize(&bytes).unwrap();
    let mut tensors: Vec<(String, Vec<usize>, Vec<u8>)> =
        file.tensors().into_iter().map(|(n, t)| (n, t.shape().to_vec(), t.data().to_vec())).collect();
    edit(&mut tensors, &mut meta);
    let views = tensors.iter().map(|(n, s, d)| (n.clone(), TensorView::new(Dtype::F32, s.clone(), d).unwrap()));
    std::fs::write(to, safetensors::serialize(views, Some(meta)).unwrap()).unwrap();
}

#[test]
fn files_whose_description_and_tensors_disagree_are_refused() {
    let d = dir("tampered");
    let good = d.join("good.safetensors");
    let spec = spec_of(NETWORKS[0].0, NETWORKS[0].1);
    let model = spec.build_model().unwrap();
    saved(spec, model).save(&good, None, false).unwrap();
    type Edit = Box<dyn FnOnce(&mut Vec<(String, Vec<usize>, Vec<u8>)>, &mut HashMap<String, String>)>;
    let spec_edit = |from: &'static str, to: &'static str| -> Edit {
        Box::new(move |_, meta| {
            let spec = meta.get_mut("shrink.spec").unwrap();
            assert!(spec.contains(from), "{spec}");
            *spec = spec.replacen(from, to, 1);
        })
    };
    let cases: Vec<(&str, &str, Edit)> = vec![
        ("missing", "dense_1.kernel", Box::new(|t, _| t.retain(|(n, _, _)| n != "dense_1.kernel"))),
        ("extra", "dense_2.kernel", Box::new(|t, _| t.push(("dense_2.kernel".into(), vec![1], vec![0; 4])))),
        (
            "renamed to another kind",
            "conv2d_0.kernel",
            Box::new(|t, _| {
                t.iter_mut()
                    .filter(|(n, _, _)| n == "dense_1.kernel")
                    .for_each(|(n, _, _)| *n = "conv2d_0.kernel".into())
            }),
        ),
        (
            "reshaped",
            "dense_0.bias",
            Box::new(|t, _| {
                let bias = t.iter_mut().find(|(n, _, _)| n == "dense_0.bias").unwrap();
                bias.1 = vec![2, 2];
            }),
        ),
        ("more units than tensors", "dense_1.kernel", spec_edit("\"units\":2", "\"units\":5")),
        ("a bias described away", "dense_0.bias", spec_edit("\"use_bias\":true", "\"use_bias\":false")),
        ("another kind", "lstm", spec_edit(
                "\"type\":\"dense\",\"units\":2,\"activation\":\"relu\",\"use_bias\":false,\"kernel_initializer\":\"glorot_uniform\"",
                "\"type\":\"lstm\",\"units\":2",
            )),
        ("a billion units", "dense_1", spec_edit("\"units\":2", "\"units\":1000000000000")),
    ];
    for (what, named, edit) in cases {
        let p = d.join(format!("{what}.safetensors"));
        tamper(&good, &p, edit);
        let e = SavedModel::load(&p).err().unwrap_or_else(|| panic!("{what}: loaded")).to_string();
        assert!(e.contains(&p.display().to_string()) && e.contains(named), "{what}: {e}");
    }
    std::fs::remove_dir_all(d).unwrap();
}

#[test]
fn format_1_files_keep_their_penalties_and_row_factors_from_the_metadata() {
    let d = dir("format-1");
    let (new, old) = (d.join("new.safetensors"), d.join("old.safetensors"));
    let spec = spec_of(NETWORKS[0].0, NETWORKS[0].1);
    let mut model = spec.build_model().unwrap();
    let l2 = Penalty::l2(5e-3).unwrap();
    model.set_penalty("dense_1.kernel", Some(l2.clone())).unwrap();
    saved(spec.clone(), model).save(&new, None, false).unwrap();
    // What format 1 wrote: the caller's spec (without the penalty set after build), the
    // penalties in force and the row factors beside it.
    tamper(&new, &old, |_, meta| {
        meta.insert("format".into(), "shrink 1".into());
        let factors = ",\"kernel_row_factors\":[1.0,0.0,2.5]";
        assert!(spec.to_json().contains(factors));
        meta.insert("shrink.spec".into(), spec.to_json().replace(factors, ""));
        meta.insert("shrink.row_factors".into(), r#"{"dense_0.kernel":[0.5,0.5,0.5]}"#.into());
    });
    let (loaded, _) = SavedModel::load(&old).unwrap();
    let param = |name: &str| loaded.model.param(loaded.model.select(name).unwrap()[0]).clone();
    assert_eq!(param("dense_1.kernel").penalty, Some(l2));
    assert_eq!(param("dense_0.kernel").row_factors(), Some([0.5; 3].as_slice()));
    std::fs::remove_dir_all(d).unwrap();
}

/// The options of a layer kind, as its config's `deny_unknown_fields` lists them when it meets
/// a key it does not know (so an option added later is listed here without editing this test).
fn options_of(kind: &str) -> Vec<String> {
    let json = format!(r#"{{"type":"{kind}","no such option":0}}"#);
    let e = serde_json::from_str::<LayerConfig>(&json).unwrap_err().to_string();
    if e.contains("there are no fields") {
        return Vec::new();
    }
    let listed = e.split("expected ").nth(1).unwrap_or_else(|| panic!("{kind}: {e}"));
    let listed = listed.strip_prefix("one of ").unwrap_or(listed);
    let listed = listed.split(" at line").next().unwrap();
    listed.split(", ").map(|f| f.trim_matches('`').to_string()).collect()
}

/// [`NETWORKS`] sets every option of every layer kind (so the round trip above covers them):
/// an option added to a config without a spec key there fails here, naming it.
#[test]
fn the_round_trip_networks_set_every_option_of_every_kind() {
    let mut written: std::collections::BTreeMap<String, std::collections::BTreeSet<String>> = Default::default();
    for (_, layers) in NETWORKS {
        let table: toml::Table = toml::from_str(layers).unwrap();
        for layer in table["layers"].as_array().unwrap() {
            let layer = layer.as_table().unwrap();
            let keys = written.entry(layer["type"].as_str().unwrap().to_string()).or_default();
            keys.extend(layer.keys().filter(|k| *k != "type").cloned());
        }
    }
    assert_eq!(options_of("dense").len(), 10, "{:?}", options_of("dense"));
    assert!(options_of("lstm").contains(&"unit_forget_bias".to_string()));
    assert!(options_of("flatten").is_empty());
    let unset: Vec<String> = written
        .iter()
        .flat_map(|(kind, keys)| {
            options_of(kind).into_iter().filter(|o| !keys.contains(o)).map(move |o| format!("{kind}.{o}"))
        })
        .collect();
    assert!(unset.is_empty(), "options not set in NETWORKS: {unset:?}");
    assert_eq!(written.len(), 12, "{:?}", written.keys());
}
