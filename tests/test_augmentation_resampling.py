"""Augmentation, resamplers and the sampler strategies through the classifier."""

import re
import warnings
from functools import partial

import numpy as np
import pytest
import torch
from imblearn.combine import SMOTEENN, SMOTETomek
from imblearn.over_sampling import SMOTE, RandomOverSampler
from imblearn.pipeline import Pipeline as ImbPipeline
from imblearn.under_sampling import RandomUnderSampler, TomekLinks
from sklearn.model_selection import GridSearchCV
from skorch.callbacks import Callback
from tiny_models import imbalanced, tiny_net

from skimbnet import EpochResampler, GaussianNoise
from skimbnet.resampling import redraw_training_split, resample_training_split
from skimbnet.sampling import ProgressiveSampler

ALIASES = ["natural", "balanced", "sqrt", "progressive", "undersample"]


# this file's data: class_sep=1.0 (make_classification's own), not the shared 1.5
_data = partial(imbalanced, class_sep=1.0)
# this file's network: the classifier's loss and learning rate, no class weights
_net = partial(tiny_net, loss="ldam", lr=1e-3, max_epochs=3, class_weight=None)


class Recorder(Callback):
    """Keeps what the classifier hands to callbacks: the data sets and batches."""

    def __init__(self):
        self.train, self.valid, self.batches = [], [], []

    @staticmethod
    def _copy(dataset):
        return tuple(None if t is None else t.clone() for t in (dataset.X, dataset.y))

    def on_epoch_begin(self, net, dataset_train=None, dataset_valid=None, **kwargs):
        # the net's own on_epoch_begin ran first: dataset_train holds this epoch's rows
        weight = dataset_train.weight
        self.train.append((*self._copy(dataset_train), None if weight is None else weight.clone()))
        self.valid.append(None if dataset_valid is None else self._copy(dataset_valid))

    def on_batch_begin(self, net, batch=None, training=None, **kwargs):
        if training:
            Xb, yb = batch
            Xb = Xb["X"] if isinstance(Xb, dict) else Xb
            self.batches.append((Xb.clone(), yb.clone()))


def _row_set(X):
    return {tuple(np.round(row, 10)) for row in np.asarray(X, dtype=np.float64)}


# ------------------------------------------------------------- augmentation


def test_gaussian_noise_perturbs_only_the_chosen_classes():
    gen = torch.Generator().manual_seed(0)
    X = torch.randn(30000, 3, generator=gen, dtype=torch.float64) * torch.tensor([1.0, 5.0, 0.0])
    X = X.double()
    y = torch.tensor([0] * 27000 + [1] * 2000 + [2] * 1000)
    noise = GaussianNoise(std=0.2).build(X, y, class_counts=[27000, 2000, 1000])
    out = noise(X, y, torch.Generator().manual_seed(1))
    assert out.shape == X.shape and out.dtype == X.dtype
    assert torch.equal(out[:27000], X[:27000])  # the largest class is untouched
    delta = (out - X)[27000:]
    assert bool((delta[:, :2] != 0).all())
    # noise std = std * the feature's std (a constant feature gets none)
    np.testing.assert_allclose(delta.std(dim=0).numpy(), [0.2, 1.0, 0.0], rtol=0.05, atol=1e-12)
    # deterministic given the generator's seed; a new seed gives new noise
    again = noise(X, y, torch.Generator().manual_seed(1))
    assert torch.equal(out, again)
    assert not torch.equal(out, noise(X, y, torch.Generator().manual_seed(2)))
    # the caller's batch is not modified in place
    assert torch.equal(X[27000:, 2], torch.zeros(3000, dtype=torch.float64))


def test_gaussian_noise_class_choices():
    X = torch.randn(100, 2)
    y = torch.tensor([0] * 50 + [1] * 30 + [2] * 20)
    counts = [50, 30, 20]
    gen = torch.Generator().manual_seed(0)
    every = GaussianNoise(classes="all").build(X, y, counts)(X, y, gen)
    assert bool((every != X).all())
    only0 = GaussianNoise(classes=[0]).build(X, y, counts)(X, y, gen)
    assert bool((only0[:50] != X[:50]).all()) and torch.equal(only0[50:], X[50:])
    # a balanced split has no minority class: nothing changes
    tie = GaussianNoise().build(X, y, [10, 10, 10])(X, y, gen)
    assert torch.equal(tie, X)
    with pytest.raises(ValueError, match=r"classes=\[5\].*indices \[5\].*from 0 to 2"):
        GaussianNoise(classes=[5]).build(X, y, counts)
    with pytest.raises(ValueError, match="classes='rare' is not supported"):
        GaussianNoise(classes="rare").build(X, y, counts)
    for bad in (-1, float("inf"), float("nan")):
        with pytest.raises(ValueError, match=rf"std={bad}\) must be a finite number >= 0"):
            GaussianNoise(std=bad).build(X, y, counts)


