"""skorch's contract: training runs through skorch's hooks and every built-in callback works."""

from functools import partial

import numpy as np
import pytest
import torch
from imblearn.over_sampling import ADASYN, SMOTE
from imblearn.under_sampling import RandomUnderSampler
from skorch.callbacks import (
    BatchScoring,
    Callback,
    Checkpoint,
    EarlyStopping,
    EpochScoring,
    Freezer,
    GradientNormClipping,
    Initializer,
    LoadInitState,
    LRScheduler,
    ParamMapper,
    PassthroughScoring,
    PrintLog,
    ProgressBar,
    TrainEndCheckpoint,
    WarmRestartLR,
)
from skorch.dataset import Dataset, ValidSplit
from skorch.helper import predefined_split
from skorch.utils import freeze_parameter
from tiny_models import Linear, fit_and_restore, tiny_net

from skimbnet import BalancedNetClassifier
from skimbnet.losses import FocalLoss, available_losses
from skimbnet.resampling import EpochResampler


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    y = (np.arange(400) % 8 == 0).astype(int)
    X = rng.normal(size=(400, 5)) + 1.5 * y[:, None]
    return X, y


def _net(**params):
    defaults = dict(hidden_layer_sizes=(16,), max_epochs=4, batch_size=64, lr=1e-2)
    defaults.update(params)
    return tiny_net(**defaults)


class LearningRates(Callback):
    """The learning rate seen at every training batch."""

    def on_train_begin(self, net, **kwargs):
        self.rates = []

    def on_batch_end(self, net, training=None, **kwargs):
        if training:
            self.rates.append(net.optimizer_.param_groups[0]["lr"])


# ------------------------------------------------------------------ scoring


@pytest.mark.parametrize("use_caching", [True, False])
def test_epoch_scoring_scores_the_validation_rows(data, use_caching):
    X, y = data
    calls = []

    def mean_proba(net, X_valid, y_valid):
        proba = net.predict_proba(X_valid)
        calls.append((len(proba), len(y_valid)))
        return float(proba[:, 1].mean())

    scoring = EpochScoring(mean_proba, name="mean_proba", use_caching=use_caching)
    net = _net(train_split=0.25, callbacks=[scoring]).fit(X, y)
    assert net.history[:, "mean_proba"] and len(net.history) == 4
    assert all(n == 100 and m == 100 for n, m in calls)  # the 25% validation rows
    # the last score is the mean probability of the validation rows under the final weights
    assert 0 < net.history[-1, "mean_proba"] < 1


def test_epoch_scoring_on_train_with_a_sklearn_scorer(data):
    X, y = data
    net = _net(callbacks=[EpochScoring("roc_auc", on_train=True, name="train_auc")]).fit(X, y)
    assert 0.5 < net.history[-1, "train_auc"] <= 1.0


def test_batch_and_passthrough_scoring(data):
    X, y = data

    def batch_rows(net, X_batch, y_batch):
        return float(len(y_batch))

    net = _net(
        train_split=0.25,
        callbacks=[
            BatchScoring(batch_rows, name="rows", on_train=True),
            PassthroughScoring(name="rows_mean", on_train=True),
        ],
    ).fit(X, y)
    # one history row per training batch: 300 rows in batches of 64
    batches = [b for b in net.history[-1, "batches"] if "train_loss" in b]
    assert [b["train_batch_size"] for b in batches] == [64, 64, 64, 64, 44]
    assert net.history[-1, "rows"] == pytest.approx(300 / 5 * 1.0, rel=0.2)
    # skorch's own PassthroughScoring of the batch losses gives train_loss
    losses = [b["train_loss"] for b in batches]
    sizes = [b["train_batch_size"] for b in batches]
    assert net.history[-1, "train_loss"] == pytest.approx(np.average(losses, weights=sizes))


def test_batch_scoring_of_weighted_rows(data):
    # balanced class weights (loss="ce") and sample weights: batches are {"X", "sample_weight"}
    X, y = data
    scoring = BatchScoring("accuracy", on_train=True, name="batch_accuracy")
    net = _net(class_weight="balanced", callbacks=[scoring])
    net.fit(X, y, sample_weight=np.where(y == 1, 2.0, 1.0))
    assert 0.0 <= net.history[-1, "batch_accuracy"] <= 1.0


