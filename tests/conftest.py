"""Shared test settings."""

import pytest
import torch


@pytest.fixture(autouse=True)
def one_torch_thread():
    # tiny networks train fastest on one thread, and 2-core CI machines do not
    # oversubscribe when pytest and torch both want the cores
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)
