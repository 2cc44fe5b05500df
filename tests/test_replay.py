"""ActionBalancedReplay: exact action mixes, eviction, weights, persistence."""

import math
import multiprocessing
import pickle

import numpy as np
import pytest
import torch

from skimbnet import ActionBalancedReplay

# a LunarLander-like action mix: two rare side engines
SHARES = [0.53, 0.05, 0.37, 0.05]


def stream(n, seed=0, shares=SHARES):
    """n transitions whose state encodes the arrival index (to check which rows come back)."""
    rng = np.random.default_rng(seed)
    actions = rng.choice(len(shares), size=n, p=shares)
    index = np.arange(n)
    states = np.stack([index, actions], axis=1).astype(np.float64)
    return states, actions, {"reward": index * 0.5, "done": index % 7 == 0}


def filled(n=2000, capacity=None, seed=0, **kwargs):
    buffer = ActionBalancedReplay(capacity or n, random_state=seed, **kwargs)
    states, actions, extra = stream(n, seed)
    buffer.extend(states, actions, **extra)
    return buffer


def largest_remainder(total, shares):
    quota = total * np.asarray(shares, dtype=float)
    counts = np.floor(quota).astype(int)
    left = total - counts.sum()
    order = np.argsort(-(quota - counts), kind="stable")
    counts[order[:left]] += 1
    return counts


def batch_counts(batch, actions):
    return [int((np.asarray(batch["action"]) == a).sum()) for a in actions]


# ------------------------------------------------------------ exact counts


@pytest.mark.parametrize(
    "strategy, mix",
    [
        ("balanced", lambda n: np.full(len(n), 1 / len(n))),
        ("natural", lambda n: n / n.sum()),
        ("sqrt", lambda n: np.sqrt(n) / np.sqrt(n).sum()),
        ({0: 0.1, 1: 0.4, 2: 0.1, 3: 0.4}, lambda n: np.array([0.1, 0.4, 0.1, 0.4])),
        (lambda step: 0.5, lambda n: 0.5 / len(n) + 0.5 * n / n.sum()),
        (lambda step: "sqrt", lambda n: np.sqrt(n) / np.sqrt(n).sum()),
    ],
    ids=["balanced", "natural", "sqrt", "dict", "schedule-float", "schedule-alias"],
)
@pytest.mark.parametrize("batch_size", [256, 100, 7])
def test_every_batch_has_the_exact_largest_remainder_counts(strategy, mix, batch_size):
    buffer = filled(strategy=strategy)
    counts = buffer.action_counts()
    actions = sorted(counts)
    n = np.array([counts[a] for a in actions], dtype=float)
    expected = batch_size * mix(n)
    np.testing.assert_allclose(list(buffer.action_fractions().values()), mix(n), atol=1e-12)
    floors, ceils = np.floor(expected + 1e-9), np.ceil(expected - 1e-9)
    remainder = np.round(expected - floors, 9)
    for _ in range(50):
        got = np.array(batch_counts(buffer.sample(batch_size), actions))
        assert got.sum() == batch_size
        # each count is its quota rounded down or up (largest remainder) ...
        assert np.all((got == floors) | (got == ceils)), (got, expected)
        # ... rounded up exactly where the remainder is largest (ties at random)
        up, down = got > floors, (got == floors) & (ceils > floors)
        if up.any() and down.any():
            assert remainder[up].min() >= remainder[down].max()


def test_balanced_ties_are_broken_at_random():
    buffer = filled()
    tally = np.zeros(4)
    for _ in range(400):
        tally += batch_counts(buffer.sample(6), [0, 1, 2, 3])  # 6 / 4: two actions get 2
    # every batch: [2, 2, 1, 1] in some order; over many batches no action is favoured
    np.testing.assert_allclose(tally / tally.sum(), 0.25, atol=0.03)