def test_early_stopping_ends_training(data):
    X, y = data
    stop = EarlyStopping(monitor="train_loss", patience=1, threshold=10.0)
    net = _net(max_epochs=20, callbacks=[stop]).fit(X, y)
    assert len(net.history) == 2


# ---------------------------------------------------------- learning rates


def test_lr_scheduler_per_epoch_and_per_batch(data):
    X, y = data
    rates = LearningRates()
    step = LRScheduler(torch.optim.lr_scheduler.StepLR, step_size=1, gamma=0.5)
    _net(callbacks=[step, rates]).fit(X, y)
    per_epoch = sorted(set(rates.rates), reverse=True)
    assert per_epoch == pytest.approx([1e-2 * 0.5**e for e in range(4)])

    rates = LearningRates()
    cycle = LRScheduler(
        torch.optim.lr_scheduler.OneCycleLR, max_lr=0.1, total_steps=40, step_every="batch"
    )
    _net(callbacks=[cycle, rates]).fit(X, y)
    first_epoch = rates.rates[:7]  # 400 rows in batches of 64
    assert len(set(first_epoch)) == len(first_epoch)  # the rate changes within an epoch


def test_warm_restart_lr_moves_the_rate(data):
    X, y = data
    rates = LearningRates()
    restarts = LRScheduler(WarmRestartLR, min_lr=1e-4, max_lr=1e-2, base_period=2)
    _net(callbacks=[restarts, rates]).fit(X, y)
    assert len(set(rates.rates)) > 1


def test_gradient_norm_clipping_changes_the_weights(data):
    X, y = data
    plain = _net().fit(X, y)
    clipped = _net(callbacks=[GradientNormClipping(gradient_clip_value=1e-3)]).fit(X, y)
    w_plain = plain.module_.layers[0].weight.detach()
    w_clipped = clipped.module_.layers[0].weight.detach()
    assert not torch.allclose(w_plain, w_clipped)


# ------------------------------------------------------ checkpoints, output


def test_checkpoint_train_end_checkpoint_and_load_init_state(data, tmp_path):
    X, y = data
    checkpoint = Checkpoint(monitor="train_loss_best", dirname=str(tmp_path / "cp"))
    end = TrainEndCheckpoint(dirname=str(tmp_path / "end"))
    net = _net(callbacks=[checkpoint, end]).fit(X, y)
    assert (tmp_path / "cp" / "params.pt").exists()
    assert (tmp_path / "end" / "train_end_params.pt").exists()
    # LoadInitState restores the checkpoint before a new fit trains on
    resumed = _net(
        max_epochs=1,
        callbacks=[LoadInitState(Checkpoint(dirname=str(tmp_path / "cp")))],
    ).fit(X, y)
    assert len(resumed.history) == len(net.history) + 1


def test_progress_bar_and_print_log(data, capsys):
    X, y = data
    # PrintLog prints when verbose (skorch's rule); ProgressBar counts the epoch's 7 batches
    _net(verbose=1, callbacks=[ProgressBar(), PrintLog(keys_ignored=["dur"])]).fit(X, y)
    captured = capsys.readouterr()
    assert "train_loss" in captured.out
    assert "/7" in captured.err


@pytest.mark.parametrize(
    "params",
    [dict(batch_size="auto"), dict(batch_size="auto", sampler="undersample", train_split=0.25)],
)
def test_progress_bar_counts_the_batches_the_epoch_runs(data, params):
    # skorch's own count is len(dataset) / batch_size: it fails for "auto" and miscounts
    # a sampler that shortens the epoch
    X, y = data
    bar = ProgressBar()
    net = _net(callbacks=[bar], **params).fit(X, y)
    batches = len(net.history[-1, "batches"])
    assert bar.pbar_.total == bar.pbar_.n == batches
    assert bar.batches_per_epoch == "auto"  # the user's setting is left as it was


class _LengthlessLoader:
    """A user's iterator class that cannot say how many batches it yields."""

    def __init__(self, dataset, batch_size=32, **kwargs):
        self.loader = torch.utils.data.DataLoader(dataset, batch_size=batch_size, **kwargs)

    def __iter__(self):
        return iter(self.loader)


