"""Loss strategies for imbalanced classification.

A loss strategy is a small, clonable object (a scikit-learn ``BaseEstimator``, so
``clone``, ``get_params`` and grid searches over ``loss__<param>`` work). Its
``build(class_counts)`` receives the class counts of the training split, in
``classes_`` order, and returns a :class:`torch.nn.Module` that maps
``(logits, target, sample_weight=None)`` to the mean loss of the batch.

Weighted means follow one rule everywhere: ``sum(w_i * l_i) / sum(w_i)``, so a
weight of 2 means the same as a duplicated row. Every loss is computed from
logits through ``log_softmax``/``logsumexp``, so it stays finite for logits of
any magnitude. A class with no row in the training split (a count of 0) is
treated as if it were as rare as the rarest class present, so margins, priors
and weights stay finite.

Which loss when
---------------
The user guide's "Losses: which loss when" page (``docs/guide/losses.md``)
holds the table: each loss, when to use it and the ``class_weight`` that
``class_weight="auto"`` gives it, with the study behind it
(``benchmarks/results/losses.md``) and the formulas.

Class weights (``class_weight=``) multiply into ``sample_weight`` in every loss;
combining ``"balanced"`` class weights with a loss that already corrects for the
prior (logit-adjusted, balanced softmax, LDAM-DRW) corrects twice and over-predicts
rare classes. ``BalancedNetClassifier``'s default ``class_weight="auto"`` avoids it:
it means ``None`` for those three losses and ``"balanced"`` for ``"ce"``,
``"focal"`` and ``"soft_f1"`` (``None`` for every loss when a rebalancing sampler
or a resampler corrects the class mix already).

What ``predict_proba`` means
----------------------------
``predict_proba`` is the softmax of the network's logits ``z``.
:meth:`LossModule.prediction_logits` names the logits whose softmax is each
loss's own probability estimate: ``z`` itself, except for LDAM, which trains
``softmax(scale * z)``. For ``"ce"`` with ``class_weight=None``, ``softmax(z)``
estimates the class posterior under the training prior; ``"balanced"`` class
weights, ``"logit_adjusted"`` (``tau=1``) and ``"balanced_softmax"`` make it an
estimate of the posterior under a *balanced* prior (every class equally
likely), the one whose argmax minimises balanced error. To get natural-prior
probabilities from those, add ``log(class_prior_)`` to the logits before the
softmax.
"""

from __future__ import annotations

import copy
import inspect
from numbers import Real

import numpy as np
import torch
from sklearn.base import BaseEstimator
from sklearn.utils._param_validation import Interval, validate_parameter_constraints
from torch import nn
from torch.nn import functional as F

from ._strategies import aliases, resolve
from ._training import start_epoch
from .data import class_weight_vector


def weighted_mean(losses: torch.Tensor, sample_weight: torch.Tensor | None) -> torch.Tensor:
    """Mean of per-sample ``losses``, weighted as ``sum(w * l) / sum(w)``."""
    if sample_weight is None:
        return losses.mean()
    # clamp: a batch whose rows all weigh 0 contributes a zero loss, not NaN
    return (losses * sample_weight).sum() / sample_weight.sum().clamp_min(1e-12)