def test_largest_remainder_helper_matches_reference():
    from skimbnet.replay import _largest_remainder

    rng = np.random.default_rng(0)
    for _ in range(200):
        shares = rng.dirichlet(np.ones(5))
        total = int(rng.integers(1, 500))
        got = _largest_remainder(total, shares.tolist(), rng)
        assert sum(got) == total
        np.testing.assert_array_equal(got, largest_remainder(total, shares))


def test_schedule_moves_from_balanced_to_natural():
    def schedule(step):
        return "balanced" if step < 10 else "natural"

    buffer = filled(strategy=schedule)
    n = np.array(list(buffer.action_counts().values()), dtype=float)
    first = batch_counts(buffer.sample(200), [0, 1, 2, 3])
    assert first == [50, 50, 50, 50]
    assert buffer.step == 1
    late = batch_counts(buffer.sample(200, step=25), [0, 1, 2, 3])
    np.testing.assert_array_equal(late, largest_remainder(200, n / n.sum()))
    assert buffer.step == 26
    # a float schedule: 0 balanced, 1 natural, in between a mixture
    ramp = filled(strategy=lambda step: min(step / 100, 1.0))
    assert ramp.action_fractions(step=0) == pytest.approx({a: 0.25 for a in range(4)})
    natural = {a: c / len(ramp) for a, c in ramp.action_counts().items()}
    assert ramp.action_fractions(step=100) == pytest.approx(natural)
    assert ramp.action_fractions(step=50)[1] == pytest.approx(0.5 * 0.25 + 0.5 * natural[1])


def test_dict_fractions_are_renormalised_over_present_actions():
    buffer = filled(strategy={1: 1.0, 3: 1.0, 9: 2.0})  # action 9 never played
    assert buffer.action_fractions() == {0: 0.0, 1: 0.5, 2: 0.0, 3: 0.5}
    assert batch_counts(buffer.sample(64), [0, 1, 2, 3]) == [0, 32, 0, 32]
    nothing = filled(strategy={9: 1.0})
    with pytest.raises(ValueError, match="no fraction to any action the buffer holds"):
        nothing.sample(8)


# ------------------------------------------------------------ the rows


def test_batch_rows_keep_their_fields_together():
    buffer = filled(n=3000, device=None)
    batch = buffer.sample(512)
    assert set(batch) == {"state", "action", "reward", "done", "weight"}
    index = batch["state"][:, 0].astype(int)
    np.testing.assert_array_equal(batch["state"][:, 1], batch["action"])
    np.testing.assert_allclose(batch["reward"], index * 0.5)
    np.testing.assert_array_equal(batch["done"], index % 7 == 0)
    assert batch["action"].dtype == np.int64 and batch["weight"].dtype == np.float64
    assert batch["state"].dtype == np.float64 and batch["done"].dtype == bool
    # the batch is shuffled, not grouped by action
    assert not np.all(np.diff(batch["action"]) >= 0)


def test_rows_repeat_only_where_an_action_has_fewer_rows_than_draws():
    states, actions, _ = stream(500)
    actions[:] = 0
    actions[[10, 20, 30]] = 1  # 3 rows of action 1
    buffer = ActionBalancedReplay(500, random_state=0)
    buffer.extend(states, actions)
    for _ in range(30):
        batch = buffer.sample(40)  # 20 of each action
        rows = batch["state"][:, 0].astype(int)
        rare = rows[batch["action"] == 1]
        # 20 draws from 3 rows: every row 6 or 7 times
        assert sorted(np.bincount(rare, minlength=31)[[10, 20, 30]]) == [6, 7, 7]
        common = rows[batch["action"] == 0]
        assert len(np.unique(common)) == len(common)  # 20 distinct of 497


