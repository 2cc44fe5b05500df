"""The default network: a multi-layer perceptron sized at fit time."""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

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
    ):
        super().__init__()
        if activation not in ACTIVATIONS:
            raise ValueError(
                f"activation={activation!r} is not supported; use one of {sorted(ACTIVATIONS)}."
            )
        layers: list[nn.Module] = []
        width = n_features
        for size in hidden_layer_sizes:
            layers.append(nn.Linear(width, int(size)))
            layers.append(ACTIVATIONS[activation]())
            if dropout > 0:
                layers.append(nn.Dropout(dropout))
            width = int(size)
        layers.append(nn.Linear(width, n_classes))
        self.layers = nn.Sequential(*layers)

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        return self.layers(X)
