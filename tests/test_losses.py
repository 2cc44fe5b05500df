"""Loss strategies: each against an independent implementation of its paper's formula."""

import copy
import doctest
import pickle

import numpy as np
import pytest
import torch
from sklearn.base import clone
from sklearn.datasets import make_classification
from sklearn.model_selection import GridSearchCV
from tiny_models import tiny_net
from torch.nn import functional as F

import skimbnet
from skimbnet import BalancedNetClassifier
from skimbnet import losses as losses_module
from skimbnet.losses import (
    BalancedSoftmaxLoss,
    CrossEntropy,
    FocalLoss,
    LDAMLoss,
    LogitAdjustedLoss,
    LossModule,
    LossStrategy,
    SoftF1Loss,
    TorchLoss,
    available_losses,
    check_class_counts,
)

ALIASES = ["ce", "focal", "ldam", "logit_adjusted", "balanced_softmax", "soft_f1"]


@pytest.fixture(autouse=True, scope="module")
def _one_torch_thread():
    # tiny tensors gain nothing from intra-op threads, and on a loaded machine the
    # threads' synchronisation makes every op 100x slower
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)


# ------------------------------------------------------- reference formulas
# plain numpy, one row at a time, float64, straight from the papers


def _softmax(z):
    e = np.exp(z - z.max())
    return e / e.sum()


def _wmean(values, w):
    values = np.asarray(values)
    return values.mean() if w is None else (values * w).sum() / w.sum()


def ref_ce(z, y, counts, w=None):
    return _wmean([-np.log(_softmax(zi)[yi]) for zi, yi in zip(z, y)], w)


def ref_focal(z, y, counts, w=None, gamma=2.0, alpha=None):
    k = z.shape[1]
    if alpha is None:
        a = np.ones(k)
    elif np.isscalar(alpha):
        a = np.array([1 - alpha, alpha])
    else:
        a = np.asarray(alpha, float)
    rows = []
    for zi, yi in zip(z, y):
        p = _softmax(zi)[yi]
        rows.append(-a[yi] * (1 - p) ** gamma * np.log(p))
    return _wmean(rows, w)


def ref_ldam_margins(counts, max_margin=0.5):
    counts = np.asarray(counts, float)
    c = max_margin * counts.min() ** 0.25  # the rarest class gets max_margin
    return np.array([c / n**0.25 for n in counts])


def ref_effective_weights(counts, beta):
    w = np.array([(1 - beta) / (1 - beta**n) for n in np.asarray(counts, float)])
    return w * len(w) / w.sum()


def ref_ldam(z, y, counts, w=None, max_margin=0.5, scale=30.0, drw=False, beta=0.9999):
    m = ref_ldam_margins(counts, max_margin)
    rows = []
    for zi, yi in zip(z, y):
        zz = np.array(zi, float)
        zz[yi] -= m[yi]
        rows.append(-np.log(_softmax(scale * zz)[yi]))
    if drw:
        cw = ref_effective_weights(counts, beta)[y]
        w = cw if w is None else w * cw
    return _wmean(rows, w)


def ref_logit_adjusted(z, y, counts, w=None, tau=1.0):
    prior = np.asarray(counts, float) / np.sum(counts)
    return _wmean([-np.log(_softmax(zi + tau * np.log(prior))[yi]) for zi, yi in zip(z, y)], w)


def ref_balanced_softmax(z, y, counts, w=None):
    n = np.asarray(counts, float)
    rows = [-np.log(n[yi] * np.exp(zi[yi]) / np.sum(n * np.exp(zi))) for zi, yi in zip(z, y)]
    return _wmean(rows, w)


def ref_soft_f1(z, y, counts, w=None, eps=1e-7):
    k = z.shape[1]
    w = np.ones(len(y)) if w is None else w
    f1 = []
    for c in range(k):
        tp = fp = fn = 0.0
        for zi, yi, wi in zip(z, y, w):
            p = _softmax(zi)[c]
            t = 1.0 if yi == c else 0.0
            tp += wi * p * t
            fp += wi * p * (1 - t)
            fn += wi * (1 - p) * t
        f1.append(2 * tp / (2 * tp + fp + fn + eps))
    return 1 - np.mean(f1)


