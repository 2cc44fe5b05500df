"""Class-balanced batches under DistributedDataParallel, on two CPU processes.

Two processes (the gloo backend, on 127.0.0.1 only) train one small network
together on a 95/5 problem. Each builds the same ``ClassBalancedSampler``: it
reads ``num_replicas`` and ``rank`` from ``torch.distributed``, so every rank
shows its own disjoint half of the same balanced epoch, and ``set_epoch`` moves
both ranks to the next one, as with torch's ``DistributedSampler``::

    python examples/ddp_balanced_sampler.py

It takes a few seconds and prints each rank's rows and rare-class share per
epoch, then the balanced accuracy on held-out rows. No figure; nothing is
written. See docs/guide/replay.md, "Training across processes".
"""

from __future__ import annotations

import os
import socket
import sys

import numpy as np
import torch
import torch.distributed as dist
import torch.multiprocessing as mp
from sklearn.datasets import make_classification
from sklearn.metrics import balanced_accuracy_score
from sklearn.model_selection import train_test_split
from torch import nn
from torch.nn.parallel import DistributedDataParallel
from torch.utils.data import DataLoader, TensorDataset

from skimbnet import ClassBalancedSampler

WORLD_SIZE = 2
EPOCHS = 5


def free_port() -> int:
    """A TCP port on the loopback interface that nothing listens on now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def say(line: str) -> None:
    """Print one line in one write, so the two processes' lines do not interleave."""
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def data():
    """The same split on every rank (fixed seeds)."""
    X, y = make_classification(
        n_samples=6000,
        n_features=10,
        n_informative=5,
        weights=[0.95],
        flip_y=0.01,
        random_state=0,
    )
    return train_test_split(X.astype(np.float32), y, test_size=0.3, stratify=y, random_state=0)


def train(rank: int, world_size: int, port: int) -> None:
    """One process: join the gloo group on loopback, train, leave the group together."""
    torch.set_num_threads(1)
    os.environ["MASTER_ADDR"] = "127.0.0.1"
    os.environ["MASTER_PORT"] = str(port)
    if sys.platform.startswith("linux"):  # gloo's own connections on loopback too
        os.environ.setdefault("GLOO_SOCKET_IFNAME", "lo")
    dist.init_process_group("gloo", rank=rank, world_size=world_size)
    try:
        # the DDP model lives inside fit_and_score: its reducer holds the process
        # group, and a group torn down at interpreter exit can abort the process
        fit_and_score(rank)
        dist.barrier()  # no rank closes its connections while the other still uses them
    finally:
        dist.destroy_process_group()


def fit_and_score(rank: int) -> None:
    """Train one DDP model on this rank's shards; rank 0 scores it on held-out rows."""
    X_train, X_test, y_train, y_test = data()
    dataset = TensorDataset(torch.from_numpy(X_train), torch.from_numpy(y_train))
    # num_replicas and rank come from torch.distributed; the seed must be the
    # same on every rank (random_state=None would broadcast rank 0's)
    sampler = ClassBalancedSampler().build(y_train, random_state=0)
    loader = DataLoader(dataset, batch_size=64, sampler=sampler)

    torch.manual_seed(0)  # the same initial weights on every rank
    model = DistributedDataParallel(nn.Sequential(nn.Linear(10, 32), nn.ReLU(), nn.Linear(32, 2)))
    optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)
    loss_fn = nn.CrossEntropyLoss()
    for epoch in range(EPOCHS):
        sampler.set_epoch(epoch)
        rows = rare = 0
        for xb, yb in loader:
            optimizer.zero_grad()
            loss_fn(model(xb), yb).backward()  # DDP averages the gradients
            optimizer.step()
            rows += len(yb)
            rare += int(yb.sum())
        say(f"rank {rank} epoch {epoch}: {rows} rows, rare share {rare / rows:.2f}")

    if rank == 0:
        with torch.no_grad():
            predicted = model(torch.from_numpy(X_test)).argmax(1).numpy()
        score = balanced_accuracy_score(y_test, predicted)
        say(f"held-out balanced accuracy: {score:.3f}")


def main() -> None:
    mp.spawn(train, args=(WORLD_SIZE, free_port()), nprocs=WORLD_SIZE, join=True)


if __name__ == "__main__":
    main()
