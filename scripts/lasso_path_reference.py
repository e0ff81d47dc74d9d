"""Reference for `crates/shrink-cli/tests/alpha_path.rs`: scikit-learn's `lasso_path` on a
committed table, the numbers `shrink search --alphas auto` must reproduce.

Writes crates/shrink-cli/tests/data/lasso_path.csv (100 rows, 8 correlated inputs, a centered
target) and prints sklearn's alpha_max and the support size at each alpha of its path
(eps = 1e-3, 10 alphas), and at shrink's alphas (2 × sklearn's, times 1 + 1e-4: shrink's MSE
is RSS/n, twice sklearn's 1/(2n)·RSS, and its path starts 1e-4 above alpha_max) to show that no
alpha sits near a knot of the path.

    python3 scripts/lasso_path_reference.py
"""
import numpy as np
from sklearn.linear_model import lasso_path
from sklearn.preprocessing import StandardScaler

rng = np.random.RandomState(7)
n, p = 100, 8
z = rng.normal(size=(n, p))
x = z.copy()
x[:, 1] = 0.6 * z[:, 0] + 0.8 * z[:, 1]          # some correlation, as real tables have
x[:, 5] = 0.5 * z[:, 4] + 0.866 * z[:, 5]
x = x * np.array([1.0, 2.0, 0.5, 3.0, 1.0, 1.5, 0.7, 1.2]) + np.arange(p)   # other scales and offsets
beta = np.array([3.0, -2.0, 1.5, 0.0, 0.0, 1.0, 0.0, 0.4])
y = x @ beta + rng.normal(scale=1.0, size=n)
y = y - y.mean()                                  # centered: shrink's bias starts at its optimum, 0

header = ",".join([f"x{i}" for i in range(p)] + ["y"])
rows = [",".join(repr(float(v)) for v in list(x[r]) + [y[r]]) for r in range(n)]
open("crates/shrink-cli/tests/data/lasso_path.csv", "w").write(header + "\n" + "\n".join(rows) + "\n")

# Re-read what was written (the file is the reference, not the arrays in memory).
data = np.loadtxt("crates/shrink-cli/tests/data/lasso_path.csv", delimiter=",", skiprows=1)
xs = StandardScaler().fit_transform(data[:, :p])
yc = data[:, p] - data[:, p].mean()
alphas, coefs, _ = lasso_path(xs, yc, eps=1e-3, n_alphas=10, tol=1e-12, max_iter=100000)
print("sklearn alpha_max", repr(alphas[0]), "=", repr(np.max(np.abs(xs.T @ yc)) / n))
print("shrink alpha_max (2x)", repr(2 * alphas[0]))
print("support sizes", [int(np.sum(c != 0)) for c in coefs.T])
shifted, coefs2, _ = lasso_path(xs, yc, alphas=alphas * (1 + 1e-4), tol=1e-12, max_iter=100000)
print("support sizes at alpha*(1+1e-4)", [int(np.sum(c != 0)) for c in coefs2.T])
# Distance of each grid alpha to the nearest knot (where the support changes), relative.
fine = np.geomspace(alphas[0], alphas[-1] / 2, 4000)
_, fc, _ = lasso_path(xs, yc, alphas=fine, tol=1e-12, max_iter=100000)
sizes = (fc != 0).sum(axis=0)
knots = [fine[i] for i in range(1, len(fine)) if sizes[i] != sizes[i - 1]]
print("knots", [float("%.4g" % k) for k in knots])
print("closest relative distance of a grid alpha to a knot",
      min(min(abs(a - k) / a for k in knots) for a in alphas[1:]))
