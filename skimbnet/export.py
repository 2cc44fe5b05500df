"""Deploying fitted models: ONNX graphs of ``predict_proba``, and skops' trusted types.

ONNX
----

:func:`to_onnx` (also :meth:`BalancedNetClassifier.to_onnx
<skimbnet.BalancedNetClassifier.to_onnx>` and :meth:`BootstrapEnsembleClassifier.to_onnx
<skimbnet.BootstrapEnsembleClassifier.to_onnx>`) wraps a float32 copy of the fitted
network in a module that repeats what ``predict_proba`` does after input
validation: the standardisation with the training statistics, the module, the
loss's prediction rescaling (LDAM's ``scale``), the log-mean-probability of a
module of ``k`` members (output ``(n, k, classes)``), the post-hoc
``logit_adjustment`` and the softmax. An ensemble becomes one graph that averages
its members' probabilities. The graph is exported with torch's ``torch.export``-based
ONNX exporter (``torch.onnx.export(..., dynamo=True)``, which needs the ``onnx``
and ``onnxscript`` packages: ``pip install "skimbnet[onnx]"``).

The graph has one input, ``"X"``: float32 of shape ``(batch, n_features_in_)``
(any batch size), and one output, ``"probabilities"``: float32 of shape
``(batch, n_classes)``, columns in ``classes_`` order. The model's metadata
(``metadata_props``) holds ``classes`` (``classes_`` as JSON) and, for a
DataFrame-fitted model, ``feature_names`` (the columns the graph expects, in order).

Not covered: a custom ``module`` must itself be exportable by
``torch.export`` (no data-dependent Python control flow; with onnxruntime
installed, :func:`to_onnx` runs the graph on batches of 1, 3 and 17 random
rows around the training statistics and refuses one that differs from the
module, as a forward that branches on the batch size does; where the module or
the runtime cannot take such rows, it warns and does not check); a
scikit-learn ``Pipeline`` around the network is not converted (export the
preprocessing with skl2onnx and join the graphs with
``onnx.compose.merge_models``, both at one opset: ``to_onnx(opset=...)`` equal
to skl2onnx's; skimbnet's ``L1FeatureSelector`` has no skl2onnx converter); the
ensemble's ``voting="hard"`` and members other than ``BalancedNetClassifier``
are refused; validation of the input (finite values, the feature count, column
names) is the caller's.

skops
-----
``skops.io.load(file, trusted=SKOPS_TRUSTED_TYPES)`` loads a skops file of a
:class:`~skimbnet.BalancedNetClassifier` or a
:class:`~skimbnet.BootstrapEnsembleClassifier` of the default settings with any
built-in loss (also with ``verbose=1`` or ``progress_bar=True``). Another
optimizer, callback, sampler object, torch loss (``TorchLoss``) or member adds
its own types: list them with ``skops.io.get_untrusted_types(file=...)`` on a
file you made and review them.

**Trust**: skops checks the types of the estimator's attributes, but the
network itself (``module_``, ``optimizer_``, ``criterion_``) travels inside
skorch's state as one pickle, which skorch's ``__setstate__`` unpickles with
``pickle`` when the file is loaded (the tensors with
``torch.load(weights_only=True)``). A skops file of a skimbnet model is
therefore no safer than a pickle: load only files from sources you trust, as
with ``pickle``, ``joblib`` and MLflow's ``cloudpickle`` format.
"""

from __future__ import annotations

import copy
import json
import logging
import os
import warnings
from numbers import Integral

import numpy as np
import torch
from sklearn.utils.validation import check_is_fitted
from torch import nn

__all__ = ["SKOPS_TRUSTED_TYPES", "to_onnx"]