def test_augmentation_reaches_training_batches_never_validation():
    X, y = _data(n=300, weights=[0.8])
    recorder = Recorder()
    clf = _net(
        augment=GaussianNoise(std=0.5),
        standardize=False,
        dtype="float64",
        callbacks=[recorder],
        train_split=0.2,
        batch_size=32,
    ).fit(X, y)
    originals = _row_set(X)
    # validation data: the original rows, every epoch
    labelled = {(tuple(np.round(r, 10)), int(c)) for r, c in zip(X, y)}
    for X_v, y_v in recorder.valid:
        assert len(X_v) == 60
        assert torch.equal(X_v, recorder.valid[0][0])
        assert {(tuple(np.round(r, 10)), int(c)) for r, c in zip(X_v.numpy(), y_v)} <= labelled
    # training batches: minority rows are perturbed, majority rows are originals
    minority = int(np.argmin(np.bincount(y)))
    changed = kept = 0
    for Xb, yb in recorder.batches:
        for row, label in zip(Xb.numpy(), yb.numpy()):
            is_original = tuple(np.round(row, 10)) in originals
            if label == minority:
                changed += not is_original
                assert not is_original
            else:
                kept += is_original
                assert is_original
    assert changed > 0 and kept > 0
    assert clf.predict(X).shape == y.shape


# --------------------------------------------------------------- resampling


def test_smote_with_too_few_rows_says_which_k_neighbors_works():
    X = np.random.default_rng(0).normal(size=(64, 3))
    y = np.array([0] * 60 + [1] * 4)
    with pytest.raises(ValueError, match=r"class 'b' has only 4 rows") as info:
        resample_training_split(SMOTE(), X, y, None, 0, classes=np.array(["a", "b"]))
    assert "resampler__k_neighbors=3" in str(info.value)
    assert "k_neighbors+1 = 6" in str(info.value)
    y1 = np.array([0] * 63 + [1])
    with pytest.raises(ValueError, match="only 1 row .*RandomOverSampler"):
        resample_training_split(SMOTE(), X, y1, None, 0)


def test_smote_error_through_the_classifier():
    X, y = _data(n=200, weights=[0.96])
    assert np.bincount(y).min() < 10
    with pytest.raises(ValueError, match=r"resampler__k_neighbors=\d") as info:
        _net(resampler=SMOTE(k_neighbors=9), train_split=None).fit(X, y)
    # without a validation split there is nothing train_split=None would give back
    assert "in the training data;" in str(info.value) and "train_split" not in str(info.value)
    with pytest.raises(ValueError, match=r"or train_split=None so that validation takes no"):
        _net(resampler=SMOTE(k_neighbors=9), train_split=0.2).fit(X, y)


def test_resampled_rows_keep_their_weights():
    X = np.arange(40.0).reshape(20, 2)
    y = np.array([0] * 15 + [1] * 5)
    w = np.arange(1.0, 21.0)
    X_r, y_r, w_r = resample_training_split(RandomOverSampler(), X, y, w, 0)
    assert np.bincount(y_r).tolist() == [15, 15]
    # a repeated row carries its own weight: row i has value 2i in column 0
    np.testing.assert_array_equal(w_r, w[(X_r[:, 0] / 2).astype(int)])
    X_s, y_s, w_s = resample_training_split(SMOTE(k_neighbors=3), X, y, w, 0)
    np.testing.assert_array_equal(w_s[:20], w)
    np.testing.assert_allclose(w_s[20:], w[15:].mean())  # synthetic: the class mean


