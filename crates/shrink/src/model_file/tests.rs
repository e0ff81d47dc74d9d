use super::*;
use crate::pipeline::{encode_inputs, encode_targets};
use crate::train::FitConfig;
use shrink_data::Scaling;

/// The small sigmoid MLP the CLI tests and the Python interop script use too.
const SPEC: &str = include_str!("../../tests/data/moons_mlp.toml");

fn dir(name: &str) -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!("shrink-model-file-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn trained() -> (SavedModel, Trainer<f32>, ndarray::Array2<f32>, ndarray::Array2<f32>) {
    let spec = ModelSpec::from_toml(SPEC).unwrap();
    let data = shrink_data::moons(50, 0.2, 2).unwrap();
    let scaler = Scaler::fit(Scaling::Standard, data.x.view()).unwrap();
    let features = data.feature_names.clone();
    let mut model = spec.build_model().unwrap();
    let saved = SavedModel::numeric(spec.clone(), scaler, &features, &data.target_name, model.clone()).unwrap();
    let x = encode_inputs(&spec, &saved.pipeline, &data).unwrap();
    let y = encode_targets(&spec, &saved.pipeline, &data).unwrap();
    let mut trainer = spec.trainer().unwrap();
    trainer.fit(&mut model, x.view(), y.view(), None, &spec.fit_config(), None).unwrap();
    (SavedModel { model, ..saved }, trainer, x, y)
}

#[test]
fn round_trip_predicts_identically_and_continues_identically() {
    let d = dir("round-trip");
    let path = d.join("model.safetensors");
    let (mut saved, mut trainer, x, y) = trained();
    saved.model.set_penalty("dense_1.bias", Some(Penalty::l1(1e-4).unwrap())).unwrap();
    let proximal = Penalty::l1(1e-4).unwrap().with_mode(crate::PenaltyMode::Proximal).unwrap();
    saved.model.set_penalty("dense_0.kernel", Some(proximal)).unwrap();
    let id = saved.model.select("dense_0.kernel").unwrap()[0];
    let rows = saved.model.param(id).shape[0];
    saved.model.param_mut(id).set_row_factors(Some((0..rows).map(|r| r as f64).collect())).unwrap();
    saved.save(&path, Some(&trainer), false).unwrap();
    let (mut loaded, optimizer) = SavedModel::load(&path).unwrap();
    assert_eq!(loaded.model.predict(x.view(), 32).unwrap(), saved.model.predict(x.view(), 32).unwrap());
    assert_eq!(loaded.features(), saved.features());
    assert_eq!(loaded.pipeline, saved.pipeline);
    let pens: Vec<_> = loaded.model.params().map(|(n, p)| (n, p.penalty.clone())).collect();
    let want: Vec<_> = saved.model.params().map(|(n, p)| (n, p.penalty.clone())).collect();
    assert_eq!(pens, want);
    let factors: Vec<_> = loaded.model.params().map(|(_, p)| p.row_factors().map(<[f64]>::to_vec)).collect();
    assert_eq!(factors, saved.model.params().map(|(_, p)| p.row_factors().map(<[f64]>::to_vec)).collect::<Vec<_>>());
    // Continuing from the file equals continuing in memory: weights and Adam state round-trip.
    let mut resumed = loaded.spec.trainer().unwrap();
    optimizer.expect("saved with its optimizer").restore(&mut resumed, &loaded.model).unwrap();
    assert_eq!(resumed.optimizer().iterations(), trainer.optimizer().iterations());
    let more = FitConfig { epochs: 5, seed: 11, ..saved.spec.fit_config() };
    trainer.fit(&mut saved.model, x.view(), y.view(), None, &more, None).unwrap();
    resumed.fit(&mut loaded.model, x.view(), y.view(), None, &more, None).unwrap();
    for ((_, a), (_, b)) in saved.model.params().zip(loaded.model.params()) {
        assert_eq!(a.value, b.value);
    }
    // Zero epochs with no penalty change nothing.
    let before: Vec<Vec<f32>> = loaded.model.params().map(|(_, p)| p.value.clone()).collect();
    loaded.model.set_penalty("*", None).unwrap();
    resumed.fit(&mut loaded.model, x.view(), y.view(), None, &FitConfig { epochs: 0, ..more }, None).unwrap();
    let after: Vec<Vec<f32>> = loaded.model.params().map(|(_, p)| p.value.clone()).collect();
    assert_eq!(before, after);
    std::fs::remove_dir_all(d).unwrap();
}

#[test]
fn existing_files_are_kept_without_force() {
    let d = dir("force");
    let path = d.join("model.safetensors");
    std::fs::write(&path, b"sentinel").unwrap();
    let (saved, _, _, _) = trained();
    let e = saved.save(&path, None, false).unwrap_err();
    assert!(matches!(e, crate::Error::Exists { .. }) && e.to_string().contains("exists (not replaced)"), "{e}");
    assert_eq!(std::fs::read(&path).unwrap(), b"sentinel");
    saved.save(&path, None, true).unwrap();
    assert!(SavedModel::load(&path).unwrap().1.is_none());
    std::fs::remove_dir_all(d).unwrap();
}

