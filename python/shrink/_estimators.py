"""scikit-learn estimators over shrink's Rust core.

Each estimator turns its parameters into a shrink model spec (JSON) and hands it, with the
rows, to ``shrink._core``: the library validates the spec (its messages come back as
``ValueError``), fits the preprocessing pipeline, builds the network and trains it exactly as
``shrink train`` does on a CSV of the same rows.
"""

import json
import os
import tempfile

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted

try:  # scikit-learn >= 1.6
    from sklearn.utils.validation import validate_data as _validate_data
except ImportError:  # pragma: no cover - older scikit-learn

    def _validate_data(est, X="no_validation", y="no_validation", **kw):
        return est._validate_data(X, y, **kw)

from . import _core

_TARGET = "target"

_PARAMS_DOC = """
    Parameters
    ----------
    hidden_layer_sizes : tuple of int, default (100,)
        Units of each hidden Dense layer.
    activation : str, default "relu"
        Activation of the hidden layers (shrink's names: relu, tanh, sigmoid, linear, …).
    penalty : str, default "l2"
        A penalty family in shrink's text form, optionally with a mode: "l1", "l2", "l1l2",
        "elastic-net" (uses ``l1_ratio``), "elastic-net:0.5", "group-rows", "group-columns",
        with "@proximal" (exact zeros) or "@decoupled" (pure L2). "none" turns penalties off.
    alpha : float, default 1e-4
        The family's strength in shrink's (Keras') scaling: the penalty
        ``l1·Σ|w| + l2·Σw²`` (no ½) is added to the *mean* data loss of each batch. For "l2",
        ``alpha`` is ``l2``. scikit-learn's MLP (``_backprop``) adds ``0.5·a·Σ‖W‖² / n_batch``
        for ``alpha=a`` to the mean loss of a batch of ``n_batch`` rows (``batch_size="auto"``
        is ``min(200, n_samples)``), over the kernels only, as here. Its classifiers' log-loss
        has shrink's scale, so ``MLPClassifier(alpha=a)`` is shrink's ``alpha = a/(2·batch_size)``
        (``from_sklearn_alpha(a, batch_size)``). Its regressors' loss is *half* the MSE, and
        shrink's mse is the whole MSE, so the same objective (doubled) needs
        ``alpha = a/batch_size`` (``from_sklearn_alpha(a, batch_size, regression=True)``). Both
        hold on every full batch; scikit-learn's shorter last batch gets a larger penalty.
    l1_ratio : float or None, default None
        With ``penalty="elastic-net"``: the L1 share R, penalty ``alpha·(R·Σ|w| + (1−R)/2·Σw²)``.
    penalty_on : str, default "*.kernel"
        A shrink selector of the parameters the penalty is attached to (biases are not
        penalized by default).
    optimizer : str, default "adam"
        "adam", "adamw", "sgd", "rmsprop" (shrink's optimizers, Keras defaults).
    learning_rate : float or None, default None
        The optimizer's ``lr`` (None: the optimizer's default).
    epochs : int, default 200
    batch_size : int, default 32
    scaling : str, default "standard"
        Input scaling fitted on the training rows: "standard", "minmax" or "none".
    early_stopping : bool, default False
        Hold out ``validation_fraction`` of the rows (seeded by ``random_state``) and stop when
        the validation loss has not improved for ``patience`` epochs, restoring the best weights.
    validation_fraction : float, default 0.1
    patience : int, default 10
        Epochs without improvement for ``early_stopping``, and ``n_iter_no_change`` for ``tol``.
    tol : float or None, default None
        Stop once the training loss fell by less than ``tol`` (relative) for more than
        ``patience`` epochs (scikit-learn's rule). None: run all epochs.
    random_state : int or None, default None
        The spec's seed (None is seed 0: fits are deterministic).
    threads : int, default 1
        Threads for the large products inside a step.
    verbose : int or bool, default 0
        0/False: print nothing. Otherwise one line per epoch on ``sys.stderr`` (Keras'
        ``verbose=2``): loss, validation loss with ``early_stopping``, seconds so far; the CV
        estimators print one line per trial (alpha, repeat, fold, score).

    Inputs are numeric arrays (numpy float32/float64 in C or Fortran order, lists, pandas
    DataFrames, whose column names become ``feature_names_in_``); outputs are numpy arrays. A
    fit releases the GIL and can be stopped with Ctrl-C (``KeyboardInterrupt``, raised before
    the next batch), which leaves the estimator as it was before ``fit``.
"""


