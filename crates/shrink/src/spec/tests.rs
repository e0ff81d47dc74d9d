use super::*;
use crate::{Constraint, Penalty};

const SPEC: &str = include_str!("../../tests/data/moons_l2_mlp.toml");

#[test]
fn parses_builds_and_round_trips() {
    let spec = ModelSpec::from_toml(SPEC).unwrap();
    assert_eq!(spec.batch_size, 32);
    assert_eq!(spec.scaling, Scaling::Standard);
    let model = spec.build_model().unwrap();
    let kernel = model.param(model.select("dense_0.kernel").unwrap()[0]);
    assert_eq!(kernel.penalty, Some(Penalty::l2(1e-3).unwrap()));
    assert!(model.param(model.select("dense_0.bias").unwrap()[0]).penalty.is_none());
    assert_eq!(ModelSpec::from_json(&spec.to_json()).unwrap(), spec);
}

#[test]
fn penalty_modes_and_groups_in_spec_form() {
    let prox = SPEC.replace("l2 = 1e-3", "group = 1e-2, groups = \"rows\", mode = \"proximal\"");
    let model = ModelSpec::from_toml(&prox).unwrap().build_model().unwrap();
    let pen = model.param(model.select("dense_0.kernel").unwrap()[0]).penalty.clone().unwrap();
    assert_eq!((pen.group_strength(), pen.mode()), (1e-2, crate::PenaltyMode::Proximal));
    let e =
        ModelSpec::from_toml(&SPEC.replace("l2 = 1e-3", "l1 = 1e-3, mode = \"decoupled\"")).unwrap_err().to_string();
    assert!(e.contains("pure L2") && e.contains("line 13"), "{e}");
    let e = ModelSpec::from_toml(&SPEC.replace("l2 = 1e-3", "l1 = 1e-3, mode = \"prox\"")).unwrap_err().to_string();
    assert!(e.contains("prox") && e.contains("line 13"), "{e}");
}

#[test]
fn activity_penalty_in_spec_form() {
    let with = SPEC.replace("l2 = 1e-3 }", "l2 = 1e-3 }\nactivity_penalty = { l1 = 1e-4, l2 = 1e-3 }");
    let spec = ModelSpec::from_toml(&with).unwrap();
    let model = spec.build_model().unwrap();
    assert_eq!(model.layers()[0].activity_penalty(), Some(Penalty::l1_l2(1e-4, 1e-3).unwrap()));
    assert!(model.layers()[1].activity_penalty().is_none());
    assert!(model.has_activity_penalty());
    assert_eq!(ModelSpec::from_json(&spec.to_json()).unwrap(), spec); // kept in model files
    let prox = SPEC.replace("l2 = 1e-3 }", "l2 = 1e-3 }\nactivity_penalty = { l1 = 1e-4, mode = \"proximal\" }");
    let Err(e) = ModelSpec::from_toml(&prox).and_then(|s| s.build_model()) else { panic!("accepted") };
    let e = e.to_string();
    assert!(e.contains("activity penalty"), "{e}");
}

#[test]
fn constraints_in_spec_form() {
    let with = SPEC.replace("l2 = 1e-3 }", "l2 = 1e-3 }\nkernel_constraint = { name = \"non_neg\" }");
    let model = ModelSpec::from_toml(&with).unwrap().build_model().unwrap();
    let kernel = model.param(model.select("dense_0.kernel").unwrap()[0]);
    assert_eq!(kernel.constraint, Some(Constraint::NonNeg));
    let bad = SPEC.replace("l2 = 1e-3 }", "l2 = 1e-3 }\nkernel_constraint = { name = \"max_norm\", max_value = -1 }");
    assert!(ModelSpec::from_toml(&bad).unwrap_err().to_string().contains("max_value"));
}