def test_max_repeat_caps_rows_and_hands_slots_to_other_actions():
    states, actions, _ = stream(500)
    actions[:] = np.arange(500) % 2  # actions 0 and 2 ...
    actions[actions == 1] = 2
    actions[[1, 3, 5]] = 1  # ... and 3 rows of action 1
    buffer = ActionBalancedReplay(500, max_repeat=2, random_state=0)
    buffer.extend(states, actions)
    for _ in range(30):
        batch = buffer.sample(60)  # balanced wants 20 each; action 1 can give 3 * 2 = 6
        counts = batch_counts(batch, [0, 1, 2])
        assert counts[1] == 6 and sum(counts) == 60
        assert sorted([counts[0], counts[2]]) == [27, 27]
        rows = batch["state"][:, 0].astype(int)
        assert np.bincount(rows).max() <= 2
        # the weights follow the counts actually drawn
        natural = np.array([c for c in buffer.action_counts().values()]) / len(buffer)
        for j, a in enumerate([0, 1, 2]):
            w = batch["weight"][batch["action"] == a]
            np.testing.assert_allclose(w, natural[j] / (counts[j] / 60), rtol=1e-12)
    # max_repeat=1: distinct rows only
    distinct = ActionBalancedReplay(500, max_repeat=1, random_state=0)
    distinct.extend(states, actions)
    rows = distinct.sample(400)["state"][:, 0].astype(int)
    assert len(np.unique(rows)) == 400
    with pytest.raises(ValueError, match=r"batch_size=600 .* max_repeat=1: 500 transitions"):
        distinct.sample(600)


def test_max_repeat_when_every_action_with_a_fraction_is_full():
    states, actions, _ = stream(100)
    actions[:] = 0
    actions[:4] = 1
    buffer = ActionBalancedReplay(100, strategy={1: 1.0}, max_repeat=2, random_state=0)
    buffer.extend(states, actions)
    counts = batch_counts(buffer.sample(20), [0, 1])
    assert counts == [12, 8]  # action 1 gives 4 * 2; action 0 (no fraction) takes the rest


# --------------------------------------------- growth, eviction, weights


def test_a_growing_buffer_keeps_the_mix_of_its_current_contents():
    buffer = ActionBalancedReplay(10_000, strategy="sqrt", random_state=0)
    states, actions, extra = stream(6000)
    seen_actions = set()
    for start in range(0, 6000, 500):
        part = slice(start, start + 500)
        buffer.extend(
            states[part], actions[part], reward=extra["reward"][part], done=extra["done"][part]
        )
        seen_actions |= set(actions[part].tolist())
        counts = buffer.action_counts()
        assert sorted(counts) == sorted(seen_actions)
        np.testing.assert_array_equal(
            list(counts.values()), np.bincount(actions[: start + 500], minlength=4)[sorted(counts)]
        )
        n = np.array(list(counts.values()), dtype=float)
        batch = buffer.sample(128)
        np.testing.assert_array_equal(
            batch_counts(batch, sorted(counts)),
            largest_remainder(128, np.sqrt(n) / np.sqrt(n).sum()),
        )
        assert batch["state"][:, 0].max() < start + 500


def test_a_new_action_appears_in_the_next_batch():
    buffer = ActionBalancedReplay(100, random_state=0)
    for _ in range(50):
        buffer.add(np.zeros(2), 0, reward=0.0)
    assert batch_counts(buffer.sample(10), [0]) == [10]
    buffer.add(np.ones(2), 3, reward=1.0)
    batch = buffer.sample(10)
    assert batch_counts(batch, [0, 3]) == [5, 5]
    np.testing.assert_array_equal(batch["state"][batch["action"] == 3], np.ones((5, 2)))


