"""Callbacks used by skimbnet's estimators (skorch's callback protocol)."""

from __future__ import annotations

from skorch.callbacks import Callback
from tqdm.auto import tqdm


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
        bar = getattr(self, "bar_", None)
        if bar is not None:
            bar.close()
        # a closed bar holds its output stream, which cannot be pickled
        self.bar_ = None