#[test]
fn errors_name_the_key_and_line() {
    let unknown = SPEC.replace("units = 8", "units = 8\nunit_count = 3");
    let e = ModelSpec::from_toml(&unknown).unwrap_err().to_string();
    assert!(e.contains("unit_count") && e.contains("line 12"), "{e}");
    let negative = SPEC.replace("l2 = 1e-3", "l2 = -1e-3");
    let e = ModelSpec::from_toml(&negative).unwrap_err().to_string();
    assert!(e.contains("must be finite and ≥ 0") && e.contains("line 13"), "{e}");
    let typo = SPEC.replace("\"relu\"", "\"rleu\"");
    let e = ModelSpec::from_toml(&typo).unwrap_err().to_string();
    assert!(e.contains("rleu") && e.contains("line 12"), "{e}");
    let e = ModelSpec::from_toml(&SPEC.replace("lr = 0.01", "lr = -1")).unwrap_err().to_string();
    assert!(e.contains("lr must be finite and > 0"), "{e}");
    let e = ModelSpec::from_toml(&SPEC.replace("\"sigmoid\"", "\"relu\"")).unwrap_err().to_string();
    assert!(e.contains("does not fit the last layer"), "{e}");
    assert!(ModelSpec::from_toml("input_shape = [2]\nloss = \"mse\"\nlayers = []").is_err());
    let e = ModelSpec::from_json(r#"{"input_shape":[2],"loss":"mse","layers":[{"type":"dense","units":1,"x":1}]}"#)
        .unwrap_err()
        .to_string();
    assert!(e.contains("`x`") && e.contains("line 1"), "{e}");
}

#[test]
fn convolutional_and_recurrent_specs_build_with_penalties_per_role() {
    let cnn = r#"
input_shape = [8, 8, 1]
loss = "categorical_crossentropy"
[[layers]]
type = "conv2d"
filters = 4
kernel_size = [3, 3]
padding = "same"
activation = "relu"
kernel_penalty = { l2 = 1e-3 }
[[layers]]
type = "max_pooling2d"
pool_size = [2, 2]
[[layers]]
type = "flatten"
[[layers]]
type = "dropout"
rate = 0.25
[[layers]]
type = "dense"
units = 10
activation = "softmax"
"#;
    let model = ModelSpec::from_toml(cnn).unwrap().build_model().unwrap();
    let names: Vec<String> = model.params().map(|(n, _)| n).collect();
    assert_eq!(names, ["conv2d_0.kernel", "conv2d_0.bias", "dense_0.kernel", "dense_0.bias"]);
    assert_eq!(model.param(model.select("conv2d_0.kernel").unwrap()[0]).shape, [3, 3, 1, 4]);
    let lstm = r#"
input_shape = [10, 1]
loss = "mse"
[[layers]]
type = "lstm"
units = 8
recurrent_penalty = { l1 = 1e-4 }
[[layers]]
type = "dense"
units = 1
"#;
    let spec = ModelSpec::from_toml(lstm).unwrap();
    let model = spec.build_model().unwrap();
    let rk = model.param(model.select("lstm_0.recurrent_kernel").unwrap()[0]);
    assert_eq!((rk.shape.as_slice(), rk.penalty.clone()), ([8, 32].as_slice(), Some(Penalty::l1(1e-4).unwrap())));
    assert!(model.param(model.select("lstm_0.kernel").unwrap()[0]).penalty.is_none());
    assert_eq!(ModelSpec::from_json(&spec.to_json()).unwrap(), spec);
    // Shape errors surface as spec errors: a conv layer on flat inputs.
    let e = ModelSpec::from_toml(&cnn.replace("[8, 8, 1]", "[64]")).unwrap_err().to_string();
    assert!(e.contains("[height, width, channels]"), "{e}");
    let e = ModelSpec::from_toml(&cnn.replace("rate = 0.25", "rate = 1.5")).unwrap_err().to_string();
    assert!(e.contains("rate"), "{e}");
}

#[test]
fn hostile_sizes_are_errors_naming_the_layer_before_allocating() {
    let huge = SPEC.replace("units = 8", "units = 1000000000000");
    let e = ModelSpec::from_toml(&huge).unwrap_err().to_string();
    assert!(e.contains("dense_0") && e.contains("parameters"), "{e}");
    let overflow = SPEC.replace("input_shape = [2]", "input_shape = [4294967296, 4294967296, 4294967296]");
    let e = ModelSpec::from_toml(&overflow).unwrap_err().to_string();
    assert!(e.contains("input shape") && e.contains("elements"), "{e}");
    let lstm = "input_shape = [3, 2]\nloss = \"mse\"\n[[layers]]\ntype = \"lstm\"\nunits = 4611686018427387904\n";
    let e = ModelSpec::from_toml(lstm).unwrap_err().to_string();
    assert!(e.contains("lstm_0") && e.contains("parameters"), "{e}");
    let conv = "input_shape = [4, 4, 1]\nloss = \"mse\"\n[[layers]]\ntype = \"conv2d\"\nfilters = 2\n\
                kernel_size = [4294967296, 4294967296]\npadding = \"same\"\n";
    let e = ModelSpec::from_toml(conv).unwrap_err().to_string();
    assert!(e.contains("conv2d_0"), "{e}");
    // A window of u64::MAX with same padding covers the whole input: the global maximum.
    let pool = r#"{"input_shape":[2,2,1],"loss":"mse","layers":[{"type":"max_pooling2d",
        "pool_size":[18446744073709551615,18446744073709551615],"strides":[18446744073709551615,1],"padding":"same"}]}"#;
    let mut model = ModelSpec::from_json(pool).unwrap().build_model().unwrap();
    let x = ndarray::arr2(&[[1.0f32, 4.0, 3.0, 2.0]]);
    assert_eq!(model.predict(x.view(), 1).unwrap().into_raw_vec_and_offset().0, [4.0, 4.0]);
}