def from_sklearn_alpha(alpha, batch_size, regression=False):
    """shrink's ``alpha`` (L2 family) equal to scikit-learn MLP's ``alpha`` at ``batch_size``.

    scikit-learn adds ``0.5·alpha·Σ‖W‖²/n_batch`` to the batch's mean loss; shrink adds
    ``l2·Σw²``; so ``l2 = alpha/(2·n_batch)`` (``shrink::Penalty::from_sklearn_alpha``) beside
    the log-loss, which both scale alike. scikit-learn's regression loss is ``MSE/2`` and
    shrink's is ``MSE``: the same minimizer takes ``l2 = alpha/n_batch`` (``regression=True``).
    """
    if batch_size < 1:
        raise ValueError("batch_size must be >= 1")
    return alpha / batch_size if regression else alpha / (2.0 * batch_size)


class _Base(BaseEstimator):
    _searches = False

    def __init__(
        self,
        hidden_layer_sizes=(100,),
        activation="relu",
        penalty="l2",
        alpha=1e-4,
        l1_ratio=None,
        penalty_on="*.kernel",
        optimizer="adam",
        learning_rate=None,
        epochs=200,
        batch_size=32,
        scaling="standard",
        early_stopping=False,
        validation_fraction=0.1,
        patience=10,
        tol=None,
        random_state=None,
        threads=1,
        verbose=0,
    ):
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.penalty = penalty
        self.alpha = alpha
        self.l1_ratio = l1_ratio
        self.penalty_on = penalty_on
        self.optimizer = optimizer
        self.learning_rate = learning_rate
        self.epochs = epochs
        self.batch_size = batch_size
        self.scaling = scaling
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.patience = patience
        self.tol = tol
        self.random_state = random_state
        self.threads = threads
        self.verbose = verbose

    # -- the spec ---------------------------------------------------------------------------
    def _family(self):
        family = str(self.penalty)
        if self.l1_ratio is not None:
            body, _, mode = family.partition("@")
            if body != "elastic-net":
                raise ValueError(f"l1_ratio needs penalty='elastic-net', got penalty={self.penalty!r}")
            family = f"elastic-net:{float(self.l1_ratio)!r}" + (f"@{mode}" if mode else "")
        return family

    def _spec(self, outputs, loss, out_activation):
        hidden = self.hidden_layer_sizes
        if isinstance(hidden, (int, np.integer)):
            hidden = (hidden,)
        layers = [{"type": "dense", "units": int(u), "activation": self.activation} for u in hidden]
        layers.append({"type": "dense", "units": int(outputs), "activation": out_activation})
        optimizer = {"name": self.optimizer}
        if self.learning_rate is not None:
            optimizer["lr"] = float(self.learning_rate)
        spec = {
            "layers": layers,
            "loss": loss,
            "optimizer": optimizer,
            "epochs": int(self.epochs),
            "batch_size": int(self.batch_size),
            "seed": 0 if self.random_state is None else int(self.random_state),
            "scaling": self.scaling,
        }
        if not self._searches and str(self.penalty) != "none" and self.alpha is not None:
            penalty = json.loads(_core.penalty_at(self._family(), float(self.alpha)))
            spec["penalties"] = [{"on": self.penalty_on, "penalty": penalty}]
        if self.early_stopping:
            spec["early_stopping"] = {"monitor": "val_loss", "patience": int(self.patience), "restore_best": True}
        if self.tol is not None:
            spec["tol"] = float(self.tol)
            spec["n_iter_no_change"] = int(self.patience)
        return spec

    # -- fitting ----------------------------------------------------------------------------
    def _fit_core(self, X, cells, spec):
        names = getattr(self, "feature_names_in_", None)
        features = [str(n) for n in names] if names is not None else [f"x{j}" for j in range(X.shape[1])]
        if self._searches:
            return self._search(spec, X, features, cells)
        val = float(self.validation_fraction) if self.early_stopping else None
        fitted, history = _core.fit(
            json.dumps(spec), _column_bytes(X), X.shape[0], features, _TARGET, cells, val, int(self.threads),
            bool(self.verbose),
        )
        self._set_fitted(fitted, json.loads(history), features)
        return self

    def _fit_atomically(self, fit, X, y):
        """Runs ``fit(X, y)``; when it raises (a bad parameter, Ctrl-C), the estimator is left
        as it was before (unfitted if it was)."""
        before = self.__dict__.copy()
        try:
            return fit(X, y)
        except BaseException:
            self.__dict__.clear()
            self.__dict__.update(before)
            raise

    def __sklearn_is_fitted__(self):
        return hasattr(self, "_fitted")

    def _set_fitted(self, fitted, history, features):
        self._fitted = fitted
        # The columns predict passes, by name (a relaxed CV model reads only some of them).
        self._features = list(features)
        self._kinds = fitted.input_kinds()
        self.n_features_in_ = len(self._features)
        kernels, biases = [], []
        for name, role, shape, values in fitted.params():
            array = np.frombuffer(values, dtype=np.float64).reshape(shape).copy()
            (kernels if role == "kernel" else biases).append(array)
        self.coefs_ = kernels
        self.intercepts_ = biases
        self.history_ = history
        epochs = history.get("epochs", []) if history else []
        self.loss_curve_ = [e["train"]["loss"] for e in epochs]
        self.n_iter_ = len(epochs)

    def _outputs(self, X):
        check_is_fitted(self, "_fitted")
        texts = [name for name, kind in self._kinds if kind == "text"]
        if texts:
            return self._table_outputs(X, texts)
        X = _validate_data(self, X, reset=False, dtype=np.float64)
        values, cols = self._fitted.predict(_column_bytes(X), X.shape[0], self._features)
        return np.frombuffer(values, dtype=np.float64).reshape(X.shape[0], cols).copy()

    def _table_outputs(self, X, texts):
        """A model that one-hot encodes columns (from ``load``) reads a DataFrame by name."""
        wanted = [name for name, _ in self._kinds]
        if not hasattr(X, "columns"):
            raise ValueError(
                f"this model one-hot encodes the columns {texts}: predict takes a pandas DataFrame with the columns "
                f"{wanted}, got {type(X).__name__}"
            )
        missing = [name for name in wanted if name not in X.columns]
        if missing:
            raise ValueError(f"the DataFrame lacks the columns {missing} that the model reads (it reads {wanted})")
        numbers = [name for name, kind in self._kinds if kind == "number"]
        block = np.asarray(X[numbers], dtype=np.float64) if numbers else np.empty((len(X), 0))
        cells = [(name, ["" if _missing(v) else str(v) for v in X[name]]) for name in texts]
        values, cols = self._fitted.predict(_column_bytes(block), len(X), numbers, cells)
        return np.frombuffer(values, dtype=np.float64).reshape(len(X), cols).copy()

    # -- files and reports ------------------------------------------------------------------
    def save(self, path, force=False):
        """Writes the model file `shrink train` writes (the CLI can `inspect`/`predict` it)."""
        check_is_fitted(self, "_fitted")
        self._fitted.save(str(path), force)

    def weight_report(self):
        """Per parameter: shape, L1/L2 norms, max |w|, zeros, inputs used (by name), dead units
        and the penalty in force (``shrink::weights::weight_report``)."""
        check_is_fitted(self, "_fitted")
        rows = json.loads(self._fitted.weight_report())
        names = self._fitted.features()
        for row in rows:
            if row["layer"].startswith("dense_0") and row["role"] == "kernel" and row["name"].endswith(".kernel"):
                kernel = np.asarray(self.coefs_[0])
                row["inputs_used"] = [n for n, r in zip(names, kernel) if np.any(r != 0)]
        return rows

    @property
    def spec_(self):
        """The fitted model's spec (dict)."""
        check_is_fitted(self, "_fitted")
        return json.loads(self._fitted.spec_json())

    def __getstate__(self):
        # Pickled as the model file's bytes (what `save` writes).
        state = self.__dict__.copy()
        fitted = state.pop("_fitted", None)
        if fitted is not None:
            with tempfile.TemporaryDirectory() as tmp:
                path = os.path.join(tmp, "model.safetensors")
                fitted.save(path, False)
                with open(path, "rb") as f:
                    state["_model_file"] = f.read()
        return state

    def __setstate__(self, state):
        state = dict(state)
        data = state.pop("_model_file", None)
        self.__dict__.update(state)
        if data is not None:
            with tempfile.TemporaryDirectory() as tmp:
                path = os.path.join(tmp, "model.safetensors")
                with open(path, "wb") as f:
                    f.write(data)
                self._fitted = _core.load(path)


