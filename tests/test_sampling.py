"""Sampler strategies: drawn class shares, curricula, under-sampling, determinism."""

import pickle

import numpy as np
import pytest
import torch
from sklearn.base import clone
from torch.utils.data import DataLoader, TensorDataset

from skimbnet import (
    ClassBalancedSampler,
    NaturalSampler,
    ProgressiveSampler,
    SquareRootSampler,
    UnderSampler,
)
from skimbnet.sampling import available_samplers, class_shares, resolve_sampler

ALIASES = ["natural", "balanced", "sqrt", "progressive", "undersample"]

# 20k rows, a long tail: 80% / 15% / 4% / 1%
COUNTS = np.array([16000, 3000, 800, 200])
Y = np.repeat(np.arange(4), COUNTS)
NATURAL = COUNTS / COUNTS.sum()
BALANCED = np.full(4, 0.25)
SQRT = np.sqrt(COUNTS) / np.sqrt(COUNTS).sum()


def drawn_shares(sampler, epoch):
    sampler.set_epoch(epoch)
    idx = sampler.indices()
    return np.bincount(Y[idx], minlength=4) / len(idx)


def test_aliases_are_registered():
    assert sorted(available_samplers()) == sorted(ALIASES)
    assert isinstance(resolve_sampler("balanced"), ClassBalancedSampler)
    assert isinstance(resolve_sampler("sqrt"), SquareRootSampler)
    assert isinstance(resolve_sampler("progressive"), ProgressiveSampler)
    assert isinstance(resolve_sampler("undersample"), UnderSampler)
    assert isinstance(resolve_sampler("natural"), NaturalSampler)


def test_unknown_alias_lists_valid_names():
    with pytest.raises(ValueError, match="sampler='balance' is not a known sampler") as info:
        resolve_sampler("balance")
    for alias in ALIASES:
        assert repr(alias) in str(info.value)
    with pytest.raises(TypeError, match="SamplerStrategy instance, got int"):
        resolve_sampler(3)


@pytest.mark.parametrize(
    "strategy, expected",
    [
        (NaturalSampler(), NATURAL),
        (ClassBalancedSampler(), BALANCED),
        (SquareRootSampler(), SQRT),
        (UnderSampler(), BALANCED),
    ],
    ids=["natural", "balanced", "sqrt", "undersample"],
)
def test_drawn_class_shares_match_definition(strategy, expected):
    sampler = strategy.build(Y, max_epochs=5, random_state=0)
    for epoch in range(5):
        shares = drawn_shares(sampler, epoch)
        np.testing.assert_allclose(shares, expected, atol=0.02)
    np.testing.assert_allclose(sampler.class_probabilities(), expected, atol=1e-12)


@pytest.mark.parametrize("alias", ["balanced", "sqrt", "progressive"])
def test_epoch_has_n_rows_and_repeats_only_as_needed(alias):
    sampler = resolve_sampler(alias).build(Y, max_epochs=3, random_state=1)
    idx = sampler.indices()
    assert len(sampler) == len(idx) == len(Y)
    assert idx.dtype.kind == "i" and idx.min() >= 0 and idx.max() < len(Y)
    drawn = np.bincount(Y[idx], minlength=4)
    for j in range(4):
        times = np.bincount(idx[Y[idx] == j], minlength=len(Y))[Y == j]
        if drawn[j] <= COUNTS[j]:
            # drawn less often than it has rows: no row repeats
            assert times.max() <= 1
        else:
            # drawn more often: every row shows floor or ceil of drawn/rows times
            assert times.min() == drawn[j] // COUNTS[j]
            assert times.max() - times.min() <= 1


def test_curriculum_first_middle_last_epoch():
    sampler = ProgressiveSampler().build(Y, max_epochs=11, random_state=0)
    middle = 0.5 * BALANCED + 0.5 * NATURAL
    for epoch, expected in [(0, NATURAL), (5, middle), (10, BALANCED)]:
        np.testing.assert_allclose(sampler.class_probabilities(epoch), expected, atol=1e-12)
        np.testing.assert_allclose(drawn_shares(sampler, epoch), expected, atol=0.02)
    # Kang et al.'s p_j(t) = (1 - t) * n_j / n + t / K at every epoch
    for epoch in range(11):
        t = epoch / 10
        np.testing.assert_allclose(
            sampler.class_probabilities(epoch), (1 - t) * NATURAL + t / 4, atol=1e-12
        )
    # past the end the last mix stays
    np.testing.assert_allclose(sampler.class_probabilities(20), BALANCED, atol=1e-12)


