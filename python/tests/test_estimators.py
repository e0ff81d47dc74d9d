"""The Python estimators against scikit-learn's conventions and against the CLI.

Data is generated here with numpy; the CLI comparisons need the `shrink` binary (SHRINK_BIN, or
target/release/shrink of the repository) and are skipped without it.
"""

import csv
import json
import os
import pickle
import shutil
import subprocess
import warnings
from pathlib import Path

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.estimator_checks import check_estimator

import shrink

ROOT = Path(__file__).resolve().parents[2]


def cli():
    path = os.environ.get("SHRINK_BIN") or str(ROOT / "target" / "release" / "shrink")
    if not (os.path.isfile(path) and os.access(path, os.X_OK)):
        pytest.skip(f"no shrink binary at {path} (build it with cargo build --release or set SHRINK_BIN)")
    return path


def two_classes(n=240, d=6, seed=0):
    """Two classes that only the first two inputs separate."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d))
    y = (X[:, 0] + 0.8 * X[:, 1] + 0.3 * rng.normal(size=n) > 0).astype(int)
    return X, y


def regression(n=200, d=4, seed=1):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d))
    y = 3.0 * X[:, 0] - 2.0 * X[:, 1] + 0.1 * rng.normal(size=n) + 10.0
    return X, y


def write_csv(path, X, y=None, names=None):
    names = names or [f"x{j}" for j in range(X.shape[1])]
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(names + (["target"] if y is not None else []))
        for i, row in enumerate(X):
            # repr: the shortest text that reads back as the same float64
            w.writerow([repr(float(v)) for v in row] + ([repr(y[i].item())] if y is not None else []))


def run_cli(*args):
    out = subprocess.run([cli(), *map(str, args)], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    return out.stdout


def cli_predictions(model, data):
    text = run_cli("predict", "--model", model, "--data", data)
    rows = list(csv.reader(text.splitlines()))
    return rows[0], rows[1:]


# -- scikit-learn conventions ---------------------------------------------------------------


@pytest.mark.parametrize("Est", [shrink.MLPClassifier, shrink.MLPRegressor])
def test_check_estimator(Est):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        results = check_estimator(Est(), on_fail=None)
    failed = [(r["check_name"], repr(r["exception"])) for r in results if r["status"] == "failed"]
    assert failed == []


def test_clone_and_params():
    est = shrink.MLPClassifier(hidden_layer_sizes=(7, 3), penalty="l1@proximal", alpha=0.01, random_state=4)
    params = est.get_params()
    assert params["hidden_layer_sizes"] == (7, 3) and params["penalty"] == "l1@proximal"
    other = clone(est).set_params(alpha=0.5, epochs=3)
    assert other.alpha == 0.5 and other.epochs == 3 and est.alpha == 0.01
    assert not hasattr(other, "coefs_")


def test_fit_attributes_and_sklearn_layout():
    X, y = two_classes()
    est = shrink.MLPClassifier(hidden_layer_sizes=(8,), epochs=40, alpha=1e-3, random_state=0).fit(X, y)
    assert est.n_features_in_ == 6
    assert list(est.classes_) == [0, 1]
    assert [c.shape for c in est.coefs_] == [(6, 8), (8, 1)]
    assert [b.shape for b in est.intercepts_] == [(8,), (1,)]
    assert len(est.loss_curve_) == est.n_iter_ == 40
    assert est.loss_curve_[-1] < est.loss_curve_[0]
    assert est.score(X, y) > 0.85
    proba = est.predict_proba(X)
    assert proba.shape == (240, 2) and np.allclose(proba.sum(axis=1), 1.0)
    assert est.history_["stop"] == "epochs"


def test_text_labels_and_three_classes():
    rng = np.random.default_rng(3)
    X = rng.normal(size=(300, 3))
    labels = np.array(["Adelie", "Chinstrap", "Gentoo"])[np.argmax(X, axis=1)]
    est = shrink.MLPClassifier(hidden_layer_sizes=(16,), epochs=60, random_state=1).fit(X, labels)
    assert list(est.classes_) == ["Adelie", "Chinstrap", "Gentoo"]
    assert est.predict_proba(X).shape == (300, 3)
    assert est.score(X, labels) > 0.85
    assert set(est.predict(X)) <= set(est.classes_)


def test_regressor():
    X, y = regression()
    est = shrink.MLPRegressor(hidden_layer_sizes=(16,), epochs=100, learning_rate=0.01, random_state=0).fit(X, y)
    assert est.score(X, y) > 0.95
    assert est.predict(X).shape == (200,)


def test_proximal_l1_makes_exact_zeros_and_reports_inputs_used():
    X, y = two_classes(d=10)
    est = shrink.MLPClassifier(
        hidden_layer_sizes=(8,), penalty="group-rows@proximal", alpha=0.005, epochs=150, learning_rate=0.01,
        random_state=0,
    ).fit(X, y)
    kernel = est.coefs_[0]
    zero_rows = np.all(kernel == 0.0, axis=1)
    assert zero_rows.sum() >= 5, kernel
    report = {r["name"]: r for r in est.weight_report()}
    first = report["dense_0.kernel"]
    assert first["penalty"].startswith("group-rows")
    assert first["inputs_used"] == [f"x{j}" for j in range(10) if not zero_rows[j]]
    assert "x0" in first["inputs_used"]

    l1 = shrink.MLPClassifier(hidden_layer_sizes=(8,), penalty="l1@proximal", alpha=0.02, epochs=60).fit(X, y)
    assert (l1.coefs_[0] == 0.0).sum() > 0
    assert l1.weight_report()[0]["zeros"] == int((l1.coefs_[0] == 0.0).sum())


def test_elastic_net_and_errors_from_the_library():
    X, y = two_classes()
    est = shrink.MLPClassifier(hidden_layer_sizes=(4,), penalty="elastic-net", l1_ratio=0.5, alpha=0.01, epochs=5)
    est.fit(X, y)
    assert "l1" in est.weight_report()[0]["penalty"]
    with pytest.raises(ValueError, match="family"):
        shrink.MLPClassifier(penalty="l3", epochs=1).fit(X, y)
    with pytest.raises(ValueError, match="activation|unknown variant"):
        shrink.MLPClassifier(activation="nope", epochs=1).fit(X, y)
    with pytest.raises(ValueError, match="batch_size"):
        shrink.MLPClassifier(batch_size=0, epochs=1).fit(X, y)


def test_early_stopping_and_tol():
    X, y = two_classes()
    est = shrink.MLPClassifier(
        hidden_layer_sizes=(8,), epochs=500, early_stopping=True, patience=3, learning_rate=0.05, random_state=0
    ).fit(X, y)
    assert est.n_iter_ < 500 and est.history_["stop"] == "early_stopping"
    assert "validation" in est.history_["epochs"][0] and est.history_["epochs"][0]["validation"] is not None
    est = shrink.MLPClassifier(hidden_layer_sizes=(8,), epochs=2000, tol=1e-2, patience=2).fit(X, y)
    assert est.n_iter_ < 2000 and est.history_["converged"] is True


def test_gridsearch_and_pipeline():
    X, y = two_classes()
    grid = GridSearchCV(
        shrink.MLPClassifier(hidden_layer_sizes=(8,), epochs=20), {"alpha": [1e-4, 1e-1]}, cv=3
    ).fit(X, y)
    assert grid.best_params_["alpha"] in (1e-4, 1e-1)
    assert len(grid.cv_results_["mean_test_score"]) == 2
    pipe = make_pipeline(StandardScaler(), shrink.MLPClassifier(hidden_layer_sizes=(8,), epochs=20, learning_rate=0.01, scaling="none"))
    assert pipe.fit(X, y).score(X, y) > 0.85


def test_dataframe_feature_names():
    pd = pytest.importorskip("pandas")
    X, y = two_classes(d=3)
    frame = pd.DataFrame(X, columns=["age", "dose", "weight"])
    est = shrink.MLPClassifier(hidden_layer_sizes=(4,), epochs=10).fit(frame, y)
    assert list(est.feature_names_in_) == ["age", "dose", "weight"]
    assert est.weight_report()[0]["inputs_used"] == ["age", "dose", "weight"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # scikit-learn: X has no feature names (expected here)
        assert np.array_equal(est.predict(frame), est.predict(X))


def test_pickle_roundtrip():
    X, y = two_classes()
    est = shrink.MLPClassifier(hidden_layer_sizes=(5,), epochs=10).fit(X, y)
    again = pickle.loads(pickle.dumps(est))
    assert np.array_equal(again.predict_proba(X), est.predict_proba(X))


def test_sklearn_alpha_conversion():
    assert shrink.from_sklearn_alpha(1e-4, 200) == pytest.approx(2.5e-7)
    assert shrink.from_sklearn_alpha(1e-4, 200, regression=True) == pytest.approx(5e-7)


# -- files and the CLI ----------------------------------------------------------------------


def test_save_then_cli_predict_and_load_back(tmp_path):
    X, y = two_classes()
    est = shrink.MLPClassifier(hidden_layer_sizes=(8,), epochs=30, penalty="l1@proximal", alpha=1e-3).fit(X, y)
    model = tmp_path / "model.safetensors"
    est.save(model)
    with pytest.raises(ValueError, match="exists"):
        est.save(model)
    data = tmp_path / "rows.csv"
    write_csv(data, X)
    header, rows = cli_predictions(model, data)
    assert header == ["pred_target", "class_target"]
    cli_p = np.array([float(r[0]) for r in rows])
    # The CLI prints f32 outputs in their shortest form: equal to the f32 value.
    assert np.array_equal(cli_p.astype(np.float32), est.predict_proba(X)[:, 1].astype(np.float32))
    assert np.array_equal(np.array([int(r[1]) for r in rows]), est.predict(X))
    assert "dense_0.kernel" in run_cli("inspect", "--model", model)

    back = shrink.load(model)
    assert isinstance(back, shrink.MLPClassifier)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert np.array_equal(back.predict_proba(X), est.predict_proba(X))
    for a, b in zip(back.coefs_, est.coefs_):
        assert np.array_equal(a, b)


def test_same_fit_as_the_cli(tmp_path):
    """The CLI trained on the same rows with the estimator's spec gives the same model."""
    X, y = regression()
    est = shrink.MLPRegressor(hidden_layer_sizes=(6,), epochs=25, penalty="l1", alpha=1e-3, random_state=7)
    est.fit(X, y)
    spec = tmp_path / "spec.json"
    spec.write_text(json.dumps(est.spec_))
    data = tmp_path / "train.csv"
    write_csv(data, X, y)
    out = tmp_path / "cli"
    run_cli("train", "--spec", spec, "--data", data, "--target", "target", "--out", out)
    cli_model = shrink.load(out / "model.safetensors")
    for a, b in zip(cli_model.coefs_ + cli_model.intercepts_, est.coefs_ + est.intercepts_):
        assert np.array_equal(a, b)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert np.array_equal(cli_model.predict(X), est.predict(X))
    # and the CLI's own predictions of its model are the Python ones (f64 after the f32 network)
    header, rows = cli_predictions(out / "model.safetensors", data)
    assert header == ["pred_target"]
    assert np.allclose(np.array([float(r[0]) for r in rows]), est.predict(X), rtol=0, atol=1e-12)


