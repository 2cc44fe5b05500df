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
    for epoch, expected in [(0, BALANCED), (5, middle), (10, NATURAL)]:
        np.testing.assert_allclose(sampler.class_probabilities(epoch), expected, atol=1e-12)
        np.testing.assert_allclose(drawn_shares(sampler, epoch), expected, atol=0.02)
    # p_j(t) = (1 - t) / K + t * n_j / n at every epoch
    for epoch in range(11):
        t = epoch / 10
        np.testing.assert_allclose(
            sampler.class_probabilities(epoch), (1 - t) / 4 + t * NATURAL, atol=1e-12
        )
    # past the end the last mix stays
    np.testing.assert_allclose(sampler.class_probabilities(20), NATURAL, atol=1e-12)


def test_curriculum_reverse_and_schedules():
    reverse = ProgressiveSampler(reverse=True).build(Y, max_epochs=11, random_state=0)
    np.testing.assert_allclose(drawn_shares(reverse, 0), NATURAL, atol=0.02)
    np.testing.assert_allclose(drawn_shares(reverse, 10), BALANCED, atol=0.02)

    cosine = ProgressiveSampler(schedule="cosine").build(Y, max_epochs=5, random_state=0)
    a = (1 - np.cos(np.pi * 0.25)) / 2  # t = 1/4
    np.testing.assert_allclose(
        cosine.class_probabilities(1), (1 - a) * BALANCED + a * NATURAL, atol=1e-12
    )
    np.testing.assert_allclose(drawn_shares(cosine, 1), (1 - a) * BALANCED + a * NATURAL, atol=0.02)
    np.testing.assert_allclose(cosine.class_probabilities(0), BALANCED, atol=1e-12)
    np.testing.assert_allclose(cosine.class_probabilities(4), NATURAL, atol=1e-12)

    step = ProgressiveSampler(schedule="step", step_at=0.5).build(Y, max_epochs=11)
    for epoch in range(5):
        np.testing.assert_allclose(step.class_probabilities(epoch), BALANCED, atol=1e-12)
    for epoch in range(5, 11):
        np.testing.assert_allclose(step.class_probabilities(epoch), NATURAL, atol=1e-12)


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
    np.testing.assert_allclose(minority, [0.25, (0.25 + 0.01) / 2, 0.01], atol=0.02)


def test_string_labels_and_tensors_are_accepted():
    labels = np.array(["cat"] * 90 + ["dog"] * 10)
    sampler = ClassBalancedSampler().build(labels, random_state=0)
    assert sampler.classes.tolist() == ["cat", "dog"]
    assert 0.4 < np.mean(labels[sampler.indices()] == "dog") < 0.6
    from_tensor = ClassBalancedSampler().build(torch.as_tensor(Y), random_state=0)
    np.testing.assert_array_equal(
        from_tensor.indices(), ClassBalancedSampler().build(Y, random_state=0).indices()
    )


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
    np.testing.assert_allclose(shares[0], BALANCED, atol=0.02)
    np.testing.assert_allclose(shares[-1], NATURAL, atol=0.02)
    assert sampler.epoch == 2  # left as it was
    assert class_shares(sampler, epochs=[1, 3]).shape == (2, 4)


def test_bad_inputs_are_reported():
    with pytest.raises(ValueError, match="1-dimensional"):
        ClassBalancedSampler().build(np.zeros((3, 2)))
    with pytest.raises(ValueError, match="max_epochs must be an integer >= 1, got 0"):
        ClassBalancedSampler().build(Y, max_epochs=0)
    with pytest.raises(ValueError, match="random_state must be a non-negative integer"):
        ClassBalancedSampler().build(Y, random_state=-1)