class LossModule(nn.Module):
    """Base of the built losses: ``forward(logits, target, sample_weight=None)``.

    Subclasses implement :meth:`per_sample`; losses that do not decompose over
    samples (soft-F1) override :meth:`forward` instead.
    """

    def per_sample(self, logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    def forward(
        self,
        logits: torch.Tensor,
        target: torch.Tensor,
        sample_weight: torch.Tensor | None = None,
    ) -> torch.Tensor:
        return weighted_mean(self.per_sample(logits, target), sample_weight)

    def set_epoch(self, epoch: int, max_epochs: int) -> None:
        """Hook for epoch-aware losses; called by the classifier each epoch."""

    def prediction_logits(self, logits: torch.Tensor) -> torch.Tensor:
        """The logits whose softmax is this loss's class-probability estimate.

        The identity, except for losses that rescale the logits in training
        (LDAM multiplies them by ``scale``).
        """
        return logits


class LossStrategy(BaseEstimator):
    """Base class of loss strategies: subclasses implement :meth:`build`."""

    #: string alias usable as ``BalancedNetClassifier(loss=<name>)``
    name: str = ""
    #: whether the loss corrects for the class prior itself (logit adjustment,
    #: margins), so that ``class_weight="auto"`` does not correct a second time;
    #: a user's own prior-correcting strategy sets it to True
    corrects_class_mix: bool = False

    _parameter_constraints: dict = {}

    def build(self, class_counts: np.ndarray) -> LossModule:
        """Return the loss module for a training split with ``class_counts``."""
        raise NotImplementedError

    def _check_params(self) -> None:
        validate_parameter_constraints(
            self._parameter_constraints,
            self.get_params(deep=False),
            caller_name=type(self).__name__,
        )


def check_class_counts(class_counts) -> np.ndarray:
    """Validate ``class_counts`` and replace zero counts by the smallest positive one.

    A class absent from the training split then behaves as the rarest class
    present: its margin, prior and weight stay finite.

    Raises
    ------
    ValueError
        If the counts are not a non-empty 1-D array of finite, non-negative
        numbers with a positive sum.
    """
    counts = np.asarray(class_counts, dtype=float)
    if (
        counts.ndim != 1
        or len(counts) == 0
        or not np.all(np.isfinite(counts))
        or np.any(counts < 0)
        or not counts.sum() > 0
    ):
        raise ValueError(
            f"class_counts={class_counts!r} must be a 1-D array of finite, non-negative "
            "counts (one per class, in classes_ order) with a positive sum."
        )
    positive = counts[counts > 0]
    return np.where(counts > 0, counts, positive.min())


def _buffer(values) -> torch.Tensor:
    return torch.as_tensor(np.asarray(values, dtype=np.float64))


# --------------------------------------------------------------------------- CE


class _CrossEntropyModule(LossModule):
    def per_sample(self, logits, target):
        return F.cross_entropy(logits, target, reduction="none")

    def forward(self, logits, target, sample_weight=None):
        if sample_weight is None:  # the fused mean: one kernel less per batch, forward and back
            return F.cross_entropy(logits, target)
        return super().forward(logits, target, sample_weight)


class CrossEntropy(LossStrategy):
    """Plain softmax cross-entropy, ``-log softmax(z)_y``.

    Class weights (``class_weight=``) and ``sample_weight`` enter as the
    per-row weights of the weighted mean.

    Examples
    --------
    >>> import numpy as np, torch
    >>> from skimbnet.losses import CrossEntropy
    >>> loss = CrossEntropy().build(np.array([90, 10]))
    >>> round(float(loss(torch.zeros(4, 2), torch.tensor([0, 1, 0, 1]))), 4)  # log(2)
    0.6931
    """

    name = "ce"

    def build(self, class_counts):
        check_class_counts(class_counts)
        return _CrossEntropyModule()


# ------------------------------------------------------------------------ focal


class _FocalModule(LossModule):
    def __init__(self, gamma: float, alpha: np.ndarray | None):
        super().__init__()
        self.gamma = float(gamma)
        self.register_buffer("alpha", None if alpha is None else _buffer(alpha))

    def _factor_and_ce(self, logits, target):
        """``alpha_y * (1 - p_y)^gamma`` (or None when it is 1) and ``-log p_y``.

        Written for few kernels: this runs every batch, and on a CPU each
        element-wise op on a batch of 256 costs about as much as its arithmetic.
        """
        ce = F.cross_entropy(logits, target, reduction="none")
        factor = None
        if self.gamma != 0:
            # expm1(log p_y) = p_y - 1 keeps its precision when p_y is near 1
            p_minus_1 = torch.expm1(-ce)
            if self.gamma == 2:  # the default: a square, no sign flip or pow
                factor = p_minus_1 * p_minus_1
            else:
                one_minus_p = p_minus_1.neg()
                if self.gamma < 1:  # keeps the gradient of (1 - p)^gamma finite at p = 1
                    one_minus_p = one_minus_p.clamp_min(torch.finfo(logits.dtype).tiny)
                factor = one_minus_p.pow(self.gamma)
        if self.alpha is not None:
            alpha = self.alpha.to(logits)[target]
            factor = alpha if factor is None else factor * alpha
        return factor, ce

    def per_sample(self, logits, target):
        factor, ce = self._factor_and_ce(logits, target)
        return ce if factor is None else factor * ce

    def forward(self, logits, target, sample_weight=None):
        if sample_weight is not None:
            return super().forward(logits, target, sample_weight)
        factor, ce = self._factor_and_ce(logits, target)
        if factor is None:
            return ce.mean()
        return torch.dot(factor, ce) / len(ce)  # product and sum in one kernel


class FocalLoss(LossStrategy):
    r"""Focal loss (Lin et al., 2017), multi-class softmax form.

    .. math:: \ell(z, y) = -\alpha_y \, (1 - p_y)^{\gamma} \log p_y,
              \qquad p = \mathrm{softmax}(z)

    The factor :math:`(1 - p_y)^\gamma` shrinks the loss of rows that are
    already classified confidently, so the many easy (usually majority) rows
    do not swamp the gradient. ``gamma=0`` and ``alpha=None`` is plain
    cross-entropy.

    Parameters
    ----------
    gamma : float, default=2.0
        Focusing parameter, ``>= 0`` (the paper's best value is 2).
    alpha : None, float or array-like of shape (n_classes,), default=None
        Class balancing factor :math:`\alpha_y`. ``None``: 1 for every class.
        A float in [0, 1] is the paper's binary form and needs exactly two
        classes: ``alpha`` for ``classes_[1]`` (the positive class) and
        ``1 - alpha`` for ``classes_[0]`` (the paper uses 0.25 with
        ``gamma=2``). An array gives one factor per class, in ``classes_``
        order. Unlike ``class_weight``, ``alpha`` multiplies the loss and is
        not part of the weighted mean's denominator, as in the paper (whose
        sum is normalised by the number of rows).

    Notes
    -----
    ``class_weight`` and ``sample_weight`` are the per-row weights ``w_i`` of
    the batch mean ``sum(w_i * l_i) / sum(w_i)``. ``predict_proba`` is the
    softmax of the logits; focal training tends to make it less confident than
    cross-entropy training.

    References
    ----------
    T.-Y. Lin, P. Goyal, R. Girshick, K. He, P. Dollar. "Focal Loss for Dense
    Object Detection", ICCV 2017.

    Examples
    --------
    >>> import numpy as np, torch
    >>> from skimbnet.losses import FocalLoss
    >>> loss = FocalLoss(gamma=2.0).build(np.array([90, 10]))
    >>> logits, y = torch.tensor([[0.0, 0.0]]), torch.tensor([1])
    >>> round(float(loss(logits, y)), 4)  # 0.5**2 * log(2)
    0.1733
    """

    name = "focal"

    _parameter_constraints = {
        "gamma": [Interval(Real, 0, None, closed="left")],
        "alpha": [None, Interval(Real, 0, 1, closed="both"), "array-like"],
    }

    def __init__(self, gamma: float = 2.0, alpha=None):
        self.gamma = gamma
        self.alpha = alpha

    def build(self, class_counts):
        self._check_params()
        n_classes = len(check_class_counts(class_counts))
        return _FocalModule(self.gamma, self._alpha_vector(n_classes))

    def _alpha_vector(self, n_classes):
        alpha = self.alpha
        if alpha is None:
            return None
        if isinstance(alpha, Real):
            if n_classes != 2:
                raise ValueError(
                    f"FocalLoss(alpha={alpha!r}): a float alpha is the binary form "
                    f"(alpha for classes_[1], 1 - alpha for classes_[0]); with "
                    f"{n_classes} classes give one factor per class, e.g. "
                    f"alpha={[1.0] * n_classes}."
                )
            return np.array([1.0 - alpha, alpha])
        try:
            vector = np.asarray(alpha, dtype=float)
        except (TypeError, ValueError):
            vector = np.full(0, np.nan)  # reported below
        if vector.shape != (n_classes,) or not np.all(np.isfinite(vector)) or np.any(vector < 0):
            raise ValueError(
                f"FocalLoss(alpha={alpha!r}) must hold {n_classes} finite, non-negative "
                "factors, one per class in classes_ order."
            )
        return vector


# ------------------------------------------------------------------------- LDAM


class _LDAMModule(LossModule):
    def __init__(self, margins, scale, drw_weights, drw_start):
        super().__init__()
        self.register_buffer("margins", _buffer(margins))
        self.register_buffer("drw_weights", _buffer(drw_weights))
        self.scale = float(scale)
        self.drw_start = drw_start
        self.epoch, self.max_epochs = 0, 1

    def set_epoch(self, epoch, max_epochs):
        self.epoch, self.max_epochs = int(epoch), int(max_epochs)

    @property
    def drw_start_epoch(self) -> float:
        """First (0-based) epoch trained with the deferred re-weighting."""
        if self.drw_start is None:
            return float("inf")
        return float(start_epoch(self.drw_start, self.max_epochs))

    @property
    def drw_active(self) -> bool:
        """Whether the current epoch uses the effective-number class weights."""
        return self.epoch >= self.drw_start_epoch

    def per_sample(self, logits, target):
        margins = self.margins.to(logits)[target]
        shifted = logits - F.one_hot(target, logits.shape[1]).to(logits) * margins[:, None]
        return F.cross_entropy(self.scale * shifted, target, reduction="none")

    def forward(self, logits, target, sample_weight=None):
        losses = self.per_sample(logits, target)
        if self.drw_active:
            drw = self.drw_weights.to(logits)[target]
            sample_weight = drw if sample_weight is None else sample_weight * drw
        return weighted_mean(losses, sample_weight)

    def prediction_logits(self, logits):
        return self.scale * logits


class LDAMLoss(LossStrategy):
    r"""Label-distribution-aware margin loss with deferred re-weighting (Cao et al., 2019).

    .. math:: \ell(z, y) = -\log \frac{e^{s (z_y - m_y)}}
              {e^{s (z_y - m_y)} + \sum_{j \ne y} e^{s z_j}},
              \qquad m_j = \frac{C}{n_j^{1/4}}

    with :math:`C` chosen so that the largest margin (the rarest class's) is
    ``max_margin``, and :math:`s` = ``scale``. Rare classes must win by a
    larger margin, which enlarges their decision region.

    Deferred re-weighting (DRW): from epoch ``drw_start * max_epochs`` on
    (0-based, rounded up), each row's weight is multiplied by the
    effective-number class weight of its class (Cui et al., 2019),
    :math:`w_j = (1 - \beta) / (1 - \beta^{n_j})` normalised to sum to the
    number of classes, with ``drw_beta`` = 0.9999 as in the paper. The
    classifier reports the epoch through ``set_epoch`` every epoch.

    Parameters
    ----------
    max_margin : float, default=0.5
        The largest margin, ``m`` of the rarest class (the paper's 0.5).
    scale : float, default=30.0
        The logit scale ``s`` (the paper's 30, with cosine logits in [-1, 1]).
        The default network's logits are not normalised, so ``scale`` also
        acts as an inverse temperature: a smaller value (1 to 5) may train
        more smoothly there.
    drw_start : float in [0, 1] or None, default=0.8
        Fraction of ``max_epochs`` after which re-weighting starts; the paper
        switches at epoch 160 of 200, i.e. 0.8. ``None`` never re-weights
        (plain LDAM), 0 re-weights from the start.
    drw_beta : float in [0, 1), default=0.9999
        The effective-number ``beta`` of the deferred weights.

    Notes
    -----
    DRW only fires if training reaches ``drw_start * max_epochs``; with early
    stopping (the classifier's ``patience``) a run may stop before it, so for
    the paper's schedule set ``train_split=None`` or ``patience=None``. Use
    ``class_weight=None``: DRW is the paper's re-weighting, and class weights
    from the first epoch ("LDAM-RW") did worse in the paper.

    Margins are a training device: at prediction time the network's logits
    are used without margins. The class-probability estimate of this loss is
    ``softmax(scale * z)`` (see :meth:`LossModule.prediction_logits`).

    References
    ----------
    K. Cao, C. Wei, A. Gaidon, N. Arechiga, T. Ma. "Learning Imbalanced
    Datasets with Label-Distribution-Aware Margin Loss", NeurIPS 2019.

    Examples
    --------
    >>> import numpy as np, torch
    >>> from skimbnet.losses import LDAMLoss
    >>> loss = LDAMLoss(max_margin=0.5, scale=30.0).build(np.array([160, 10]))
    >>> loss.margins.numpy().round(3)  # 0.5 * (10 / n_j) ** (1/4)
    array([0.25, 0.5 ])
    >>> loss.set_epoch(80, max_epochs=100); loss.drw_active
    True
    """

    name = "ldam"
    corrects_class_mix = True

    _parameter_constraints = {
        "max_margin": [Interval(Real, 0, None, closed="neither")],
        "scale": [Interval(Real, 0, None, closed="neither")],
        "drw_start": [None, Interval(Real, 0, 1, closed="both")],
        "drw_beta": [Interval(Real, 0, 1, closed="left")],
    }

    def __init__(
        self,
        max_margin: float = 0.5,
        scale: float = 30.0,
        drw_start: float | None = 0.8,
        drw_beta: float = 0.9999,
    ):
        self.max_margin = max_margin
        self.scale = scale
        self.drw_start = drw_start
        self.drw_beta = drw_beta

    def build(self, class_counts):
        self._check_params()
        counts = check_class_counts(class_counts)
        margins = counts**-0.25
        margins = margins * (self.max_margin / margins.max())
        drw_weights = class_weight_vector(
            "effective", np.arange(len(counts)), counts, beta=self.drw_beta
        )
        drw_start = None if self.drw_start is None else float(self.drw_start)
        return _LDAMModule(margins, self.scale, drw_weights, drw_start)


# ------------------------------------------------------------- logit adjusted


class _LogitShiftModule(LossModule):
    """Cross-entropy of ``z + offset`` (a fixed per-class shift of the logits)."""

    def __init__(self, offset):
        super().__init__()
        self.register_buffer("offset", _buffer(offset))

    def per_sample(self, logits, target):
        return F.cross_entropy(logits + self.offset.to(logits), target, reduction="none")


class LogitAdjustedLoss(LossStrategy):
    r"""Logit-adjusted softmax cross-entropy (Menon et al., 2021).

    .. math:: \ell(z, y) = -\log \frac{e^{z_y + \tau \log \pi_y}}
              {\sum_j e^{z_j + \tau \log \pi_j}}

    where :math:`\pi_j` is the frequency of class :math:`j` in the training
    split. With ``tau=1`` it is Fisher-consistent for the balanced error:
    the argmax of the raw logits ``z`` minimises it.

    Parameters
    ----------
    tau : float, default=1.0
        Strength of the adjustment, ``>= 0``; 0 is plain cross-entropy.

    Notes
    -----
    The network learns ``z`` such that ``softmax(z + tau * log(prior))``
    estimates the class posterior under the training prior, so
    ``predict_proba`` (the softmax of ``z``) estimates the posterior under a
    *balanced* prior (for ``tau=1``), and ``predict`` its argmax. Add
    ``tau * log(class_prior_)`` to the logits to recover natural-prior
    probabilities. Use it with ``class_weight=None`` and without the
    classifier's post-hoc ``logit_adjustment`` (either would adjust twice).

    References
    ----------
    A. K. Menon, S. Jayasumana, A. S. Rawat, H. Jain, A. Veit, S. Kumar.
    "Long-tail learning via logit adjustment", ICLR 2021.

    Examples
    --------
    >>> import numpy as np, torch
    >>> from skimbnet.losses import LogitAdjustedLoss
    >>> loss = LogitAdjustedLoss(tau=1.0).build(np.array([90, 10]))
    >>> logits, y = torch.tensor([[0.0, 0.0]]), torch.tensor([1])
    >>> round(float(loss(logits, y)), 4)  # -log(0.1), the prior of class 1
    2.3026
    """

    name = "logit_adjusted"
    corrects_class_mix = True

    _parameter_constraints = {"tau": [Interval(Real, 0, None, closed="left")]}

    def __init__(self, tau: float = 1.0):
        self.tau = tau

    def build(self, class_counts):
        self._check_params()
        counts = check_class_counts(class_counts)
        log_prior = np.log(counts) - np.log(counts.sum())
        return _LogitShiftModule(self.tau * log_prior)


class BalancedSoftmaxLoss(LossStrategy):
    r"""Balanced softmax cross-entropy (Ren et al., 2020).

    .. math:: \ell(z, y) = -\log \frac{n_y e^{z_y}}{\sum_j n_j e^{z_j}}
              = \mathrm{CE}(z + \log n, y)

    with :math:`n_j` the count of class :math:`j` in the training split. It
    equals :class:`LogitAdjustedLoss` with ``tau=1`` (cross-entropy does not
    change when every logit moves by the same constant).

    Notes
    -----
    ``softmax(z + log n)`` models the training-prior posterior, so
    ``predict_proba`` (the softmax of ``z``) estimates the posterior under a
    balanced prior. Add ``log(class_prior_)`` to the logits to recover
    natural-prior probabilities. Use ``class_weight=None``.

    References
    ----------
    J. Ren, C. Yu, S. Sheng, X. Ma, H. Zhao, S. Yi, H. Li. "Balanced
    Meta-Softmax for Long-Tailed Visual Recognition", NeurIPS 2020.

    Examples
    --------
    >>> import numpy as np, torch
    >>> from skimbnet.losses import BalancedSoftmaxLoss
    >>> loss = BalancedSoftmaxLoss().build(np.array([90, 10]))
    >>> logits, y = torch.tensor([[0.0, 0.0]]), torch.tensor([1])
    >>> round(float(loss(logits, y)), 4)  # -log(10 / (90 + 10))
    2.3026
    """

    name = "balanced_softmax"
    corrects_class_mix = True

    def build(self, class_counts):
        counts = check_class_counts(class_counts)
        return _LogitShiftModule(np.log(counts))


# ---------------------------------------------------------------------- soft F1


class _SoftF1Module(LossModule):
    def __init__(self, eps: float):
        super().__init__()
        self.eps = float(eps)

    def per_sample(self, logits, target):
        raise NotImplementedError("the soft-F1 loss does not decompose over samples")

    def forward(self, logits, target, sample_weight=None):
        proba = torch.softmax(logits, dim=1)
        truth = F.one_hot(target, logits.shape[1]).to(proba)
        if sample_weight is not None:
            weight = sample_weight.to(proba)[:, None]
            weighted_proba, weighted_truth = proba * weight, truth * weight
        else:
            weighted_proba, weighted_truth = proba, truth
        tp = (weighted_proba * truth).sum(0)
        fp = (weighted_proba * (1 - truth)).sum(0)
        fn = ((1 - proba) * weighted_truth).sum(0)
        f1 = 2 * tp / (2 * tp + fp + fn + self.eps)
        return 1 - f1.mean()


class SoftF1Loss(LossStrategy):
    r"""One minus the macro-averaged soft F1 score of the batch.

    With :math:`p = \mathrm{softmax}(z)` and one-hot targets :math:`t`, per
    class :math:`c`:

    .. math:: tp_c = \sum_i w_i p_{ic} t_{ic},\quad
              fp_c = \sum_i w_i p_{ic} (1 - t_{ic}),\quad
              fn_c = \sum_i w_i (1 - p_{ic}) t_{ic}

    .. math:: \ell = 1 - \frac{1}{K} \sum_c
              \frac{2\, tp_c}{2\, tp_c + fp_c + fn_c + \varepsilon}

    where :math:`w_i` is the row's weight (1 without weights), so a weight of
    2 counts a row twice. Classes are macro-averaged, both of them in the
    binary case. The soft counts replace the hard ones of F1 with
    probabilities so the score is differentiable.

    Parameters
    ----------
    eps : float, default=1e-7
        Added to the denominator; keeps a class absent from the batch (and
        never predicted) at F1 = 0 rather than 0 / 0.

    Notes
    -----
    The loss is a function of the whole batch, not a mean over rows: it needs
    batches that hold rare-class rows (large batches, or a balanced sampler).
    A class absent from a batch scores F1 = 0 there, which pushes its
    probability down on that batch. ``predict_proba`` is the softmax of the
    logits, but this loss is not a proper scoring rule, so the probabilities
    are scores for ranking, not calibrated estimates.

    References
    ----------
    The soft (expected-count) F1 surrogate, e.g. M. Jansche, "Maximum
    Expected F-Measure Training of Logistic Regression Models", HLT/EMNLP 2005.

    Examples
    --------
    >>> import numpy as np, torch
    >>> from skimbnet.losses import SoftF1Loss
    >>> loss = SoftF1Loss().build(np.array([90, 10]))
    >>> logits, y = torch.zeros(2, 2), torch.tensor([0, 1])
    >>> round(float(loss(logits, y)), 4)  # tp = fp = fn = 0.5 for both classes
    0.5
    """

    name = "soft_f1"

    _parameter_constraints = {"eps": [Interval(Real, 0, None, closed="left")]}

    def __init__(self, eps: float = 1e-7):
        self.eps = eps

    def build(self, class_counts):
        self._check_params()
        check_class_counts(class_counts)
        return _SoftF1Module(self.eps)


# --------------------------------------------------------------------- lookup


def available_losses() -> dict[str, type[LossStrategy]]:
    """The loss aliases accepted by ``BalancedNetClassifier(loss=...)``."""
    return aliases(LossStrategy)


def _is_module_class(value) -> bool:
    return isinstance(value, type) and issubclass(value, nn.Module)


class TorchLoss(LossStrategy):
    """A torch loss module used as a loss strategy.

    ``BalancedNetClassifier(loss=torch.nn.CrossEntropyLoss)`` (a class) or
    ``loss=torch.nn.CrossEntropyLoss(label_smoothing=0.1)`` (an instance)
    wraps it in this strategy. The module maps ``(logits, y)`` to a scalar;
    with row weights (``sample_weight`` or class weights) it is called with
    ``reduction="none"`` and the per-row losses are averaged as
    ``sum(w * l) / sum(w)`` (summed as ``sum(w * l)`` for ``reduction="sum"``);
    for ``CrossEntropyLoss`` and ``NLLLoss`` the row weights are multiplied
    by their own ``weight[y]`` in that mean, as torch normalises them, so
    weights of 1 give the criterion's own loss. ``NLLLoss``, skorch's default
    criterion, takes log-probabilities: it gets the log-softmax of the logits
    (skorch gives it the log of the module's probabilities).
    It corrects the class mix only when given its own ``weight`` or
    ``pos_weight``; otherwise ``class_weight="auto"`` gives balanced class
    weights. Its tensors follow the network's dtype and device.

    Parameters
    ----------
    criterion : torch.nn.Module class or instance
        The loss; a class is instantiated with ``criterion_params``, an
        instance is copied.
    **criterion_params
        Arguments of a ``criterion`` class (``loss__label_smoothing=0.1`` on
        the classifier). ``set_params`` takes any argument of the class, and
        ``get_params`` lists those set (not the class's defaults, so a clone
        can switch ``criterion`` to another class, as a grid search does).

    Examples
    --------
    >>> import numpy as np, torch
    >>> from skimbnet.losses import TorchLoss
    >>> loss = TorchLoss(torch.nn.CrossEntropyLoss).build(np.array([90, 10]))
    >>> round(float(loss(torch.zeros(4, 2), torch.tensor([0, 1, 0, 1]))), 4)
    0.6931
    >>> TorchLoss(torch.nn.CrossEntropyLoss, label_smoothing=0.1).build(
    ...     np.array([90, 10])).criterion.label_smoothing
    0.1
    """

    def __init__(self, criterion=None, **criterion_params):
        self.criterion = criterion
        self.criterion_params = criterion_params

    @property
    def corrects_class_mix(self) -> bool:
        """Whether the criterion weighs the classes itself (its ``weight`` or ``pos_weight``)."""
        if _is_module_class(self.criterion):
            own = self.criterion_params
        elif isinstance(self.criterion, torch.nn.Module):
            own = {**vars(self.criterion), **dict(self.criterion.named_buffers())}
        else:
            return False
        return any(own.get(name) is not None for name in ("weight", "pos_weight"))

    def _criterion_arguments(self):
        """The argument names of a criterion class (``None``: any, it takes ``**kwargs``;
        none for an instance, whose settings are its own)."""
        if not _is_module_class(self.criterion):
            return set()
        try:
            parameters = inspect.signature(self.criterion).parameters.values()
        except (TypeError, ValueError):
            return None
        if any(p.kind is p.VAR_KEYWORD for p in parameters):
            return None
        return {p.name for p in parameters if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)}

    @property
    def _params_note(self) -> str:
        """What a message about an unknown ``loss__<name>`` adds: an instance's
        arguments are set on it, a class's through ``loss__<name>``."""
        if not isinstance(self.criterion, torch.nn.Module):
            return ""
        name = type(self.criterion).__name__
        return (
            f"; a {name} instance's arguments are its own: set them on it "
            f"({name}(<name>=...)), or pass the class (loss=torch.nn.{name}) with "
            "loss__<name>"
        )

    def _valid_params(self):
        """The names ``set_params`` takes (``None``: any); the classifier checks
        ``loss__*`` keys against them."""
        arguments = self._criterion_arguments()
        return None if arguments is None else {"criterion", *arguments}

    def get_params(self, deep=True):
        # the arguments set, not the class's defaults: a clone that then switches the
        # criterion class (a grid search over loss__criterion) carries none of them
        return {"criterion": self.criterion, **self.criterion_params}

    def set_params(self, **params):
        if "criterion" in params:
            self.criterion = params.pop("criterion")
        valid = self._valid_params()
        unknown = [] if valid is None else sorted(set(params) - valid)
        if unknown:
            raise ValueError(
                f"{unknown[0]} is not a parameter of TorchLoss(criterion="
                f"{getattr(self.criterion, '__name__', self.criterion)!r}); its parameters "
                f"are {sorted(valid)} (an instance's are set on it)."
            )
        self.criterion_params = {**self.criterion_params, **params}
        return self

    def build(self, class_counts):
        check_class_counts(class_counts)
        if _is_module_class(self.criterion):
            criterion = self.criterion(**self.criterion_params)
        elif isinstance(self.criterion, torch.nn.Module) and not self.criterion_params:
            criterion = copy.deepcopy(self.criterion)
        elif isinstance(self.criterion, torch.nn.Module):
            raise ValueError(
                f"TorchLoss got {sorted(self.criterion_params)} beside a criterion instance; "
                "set them on the instance, or pass its class."
            )
        else:
            raise TypeError(
                "TorchLoss(criterion=...) needs a torch.nn.Module class or instance, got "
                f"{type(self.criterion).__name__}."
            )
        reduction = getattr(criterion, "reduction", "mean")
        if reduction not in ("mean", "sum"):
            raise ValueError(
                f"loss={type(criterion).__name__}(reduction={reduction!r}): the loss must be a "
                'scalar; use reduction="mean" (rows weighted as sum(w * l) / sum(w)) or "sum".'
            )
        return _TorchLossModule(criterion)