def test_load_a_cli_trained_classifier(tmp_path):
    X, y = two_classes(d=3)
    data = tmp_path / "train.csv"
    names = ["a", "b", "c"]
    write_csv(data, X, y, names)
    spec = tmp_path / "spec.toml"
    spec.write_text(
        'loss = "binary_crossentropy"\nscaling = "standard"\nepochs = 15\n'
        '[[layers]]\ntype = "dense"\nunits = 4\nactivation = "relu"\nkernel_penalty = "l2:1e-3"\n'
        '[[layers]]\ntype = "dense"\nunits = 1\nactivation = "sigmoid"\n'
    )
    out = tmp_path / "cli"
    run_cli("train", "--spec", spec, "--data", data, "--target", "target", "--out", out)
    est = shrink.load(out / "model.safetensors")
    assert list(est.feature_names_in_) == names and list(est.classes_) == [0, 1]
    header, rows = cli_predictions(out / "model.safetensors", data)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        p = est.predict_proba(X)[:, 1]
        assert np.array_equal(np.array([float(r[0]) for r in rows]).astype(np.float32), p.astype(np.float32))
        assert np.array_equal(np.array([int(r[1]) for r in rows]), est.predict(X))
    assert est.weight_report()[0]["penalty"] == "l2:0.001"
    if shutil.which("true"):
        assert est.spec_["epochs"] == 15


