"""Reference windows for shrink's `[series]` stage (numpy only).

Reads crates/shrink-data/tests/data/series_short.csv and prints, for columns
[passengers, index] (target passengers), window 3, horizon 2, transform
["log", "difference"]: each window's origin row t, its inputs (step-major, column
within step), its target, its anchor and the target inverted back to passengers.

    python3 scripts/series_reference.py

Definitions (crates/shrink-data/src/series/mod.rs): z = log(v); inputs at step k are
z[r] - z[r-1] for r = t-window+1+k; target z[t+h] - z[t]; anchor z[t];
inversion exp(anchor + target).
"""
import pathlib

import numpy as np

root = pathlib.Path(__file__).resolve().parent.parent
path = root / "crates/shrink-data/tests/data/series_short.csv"
data = np.genfromtxt(path, delimiter=",", names=True, dtype=None, encoding="utf-8")
v = np.stack([data["passengers"].astype(float), data["index"].astype(float)], axis=1)
window, horizon = 3, 2
z = np.log(v)
d = np.diff(z, axis=0)  # d[r-1] = z[r] - z[r-1]
context = window + 1
for t in range(context - 1, len(v) - horizon):
    x = d[t - window : t].reshape(-1)  # rows t-window+1 .. t of z, differenced
    y = z[t + horizon, 0] - z[t, 0]
    anchor = z[t, 0]
    print(t, " ".join(repr(float(a)) for a in x), repr(float(y)), repr(float(anchor)), repr(float(np.exp(anchor + y))))