#[test]
fn corrupt_files_are_clear_errors() {
    let d = dir("corrupt");
    let path = d.join("model.safetensors");
    let (saved, _, _, _) = trained();
    saved.save(&path, None, false).unwrap();
    let good = std::fs::read(&path).unwrap();
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("empty", vec![]),
        ("truncated", good[..good.len() - 7].to_vec()),
        ("garbage", b"this is not a model at all".to_vec()),
        ("header only", good[..20].to_vec()),
    ];
    for (what, bytes) in cases {
        let p = d.join(format!("{what}.safetensors"));
        std::fs::write(&p, bytes).unwrap();
        let e = SavedModel::load(&p).err().unwrap_or_else(|| panic!("{what} loaded"));
        assert!(e.to_string().contains(&p.display().to_string()), "{what}: {e}");
    }
    // A valid safetensors file without shrink's metadata.
    let data = [0u8; 8];
    let plain = safetensors::serialize([("w", TensorView::new(Dtype::F32, vec![2], &data).unwrap())], None).unwrap();
    let p = d.join("plain.safetensors");
    std::fs::write(&p, plain).unwrap();
    let e = SavedModel::load(&p).err().unwrap().to_string();
    assert!(e.contains("shrink.spec") && e.contains("missing"), "{e}");
    assert!(SavedModel::load(&d.join("absent.safetensors")).is_err());
    std::fs::remove_dir_all(d).unwrap();
}

#[test]
fn the_same_model_gives_the_same_bytes() {
    let (saved, trainer, _, _) = trained();
    let d = dir("bytes");
    let (a, b) = (d.join("a.safetensors"), d.join("b.safetensors"));
    saved.save(&a, Some(&trainer), false).unwrap();
    // Fresh metadata maps: the safetensors crate would write them in another hash order.
    for _ in 0..4 {
        saved.save(&b, Some(&trainer), true).unwrap();
        assert_eq!(std::fs::read(&a).unwrap(), std::fs::read(&b).unwrap());
    }
    let bytes = std::fs::read(&a).unwrap();
    let n = u64::from_le_bytes(bytes[..8].try_into().unwrap()) as usize;
    assert_eq!(n % 8, 0, "the data section stays 8-byte aligned");
    let header: serde_json::Value = serde_json::from_slice(&bytes[8..8 + n]).unwrap();
    let keys: Vec<&String> = header["__metadata__"].as_object().unwrap().keys().collect();
    assert!(keys.windows(2).all(|w| w[0] < w[1]), "{keys:?}");
    let (loaded, _) = SavedModel::load(&a).unwrap();
    assert_eq!(loaded.model.params().count(), saved.model.params().count());
    let _ = std::fs::remove_dir_all(&d);
}

#[test]
fn a_penalty_keeps_its_row_factors_through_scaling_set_penalty_and_a_save_and_load() {
    let d = dir("row-factors");
    let path = d.join("model.safetensors");
    let (mut saved, _, x, _) = trained();
    let id = saved.model.select("dense_0.kernel").unwrap()[0];
    let rows = saved.model.param(id).shape[0];
    let factors: Vec<f64> = (0..rows).map(|r| 0.5 + r as f64).collect();
    let base = Penalty::l1(1e-3).unwrap().with_mode(crate::PenaltyMode::Proximal).unwrap();
    let penalty = base.clone().with_row_factors(factors.clone()).unwrap();
    assert!(
        base.clone().with_row_factors(vec![1.0, -1.0]).is_err()
            && base.clone().with_row_factors(vec![f64::NAN]).is_err()
    );
    // Scaling by an alpha keeps the factors, the strengths scale.
    let scaled = penalty.scaled(4.0).unwrap();
    assert_eq!((scaled.row_factors(), scaled.l1_strength()), (Some(factors.as_slice()), 4e-3));
    assert_eq!(scaled.mode(), crate::PenaltyMode::Proximal);
    // The wrong count is refused naming the parameter, and changes nothing.
    let short = base.clone().with_row_factors(vec![1.0; rows + 1]).unwrap();
    let e = saved.model.set_penalty("dense_0.kernel", Some(short)).unwrap_err().to_string();
    assert!(e.contains("dense_0.kernel") && e.contains("rows"), "{e}");
    assert_eq!(saved.model.param(id).row_factors(), None);
    saved.model.set_penalty("dense_0.kernel", Some(scaled.clone())).unwrap();
    assert_eq!(saved.model.param(id).penalty.as_ref(), Some(&scaled));
    // A penalty without factors (a search's alpha) keeps the factors in place.
    saved.model.set_penalty("dense_0.kernel", Some(base.scaled(2.0).unwrap())).unwrap();
    assert_eq!(saved.model.param(id).penalty, Some(penalty.scaled(2.0).unwrap()));
    saved.save(&path, None, false).unwrap();
    let (mut loaded, _) = SavedModel::load(&path).unwrap();
    assert_eq!(loaded.model.param(id).penalty, saved.model.param(id).penalty);
    assert_eq!(loaded.model.predict(x.view(), 32).unwrap(), saved.model.predict(x.view(), 32).unwrap());
    // Saved again, the file is byte for byte the same.
    let again = d.join("again.safetensors");
    loaded.save(&again, None, false).unwrap();
    assert_eq!(std::fs::read(&path).unwrap(), std::fs::read(&again).unwrap());
    // Removing the penalty removes its factors.
    let mut cleared = loaded.model.clone();
    cleared.set_penalty("dense_0.kernel", None).unwrap();
    assert_eq!(cleared.param(id).penalty, None);
    std::fs::remove_dir_all(d).unwrap();
}