# -- the CV estimators ----------------------------------------------------------------------


@pytest.mark.parametrize("Est", [shrink.MLPClassifierCV, shrink.MLPRegressorCV])
def test_check_estimator_cv(Est):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        results = check_estimator(Est(n_alphas=4, cv=3), on_fail=None)
    failed = [(r["check_name"], repr(r["exception"])) for r in results if r["status"] == "failed"]
    assert failed == []


def test_cv_attributes_and_rules():
    X, y = two_classes(d=8)
    est = shrink.MLPClassifierCV(hidden_layer_sizes=(8,), epochs=40, learning_rate=0.01, n_alphas=6, cv=3)
    est.fit(X, y)
    res = est.cv_results_
    assert len(est.alphas_) == 6 and np.array_equal(res["alpha"], np.sort(est.alphas_)[::-1])
    assert all(len(v) == 6 for v in res.values()) and np.all(res["n"] == 3)
    best = res["alpha"][np.argmin(res["mean_score"])]
    assert est.selection_["best_alpha"] == best and est.alpha_ >= best
    assert est.score_name_ == "log-loss"
    assert est.weight_report()[0]["penalty"] == f"l1:{est.alpha_}@proximal"
    best_est = clone(est).set_params(select="best", alphas=list(res["alpha"])).fit(X, y)
    assert best_est.alpha_ == best
    with pytest.raises(ValueError, match="select"):
        clone(est).set_params(select="median").fit(X, y)
    with pytest.raises(ValueError, match="score"):
        clone(est).set_params(scoring="f1").fit(X, y)