#[test]
fn every_layer_option_has_a_spec_key() {
    let spec = ModelSpec::from_toml(
        r#"
input_shape = [6, 2]
loss = "mse"
[[layers]]
type = "conv1d"
filters = 2
kernel_size = 2
kernel_initializer = "zeros"
[[layers]]
type = "average_pooling1d"
pool_size = 2
[[layers]]
type = "lstm"
units = 2
unit_forget_bias = false
[[layers]]
type = "dense"
units = 1
kernel_row_factors = [0.0, 1.0]
kernel_penalty = { l1 = 1e-3 }
"#,
    )
    .unwrap();
    let model = spec.build_model().unwrap();
    assert!(model.param(model.select("conv1d_0.kernel").unwrap()[0]).value.iter().all(|&w| w == 0.0));
    assert!(model.param(model.select("lstm_0.bias").unwrap()[0]).value.iter().all(|&w| w == 0.0));
    let kernel = model.param(model.select("dense_0.kernel").unwrap()[0]);
    assert_eq!(kernel.row_factors(), Some([0.0, 1.0].as_slice()));
    assert_eq!(model.output_size(), 1);
    assert_eq!(ModelSpec::from_json(&spec.to_json()).unwrap(), spec);
    let e = ModelSpec::from_toml(&spec_toml_with_bad_factors()).unwrap_err().to_string();
    assert!(e.contains("row penalty factors") && e.contains("dense_0"), "{e}");
}

fn spec_toml_with_bad_factors() -> String {
    SPEC.replace("kernel_penalty = { l2 = 1e-3 }", "kernel_penalty = { l2 = 1e-3 }\nkernel_row_factors = [1.0]")
}

#[test]
fn penalties_by_selector_and_in_text_form() {
    let text = SPEC.replace("kernel_penalty = { l2 = 1e-3 }", "kernel_penalty = \"l1:1e-3@proximal\"")
        + "\n[[penalties]]\non = \"dense_*.bias\"\npenalty = \"l2:0.5\"\n";
    let spec = ModelSpec::from_toml(&text).unwrap();
    let model = spec.build_model().unwrap();
    let kernel = model.param(model.select("dense_0.kernel").unwrap()[0]).penalty.clone().unwrap();
    assert_eq!((kernel.l1_strength(), kernel.mode()), (1e-3, crate::PenaltyMode::Proximal));
    for bias in ["dense_0.bias", "dense_1.bias"] {
        assert_eq!(model.param(model.select(bias).unwrap()[0]).penalty, Some(Penalty::l2(0.5).unwrap()));
    }
    assert_eq!(ModelSpec::from_json(&spec.to_json()).unwrap(), spec);
    // The description carries the rules' penalties, so a spec rebuilt from it has no rules.
    let described = spec.clone().with_model_config(model.describe());
    assert!(described.penalties.is_empty());
    assert_eq!(described.build_model().unwrap().describe(), model.describe());
    let bad = SPEC.to_string() + "\n[[penalties]]\non = \"conv2d_*.kernel\"\npenalty = \"l2:1\"\n";
    let e = ModelSpec::from_toml(&bad).unwrap_err().to_string();
    assert!(e.contains("penalties[1]") && e.contains("conv2d_*.kernel") && e.contains("dense_0.kernel"), "{e}");
    let bad = SPEC.to_string() + "\n[[penalties]]\non = \"*\"\npenalty = \"l2:-1\"\n";
    let e = ModelSpec::from_toml(&bad).unwrap_err().to_string();
    assert!(e.contains("must be finite and ≥ 0") && e.contains("line 22,"), "{e}");
}

