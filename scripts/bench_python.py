#!/usr/bin/env python3
"""One fit of the case-study network from Python, through the CLI and with scikit-learn.

The network of `shrink case-study`: two moons (make_moons(100, noise=0.2, random_state=1),
rows 0-29 train), Dense(500, relu) -> Dense(1, sigmoid), Adam (lr 0.001), 4000 epochs, batch 32
(one batch of 30 rows per epoch: 4000 steps), L2 on the kernels. The three fits:

  python   shrink.MLPClassifier(...).fit(X, y)      (the binding: arrays in, model out)
  cli      shrink train --spec S --data D.csv ...   (the same spec; the wall time of the process,
                                                     start-up, reading the CSV and writing the
                                                     model files included)
  sklearn  sklearn.neural_network.MLPClassifier(solver="adam", the same architecture, epochs,
           batch size and learning rate, alpha converted: shrink's l2 = a / (2 * batch), batch =
           min(32, 30) = 30; tol=0 and n_iter_no_change=epochs so it runs every epoch)

Each is timed REPEATS times in this one run (interleaved), the medians printed with the ratios.
BLAS is held to one thread (as shrink's fit, threads=1). Usage:

  python scripts/bench_python.py [path/to/shrink] [--repeats 3]
"""

import os

for var in ["OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"]:
    os.environ.setdefault(var, "1")

import argparse  # noqa: E402
import csv  # noqa: E402
import json  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402
from pathlib import Path  # noqa: E402

from sklearn.datasets import make_moons  # noqa: E402
from sklearn.exceptions import ConvergenceWarning  # noqa: E402
from sklearn.neural_network import MLPClassifier as SkMLP  # noqa: E402

import shrink  # noqa: E402

EPOCHS, BATCH, LR, ALPHA, HIDDEN = 4000, 32, 1e-3, 1e-3, 500


def main():
    root = Path(__file__).resolve().parents[1]
    parser = argparse.ArgumentParser()
    parser.add_argument("shrink_bin", nargs="?", default=str(root / "target" / "release" / "shrink"))
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()

    X, y = make_moons(100, noise=0.2, random_state=1)
    X_train, y_train, X_test, y_test = X[:30], y[:30], X[30:], y[30:]
    est = shrink.MLPClassifier(hidden_layer_sizes=(HIDDEN,), penalty="l2", alpha=ALPHA, learning_rate=LR,
                               epochs=EPOCHS, batch_size=BATCH, scaling="none", random_state=0)
    sk_alpha = ALPHA * 2 * min(BATCH, len(X_train))
    sk = SkMLP(hidden_layer_sizes=(HIDDEN,), solver="adam", alpha=sk_alpha, batch_size=BATCH, learning_rate_init=LR,
               max_iter=EPOCHS, tol=0.0, n_iter_no_change=EPOCHS, shuffle=True, random_state=0)

    tmp = Path(tempfile.mkdtemp())
    data = tmp / "moons.csv"
    with open(data, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["x0", "x1", "target"])
        for row, label in zip(X_train, y_train):
            w.writerow([repr(float(v)) for v in row] + [int(label)])
    spec = tmp / "spec.json"
    spec.write_text(json.dumps(est.fit(X_train, y_train).spec_))  # also a warm-up

    def python():
        est.fit(X_train, y_train)
        return est.score(X_test, y_test)

    def cli():
        out = tmp / "cli"
        subprocess.run([args.shrink_bin, "train", "--spec", spec, "--data", data, "--target", "target", "--out", out,
                        "--force"], check=True, capture_output=True)
        return shrink.load(out / "model.safetensors").score(X_test, y_test)

    def sklearn():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            sk.fit(X_train, y_train)
        assert sk.n_iter_ == EPOCHS
        return sk.score(X_test, y_test)

    runs = {"python": python, "cli": cli, "sklearn": sklearn}
    seconds = {name: [] for name in runs}
    accuracy = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # the loaded CLI model has feature names
        for _ in range(args.repeats):
            for name, run in runs.items():
                start = time.perf_counter()
                accuracy[name] = run()
                seconds[name].append(time.perf_counter() - start)
    med = {name: statistics.median(v) for name, v in seconds.items()}
    print(f"case-study fit: 2->{HIDDEN}->1, {EPOCHS} epochs of one batch of 30 rows, adam lr {LR}, "
          f"median of {args.repeats}")
    for name in runs:
        print(f"  {name:8s} {med[name]:7.3f} s   (runs: {', '.join(f'{s:.3f}' for s in seconds[name])}; "
              f"test accuracy {accuracy[name]:.3f})")
    print(f"  python / cli     = {med['python'] / med['cli']:.2f}")
    print(f"  sklearn / python = {med['sklearn'] / med['python']:.2f}")


if __name__ == "__main__":
    main()
