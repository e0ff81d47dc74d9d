"""The collinear regression table of crates/shrink/tests/data/lasso_collinear.csv and the
scikit-learn Lasso coefficients that crates/shrink/tests/convergence.rs pins.

x2 is x1 plus 0.5 % noise, so proximal gradient descent moves along x1 − x2 about 10⁵ times
slower than along x1 + x2: a fixed 5000 epochs stop far from the solution with the wrong zeros.

    python3 scripts/lasso_collinear.py > crates/shrink/tests/data/lasso_collinear.csv
"""
import sys

import numpy as np
from sklearn.linear_model import Lasso

r = np.random.RandomState(0)
n = 100
x1 = r.normal(size=n)
x2 = x1 + 0.005 * r.normal(size=n)
x3, x4, x5 = r.normal(size=(3, n))
X = np.column_stack([x1, x2, x3, x4, x5])
y = 2 * x1 + 1 * x3 + 0.3 * x4 + 0.5 * r.normal(size=n)
print("x1,x2,x3,x4,x5,y")
for row, t in zip(X, y):
    print(",".join(repr(float(v)) for v in row) + "," + repr(float(t)))
m = Lasso(alpha=0.1, tol=1e-14, max_iter=1_000_000).fit(X, y)
print("coef_", [repr(float(c)) for c in m.coef_], "intercept_", repr(float(m.intercept_)), file=sys.stderr)
