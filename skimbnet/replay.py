"""A replay buffer that samples transitions by action: :class:`ActionBalancedReplay`.

Online behaviour cloning, or any reinforcement-learning loss that is a
classification of the action, meets the class imbalance of the actions: a
LunarLander expert fires its side engines in about 5% of the steps, and a
uniform replay batch of 256 holds about 13 of each. :class:`ActionBalancedReplay`
keeps the transitions in one fixed-capacity buffer, indexed per action, and
draws every batch with an exact action mix (balanced, square-root, natural, any
fractions, or a schedule of the step), with the importance weights that map the
batch back to the buffer's natural mix.

Examples
--------
>>> import numpy as np
>>> from skimbnet.replay import ActionBalancedReplay
>>> buffer = ActionBalancedReplay(capacity=1000, random_state=0)
>>> rng = np.random.default_rng(0)
>>> actions = rng.choice(4, size=1000, p=[0.53, 0.05, 0.37, 0.05])
>>> buffer.extend(rng.normal(size=(1000, 8)), actions, reward=rng.normal(size=1000))
>>> batch = buffer.sample(64)
>>> sorted(batch)
['action', 'reward', 'state', 'weight']
>>> np.bincount(batch["action"]).tolist()
[16, 16, 16, 16]
"""

from __future__ import annotations

import io
import math
import operator
from itertools import accumulate
from numbers import Integral, Real

import numpy as np

from ._atomic import KeptOnError

__all__ = ["ActionBalancedReplay"]

_STRATEGIES = ("balanced", "sqrt", "natural")
_RESERVED = ("state", "action", "weight")
_STATE_VERSION = 1
_NUMPY_FLOATS = {}  # torch float dtype -> numpy's, filled on first use with torch storage
#: the largest action stored (actions are kept as int64)
_MAX_ACTION = int(np.iinfo(np.int64).max)


class _SlotQueue:
    """The slots of one action, oldest first: append at the end, pop at the front.

    A growable array with a head pointer; when the end runs out of room the
    live part is copied to the front of an array twice its size, so appends
    cost O(1) amortised and the memory stays within twice the live slots (plus
    the appends since the last copy).
    """

    __slots__ = ("arr", "head", "end")

    def __init__(self):
        self.arr = np.empty(16, dtype=np.int64)
        self.head = 0
        self.end = 0

    def __len__(self):
        return self.end - self.head

    def _room(self, k):
        if self.end + k > len(self.arr):
            n = self.end - self.head
            new = np.empty(max(2 * (n + k), 16), dtype=np.int64)
            new[:n] = self.arr[self.head : self.end]
            self.arr, self.head, self.end = new, 0, n

    def push(self, slots):
        k = len(slots)
        self._room(k)
        self.arr[self.end : self.end + k] = slots
        self.end += k

    def push_one(self, slot):
        self._room(1)
        self.arr[self.end] = slot
        self.end += 1

    def pop(self, k):
        self.head += int(k)

    def get(self, positions):
        return self.arr[self.head + positions]

    def live(self):
        return self.arr[self.head : self.end]


def _check_strategy_spec(spec, name="strategy"):
    """Validate a fixed mix: an alias, a dict of fractions or a curriculum weight."""
    if isinstance(spec, str):
        if spec not in _STRATEGIES:
            raise ValueError(
                f"{name}={spec!r} is not a known action mix; use one of {list(_STRATEGIES)}, "
                "a dict {action: fraction}, or a callable of the step that returns one of "
                "these (or a float in [0, 1]: 0 balanced, 1 natural)."
            )
        return spec
    if isinstance(spec, dict):
        if not spec:
            raise ValueError(f"{name} is an empty dict; give each action its fraction.")
        for action, share in spec.items():
            if isinstance(action, bool) or not isinstance(action, Integral) or action < 0:
                raise ValueError(
                    f"{name} dict keys must be actions (non-negative integers), got {action!r}."
                )
            if isinstance(share, bool) or not isinstance(share, Real) or not share >= 0:
                raise ValueError(
                    f"{name} dict values must be fractions >= 0, got {share!r} for action {action}."
                )
            if not math.isfinite(share):
                raise ValueError(f"{name} dict values must be finite, got {share!r}.")
        if sum(spec.values()) <= 0:
            raise ValueError(f"{name} dict gives every action a fraction of 0.")
        return spec
    if isinstance(spec, Real) and not isinstance(spec, bool):
        if not 0.0 <= float(spec) <= 1.0:
            raise ValueError(
                f"{name}={spec!r}: a float mix weight must be in [0, 1] (0 balanced, 1 natural)."
            )
        return float(spec)
    raise TypeError(
        f"{name} must be one of {list(_STRATEGIES)}, a dict {{action: fraction}} or a "
        f"callable of the step, got {type(spec).__name__}."
    )


