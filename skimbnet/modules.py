"""The default network: a multi-layer perceptron sized at fit time."""

from __future__ import annotations

from collections.abc import Sequence
from numbers import Integral

import torch
from torch import nn

from .encoding import PiecewiseLinearEncoding

ACTIVATIONS = {
    "relu": nn.ReLU,
    "gelu": nn.GELU,
    "tanh": nn.Tanh,
    "logistic": nn.Sigmoid,
    "elu": nn.ELU,
    "leaky_relu": nn.LeakyReLU,
    "silu": nn.SiLU,
}


class MLP(nn.Module):
    """A fully connected network that maps features to one logit per class.

    ``BalancedNetClassifier`` builds it when no ``module`` is given, with
    ``n_features`` and ``n_classes`` read from the training data.

    Parameters
    ----------
    n_features : int
        Number of input features.
    n_classes : int
        Number of output logits (one per class).
    hidden_layer_sizes : sequence of int, default=(128, 64)
        Width of each hidden layer; ``()`` gives a linear model.
    activation : str, default="relu"
        One of ``"relu"``, ``"gelu"``, ``"tanh"``, ``"logistic"``, ``"elu"``,
        ``"leaky_relu"``, ``"silu"``.
    dropout : float, default=0.0
        Dropout probability after every hidden activation.
    n_members : int, default=1
        ``k > 1`` makes the network an ensemble in one module, TabM-mini
        (Gorishniy et al., ICLR 2025): member ``i`` sees the input scaled by its
        own vector ``r_i`` (initialised with random signs), passes it through
        the shared hidden layers and its own output layer. The output then has
        shape ``(n, k, n_classes)``; ``BalancedNetClassifier`` trains every
        member on its own loss (the mean of the ``k`` losses) and predicts the
        mean of their probabilities.
    bin_edges : list of 1-D arrays or None, default=None
        Each feature's bin edges: the network then starts with a
        :class:`~skimbnet.encoding.PiecewiseLinearEncoding` of the features
        on these bins, and its first layer sees that encoding (one input per
        bin; the features themselves too with ``bins_with_features=True``).
        ``BalancedNetClassifier(n_bins=...)`` passes the training data's
        quantiles.
    bins_with_features : bool, default=False
        With ``bin_edges``: the first layer sees the (standardised) features
        as well as their encodings (``False``: the encodings only, as in
        Gorishniy et al.; it ranked better on the development suite).

    Examples
    --------
    >>> import torch
    >>> from skimbnet.modules import MLP
    >>> net = MLP(n_features=4, n_classes=3, hidden_layer_sizes=(8,))
    >>> net(torch.zeros(2, 4)).shape
    torch.Size([2, 3])
    """

    def __init__(
        self,
        n_features: int,
        n_classes: int,
        hidden_layer_sizes: Sequence[int] = (128, 64),
        activation: str = "relu",
        dropout: float = 0.0,
        n_members: int = 1,
        bin_edges=None,
        bins_with_features: bool = False,
    ):
        super().__init__()
        if int(n_members) < 1:
            raise ValueError(f"n_members={n_members!r} must be an integer >= 1.")
        self.n_members = int(n_members)
        if activation not in ACTIVATIONS:
            raise ValueError(
                f"activation={activation!r} is not supported; use one of {sorted(ACTIVATIONS)}."
            )
        sizes = tuple(hidden_layer_sizes)
        # numpy ints too (a grid of np.arange values), never bools
        if not all(isinstance(h, Integral) and not isinstance(h, bool) and h > 0 for h in sizes):
            raise ValueError(
                f"hidden_layer_sizes={hidden_layer_sizes!r} must be a sequence of positive "
                "ints, e.g. (128, 64)."
            )
        hidden_layer_sizes = tuple(int(h) for h in sizes)
        self.encoding = None
        if bin_edges is not None:
            self.encoding = PiecewiseLinearEncoding(bin_edges, with_features=bins_with_features)
        if self.encoding is not None:
            if len(bin_edges) != n_features:
                raise ValueError(
                    f"bin_edges has {len(bin_edges)} features' edges; the input has {n_features}."
                )
            n_features = self.encoding.n_outputs
        layers: list[nn.Module] = []
        width = n_features
        for size in hidden_layer_sizes:
            layers.append(nn.Linear(width, int(size)))
            layers.append(ACTIVATIONS[activation]())
            if dropout > 0:
                layers.append(nn.Dropout(dropout))
            width = int(size)
        k = self.n_members
        if k == 1:
            layers.append(nn.Linear(width, n_classes))
        else:
            # member adapters r_i (random signs, as TabM-mini) and one output layer each
            signs = torch.randint(0, 2, (k, n_features)) * 2.0 - 1.0
            self.adapters = nn.Parameter(signs)
            bound = 1.0 / width**0.5
            # nn.Linear's default initialisation, one output layer per member
            head = torch.empty(k, width, n_classes).uniform_(-bound, bound)
            self.head_weight = nn.Parameter(head)
            self.head_bias = nn.Parameter(torch.empty(k, n_classes).uniform_(-bound, bound))
        self.layers = nn.Sequential(*layers)

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        if self.encoding is not None:
            X = self.encoding(X)
        if self.n_members == 1:
            return self.layers(X)
        hidden = self.layers(X.unsqueeze(1) * self.adapters)  # (n, k, width)
        return torch.einsum("nkw,kwc->nkc", hidden, self.head_weight) + self.head_bias


