"""BootstrapEnsembleClassifier: networks trained on balanced draws, combined by voting.

Each member of the ensemble is trained on its own *balanced draw* of the
training data: ``m`` rows of every class (``m`` = the rarest class's count by
default), drawn without replacement, so no member sees a skewed class mix and,
over the members, most majority rows are used by some member (EasyEnsemble,
Liu et al. 2009, with any scikit-learn classifier as the member and a network
as the default). Members are fitted in parallel through joblib, so
``with joblib.parallel_backend("dask"):`` spreads them over a Dask cluster.
"""

from __future__ import annotations

import warnings
from numbers import Integral, Number

import joblib
import numpy as np
from joblib import Parallel, delayed
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.utils import check_random_state, get_tags
from sklearn.utils._param_validation import HasMethods, Interval, StrOptions
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data

from ._atomic import KeptOnError
from ._interrupt import noting_sigint
from ._strategies import refuse_classes
from ._threads import limited_threads
from .classifier import BalancedNetClassifier, _sklearn_repr
from .data import check_labels, check_single_output, numeric_input, python_scalar
from .resampling import checked_fit_resample

__all__ = ["BootstrapEnsembleClassifier", "default_estimator"]

_MAX_INT = np.iinfo(np.int32).max


def default_estimator() -> BalancedNetClassifier:
    """The member network used when ``estimator=None``.

    A :class:`~skimbnet.BalancedNetClassifier` for balanced draws: cross-entropy
    without class weights (every draw is balanced already), the default MLP
    (128-64), a fixed budget of 60 epochs instead of early stopping (a
    validation split of a draw of a few dozen rows per class is too noisy to
    pick an epoch by) and the last epoch's weights (no weight averaging:
    the member was measured without it), AdamW weight decay 0.1, and, as the
    single default, two views of the draw: one network on the features and
    one on their 4-bin piecewise-linear encodings (``n_bins="auto"``,
    ``n_members=1`` per view, a :class:`~skimbnet.modules.TwoViewMLP`; the
    draws make the ensemble).

    Chosen on the development suite of real data sets
    (``benchmarks/results/quality.md``, "Findings, fifth pass"): with the
    encoded view the ensemble ranks ahead of the same ensemble without it and
    of imbalanced-learn's ``BalancedBaggingClassifier`` (of MLPs) and
    ``EasyEnsembleClassifier`` on balanced accuracy, macro-F1, ROC-AUC and
    average precision, on both halves. On a synthetic 97/3 problem with 16
    noise features it also beats the member before it (median balanced
    accuracy 0.794 against 0.754, ``benchmarks/results/ensemble.md``).

    Pass it explicitly to tune the members in a grid search, e.g. over
    ``estimator__loss`` or ``estimator__max_epochs``::

        BootstrapEnsembleClassifier(estimator=default_estimator())

    Examples
    --------
    >>> from skimbnet.ensemble import default_estimator
    >>> member = default_estimator()
    >>> member.class_weight is None, member.n_bins, member.n_members
    (True, 'auto', 1)
    """
    return BalancedNetClassifier(
        n_members=1,  # per view: the bootstrap draws already make the ensemble
        n_bins="auto",  # the features and their encodings (quality.md, fifth pass)
        loss="ce",
        class_weight=None,
        max_epochs=60,
        train_split=None,
        weight_decay=0.1,
        weight_averaging=None,  # the measured member (quality.md, eighth pass)
    )