def test_epoch_resampler_redraws_reproducibly():
    X = np.random.default_rng(0).normal(size=(100, 2))
    y = np.array([0] * 80 + [1] * 20)
    plain = resample_training_split(RandomUnderSampler(), X, y, None, 5)[0]
    redraw = EpochResampler(RandomUnderSampler())
    # the first draw is what the plain resampler gives
    np.testing.assert_array_equal(resample_training_split(redraw, X, y, None, 5)[0], plain)
    np.testing.assert_array_equal(redraw.resample_epoch(X, y, None, 5, 0)[0], plain)
    epoch1 = redraw.resample_epoch(X, y, None, 5, 1)[0]
    assert len(epoch1) == 40 and not np.array_equal(epoch1, plain)
    np.testing.assert_array_equal(redraw.resample_epoch(X, y, None, 5, 1)[0], epoch1)
    # every=2: epoch 1 keeps epoch 0's draw, epoch 2 redraws
    slow = EpochResampler(RandomUnderSampler(), every=2)
    assert [slow.redraws_at(e) for e in range(5)] == [False, False, True, False, True]
    np.testing.assert_array_equal(slow.resample_epoch(X, y, None, 5, 1)[0], plain)
    # the helper the classifier's epoch loop calls
    assert redraw_training_split(RandomUnderSampler(), X, y, None, 5, 1) is None
    assert redraw_training_split(redraw, X, y, None, 5, 0) is None
    np.testing.assert_array_equal(redraw_training_split(redraw, X, y, None, 5, 1)[0], epoch1)
    # SMOTE creates new synthetic rows at every draw
    smote = EpochResampler(SMOTE())
    a = smote.resample_epoch(X, y, None, 5, 1)[0][100:]
    b = smote.resample_epoch(X, y, None, 5, 2)[0][100:]
    assert a.shape == b.shape == (60, 2) and not np.allclose(a, b)
    with pytest.raises(TypeError, match="fit_resample"):
        EpochResampler(object()).resample_epoch(X, y, None, 0, 0)


def test_smote_changes_training_split_only():
    X, y = _data(n=400, weights=[0.85])
    recorder = Recorder()
    clf = _net(
        resampler=SMOTE(),
        standardize=False,
        dtype="float64",
        callbacks=[recorder],
        train_split=0.25,
        max_epochs=2,
    ).fit(X, y)
    n_valid = 100
    X_t, y_t, _ = recorder.train[0]
    X_v, y_v = recorder.valid[0]
    assert len(X_v) == n_valid
    train_counts = np.bincount(y, minlength=2) - np.bincount(y_v.numpy(), minlength=2)
    # the training split was balanced up to its majority count ...
    expected = [train_counts.max()] * 2
    assert np.bincount(y_t.numpy()).tolist() == expected
    np.testing.assert_array_equal(clf.class_counts_, expected)
    # ... and validation holds original rows only, none of them among training originals
    originals = _row_set(X)
    valid_rows = _row_set(X_v.numpy())
    assert len(valid_rows) == n_valid and valid_rows <= originals
    train_rows = _row_set(X_t.numpy())
    assert not valid_rows & train_rows
    assert len(train_rows - originals) == expected[0] - train_counts.min()  # synthetic


# ------------------------------------------------- through the classifier


@pytest.mark.parametrize("alias", ALIASES)
def test_every_alias_fits_through_the_classifier(alias):
    X, y = _data(n=300, weights=[0.9])
    clf = _net(sampler=alias).fit(X, y)
    proba = clf.predict_proba(X)
    assert proba.shape == (300, 2) and np.allclose(proba.sum(axis=1), 1)
    assert len(clf.history) == 3
    again = _net(sampler=alias).fit(X, y).predict_proba(X)
    np.testing.assert_allclose(proba, again)  # same random_state, same draws


def test_sampler_changes_what_the_network_sees():
    X, y = _data(n=400, weights=[0.9])
    sizes = {}
    for alias in ["natural", "undersample"]:
        recorder = Recorder()
        _net(sampler=alias, callbacks=[recorder], train_split=None, batch_size=1000).fit(X, y)
        sizes[alias] = [len(yb) for _, yb in recorder.batches]
        minority = np.mean(np.concatenate([yb.numpy() for _, yb in recorder.batches]) == 1)
        if alias == "undersample":
            assert minority == 0.5
        else:
            assert minority == pytest.approx(np.mean(y == 1))
    assert sizes["natural"] == [400] * 3
    assert sizes["undersample"] == [2 * np.bincount(y).min()] * 3