CASES = [
    # (strategy, reference with its keyword arguments)
    (CrossEntropy(), ref_ce, {}),
    (FocalLoss(), ref_focal, {}),
    (FocalLoss(gamma=0.5), ref_focal, {"gamma": 0.5}),
    (LDAMLoss(drw_start=None), ref_ldam, {}),
    (
        LDAMLoss(max_margin=1.0, scale=2.0, drw_start=None),
        ref_ldam,
        {"max_margin": 1.0, "scale": 2.0},
    ),
    (LogitAdjustedLoss(), ref_logit_adjusted, {}),
    (LogitAdjustedLoss(tau=0.5), ref_logit_adjusted, {"tau": 0.5}),
    (BalancedSoftmaxLoss(), ref_balanced_softmax, {}),
    (SoftF1Loss(), ref_soft_f1, {}),
]
CASE_IDS = [repr(c[0]) for c in CASES]


def _problem(n_classes, n=40, seed=0, scale=2.0):
    rng = np.random.default_rng(seed)
    z = rng.normal(scale=scale, size=(n, n_classes))
    y = rng.integers(0, n_classes, size=n)
    y[:n_classes] = np.arange(n_classes)  # every class present
    counts = rng.integers(1, 500, size=n_classes).astype(float)
    w = rng.uniform(0.1, 3.0, size=n)
    return z, y, counts, w


def _evaluate(strategy, z, y, counts, w=None, dtype=torch.float64):
    module = strategy.build(counts)
    logits = torch.tensor(z, dtype=dtype)
    target = torch.tensor(y, dtype=torch.long)
    weight = None if w is None else torch.tensor(w, dtype=dtype)
    return module(logits, target, weight)


# ------------------------------------------------------ against the formulas


@pytest.mark.parametrize("n_classes", [2, 4])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("strategy, reference, kwargs", CASES, ids=CASE_IDS)
def test_matches_reference_formula(strategy, reference, kwargs, n_classes, weighted):
    z, y, counts, w = _problem(n_classes, seed=n_classes)
    w = w if weighted else None
    got = float(_evaluate(strategy, z, y, counts, w))
    expected = reference(z, y, counts, w, **kwargs)
    assert got == pytest.approx(expected, rel=1e-9, abs=1e-12)


@pytest.mark.parametrize("alpha", [0.25, [0.2, 0.8], np.array([0.1, 0.5, 2.0, 1.0])])
def test_focal_alpha_matches_reference(alpha):
    n_classes = 2 if np.isscalar(alpha) or len(alpha) == 2 else 4
    z, y, counts, w = _problem(n_classes, seed=3)
    got = float(_evaluate(FocalLoss(gamma=1.5, alpha=alpha), z, y, counts, w))
    assert got == pytest.approx(ref_focal(z, y, counts, w, gamma=1.5, alpha=alpha), rel=1e-9)


def test_focal_alpha_float_is_weight_of_class_one():
    z, y, counts, _ = _problem(2, seed=5)
    module = FocalLoss(alpha=0.25).build(counts)
    np.testing.assert_allclose(module.alpha.numpy(), [0.75, 0.25])
    only_ones = y == 1
    plain = FocalLoss().build(counts)
    logits, target = torch.tensor(z[only_ones]), torch.tensor(y[only_ones])
    assert float(module(logits, target)) == pytest.approx(0.25 * float(plain(logits, target)))


@pytest.mark.parametrize("n_classes", [2, 5])
def test_focal_gamma_zero_is_cross_entropy(n_classes):
    z, y, counts, w = _problem(n_classes, seed=7)
    logits, target = torch.tensor(z), torch.tensor(y)
    focal = FocalLoss(gamma=0.0).build(counts)
    expected = F.cross_entropy(logits, target)
    assert float(focal(logits, target)) == pytest.approx(float(expected), rel=1e-12)
    # gamma > 0 is strictly below CE on every row that is not certain
    assert float(FocalLoss(gamma=2.0).build(counts)(logits, target)) < float(expected)


def test_balanced_softmax_equals_logit_adjusted_tau_one():
    z, y, counts, w = _problem(4, seed=11)
    bs = float(_evaluate(BalancedSoftmaxLoss(), z, y, counts, w))
    la = float(_evaluate(LogitAdjustedLoss(tau=1.0), z, y, counts, w))
    ce = float(_evaluate(CrossEntropy(), z, y, counts, w))
    assert bs == pytest.approx(la, rel=1e-12)
    assert abs(bs - ce) > 1e-3  # the adjustment does something