def test_progress_bar_without_a_batch_count_has_no_total(data):
    X, y = data
    bar = ProgressBar()
    net = _net(batch_size="auto", iterator_train=_LengthlessLoader, callbacks=[bar]).fit(X, y)
    assert bar.pbar_.total is None and bar.pbar_.n == len(net.history[-1, "batches"])


def test_per_epoch_redraws_on_skorchs_dataloader_path(data):
    # skorch builds its DataLoader once; each redraw brings new rows and a new sampler
    X, y = data
    bar = ProgressBar()
    net = _net(
        resampler=EpochResampler(RandomUnderSampler()),
        iterator_train__num_workers=0,  # any iterator_train__ setting: skorch's DataLoader
        train_split=0.25,
        callbacks=[bar],
    ).fit(X, y)
    assert bar.pbar_.total == bar.pbar_.n == len(net.history[-1, "batches"])
    assert net.predict(X).shape == y.shape


# ------------------------------------------------------ parameters


def test_freezer_initializer_and_param_mapper(data):
    X, y = data
    zero = partial(torch.nn.init.constant_, val=0.25)
    net = _net(
        callbacks=[
            Initializer("layers.0.weight", fn=zero),
            Freezer("layers.0.weight"),
        ]
    ).fit(X, y)
    assert torch.all(net.module_.layers[0].weight == 0.25)  # initialised, then frozen
    assert not torch.all(net.module_.layers[2].weight == 0.25)

    # ParamMapper freezes the first layer from the first epoch on: it keeps its initial value
    mapped = _net(
        callbacks=[
            Initializer("layers.0.weight", fn=zero),
            ParamMapper("layers.0.weight", at=1, fn=freeze_parameter),
        ]
    ).fit(X, y)
    assert torch.all(mapped.module_.layers[0].weight == 0.25)
    free = _net(callbacks=[Initializer("layers.0.weight", fn=zero)]).fit(X, y)
    assert not torch.all(free.module_.layers[0].weight == 0.25)


# ---------------------------------------------------------- subclass hooks


class DoubledLoss(BalancedNetClassifier):
    def get_loss(self, y_pred, y_true, X=None, training=False):
        self.loss_calls_ = getattr(self, "loss_calls_", 0) + 1
        return 2.0 * super().get_loss(y_pred, y_true, X=X, training=training)


def test_a_subclass_overriding_get_loss_changes_training(data):
    X, y = data
    params = dict(hidden_layer_sizes=(16,), max_epochs=3, batch_size=64, lr=1e-2, random_state=0)
    params.update(loss="ce", train_split=None, optimizer=torch.optim.SGD)
    plain = BalancedNetClassifier(**params).fit(X, y)
    doubled = DoubledLoss(**params).fit(X, y)
    assert doubled.loss_calls_ == 3 * 7
    assert not np.allclose(plain.predict_proba(X), doubled.predict_proba(X))


@pytest.mark.parametrize("hook", ["train_step_single", "infer", "get_iterator", "evaluation_step"])
def test_every_hook_is_called(data, hook):
    X, y = data
    calls = []

    def spy(self, *args, **kwargs):
        calls.append(hook)
        return getattr(BalancedNetClassifier, hook)(self, *args, **kwargs)

    subclass = type("Spy", (BalancedNetClassifier,), {hook: spy})
    net = subclass(hidden_layer_sizes=(8,), max_epochs=2, train_split=0.25, random_state=0)
    net.fit(X, y).predict(X)
    assert calls


@pytest.mark.parametrize("loss", available_losses())
def test_softmax_of_forward_is_predict_proba(data, loss):
    X, y = data
    net = _net(loss=loss, logit_adjustment=0.5 if loss == "ce" else None).fit(X, y)
    forward = torch.softmax(net.forward(X).double(), dim=1).numpy()
    np.testing.assert_allclose(forward, net.predict_proba(X), atol=1e-5)


