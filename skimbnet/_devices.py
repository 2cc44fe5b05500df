"""Torch devices: an unknown or absent one is an error naming it (never a silent CPU run)."""

from __future__ import annotations

import torch


def available_devices() -> list[str]:
    """The devices this machine has: ``cpu``, and ``cuda``, ``cuda:<i>``, ``mps`` when present."""
    names = ["cpu"]
    if torch.cuda.is_available():
        names += ["cuda"] + [f"cuda:{i}" for i in range(torch.cuda.device_count())]
    if torch.backends.mps.is_available():
        names.append("mps")
    return names


def check_device(device) -> torch.device:
    """``device`` as a ``torch.device``, or a ValueError naming it and what is here."""
    try:
        parsed = torch.device(device)
    except (RuntimeError, TypeError, ValueError) as exc:
        raise ValueError(
            f"device={device!r} is not a torch device ({exc}); available here: "
            f"{available_devices()}."
        ) from None
    absent = (
        (parsed.type == "cuda" and not torch.cuda.is_available())
        or (
            parsed.type == "cuda"
            and parsed.index is not None
            and parsed.index >= torch.cuda.device_count()
        )
        or (parsed.type == "mps" and not torch.backends.mps.is_available())
        or parsed.type not in ("cpu", "cuda", "mps")
    )
    if absent:
        raise ValueError(
            f"device={device!r} is not available on this machine; available here: "
            f"{available_devices()}."
        )
    return parsed