class MLPClassifier(ClassifierMixin, _Base):
    __doc__ = "A multi-layer perceptron classifier with shrink's penalties.\n" + _PARAMS_DOC

    def fit(self, X, y):
        """Fits on rows X and class labels y (any labels; classes_ are sorted)."""
        return self._fit_atomically(self._fit, X, y)

    def _fit(self, X, y):
        X, y = _validate_data(self, X, y, dtype=np.float64, y_numeric=False)
        check_classification_targets(y)
        classes, codes = np.unique(y, return_inverse=True)
        if len(classes) < 2:
            raise ValueError(f"The number of classes has to be greater than one; got {len(classes)} class")
        k = len(classes)
        if k == 2:
            spec = self._spec(1, "binary_crossentropy", "sigmoid")
        else:
            spec = self._spec(k, "categorical_crossentropy", "softmax")
        # Labels that are not text go in as their index 0…k−1 (a number target of the CLI); text
        # labels as themselves (the CLI's sorted text classes, the same order as np.unique).
        textual = classes.dtype.kind in "US" or (
            classes.dtype.kind == "O" and all(isinstance(c, str) for c in classes) and not _numeric_texts(classes)
        )
        cells = [str(c) for c in y] if textual else [str(int(c)) for c in codes]
        self._fit_core(X, cells, spec)
        self.classes_ = classes
        return self

    def predict_proba(self, X):
        """Class probabilities, one column per ``classes_``."""
        p = self._outputs(X)
        if p.shape[1] == 1:
            p = np.hstack([1.0 - p, p])
        return p

    def predict(self, X):
        """The class of the highest probability (``> 0.5`` for two classes, as ``shrink predict``)."""
        p = self._outputs(X)
        index = (p[:, 0] > 0.5).astype(int) if p.shape[1] == 1 else _argmax_first(p)
        return self.classes_[index]