@pytest.mark.parametrize("chunk", [1, 37, 1000])
def test_an_evicting_buffer_drops_oldest_first_and_keeps_the_mix(chunk):
    capacity = 700
    # the stream changes its mix: action 1 is common early and rare late
    early = stream(1500, seed=1, shares=[0.3, 0.6, 0.05, 0.05])
    late = stream(1500, seed=2, shares=[0.6, 0.02, 0.3, 0.08])
    states = np.concatenate([early[0], late[0]])
    states[:, 0] = np.arange(3000)
    actions = np.concatenate([early[1], late[1]])
    buffer = ActionBalancedReplay(capacity, strategy="balanced", random_state=0)
    for start in range(0, 3000, chunk):
        part = slice(start, start + chunk)
        if chunk == 1:
            buffer.add(states[start], int(actions[start]))
        else:
            buffer.extend(states[part], actions[part])
        end = min(start + chunk, 3000)
        kept = actions[max(0, end - capacity) : end]
        assert len(buffer) == len(kept)
        present = np.flatnonzero(np.bincount(kept, minlength=4))
        assert buffer.action_counts() == {
            int(a): int(c) for a, c in zip(present, np.bincount(kept, minlength=4)[present])
        }
        if start % 350 == 0 or chunk > 1:
            batch = buffer.sample(64)
            rows = batch["state"][:, 0].astype(int)
            assert rows.min() >= end - capacity  # only rows still in the buffer
            got = batch_counts(batch, present.tolist())
            assert sum(got) == 64 and max(got) - min(got) <= 1  # balanced over what is kept
            np.testing.assert_array_equal(batch["state"][:, 1], batch["action"])


def test_extend_more_than_capacity_keeps_the_last_rows():
    buffer = ActionBalancedReplay(100, random_state=0)
    states, actions, _ = stream(50)
    buffer.extend(states, actions)
    states, actions, _ = stream(250, seed=3)
    buffer.extend(states, actions)
    assert len(buffer) == 100
    assert buffer.action_counts() == {
        int(a): int(c) for a, c in enumerate(np.bincount(actions[-100:])) if c
    }
    rows = buffer.sample(100, step=0)["state"][:, 0]
    assert rows.min() >= 150


@pytest.mark.parametrize("strategy", ["balanced", "sqrt", {0: 0.1, 1: 0.4, 2: 0.1, 3: 0.4}])
def test_weighted_action_shares_equal_the_natural_shares(strategy):
    buffer = filled(n=5000, strategy=strategy)
    natural = np.array(list(buffer.action_counts().values())) / len(buffer)
    weighted = np.zeros(4)
    for _ in range(200):
        batch = buffer.sample(64)
        assert batch["weight"].mean() == pytest.approx(1.0)
        weighted += np.bincount(batch["action"], weights=batch["weight"], minlength=4)
    np.testing.assert_allclose(weighted / weighted.sum(), natural, atol=0.01)
    # and the unweighted shares are the strategy's
    shares = np.array(list(buffer.action_fractions().values()))
    assert not np.allclose(shares, natural, atol=0.01)


def test_weights_of_the_natural_strategy_are_one():
    batch = filled(strategy="natural").sample(100)
    np.testing.assert_allclose(batch["weight"], 1.0, rtol=0.12)  # 1 up to the rounding


# ------------------------------------------- determinism and persistence


def test_same_seed_same_batches_other_seed_other_batches():
    a, b, c = filled(seed=5), filled(seed=5), filled(seed=5)
    c._rng = np.random.default_rng(6)
    for _ in range(5):
        first, second, other = a.sample(64), b.sample(64), c.sample(64)
        for key in first:
            np.testing.assert_array_equal(first[key], second[key])
        assert not np.array_equal(first["state"], other["state"])


def test_no_seed_means_fresh_entropy():
    states, actions, _ = stream(1000)
    draws = []
    for _ in range(2):
        buffer = ActionBalancedReplay(1000)
        buffer.extend(states, actions)
        draws.append(buffer.sample(64)["state"])
    assert not np.array_equal(*draws)


def test_add_and_extend_store_the_same_buffer():
    states, actions, extra = stream(300)
    one = ActionBalancedReplay(200, random_state=1)
    for i in range(300):
        one.add(states[i], int(actions[i]), reward=extra["reward"][i], done=extra["done"][i])
    many = ActionBalancedReplay(200, random_state=1)
    many.extend(states, actions, **extra)
    assert one.action_counts() == many.action_counts()
    for _ in range(3):
        x, y = one.sample(50), many.sample(50)
        for key in x:
            np.testing.assert_array_equal(x[key], y[key])


def assert_same_batches(first, second, n=4, batch_size=50):
    for _ in range(n):
        x, y = first.sample(batch_size), second.sample(batch_size)
        assert set(x) == set(y)
        for key in x:
            np.testing.assert_array_equal(np.asarray(x[key]), np.asarray(y[key]))