class BootstrapEnsembleClassifier(ClassifierMixin, BaseEstimator):
    """An ensemble of classifiers, each trained on a class-balanced draw.

    Every member gets its own draw of ``samples_per_class`` rows of every
    class (by default ``m``, the rarest class's count, without replacement:
    each member sees all rare rows and a different random part of the
    frequent classes). The members' probabilities are averaged
    (``voting="soft"``) or their predictions counted (``voting="hard"``).

    Parameters
    ----------
    estimator : scikit-learn classifier, default=None
        The member; cloned for each draw, and its ``random_state`` (and any
        nested ``*__random_state``) replaced by a seed derived from this
        ensemble's ``random_state``. ``None`` uses :func:`default_estimator`,
        a :class:`~skimbnet.BalancedNetClassifier` with ``class_weight=None``
        and one network per view (the features and their encodings). To tune
        the members, pass the estimator explicitly and search
        ``estimator__<param>``.
    n_estimators : int, default=10
        Number of members (each trained on its own draw).
    samples_per_class : None, int or dict, default=None
        Rows of each class in a member's draw. ``None``: ``m`` = the rarest
        class's count (with a ``resampler``: every row of each class). An int:
        the same count for every class. A dict ``{label: count}``: per class;
        classes it leaves out get the ``None`` count. Fitted as
        ``samples_per_class_``.
    replacement : bool, default=False
        Draw the rows of each class with replacement (a bootstrap within each
        class). Without replacement a count may not exceed the class's size,
        unless a ``resampler`` is given (the class is then kept whole and the
        resampler fills it up).
    voting : {"soft", "hard"}, default="soft"
        ``"soft"``: ``predict_proba`` is the mean of the members'
        probabilities (members need ``predict_proba``). ``"hard"``:
        ``predict_proba`` is the share of members voting for each class.
        ``predict`` is the class of highest ``predict_proba`` in both cases
        (ties go to the class listed first in ``classes_``).
    resampler : imbalanced-learn sampler, default=None
        Builds each member's training set from its draw instead of leaving the
        draw as it is: for every member the draw (``min(count, class size)``
        rows of each class, or ``count`` rows with replacement) is passed to
        ``clone(resampler).fit_resample`` with a member-specific
        ``random_state``, and the member is trained on the result. With
        ``imblearn.over_sampling.SMOTE()`` and ``samples_per_class=500`` each
        member sees 500 random rows of every class larger than 500, and the
        rows of the smaller classes plus synthetic ones up to 500
        (``member_class_counts_`` shows the counts each member saw).
        ``estimators_samples_`` lists the drawn original rows only. A
        resampler that removes a class from a member's draw is an error, as
        is a member that learns other classes than ``y``'s (its own
        ``classes=``).
    n_jobs : int, default=None
        Members fitted in parallel with joblib (``None``: 1, unless inside a
        :func:`joblib.parallel_backend` context such as ``"dask"``; ``-1``: all
        cores). Prediction runs in the calling process.
    torch_threads : int, "auto" or None, default=1
        Torch (and BLAS/OpenMP) threads each member may use while it is
        fitted; the previous setting is restored afterwards. ``1`` suits the
        small default members (their matrices are too small for intra-op
        threads to help) and never oversubscribes: ``n_jobs`` members run on
        ``n_jobs`` cores. ``"auto"``: ``cores // jobs running at once`` (for
        large members). ``None``: leave torch's setting alone.
    random_state : int, RandomState or None, default=None
        Seeds the draws and the members: member ``i`` gets the ``i``-th
        integer drawn from it, so the whole ensemble is reproducible, and a
        ``warm_start`` extension from 5 to 10 members gives the same ensemble
        as 10 members fitted at once (for an int ``random_state``).
    verbose : int, default=0
        joblib's progress messages while the members are fitted (``>= 1``
        reports progress, ``> 10`` every member).
    warm_start : bool, default=False
        When fitted already, the next ``fit`` keeps the existing members and
        adds ``n_estimators - len(estimators_)`` new ones (fit it on the same
        data: other classes, or a ``samples_per_class`` or class counts that
        draw other rows per class than ``samples_per_class_``, are an error).

    Attributes
    ----------
    estimator_ : estimator
        The (unfitted) prototype the members are cloned from.
    estimators_ : list of estimators
        The fitted members.
    estimators_samples_ : list of ndarray of int
        The rows (indices into the ``X`` given to ``fit``) each member's draw
        holds, sorted; the member was fitted on ``X[estimators_samples_[i]]``
        (after the ``resampler``, when given). With ``replacement=True`` rows
        can repeat.
    member_class_counts_ : ndarray of shape (n_estimators, n_classes)
        How many rows of each class (columns in ``classes_`` order) each
        member was trained on, after resampling.
    samples_per_class_ : dict
        ``{label: count}`` drawn for each class.
    class_counts_ : ndarray of shape (n_classes,)
        Rows of each class in the data ``fit`` saw.
    classes_ : ndarray of shape (n_classes,)
        The class labels. Members are trained on the original labels.
    n_features_in_ : int
        Number of features seen in ``fit``.
    feature_names_in_ : ndarray of str
        Feature names, when ``X`` was a DataFrame with string column names.

    Notes
    -----
    ``fit`` takes no ``sample_weight``: a member's draw is random, so a row
    of weight 2 cannot be made to act exactly as a duplicated row. Weights
    can be given to the members through a fitted ``estimator`` of your own
    or expressed by ``samples_per_class``.

    A ``fit`` that fails leaves the ensemble as it was (its members,
    ``classes_`` and ``n_features_in_``; unfitted if it was). Interrupting it
    (Ctrl-C) stops it with ``KeyboardInterrupt``: a ``BalancedNetClassifier``
    member keeps the epochs it trained and returns (skorch's convention), and
    the ensemble re-raises the interrupt rather than go on with an
    under-trained member. A member's early stopping, which skorch also signals
    with ``KeyboardInterrupt``, ends only that member's training.

    Examples
    --------
    >>> from sklearn.datasets import make_classification
    >>> from skimbnet import BootstrapEnsembleClassifier
    >>> from skimbnet.ensemble import default_estimator
    >>> X, y = make_classification(n_samples=400, weights=[0.9], random_state=0)
    >>> ens = BootstrapEnsembleClassifier(
    ...     estimator=default_estimator().set_params(max_epochs=10),
    ...     n_estimators=3, random_state=0).fit(X, y)
    >>> ens.samples_per_class_
    {0: 41, 1: 41}
    >>> ens.member_class_counts_
    array([[41, 41],
           [41, 41],
           [41, 41]])
    >>> ens.predict_proba(X[:2]).shape
    (2, 2)
    """

    _parameter_constraints = {
        "estimator": [None, HasMethods(["fit", "predict"])],
        "n_estimators": [Interval(Integral, 1, None, closed="left")],
        "samples_per_class": [None, Interval(Integral, 1, None, closed="left"), dict],
        "replacement": ["boolean"],
        "voting": [StrOptions({"soft", "hard"})],
        "resampler": [None, HasMethods(["fit_resample"])],
        # joblib's: 1, 2, ... workers, or -1, -2, ... for all cores but |n_jobs| - 1
        "n_jobs": [
            None,
            Interval(Integral, 1, None, closed="left"),
            Interval(Integral, None, -1, closed="right"),
        ],
        "torch_threads": [None, StrOptions({"auto"}), Interval(Integral, 1, None, closed="left")],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
        "warm_start": ["boolean"],
    }

    def __init__(
        self,
        estimator=None,
        *,
        n_estimators=10,
        samples_per_class=None,
        replacement=False,
        voting="soft",
        resampler=None,
        n_jobs=None,
        torch_threads=1,
        random_state=None,
        verbose=0,
        warm_start=False,
    ):
        self.estimator = estimator
        self.n_estimators = n_estimators
        self.samples_per_class = samples_per_class
        self.replacement = replacement
        self.voting = voting
        self.resampler = resampler
        self.n_jobs = n_jobs
        self.torch_threads = torch_threads
        self.random_state = random_state
        self.verbose = verbose
        self.warm_start = warm_start

    def set_params(self, **params):
        """scikit-learn's ``set_params``; ``estimator__<param>`` needs an ``estimator``.

        The default member is made at fit (``estimator=None``), so its
        parameters cannot be set through the ensemble: pass
        ``estimator=default_estimator()`` to tune them.
        """
        nested = sorted(name for name in params if name.startswith("estimator__"))
        if nested and params.get("estimator", self.estimator) is None:
            raise ValueError(
                f"{nested[0]} sets a parameter of the member, but estimator=None (the default "
                "member is made at fit); pass estimator=skimbnet.ensemble.default_estimator() "
                "to tune the default member."
            )
        return super().set_params(**params)

    # ------------------------------------------------------------------ helpers

    def _prototype(self):
        return default_estimator() if self.estimator is None else clone(self.estimator)

    def _member_tags(self):
        estimator = getattr(self, "estimator_", None)
        try:
            return get_tags(estimator if estimator is not None else self._prototype())
        except Exception:  # an invalid `estimator` is reported by fit, not here
            return None

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        member = self._member_tags()
        if member is not None:
            tags.input_tags.sparse = member.input_tags.sparse
            tags.input_tags.allow_nan = member.input_tags.allow_nan
            tags.non_deterministic = member.non_deterministic
        return tags

    def _class_targets(self, classes, class_counts):
        """The rows to draw of each class, as an int array in ``classes`` order."""
        default = (
            class_counts
            if self.resampler is not None
            else np.full_like(class_counts, class_counts.min())
        )
        spc = self.samples_per_class
        if spc is None:
            targets = default.copy()
        elif isinstance(spc, dict):
            targets = default.copy()
            labels = classes.tolist()
            unknown = [key for key in spc if not any(_same_label(key, c) for c in labels)]
            if unknown:
                raise ValueError(
                    f"samples_per_class has keys {unknown} that are not classes of y; "
                    f"the classes are {labels}."
                )
            for key, value in spc.items():
                if isinstance(value, bool) or not isinstance(value, Integral) or value < 1:
                    raise ValueError(f"samples_per_class[{key!r}]={value!r} must be an int >= 1.")
                for i, label in enumerate(labels):
                    if _same_label(key, label):
                        targets[i] = int(value)
        else:
            targets = np.full_like(class_counts, int(spc))
        if not self.replacement and self.resampler is None:
            too_big = np.flatnonzero(targets > class_counts)
            if len(too_big):
                i = too_big[0]
                raise ValueError(
                    f"samples_per_class={spc!r} asks for {targets[i]} rows of class "
                    f"{classes.tolist()[i]!r}, which has only {class_counts[i]}; use a smaller "
                    "samples_per_class, replacement=True, or a resampler (which keeps the "
                    "class whole and fills it up)."
                )
        return targets.astype(np.int64)

    def _draw(self, rows_by_class, targets, rng):
        """One member's rows: ``targets[c]`` rows of each class ``c`` (sorted)."""
        parts = []
        for rows, k in zip(rows_by_class, targets):
            if self.replacement:
                parts.append(rng.choice(rows, size=k, replace=True))
            else:
                parts.append(rng.choice(rows, size=min(k, len(rows)), replace=False))
        return np.sort(np.concatenate(parts))

    # --------------------------------------------------------------------- fit

    def fit(self, X, y):
        """Fit ``n_estimators`` members, each on its own balanced draw.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training data (a DataFrame's column names are checked at predict).
            Sparse matrices and missing values are accepted when the member
            accepts them; the default member takes scipy sparse matrices
            (densified a batch at a time) but no missing values. Members get
            numpy arrays (as in scikit-learn's ``BaggingClassifier``): a
            :class:`~skimbnet.BalancedNetClassifier` member numbers only, any
            other member the columns and missing values as they are, to encode
            and check itself (select columns by position, e.g. in a
            ``ColumnTransformer``).
        y : array-like of shape (n_samples,)
            Class labels of any type.

        Returns
        -------
        self
        """
        # a fit that fails (or is interrupted) leaves the ensemble as it was: no new
        # classes_ or n_features_in_ beside the old members, nor half a fitted state
        with KeptOnError(self):
            return self._fit(X, y)

    def _fit(self, X, y):
        refuse_classes(self, ("estimator", "resampler"))
        self._validate_params()
        for name in ("n_estimators", "samples_per_class"):
            value = getattr(self, name)
            if isinstance(value, bool):  # an Integral to scikit-learn's check
                raise ValueError(f"{name}={value!r} must be an int, not a bool.")
        continuing = bool(self.warm_start and hasattr(self, "estimators_"))
        prototype = self._prototype()
        if self.voting == "soft" and not hasattr(prototype, "predict_proba"):
            raise ValueError(
                f"voting='soft' needs members with predict_proba, which "
                f"{type(prototype).__name__} does not provide; use voting='hard'."
            )
        check_labels(y)
        check_single_output(y, type(self).__name__)
        with numeric_input(type(self).__name__, value=X):
            X, y = validate_data(
                self, X, y, reset=not continuing, **_validate_X_kwargs(prototype)
            )
        check_classification_targets(y)
        classes, y_encoded = np.unique(y, return_inverse=True)
        if len(classes) < 2:
            raise ValueError(
                f"{type(self).__name__} needs samples of at least 2 classes in y, but y "
                f"contains only one class: {classes.tolist()[0]!r}."
            )
        if continuing and not np.array_equal(classes, self.classes_):
            raise ValueError(
                f"warm_start=True: y has classes {classes.tolist()}, but the ensemble was "
                f"fitted on {self.classes_.tolist()}; refit with warm_start=False."
            )
        class_counts = np.bincount(y_encoded, minlength=len(classes))
        targets = self._class_targets(classes, class_counts)

        n_old = len(self.estimators_) if continuing else 0
        if self.n_estimators < n_old:
            raise ValueError(
                f"n_estimators={self.n_estimators} must be >= len(estimators_)={n_old} "
                "when warm_start=True (members are only added, never removed)."
            )
        if continuing and self.n_estimators == n_old:
            warnings.warn(
                f"warm_start=True and n_estimators={n_old} equals len(estimators_): "
                "no member was added.",
                UserWarning,
                stacklevel=2,
            )
            return self

        per_class = {c: int(k) for c, k in zip(classes.tolist(), targets)}
        if continuing and per_class != self.samples_per_class_:
            # samples_per_class_ and member_class_counts_ would stop describing the members
            raise ValueError(
                f"warm_start=True adds members drawn as the first {n_old} were, "
                f"{self.samples_per_class_} rows per class, but these settings and data draw "
                f"{per_class} (samples_per_class or the data changed); refit with "
                "warm_start=False."
            )
        self.estimator_ = prototype
        self.classes_ = classes
        self.class_counts_ = class_counts
        self.samples_per_class_ = per_class

        # member i's seed is the i-th draw, so a warm-started ensemble equals a fresh one
        seeds = check_random_state(self.random_state).randint(_MAX_INT, size=self.n_estimators)
        rows_by_class = [np.flatnonzero(y_encoded == c) for c in range(len(classes))]
        tasks = []
        for seed in seeds[n_old:]:
            rng = np.random.default_rng(int(seed))
            rows = self._draw(rows_by_class, targets, rng)
            member = _with_random_states(clone(prototype), rng)
            resampler = (
                None if self.resampler is None else _with_random_states(clone(self.resampler), rng)
            )
            tasks.append((member, rows, resampler))

        n_parallel = min(joblib.effective_n_jobs(self.n_jobs), len(tasks))
        threads = self.torch_threads
        results = Parallel(n_jobs=self.n_jobs, verbose=self.verbose)(
            # a member's rows travel inside its task, as one tuple: joblib's Dask backend
            # scatters large array arguments to one worker, and data scattered to a
            # worker that dies cannot be recovered (the fit failed with "already
            # forgotten"); inside the task, the scheduler re-runs a lost member
            delayed(_fit_member)(
                member, (X[rows], y[rows]), resampler, classes, threads, n_parallel
            )
            for member, rows, resampler in tasks
        )
        new_members = [member for member, _ in results]
        for member in new_members:
            self._check_member_classes(member, classes)
        new_counts = np.array([counts for _, counts in results], dtype=np.int64)
        new_samples = [rows for _, rows, _ in tasks]
        if continuing:
            self.estimators_ = self.estimators_ + new_members
            self.estimators_samples_ = self.estimators_samples_ + new_samples
            self.member_class_counts_ = np.vstack([self.member_class_counts_, new_counts])
        else:
            self.estimators_ = new_members
            self.estimators_samples_ = new_samples
            self.member_class_counts_ = new_counts
        return self

    def _check_member_classes(self, member, classes):
        """A member must know exactly ``y``'s classes: one without a class predicts it
        with probability 0, one with another class (its ``classes=``) votes for a
        label the ensemble does not have."""
        known = classes.tolist()
        got = np.asarray(getattr(member, "classes_", classes)).tolist()
        missing = [c for c in known if not any(_same_label(c, g) for g in got)]
        extra = [g for g in got if not any(_same_label(g, c) for c in known)]
        if missing and self.resampler is not None:
            raise ValueError(
                f"resampler={_sklearn_repr(self.resampler)} removed every row of class "
                f"{missing[0]!r} from a member's draw; every member needs every class of y "
                "(give the resampler a sampling_strategy that keeps the class)."
            )
        if missing or extra:
            raise ValueError(
                f"a member was fitted with classes {got}, but y has the classes {known}; a "
                "member must learn exactly y's classes (drop its classes= parameter)."
            )

    # -------------------------------------------------------------- prediction

    def _validate_X_predict(self, X):
        check_is_fitted(self)
        with numeric_input(type(self).__name__, value=X):
            return validate_data(
                self, X, reset=False, **_validate_X_kwargs(self.estimator_)
            )

    def _columns(self, labels):
        """Columns of ``classes_`` that ``labels`` (a member's ``classes_`` or its
        predictions) map to; a label outside ``classes_`` is an error."""
        labels = np.asarray(labels)
        columns = np.clip(np.searchsorted(self.classes_, labels), 0, len(self.classes_) - 1)
        if not np.all(self.classes_[columns] == labels):
            raise ValueError(
                f"a member predicts classes {np.unique(labels).tolist()} that are not all in "
                f"classes_={self.classes_.tolist()}."
            )
        return columns

    def predict_proba(self, X):
        """Class probabilities: the members' mean probability (``voting="soft"``)
        or the share of members voting for each class (``voting="hard"``).

        Returns
        -------
        ndarray of shape (n_samples, n_classes)
            Rows sum to one; columns follow ``classes_``.
        """
        X = self._validate_X_predict(X)
        proba = np.zeros((X.shape[0], len(self.classes_)))
        for member in self.estimators_:
            if self.voting == "soft":
                proba[:, self._columns(member.classes_)] += member.predict_proba(X)
            else:
                proba[np.arange(X.shape[0]), self._columns(member.predict(X))] += 1
        return proba / len(self.estimators_)

    def predict_log_proba(self, X):
        """Logarithm of :meth:`predict_proba` (``-inf`` for a share of 0)."""
        with np.errstate(divide="ignore"):
            return np.log(self.predict_proba(X))

    def predict(self, X):
        """The class of highest :meth:`predict_proba` for each row."""
        proba = self.predict_proba(X)
        return self.classes_[np.argmax(proba, axis=1)]

    def to_onnx(self, path=None, opset=None):
        """One ONNX graph of :meth:`predict_proba`: the members' mean probability.

        For ``voting="soft"`` ensembles of :class:`~skimbnet.BalancedNetClassifier`
        members; input ``"X"`` (float32, ``(batch, n_features_in_)``), output
        ``"probabilities"`` (columns in ``classes_`` order). Needs
        ``pip install "skimbnet[onnx]"``; see :func:`skimbnet.export.to_onnx`.

        Parameters
        ----------
        path : str or path-like, default=None
            Also write the model to this file.
        opset : int, default=None
            The ONNX opset (``None``: the exporter's default).

        Returns
        -------
        bytes
            The serialised ONNX model.
        """
        from .export import to_onnx

        return to_onnx(self, path=path, opset=opset)