const SERIES_SPEC: &str = include_str!("../../tests/data/series_mlp.toml");

#[test]
fn series_spec_infers_input_shape_and_round_trips() {
    let spec = ModelSpec::from_toml(SERIES_SPEC).unwrap();
    assert_eq!(spec.input_shape, [12, 1]);
    let series = spec.series.as_ref().unwrap();
    assert_eq!((series.target(), series.context(), series.season()), ("passengers", 13, Some(12)));
    assert_eq!(ModelSpec::from_json(&spec.to_json()).unwrap(), spec);
    // Without [series] an omitted input_shape waits for the table's encoded columns.
    let table = ModelSpec::from_toml("loss = \"mse\"\n[[layers]]\ntype = \"dense\"\nunits = 1\n").unwrap();
    assert!(table.input_shape.is_empty());
    // Table keys do not mix with [series].
    let e = ModelSpec::from_toml(&SERIES_SPEC.replace("epochs = 3", "epochs = 3\nignore = [\"date\"]")).unwrap_err();
    assert!(e.to_string().contains("line 3: ignore: a [series] spec takes its columns from series.column(s)"), "{e}");
}

#[test]
fn series_spec_errors_name_the_key_and_line() {
    for (from, to, want) in [
        ("window = 12", "window = 0", "line 6, column 1: invalid series.window = 0: `window` must be ≥ 1"),
        ("window = 12", "window = 12\nhorizon = 0", "line 7, column 1: invalid series.horizon = 0"),
        ("season = 12", "season = 40", "line 8, column 1: invalid series.season = 40"),
        (
            "transform = [\"log\", \"difference\"]",
            "transform = [\"difference\", \"log\"]",
            "line 7, column 1: invalid series.transform",
        ),
        ("window = 12", "window = 12\nwindw = 3", "line 7, column 1: unknown field `windw`"),
        ("column = \"passengers\"", "column = \"passengers\"\ntarget = \"fuel\"", "invalid series.target = fuel"),
        (
            "loss = \"mse\"",
            "loss = \"binary_crossentropy\"",
            "loss binary_crossentropy does not fit a [series] spec: use mse",
        ),
        ("units = 1", "units = 2", "the last layer needs 1 unit, got 2"),
        (
            "epochs = 3",
            "epochs = 3\ninput_shape = [5, 1]",
            "input_shape [5, 1] does not hold a series window of [window, columns] = [12, 1]",
        ),
    ] {
        let text = SERIES_SPEC.replace(from, to);
        let e = ModelSpec::from_toml(&text).unwrap_err().to_string();
        assert!(e.contains(want), "{to}: {e}");
    }
    // A flat input shape of the same size is fine (a Dense network on the flattened window).
    let flat = SERIES_SPEC
        .replace("epochs = 3", "epochs = 3\ninput_shape = [12]")
        .replace("type = \"lstm\"\nunits = 8", "type = \"dense\"\nunits = 8");
    assert_eq!(ModelSpec::from_toml(&flat).unwrap().input_shape, [12]);
}

/// `SPEC` with training-control keys put before its first table (TOML's top-level keys must
/// come first) and `tables` appended.
fn with_control(keys: &str, tables: &str) -> String {
    SPEC.replacen("\n[[layers]]", &format!("{keys}\n\n[[layers]]"), 1) + tables
}