def test_sampler_parameters_through_set_params():
    X, y = _data(n=200, weights=[0.8])
    clf = _net(sampler="progressive", sampler__schedule="cosine", sampler__reverse=True)
    clf.fit(X, y)
    assert clf.get_params()["sampler__schedule"] == "cosine"
    with pytest.raises(ValueError, match="schedule='nope'"):
        clf.set_params(sampler__schedule="nope").fit(X, y)
    with pytest.raises(ValueError, match="sampler='bogus' is not a known sampler"):
        _net(sampler="bogus").fit(X, y)


def test_grid_search_over_samplers_and_smote():
    X, y = _data(n=240, weights=[0.85])
    grid = GridSearchCV(
        _net(max_epochs=2),
        [{"sampler": ALIASES}, {"resampler": [SMOTE(k_neighbors=3)]}],
        cv=2,
        scoring="balanced_accuracy",
        error_score="raise",
    ).fit(X, y)
    params = grid.cv_results_["params"]
    assert [p.get("sampler") for p in params[:5]] == ALIASES
    assert isinstance(params[5]["resampler"], SMOTE)
    scores = grid.cv_results_["mean_test_score"]
    assert len(scores) == 6 and np.all(np.isfinite(scores)) and np.all(scores >= 0)
    assert grid.best_estimator_.predict(X).shape == y.shape


def test_multiclass_long_tail_with_every_remedy():
    X, y = _data(n=400, weights=[0.7, 0.2, 0.07], n_classes=4)
    counts = np.bincount(y)
    for params, expected in [
        (dict(sampler="balanced", augment=GaussianNoise()), counts),
        (dict(resampler=RandomOverSampler()), [counts.max()] * 4),
        (dict(resampler=EpochResampler(RandomUnderSampler())), [counts.min()] * 4),
    ]:
        clf = _net(train_split=None, **params).fit(X, y)
        assert clf.predict_proba(X).shape == (400, 4)
        np.testing.assert_array_equal(clf.class_counts_, expected)


def test_epoch_resampler_redraws_every_epoch_through_the_classifier():
    X, y = _data(n=400, weights=[0.9])
    recorder = Recorder()
    _net(
        resampler=EpochResampler(RandomUnderSampler()),
        callbacks=[recorder],
        max_epochs=3,
        train_split=None,
    ).fit(X, y)
    sizes = [len(X_t) for X_t, _, _ in recorder.train]
    assert sizes == [2 * np.bincount(y).min()] * 3
    assert not torch.equal(recorder.train[0][0], recorder.train[1][0])
    assert not torch.equal(recorder.train[1][0], recorder.train[2][0])


# ------------------------------------------- resamplers: labels, seeds, messages


def test_the_resampler_sees_the_users_labels():
    # a sampling_strategy dict names the user's labels: {2: 100} grows class 2 (the rare
    # one), not the class at index 2; string keys work too
    X, y = _data()
    rare = int(np.sum(y == 1))
    net = _net(resampler=RandomOverSampler(sampling_strategy={2: 100})).fit(X, y + 1)
    np.testing.assert_array_equal(net.class_counts_, [np.sum(y == 0), 100])
    assert rare < 100
    labels = np.where(y == 1, "rare", "common")
    net = _net(resampler=RandomUnderSampler(sampling_strategy={"common": 60})).fit(X, labels)
    np.testing.assert_array_equal(net.classes_, ["common", "rare"])
    np.testing.assert_array_equal(net.class_counts_, [60, rare])


def test_a_resampler_returning_an_unknown_label_is_refused():
    from imblearn import FunctionSampler

    def relabel(X, y):
        return X, np.where(y == 1, 7, y)

    X, y = _data()
    with pytest.raises(ValueError, match=r"returned label 7, which is not one of the classes"):
        _net(resampler=FunctionSampler(func=relabel, validate=False)).fit(X, y)


