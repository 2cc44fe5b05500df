"""What the example scripts share: their command line and how they save their figure.

Each script runs as ``python examples/<script>.py [OUTPUT_DIR]`` and writes one
PNG there (default: ``docs/figures/``, the figures the documentation shows).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

#: where the committed figures live
DEFAULT_OUT = Path(__file__).resolve().parents[1] / "docs" / "figures"


def output_dir(doc: str, argv=None) -> Path:
    """The script's ``OUTPUT_DIR`` argument; ``doc`` (its docstring) describes it in ``--help``."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("output_dir", nargs="?", type=Path, default=DEFAULT_OUT)
    return parser.parse_args(argv).output_dir


def save_figure(fig, directory: Path, filename: str, start: float) -> Path:
    """Write ``fig`` to ``directory / filename`` (100 dpi) and say how long the script took."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / filename
    fig.savefig(path, dpi=100)
    print(f"wrote {path} in {time.perf_counter() - start:.1f} s")
    return path
