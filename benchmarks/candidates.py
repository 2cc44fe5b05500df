"""Candidate configurations for the development suite of ``benchmarks/quality.py``.

Each entry maps a name to ``factory(seed) -> estimator``; quality.py runs it as the row
``candidate:<name>``, e.g.::

    python benchmarks/quality.py --half selection --cv-seed 0 --models candidate:ce_la
"""

from __future__ import annotations


def _net(**params):
    def factory(seed):
        from skimbnet import BalancedNetClassifier

        return BalancedNetClassifier(**params, random_state=seed)

    return factory


CANDIDATES = {
    # plain cross-entropy, no class weights, logit-adjusted (tau = 1) decision
    "ce_la": _net(loss="ce", class_weight=None, logit_adjustment=1.0),
    # the current defaults (LDAM-DRW), under a candidate name
    "ldam_default": _net(),
}
CANDIDATES.update(
    {
        # TabM-mini: k = 8 members in one network, mean of their losses, mean probability
        "ce_la_k8": _net(loss="ce", class_weight=None, logit_adjustment=1.0, module__n_members=8),
        "ldam_k8": _net(module__n_members=8),
    }
)
CANDIDATES.update(
    {
        # class-balanced batches (random over-sampling by index) with cross-entropy, k = 8
        "ce_balanced_k8": _net(loss="ce", sampler="balanced", module__n_members=8),
    }
)