#: the types a skops file of a fitted skimbnet model holds beyond skops' own
#: trusted ones (default settings, any built-in loss, the default ensemble)
SKOPS_TRUSTED_TYPES = [
    "builtins.print",
    "functools.partial",
    "skimbnet.callbacks.EpochProgressBar",
    "skimbnet.callbacks.WeightAveraging",
    "skimbnet.classifier.BalancedNetClassifier",
    "skimbnet.classifier._ProbaScorer",
    "skimbnet.classifier._ValidationEarlyStopping",
    "skimbnet.ensemble.BootstrapEnsembleClassifier",
    "skimbnet.losses.BalancedSoftmaxLoss",
    "skimbnet.losses.CrossEntropy",
    "skimbnet.losses.FocalLoss",
    "skimbnet.losses.LDAMLoss",
    "skimbnet.losses.LogitAdjustedLoss",
    "skimbnet.losses.SoftF1Loss",
    "skorch.callbacks.logging.EpochTimer",
    "skorch.callbacks.logging.PrintLog",
    "skorch.callbacks.scoring.EpochScoring",
    "skorch.callbacks.scoring.PassthroughScoring",
    "skorch.history.History",
    "skorch.setter.optimizer_setter",
    "skorch.utils._indexing_other",
    "skorch.utils.to_numpy",
    "torch.optim.adamw.AdamW",
]

INPUT_NAME = "X"
OUTPUT_NAME = "probabilities"
#: the oldest opset the exported graph is valid at (torch's exporter writes 18)
MIN_OPSET = 18
#: the largest difference in probability between the graph and the float32 module on
#: the same float32 rows (they differ only in their kernels' rounding, about 1e-7)
BATCH_CHECK_TOLERANCE = 1e-4


class _NetworkProbabilities(nn.Module):
    """``predict_proba`` of one fitted ``BalancedNetClassifier``, in float32."""

    def __init__(self, net):
        super().__init__()
        module = copy.deepcopy(net.module_)
        self.module = module.to(device="cpu", dtype=torch.float32).eval()
        criterion = getattr(net, "criterion_", None)
        self.rescale = None
        if getattr(criterion, "prediction_logits", None) is not None:
            rescale = copy.deepcopy(criterion)
            if isinstance(rescale, nn.Module):
                rescale = rescale.to(device="cpu", dtype=torch.float32).eval()
            self.rescale = rescale
        mean = getattr(net, "feature_mean_", None)
        self.standardize = mean is not None
        if self.standardize:
            self.register_buffer("mean", _float32(net.feature_mean_))
            self.register_buffer("scale", _float32(net.feature_scale_))
        offset = net._logit_offset()  # the classifier's own, checked: it may be set after fit
        self.adjust = offset is not None
        if self.adjust:
            self.register_buffer("offset", _float32(offset))

    def forward(self, X):
        if self.standardize:
            X = (X - self.mean) / self.scale
        logits = self.module(X)
        if self.rescale is not None:
            logits = self.rescale.prediction_logits(logits)
        if logits.dim() == 3:
            # k members: the log of their mean probability
            k = logits.shape[1]
            logits = torch.logsumexp(torch.log_softmax(logits, dim=2), dim=1) - float(np.log(k))
        if self.adjust:
            logits = logits - self.offset
        return torch.softmax(logits, dim=1)


class _EnsembleProbabilities(nn.Module):
    """The soft vote of a ``BootstrapEnsembleClassifier``: the members' mean probability."""

    def __init__(self, ensemble):
        super().__init__()
        self.members = nn.ModuleList(_NetworkProbabilities(m) for m in ensemble.estimators_)
        # member probabilities -> ensemble columns (members may know fewer classes)
        maps = []
        for member in ensemble.estimators_:
            columns = ensemble._columns(member.classes_)
            one_hot = np.zeros((len(columns), len(ensemble.classes_)))
            one_hot[np.arange(len(columns)), columns] = 1.0
            maps.append(_float32(one_hot))
        for i, m in enumerate(maps):
            self.register_buffer(f"columns_{i}", m)
        self.n_members = len(maps)

    def forward(self, X):
        total = None
        for i, member in enumerate(self.members):
            proba = member(X) @ getattr(self, f"columns_{i}")
            total = proba if total is None else total + proba
        return total / self.n_members