@pytest.mark.parametrize(
    "make",
    [
        lambda: ImbPipeline([("u", RandomUnderSampler(sampling_strategy=0.5)), ("o", SMOTE())]),
        lambda: SMOTETomek(smote=SMOTE()),
        lambda: EpochResampler(ImbPipeline([("o", SMOTE())])),
    ],
    ids=["pipeline", "smote_tomek", "epoch_pipeline"],
)
def test_nested_resampler_seeds_follow_random_state(make):
    X, y = _data()
    first, second = (_net(resampler=make()).fit(X, y).predict_proba(X) for _ in range(2))
    np.testing.assert_array_equal(first, second)
    other = _net(resampler=make(), random_state=1).fit(X, y).predict_proba(X)
    assert not np.array_equal(first, other)


@pytest.mark.parametrize(
    "resampler, fix",
    [
        (lambda: SMOTETomek(), r"resampler__smote=SMOTE\(k_neighbors=2\)"),
        (lambda: SMOTEENN(), r"resampler__smote=SMOTE\(k_neighbors=2\)"),
        (lambda: ImbPipeline([("smote", SMOTE())]), r"resampler__smote__k_neighbors=2"),
    ],
    ids=["smote_tomek", "smote_enn", "pipeline"],
)
def test_nested_smote_on_a_tiny_class_names_the_fix(resampler, fix):
    X, y = _data()
    y = y.copy()
    y[np.flatnonzero(y == 1)[3:]] = 0  # 3 rare rows
    with pytest.raises(ValueError, match=r"class 1 has only 3 rows") as info:
        _net(resampler=resampler()).fit(X, y)
    assert re.search(fix, str(info.value))


def test_a_resampler_that_removes_a_class_is_named():
    X, y = _data()
    with pytest.raises(ValueError, match=r"resampler=RandomUnderSampler.*removed every training"):
        _net(resampler=RandomUnderSampler(sampling_strategy={1: 0})).fit(X, y)


@pytest.mark.parametrize("param", ["resampler__k_neighbors", "augment__std"])
def test_strategy_parameters_without_their_strategy_are_refused(param):
    X, y = _data()
    with pytest.raises(ValueError, match=rf"{param} is set but {param.split('__')[0]}=None"):
        _net(**{param: 3}).fit(X, y)


@pytest.mark.parametrize(
    "params, match",
    [
        (dict(resampler=SMOTE), r"got the class SMOTE; pass an instance: resampler=SMOTE\(\)"),
        (dict(resampler=EpochResampler(SMOTE)), r"got the class SMOTE; pass an instance"),
        (dict(augment=GaussianNoise), r"pass an instance: augment=GaussianNoise\(\)"),
        (dict(sampler=ProgressiveSampler), r"pass an instance: sampler=ProgressiveSampler\(\)"),
    ],
    ids=["resampler", "epoch_resampler", "augment", "sampler"],
)
def test_a_class_where_an_instance_is_expected_says_so(params, match):
    X, y = _data()
    with pytest.raises(TypeError, match=match):
        _net(**params).fit(X, y)


@pytest.mark.parametrize(
    "resampler, weighted",
    [
        (None, True),
        (TomekLinks(), True),
        (RandomUnderSampler(sampling_strategy=0.5), True),
        (RandomOverSampler(), False),
    ],
    ids=["none", "tomek", "partial_under", "balancing_over"],
)
def test_auto_class_weights_follow_the_counts_the_resampler_leaves(resampler, weighted):
    X, y = _data()
    net = tiny_net(resampler=resampler, max_epochs=1).fit(X, y)
    counts = net.class_counts_
    expected = counts.sum() / (len(counts) * counts)
    np.testing.assert_allclose(net.class_weight_, expected)
    assert bool(net.class_weight_[1] > 1.2) is weighted


@pytest.mark.parametrize("loader", [{}, {"iterator_train__num_workers": 0}])
def test_augmentation_applies_on_either_iterator_path(loader):
    X, y = _data()
    X = X.astype(np.float32)
    seen = Recorder()
    _net(
        augment=GaussianNoise(std=0.5, classes="all"),
        callbacks=[seen],
        max_epochs=1,
        dtype="float32",
        **loader,
    ).fit(X, y)
    shown = torch.cat([b[0] for b in seen.batches]).double()
    # every row shown was perturbed: none is a row of the training set
    assert len(shown) == len(X)
    assert not _row_set(shown.numpy()) & _row_set(X)


