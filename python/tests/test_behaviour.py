"""What a Python user expects beyond scikit-learn's checks: inputs of any layout, Ctrl-C,
verbose output, the relaxed refit and loading every kind of CLI model file."""

import json
import os
import signal
import threading
import time

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError

import shrink
from test_estimators import ROOT, cli_predictions, regression, run_cli, two_classes, write_csv

PENGUINS = ROOT / "examples" / "data" / "penguins.csv"
AIRLINE = ROOT / "crates" / "shrink-cli" / "data" / "airline_passengers.csv"


# -- inputs -----------------------------------------------------------------------------------


def params(est):
    return [p.copy() for p in est.coefs_ + est.intercepts_]


@pytest.mark.parametrize("Est", [shrink.MLPClassifier, shrink.MLPRegressor])
def test_float32_fortran_lists_and_frames_fit_and_predict_alike(Est):
    pd = pytest.importorskip("pandas")
    X, y = two_classes(n=120, d=4) if Est is shrink.MLPClassifier else regression(n=120, d=4)
    X = X.astype(np.float32).astype(np.float64)  # values a float32 array holds exactly
    est = Est(hidden_layer_sizes=(6,), epochs=15, learning_rate=0.01, random_state=3)
    reference = est.fit(X, y)
    ref_params, ref_pred = params(reference), reference.predict(X)
    inputs = {
        "float32 C": np.ascontiguousarray(X, dtype=np.float32),
        "float32 F": np.asfortranarray(X, dtype=np.float32),
        "float64 F": np.asfortranarray(X),
        "list": X.tolist(),
    }
    for name, Xi in inputs.items():
        other = clone(est).fit(Xi, y)
        assert all(np.array_equal(a, b) for a, b in zip(params(other), ref_params)), name
        assert np.array_equal(other.predict(Xi), ref_pred), name
        assert np.array_equal(reference.predict(Xi), ref_pred), name
    frame = pd.DataFrame(X, columns=["a", "b", "c", "d"])
    framed = clone(est).fit(frame, y)
    assert all(np.array_equal(a, b) for a, b in zip(params(framed), ref_params))
    assert np.array_equal(framed.predict(frame), ref_pred)
    out = framed.predict(frame)
    assert isinstance(out, np.ndarray) and out.flags.writeable


# -- Ctrl-C -----------------------------------------------------------------------------------


def interrupt_after(seconds):
    """Sends this process SIGINT (what Ctrl-C sends) from another thread after `seconds`."""
    timer = threading.Timer(seconds, os.kill, (os.getpid(), signal.SIGINT))
    timer.start()
    return timer


def interrupted_within(fit, after, limit=3.0):
    """Runs `fit()` with a SIGINT `after` seconds in; asserts it raised KeyboardInterrupt within `limit`."""
    timer = interrupt_after(after)
    start = time.monotonic()
    with pytest.raises(KeyboardInterrupt):
        fit()
    elapsed = time.monotonic() - start
    timer.join()
    assert elapsed < limit, elapsed


@pytest.mark.skipif(os.name != "posix", reason="SIGINT from a thread")
@pytest.mark.parametrize("threads", [1, 2])
def test_ctrl_c_stops_a_fit_between_batches(threads):
    X, y = two_classes(n=400, d=6)
    est = shrink.MLPClassifier(hidden_layer_sizes=(32,), epochs=5, random_state=0, threads=threads).fit(X, y)
    before = params(est)
    est.set_params(epochs=1_000_000)  # hours: only the interrupt ends it
    interrupted_within(lambda: est.fit(X, y), after=0.3)
    # The estimator is as before the fit: the old model, untouched.
    assert all(np.array_equal(a, b) for a, b in zip(params(est), before))
    assert est.n_iter_ == 5
    fresh = clone(est)
    interrupted_within(lambda: fresh.fit(X, y), after=0.3)
    with pytest.raises(NotFittedError):
        fresh.predict(X)
    assert not hasattr(fresh, "n_features_in_") and not hasattr(fresh, "coefs_")
    # and it fits normally afterwards
    assert fresh.set_params(epochs=2).fit(X, y).n_iter_ == 2