def test_curriculum_reverse_and_schedules():
    reverse = ProgressiveSampler(reverse=True).build(Y, max_epochs=11, random_state=0)
    np.testing.assert_allclose(drawn_shares(reverse, 0), BALANCED, atol=0.02)
    np.testing.assert_allclose(drawn_shares(reverse, 10), NATURAL, atol=0.02)
    assert ProgressiveSampler().corrects_class_mix
    assert not ProgressiveSampler(reverse=True).corrects_class_mix

    cosine = ProgressiveSampler(schedule="cosine").build(Y, max_epochs=5, random_state=0)
    a = (1 - np.cos(np.pi * 0.25)) / 2  # t = 1/4
    np.testing.assert_allclose(
        cosine.class_probabilities(1), (1 - a) * NATURAL + a * BALANCED, atol=1e-12
    )
    np.testing.assert_allclose(drawn_shares(cosine, 1), (1 - a) * NATURAL + a * BALANCED, atol=0.02)
    np.testing.assert_allclose(cosine.class_probabilities(0), NATURAL, atol=1e-12)
    np.testing.assert_allclose(cosine.class_probabilities(4), BALANCED, atol=1e-12)

    # deferred re-sampling (Cao et al. 2019): natural, then balanced
    step = ProgressiveSampler(schedule="step", step_at=0.5).build(Y, max_epochs=11)
    for epoch in range(5):
        np.testing.assert_allclose(step.class_probabilities(epoch), NATURAL, atol=1e-12)
    for epoch in range(5, 11):
        np.testing.assert_allclose(step.class_probabilities(epoch), BALANCED, atol=1e-12)


def test_progressive_rejects_unknown_schedule():
    with pytest.raises(ValueError, match=r"schedule='exp'.*'linear', 'cosine', 'step'"):
        ProgressiveSampler(schedule="exp").build(Y, max_epochs=3)
    with pytest.raises(ValueError, match="step_at=0"):
        ProgressiveSampler(schedule="step", step_at=0).build(Y, max_epochs=3)


def test_undersampling_exact_counts_no_repeats_and_fresh_draws():
    sampler = UnderSampler().build(Y, max_epochs=1, random_state=0)
    assert len(sampler) == 4 * 200
    seen = np.zeros(len(Y), dtype=bool)
    previous = None
    for epoch in range(40):
        sampler.set_epoch(epoch)
        idx = sampler.indices()
        assert len(idx) == len(sampler)
        assert np.bincount(Y[idx], minlength=4).tolist() == [200, 200, 200, 200]
        assert len(np.unique(idx)) == len(idx)
        if previous is not None:
            assert not np.array_equal(np.sort(idx), np.sort(previous))
        previous = idx
        seen[idx] = True
    # the rarest class is shown whole every epoch ...
    assert seen[Y == 3].all()
    # ... and fresh draws reach (nearly) every row of the larger classes over the epochs
    assert seen[Y == 2].mean() > 0.99
    assert seen[Y == 1].mean() > 0.9


@pytest.mark.parametrize("alias", ALIASES)
def test_different_draw_each_epoch_and_same_draw_for_same_seed(alias):
    first = resolve_sampler(alias).build(Y, max_epochs=4, random_state=7)
    again = resolve_sampler(alias).build(Y, max_epochs=4, random_state=7)
    other = resolve_sampler(alias).build(Y, max_epochs=4, random_state=8)
    draws = []
    for epoch in range(3):
        for s in (first, again, other):
            s.set_epoch(epoch)
        idx = first.indices()
        np.testing.assert_array_equal(idx, again.indices())
        assert not np.array_equal(idx, other.indices())
        draws.append(idx)
    assert not np.array_equal(draws[0], draws[1])
    assert not np.array_equal(draws[1], draws[2])


