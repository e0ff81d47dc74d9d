"""shrink: neural networks with explicit weight penalties (L1, L2, elastic net, group lasso,
exact zeros in proximal mode), as scikit-learn estimators over the shrink Rust core."""

from ._core import __version__
from ._estimators import MLPClassifier, MLPClassifierCV, MLPRegressor, MLPRegressorCV, from_sklearn_alpha, load

__all__ = ["MLPClassifier", "MLPClassifierCV", "MLPRegressor", "MLPRegressorCV", "from_sklearn_alpha", "load", "__version__"]
