"""The example scripts run and draw their figure (into a temporary directory).

Each script is run as a user runs it, ``python examples/<name>.py OUTPUT_DIR``,
in a subprocess with one torch thread; the committed figures under
``docs/figures/`` are never overwritten.
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"

pytest.importorskip("matplotlib")
pytest.importorskip("imblearn")

SCRIPTS = {
    "plot_confusion_matrices.py": "confusion_matrices.png",
    "plot_precision_recall.py": "precision_recall.png",
    "plot_training_curves.py": "training_curves.png",
    "plot_sampler_shares.py": "sampler_shares.png",
    "plot_lunar_lander.py": "lunar_lander.png",
}


def _run(script, out_dir):
    env = {**os.environ, "OMP_NUM_THREADS": "1", "MPLBACKEND": "Agg"}
    return subprocess.run(
        [sys.executable, str(EXAMPLES / script), str(out_dir)],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=False,
    )


def test_every_example_is_listed():
    assert sorted(p.name for p in EXAMPLES.glob("plot_*.py")) == sorted(SCRIPTS)


@pytest.mark.slow
@pytest.mark.parametrize("script", sorted(SCRIPTS))
def test_example_writes_its_figure(script, tmp_path):
    if script == "plot_lunar_lander.py":
        pytest.importorskip("gymnasium")
        pytest.importorskip("Box2D")
    result = _run(script, tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    png = tmp_path / SCRIPTS[script]
    assert png.exists(), result.stdout + result.stderr
    data = png.read_bytes()
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    assert len(data) > 20_000  # a drawn figure, not an empty canvas
    assert list(tmp_path.iterdir()) == [png]  # writes nothing else


def test_lunar_lander_example_skips_without_gymnasium(tmp_path):
    # a site-customisation that hides gymnasium, as on a machine without the games extra
    hide = tmp_path / "hide"
    hide.mkdir()
    (hide / "sitecustomize.py").write_text(
        "import importlib.util as u\n"
        "_find = u.find_spec\n"
        "u.find_spec = lambda name, *a, **k: None if name.split('.')[0] in "
        "('gymnasium', 'Box2D') else _find(name, *a, **k)\n"
    )
    out = tmp_path / "out"
    env = {**os.environ, "PYTHONPATH": str(hide), "MPLBACKEND": "Agg"}
    result = subprocess.run(
        [sys.executable, str(EXAMPLES / "plot_lunar_lander.py"), str(out)],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "skipped" in result.stdout
    assert not out.exists()