def test_an_ensemble_module_trains_each_member_and_averages(data):
    X, y = data
    net = _net(module__n_members=4).fit(X, y)
    assert net.module_(torch.zeros(3, 5, dtype=torch.float64)).shape == (3, 4, 2)
    proba = net.predict_proba(X)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    np.testing.assert_allclose(
        torch.softmax(net.forward(X).double(), dim=1).numpy(), proba, atol=1e-6
    )


# ---------------------------------------------------------- warm starts


def test_three_plus_three_warm_epochs_equal_six(data):
    X, y = data
    # each fit averages its own last epochs' weights: 3 + 3 is not 6 with weight averaging
    six = _net(max_epochs=6, loss="ce", dropout=0.2, weight_averaging=None).fit(X, y)
    warm = _net(max_epochs=3, loss="ce", dropout=0.2, warm_start=True, weight_averaging=None)
    warm.fit(X, y).fit(X, y)
    assert len(warm.history) == 6
    assert np.array_equal(six.predict_proba(X), warm.predict_proba(X))


class StopAfter(Callback):
    def __init__(self, epochs):
        self.epochs = epochs

    def on_epoch_end(self, net, **kwargs):
        if len(net.history) == self.epochs:
            raise KeyboardInterrupt


class Schedule(Callback):
    """What the epoch-aware strategies were at each epoch."""

    def on_train_begin(self, net, **kwargs):
        self.seen = getattr(self, "seen", [])

    def on_epoch_end(self, net, dataset_train=None, **kwargs):
        loss = net.criterion_
        drw = getattr(loss, "drw_active", None)
        mix = dataset_train.sampler.class_probabilities(dataset_train.epoch)
        self.seen.append((len(net.history), drw, tuple(np.round(mix, 6))))


@pytest.mark.parametrize("params", [dict(loss="ldam"), dict(sampler="progressive")])
def test_an_interrupted_fit_resumes_its_schedules(data, params):
    X, y = data
    full = Schedule()
    _net(max_epochs=6, callbacks=[full], **params).fit(X, y)
    resumed = Schedule()
    net = _net(max_epochs=6, callbacks=[resumed, StopAfter(3)], **params).fit(X, y)
    assert len(net.history) == 3
    net.set_params(callbacks__StopAfter__epochs=99)
    net.partial_fit(X, y)
    # epochs 1-6 of the resumed run follow the uninterrupted schedule; then its end holds
    assert resumed.seen[:6] == full.seen
    assert resumed.seen[6:] == [(e, *full.seen[-1][1:]) for e in range(7, 10)]


# ---------------------------------------------------------- skorch's parameters


def test_torch_loss_modules_are_losses(data):
    X, y = data
    by_class = _net(loss=torch.nn.CrossEntropyLoss).fit(X, y)
    by_alias = _net(loss="ce").fit(X, y)
    np.testing.assert_allclose(by_class.predict_proba(X), by_alias.predict_proba(X), atol=1e-6)
    smoothed = _net(loss=torch.nn.CrossEntropyLoss(label_smoothing=0.2)).fit(X, y)
    assert type(smoothed.loss_).__name__ == "TorchLoss"
    assert smoothed.class_weight_[1] > smoothed.class_weight_[0]  # auto: balanced


def test_a_torch_loss_class_takes_loss_params(data):
    from sklearn.base import clone

    X, y = data
    net = _net(loss=torch.nn.CrossEntropyLoss, loss__label_smoothing=0.2).fit(X, y)
    assert net.criterion_.criterion.label_smoothing == 0.2
    by_instance = _net(loss=torch.nn.CrossEntropyLoss(label_smoothing=0.2)).fit(X, y)
    np.testing.assert_allclose(net.predict_proba(X), by_instance.predict_proba(X), atol=1e-6)
    assert clone(net).get_params()["loss__label_smoothing"] == 0.2
    with pytest.raises(ValueError, match="loss__smoothing is not a parameter of TorchLoss"):
        _net(loss=torch.nn.CrossEntropyLoss, loss__smoothing=0.2).fit(X, y)
    with pytest.raises(ValueError, match="loss__label_smoothing is not a parameter of TorchLoss"):
        _net(loss=torch.nn.CrossEntropyLoss(), loss__label_smoothing=0.2).fit(X, y)