def test_state_dict_round_trip_draws_the_same_batches():
    buffer = filled(n=900, capacity=500, strategy="sqrt", max_repeat=3)
    buffer.sample(10)
    state = buffer.state_dict()
    assert state["fields"]["state"].shape == (500, 2)
    np.testing.assert_array_equal(state["fields"]["state"][:, 0], np.arange(400, 900))
    restored = ActionBalancedReplay(500, strategy="sqrt", max_repeat=3)
    restored.load_state_dict(state)
    assert restored.step == buffer.step and restored.action_counts() == buffer.action_counts()
    assert_same_batches(buffer, restored)
    # and both keep evicting the same way
    more = stream(300, seed=9)
    for b in (buffer, restored):
        b.extend(more[0], more[1], **more[2])
    assert_same_batches(buffer, restored)
    # an empty buffer's state dict
    empty = ActionBalancedReplay(5)
    empty.load_state_dict(ActionBalancedReplay(5).state_dict())
    assert len(empty) == 0
    with pytest.raises(ValueError, match="empty"):
        empty.sample(1)
    with pytest.raises(ValueError, match="'fields', 'step' and 'rng'"):
        empty.load_state_dict({"fields": {}})


@pytest.mark.parametrize(
    "bad",
    [
        {"fields": {"state": np.zeros((2, 2))}, "step": 0, "rng": {}},  # no actions
        {"fields": {}, "step": 0, "rng": {"bit_generator": "nope"}},
        {"fields": {}, "step": -1, "rng": {}},
        # rows that do not match their actions fail inside the load
        {
            "fields": {"state": np.zeros((3, 2)), "action": np.array([0, 1])},
            "step": 0,
            "rng": np.random.default_rng(0).bit_generator.state,
        },
    ],
)
def test_a_bad_state_dict_leaves_the_buffer_as_it_was(bad):
    buffer = filled(n=50)
    before = buffer.state_dict()
    with pytest.raises(ValueError, match="state|rows"):
        buffer.load_state_dict(bad)
    after = buffer.state_dict()
    assert after["step"] == before["step"] and after["rng"] == before["rng"]
    for name in before["fields"]:
        np.testing.assert_array_equal(after["fields"][name], before["fields"][name])


def test_a_cleared_buffer_restores_its_fields_and_reseed_splits_copies():
    buffer = filled(n=50)
    fields = buffer.fields
    buffer.clear()
    restored = ActionBalancedReplay(50)
    restored.load_state_dict(buffer.state_dict())
    assert restored.fields == fields and len(restored) == 0
    # a copy draws what the original draws, until it is given its own stream
    full = filled(n=200)
    copy = pickle.loads(pickle.dumps(full))
    assert_same_batches(full, copy, n=1)
    copy.reseed(123)
    assert not np.array_equal(copy.sample(50)["state"], full.sample(50)["state"])
    with pytest.raises(ValueError, match="seed must be None or a non-negative integer"):
        copy.reseed(-1)


def test_setting_the_strategy_takes_effect_and_is_checked():
    buffer = filled(n=1000)
    buffer.strategy = "natural"
    counts = np.bincount(buffer.sample(1000)["action"])
    np.testing.assert_array_equal(counts, np.bincount(buffer.state_dict()["fields"]["action"]))
    with pytest.raises(ValueError, match="strategy"):
        buffer.strategy = "bogus"
    assert buffer.strategy == "natural"
    # a dict mix is the buffer's own: changing the caller's dict or the one read back
    # changes nothing (set strategy again, which checks it)
    mix = {0: 0.5, 1: 0.5}
    buffer.strategy = mix
    mix[0] = -5
    buffer.strategy[1] = -5
    assert buffer.strategy == {0: 0.5, 1: 0.5}
    assert pickle.loads(pickle.dumps(buffer)).strategy == {0: 0.5, 1: 0.5}