def _float32(array):
    return torch.as_tensor(np.asarray(array, dtype=np.float64)).to(torch.float32)


def _check_network(net, what="the model"):
    from .classifier import BalancedNetClassifier

    if not isinstance(net, BalancedNetClassifier):
        raise TypeError(
            f"{what} is a {type(net).__name__}; ONNX export covers BalancedNetClassifier "
            "and BootstrapEnsembleClassifier of BalancedNetClassifier members."
        )
    check_is_fitted(net)


def _probability_module(model):
    from .ensemble import BootstrapEnsembleClassifier

    if isinstance(model, BootstrapEnsembleClassifier):
        check_is_fitted(model)
        if model.voting != "soft":
            raise ValueError(
                f"to_onnx exports voting='soft' ensembles; this one has voting={model.voting!r}."
            )
        for member in model.estimators_:
            _check_network(member, "a member")
        return _EnsembleProbabilities(model)
    _check_network(model)
    return _NetworkProbabilities(model)


def to_onnx(model, path=None, opset=None) -> bytes:
    """The ONNX graph of ``model.predict_proba``: raw float32 features in, probabilities out.

    Parameters
    ----------
    model : BalancedNetClassifier or BootstrapEnsembleClassifier
        Fitted. An ensemble must vote ``"soft"`` with ``BalancedNetClassifier``
        members.
    path : str or path-like, default=None
        Also write the model to this file.
    opset : int, default=None
        The ONNX opset, 18 or later (torch's exporter converts its graph to
        older opsets into graphs onnxruntime refuses); ``None`` is the
        exporter's default (20 with torch 2.13).

    Returns
    -------
    bytes
        The serialised ``onnx.ModelProto``: input ``"X"`` (float32,
        ``(batch, n_features_in_)``), output ``"probabilities"`` (float32,
        ``(batch, n_classes)``, columns in ``classes_`` order); metadata
        ``classes`` (JSON) and, when fitted on a DataFrame, ``feature_names``.

    Raises
    ------
    ImportError
        Without the ``onnx`` and ``onnxscript`` packages (``pip install "skimbnet[onnx]"``).
    ValueError
        For a model without ``n_features_in_`` (restored with
        ``initialize()`` and ``load_params()``), and, with onnxruntime
        installed, for a graph that differs from the network on a batch of 1,
        3 or 17 rows (a forward that branches on the batch size).

    Examples
    --------
    >>> import numpy as np, onnxruntime  # doctest: +SKIP
    >>> session = onnxruntime.InferenceSession(net.to_onnx())  # doctest: +SKIP
    >>> session.run(None, {"X": X.astype(np.float32)})[0]  # doctest: +SKIP
    """
    if opset is not None and (
        isinstance(opset, bool) or not isinstance(opset, Integral) or opset < MIN_OPSET
    ):
        raise ValueError(
            f"opset={opset!r}: the exported graph needs opset {MIN_OPSET} or later (torch's "
            "exporter's conversion to an older one is not a valid graph for every model); "
            "use opset=None or an int >= 18."
        )
    try:
        import onnx  # noqa: F401
        import onnxscript  # noqa: F401
    except ImportError as exc:
        raise ImportError(
            "to_onnx needs the onnx and onnxscript packages (torch's ONNX exporter): "
            'pip install "skimbnet[onnx]".'
        ) from exc
    wrapper = _probability_module(model).eval()
    if not hasattr(model, "n_features_in_"):
        raise ValueError(
            f"this {type(model).__name__} does not know its feature count (n_features_in_), "
            "which the graph's input needs: a network restored with initialize() and "
            "load_params() has none; fit it, or restore it with pickle, joblib or skops."
        )
    n_features = int(model.n_features_in_)
    example = torch.zeros(2, n_features, dtype=torch.float32)
    # torch's exporter logs a warning per torchvision operator it cannot register
    registration = logging.getLogger("torch.onnx._internal.exporter._registration")
    level = registration.level
    registration.setLevel(logging.ERROR)
    try:
        with warnings.catch_warnings(), torch.no_grad():
            warnings.simplefilter("ignore")
            program = _export(wrapper, example, opset)
    finally:
        registration.setLevel(level)
    proto = program.model_proto
    metadata = {"classes": json.dumps(np.asarray(model.classes_).tolist(), default=str)}
    names = getattr(model, "feature_names_in_", None)
    if names is not None:
        metadata["feature_names"] = json.dumps([str(n) for n in names])
    metadata["producer"] = f"skimbnet {type(model).__name__}"
    for key, value in metadata.items():
        entry = proto.metadata_props.add()
        entry.key, entry.value = key, value
    data = proto.SerializeToString()
    _check_other_batch_sizes(data, wrapper, model)
    if path is not None:
        with open(os.fspath(path), "wb") as handle:
            handle.write(data)
    return data