@pytest.mark.skipif(os.name != "posix", reason="SIGINT from a thread")
@pytest.mark.parametrize("threads", [1, 2])
def test_ctrl_c_stops_a_search(threads):
    X, y = two_classes(n=300, d=5)
    est = shrink.MLPClassifierCV(hidden_layer_sizes=(32,), epochs=200_000, n_alphas=5, cv=3, threads=threads)
    interrupted_within(lambda: est.fit(X, y), after=0.5)
    assert not hasattr(est, "alpha_") and not hasattr(est, "cv_results_")
    with pytest.raises(NotFittedError):
        est.predict(X)


# -- verbose ----------------------------------------------------------------------------------


def test_silent_by_default_and_one_line_per_epoch_or_trial_with_verbose(capfd):
    X, y = two_classes(n=80, d=3)
    shrink.MLPClassifier(hidden_layer_sizes=(4,), epochs=7).fit(X, y).predict(X)
    shrink.MLPClassifierCV(hidden_layer_sizes=(4,), epochs=3, n_alphas=2, cv=2).fit(X, y)
    out, err = capfd.readouterr()
    assert out == "" and err == ""

    shrink.MLPClassifier(hidden_layer_sizes=(4,), epochs=7, verbose=1).fit(X, y)
    out, err = capfd.readouterr()
    lines = err.splitlines()
    assert out == "" and len(lines) == 7, err
    assert lines[0].startswith("epoch 1/7: loss ") and lines[-1].startswith("epoch 7/7: loss ")

    shrink.MLPClassifier(hidden_layer_sizes=(4,), epochs=4, early_stopping=True, verbose=True).fit(X, y)
    assert all(", val_loss " in line for line in capfd.readouterr().err.splitlines())

    shrink.MLPClassifierCV(hidden_layer_sizes=(4,), epochs=3, alphas=[0.1, 0.01], cv=2, verbose=1).fit(X, y)
    lines = capfd.readouterr().err.splitlines()
    assert len(lines) == 4, lines
    assert {line.split(":")[0] for line in lines} == {f"trial {i}/4" for i in range(1, 5)}
    assert all("alpha 0.1" in line or "alpha 0.01" in line for line in lines)


# -- relax ------------------------------------------------------------------------------------


def test_relax_refits_on_the_support_as_the_cli_does(tmp_path):
    rng = np.random.default_rng(5)
    X = rng.normal(size=(200, 6))
    y = (X[:, 0] - X[:, 1] > 0).astype(int)  # four inputs are noise
    settings = dict(hidden_layer_sizes=(6,), penalty="group-rows@proximal", epochs=150, learning_rate=0.01,
                    alphas=[0.01], cv=3, random_state=1)
    plain = shrink.MLPClassifierCV(**settings).fit(X, y)
    est = shrink.MLPClassifierCV(relax=True, **settings).fit(X, y)
    assert plain.relax_results_ is None and plain.support_.all() and plain.coefs_[0].shape[0] == 6
    r = est.relax_results_
    assert r["alpha"] == est.alpha_ == 0.01 and len(r["trials"]) == 3
    # The penalized fits are the search's own trials; the relaxed model reads only the support.
    assert r["penalized_mean"] == est.cv_results_["mean_score"][0]
    assert r["parameters_mean"] < r["parameters_before"]
    assert est.support_[0] and est.support_[1] and est.support_.sum() < 6
    assert est.coefs_[0].shape == (est.support_.sum(), est.coefs_[0].shape[1])
    assert est.n_features_in_ == 6 and est.predict(X).shape == (200,) and est.score(X, y) > 0.9
    assert est.weight_report()[0]["penalty"] == "none"  # the searched penalty is removed

    data = tmp_path / "d.csv"
    write_csv(data, X, y)
    spec = tmp_path / "s.json"
    spec.write_text(json.dumps(plain.spec_))  # the searched spec (the relaxed model's is pruned)
    out = tmp_path / "search"
    run_cli(
        "search", "--spec", spec, "--data", data, "--target", "target", "--param", "dense_0.kernel",
        "--penalty", "group-rows@proximal", "--alphas", "0.01", "--cv", 3, "--repeats", 1, "--relax", "--refit",
        "--out", out,
    )  # fmt: skip
    summary = json.loads((out / "summary.json").read_text())
    for key in ["penalized_mean", "relaxed_mean", "relaxed_se", "inputs_kept_mean", "parameters_mean"]:
        assert summary["relax"][key] == r[key], key
    cli_model = shrink.load(out / "model.safetensors")
    assert list(cli_model.feature_names_in_) == [f"x{j}" for j in range(6) if est.support_[j]]
    assert all(np.array_equal(a, b) for a, b in zip(params(cli_model), params(est)))
    header, rows = cli_predictions(out / "model.safetensors", data)
    cli_p = np.array([float(row[0]) for row in rows]).astype(np.float32)
    assert np.array_equal(cli_p, est.predict_proba(X)[:, 1].astype(np.float32))