@pytest.mark.parametrize("heavy", [False, True])
def test_minority_noise_follows_rows_not_sample_weights(heavy):
    # heavier weights on the rare class turn the weighted counts round (the case that
    # failed); balanced ones make them equal (a control: rounding decided it before)
    from sklearn.utils.class_weight import compute_sample_weight

    X, y = _data(n=300, weights=[0.7])
    weight = np.where(y == 1, 10.0, 1.0) if heavy else compute_sample_weight("balanced", y)
    seen = Recorder()
    _net(
        augment=GaussianNoise(std=0.5),
        callbacks=[seen],
        max_epochs=1,
        standardize=False,
        dtype="float64",
        class_weight=None,
    ).fit(X, y, sample_weight=weight)
    originals = _row_set(X)
    for Xb, yb in seen.batches:
        for row, label in zip(Xb.numpy(), yb.numpy()):
            assert (tuple(np.round(row, 10)) in originals) == bool(label == 0)  # 0: 70%


def test_minority_noise_counts_every_partial_fit_call():
    # call 2 alone has more rare rows than common ones; over both calls class 1 stays rare
    rng = np.random.default_rng(0)
    net = _net(augment=GaussianNoise(), max_epochs=1)
    net.partial_fit(rng.normal(size=(100, 4)), np.r_[np.zeros(90), np.ones(10)].astype(int))
    net.partial_fit(rng.normal(size=(40, 4)), np.r_[np.zeros(10), np.ones(30)].astype(int))
    assert net._augmenter_.class_mask.tolist() == [False, True]


@pytest.mark.parametrize(
    "params, named",
    [
        (
            dict(loss="ce", class_weight="balanced", sampler="balanced"),
            "class_weight='balanced' and sampler='balanced'",
        ),
        (
            dict(loss="logit_adjusted", logit_adjustment=1.0),
            "loss='logit_adjusted' and logit_adjustment=1.0",
        ),
        (dict(loss="ldam", sampler="undersample"), "loss='ldam' and sampler='undersample'"),
    ],
    ids=["weights_and_sampler", "loss_and_post_hoc", "loss_and_sampler"],
)
def test_two_corrections_of_the_class_mix_are_warned_of(params, named):
    X, y = _data()
    with pytest.warns(UserWarning, match=re.escape(named) + ".*correct it more than once"):
        _net(**params).fit(X, y)


@pytest.mark.parametrize(
    "params",
    [
        dict(loss="ldam"),
        dict(loss="ce", sampler="balanced"),
        dict(loss="ce", class_weight="balanced"),
    ],
    ids=["default_loss", "sampler_alone", "weights_alone"],
)
def test_one_correction_is_not_warned_of(params):
    X, y = _data()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        tiny_net(**params).fit(X, y)


def test_auto_class_weights_leave_the_correction_to_a_logit_adjustment():
    X, y = _data()
    net = tiny_net(loss="ce", logit_adjustment=1.0).fit(X, y)
    np.testing.assert_array_equal(net.class_weight_, [1.0, 1.0])


@pytest.mark.parametrize("columns", [["c"], "auto"])
def test_smotenc_columns_by_name_get_a_message_naming_positions(columns):
    from imblearn.over_sampling import SMOTENC

    X, y = _data()
    X = X.copy()
    X[:, 1] = np.round(np.abs(X[:, 1]))  # a categorical column
    with pytest.raises(ValueError, match=r"resampler__categorical_features=.*positions"):
        _net(resampler=SMOTENC(categorical_features=columns)).fit(X, y)
    _net(resampler=SMOTENC(categorical_features=[1])).fit(X, y)


def test_a_progressive_sampler_beside_early_stopping_is_warned_of():
    X, y = _data()
    with pytest.warns(UserWarning, match=r"moves its class mix over max_epochs=3.*patience=None"):
        _net(loss="ce", sampler="progressive", train_split=0.2, patience=5).fit(X, y)


def test_the_neighbour_message_names_the_over_sampler_not_a_cleaning_step():
    from imblearn.under_sampling import EditedNearestNeighbours

    X, y = _data()
    y = y.copy()
    y[np.flatnonzero(y == 1)[4:]] = 0  # 4 rare rows
    resampler = SMOTEENN(enn=EditedNearestNeighbours())
    with pytest.raises(ValueError, match=r"use resampler__smote=SMOTE\(k_neighbors=3\)"):
        _net(resampler=resampler).fit(X, y)