@pytest.mark.parametrize("strategy", [s for s, _, _ in CASES] + [LDAMLoss(drw_start=0.0)])
def test_duplicated_row_equals_weight_two(strategy):
    z, y, counts, _ = _problem(3, n=12, seed=13)
    w = np.ones(len(y))
    w[[0, 5]] = 2.0
    weighted = float(_evaluate(strategy, z, y, counts, w))
    rows = np.r_[np.arange(len(y)), [0, 5]]
    duplicated = float(_evaluate(strategy, z[rows], y[rows], counts))
    assert weighted == pytest.approx(duplicated, rel=1e-10)


# ---------------------------------------------------------- numerical safety


ALL_STRATEGIES = [s for s, _, _ in CASES] + [
    LDAMLoss(drw_start=0.0),
    FocalLoss(gamma=0.3, alpha=[0.5, 1.0, 2.0]),
]


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("strategy", ALL_STRATEGIES, ids=repr)
def test_finite_loss_and_gradients_at_logit_magnitude_100(strategy, dtype):
    rng = np.random.default_rng(0)
    y = np.array([0, 1, 2, 0, 1, 2])
    z = np.zeros((6, 3))
    z[np.arange(6), y] = 100.0  # confidently right rows ...
    z[[3, 4, 5], (y[3:] + 1) % 3] = 200.0  # ... and confidently wrong ones
    z[[0, 1], 2] = -100.0
    logits = torch.tensor(z, dtype=dtype, requires_grad=True)
    module = strategy.build(np.array([500.0, 20.0, 3.0]))
    w = torch.tensor(rng.uniform(0.5, 2.0, size=6), dtype=dtype)
    loss = module(logits, torch.tensor(y), w)
    loss.backward()
    assert torch.isfinite(loss)
    assert torch.isfinite(logits.grad).all()
    assert logits.grad.abs().sum() > 0  # the wrong rows pull


@pytest.mark.parametrize("strategy", ALL_STRATEGIES, ids=repr)
def test_gradients_exist_and_are_finite(strategy):
    z, y, counts, w = _problem(3, seed=17)
    logits = torch.tensor(z, requires_grad=True)
    loss = strategy.build(counts)(logits, torch.tensor(y), torch.tensor(w))
    loss.backward()
    assert logits.grad is not None
    assert torch.isfinite(logits.grad).all()
    assert logits.grad.abs().max() > 1e-8


@pytest.mark.parametrize("strategy", ALL_STRATEGIES, ids=repr)
def test_zero_count_class_stays_finite(strategy):
    z, y, _, w = _problem(3, seed=19)
    y[y == 1] = 0  # class 1 absent, as its count says
    counts = np.array([100.0, 0.0, 5.0])
    logits = torch.tensor(z, requires_grad=True)
    loss = strategy.build(counts)(logits, torch.tensor(y), torch.tensor(w))
    loss.backward()
    assert torch.isfinite(loss) and torch.isfinite(logits.grad).all()


def test_zero_counts_behave_as_the_rarest_class():
    np.testing.assert_array_equal(check_class_counts([100, 0, 5]), [100.0, 5.0, 5.0])
    margins = LDAMLoss().build(np.array([100.0, 0.0, 5.0])).margins.numpy()
    assert margins[1] == margins[2] == pytest.approx(0.5)


@pytest.mark.parametrize("bad", [[], [1.0, -1.0], [0.0, 0.0], [1.0, np.nan], [[1, 2]]])
def test_bad_class_counts_raise(bad):
    with pytest.raises(ValueError, match="class_counts"):
        FocalLoss().build(np.asarray(bad, dtype=float))


@pytest.mark.parametrize(
    "strategy, match",
    [
        (FocalLoss(gamma=-1.0), "gamma"),
        (FocalLoss(alpha=1.5), "alpha"),
        (FocalLoss(alpha=0.25), "binary form"),  # 3 classes
        (FocalLoss(alpha=[1.0, 2.0]), "3 finite"),
        (FocalLoss(alpha=[1.0, -2.0, 1.0]), "non-negative"),
        (FocalLoss(alpha={0: 1.0}), r"FocalLoss\(alpha=\{0: 1.0\}\) must hold 3 finite"),
        (LDAMLoss(max_margin=0.0), "max_margin"),
        (LDAMLoss(scale=-1.0), "scale"),
        (LDAMLoss(drw_start=1.5), "drw_start"),
        (LDAMLoss(drw_beta=1.0), "drw_beta"),
        (LogitAdjustedLoss(tau=-0.1), "tau"),
        (SoftF1Loss(eps=-1.0), "eps"),
    ],
)
def test_invalid_hyper_parameters_raise(strategy, match):
    with pytest.raises(ValueError, match=match):
        strategy.build(np.array([50.0, 10.0, 2.0]))