#[test]
fn stopping_schedule_and_tol_keys_parse_and_round_trip() {
    let text = with_control(
        "tol = 1e-6\nn_iter_no_change = 5\nlr_schedule = { name = \"cosine\", decay_steps = 100, alpha = 0.1 }",
        "\n[early_stopping]\nmonitor = \"val_accuracy\"\npatience = 3\nmin_delta = 0.001\nrestore_best = true\n",
    );
    let spec = ModelSpec::from_toml(&text).unwrap();
    let early = spec.early_stopping.clone().unwrap();
    assert_eq!(
        (early.monitor.as_str(), early.patience, early.min_delta, early.restore_best),
        ("val_accuracy", 3, 0.001, true)
    );
    let fit = spec.fit_config();
    assert_eq!(fit.convergence, Some(Convergence { tol: 1e-6, n_iter_no_change: 5 }));
    assert_eq!(
        fit.lr_schedule,
        Some(LrSchedule::Cosine { decay_steps: 100, alpha: 0.1, warmup_target: None, warmup_steps: 0 })
    );
    assert_eq!(ModelSpec::from_json(&spec.to_json()).unwrap(), spec);
    // Defaults: Keras' (val_loss, patience 0, min_delta 0) and ReduceLROnPlateau's.
    let spec =
        ModelSpec::from_toml(&with_control("lr_schedule = { name = \"plateau\" }", "\n[early_stopping]\n")).unwrap();
    assert_eq!(spec.early_stopping, Some(EarlyStopping::default()));
    let plateau = LrSchedule::Plateau {
        monitor: "val_loss".into(),
        factor: 0.1,
        patience: 10,
        min_delta: 1e-4,
        cooldown: 0,
        min_lr: 0.0,
    };
    assert_eq!(spec.lr_schedule, Some(plateau));
    assert_eq!(ModelSpec::from_json(&spec.to_json()).unwrap(), spec);
    // No key, nothing serialized: model files of specs without them do not change.
    assert!(!ModelSpec::from_toml(SPEC).unwrap().to_json().contains("early_stopping"));
}

#[test]
fn stopping_schedule_and_tol_errors_name_the_key() {
    let cases = [
        (
            "lr_schedule = { name = \"exponential\", decay_steps = 10, decay_rate = -1 }",
            "",
            "lr_schedule.decay_rate must be finite and > 0, got -1",
        ),
        (
            "lr_schedule = { name = \"step\", decay_steps = 0, decay_rate = 0.5 }",
            "",
            "lr_schedule.decay_steps must be ≥ 1, got 0",
        ),
        (
            "lr_schedule = { name = \"cosine\", decay_steps = 10, alpha = 2 }",
            "",
            "lr_schedule.alpha must be in [0, 1], got 2",
        ),
        (
            "lr_schedule = { name = \"cosine\", decay_steps = 10, warmup_steps = 5 }",
            "",
            "lr_schedule.warmup_steps must be 0 without a warmup_target",
        ),
        ("lr_schedule = { name = \"plateau\", factor = 1.5 }", "", "lr_schedule.factor must be in (0, 1), got 1.5"),
        (
            "lr_schedule = { name = \"plateau\", monitor = \"val_f1\" }",
            "",
            "lr_schedule.monitor: unknown quantity `val_f1`",
        ),
        (
            "lr_schedule = { name = \"plateau\", min_lr = inf }",
            "",
            "lr_schedule.min_lr must be finite and ≥ 0, got inf",
        ),
        ("lr_schedule = { name = \"linear\" }", "", "unknown variant `linear`"),
        ("tol = nan", "", "tol must be finite and ≥ 0, got NaN"),
        ("tol = 1e-4\nn_iter_no_change = 0", "", "n_iter_no_change must be ≥ 1, got 0"),
        ("n_iter_no_change = 3", "", "n_iter_no_change needs tol"),
        (
            "",
            "\n[early_stopping]\nmonitor = \"mae\"\n",
            "early_stopping.monitor: unknown quantity `mae`; this fit records loss, data_loss, accuracy",
        ),
        ("", "\n[early_stopping]\nmin_delta = -1\n", "early_stopping.min_delta must be finite and ≥ 0, got -1"),
        ("", "\n[early_stopping]\nbaseline = inf\n", "early_stopping.baseline must be finite, got inf"),
        ("", "\n[early_stopping]\npatients = 3\n", "unknown field `patients`"),
    ];
    for (keys, tables, expected) in cases {
        let e = ModelSpec::from_toml(&with_control(keys, tables)).unwrap_err().to_string();
        assert!(e.contains(expected), "{keys}{tables}: {e}");
    }
}

#[test]
fn micro_batches_reach_the_fit_and_are_checked() {
    assert_eq!(ModelSpec::from_toml(SPEC).unwrap().fit_config().micro_batches, 1);
    let spec = ModelSpec::from_toml(&SPEC.replace("epochs = 10", "epochs = 10\nmicro_batches = 4")).unwrap();
    assert_eq!(spec.fit_config().micro_batches, 4);
    assert_eq!(ModelSpec::from_json(&spec.to_json()).unwrap(), spec);
    let e = ModelSpec::from_toml(&SPEC.replace("epochs = 10", "epochs = 10\nmicro_batches = 0")).unwrap_err();
    assert!(e.to_string().contains("micro_batches must be ≥ 1"), "{e}");
}