class MLPRegressor(RegressorMixin, _Base):
    __doc__ = "A multi-layer perceptron regressor (mse loss) with shrink's penalties.\n" + _PARAMS_DOC

    def fit(self, X, y):
        """Fits on rows X and one numeric target y."""
        return self._fit_atomically(self._fit, X, y)

    def _fit(self, X, y):
        X, y = _validate_data(self, X, y, dtype=np.float64, y_numeric=True)
        spec = self._spec(1, "mse", "linear")
        return self._fit_core(X, [repr(float(v)) for v in y], spec)

    def predict(self, X):
        """Predicted values (target scaling undone)."""
        return self._outputs(X)[:, 0]


def _column_bytes(X):
    """The float64 values of a 2-D array column after column (what ``_core`` reads): one copy,
    none beyond it for a Fortran-ordered float64 array."""
    return np.asarray(X, dtype=np.float64).tobytes(order="F")


def _missing(v):
    return v is None or (isinstance(v, float) and v != v)


def _numeric_texts(values):
    try:
        [float(v) for v in values]
        return True
    except ValueError:
        return False


def _argmax_first(p):
    """The first index of each row's maximum (``shrink predict``'s rule)."""
    return np.argmax(p, axis=1)


def load(path):
    """A fitted estimator from a model file written by the CLI or by ``save``.

    A model with a mse loss becomes an ``MLPRegressor``, a classifier an ``MLPClassifier``
    whose ``classes_`` are the file's class names (numbers when they all are). The estimator's
    constructor parameters keep their defaults; ``spec_`` holds the file's spec;
    ``feature_names_in_`` are the table columns the model reads. A model of numeric columns
    predicts from arrays (columns in that order) or DataFrames; one that one-hot encodes
    columns (a spec's ``categorical``) predicts from a pandas DataFrame holding those columns
    by name (categories as strings, other columns ignored), as ``shrink predict`` reads a CSV.

    A ``[series]`` model (it forecasts from windows of a time series, not from rows) raises
    ``ValueError``: forecast with ``shrink predict --model PATH --data SERIES.csv``.
    """
    fitted = _core.load(str(path))
    series = fitted.series()
    if series is not None:
        column, window = series
        raise ValueError(
            f"{path}: a [series] model (it forecasts `{column}` from windows of {window} rows, not from rows of "
            f"inputs); the Python estimators predict from rows: forecast with `shrink predict --model {path} --data "
            "SERIES.csv`"
        )
    classes = fitted.classes()
    est = MLPRegressor() if classes is None else MLPClassifier()
    est._set_fitted(fitted, None, [name for name, _ in fitted.input_kinds()])
    est.history_ = None
    est.loss_curve_ = None
    est.n_iter_ = None
    est.feature_names_in_ = np.asarray(est._features, dtype=object)
    if classes is not None:
        est.classes_ = np.asarray([int(c) for c in classes]) if _numeric_texts(classes) else np.asarray(classes)
    return est


