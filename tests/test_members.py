"""Members in one network (``n_members``) and their bootstraps (``member_bootstrap``)."""

import numpy as np
import pytest
import torch
from tiny_models import imbalanced, tiny_net

from skimbnet import BalancedNetClassifier


class _Recording(BalancedNetClassifier):
    """Keeps the row weights of every training batch that reach the loss."""

    def get_loss(self, y_pred, y_true, X=None, training=False):
        if training:
            weight = X.get("sample_weight") if isinstance(X, dict) else None
            self.seen_weights_.append(None if weight is None else weight.detach().clone())
        return super().get_loss(y_pred, y_true, X=X, training=training)

    def initialize(self):
        self.seen_weights_ = []
        return super().initialize()


def _recording(**params):
    return _Recording(**tiny_net(n_members=4, max_epochs=2, **params).get_params())


def test_member_bootstrap_gives_each_member_poisson_row_counts():
    X, y = imbalanced(400)
    net = _recording(member_bootstrap=True, class_weight=None).fit(X, y)
    weights = net.seen_weights_
    assert weights and all(w.shape[1] == 4 for w in weights)  # one column per member
    epoch = len(weights) // 2
    counts = np.concatenate([w.numpy() for w in weights[:epoch]])
    assert np.array_equal(counts, np.round(counts)) and counts.min() == 0
    assert abs(counts.mean() - 1.0) < 0.1 and abs(counts.var() - 1.0) < 0.15  # Poisson(1)
    # the members' columns differ (independent draws), and each row keeps its counts
    assert not np.array_equal(counts[:, 0], counts[:, 1])
    second = np.concatenate([w.numpy() for w in weights[epoch:]])
    assert np.allclose(np.sort(second, axis=0), np.sort(counts, axis=0))


def test_member_bootstrap_multiplies_sample_and_class_weights():
    X, y = imbalanced(400)
    plain = _recording(member_bootstrap=True, class_weight=None).fit(X, y)
    doubled = _recording(member_bootstrap=True, class_weight=None)
    doubled.fit(X, y, sample_weight=1.0 + (np.arange(len(y)) % 2))  # 1, 2, 1, 2, ...
    a = np.concatenate([w.numpy() for w in plain.seen_weights_])
    b = np.concatenate([w.numpy() for w in doubled.seen_weights_])
    assert np.array_equal(b == 0, a == 0)  # the same draws (same seed, same batches) ...
    ratio = b[a > 0] / a[a > 0]
    assert set(np.unique(ratio)) == {1.0, 2.0}  # ... times each row's own weight
    per_row = np.where(a > 0, b / np.where(a > 0, a, 1.0), np.nan)[(a > 0).any(axis=1)]
    assert np.array_equal(np.nanmin(per_row, axis=1), np.nanmax(per_row, axis=1))  # per row
    # without the bootstrap, uniform weights reach the loss as None (the fused mean)
    assert all(w is None for w in _recording(class_weight=None).fit(X, y).seen_weights_)


def test_member_bootstrap_is_reproducible_and_changes_the_members():
    X, y = imbalanced(300)
    a = tiny_net(n_members=4, member_bootstrap=True, max_epochs=6).fit(X, y)
    b = tiny_net(n_members=4, member_bootstrap=True, max_epochs=6).fit(X, y)
    plain = tiny_net(n_members=4, max_epochs=6).fit(X, y)
    np.testing.assert_array_equal(a.predict_proba(X), b.predict_proba(X))
    assert not np.allclose(a.predict_proba(X), plain.predict_proba(X))


def test_member_bootstrap_needs_several_members():
    X, y = imbalanced(100)
    with pytest.raises(ValueError, match=r"member_bootstrap=True needs .*n_members > 1"):
        tiny_net(n_members=1, member_bootstrap=True).fit(X, y)

    class ThreeMembers(torch.nn.Module):  # (n, 3, classes) outputs, no n_members attribute
        def __init__(self):
            super().__init__()
            self.out = torch.nn.Linear(X.shape[1], 3 * 2)

        def forward(self, x):
            return self.out(x).reshape(len(x), 3, 2)

    with pytest.raises(ValueError, match=r"ThreeMembers has no n_members attribute"):
        tiny_net(module=ThreeMembers, member_bootstrap=True).fit(X, y)