# -------------------------------------------------------------------- LDAM


def test_ldam_margins_follow_the_quarter_power_law():
    counts = np.array([1000.0, 100.0, 10.0, 1.0])
    margins = LDAMLoss(max_margin=0.4).build(counts).margins.numpy()
    np.testing.assert_allclose(margins, ref_ldam_margins(counts, 0.4))
    np.testing.assert_allclose(margins * counts**0.25, 0.4)  # m_j * n_j^(1/4) = C
    assert margins.max() == pytest.approx(0.4) and margins.argmax() == 3


def test_ldam_drw_switches_on_at_drw_start():
    z, y, counts, w = _problem(3, seed=23)
    module = LDAMLoss(drw_start=0.7).build(counts)
    logits, target, weight = torch.tensor(z), torch.tensor(y), torch.tensor(w)
    plain = ref_ldam(z, y, counts, w)
    reweighted = ref_ldam(z, y, counts, w, drw=True)
    assert abs(plain - reweighted) > 1e-3
    for epoch in range(10):
        module.set_epoch(epoch, 10)
        expected = reweighted if epoch >= 7 else plain
        assert module.drw_active == (epoch >= 7)
        assert float(module(logits, target, weight)) == pytest.approx(expected, rel=1e-9)
    np.testing.assert_allclose(module.drw_weights.numpy(), ref_effective_weights(counts, 0.9999))
    assert module.drw_weights.sum() == pytest.approx(3.0)


def test_ldam_drw_none_never_and_zero_always():
    never = LDAMLoss(drw_start=None).build(np.array([10.0, 1.0]))
    always = LDAMLoss(drw_start=0.0).build(np.array([10.0, 1.0]))
    for epoch in (0, 50, 99):
        never.set_epoch(epoch, 100)
        always.set_epoch(epoch, 100)
        assert not never.drw_active and always.drw_active


def test_ldam_prediction_logits_are_scaled():
    module = LDAMLoss(scale=30.0).build(np.array([10.0, 1.0]))
    z = torch.tensor([[0.1, -0.2]])
    torch.testing.assert_close(module.prediction_logits(z), 30.0 * z)
    assert CrossEntropy().build(np.array([10.0, 1.0])).prediction_logits(z) is z


# ------------------------------------------------------ estimator contract


@pytest.mark.parametrize("strategy", ALL_STRATEGIES, ids=repr)
def test_strategies_clone_and_pickle(strategy):
    cloned = clone(strategy)
    assert cloned is not strategy
    assert repr(cloned.get_params()) == repr(strategy.get_params())
    restored = pickle.loads(pickle.dumps(strategy))
    assert repr(restored.get_params()) == repr(strategy.get_params())

    z, y, counts, w = _problem(3, seed=29)
    module = strategy.build(counts)
    module.set_epoch(9, 10)
    module_copy = pickle.loads(pickle.dumps(module))
    args = torch.tensor(z), torch.tensor(y), torch.tensor(w)
    assert float(module_copy(*args)) == float(module(*args))


def test_aliases_are_registered_and_exported():
    registered = available_losses()
    assert set(ALIASES) <= set(registered)
    for alias in ALIASES:
        cls = registered[alias]
        assert issubclass(cls, LossStrategy) and cls.name == alias
        assert getattr(skimbnet, cls.__name__) is cls
        assert cls.__name__ in skimbnet.__all__
        assert isinstance(cls().build(np.array([3.0, 1.0])), LossModule)


def test_docstring_examples_run():
    result = doctest.testmod(losses_module, optionflags=doctest.ELLIPSIS)
    assert result.attempted >= 6
    assert result.failed == 0


def test_unknown_alias_lists_the_valid_names():
    X, y = make_classification(n_samples=40, random_state=0)
    with pytest.raises(ValueError, match="not a known loss") as info:
        BalancedNetClassifier(loss="hinge", max_epochs=1).fit(X, y)
    for alias in ALIASES:
        assert repr(alias) in str(info.value)