def _check_other_batch_sizes(data, wrapper, model) -> None:
    """Run the graph (with onnxruntime, where installed) against the module on
    batches of other sizes than the traced one: a forward that branches on the
    batch size is traced for one branch and holds for some sizes only.

    The rows are drawn around the training statistics where the model keeps
    them. Where the module or onnxruntime cannot take such rows (a module made
    for counts or indices, an operator the CPU runtime lacks), it warns and
    leaves the check to the caller.
    """
    try:
        import onnxruntime
    except ImportError:
        return
    center, spread = _probe_statistics(model)
    generator = torch.Generator().manual_seed(0)
    try:
        session = onnxruntime.InferenceSession(data, providers=["CPUExecutionProvider"])
        runs = []
        for rows in (1, 3, 17):
            z = torch.randn(rows, len(center), generator=generator, dtype=torch.float64)
            x = (center + spread * z).to(torch.float32)
            with torch.no_grad():
                expected = wrapper(x).numpy()
            runs.append((rows, session.run(None, {INPUT_NAME: x.numpy()})[0], expected))
    except Exception as exc:  # the check's rows or runtime, not the export, failed
        warnings.warn(
            f"to_onnx could not run the graph beside the network on random rows "
            f"({type(exc).__name__}: {exc}), so it did not check that every batch size "
            "gives the network's probabilities; check the graph on rows of your own.",
            UserWarning,
            stacklevel=3,
        )
        return
    for rows, got, expected in runs:
        if not np.allclose(got, expected, rtol=0, atol=BATCH_CHECK_TOLERANCE, equal_nan=True):
            gap = float(np.nanmax(np.abs(got - expected)))
            raise ValueError(
                f"the exported graph differs from the network on a batch of {rows} rows "
                f"(by {gap:.2g} in probability): the module's forward depends on the batch "
                "size (e.g. `if X.shape[0] ...`), which a graph with a free batch "
                "dimension cannot hold; make the forward independent of the batch size."
            )


def _probe_statistics(model):
    """``(mean, std)`` tensors of the features the model was trained on, where it
    kept them (standardisation's statistics; an ensemble's first member's), else
    zeros and ones."""
    net = model.estimators_[0] if hasattr(model, "estimators_") else model
    mean, scale = getattr(net, "feature_mean_", None), getattr(net, "feature_scale_", None)
    if mean is None or scale is None:
        n_features = int(model.n_features_in_)
        mean, scale = np.zeros(n_features), np.ones(n_features)
    return torch.as_tensor(mean, dtype=torch.float64), torch.as_tensor(scale, dtype=torch.float64)


def _export(wrapper, example, opset):
    return torch.onnx.export(
        wrapper,
        (example,),
        dynamo=True,
        input_names=[INPUT_NAME],
        output_names=[OUTPUT_NAME],
        dynamic_shapes=({0: torch.export.Dim("batch")},),
        opset_version=opset,
        verbose=False,
        external_data=False,
    )
