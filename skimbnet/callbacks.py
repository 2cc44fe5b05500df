"""Callbacks used by skimbnet's estimators (skorch's callback protocol)."""

from __future__ import annotations

from numbers import Real

import torch
from skorch.callbacks import Callback
from tqdm.auto import tqdm

from ._training import start_epoch


class EpochProgressBar(Callback):
    """A tqdm progress bar over the epochs, showing the latest scores.

    Enabled by ``BalancedNetClassifier(progress_bar=True)``; the bar ends early
    when early stopping ends the training.

    Examples
    --------
    >>> from skimbnet import BalancedNetClassifier
    >>> clf = BalancedNetClassifier(progress_bar=True)
    """

    def on_train_begin(self, net, **kwargs):
        self.bar_ = tqdm(total=net.max_epochs, desc="epochs", unit="epoch", leave=False)

    def on_epoch_end(self, net, **kwargs):
        row = net.history[-1]
        postfix = {
            k: f"{v:.4f}"
            for k, v in row.items()
            if k.endswith(("loss", "accuracy")) and isinstance(v, float)
        }
        self.bar_.set_postfix(postfix, refresh=False)
        self.bar_.update(1)

    def on_train_end(self, net, **kwargs):
        self.close()

    def close(self):
        """Close the bar; a fit that fails mid-training calls it too."""
        bar = getattr(self, "bar_", None)
        if bar is not None:
            bar.close()
        self.bar_ = None

    def __getstate__(self):
        # a bar holds its output stream, which cannot be pickled (skorch's
        # ProgressBar drops its bar the same way); a skorch Checkpoint pickles
        # the net, callbacks included, in the middle of training
        state = self.__dict__.copy()
        state["bar_"] = None
        return state


class WeightAveraging(Callback):
    """Predict with the average of the network's weights over the last epochs (SWA).

    Stochastic weight averaging (Izmailov et al., UAI 2018, "Averaging Weights
    Leads to Wider Optima and Better Generalization"): the uniform average of
    the weights at the end of every epoch from epoch ``ceil(start *
    max_epochs)`` on (0-based, counted as the loss's schedule counts them) is
    loaded into the network when training ends. It settles the epoch count
    without spending rows on validation: the last epochs' weights wander
    around a minimum, their average sits nearer its centre.

    ``BalancedNetClassifier(weight_averaging=0.8)`` (its default) adds it;
    the start then matches LDAM's deferred re-weighting, so the average is
    over the re-weighted epochs only.

    Parameters
    ----------
    start : float in [0, 1], default=0.8
        The fraction of ``max_epochs`` after which the epochs are averaged.
    skip_validated : bool, default=False
        Average nothing in a fit that validates each epoch: there early
        stopping chooses the weights (the classifier sets it when ``patience``
        is not ``None``).

    Attributes
    ----------
    n_averaged_ : int
        The epochs averaged in the last training (0: the weights were kept).

    Notes
    -----
    Only parameters are averaged; a module's buffers (batch-norm running
    statistics) stay those of the last epoch.

    Examples
    --------
    >>> from skimbnet import BalancedNetClassifier
    >>> from skimbnet.callbacks import WeightAveraging
    >>> clf = BalancedNetClassifier(
    ...     weight_averaging=None, callbacks=[("swa", WeightAveraging(start=0.5))]
    ... )
    """

    def __init__(self, start=0.8, skip_validated=False):
        self.start = start
        self.skip_validated = skip_validated

    def on_train_begin(self, net, **kwargs):
        start = self.start
        if isinstance(start, bool) or not isinstance(start, Real) or not 0 <= start <= 1:
            raise ValueError(
                f"WeightAveraging(start={start!r}): start must be a fraction of max_epochs "
                "in [0, 1] (0.8 averages the last 20% of the epochs)"
            )
        self.average_, self.n_averaged_ = None, 0

    def on_epoch_end(self, net, dataset_valid=None, **kwargs):
        if self.skip_validated and dataset_valid is not None:
            return
        epoch = len(net.history) - 1
        if epoch < start_epoch(self.start, net.max_epochs):
            return
        weights = [p.detach() for p in net.module_.parameters()]
        self.n_averaged_ += 1
        if self.average_ is None:
            self.average_ = [w.clone() for w in weights]
            return
        with torch.no_grad():
            for average, w in zip(self.average_, weights):
                average.lerp_(w, 1.0 / self.n_averaged_)  # the running mean

    def on_train_end(self, net, **kwargs):
        if self.average_ is not None:
            with torch.no_grad():
                for p, average in zip(net.module_.parameters(), self.average_):
                    p.copy_(average)
        self.average_ = None  # the weights live in the module now (and pickles stay small)