def _largest_remainder(total, shares, rng):
    """Integer counts summing to ``total``, proportional to ``shares`` (which sum to 1).

    Each count is the floor of its quota, and the slots left over go to the
    largest fractional parts; equal remainders are ordered at random, so no
    action is favoured over many batches. Lists in, a list out (a handful of
    actions: plain Python is faster than numpy here).
    """
    quota = [total * share for share in shares]
    counts = [int(q) for q in quota]  # floor: quotas are >= 0
    left = total - sum(counts)
    if left > 0:
        ties = rng.random(len(quota)).tolist()
        order = sorted(range(len(quota)), key=lambda j: (-round(quota[j] - counts[j], 9), ties[j]))
        for j in order[:left]:
            counts[j] += 1
    return counts


class ActionBalancedReplay:
    """A fixed-capacity replay buffer whose batches have an exact action mix.

    Transitions are stored once, in a ring of ``capacity`` slots, and indexed
    per action. :meth:`sample` decides how many rows of each action the batch
    holds (``strategy``, rounded to exact counts), then draws the rows of each
    action uniformly from that action's transitions. The cost of a draw is
    O(batch_size + number of actions), independent of the buffer's size; adding
    a transition is O(1) amortised (the per-action slot lists are updated on
    add and eviction, never rebuilt).

    Parameters
    ----------
    capacity : int
        Most transitions kept. **Eviction: oldest first overall** (first in,
        first out across all actions, like a plain ring buffer): once full,
        each new transition replaces the oldest one in the buffer, whatever
        either's action. A rare action is therefore not protected from
        eviction; its share of the buffer is its share of the recent stream.
    strategy : str, dict or callable, default="balanced"
        The action mix of each batch, computed over the actions the buffer
        holds now:

        - ``"balanced"``: every action ``1 / K`` (``K`` actions with rows);
        - ``"sqrt"``: proportional to ``sqrt(n_a)``;
        - ``"natural"``: proportional to ``n_a``, as uniform sampling of the
          buffer (but with exact counts);
        - a dict ``{action: fraction}``: those fractions (renormalised over the
          actions present; an action the buffer holds but the dict omits gets
          none);
        - a callable ``strategy(step) -> mix``, a schedule, where ``mix`` is any
          of the above or a float ``a`` in ``[0, 1]`` meaning
          ``(1 - a) * balanced + a * natural`` (``0`` balanced, ``1``
          natural). ``step`` counts the calls of :meth:`sample` (or is passed
          to it). Picklable (module-level) functions keep the buffer picklable.
    max_repeat : int or None, default=None
        Most times one transition may appear in one batch. Rows of an action
        are drawn with as little repetition as possible (an action drawn ``c``
        times from ``n`` rows shows each row ``c // n`` or ``c // n + 1``
        times), so repeats only happen where an action has fewer rows than
        its share of the batch. With ``max_repeat=m`` an action never gets
        more than ``m * n_a`` rows; **the slots it cannot fill go to the other
        actions**, in proportion to their fractions (and, when every action
        with a fraction is full, to the remaining actions in proportion to
        their counts). The weights follow the counts actually drawn. A batch
        larger than ``m * len(buffer)`` raises a ValueError.
    random_state : int or None, default=None
        Seed of the draws; ``None`` draws fresh entropy. A copy (pickled, or
        sent to a ``DataLoader`` worker or another process) carries the
        generator's state on and draws the same batches as the original: give
        each copy its own stream with :meth:`reseed`.
    device : str, torch.device or None, default=None
        ``None`` stores numpy arrays and returns numpy batches. A device
        (``"cpu"``, ``"cuda"``, ``"cuda:1"``, ...) stores torch tensors there
        and returns batches of tensors on it; the bookkeeping (which slot holds
        which action) stays in numpy on the host.

    Attributes
    ----------
    step : int
        The step the next :meth:`sample` call without ``step=`` uses.
    fields : tuple of str
        The stored fields: ``"state"``, ``"action"`` and the extra ones given
        to the first :meth:`add` or :meth:`extend`.

    Notes
    -----
    A batch is a dict with ``"state"``, ``"action"``, every extra field
    (``reward``, ``next_state``, ``done``, ...) and ``"weight"``, all with the
    batch on the first axis, in a random order. ``"weight"`` holds importance
    weights: a row of action ``a`` weighs ``(n_a / N) / (c_a / B)`` (its share
    of the buffer over its share of the batch), normalised to mean 1 over the
    batch, so a weighted loss is an unbiased estimate of the loss under the
    buffer's natural action mix. (An action that got no row in the batch
    cannot be weighted back; with ``"balanced"`` every action gets a row when
    the batch has at least as many rows as there are actions.)

    The first :meth:`add` or :meth:`extend` fixes the fields, their per-row
    shapes and dtypes (numpy's, or torch's for a device); later ones must give
    the same fields, in dtypes of the same kind (a float reward into a field
    the first transition made an int is a ``TypeError``, not a silent cast).

    Examples
    --------
    >>> import numpy as np
    >>> from skimbnet import ActionBalancedReplay
    >>> buffer = ActionBalancedReplay(capacity=100, random_state=0)
    >>> for t in range(100):
    ...     action = 1 if t % 10 == 0 else 0          # action 1 is rare (10%)
    ...     buffer.add(np.full(3, t, dtype=np.float32), action, reward=float(t), done=False)
    >>> buffer.action_counts()
    {0: 90, 1: 10}
    >>> batch = buffer.sample(20)
    >>> np.bincount(batch["action"]).tolist()          # balanced: 10 and 10
    [10, 10]
    >>> batch["weight"][batch["action"] == 1].round(2).tolist()[:3]
    [0.2, 0.2, 0.2]

    A schedule: balanced for the first 1000 batches, then moving to natural.

    >>> def curriculum(step):
    ...     return min(max(step - 1000, 0) / 1000, 1.0)
    >>> buffer = ActionBalancedReplay(capacity=10_000, strategy=curriculum)
    """

    def __init__(
        self,
        capacity,
        strategy="balanced",
        max_repeat=None,
        random_state=None,
        device=None,
    ):
        if isinstance(capacity, bool) or not isinstance(capacity, Integral) or capacity < 1:
            raise ValueError(f"capacity must be an integer >= 1, got {capacity!r}.")
        self.strategy = strategy
        if max_repeat is not None and (
            isinstance(max_repeat, bool) or not isinstance(max_repeat, Integral) or max_repeat < 1
        ):
            raise ValueError(f"max_repeat must be None or an integer >= 1, got {max_repeat!r}.")
        _check_seed(random_state, "random_state")
        self.capacity = int(capacity)
        self.max_repeat = None if max_repeat is None else int(max_repeat)
        self.random_state = random_state
        self.device = self._check_device(device)
        self._rng = np.random.default_rng(random_state)
        self.step = 0
        self.clear()

    @property
    def strategy(self):
        """The action mix (see the class docstring); setting it takes effect at the next draw.

        A dict mix is returned as a copy: change it by setting ``strategy``,
        which checks it.
        """
        strategy = self._strategy
        return dict(strategy) if isinstance(strategy, dict) else strategy

    @strategy.setter
    def strategy(self, strategy):
        if isinstance(strategy, dict):
            strategy = dict(strategy)  # the buffer's own: the caller's dict may change later
        # a fixed mix is checked once here; a schedule's output at every draw
        self._fixed_mix = None if callable(strategy) else _check_strategy_spec(strategy)
        self._strategy = strategy

    @staticmethod
    def _check_device(device):
        if device is None:
            return None
        import torch

        from ._devices import check_device

        _NUMPY_FLOATS.update(
            {torch.float16: np.float16, torch.float32: np.float32, torch.float64: np.float64}
        )
        # an absent one is refused here, not by torch's AssertionError at the first add()
        try:
            return check_device(device)
        except ValueError as exc:
            raise ValueError(f"{exc} (device=None stores numpy arrays)") from None

    def clear(self) -> None:
        """Remove every transition (the fields, seed and step stay)."""
        self._pos = 0
        self._size = 0
        self._queues: dict[int, _SlotQueue] = {}
        if getattr(self, "_storage", None) is None:
            self._storage = None  # {field: array of shape (capacity, *row_shape)}
            self._slot_action = np.zeros(0, dtype=np.int64)  # allocated with the storage

    # ------------------------------------------------------------- storage

    @property
    def fields(self) -> tuple[str, ...]:
        """The stored fields (``()`` before the first add)."""
        if self._storage is None:
            return ()
        return ("state", "action", *(name for name in self._storage if name != "state"))

    def _as_array(self, value, name):
        """``value`` as this buffer's array type (numpy, or a tensor on the device)."""
        if self.device is None:
            if hasattr(value, "detach"):
                value = value.detach().cpu()
                if str(value.dtype) == "torch.bfloat16":
                    value = value.float()  # numpy has no bfloat16 (see _numpy_dtype)
                value = value.numpy()
            return np.asarray(value)
        import torch

        if isinstance(value, torch.Tensor):
            return value.detach().to(self.device)
        value = np.asarray(value)
        if any(stride < 0 for stride in value.strides):
            value = value.copy()  # a reversed view (frame[:, ::-1]): torch cannot share it
        return torch.as_tensor(value, device=self.device)

    def _allocate(self, data):
        """Create the storage from the first transitions (rows on axis 0)."""
        storage = {}
        for name, value in data.items():
            shape = (self.capacity, *value.shape[1:])
            if self.device is None:
                storage[name] = np.zeros(shape, dtype=value.dtype)
            else:
                import torch

                storage[name] = torch.zeros(shape, dtype=value.dtype, device=self.device)
        self._storage = storage
        self._slot_action = np.zeros(self.capacity, dtype=np.int64)

    def _check_fields(self, names, call):
        for name in names:
            if name in _RESERVED:
                raise ValueError(
                    f"{call}: {name!r} is not a field name you can pass; 'state' and "
                    "'action' are the positional arguments and 'weight' is computed by "
                    "sample()."
                )
        if self._storage is not None:
            expected = set(self._storage) - {"state"}
            if set(names) != expected:
                raise ValueError(
                    f"{call}: this buffer stores the extra fields {sorted(expected)}, got "
                    f"{sorted(names)}; every transition needs the same fields."
                )

    @staticmethod
    def _check_actions(actions):
        if hasattr(actions, "detach"):
            actions = actions.detach().cpu().numpy()
        actions = np.asarray(actions)
        if actions.ndim == 0:
            actions = actions.reshape(1)
        if actions.ndim != 1:
            raise ValueError(
                f"actions must be 1-dimensional (one discrete action per transition), got "
                f"shape {actions.shape}."
            )
        if actions.dtype.kind not in "iub" and len(actions):
            raise ValueError(
                f"actions must be integers (discrete actions), got dtype {actions.dtype}."
            )
        if actions.dtype == np.uint64 and len(actions) and actions.max() > _MAX_ACTION:
            raise ValueError(f"actions must be < 2**63, got {int(actions.max())}.")
        actions = actions.astype(np.int64, copy=False)
        if len(actions) and actions.min() < 0:
            raise ValueError(f"actions must be >= 0, got {int(actions.min())}.")
        return actions

    def _evict(self, n):
        """Drop the ``n`` oldest transitions (from their actions' slot lists)."""
        oldest = (self._pos - self._size) % self.capacity
        slots = (oldest + np.arange(n)) % self.capacity
        actions, counts = np.unique(self._slot_action[slots], return_counts=True)
        for action, count in zip(actions.tolist(), counts.tolist()):
            queue = self._queues[action]
            queue.pop(count)
            if not len(queue):
                del self._queues[action]
        self._size -= n

    def _check_castable(self, name, value, call):
        """Refuse values the stored dtype would change (floats into an int field, say):
        a silent cast would store a reward of 1.5 as 1. numpy's ``same_kind`` rule on
        either device (torch's own ``can_cast`` lets int64 into uint8)."""
        stored, given = _numpy_dtype(self._storage[name].dtype), _numpy_dtype(value.dtype)
        if np.can_cast(given, stored, casting="same_kind"):
            self._check_in_range(name, value, stored, call)
            return
        if given.kind == "f" and stored.kind in "biu":
            hint = f"give the first transitions the dtype you mean (e.g. {name}=0.0, not 0)"
        else:
            hint = (
                f"convert the values to {stored} first, or give the first transitions the "
                "dtype you mean"
            )
        raise TypeError(
            f"{call}: {name} has dtype {value.dtype}, but this buffer stores {name} as "
            f"{self._storage[name].dtype} (fixed by the first transitions); the values would "
            f"be cast: {hint}."
        )

    def _check_in_range(self, name, value, stored, call):
        """Refuse values beyond the stored dtype's range (300 into an int8 field would be
        44, 1e6 into float16 inf): ``same_kind`` allows the narrowing, not the change."""
        given = _numpy_dtype(value.dtype)
        if np.can_cast(given, stored, casting="safe") or 0 in tuple(value.shape):
            return
        if stored.kind in "iu" and given.kind in "iu":
            limits = np.iinfo(stored)
        elif stored.kind == "f" and given.kind == "f" and given.itemsize > stored.itemsize:
            limits = np.finfo(stored)
        else:
            return
        low, high = (float(v) for v in (value.min(), value.max()))
        finite = [v for v in (low, high) if np.isfinite(v)]
        if any(v < float(limits.min) or v > float(limits.max) for v in finite):
            raise ValueError(
                f"{call}: {name} has values in [{low:g}, {high:g}], beyond the range of "
                f"{self._storage[name].dtype} in which this buffer stores {name} (fixed by the "
                f"first transitions: [{limits.min}, {limits.max}]); they would change when "
                "stored: give the first transitions the dtype you mean."
            )

    def _write(self, start, k, data):
        first = min(k, self.capacity - start)
        for name, value in data.items():
            store = self._storage[name]
            store[start : start + first] = value[:first]
            if first < k:
                store[: k - first] = value[first:]

    def add(self, state, action, **fields) -> None:
        """Store one transition.

        Parameters
        ----------
        state : array-like
            The observation (any shape; the same shape at every add).
        action : int
            The discrete action, >= 0.
        **fields
            Extra per-transition values kept alongside and returned in batches
            (``reward=1.0, next_state=..., done=False``); the same names at
            every add.
        """
        if isinstance(action, bool) or not isinstance(action, Integral):
            action = self._check_actions(action)
            if len(action) != 1:
                raise ValueError(f"add() takes one action, got {len(action)}; use extend().")
            action = action[0]
        if action < 0:
            raise ValueError(f"actions must be >= 0, got {action}.")
        if action > _MAX_ACTION:  # before any eviction: a failed add keeps the buffer whole
            raise ValueError(f"actions must be < 2**63, got {action}.")
        action = int(action)
        self._check_fields(fields, "add()")
        data = {
            name: self._as_array(value, name) for name, value in (("state", state), *fields.items())
        }
        if self._storage is None:
            self._allocate({name: value[None] for name, value in data.items()})
        pos = self._pos
        for name, value in data.items():
            row = tuple(self._storage[name].shape[1:])
            if tuple(value.shape) != row:
                raise ValueError(
                    f"add(): {name} has shape {tuple(value.shape)}, but this buffer stores "
                    f"{name} of shape {row} per transition."
                )
            self._check_castable(name, value, "add()")
        if self._size == self.capacity:
            self._evict(1)
        for name, value in data.items():
            self._storage[name][pos] = value
        self._slot_action[pos] = action
        queue = self._queues.get(action)
        if queue is None:
            queue = self._queues[action] = _SlotQueue()
        queue.push_one(pos)
        self._pos = (pos + 1) % self.capacity
        self._size += 1

    def extend(self, states, actions, **fields) -> None:
        """Store many transitions at once (rows on the first axis).

        Parameters
        ----------
        states : array-like of shape (n, ...)
            One observation per transition.
        actions : array-like of shape (n,)
            Discrete actions, integers >= 0.
        **fields
            Extra arrays of shape ``(n, ...)`` (``reward=``, ``next_state=``,
            ``done=``, ...), the same names at every call.

        Notes
        -----
        The transitions are stored in order, so when more than ``capacity``
        arrive only the last ``capacity`` are kept, and the buffer's oldest
        ones are evicted first. Cost: O(n) plus a sort of the ``n`` actions.
        """
        actions = self._check_actions(actions)
        self._check_fields(fields, "extend()")
        k = len(actions)
        data = {"state": states, **fields}
        data = {name: self._as_array(value, name) for name, value in data.items()}
        for name, value in data.items():
            if value.ndim == 0 or len(value) != k:
                got = "a scalar" if value.ndim == 0 else f"{len(value)} rows"
                raise ValueError(
                    f"extend(): {name} has {got} but actions has {k}; every field needs "
                    "one row per transition."
                )
        if self._storage is None:
            if k == 0:
                return
            self._allocate(data)
        for name, value in data.items():
            row = tuple(self._storage[name].shape[1:])
            if tuple(value.shape[1:]) != row:
                raise ValueError(
                    f"extend(): {name} has rows of shape {tuple(value.shape[1:])}, but this "
                    f"buffer stores {name} of shape {row} per transition."
                )
            self._check_castable(name, value, "extend()")
        if k == 0:
            return
        if k > self.capacity:  # the first ones would be evicted by the last ones
            actions = actions[-self.capacity :]
            data = {name: value[-self.capacity :] for name, value in data.items()}
            k = self.capacity
        overflow = self._size + k - self.capacity
        if overflow > 0:
            self._evict(overflow)
        start = self._pos
        self._write(start, k, data)
        slots = (start + np.arange(k)) % self.capacity
        self._slot_action[slots] = actions
        order = np.argsort(actions, kind="stable")
        grouped = slots[order]
        values, starts = np.unique(actions[order], return_index=True)
        bounds = [*starts.tolist(), k]
        for i, action in enumerate(values.tolist()):
            queue = self._queues.get(action)
            if queue is None:
                queue = self._queues[action] = _SlotQueue()
            queue.push(grouped[bounds[i] : bounds[i + 1]])
        self._pos = (start + k) % self.capacity
        self._size += k

    def __len__(self) -> int:
        return self._size

    def action_counts(self) -> dict[int, int]:
        """Transitions of each action in the buffer now, ``{action: count}`` (sorted)."""
        return {a: len(self._queues[a]) for a in sorted(self._queues)}

    # ------------------------------------------------------------- sampling

    def _mix(self, step, actions, counts):
        """Target fractions (a list) of ``actions`` with ``counts`` rows at ``step``."""
        spec = self._fixed_mix
        if spec is None:
            spec = _check_strategy_spec(self.strategy(step), name="strategy(step)")
        k = len(counts)
        if spec == "balanced":
            return [1.0 / k] * k
        total = sum(counts)
        if spec == "natural":
            return [c / total for c in counts]
        if isinstance(spec, float):
            return [(1.0 - spec) / k + spec * c / total for c in counts]
        if spec == "sqrt":
            roots = [math.sqrt(c) for c in counts]
            norm = sum(roots)
            return [r / norm for r in roots]
        shares = [float(spec.get(a, 0.0)) for a in actions]
        norm = sum(shares)
        if norm <= 0:
            raise ValueError(
                f"strategy gives no fraction to any action the buffer holds ({actions}); "
                "give at least one of them a fraction > 0."
            )
        return [share / norm for share in shares]

    def action_fractions(self, step: int | None = None) -> dict[int, float]:
        """The action mix :meth:`sample` aims at, at ``step`` (default: the next one).

        Computed over the actions the buffer holds now; the counts of a batch
        are these fractions times the batch size, rounded (largest remainder).
        """
        actions, counts = self._present()
        step = self.step if step is None else _check_step(step, "step")
        return dict(zip(actions, self._mix(step, actions, counts)))

    def _present(self):
        """The actions the buffer holds (sorted) and their counts, as lists."""
        if not self._size:
            raise ValueError("the buffer is empty: add() or extend() transitions first.")
        actions = sorted(self._queues)
        return actions, [len(self._queues[a]) for a in actions]

    def _counts(self, batch_size, shares, n_rows):
        """Rows of each action in a batch (a list): exact, capped by ``max_repeat``."""
        rng = self._rng
        if self.max_repeat is None:
            return _largest_remainder(batch_size, shares, rng)
        cap = [self.max_repeat * n for n in n_rows]
        if sum(cap) < batch_size:
            raise ValueError(
                f"batch_size={batch_size} is more than the buffer can give with "
                f"max_repeat={self.max_repeat}: {sum(n_rows)} transitions, each at most "
                f"{self.max_repeat} times ({sum(cap)} rows)."
            )
        counts = [0] * len(shares)
        open_ = [j for j, share in enumerate(shares) if share > 0]
        weights = shares
        remaining = batch_size
        while remaining > 0:
            if not open_:  # every action with a fraction is full: the others share
                open_ = [j for j in range(len(counts)) if counts[j] < cap[j]]
                weights = [float(n) for n in n_rows]
            norm = sum(weights[j] for j in open_)
            alloc = _largest_remainder(remaining, [weights[j] / norm for j in open_], rng)
            if all(c <= cap[j] - counts[j] for j, c in zip(open_, alloc)):
                for j, c in zip(open_, alloc):
                    counts[j] += c
                break
            # fill the actions that overflow, hand what they cannot take to the rest
            still_open = []
            for j, c in zip(open_, alloc):
                if c >= cap[j] - counts[j]:
                    remaining -= cap[j] - counts[j]
                    counts[j] = cap[j]
                else:
                    still_open.append(j)
            open_ = still_open
        return counts

    def sample(self, batch_size: int, step: int | None = None) -> dict:
        """Draw a batch with the action mix of ``strategy``.

        Parameters
        ----------
        batch_size : int
            Rows in the batch (>= 1); the per-action counts are exact: the
            mix times ``batch_size``, rounded by largest remainder (ties at
            random), then capped by ``max_repeat``.
        step : int or None, default=None
            The step a schedule (callable ``strategy``) is evaluated at;
            ``None`` uses :attr:`step`. Either way :attr:`step` becomes
            ``step + 1``.

        Returns
        -------
        dict
            ``"state"``, ``"action"``, the extra fields and ``"weight"`` (see
            Notes of the class), numpy arrays or tensors on the device.

        Raises
        ------
        ValueError
            For an empty buffer, a bad ``batch_size``, or a batch that
            ``max_repeat`` makes impossible.

        Examples
        --------
        >>> import numpy as np
        >>> from skimbnet import ActionBalancedReplay
        >>> buffer = ActionBalancedReplay(100, strategy={0: 0.5, 1: 0.3, 2: 0.2}, random_state=0)
        >>> buffer.extend(np.zeros((100, 2)), np.repeat([0, 1, 2], [80, 15, 5]))
        >>> batch = buffer.sample(10)
        >>> np.bincount(batch["action"]).tolist()
        [5, 3, 2]
        >>> round(float(batch["weight"].mean()), 6)   # weights: mean 1 ...
        1.0
        >>> sorted(set(np.round(batch["weight"], 3).tolist()))   # ... 0.05/0.2, 0.15/0.3, 0.8/0.5
        [0.25, 0.5, 1.6]
        """
        if isinstance(batch_size, bool) or not isinstance(batch_size, Integral) or batch_size < 1:
            raise ValueError(f"batch_size must be an integer >= 1, got {batch_size!r}.")
        batch_size = int(batch_size)
        step = self.step if step is None else _check_step(step, "step")
        actions, n_rows = self._present()
        counts = self._counts(batch_size, self._mix(step, actions, n_rows), n_rows)
        self.step = step + 1

        rng = self._rng
        drawn = [j for j, c in enumerate(counts) if c]
        counts_drawn = [counts[j] for j in drawn]
        n_drawn = [n_rows[j] for j in drawn]
        # rows within each action: one vectorised uniform draw with replacement ...
        k_idx = np.arange(len(drawn)).repeat(counts_drawn)  # block of each row
        pos = rng.random(batch_size)
        pos *= np.array(n_drawn, dtype=np.float64)[k_idx]
        pos = pos.astype(np.int64)
        # ... then as few repeats as possible: an action drawn c >= n times shows
        # each of its n rows c // n or c // n + 1 times; one with more rows than
        # draws shows distinct rows (the draw above is kept when it repeats no
        # row, almost always when n >> c, else redrawn without replacement)
        redo = {b for b, (c, n) in enumerate(zip(counts_drawn, n_drawn)) if c >= n}
        width = max(n_drawn) + 1
        key = k_idx * width
        key += pos
        key.sort()
        repeated = key[1:] == key[:-1]
        if repeated.any():
            redo.update((key[1:][repeated] // width).tolist())
        ends = list(accumulate(counts_drawn))
        for b in sorted(redo):
            c, n = counts_drawn[b], n_drawn[b]
            if c >= n:
                full, rest = divmod(c, n)
                block = np.tile(np.arange(n), full)
                if rest:
                    block = np.concatenate([block, rng.choice(n, size=rest, replace=False)])
            else:
                block = rng.choice(n, size=c, replace=False)
            pos[ends[b] - c : ends[b]] = block
        slots = np.empty(batch_size, dtype=np.int64)
        start = 0
        for b, end in enumerate(ends):
            queue = self._queues[actions[drawn[b]]]
            queue.arr[queue.head : queue.end].take(pos[start:end], out=slots[start:end])
            start = end
        # importance weights back to the natural mix, mean 1 over the batch:
        # (n_a / N) / (c_a / B), over the sum of n_a / N of the actions drawn
        n_total = sum(n_drawn)
        weight = np.array(
            [batch_size * n / (n_total * c) for c, n in zip(counts_drawn, n_drawn)],
            dtype=self._weight_dtype,
        )
        action = np.array([actions[j] for j in drawn], dtype=np.int64)
        perm = rng.permutation(batch_size)
        k_idx = k_idx[perm]
        return self._gather(slots[perm], action[k_idx], weight[k_idx])

    @property
    def _weight_dtype(self):
        """float64 for numpy batches, torch's default float dtype for tensors."""
        if self.device is None:
            return np.float64
        import torch

        return _NUMPY_FLOATS.get(torch.get_default_dtype(), np.float32)

    def _gather(self, slots, row_action, row_weight):
        if self.device is None:
            batch = {name: np.take(store, slots, axis=0) for name, store in self._storage.items()}
            batch["action"] = row_action
            batch["weight"] = row_weight
            return batch
        import torch

        if self.device.type == "cpu":
            index = torch.from_numpy(slots)
            action = torch.from_numpy(row_action)
            weight = torch.from_numpy(row_weight)
        else:  # one host-to-device copy: slots, actions and the weights' bits
            packed = np.stack([slots, row_action, row_weight.astype(np.float64).view(np.int64)])
            packed = torch.from_numpy(packed).to(self.device, non_blocking=True)
            index, action = packed[0], packed[1]
            weight = packed[2].view(torch.float64).to(torch.get_default_dtype())
        batch = {name: store.index_select(0, index) for name, store in self._storage.items()}
        batch["action"] = action
        batch["weight"] = weight
        return batch

    def reseed(self, seed=None) -> None:
        """Restart the draws from ``seed`` (``None``: fresh entropy); contents and step stay.

        For copies that should not draw the same batches, such as the buffer
        held by a ``Dataset`` in each ``DataLoader`` worker: a module-level
        ``worker_init_fn`` (picklable under the "spawn" start method) that
        calls ``torch.utils.data.get_worker_info().dataset.buffer.reseed(
        torch.initial_seed() % 2**32)``; or ``reseed(seed + rank)`` in each
        process.

        Examples
        --------
        >>> import pickle
        >>> import numpy as np
        >>> from skimbnet import ActionBalancedReplay
        >>> buffer = ActionBalancedReplay(100, random_state=0)
        >>> buffer.extend(np.arange(100.0)[:, None], np.arange(100) % 2)
        >>> copy = pickle.loads(pickle.dumps(buffer))
        >>> bool((copy.sample(8)["state"] == buffer.sample(8)["state"]).all())
        True
        >>> copy.reseed(1)
        >>> bool((copy.sample(8)["state"] == buffer.sample(8)["state"]).all())
        False
        """
        _check_seed(seed, "seed")
        self._rng = np.random.default_rng(seed)

    # ---------------------------------------------------------- persistence

    def _chronological_slots(self):
        oldest = (self._pos - self._size) % self.capacity
        return (oldest + np.arange(self._size)) % self.capacity

    def state_dict(self) -> dict:
        """The buffer's contents and random state, to restore with :meth:`load_state_dict`.

        Returns
        -------
        dict
            ``"fields"``: ``{name: rows}``, the stored transitions oldest
            first (numpy arrays, or tensors on the buffer's device), with
            ``"action"``; ``"step"``; ``"rng"``: the numpy generator's state;
            ``"version"``. The configuration (capacity, strategy, ...) is not
            part of it, as with ``torch.nn.Module.state_dict``.

        Examples
        --------
        >>> import numpy as np
        >>> from skimbnet import ActionBalancedReplay
        >>> buffer = ActionBalancedReplay(3, random_state=0)
        >>> buffer.extend(np.arange(5.0)[:, None], [0, 1, 0, 1, 1])  # keeps the last 3
        >>> state = buffer.state_dict()
        >>> state["fields"]["state"].ravel().tolist(), state["fields"]["action"].tolist()
        ([2.0, 3.0, 4.0], [0, 1, 1])
        >>> copy = ActionBalancedReplay(3)
        >>> copy.load_state_dict(state)
        >>> copy.sample(4)["state"].ravel().tolist() == buffer.sample(4)["state"].ravel().tolist()
        True
        """
        fields = {}
        if self._storage is not None:
            slots = self._chronological_slots()
            actions = self._slot_action[slots]
            if self.device is None:
                fields = {n: np.take(s, slots, axis=0) for n, s in self._storage.items()}
                fields["action"] = actions
            else:
                import torch

                index = torch.from_numpy(slots).to(self.device)
                fields = {n: s.index_select(0, index) for n, s in self._storage.items()}
                fields["action"] = torch.from_numpy(actions).to(self.device)
        return {
            "version": _STATE_VERSION,
            "fields": fields,
            "step": self.step,
            "rng": self._rng.bit_generator.state,
        }

    def load_state_dict(self, state: dict) -> None:
        """Replace the contents, step and random state with those of :meth:`state_dict`.

        The rows may come from a buffer with numpy or torch storage, on any
        device; they are converted to this buffer's (bfloat16 rows become float32
        in numpy storage, which has no bfloat16). A buffer restored from a
        state dict draws the same batches as the one it was taken from (same
        strategy and ``max_repeat``). When the state holds more transitions
        than ``capacity``, the oldest are evicted.
        """
        if not isinstance(state, dict) or not {"fields", "step", "rng"} <= set(state):
            raise ValueError(
                "state must be a dict from ActionBalancedReplay.state_dict() with the keys "
                f"'fields', 'step' and 'rng', got {type(state).__name__}"
                + (f" with keys {sorted(state)}." if isinstance(state, dict) else ".")
            )
        if state.get("version", _STATE_VERSION) > _STATE_VERSION:
            raise ValueError(
                f"state has version {state['version']}; this skimbnet reads versions up to "
                f"{_STATE_VERSION}."
            )
        fields = dict(state["fields"])
        if fields and ("state" not in fields or "action" not in fields):
            raise ValueError("state['fields'] must hold 'state' and 'action'.")
        step = _check_step(state["step"], "state['step']")
        rng = np.random.Generator(type(self._rng.bit_generator)())
        try:
            rng.bit_generator.state = state["rng"]
        except (TypeError, ValueError, KeyError) as exc:
            raise ValueError(
                f"state['rng'] is not the state of a {type(rng.bit_generator).__name__} "
                f"generator (from state_dict()): {exc}"
            ) from exc
        # the contents are replaced last, and only whole: a bad state leaves the buffer as it was
        with KeptOnError(self):
            self._storage = None
            self.clear()
            if fields:
                states, actions = fields.pop("state"), fields.pop("action")
                # the layout comes with the fields, even without rows (a cleared buffer's):
                # read from their first zero rows, so the rows are converted once (by extend)
                layout = {"state": states, **fields}
                self._allocate(
                    {name: self._as_array(_no_rows(v), name) for name, v in layout.items()}
                )
                self.extend(states, actions, **fields)
        self.step, self._rng = step, rng

    def __getstate__(self):
        config = {
            "capacity": self.capacity,
            "strategy": self.strategy,
            "max_repeat": self.max_repeat,
            "random_state": self.random_state,
            "device": None if self.device is None else str(self.device),
        }
        state = self.state_dict()
        if self.device is not None:
            # tensors by value, as torch.save writes them: multiprocessing's pickler would
            # send a tensor as a shared-memory handle, and state_dict's rows are temporary
            # copies, freed before a "spawn" process or DataLoader worker opens them
            import torch

            stored = io.BytesIO()
            torch.save(state["fields"], stored)
            state["fields"] = stored.getvalue()
        return {"config": config, "state": state}

    def __setstate__(self, state):
        self.__init__(**state["config"])
        state = state["state"]
        if isinstance(state["fields"], bytes):
            import torch

            fields = torch.load(io.BytesIO(state["fields"]), map_location="cpu", weights_only=True)
            state = {**state, "fields": fields}
        self.load_state_dict(state)

    def __repr__(self) -> str:
        strategy = getattr(self.strategy, "__name__", None) or repr(self.strategy)
        device = "" if self.device is None else f", device={str(self.device)!r}"
        return (
            f"ActionBalancedReplay(capacity={self.capacity}, strategy={strategy}, "
            f"max_repeat={self.max_repeat}, len={self._size}, "
            f"actions={self.action_counts()}{device})"
        )


def _no_rows(value):
    """``value[:0]``: its dtype and row shape, none of its rows (a tensor stays one)."""
    return value[:0] if hasattr(value, "detach") else np.asarray(value)[:0]


def _check_seed(seed, name) -> None:
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, Integral) or seed < 0):
        raise ValueError(f"{name} must be None or a non-negative integer, got {seed!r}.")


def _check_step(step, name) -> int:
    """``step`` as an int >= 0: Python, numpy and torch integers (``operator.index``)."""
    try:
        value = None if isinstance(step, bool) else operator.index(step)
    except TypeError:
        value = None
    if value is None or value < 0:
        raise ValueError(f"{name} must be an integer >= 0, got {step!r}.")
    return value


def _numpy_dtype(dtype) -> np.dtype:
    """``dtype`` (numpy's or torch's) as numpy's; torch's are mapped through a 0-d tensor."""
    if isinstance(dtype, np.dtype):
        return dtype
    import torch

    if dtype == torch.bfloat16:  # no numpy twin: a float all the same
        return np.dtype(np.float32)
    return torch.empty((), dtype=dtype).numpy().dtype