def test_state_dict_moves_between_numpy_and_torch_storage():
    buffer = filled(n=400)
    as_torch = ActionBalancedReplay(400, device="cpu")
    as_torch.load_state_dict(buffer.state_dict())
    assert isinstance(as_torch.state_dict()["fields"]["state"], torch.Tensor)
    back = ActionBalancedReplay(400)
    back.load_state_dict(as_torch.state_dict())
    for _ in range(3):  # the three draw the same rows, in lock-step
        x, y, z = buffer.sample(32), as_torch.sample(32), back.sample(32)
        for key in x:
            np.testing.assert_array_equal(x[key], z[key])
            np.testing.assert_allclose(
                np.asarray(x[key], dtype=float), y[key].double().numpy(), rtol=1e-6
            )


def test_a_bfloat16_torch_buffer_moves_to_numpy_storage_as_float32():
    states = torch.randn(6, 3).to(torch.bfloat16)
    as_torch = ActionBalancedReplay(10, device="cpu", random_state=0)
    as_torch.extend(states, [0, 1, 0, 1, 0, 1])
    for numpy_buffer in (ActionBalancedReplay(10), ActionBalancedReplay(10)):
        numpy_buffer.load_state_dict(as_torch.state_dict())
        stored = numpy_buffer.state_dict()["fields"]["state"]
        assert stored.dtype == np.float32
        np.testing.assert_array_equal(stored, states.float().numpy())
    direct = ActionBalancedReplay(10)
    direct.extend(states, [0, 1, 0, 1, 0, 1])  # a bfloat16 tensor into numpy storage
    np.testing.assert_array_equal(direct.state_dict()["fields"]["state"], states.float().numpy())


def module_schedule(step):
    return "balanced" if step < 3 else "natural"


@pytest.mark.parametrize("device", [None, "cpu"])
def test_pickling_keeps_contents_seed_and_schedule(device):
    buffer = filled(n=700, capacity=600, strategy=module_schedule, device=device)
    buffer.sample(16)
    copy = pickle.loads(pickle.dumps(buffer))
    assert copy.strategy is module_schedule and copy.capacity == 600 and copy.step == 1
    assert copy.fields == buffer.fields == ("state", "action", "reward", "done")
    assert_same_batches(buffer, copy, n=6)
    assert "ActionBalancedReplay(capacity=600, strategy=module_schedule" in repr(copy)


def _sample_in_child(buffer, queue):
    queue.put((len(buffer), buffer.sample(8)["action"].tolist()))


def test_a_torch_buffer_goes_to_a_spawned_process():
    # multiprocessing's pickler sends tensors as shared-memory handles; the buffer's
    # pickle holds its rows by value, so a "spawn" process (a DataLoader worker) gets them
    buffer = filled(n=300, device="cpu")
    expected = pickle.loads(pickle.dumps(buffer)).sample(8)["action"].tolist()
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    child = context.Process(target=_sample_in_child, args=(buffer, queue))
    child.start()
    try:
        assert queue.get(timeout=120) == (300, expected)
    finally:
        child.join(timeout=30)
    assert child.exitcode == 0


# ------------------------------------------------------------ torch storage


def torch_devices():
    return ["cpu", "cuda"] if torch.cuda.is_available() else ["cpu"]


@pytest.mark.parametrize("device", torch_devices())
def test_torch_storage_returns_tensors_on_the_device(device):
    states, actions, extra = stream(1000)
    buffer = ActionBalancedReplay(800, random_state=0, device=device)
    buffer.extend(
        torch.as_tensor(states, dtype=torch.float32),
        torch.as_tensor(actions),
        reward=extra["reward"],
        done=torch.as_tensor(extra["done"]),
    )
    buffer.add(torch.tensor([0.0, 1.0]), 1, reward=0.0, done=True)
    batch = buffer.sample(256)
    for key, value in batch.items():
        assert isinstance(value, torch.Tensor) and value.device.type == device, key
        assert len(value) == 256
    assert batch["state"].dtype == torch.float32 and batch["action"].dtype == torch.int64
    assert batch["reward"].dtype == torch.float64 and batch["done"].dtype == torch.bool
    assert batch["weight"].dtype == torch.get_default_dtype()
    assert batch_counts({"action": batch["action"].cpu().numpy()}, [0, 1, 2, 3]) == [64] * 4
    np.testing.assert_array_equal(batch["state"][:, 1].cpu().numpy(), batch["action"].cpu())
    # same seed: the same rows as numpy storage
    same = ActionBalancedReplay(800, random_state=0)
    same.extend(states, actions, **extra)
    same.add(np.array([0.0, 1.0]), 1, reward=0.0, done=True)
    np.testing.assert_array_equal(same.sample(256)["action"], batch["action"].cpu().numpy())