def test_a_torch_loss_strategy_clones_and_switches_its_criterion():
    from sklearn.base import clone

    from skimbnet.losses import TorchLoss

    class Scaled(torch.nn.Module):
        def __init__(self, scale, reduction="mean"):  # an argument without a default
            super().__init__()
            self.scale, self.reduction = scale, reduction

        def forward(self, logits, y):
            loss = torch.nn.functional.cross_entropy(logits, y, reduction=self.reduction)
            return self.scale * loss

    counts = np.array([90, 10])
    # a grid search over loss__criterion: a clone carries only the arguments set
    switched = clone(TorchLoss(torch.nn.CrossEntropyLoss)).set_params(
        criterion=torch.nn.MultiMarginLoss
    )
    assert isinstance(switched.build(counts).criterion, torch.nn.MultiMarginLoss)
    scaled = TorchLoss(Scaled, scale=2.0)
    assert clone(scaled).set_params(**scaled.get_params()).build(counts).criterion.scale == 2.0


def test_criterion_is_rejected_with_the_name_of_loss(data):
    X, y = data
    with pytest.raises(ValueError, match="loss="):
        _net(criterion=torch.nn.NLLLoss).fit(X, y)


def test_valid_split_and_predefined_split(data):
    X, y = data
    net = _net(train_split=ValidSplit(4, stratified=True)).fit(X, y)
    assert "valid_loss" in net.history[-1] and "valid_balanced_accuracy" in net.history[-1]
    assert net.history[-1, "batches", -1]["valid_batch_size"] == 100
    held_out = Dataset(X[:50], y[:50])
    net = _net(train_split=predefined_split(held_out)).fit(X, y)
    assert net.history[-1, "batches", -1]["valid_batch_size"] == 50


def test_copied_parameters_do_not_freeze_the_callbacks_they_build(data):
    # patience, weight_averaging and scoring build default callbacks; a deep copy of
    # the parameters (both ways skorch users make one) must leave them in charge
    X, y = data
    source = _net(train_split=0.3, patience=30, max_epochs=12, lr=1e-5)
    params = source.get_params()
    assert not any(k.startswith("callbacks__early_stopping") for k in params)
    by_set = _net().set_params(**params).set_params(patience=1, weight_averaging=0.5)
    by_init = type(source)(**params).set_params(patience=1, weight_averaging=0.5)
    for net in (by_set, by_init):
        net.fit(X, y)
        callbacks = dict(net.callbacks_)
        assert callbacks["early_stopping"].patience == 1
        assert callbacks["weight_averaging"].start == 0.5
        assert len(net.history) < 12  # stopped early: patience 1 on a rate of 1e-5
    assert "callbacks__epoch_timer" in params  # the others' parameters stay listed


def test_set_params_of_get_params_leaves_no_strategy_extras(data):
    X, y = data
    net = _net(resampler=SMOTE(), loss=FocalLoss(gamma=1.0))
    before = net.get_params(deep=False)
    net.set_params(**net.get_params())
    added = set(net.get_params(deep=False)) - set(before)
    assert not [k for k in added if k.split("__")[0] in ("resampler", "loss")]
    net.set_params(resampler=ADASYN(), loss=FocalLoss(gamma=3.0)).fit(X, y)
    assert net.criterion_.gamma == 3.0
    changed = _net(resampler=SMOTE(), resampler__k_neighbors=3).set_params(resampler__k_neighbors=5)
    assert "resampler__k_neighbors" not in vars(changed)  # back to the object's own 5
    assert _net(resampler=SMOTE()).set_params(resampler__k_neighbors=2).resampler__k_neighbors == 2


class _Rows(torch.utils.data.Dataset):
    """A map-style torch Dataset of (x, y) items, with no arrays for skorch to index."""

    def __init__(self, X, y, pairs=True):
        self.items, self.pairs = list(zip(X, y)), pairs

    def __len__(self):
        return len(self.items)

    def __getitem__(self, i):
        x, label = self.items[i]
        return (torch.as_tensor(x), label) if self.pairs else torch.as_tensor(x)