class TwoViewMLP(nn.Module):
    """Two views in one network: members on the features and members on their encodings.

    ``BalancedNetClassifier(n_bins="auto")`` (the default) builds it: an
    :class:`MLP` of ``n_members`` members on the features and another of
    ``n_members`` members on the features' encodings on ``bin_edges``, with
    no shared weights. Both are trained together on all the rows (the mean
    of all the members' losses) and predict together (the mean of all the
    members' probabilities): the two configurations averaged, each at full
    strength, at about two networks' cost. On the development suite it
    ranked above choosing one view by a held-out check on every metric of
    both halves, and above either view alone but for the selection half's
    average precision, where the encodings alone rank better
    (``docs/guide/network.md``).

    Parameters
    ----------
    n_features, n_classes : int
        Input features and output logits, as in :class:`MLP`.
    bin_edges : list of 1-D arrays
        Each feature's bin edges, as in :class:`MLP`.
    hidden_layer_sizes, activation, dropout :
        Each view's layers, as in :class:`MLP`.
    n_members : int, default=8
        Members of each view; the output has ``2 * n_members`` members (the
        ``n_members`` attribute, as the loss sees them), the features' first.
    bins_with_features : bool, default=False
        The encoded members see the features as well, as in :class:`MLP`.

    Examples
    --------
    >>> import numpy as np, torch
    >>> from skimbnet.modules import TwoViewMLP
    >>> edges = [np.array([-1.0, 0.0, 1.0])] * 3
    >>> net = TwoViewMLP(n_features=3, n_classes=2, bin_edges=edges, hidden_layer_sizes=(8,))
    >>> net = net.double()  # one dtype for the layers and the edges' buffers
    >>> net(torch.zeros(5, 3, dtype=torch.float64)).shape  # (rows, members of both views, classes)
    torch.Size([5, 16, 2])
    """

    def __init__(
        self,
        n_features: int,
        n_classes: int,
        bin_edges,
        hidden_layer_sizes: Sequence[int] = (128, 64),
        activation: str = "relu",
        dropout: float = 0.0,
        n_members: int = 8,
        bins_with_features: bool = False,
    ):
        super().__init__()
        if bin_edges is None:
            # without edges both views would be the same plain MLP
            raise ValueError(
                "TwoViewMLP needs bin_edges (each feature's bin edges) for its encoded view; "
                "use MLP for the features alone."
            )
        layers = dict(
            hidden_layer_sizes=hidden_layer_sizes,
            activation=activation,
            dropout=dropout,
            n_members=n_members,
        )
        self.features = MLP(n_features, n_classes, **layers)
        self.encoded = MLP(
            n_features,
            n_classes,
            bin_edges=bin_edges,
            bins_with_features=bins_with_features,
            **layers,
        )
        self.n_members = 2 * self.features.n_members

    @property
    def views(self) -> tuple[MLP, MLP]:
        """The two member groups: on the features, then on their encodings."""
        return self.features, self.encoded

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        views = [view(X) for view in self.views]
        # a view of one member returns (n, n_classes): give it its member axis
        views = [v if v.dim() == 3 else v.unsqueeze(1) for v in views]
        return torch.cat(views, dim=1)