_CV_DOC = """
    Search parameters (``shrink search --refit``)
    ----------------------------------------------
    penalty_on : str, default "dense_0.kernel"
        (for the CV estimators) the first kernel: with the default ``l1@proximal`` the search
        selects inputs, like LassoCV. alpha_max is 0 where the penalized parameters' data
        gradient vanishes at zero (every kernel at once, say); give ``alphas`` then.
    alphas : "auto" or list of float, default "auto"
        The alphas to score; "auto": ``n_alphas`` alphas on a log scale from alpha_max (the
        smallest alpha at which the family's penalty keeps every penalized weight at zero at
        the initialization, where the family has one) down to ``1e-3·alpha_max``.
    n_alphas : int, default 20
    cv : int or None, default 5
        Folds of cross-validation (stratified for classifiers); None: a 20% hold-out.
    repeats : int, default 1
        Seeds per alpha and fold.
    select : "1se" or "best", default "1se"
        The largest alpha within one standard error of the best mean score, or the best.
    scoring : str or None, default None
        What each trial is scored by (``shrink search --score``; named ``scoring`` as in
        scikit-learn's CV estimators, since ``score`` is the estimator's method): "log-loss" (classifiers' default), "accuracy", "auc", "mse" (regressors' default),
        "rmse", "mae".

    relax : bool, default False
        ``shrink search --relax`` (the relaxed lasso): after the search, prune the network to
        the support the penalized fit at ``alpha_`` keeps (the inputs and units whose weights
        are not all zero) and refit it there without the searched penalty, removing the
        shrinkage from the weights that stayed. ``relax_results_`` then compares penalized
        and relaxed fits on every fold (``penalized_mean``/``se``, ``relaxed_mean``/``se``,
        ``inputs_kept_mean``, ``parameters_mean``, ``parameters_before``, ``trials``), and the
        refit model is the relaxed one: it reads only the inputs in ``support_`` (a boolean
        mask over the ``n_features_in_`` columns; ``predict`` still takes all of them), so its
        ``coefs_[0]`` has one row per kept input. Dense-only networks.

    After ``fit``: ``alpha_`` (chosen), ``alphas_`` (the grid), ``cv_results_`` (numpy arrays
    per alpha, largest first: ``alpha``, ``mean_score``, ``se_score``, ``n``,
    ``mean_train_score``, ``kernel_l2``, ``zero_fraction``), ``selection_`` (the rule's
    reason and threshold), ``score_name_``, and the model refit at ``alpha_`` on every row
    (``predict``, ``coefs_``, ``save``, …).
"""


# The estimators' parameters without `alpha` (which the CV estimators search).
_WITHOUT_ALPHA = _PARAMS_DOC.split("    alpha : float")[0] + "    l1_ratio :" + _PARAMS_DOC.split("    l1_ratio :")[1]