def test_predefined_split_takes_any_torch_dataset_of_pairs(data):
    X, y = data
    reference = _net(train_split=predefined_split(Dataset(X[:50], y[:50]))).fit(X, y)
    for held_out in (_Rows(X[:50], y[:50]), torch.utils.data.Subset(_Rows(X, y), list(range(50)))):
        net = _net(train_split=predefined_split(held_out)).fit(X, y)
        assert net.history[-1, "batches", -1]["valid_batch_size"] == 50
        assert net.history[:, "valid_loss"] == pytest.approx(reference.history[:, "valid_loss"])
    labels = np.where(y == 1, "rare", "common")  # string labels stay labels
    named = _net(train_split=predefined_split(_Rows(X[:50], labels[:50]))).fit(X, labels)
    assert named.history[:, "valid_loss"] == pytest.approx(reference.history[:, "valid_loss"])
    with pytest.raises(ValueError, match=r"items are \(x, y\) pairs.*an item is a Tensor"):
        _net(train_split=predefined_split(_Rows(X[:50], y[:50], pairs=False))).fit(X, y)


def test_iterator_train_parameters_take_skorchs_dataloader_path(data):
    X, y = data
    net = _net(iterator_train__drop_last=True).fit(X, y)
    sizes = [b["train_batch_size"] for b in net.history[-1, "batches"] if "train_loss" in b]
    assert sizes == [64] * 6  # the last 16 rows dropped, as torch's DataLoader does


def test_iterator_valid_parameters_take_skorchs_dataloader_path_for_prediction(data):
    """Prediction rows carry no labels: skorch's DataLoader path collates its placeholder."""
    X, y = data
    net = _net(iterator_valid__batch_size=64).fit(X, y)
    np.testing.assert_allclose(net.predict_proba(X), _net().fit(X, y).predict_proba(X))


