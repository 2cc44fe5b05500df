"""Samplers sharded across two real processes (gloo backend, loopback only)."""

import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.distributed as dist
import torch.multiprocessing as mp

from skimbnet import ActionBalancedReplay, ClassBalancedSampler
from skimbnet.sampling import resolve_sampler

ALIASES = ["natural", "balanced", "sqrt", "progressive", "undersample"]
WORLD_SIZE = 2
EPOCHS = 2
# 10,001 rows (odd: the ranks need padding), a long tail 80 / 15 / 4 / 1 %
COUNTS = np.array([8001, 1500, 400, 100])
EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "ddp_balanced_sampler.py"

pytestmark = pytest.mark.skipif(
    not dist.is_available() or not dist.is_gloo_available(),
    reason="torch.distributed with the gloo backend is not available",
)


def labels():
    y = np.repeat(np.arange(4), COUNTS)
    np.random.default_rng(0).shuffle(y)
    return y


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _worker(rank, world_size, port, out_dir):
    """One rank: build every sampler from torch.distributed and save what it draws."""
    torch.set_num_threads(1)
    os.environ["MASTER_ADDR"] = "127.0.0.1"
    os.environ["MASTER_PORT"] = str(port)
    if sys.platform.startswith("linux"):  # gloo's own connections on loopback too
        os.environ.setdefault("GLOO_SOCKET_IFNAME", "lo")
    dist.init_process_group("gloo", rank=rank, world_size=world_size)
    try:
        y = labels()
        drawn = {}
        for alias in ALIASES:
            sampler = resolve_sampler(alias).build(y, max_epochs=3, random_state=11)
            assert (sampler.num_replicas, sampler.rank) == (world_size, rank)
            for epoch in range(EPOCHS):
                sampler.set_epoch(epoch)
                drawn[f"{alias}/{epoch}"] = sampler.indices()
            drawn[f"{alias}/len"] = np.array([len(sampler)])
        # no seed: rank 0's fresh seed is broadcast, so the ranks still share a stream
        fresh = ClassBalancedSampler().build(y)
        drawn["fresh/seed"] = np.array([fresh.random_state])
        drawn["fresh/0"] = fresh.indices()
        # a replay buffer is per process: each rank samples its own
        buffer = ActionBalancedReplay(1000, random_state=rank)
        buffer.extend(np.arange(1000)[:, None], y[:1000])
        drawn["replay"] = buffer.sample(64)["action"]
        np.savez(Path(out_dir) / f"rank{rank}.npz", **drawn)
    finally:
        dist.destroy_process_group()


def run_ranks(tmp_path, timeout=240):
    context = mp.spawn(
        _worker, args=(WORLD_SIZE, free_port(), str(tmp_path)), nprocs=WORLD_SIZE, join=False
    )
    deadline = time.monotonic() + timeout
    while not context.join(timeout=2):  # re-raises a rank's exception
        if time.monotonic() > deadline:
            for process in context.processes:
                process.kill()
            pytest.fail(f"the {WORLD_SIZE} ranks did not finish within {timeout} s")
    return [dict(np.load(tmp_path / f"rank{r}.npz")) for r in range(WORLD_SIZE)]


def test_two_gloo_ranks_draw_disjoint_shards_of_the_single_process_epoch(tmp_path):
    ranks = run_ranks(tmp_path)
    y = labels()
    for alias in ALIASES:
        single = resolve_sampler(alias).build(y, max_epochs=3, random_state=11)
        for epoch in range(EPOCHS):
            single.set_epoch(epoch)
            epoch_rows = single.indices()
            parts = [r[f"{alias}/{epoch}"] for r in ranks]
            # equal lengths, ceil(epoch / 2) each
            size = -(-len(epoch_rows) // WORLD_SIZE)
            assert [len(p) for p in parts] == [size] * WORLD_SIZE
            assert all(int(r[f"{alias}/len"][0]) == size for r in ranks)
            # the union is the single-process epoch, plus the padding (its first row)
            pad = size * WORLD_SIZE - len(epoch_rows)
            union = np.sort(np.concatenate(parts))
            expected = np.sort(np.concatenate([epoch_rows, epoch_rows[:pad]]))
            np.testing.assert_array_equal(union, expected, err_msg=f"{alias} epoch {epoch}")
            # each rank's class mix is the epoch's (up to one row per class)
            epoch_counts = np.bincount(y[epoch_rows], minlength=4)
            target = single.class_probabilities(epoch)
            for part in parts:
                counts = np.bincount(y[part], minlength=4)
                assert np.all(np.abs(counts - epoch_counts / WORLD_SIZE) <= 1 + pad)
                np.testing.assert_allclose(counts / len(part), target, atol=0.02)
        # each epoch is a new draw
        assert not np.array_equal(ranks[0][f"{alias}/0"], ranks[0][f"{alias}/1"])
    # random_state=None: both ranks use rank 0's seed
    assert ranks[0]["fresh/seed"][0] == ranks[1]["fresh/seed"][0]
    fresh = ClassBalancedSampler().build(y, random_state=int(ranks[0]["fresh/seed"][0]))
    rows = fresh.indices()
    np.testing.assert_array_equal(
        np.sort(np.concatenate([ranks[0]["fresh/0"], ranks[1]["fresh/0"]])),
        np.sort(np.concatenate([rows, rows[: len(rows) % WORLD_SIZE]])),
    )
    for r in ranks:
        assert np.bincount(r["replay"], minlength=4).tolist() == [16, 16, 16, 16]


def test_ddp_example_trains_on_two_processes():
    pytest.importorskip("sklearn")
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    result = subprocess.run(
        [sys.executable, str(EXAMPLE)],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    for rank in range(WORLD_SIZE):
        epochs = re.findall(rf"rank {rank} epoch \d+: (\d+) rows, rare share ([\d.]+)", out)
        assert len(epochs) == 5, out
        assert all(rows == "2100" for rows, _ in epochs), out
        assert all(0.45 <= float(share) <= 0.55 for _, share in epochs), out  # balanced
    score = float(re.search(r"held-out balanced accuracy: ([\d.]+)", out).group(1))
    assert score > 0.75