@pytest.mark.parametrize("alias", ALIASES)
def test_strategy_and_built_sampler_clone_and_pickle(alias):
    strategy = resolve_sampler(alias)
    assert clone(strategy).get_params() == strategy.get_params()
    restored = pickle.loads(pickle.dumps(strategy))
    assert type(restored) is type(strategy)
    sampler = strategy.build(Y, max_epochs=3, random_state=3)
    sampler.set_epoch(2)
    copy = pickle.loads(pickle.dumps(sampler))
    np.testing.assert_array_equal(copy.indices(), sampler.indices())


def test_works_in_a_plain_dataloader():
    X = torch.arange(len(Y), dtype=torch.float32).unsqueeze(1)
    dataset = TensorDataset(X, torch.as_tensor(Y))
    sampler = ClassBalancedSampler().build(Y, random_state=0)
    loader = DataLoader(dataset, batch_size=500, sampler=sampler)

    def one_pass():
        rows, labels = [], []
        for xb, yb in loader:
            rows.append(xb[:, 0].long())
            labels.append(yb)
        return torch.cat(rows).numpy(), torch.cat(labels).numpy()

    rows, labels = one_pass()
    assert len(rows) == len(Y)
    np.testing.assert_array_equal(Y[rows], labels)
    np.testing.assert_allclose(np.bincount(labels) / len(labels), BALANCED, atol=0.02)
    # each pass is a new epoch, as with RandomSampler; set_epoch replays one
    rows_again, _ = one_pass()
    assert not np.array_equal(rows, rows_again)
    sampler.set_epoch(0)
    replay, _ = one_pass()
    np.testing.assert_array_equal(rows, replay)


def test_dataloader_follows_the_curriculum_over_passes():
    dataset = TensorDataset(torch.as_tensor(Y))
    sampler = ProgressiveSampler().build(Y, max_epochs=3, random_state=0)
    loader = DataLoader(dataset, batch_size=4096, sampler=sampler)
    minority = []
    for _ in range(3):
        labels = torch.cat([b[0] for b in loader]).numpy()
        minority.append(np.mean(labels == 3))
    np.testing.assert_allclose(minority, [0.01, (0.25 + 0.01) / 2, 0.25], atol=0.02)


def test_string_labels_and_tensors_are_accepted():
    labels = np.array(["cat"] * 90 + ["dog"] * 10)
    sampler = ClassBalancedSampler().build(labels, random_state=0)
    assert sampler.classes.tolist() == ["cat", "dog"]
    assert 0.4 < np.mean(labels[sampler.indices()] == "dog") < 0.6
    from_tensor = ClassBalancedSampler().build(torch.as_tensor(Y), random_state=0)
    np.testing.assert_array_equal(
        from_tensor.indices(), ClassBalancedSampler().build(Y, random_state=0).indices()
    )


@pytest.mark.parametrize("alias", ["balanced", "natural", "sqrt", "undersample"])
def test_object_labels_are_watched_by_value(alias):
    # pandas' .to_numpy() of a string column: references, whose bytes say nothing
    labels = np.array(["cat"] * 90 + ["dog"] * 10, dtype=object)
    sampler = resolve_sampler(alias).build(labels, max_epochs=2, random_state=0)
    assert set(labels[sampler.indices()].tolist()) == {"cat", "dog"}
    labels[:] = "dog"  # changed in place: the sampler follows (see EpochSampler's Notes)
    assert set(labels[sampler.indices()].tolist()) == {"dog"}


def test_classes_without_rows_are_ignored():
    # encoded labels where class 1 has no row (e.g. a fold lacks it)
    y = np.array([0] * 80 + [2] * 20)
    for alias in ["balanced", "progressive", "sqrt", "undersample"]:
        sampler = resolve_sampler(alias).build(y, max_epochs=2, random_state=0)
        idx = sampler.indices()
        assert set(np.unique(y[idx]).tolist()) == {0, 2}
    balanced = ClassBalancedSampler().build(y, random_state=0)
    np.testing.assert_allclose(balanced.class_probabilities(), [0.5, 0.5])


def test_class_shares_helper():
    sampler = ProgressiveSampler().build(Y, max_epochs=4, random_state=0)
    sampler.set_epoch(2)
    shares = class_shares(sampler)
    assert shares.shape == (4, 4)
    np.testing.assert_allclose(shares.sum(axis=1), 1.0)
    np.testing.assert_allclose(shares[0], NATURAL, atol=0.02)
    np.testing.assert_allclose(shares[-1], BALANCED, atol=0.02)
    assert sampler.epoch == 2  # left as it was
    assert class_shares(sampler, epochs=[1, 3]).shape == (2, 4)