class _TorchLossModule(LossModule):
    def __init__(self, criterion):
        super().__init__()
        self.criterion = criterion
        self.per_row = copy.deepcopy(criterion)
        self.per_row.reduction = "none"
        # NLLLoss (skorch's default criterion) takes log-probabilities; skorch gives it
        # the log of the module's softmax, and the module here returns logits
        self.takes_log_probabilities = isinstance(criterion, nn.NLLLoss)

    def forward(self, logits, target, sample_weight=None):
        buffer = next(self.buffers(), None)
        if buffer is not None and (buffer.dtype, buffer.device) != (logits.dtype, logits.device):
            # a criterion built with weight=torch.tensor([...]) in another dtype or device
            self.to(device=logits.device, dtype=logits.dtype)
        if self.takes_log_probabilities:
            logits = torch.log_softmax(logits, dim=-1)
        if sample_weight is None:
            return self.criterion(logits, target)
        losses = self.per_row(logits, target)
        if getattr(self.criterion, "reduction", "mean") == "sum":
            return (losses * sample_weight).sum()
        # the per-row losses hold weight[y] already; torch's mean divides by its sum too
        norm = (sample_weight * self._class_weight_of(target)).sum().clamp_min(1e-12)
        return (losses * sample_weight).sum() / norm

    def _class_weight_of(self, target):
        """Each row's weight in the criterion's own mean: ``weight[y]`` for
        CrossEntropyLoss and NLLLoss with ``weight=`` (torch divides their mean by
        ``sum(weight[y])``, not by the row count), 0 for ``ignore_index``, else 1."""
        if (
            not isinstance(self.criterion, (nn.CrossEntropyLoss, nn.NLLLoss))
            or target.is_floating_point()  # class probabilities: torch divides by the rows
        ):
            return 1.0
        kept = target != self.criterion.ignore_index
        weight = self.criterion.weight
        if weight is None:
            return kept.to(torch.get_default_dtype())
        return torch.where(kept, weight[target.clamp(0, len(weight) - 1)], 0.0)


def resolve_loss(loss) -> LossStrategy:
    """Turn ``loss`` (an alias, a strategy or a torch loss) into a fresh strategy.

    A torch loss module class or instance is wrapped in :class:`TorchLoss`.

    Raises
    ------
    ValueError
        For an unknown alias; the message lists the valid ones.
    TypeError
        For anything that is neither an alias nor a :class:`LossStrategy`.
    """
    if _is_module_class(loss) or isinstance(loss, torch.nn.Module):
        return TorchLoss(loss)
    return resolve(loss, LossStrategy, "loss", "loss")