# ---------------------------------------------------------- in the classifier


@pytest.fixture(scope="module")
def imbalanced_3_class():
    X, y = make_classification(
        n_samples=240,
        n_features=6,
        n_informative=4,
        n_classes=3,
        weights=[0.7, 0.2, 0.1],
        flip_y=0.0,
        random_state=0,
    )
    return X, y


@pytest.mark.parametrize("alias", ALIASES)
def test_classifier_fits_with_every_alias(alias, imbalanced_3_class):
    X, y = imbalanced_3_class
    clf = BalancedNetClassifier(
        loss=alias, hidden_layer_sizes=(16,), max_epochs=3, train_split=None, random_state=0
    ).fit(X, y)
    assert type(clf.loss_) is available_losses()[alias]
    proba = clf.predict_proba(X)
    assert proba.shape == (len(X), 3) and np.all(np.isfinite(proba))
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    assert np.isfinite(clf.history[-1, "train_loss"])


def test_grid_search_over_all_aliases(imbalanced_3_class):
    X, y = imbalanced_3_class
    search = GridSearchCV(
        BalancedNetClassifier(max_epochs=5, hidden_layer_sizes=(16,), random_state=0),
        {"loss": ALIASES},
        scoring="balanced_accuracy",
        cv=2,
    ).fit(X, y)
    assert list(search.cv_results_["param_loss"]) == ALIASES
    assert np.all(np.isfinite(search.cv_results_["mean_test_score"]))
    assert search.best_params_["loss"] in ALIASES


def test_loss_params_reach_the_strategy(imbalanced_3_class):
    X, y = imbalanced_3_class
    clf = BalancedNetClassifier(max_epochs=2, hidden_layer_sizes=(8,), random_state=0)
    clf.set_params(loss="focal", loss__gamma=0.5, loss__alpha=[1.0, 2.0, 3.0])
    assert clf.get_params()["loss__gamma"] == 0.5
    clf.fit(X, y)
    assert clf.loss_.gamma == 0.5 and clf.criterion_.gamma == 0.5
    np.testing.assert_allclose(clf.criterion_.alpha.numpy(), [1.0, 2.0, 3.0])
    fitted_copy = clone(clf).fit(X, y)
    assert fitted_copy.criterion_.gamma == 0.5


def test_loss_object_with_params_in_grid_search(imbalanced_3_class):
    X, y = imbalanced_3_class
    search = GridSearchCV(
        BalancedNetClassifier(loss=FocalLoss(), max_epochs=2, hidden_layer_sizes=(8,)),
        {"loss__gamma": [0.0, 3.0]},
        cv=2,
    ).fit(X, y)
    assert search.best_estimator_.criterion_.gamma in (0.0, 3.0)


class _EpochSpy(LossStrategy):
    # name "" keeps it out of available_losses()
    def build(self, class_counts):
        spy = _SpyModule()
        spy.counts = np.asarray(class_counts)
        return spy


class _SpyModule(LossModule):
    def __init__(self):
        super().__init__()
        self.calls = []

    def per_sample(self, logits, target):
        return F.cross_entropy(logits, target, reduction="none")

    def set_epoch(self, epoch, max_epochs):
        self.calls.append((epoch, max_epochs))


def test_classifier_reports_epochs_and_counts_to_the_loss(imbalanced_3_class):
    X, y = imbalanced_3_class
    clf = BalancedNetClassifier(
        loss=_EpochSpy(), max_epochs=4, train_split=None, hidden_layer_sizes=(8,), random_state=0
    ).fit(X, y)
    assert clf.criterion_.calls == [(0, 4), (1, 4), (2, 4), (3, 4)]
    np.testing.assert_array_equal(clf.criterion_.counts, np.bincount(y))
    assert "" not in available_losses()


def test_ldam_drw_switches_during_classifier_training(imbalanced_3_class):
    X, y = imbalanced_3_class
    clf = BalancedNetClassifier(
        loss=LDAMLoss(drw_start=0.5),
        class_weight=None,
        max_epochs=4,
        train_split=None,
        hidden_layer_sizes=(8,),
        random_state=0,
    ).fit(X, y)
    assert clf.criterion_.epoch == 3 and clf.criterion_.drw_start_epoch == 2
    assert clf.criterion_.drw_active