# ------------------------------------------------------------ validation


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"capacity": 0}, "capacity must be an integer >= 1, got 0"),
        ({"capacity": 2.5}, "capacity must be an integer"),
        ({"capacity": 10, "strategy": "uniform"}, r"strategy='uniform'.*'balanced', 'sqrt'"),
        ({"capacity": 10, "strategy": {0: -1}}, "fractions >= 0, got -1"),
        ({"capacity": 10, "strategy": {"left": 1}}, "keys must be actions"),
        ({"capacity": 10, "strategy": {0: 0.0}}, "every action a fraction of 0"),
        ({"capacity": 10, "strategy": 1.5}, r"in \[0, 1\]"),
        ({"capacity": 10, "max_repeat": 0}, "max_repeat must be None or an integer >= 1"),
        ({"capacity": 10, "random_state": -3}, "random_state must be None or a non-negative"),
        ({"capacity": 10, "device": "gpu7"}, "device='gpu7' is not a torch device"),
        pytest.param(
            {"capacity": 10, "device": "cuda:5"},
            r"device='cuda:5' is not available on this machine; available here: \['cpu'",
            marks=pytest.mark.skipif(torch.cuda.is_available(), reason="a CUDA device exists"),
        ),
    ],
)
def test_bad_parameters_are_named(kwargs, match):
    with pytest.raises((ValueError, TypeError), match=match):
        ActionBalancedReplay(**kwargs)


def test_bad_calls_are_named():
    buffer = ActionBalancedReplay(10)
    with pytest.raises(ValueError, match="empty"):
        buffer.sample(4)
    buffer.add(np.zeros(3), 0, reward=1.0)
    with pytest.raises(ValueError, match="batch_size must be an integer >= 1, got 0"):
        buffer.sample(0)
    # an RL loop's step counter may be a numpy or torch integer
    buffer.sample(2, step=np.int64(3))
    buffer.sample(2, step=torch.tensor(4))
    assert buffer.step == 5
    for bad in (-5, 1.5):
        with pytest.raises(ValueError, match=f"step must be an integer >= 0, got {bad}"):
            buffer.sample(2, step=bad)
        with pytest.raises(ValueError, match=f"step must be an integer >= 0, got {bad}"):
            buffer.action_fractions(step=bad)
    with pytest.raises(ValueError, match=r"extra fields \['reward'\], got \[\]"):
        buffer.add(np.zeros(3), 1)
    with pytest.raises(ValueError, match=r"state has shape \(4,\).* shape \(3,\)"):
        buffer.add(np.zeros(4), 1, reward=0.0)
    with pytest.raises(ValueError, match="actions must be >= 0, got -1"):
        buffer.add(np.zeros(3), -1, reward=0.0)
    with pytest.raises(ValueError, match="actions must be integers"):
        buffer.extend(np.zeros((2, 3)), np.array([0.5, 1.0]), reward=[0, 0])
    with pytest.raises(ValueError, match="reward has 1 rows but actions has 2"):
        buffer.extend(np.zeros((2, 3)), [0, 1], reward=[0.0])
    with pytest.raises(ValueError, match="'weight' is not a field name"):
        buffer.add(np.zeros(3), 0, reward=0.0, weight=1.0)
    bad_schedule = ActionBalancedReplay(10, strategy=lambda step: "often")
    bad_schedule.add(np.zeros(1), 0)
    with pytest.raises(ValueError, match=r"strategy\(step\)='often'"):
        bad_schedule.sample(2)
    assert len(buffer) == 1 and math.isclose(buffer.sample(3)["weight"].mean(), 1.0)