def test_bad_inputs_are_reported():
    with pytest.raises(ValueError, match="1-dimensional"):
        ClassBalancedSampler().build(np.zeros((3, 2)))
    with pytest.raises(ValueError, match="max_epochs must be an integer >= 1, got 0"):
        ClassBalancedSampler().build(Y, max_epochs=0)
    with pytest.raises(ValueError, match="random_state must be a non-negative integer"):
        ClassBalancedSampler().build(Y, random_state=-1)


# ------------------------------------------------ sharding across processes


@pytest.mark.parametrize("alias", ALIASES)
@pytest.mark.parametrize("num_replicas", [2, 3])
def test_shards_are_disjoint_equal_and_together_the_epoch(alias, num_replicas):
    y = Y[:-1]  # 19,999 rows: no epoch length divides evenly by 2 or 3 here
    whole = resolve_sampler(alias).build(y, max_epochs=3, random_state=4)
    shards = [
        resolve_sampler(alias).build(
            y, max_epochs=3, random_state=4, num_replicas=num_replicas, rank=rank
        )
        for rank in range(num_replicas)
    ]
    for epoch in (0, 2):
        whole.set_epoch(epoch)
        for s in shards:
            s.set_epoch(epoch)
        epoch_rows = whole.indices()
        parts = [s.indices() for s in shards]
        size = -(-len(epoch_rows) // num_replicas)
        assert [len(p) for p in parts] == [len(s) for s in shards] == [size] * num_replicas
        assert whole.epoch_size == shards[0].epoch_size == len(epoch_rows)
        # together (so disjoint, the sizes adding up), the shards are the epoch plus
        # the padding: the stream's first rows
        pad = size * num_replicas - len(epoch_rows)
        assert pad < num_replicas
        union = np.sort(np.concatenate(parts))
        np.testing.assert_array_equal(
            union, np.sort(np.concatenate([epoch_rows, epoch_rows[:pad]]))
        )
        # each rank's class mix is the epoch's, up to one row per class (plus padding)
        epoch_counts = np.bincount(y[epoch_rows], minlength=4)
        for part in parts:
            counts = np.bincount(y[part], minlength=4)
            assert np.all(np.abs(counts - epoch_counts / num_replicas) <= 1 + (pad > 0))
        # each rank shows its rows in the stream's order (rank 0 is never padded)
        if alias in ("natural", "undersample"):  # rows unique within an epoch
            where = np.empty(len(y), dtype=int)
            where[epoch_rows] = np.arange(len(epoch_rows))
            assert np.all(np.diff(where[parts[0]]) > 0)


def test_sharded_sampler_in_dataloaders_and_iteration_moves_the_epoch():
    shards = [
        ClassBalancedSampler().build(Y, random_state=0, num_replicas=2, rank=r) for r in (0, 1)
    ]
    first = [list(s) for s in shards]
    assert [s.epoch for s in shards] == [1, 1]
    assert sorted(first[0] + first[1]) == sorted(
        ClassBalancedSampler().build(Y, random_state=0).indices().tolist()
    )
    assert "num_replicas=2, rank=1" in repr(shards[1])


def test_bad_num_replicas_and_rank_are_reported():
    with pytest.raises(ValueError, match="num_replicas must be an integer >= 1"):
        NaturalSampler().build(Y, num_replicas=0, rank=0)
    with pytest.raises(ValueError, match=r"rank must be an integer in \[0, num_replicas=2\)"):
        NaturalSampler().build(Y, random_state=0, num_replicas=2, rank=2)
    with pytest.raises(ValueError, match="rank=None with num_replicas=2"):
        NaturalSampler().build(Y, random_state=0, num_replicas=2)
    # without a fixed seed the ranks would draw different epochs
    with pytest.raises(ValueError, match="random_state=None with num_replicas=2"):
        NaturalSampler().build(Y, num_replicas=2, rank=0)
    # a single process: num_replicas=1 with any rank None is fine
    assert len(NaturalSampler().build(Y, num_replicas=1)) == len(Y)


# ------------------------------------------------------------ default seed


@pytest.mark.parametrize("alias", ALIASES)
def test_default_seed_is_fresh_for_every_build(alias):
    draws = [resolve_sampler(alias).build(Y).indices() for _ in range(3)]
    assert not np.array_equal(draws[0], draws[1])
    assert not np.array_equal(draws[1], draws[2])
    seeds = {resolve_sampler(alias).build(Y).random_state for _ in range(5)}
    assert len(seeds) == 5


def test_classifier_passes_its_own_seed_to_the_sampler(monkeypatch):
    from skimbnet import BalancedNetClassifier

    seen = []
    build = ClassBalancedSampler.build

    def spy(self, y, max_epochs=1, random_state=None, **kwargs):
        seen.append(random_state)
        return build(self, y, max_epochs, random_state, **kwargs)

    monkeypatch.setattr(ClassBalancedSampler, "build", spy)
    X = np.random.default_rng(0).normal(size=(200, 3))
    y = (X[:, 0] > 1).astype(int)
    for _ in range(2):
        BalancedNetClassifier(sampler="balanced", max_epochs=1, random_state=3).fit(X, y)
    assert len(seen) == 2 and seen[0] is not None and seen[0] == seen[1]


# ------------------------------------------------------- labels that change


@pytest.mark.parametrize("alias", ["balanced", "sqrt", "progressive", "undersample"])
def test_labels_changed_in_place_are_followed(alias):
    ring = np.zeros(4000, dtype=np.int64)  # a ring buffer's label column, shared
    ring[:3000] = 0
    ring[3000:] = 1
    sampler = resolve_sampler(alias).build(ring, max_epochs=2, random_state=0)
    before = sampler.indices()
    assert set(np.unique(ring[before])) == {0, 1}
    # the caller overwrites the oldest slots with a new class
    ring[:1000] = 2
    after = sampler.indices()
    assert sampler.classes.tolist() == [0, 1, 2]
    assert sampler.class_counts.tolist() == [2000, 1000, 1000]
    shares = np.bincount(ring[after], minlength=3) / len(after)
    np.testing.assert_allclose(shares, sampler.class_probabilities(0), atol=0.03)
    assert len(sampler) == (3000 if alias == "undersample" else 4000)
    # a class that vanishes is dropped
    ring[:] = 1
    ring[::2] = 0
    assert sampler.classes.tolist() == [0, 1]
    np.testing.assert_array_equal(np.unique(ring[sampler.indices()]), [0, 1])


def test_changed_labels_in_a_tensor_are_followed():
    labels = torch.as_tensor(Y.copy())
    sampler = ClassBalancedSampler().build(labels, random_state=0)
    labels[labels == 3] = 2  # class 3 disappears
    assert sampler.classes.tolist() == [0, 1, 2]
    np.testing.assert_allclose(sampler.class_probabilities(), np.full(3, 1 / 3))
    shares = np.bincount(labels.numpy()[sampler.indices()], minlength=3) / len(Y)
    np.testing.assert_allclose(shares, np.full(3, 1 / 3), atol=0.02)


def test_a_list_is_copied_and_a_pickled_sampler_still_draws():
    labels = [0] * 90 + [1] * 10
    sampler = ClassBalancedSampler().build(labels, random_state=0)
    labels[:50] = [1] * 50  # the sampler holds its own array: unchanged
    assert sampler.class_counts.tolist() == [90, 10]
    copy = pickle.loads(pickle.dumps(sampler))
    np.testing.assert_array_equal(copy.indices(), sampler.indices())


# ----------------------------------------------- imbalanced-learn samplers


@pytest.fixture
def blobs():
    from sklearn.datasets import make_classification

    return make_classification(
        n_samples=600,
        n_features=4,
        n_informative=3,
        n_redundant=0,
        weights=[0.9],
        flip_y=0.02,
        random_state=0,
    )


def test_imblearn_random_under_sampler_is_redrawn_every_epoch(blobs):
    from imblearn.under_sampling import RandomUnderSampler

    from skimbnet.sampling import ImblearnSampler

    X, y = blobs
    n_rare = int(np.bincount(y).min())
    sampler = ImblearnSampler(RandomUnderSampler(random_state=123), X, y, random_state=0)
    assert len(sampler) == 2 * n_rare
    seen = np.zeros(len(y), dtype=bool)
    draws = []
    for epoch in range(30):
        sampler.set_epoch(epoch)
        rows = sampler.indices()
        assert np.bincount(y[rows]).tolist() == [n_rare, n_rare]
        assert len(np.unique(rows)) == len(rows)
        draws.append(np.sort(rows))
        seen[rows] = True
    assert not np.array_equal(draws[0], draws[1])
    assert seen.mean() > 0.95  # over the epochs nearly every majority row is shown
    again = ImblearnSampler(RandomUnderSampler(), X, y, random_state=0)
    np.testing.assert_array_equal(np.sort(again.indices()), draws[0])


@pytest.mark.parametrize("name", ["TomekLinks", "NearMiss", "EditedNearestNeighbours"])
def test_imblearn_deterministic_samplers_give_their_rows(blobs, name):
    import imblearn.under_sampling as under

    from skimbnet.sampling import ImblearnSampler

    X, y = blobs
    resampler = getattr(under, name)()
    resampler.fit_resample(X, y)
    expected = np.sort(resampler.sample_indices_)
    sampler = ImblearnSampler(getattr(under, name)(), X, y, random_state=0)
    first = sampler.indices()
    np.testing.assert_array_equal(np.sort(first), expected)
    sampler.set_epoch(1)
    second = sampler.indices()
    np.testing.assert_array_equal(np.sort(second), expected)
    assert not np.array_equal(first, second)  # reshuffled
    # in a DataLoader over the original rows, with sharding
    shards = [
        ImblearnSampler(resampler, X, y, random_state=0, num_replicas=2, rank=r) for r in (0, 1)
    ]
    loaders = [
        DataLoader(TensorDataset(torch.as_tensor(X)), batch_size=64, sampler=s) for s in shards
    ]
    sizes = [sum(len(b[0]) for b in loader) for loader in loaders]
    assert sizes[0] == sizes[1] == -(-len(expected) // 2)


def test_imblearn_sampler_refuses_generators_and_non_samplers(blobs):
    from imblearn.over_sampling import SMOTE

    from skimbnet.sampling import ImblearnSampler

    X, y = blobs
    with pytest.raises(TypeError, match="SMOTE set no sample_indices_"):
        ImblearnSampler(SMOTE(), X, y, random_state=0).indices()
    with pytest.raises(TypeError, match="resampler must be an imbalanced-learn sampler"):
        ImblearnSampler(object(), X, y)
    with pytest.raises(ValueError, match="X has 600 rows but y has 10"):
        ImblearnSampler(SMOTE(), X, y[:10])


def test_imblearn_fixed_selection_follows_changed_labels(blobs):
    from imblearn.under_sampling import TomekLinks

    from skimbnet.sampling import ImblearnSampler

    X, y = blobs
    y = y.copy()
    sampler = ImblearnSampler(TomekLinks(), X, y, random_state=0)
    before = len(sampler)
    y[:] = 0
    y[:300] = 1  # new labels: new Tomek links
    tomek = TomekLinks()
    tomek.fit_resample(X, y)
    assert len(sampler) == len(tomek.sample_indices_) != before
    np.testing.assert_array_equal(np.sort(sampler.indices()), np.sort(tomek.sample_indices_))


def test_docstring_examples_run():
    import doctest

    import skimbnet.sampling as sampling_module

    result = doctest.testmod(sampling_module, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0


@pytest.mark.parametrize(
    "y, message",
    [
        (np.array([0.0, 1.0, np.nan, 1.0]), "NaN labels"),
        (np.array([0.1, 0.5, 0.7, 0.2]), "looks continuous"),
    ],
)
def test_samplers_reject_nan_and_continuous_labels(y, message):
    from skimbnet.sampling import ClassBalancedSampler

    with pytest.raises(ValueError, match=message):
        ClassBalancedSampler().build(y, random_state=0).indices()


@pytest.mark.parametrize("epoch", [-1, 1.7, True])
def test_set_epoch_takes_integers_from_zero(epoch):
    sampler = ClassBalancedSampler().build(Y, random_state=0)
    with pytest.raises(ValueError, match=r"the epoch must be an integer >= 0"):
        sampler.set_epoch(epoch)