# ------------------------------- class_weight="effective" and post-hoc adjustment


@pytest.mark.parametrize("beta", [0.9, 0.999])
def test_effective_class_weights_follow_cui_et_al(beta, imbalanced_3_class):
    X, y = imbalanced_3_class
    clf = BalancedNetClassifier(
        class_weight="effective",
        class_weight_beta=beta,
        max_epochs=1,
        train_split=None,
        hidden_layer_sizes=(8,),
    ).fit(X, y)
    counts = np.bincount(y)
    np.testing.assert_allclose(clf.class_weight_, ref_effective_weights(counts, beta))
    assert clf.class_weight_.sum() == pytest.approx(3.0)
    assert clf.class_weight_[2] > clf.class_weight_[1] > clf.class_weight_[0]


def test_post_hoc_logit_adjustment_favours_rare_classes():
    X, y = make_classification(
        n_samples=600,
        n_features=5,
        n_informative=2,
        weights=[0.9],
        flip_y=0.0,
        class_sep=0.5,
        random_state=1,
    )
    clf = BalancedNetClassifier(
        loss="ce",
        class_weight=None,
        max_epochs=30,
        train_split=None,
        hidden_layer_sizes=(16,),
        random_state=0,
    ).fit(X, y)
    adjusted = copy.deepcopy(clf).set_params(logit_adjustment=1.0)
    log_prior = np.log(clf.class_prior_)
    # exactly: adjusted log-probabilities are log_softmax(logits - log prior)
    shifted = clf.predict_log_proba(X) - log_prior
    expected = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    np.testing.assert_allclose(adjusted.predict_log_proba(X), expected, atol=1e-8)
    assert (adjusted.predict(X) == 1).sum() > (clf.predict(X) == 1).sum()


# ------------------------------------------------- torch losses in the classifier


def test_a_torch_loss_with_its_own_weight_gets_no_class_weights_too():
    X, y = make_classification(300, 6, weights=[0.85], random_state=0)
    weighted = torch.nn.CrossEntropyLoss(weight=torch.tensor([1.0, 5.0]))
    net = tiny_net(loss=weighted).fit(X, y)
    np.testing.assert_array_equal(net.class_weight_, [1.0, 1.0])  # not corrected twice
    by_class = tiny_net(loss=torch.nn.CrossEntropyLoss, loss__weight=torch.tensor([1.0, 5.0]))
    np.testing.assert_array_equal(by_class.fit(X, y).class_weight_, [1.0, 1.0])
    unweighted = tiny_net(loss=torch.nn.CrossEntropyLoss, loss__label_smoothing=0.0).fit(X, y)
    assert unweighted.class_weight_[1] > 2  # no weight of its own: balanced weights
    plain = tiny_net(loss=torch.nn.CrossEntropyLoss()).fit(X, y)
    assert plain.class_weight_[1] > 2


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_a_torch_loss_weight_follows_the_network_dtype(dtype):
    X, y = make_classification(200, 6, weights=[0.85], random_state=0)
    other = torch.float64 if dtype == "float32" else torch.float32
    loss = torch.nn.CrossEntropyLoss(weight=torch.tensor([1.0, 3.0], dtype=other))
    net = tiny_net(loss=loss, dtype=dtype).fit(X, y)
    assert np.isfinite(net.history[-1, "train_loss"])


def test_a_summed_torch_loss_sums_weighted_rows_too():
    z = torch.randn(6, 2, dtype=torch.float64)
    y = torch.tensor([0, 1, 0, 1, 1, 0])
    w = torch.tensor([1.0, 2.0, 1.0, 0.5, 1.0, 3.0], dtype=torch.float64)
    module = TorchLoss(torch.nn.CrossEntropyLoss(reduction="sum")).build(np.array([3, 3]))
    expected = (F.cross_entropy(z, y, reduction="none") * w).sum()
    torch.testing.assert_close(module(z, y, w), expected)
    torch.testing.assert_close(module(z, y), F.cross_entropy(z, y, reduction="sum"))
    with pytest.raises(ValueError, match=r"reduction=\'none\'.*must be a\s+scalar"):
        TorchLoss(torch.nn.CrossEntropyLoss(reduction="none")).build(np.array([3, 3]))