def test_docstring_examples_run():
    import doctest

    import skimbnet.replay as replay_module

    result = doctest.testmod(replay_module, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0


@pytest.mark.parametrize("device", [None, "cpu"])
@pytest.mark.parametrize("call", ["add", "extend"])
def test_values_the_stored_dtype_would_change_are_refused(device, call):
    """A reward field fixed as int by the first transition refuses 1.5 (no silent 1);
    float64 into a float32 field is a float still, and is kept."""
    buffer = ActionBalancedReplay(10, random_state=0, device=device)
    buffer.add(np.zeros(2, np.float32), 0, reward=0, done=False)
    with pytest.raises(TypeError, match=r"reward has dtype .*float64, but this buffer stores"):
        if call == "add":
            buffer.add(np.zeros(2, np.float32), 1, reward=1.5, done=True)
        else:
            buffer.extend(np.zeros((1, 2), np.float32), [1], reward=[1.5], done=[True])
    assert len(buffer) == 1
    buffer.add(np.full(2, 0.25), 1, reward=2, done=True)  # float64 state into float32
    state = buffer.sample(2)["state"]
    assert sorted(np.asarray(state)[:, 0].tolist()) == [0.0, 0.25]


@pytest.mark.parametrize("device", [None, "cpu"])
def test_ints_that_would_wrap_are_refused_on_either_device(device):
    """uint8 frames fixed by the first transition refuse int64 values (300 would be 44)."""
    buffer = ActionBalancedReplay(10, random_state=0, device=device)
    buffer.add(np.zeros(2, np.uint8), 0)
    with pytest.raises(TypeError, match=r"convert the values to uint8 first"):
        buffer.add(np.array([300, 1]), 1)
    assert len(buffer) == 1
    buffer.add(np.array([7, 1], np.uint8), 1)
    assert len(buffer) == 2


def test_an_action_too_large_is_refused_before_anything_is_evicted():
    buffer = ActionBalancedReplay(3, random_state=0)
    buffer.extend(np.arange(3.0)[:, None], [0, 1, 2])
    with pytest.raises(ValueError, match=r"actions must be < 2\*\*63, got 18446744073709551616"):
        buffer.add(np.array([9.0]), 2**64)
    assert len(buffer) == 3 and buffer.action_counts() == {0: 1, 1: 1, 2: 1}
    with pytest.raises(ValueError, match=r"actions must be < 2\*\*63, got 9223372036854775808"):
        buffer.extend(np.zeros((1, 1)), np.array([2**63], dtype=np.uint64))
    assert len(buffer) == 3


@pytest.mark.parametrize("device", [None, "cpu"])
def test_values_beyond_the_stored_dtype_are_refused(device):
    ints = ActionBalancedReplay(4, random_state=0, device=device)
    ints.add(np.zeros(2, np.int8), 0)
    with pytest.raises(ValueError, match=r"state has values in \[-200, 300\], beyond the range"):
        ints.add(np.array([300, -200]), 1)
    ints.add(np.array([100, -100]), 1)  # an int64 array whose values fit
    assert len(ints) == 2
    floats = ActionBalancedReplay(4, random_state=0, device=device)
    floats.add(np.zeros(1, np.float16), 0)
    with pytest.raises(ValueError, match="beyond the range of"):
        floats.add(np.array([1e6]), 1)


def test_torch_storage_takes_a_reversed_view():
    buffer = ActionBalancedReplay(4, random_state=0, device="cpu")
    frame = np.arange(6.0).reshape(2, 3)
    buffer.add(frame[:, ::-1], 0)
    np.testing.assert_array_equal(buffer.state_dict()["fields"]["state"][0], frame[:, ::-1])