def test_cv_same_as_cli_search(tmp_path):
    X, y = two_classes(d=5)
    data = tmp_path / "d.csv"
    write_csv(data, X, y)
    est = shrink.MLPClassifierCV(
        hidden_layer_sizes=(6,), epochs=20, learning_rate=0.01, n_alphas=4, cv=3, random_state=2
    ).fit(X, y)
    spec = tmp_path / "s.json"
    spec.write_text(json.dumps(est.spec_))
    out = tmp_path / "search"
    run_cli(
        "search", "--spec", spec, "--data", data, "--target", "target", "--param", "dense_0.kernel",
        "--penalty", "l1@proximal", "--alphas", "auto:4", "--cv", 3, "--repeats", 1, "--select", "1se", "--refit", "--out", out,
    )  # fmt: skip
    with open(out / "alphas.csv") as f:
        rows = list(csv.DictReader(f))
    assert np.array_equal([float(r["alpha"]) for r in rows], est.cv_results_["alpha"])
    assert np.array_equal([float(r["score_mean"]) for r in rows], est.cv_results_["mean_score"])
    assert [r["chosen"] for r in rows].index("1") == list(est.cv_results_["alpha"]).index(est.alpha_)
    refit = shrink.load(out / "model.safetensors")
    for a, b in zip(refit.coefs_ + refit.intercepts_, est.coefs_ + est.intercepts_):
        assert np.array_equal(a, b)