class _SearchMixin:
    _searches = True

    def _search(self, spec, X, features, cells):
        if X.shape[0] < 2:
            raise ValueError(f"an alpha search needs at least 2 samples to validate on, got n_samples = {X.shape[0]}")
        if self.early_stopping:
            # Checked before the search runs (shrink search refuses --refit with it too).
            raise ValueError(
                "early_stopping: the CV estimators refit the chosen alpha on every row, which leaves no validation "
                "rows to monitor; stop on the training loss with tol instead"
            )
        alphas = None if isinstance(self.alphas, str) and self.alphas == "auto" else [float(a) for a in self.alphas]
        if alphas is None and self.alphas != "auto":
            raise ValueError(f"alphas must be 'auto' or a list of numbers, got {self.alphas!r}")
        family = "l2" if str(self.penalty) == "none" else self._family()
        fitted, outcome = _core.search(
            json.dumps(spec), _column_bytes(X), X.shape[0], features, _TARGET, cells, self.penalty_on, family,
            alphas, int(self.n_alphas), None if self.cv is None else int(self.cv), int(self.repeats),
            str(self.select), self.scoring, int(self.threads), bool(self.relax), bool(self.verbose),
        )
        outcome = json.loads(outcome)
        self._set_fitted(fitted, None, features)
        kept = set(fitted.features())
        self.support_ = np.asarray([f in kept for f in features], dtype=bool)
        self.relax_results_ = outcome["relax"]
        self.history_ = None
        scores = outcome["scores"]
        self.alphas_ = np.asarray(outcome["grid"], dtype=float)
        self.cv_results_ = {
            "alpha": np.asarray([s["alpha"] for s in scores], dtype=float),
            "mean_score": np.asarray([s["mean"] for s in scores], dtype=float),
            "se_score": np.asarray([s["se"] for s in scores], dtype=float),
            "n": np.asarray([s["n"] for s in scores], dtype=int),
            "mean_train_score": np.asarray([s["train_mean"] for s in scores], dtype=float),
            "kernel_l2": np.asarray([s["kernel_l2"] for s in scores], dtype=float),
            "zero_fraction": np.asarray([s["zero_fraction"] for s in scores], dtype=float),
        }
        self.selection_ = outcome["selection"]
        self.alpha_ = float(outcome["selection"]["alpha"])
        self.score_name_ = outcome["score_name"]
        return self


def _cv_init(self, hidden_layer_sizes, activation, penalty, l1_ratio, penalty_on, optimizer, learning_rate,
             epochs, batch_size, scaling, early_stopping, validation_fraction, patience, tol, random_state,
             threads, verbose, alphas, n_alphas, cv, repeats, select, scoring, relax):
    _Base.__init__(
        self, hidden_layer_sizes=hidden_layer_sizes, activation=activation, penalty=penalty, alpha=None,
        l1_ratio=l1_ratio, penalty_on=penalty_on, optimizer=optimizer, learning_rate=learning_rate,
        epochs=epochs, batch_size=batch_size, scaling=scaling, early_stopping=early_stopping,
        validation_fraction=validation_fraction, patience=patience, tol=tol, random_state=random_state,
        threads=threads, verbose=verbose,
    )
    del self.alpha
    self.alphas = alphas
    self.n_alphas = n_alphas
    self.cv = cv
    self.repeats = repeats
    self.select = select
    self.scoring = scoring
    self.relax = relax


class MLPClassifierCV(_SearchMixin, MLPClassifier):
    __doc__ = ("An MLPClassifier whose alpha is chosen by cross-validation (the LassoCV of networks).\n"
               + _WITHOUT_ALPHA + "    (alpha is searched)\n" + _CV_DOC)

    def __init__(self, hidden_layer_sizes=(100,), activation="relu", penalty="l1@proximal", l1_ratio=None,
                 penalty_on="dense_0.kernel", optimizer="adam", learning_rate=None, epochs=200, batch_size=32,
                 scaling="standard", early_stopping=False, validation_fraction=0.1, patience=10, tol=None,
                 random_state=None, threads=1, verbose=0, alphas="auto", n_alphas=20, cv=5, repeats=1,
                 select="1se", scoring=None, relax=False):
        _cv_init(**{k: v for k, v in locals().items() if k != "__class__"})


class MLPRegressorCV(_SearchMixin, MLPRegressor):
    __doc__ = ("An MLPRegressor whose alpha is chosen by cross-validation (the LassoCV of networks).\n"
               + _WITHOUT_ALPHA + "    (alpha is searched)\n" + _CV_DOC)

    def __init__(self, hidden_layer_sizes=(100,), activation="relu", penalty="l1@proximal", l1_ratio=None,
                 penalty_on="dense_0.kernel", optimizer="adam", learning_rate=None, epochs=200, batch_size=32,
                 scaling="standard", early_stopping=False, validation_fraction=0.1, patience=10, tol=None,
                 random_state=None, threads=1, verbose=0, alphas="auto", n_alphas=20, cv=5, repeats=1,
                 select="1se", scoring=None, relax=False):
        _cv_init(**{k: v for k, v in locals().items() if k != "__class__"})
