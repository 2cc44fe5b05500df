"""Candidate configurations for the development suite of ``benchmarks/quality.py``.

Each entry maps a name to ``factory(seed) -> estimator``; quality.py runs it as the row
``candidate:<name>``, e.g.::

    python benchmarks/quality.py --half selection --cv-seed 0 --models candidate:ce_la
"""

from __future__ import annotations

#: the candidates measured before ``n_bins`` and ``weight_averaging`` existed ran without
#: the encoding and without averaging: keep them so (a re-run reproduces their rows)
EARLIER = {"n_bins": None, "weight_averaging": None}


def _net(**params):
    def factory(seed):
        from skimbnet import BalancedNetClassifier

        return BalancedNetClassifier(**{**EARLIER, **params}, random_state=seed)

    return factory


CANDIDATES = {
    # plain cross-entropy, no class weights, logit-adjusted (tau = 1) decision
    "ce_la": _net(loss="ce", class_weight=None, logit_adjustment=1.0),
    # the defaults before n_bins=4 (LDAM-DRW), under a candidate name
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


class _RobustSmoothClip:
    """RealMLP's input transform (Holzmüller et al. 2024; pytabkit's ``median_center``,
    ``robust_scale``, ``smooth_clip``): centre on the median, divide by the interquartile
    range (half the range where that is 0; constant columns become 0), then
    ``x / sqrt(1 + (x / 3)**2)``. A prototype for the benchmark, before any library code."""

    def fit(self, X, y=None):
        import numpy as np

        X = np.asarray(X, dtype=np.float64)
        self.median_ = np.median(X, axis=0)
        spread = np.quantile(X, 0.75, axis=0) - np.quantile(X, 0.25, axis=0)
        half_range = 0.5 * (X.max(axis=0) - X.min(axis=0))
        spread = np.where(spread == 0, half_range, spread)
        self.factor_ = np.where(spread == 0, 0.0, 1.0 / np.where(spread == 0, 1.0, spread))
        return self

    def transform(self, X):
        import numpy as np

        Z = (np.asarray(X, dtype=np.float64) - self.median_) * self.factor_
        return Z / np.sqrt(1.0 + (Z / 3.0) ** 2)

    def fit_transform(self, X, y=None):
        return self.fit(X).transform(X)

    def get_params(self, deep=True):
        return {}

    def set_params(self, **params):
        return self


def _scaled_net(scaler, **params):
    def factory(seed):
        from sklearn.pipeline import make_pipeline

        from skimbnet import BalancedNetClassifier

        return make_pipeline(
            scaler(),
            BalancedNetClassifier(
                **{**EARLIER, **params},
                standardize=False,
                random_state=seed,
            ),
        )

    return factory


def _quantile():
    from sklearn.preprocessing import QuantileTransformer

    # TabM's setup: quantiles to a normal distribution (at most 1000 quantiles, fewer rows)
    return QuantileTransformer(output_distribution="normal", subsample=10**9, random_state=0)


CANDIDATES.update(
    {
        # the default (LDAM-DRW, 8 members) behind RealMLP's robust scaling + smooth clipping
        "robust_clip_k8": _scaled_net(_RobustSmoothClip),
        # the default behind a quantile transform to normal scores (TabM's preprocessing)
        "quantile_k8": _scaled_net(_quantile),
    }
)


class _PiecewiseLinear:
    """Piecewise-linear encoding of each feature on its quantile bins (Gorishniy et al.
    2022, "On Embeddings for Numerical Features in Tabular Deep Learning", PLE with
    quantile bins; TabM's best variant uses it): feature ``x`` with bin edges
    ``e_0 < ... < e_T`` becomes ``T`` values ``clip((x - e_t) / (e_t+1 - e_t), 0, 1)``
    (the first bin unclipped below, the last above). A benchmark prototype."""

    def __init__(self, n_bins=16):
        self.n_bins = n_bins

    def fit(self, X, y=None):
        import numpy as np

        X = np.asarray(X, dtype=np.float64)
        self.edges_ = []
        for column in X.T:
            edges = np.unique(np.quantile(column, np.linspace(0, 1, self.n_bins + 1)))
            self.edges_.append(edges if len(edges) > 1 else np.array([edges[0], edges[0] + 1]))
        return self

    def transform(self, X):
        import numpy as np

        X = np.asarray(X, dtype=np.float64)
        parts = []
        for column, edges in zip(X.T, self.edges_):
            left, width = edges[:-1], np.diff(edges)
            z = (column[:, None] - left) / width
            lower = np.zeros_like(z)
            upper = np.ones_like(z)
            lower[:, 0], upper[:, -1] = -np.inf, np.inf
            parts.append(np.clip(z, lower, upper))
        return np.hstack(parts)

    def fit_transform(self, X, y=None):
        return self.fit(X).transform(X)

    def get_params(self, deep=True):
        return {"n_bins": self.n_bins}

    def set_params(self, **params):
        self.__dict__.update(params)
        return self


CANDIDATES.update(
    {
        # the default on piecewise-linear encodings of 16 quantile bins per feature
        "ple16_k8": _scaled_net(_PiecewiseLinear),
    }
)
CANDIDATES.update(
    {
        # the default, each of the 8 members on its own Poisson(1) bootstrap of the rows
        "bagged_k8": _net(member_bootstrap=True),
        # the same behind RealMLP's robust scaling + smooth clipping
        "bagged_robust_clip_k8": _scaled_net(_RobustSmoothClip, member_bootstrap=True),
    }
)


def _best_threshold(scores, y):
    """The threshold on ``scores`` (of class 1) with the best balanced accuracy on
    ``(scores, y)``; the middle of the best range of thresholds."""
    import numpy as np

    order = np.argsort(scores)
    s, t = scores[order], y[order]
    n_pos, n_neg = t.sum(), len(t) - t.sum()
    # predicting 1 for scores above s[i]: recall of 1 = positives above, of 0 = negatives below
    pos_above = n_pos - np.concatenate([[0], np.cumsum(t)])
    neg_below = np.concatenate([[0], np.cumsum(1 - t)])
    ba = 0.5 * (pos_above / n_pos + neg_below / n_neg)
    cuts = np.concatenate([[s[0] - 1e-6], (s[:-1] + s[1:]) / 2, [s[-1] + 1e-6]])
    best = np.flatnonzero(ba >= ba.max() - 1e-12)
    return float(np.median(cuts[best]))


def _oob_net(**params):
    """A prototype: the default with member bootstraps, and the decision threshold of a
    binary problem set on the out-of-bag predictions (each training row scored by the
    members whose bootstrap left it out) to their best balanced accuracy."""

    def factory(seed):
        import numpy as np
        import torch

        from skimbnet import BalancedNetClassifier

        class OOBThreshold(BalancedNetClassifier):
            def fit(self, X, y, sample_weight=None):
                super().fit(X, y, sample_weight)
                self.threshold_offset_ = None
                if len(self.classes_) != 2:
                    return self
                Xa = np.asarray(X, dtype=np.float64)
                # the fit's own per-member counts (train_split=None: the rows of X, in order)
                rows = (None, torch.zeros(len(Xa)), None)
                counts = self._bootstrap_members(rows, self._seed_)[2].numpy()
                with torch.inference_mode():
                    logits = self.infer(torch.as_tensor(Xa, dtype=self._torch_dtype))
                    rescale = getattr(self.criterion_, "prediction_logits", None)
                    logits = logits if rescale is None else rescale(logits)
                    p = torch.softmax(logits, dim=2)[:, :, 1].numpy()  # (n, k)
                out = counts == 0
                has = out.any(axis=1)
                oob = (p * out).sum(axis=1)[has] / out.sum(axis=1)[has]
                y_idx = np.searchsorted(self.classes_, np.asarray(y))[has]
                if y_idx.min() == y_idx.max():
                    return self
                t = np.clip(_best_threshold(oob, y_idx), 1e-6, 1 - 1e-6)
                # the decision logits are log mean probabilities: class 1 wins where
                # log p1 - log p0 > logit(t)
                self.threshold_offset_ = float(np.log(t / (1 - t)))
                return self

            def _decision_logits(self, logits):
                out = super()._decision_logits(logits)
                offset = getattr(self, "threshold_offset_", None)
                if offset is None:
                    return out
                shift = torch.zeros(out.shape[-1], dtype=out.dtype)
                shift[1] = -offset
                return out + shift

        return OOBThreshold(
            **{**EARLIER, **params},
            member_bootstrap=True,
            random_state=seed,
        )

    return factory


def _scaled_oob(scaler, **params):
    def factory(seed):
        from sklearn.pipeline import make_pipeline

        return make_pipeline(scaler(), _oob_net(standardize=False, **params)(seed))

    return factory


CANDIDATES.update(
    {
        # member bootstraps + the out-of-bag threshold, on standardised inputs ...
        "oob_k8": _oob_net(),
        # ... and on piecewise-linear encodings (16 quantile bins)
        "ple16_oob_k8": _scaled_oob(_PiecewiseLinear),
    }
)
CANDIDATES.update(
    {
        # the library's piecewise-linear encoding (n_bins=16) with the default's loss ...
        "ple16_lib_k8": _net(n_bins=16, module__bins_with_features=False),
        # ... with cross-entropy and the prior-corrected (logit-adjusted) decision
        "ple16_ce_la_k8": _net(
            n_bins=16,
            loss="ce",
            class_weight=None,
            logit_adjustment=1.0,
            module__bins_with_features=False,
        ),
        # ... with cross-entropy on class-balanced batches
        "ple16_ce_balanced_k8": _net(
            n_bins=16, loss="ce", sampler="balanced", module__bins_with_features=False
        ),
        # ... on 8 bins
        "ple8_lib_k8": _net(n_bins=8, module__bins_with_features=False),
    }
)
CANDIDATES.update(
    {
        # coarser encodings: 4 bins with the default's loss; 8 bins with cross-entropy and
        # the prior-corrected decision
        "ple4_lib_k8": _net(n_bins=4, module__bins_with_features=False),
        "ple8_ce_la_k8": _net(
            n_bins=8,
            loss="ce",
            class_weight=None,
            logit_adjustment=1.0,
            module__bins_with_features=False,
        ),
    }
)
CANDIDATES.update(
    {
        # the features and their 4-bin piecewise-linear encodings side by side
        "ple4_raw_k8": _net(n_bins=4, module__bins_with_features=True),  # = the default since
    }
)


def held_out_scores(candidates, X, y, sample_weight, seed, fraction=0.25, min_rows=4):
    """Each candidate's mean of balanced accuracy and macro one-vs-rest ROC-AUC on a
    stratified held-out ``fraction`` of the rows of positive weight (``None`` where a class
    has fewer than ``min_rows`` such rows), every candidate fitted on the same other rows."""
    import numpy as np
    from sklearn.metrics import balanced_accuracy_score, roc_auc_score
    from sklearn.model_selection import StratifiedShuffleSplit

    rows = np.flatnonzero(sample_weight > 0)
    classes, counts = np.unique(y[rows], return_counts=True)
    if len(classes) < len(np.unique(y)) or counts.min() < min_rows:
        return None
    split = StratifiedShuffleSplit(1, test_size=fraction, random_state=seed)
    fit_part, check_part = next(split.split(np.zeros((len(rows), 1)), y[rows]))
    fit_rows, check_rows = rows[fit_part], rows[check_part]
    X_check, y_check, w_check = X[check_rows], y[check_rows], sample_weight[check_rows]
    scores = []
    for model in candidates:
        model.fit(X[fit_rows], y[fit_rows], sample_weight=sample_weight[fit_rows])
        proba, classes = model.predict_proba(X_check), model.classes_
        ba = balanced_accuracy_score(y_check, model.predict(X_check), sample_weight=w_check)
        if len(classes) == 2:
            auc = roc_auc_score(y_check == classes[1], proba[:, 1], sample_weight=w_check)
        else:
            auc = roc_auc_score(
                y_check, proba, multi_class="ovr", labels=classes, sample_weight=w_check
            )
        scores.append(float(0.5 * (ba + auc)))
    return scores


def _held_out_choice(choices):
    """A prototype: fit each configuration in ``choices`` (BalancedNetClassifier
    parameters) on a stratified 75% of the rows, score it on the other 25% by the mean of
    balanced accuracy and macro one-vs-rest ROC-AUC (the decision and the ranking), and
    refit the best (the first on ties) on all rows: the check behind the library's
    ``n_bins="auto"`` of version 0.5 (before the two-view network), for any list of choices."""

    def factory(seed):
        import numpy as np
        from sklearn.base import BaseEstimator, ClassifierMixin

        from skimbnet import BalancedNetClassifier

        def make(params):
            return BalancedNetClassifier(**{**EARLIER, **params}, random_state=seed)

        class HeldOutChoice(ClassifierMixin, BaseEstimator):
            def fit(self, X, y):
                X, y = np.asarray(X), np.asarray(y)
                candidates = [make(params) for params in choices]
                self.scores_ = held_out_scores(candidates, X, y, np.ones(len(y)), seed)
                self.choice_ = 0 if self.scores_ is None else int(np.argmax(self.scores_))
                self.net_ = make(choices[self.choice_]).fit(X, y)
                self.classes_ = self.net_.classes_
                return self

            def predict(self, X):
                return self.net_.predict(np.asarray(X))

            def predict_proba(self, X):
                return self.net_.predict_proba(np.asarray(X))

        return HeldOutChoice()

    return factory


CANDIDATES.update(
    {
        # the default or its 4-bin encodings only, whichever a held-out check prefers (the
        # library's n_bins="auto" since: the same fits, predictions equal to the last bit)
        "choose_ple4_k8": _held_out_choice(
            [{}, {"n_bins": 4, "module__bins_with_features": False}]
        ),
    }
)


def _mixed_net(n_bins=4, **params):
    """A prototype: half the members see the features, half their ``n_bins``-bin
    piecewise-linear encodings, in one network trained on all the rows (the mean of the
    members' losses, the mean of their probabilities): both configurations of the
    ``n_bins="auto"`` check averaged instead of chosen, at about one fit's cost. The
    network is a ``TwoViewMLP`` of ``n_members // 2`` members per view, built after the
    default MLP (whose random draws it therefore follows, as the recorded runs did)."""

    def factory(seed):
        from skimbnet import BalancedNetClassifier
        from skimbnet.modules import TwoViewMLP

        class MixedNet(BalancedNetClassifier):
            def initialize_module(self):
                super().initialize_module()
                edges = getattr(self, "bin_edges_", None)
                if edges is None:
                    return self
                module = TwoViewMLP(
                    self.n_features_in_,
                    len(self.classes_),
                    edges,
                    hidden_layer_sizes=tuple(self.hidden_layer_sizes),
                    n_members=self.n_members // 2,
                )
                self.module_ = module.to(dtype=self._torch_dtype)
                return self

        return MixedNet(**{**EARLIER, "n_bins": n_bins, **params}, random_state=seed)

    return factory


CANDIDATES.update(
    {
        # 4 members on the features and 4 on their 4-bin encodings, one network, one fit
        # (the library's n_bins="auto" since has 8 members per view: it failed the 96/4 task)
        "mixed_ple4_k8": _mixed_net(),
    }
)


def _ensemble(**member_params):
    def factory(seed):
        from skimbnet import BootstrapEnsembleClassifier
        from skimbnet.ensemble import default_estimator

        member = default_estimator().set_params(**member_params)
        return BootstrapEnsembleClassifier(member, random_state=seed)

    return factory


CANDIDATES.update(
    {
        # the ensemble whose members see the features and their 4-bin encodings
        # (n_bins="auto": a TwoViewMLP of one member per view), as the single default does
        "ensemble_two_view": _ensemble(n_bins="auto"),
    }
)


def ldam_drw_lr_factor(epoch, max_epochs=60):
    """The learning-rate factor of LDAM-DRW's published schedule (Cao et al. 2019, the
    authors' ``cifar_train.py``: linear warm-up over the first 5 of 200 epochs, x0.1 from
    epoch 160, where the deferred re-weighting starts, x0.01 from 180), as fractions of
    ``max_epochs``; ``epoch`` is 0-based, as ``LambdaLR`` counts."""
    t = (epoch + 1) / max_epochs
    if t <= 0.025:
        return t / 0.025
    if t > 0.9:
        return 0.01
    if t > 0.8:
        return 0.1
    return 1.0


def _paper_schedule_net(**params):
    def factory(seed):
        from skorch.callbacks import LRScheduler
        from torch.optim.lr_scheduler import LambdaLR

        from skimbnet import BalancedNetClassifier

        schedule = LRScheduler(LambdaLR, lr_lambda=ldam_drw_lr_factor)
        return BalancedNetClassifier(
            callbacks=[("lr_schedule", schedule)],
            weight_averaging=None,  # measured before the averaging was the default
            random_state=seed,
            **params,
        )

    return factory


CANDIDATES.update(
    {
        # the default with LDAM-DRW's learning-rate schedule: the re-weighted last 20% of
        # the epochs train at a tenth of the rate, the last 10% at a hundredth (the paper's)
        "ldam_lr_drop": _paper_schedule_net(),
    }
)


def _over_sampled_net(**params):
    def factory(seed):
        from imblearn.over_sampling import RandomOverSampler

        return _net(resampler=RandomOverSampler(random_state=seed), **params)(seed)

    return factory


CANDIDATES.update(
    {
        # the game's regime (thousands of states of a deterministic expert): one network,
        # trained 200 epochs; balanced class weights, or over-sampled rows as ROS + MLP does
        "long_single_ce": _net(n_members=1, loss="ce", max_epochs=200),
        "long_single_ros": _over_sampled_net(n_members=1, loss="ce", max_epochs=200),
    }
)


def _averaged_net(start, **params):
    """SWA (Izmailov et al. 2018) added as a callback, as the candidate was measured before
    the library had the parameter (its rows came from a prototype of this callback; the
    library default's re-run of both halves matched them on every cell, to 2e-16): the same
    computation as ``BalancedNetClassifier(weight_averaging=start)``."""

    def factory(seed):
        from skimbnet import BalancedNetClassifier
        from skimbnet.callbacks import WeightAveraging

        return BalancedNetClassifier(
            weight_averaging=None,
            callbacks=[("swa", WeightAveraging(start))],
            random_state=seed,
            **params,
        )

    return factory


CANDIDATES.update(
    {
        # the default with its weights averaged over the re-weighted epochs (SWA from
        # LDAM-DRW's start, 0.8 of max_epochs: 12 epoch-end snapshots at 60 epochs)
        "swa_drw": _averaged_net(0.8),
        # the game guide's recipe (the features' view alone, n_bins=None) with the
        # library's weight averaging at its default
        "features_view_swa": _net(weight_averaging=0.8),
    }
)