# ------------------------------------------------------------------ workers


def _fit_member(member, draw, resampler, classes, threads, n_parallel):
    """Fit one member on its ``draw = (X, y)`` (in a joblib worker); return it and its
    class counts."""
    X, y = draw
    if threads == "auto":
        threads = max(1, joblib.cpu_count() // max(1, n_parallel))
    with limited_threads(threads):
        if resampler is not None:
            X, y = checked_fit_resample(
                resampler,
                X,
                y,
                y_encoded=np.searchsorted(classes, y),
                classes=classes,
                split="member's draw",
            )
            y = np.asarray(y)
        # a BalancedNetClassifier keeps its epochs on Ctrl-C and returns (skorch's
        # convention); the ensemble must stop, not go on with an under-trained member.
        # Only a real Ctrl-C: skorch's EarlyStopping raises KeyboardInterrupt too
        with noting_sigint() as interrupted:
            member.fit(X, y)
    if interrupted:
        raise KeyboardInterrupt(f"Ctrl-C in the fit of a {type(member).__name__} member")
    labels, counts = np.unique(y, return_counts=True)
    per_class = np.zeros(len(classes), dtype=np.int64)
    per_class[np.searchsorted(classes, labels)] = counts
    return member, per_class


def _with_random_states(estimator, rng):
    """Give every ``random_state`` parameter of ``estimator`` a seed from ``rng``."""
    params = estimator.get_params(deep=True)
    keys = sorted(k for k in params if k == "random_state" or k.endswith("__random_state"))
    if keys:
        seeds = rng.integers(_MAX_INT, size=len(keys))
        estimator.set_params(**{k: int(s) for k, s in zip(keys, seeds)})
    return estimator


def _validate_X_kwargs(member):
    """What the ensemble checks of X: for the library's network, what it accepts
    (numbers; sparse matrices; no missing values), so that the error names the
    ensemble; any other member checks X itself, as in scikit-learn's
    ``BaggingClassifier`` (columns of any type, missing values)."""
    if not isinstance(member, BalancedNetClassifier):
        # the member checks its own values (an imputer in a Pipeline takes NaN whatever
        # the Pipeline's tags say)
        return {"accept_sparse": ["csr", "csc"], "ensure_all_finite": False, "dtype": None}
    tags = get_tags(member).input_tags
    return {
        "accept_sparse": ["csr", "csc"] if tags.sparse else False,
        "ensure_all_finite": "allow-nan" if tags.allow_nan else True,
        "dtype": (np.float64, np.float32),
    }


def _same_label(a, b):
    """Compare numpy and Python scalars (``np.int64(1) == 1``, ``np.str_("a") == "a"``)."""
    a, b = python_scalar(a), python_scalar(b)
    if isinstance(a, Number) and isinstance(b, Number):
        return a == b
    return type(a) is type(b) and a == b