# -- CLI model files of every kind ------------------------------------------------------------


def test_load_a_model_with_categorical_columns_predicts_from_a_frame_as_the_cli(tmp_path):
    pd = pytest.importorskip("pandas")
    spec = tmp_path / "penguins.toml"
    text = (ROOT / "examples" / "penguins.toml").read_text()
    spec.write_text(text.replace("epochs = 200", "epochs = 20"))
    out = tmp_path / "penguins"
    run_cli("train", "--spec", spec, "--data", PENGUINS, "--target", "species", "--val-split", 0.3, "--out", out)
    model = out / "model.safetensors"
    est = shrink.load(model)
    assert isinstance(est, shrink.MLPClassifier)
    assert list(est.classes_) == ["Adelie", "Chinstrap", "Gentoo"]
    assert set(est.feature_names_in_) == {"island", "sex", "bill_length_mm", "bill_depth_mm", "flipper_length_mm",
                                          "body_mass_g"}
    frame = pd.read_csv(PENGUINS)  # with the id, date and target columns, which predict ignores
    header, rows = cli_predictions(model, PENGUINS)
    assert header == ["prob_Adelie", "prob_Chinstrap", "prob_Gentoo", "pred_species"]
    cli_p = np.array([[float(v) for v in row[:3]] for row in rows]).astype(np.float32)
    assert np.array_equal(est.predict_proba(frame).astype(np.float32), cli_p)
    assert list(est.predict(frame)) == [row[-1] for row in rows]
    assert est.score(frame, frame["species"]) > 0.8
    # columns in another order, categories as a pandas category dtype: the same
    shuffled = frame[list(reversed(frame.columns))].astype({"island": "category"})
    assert np.array_equal(est.predict_proba(shuffled), est.predict_proba(frame))
    with pytest.raises(ValueError, match="DataFrame"):
        est.predict(frame[["bill_length_mm", "bill_depth_mm", "flipper_length_mm", "body_mass_g"]].to_numpy())
    with pytest.raises(ValueError, match="island"):
        est.predict(frame.drop(columns=["island"]))
    unseen = frame.head(3).assign(island="Atlantis")
    with pytest.raises(ValueError, match="Atlantis"):
        est.predict(unseen)  # handle_unknown = "error", as shrink predict


def test_load_a_series_model_says_how_to_forecast(tmp_path):
    spec = tmp_path / "airline.toml"
    text = (ROOT / "examples" / "airline_lstm.toml").read_text()
    spec.write_text(text.replace("epochs = 300", "epochs = 2"))
    out = tmp_path / "airline"
    run_cli("train", "--spec", spec, "--data", AIRLINE, "--out", out)
    with pytest.raises(ValueError, match=r"\[series\] model .*passengers.*windows of 12 .*shrink predict"):
        shrink.load(out / "model.safetensors")


def test_cv_estimators_refuse_early_stopping_before_searching_and_document_every_parameter():
    X, y = two_classes(n=60, d=3)
    start = time.monotonic()
    with pytest.raises(ValueError, match="early_stopping: .*refit .*every row.*tol"):
        shrink.MLPClassifierCV(epochs=100_000, early_stopping=True).fit(X, y)
    assert time.monotonic() - start < 1.0
    for Est in [shrink.MLPClassifierCV, shrink.MLPRegressorCV]:
        doc = Est.__doc__
        for name in Est().get_params():
            assert f"    {name} :" in doc, (Est.__name__, name)
        assert "    alpha :" not in doc