@pytest.mark.parametrize(
    "criterion",
    [
        torch.nn.CrossEntropyLoss(weight=torch.tensor([1.0, 10.0], dtype=torch.float64)),
        torch.nn.CrossEntropyLoss(
            weight=torch.tensor([1.0, 3.0], dtype=torch.float64), label_smoothing=0.1
        ),
        torch.nn.NLLLoss(weight=torch.tensor([1.0, 4.0], dtype=torch.float64)),
        torch.nn.CrossEntropyLoss(ignore_index=1),
        torch.nn.CrossEntropyLoss(),
    ],
    ids=["weight", "weight_smoothing", "nll_weight", "ignore_index", "plain"],
)
def test_row_weights_of_one_give_the_torch_losss_own_mean(criterion):
    # torch divides a class-weighted mean by sum(weight[y]); weights of 1 must not change it
    z = torch.randn(8, 2, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
    y = torch.tensor([0, 1, 0, 0, 1, 0, 0, 1])
    module = TorchLoss(criterion).build(np.array([5, 3]))
    torch.testing.assert_close(module(z, y, torch.ones(8, dtype=torch.float64)), module(z, y))
    w = torch.rand(8, dtype=torch.float64, generator=torch.Generator().manual_seed(1))
    torch.testing.assert_close(module(z, y, 3 * w), module(z, y, w))  # only ratios matter


def test_nll_loss_gets_log_probabilities_as_in_skorch():
    # skorch's default criterion; on raw logits -mean(z_y) has no lower bound
    z = torch.randn(8, 3, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
    y = torch.tensor([0, 1, 2, 0, 1, 2, 0, 0])
    module = TorchLoss(torch.nn.NLLLoss).build(np.array([4, 2, 2]))
    torch.testing.assert_close(module(z, y), F.cross_entropy(z, y))
    X, t = make_classification(300, 6, weights=[0.85], random_state=0)
    nll = tiny_net(loss=torch.nn.NLLLoss, max_epochs=6).fit(X, t)
    ce = tiny_net(loss=torch.nn.CrossEntropyLoss, max_epochs=6).fit(X, t)
    assert min(nll.history[:, "train_loss"]) > 0
    np.testing.assert_allclose(nll.predict_proba(X), ce.predict_proba(X), atol=1e-6)


def test_a_loss_that_fails_on_the_first_batch_leaves_the_fitted_net_as_it_was():
    X, y = make_classification(200, 6, weights=[0.85], random_state=0)
    net = tiny_net().fit(X, y)
    before = net.predict_proba(X)
    net.set_params(loss=torch.nn.BCEWithLogitsLoss)
    with pytest.raises(ValueError, match=r"loss=BCEWithLogitsLoss failed on the module's output"):
        net.fit(X, y)
    np.testing.assert_array_equal(net.predict_proba(X), before)


@pytest.mark.parametrize(
    "params, error, match",
    [
        (dict(loss=FocalLoss), TypeError, r"pass an instance: loss=FocalLoss\(\)"),
        (
            dict(loss=torch.nn.CrossEntropyLoss(), loss__label_smoothing=0.1),
            ValueError,
            r"instance's arguments are its own.*loss=torch.nn.CrossEntropyLoss\) with",
        ),
    ],
    ids=["strategy_class", "instance_with_arguments"],
)
def test_loss_messages_say_what_to_pass(params, error, match):
    X, y = make_classification(100, 6, weights=[0.85], random_state=0)
    with pytest.raises(error, match=match):
        tiny_net(**params).fit(X, y)


class _FailsWhenWeighted(LossStrategy):
    """A loss whose weighted path fails (as a user's may)."""

    def build(self, class_counts):
        class Module(LossModule):
            def forward(self, logits, target, sample_weight=None):
                if sample_weight is not None:
                    raise RuntimeError("weights are not supported")
                return F.cross_entropy(logits, target)

        return Module()


def test_the_first_pass_check_runs_the_loss_with_the_training_weights():
    X, y = make_classification(200, 6, weights=[0.85], random_state=0)
    net = tiny_net().fit(X, y)
    before = net.predict_proba(X)
    net.set_params(loss=_FailsWhenWeighted(), class_weight="balanced")
    with pytest.raises(ValueError, match=r"loss=_FailsWhenWeighted\(\) failed.*not supported"):
        net.fit(X, y)
    np.testing.assert_array_equal(net.predict_proba(X), before)