def test_a_module_ending_in_softmax_gets_a_warning(data):
    X, y = data

    class Probabilities(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.linear = torch.nn.Linear(5, 2)

        def forward(self, X):
            return torch.softmax(self.linear(X), dim=1)

    with pytest.warns(UserWarning, match="probabilities"):
        _net(module=Probabilities).fit(X, y)


# ---------------------------------------------------------- restoring


def test_initialize_then_load_params_restores_a_sized_module(data, tmp_path):
    X, y = data
    params = dict(module=Linear, module__n_features=5, classes=[0, 1], max_epochs=3)
    fitted, restored = fit_and_restore(_net, params, X, y, tmp_path)
    np.testing.assert_allclose(restored.predict_proba(X), fitted.predict_proba(X), atol=1e-6)


def test_initialize_the_default_mlp_before_fit_says_what_to_do():
    with pytest.raises(ValueError, match="pickle"):
        BalancedNetClassifier().initialize()
    with pytest.raises(ValueError, match="classes="):
        BalancedNetClassifier(module=Linear).initialize()


def test_initialize_then_partial_fit_keeps_the_loaded_weights(data, tmp_path):
    X, y = data
    params = dict(module=Linear, classes=[0, 1], max_epochs=2, loss="ce")
    _, restored = fit_and_restore(_net, params, X, y, tmp_path)
    before = restored.module_.linear.weight.detach().clone()
    restored.set_params(max_epochs=1).partial_fit(X, y)
    after = restored.module_.linear.weight.detach()
    # training went on from the loaded weights: a small step away, not a fresh start
    assert 0 < float((after - before).abs().max()) < 0.5
    assert len(restored.history) == 1


def test_input_shape_setter_sizes_the_module_before_the_output_check(data):
    from skorch.callbacks import InputShapeSetter

    X, y = data
    setter = InputShapeSetter(param_name="n_features")
    net = _net(module=Linear, module__n_features=3, callbacks=[setter]).fit(X, y)
    assert net.module_.linear.in_features == 5


@pytest.mark.parametrize("n_members", [1, 4])
@pytest.mark.parametrize("on_train", [False, True])
def test_cached_epoch_scoring_reads_the_logits_as_prediction_does(data, n_members, on_train):
    # EpochScoring's cache replaces forward_iter with the y_pred of the batches; the
    # score must still see the decision logits (LDAM's scale, the members' mean)
    X, y = data
    seen = []

    def proba_sum(net, X_scored, y_scored):
        proba = net.predict_proba(X_scored)
        seen.append(proba)
        return float(proba.sum())

    scoring = EpochScoring(proba_sum, name="proba_sum", on_train=on_train, use_caching=True)
    net = _net(
        loss="ldam", n_members=n_members, logit_adjustment=1.0, train_split=0.25,
        max_epochs=2, callbacks=[scoring],
    ).fit(X, y)
    assert seen[-1].ndim == 2 and np.allclose(seen[-1].sum(axis=1), 1.0)
    if not on_train:
        valid = net.history[-1, "batches", -1]["valid_batch_size"]
        assert net.history[-1, "proba_sum"] == pytest.approx(valid)


def test_the_default_with_an_early_stopping_split_trains(data):
    X, y = data
    net = BalancedNetClassifier(train_split="auto", max_epochs=3, random_state=0).fit(X, y)
    assert "valid_balanced_accuracy" in net.history[-1]


class EpochWeights(Callback):
    """The module's parameters at the end of every epoch."""

    def on_train_begin(self, net, **kwargs):
        self.seen = []

    def on_epoch_end(self, net, **kwargs):
        self.seen.append([p.detach().clone() for p in net.module_.parameters()])


@pytest.mark.parametrize("start, averaged", [(0.5, [5, 6, 7, 8, 9]), (0.0, list(range(10)))])
def test_weight_averaging_predicts_with_the_mean_of_the_last_epochs_weights(
    data, start, averaged
):
    X, y = data
    spy = EpochWeights()
    net = _net(max_epochs=10, weight_averaging=start, callbacks=[spy]).fit(X, y)
    assert dict(net.callbacks_)["weight_averaging"].n_averaged_ == len(averaged)
    for i, p in enumerate(net.module_.parameters()):
        expected = torch.stack([spy.seen[e][i] for e in averaged]).mean(0)
        torch.testing.assert_close(p.detach(), expected)


def test_without_weight_averaging_the_last_epochs_weights_predict(data):
    X, y = data
    spy = EpochWeights()
    net = _net(max_epochs=5, weight_averaging=None, callbacks=[spy]).fit(X, y)
    assert "weight_averaging" not in dict(net.callbacks_)
    for p, last in zip(net.module_.parameters(), spy.seen[-1]):
        assert torch.equal(p.detach(), last)


def test_early_stopping_keeps_its_weights_in_a_validated_fit(data):
    X, y = data
    net = _net(max_epochs=6, train_split=0.25, patience=2, weight_averaging=0.0).fit(X, y)
    assert dict(net.callbacks_)["weight_averaging"].n_averaged_ == 0
    no_validation = _net(max_epochs=6, train_split=0.25, patience=None, weight_averaging=0.0)
    assert dict(no_validation.fit(X, y).callbacks_)["weight_averaging"].n_averaged_ == 6


def test_predict_on_a_float32_dataset_with_a_float64_network(data):
    X, y = data
    net = _net(module=Linear, module__n_features=5, classes=[0, 1], dtype="float64").fit(X, y)
    rows = Dataset(X.astype(np.float32), None)
    np.testing.assert_allclose(net.predict_proba(rows), net.predict_proba(X), atol=1e-6)


def test_fit_after_trim_for_prediction_is_skorch_s_error(data):
    from skorch.exceptions import SkorchTrainingImpossibleError

    X, y = data
    net = _net().fit(X, y)
    net.trim_for_prediction()
    with pytest.raises(SkorchTrainingImpossibleError):
        net.fit(X, y)


def test_iterator_train_shuffle(data):
    X, y = data
    # the sampler strategy shuffles already: True is what happens anyway
    net = _net(iterator_train__shuffle=True, max_epochs=2).fit(X, y)
    assert len(net.history) == 2
    with pytest.warns(UserWarning, match="iterator_train__shuffle=False is ignored"):
        _net(iterator_train__shuffle=False, max_epochs=2).fit(X, y)


def test_a_get_dataset_override_is_named_at_fit(data):
    class Custom(BalancedNetClassifier):
        def get_dataset(self, X, y=None):
            return super().get_dataset(X, y)

    X, y = data
    with pytest.warns(UserWarning, match="overrides get_dataset, which fit does not use"):
        Custom(hidden_layer_sizes=(8,), max_epochs=1, n_bins=None).fit(X, y)
