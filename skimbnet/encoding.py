"""Piecewise-linear encoding of numerical features on quantile bins.

Gorishniy, Rubachev & Babenko, "On Embeddings for Numerical Features in Tabular
Deep Learning" (NeurIPS 2022): feature ``x`` with bin edges ``e_0 < ... < e_T``
becomes ``T`` values, ``clip((x - e_t) / (e_{t+1} - e_t), 0, 1)`` for bin ``t``
(the first bin is not clipped below, the last not above). An MLP on these
encodings can draw the axis-aligned, step-like boundaries trees draw, which a
plain MLP on the raw value learns slowly; TabM's best variants use it.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
import torch
from torch import nn

#: rows the bin edges are computed from at most (a seeded sample beyond that)
MAX_QUANTILE_ROWS = 1 << 17
#: values of a sparse sample densified at once for the quantiles, at most
MAX_DENSE_VALUES = 1 << 24


def weighted_quantiles(values: np.ndarray, weights: np.ndarray, qs: np.ndarray) -> np.ndarray:
    """Quantiles ``qs`` of ``values`` under ``weights``, as the inverse of the weighted CDF.

    With integer weights this equals the unweighted quantile of the rows repeated
    that many times (numpy's ``method="inverted_cdf"``).

    Examples
    --------
    >>> import numpy as np
    >>> from skimbnet.encoding import weighted_quantiles
    >>> weighted_quantiles(np.array([3.0, 1.0, 2.0]), np.array([1.0, 2.0, 1.0]),
    ...                    np.array([0.0, 0.5, 1.0]))
    array([1., 1., 3.])
    """
    order = np.argsort(values, kind="stable")
    v, cdf = values[order], np.cumsum(weights[order], dtype=np.float64)
    keep = weights[order] > 0
    v, cdf = v[keep], cdf[keep]
    positions = np.searchsorted(cdf, qs * cdf[-1], side="left")
    return v[np.minimum(positions, len(v) - 1)]


def quantile_bin_edges(X, sample_weight, n_bins: int, seed: int = 0) -> list[np.ndarray]:
    """Each feature's distinct quantile edges (``n_bins + 1`` at most), in float64.

    A feature with a single distinct value gets the edges ``[v, v + 1]`` (``v``
    plus two float64 steps where ``v + 1`` rounds to ``v``, beyond 2**53). Tables
    of more than ``MAX_QUANTILE_ROWS`` rows are sampled first (seeded), so the
    edges cost a bounded sort per feature.

    Examples
    --------
    >>> import numpy as np
    >>> from skimbnet.encoding import quantile_bin_edges
    >>> X = np.column_stack([np.arange(9.0), np.zeros(9)])
    >>> [e.tolist() for e in quantile_bin_edges(X, None, n_bins=4)]
    [[0.0, 2.0, 4.0, 6.0, 8.0], [0.0, 1.0]]
    """
    n_rows, n_features = X.shape
    weights = np.ones(n_rows) if sample_weight is None else np.asarray(sample_weight, float)
    limit = MAX_QUANTILE_ROWS
    if sp.issparse(X):
        limit = min(limit, max(1024, MAX_DENSE_VALUES // max(1, n_features)))
    if n_rows > limit:
        rows = np.sort(np.random.default_rng(seed).choice(n_rows, size=limit, replace=False))
        X, weights = X[rows], weights[rows]
    dense = X.toarray() if sp.issparse(X) else np.asarray(X)
    qs = np.linspace(0.0, 1.0, n_bins + 1)
    edges = []
    for j in range(n_features):
        column = dense[:, j].astype(np.float64)
        e = np.unique(weighted_quantiles(column, weights, qs))
        if len(e) == 1:  # one dummy bin; beyond 2**53, v + 1 == v
            e = np.array([e[0], e[0] + max(1.0, 2 * np.spacing(abs(e[0])))])
        edges.append(e)
    return edges


class PiecewiseLinearEncoding(nn.Module):
    """``(n, d)`` features to ``(n, sum of bins)`` piecewise-linear encodings.

    Parameters
    ----------
    bin_edges : list of 1-D arrays
        Each feature's increasing edges (at least two), e.g. from
        :func:`quantile_bin_edges`.
    with_features : bool, default=False
        Put the features themselves before their encodings (``(n, d + bins)``).

    Examples
    --------
    >>> import numpy as np, torch
    >>> from skimbnet.encoding import PiecewiseLinearEncoding
    >>> ple = PiecewiseLinearEncoding([np.array([0.0, 1.0, 3.0])])
    >>> ple(torch.tensor([[-1.0], [0.5], [2.0], [5.0]], dtype=torch.float64))
    tensor([[-1.0000,  0.0000],
            [ 0.5000,  0.0000],
            [ 1.0000,  0.5000],
            [ 1.0000,  2.0000]], dtype=torch.float64)
    """

    def __init__(self, bin_edges, with_features=False):
        super().__init__()
        self.with_features = bool(with_features)
        edges = [np.asarray(e, dtype=np.float64) for e in bin_edges]
        if not edges or any(
            e.ndim != 1 or len(e) < 2 or not np.all(np.isfinite(e)) or np.any(np.diff(e) <= 0)
            for e in edges
        ):
            raise ValueError(
                "bin_edges must be one increasing array of >= 2 finite edges per feature."
            )
        n_bins = np.array([len(e) - 1 for e in edges])
        width = int(n_bins.max())
        left = np.zeros((len(edges), width))
        size = np.ones((len(edges), width))
        valid = np.zeros((len(edges), width), dtype=bool)
        for j, e in enumerate(edges):
            t = n_bins[j]
            left[j, :t], size[j, :t], valid[j, :t] = e[:-1], np.diff(e), True
        first = np.zeros_like(valid)
        first[:, 0] = True
        last = np.zeros_like(valid)
        last[np.arange(len(edges)), n_bins - 1] = True
        self.register_buffer("left", torch.as_tensor(left))
        self.register_buffer("size", torch.as_tensor(size))
        # the clipping bounds: -inf below the first bin, +inf above the last
        self.register_buffer("lower", torch.as_tensor(np.where(first, -np.inf, 0.0)))
        self.register_buffer("upper", torch.as_tensor(np.where(last, np.inf, 1.0)))
        # the flat positions of real bins (features have different numbers of bins)
        self.register_buffer("keep", torch.as_tensor(np.flatnonzero(valid.ravel())))
        self.n_outputs = int(n_bins.sum()) + (len(edges) if self.with_features else 0)

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        z = (X.unsqueeze(-1) - self.left) / self.size  # (n, d, bins)
        z = torch.minimum(torch.maximum(z, self.lower), self.upper)
        z = z.flatten(1)[:, self.keep]
        return torch.cat([X, z], dim=1) if self.with_features else z
