"""`skimbnet compare` fails fast on bad output paths and worker counts, and stops on Ctrl-C."""

import os
import signal
import subprocess
import sys
import time

import pytest

from skimbnet.cli import main

QUICK = ["compare", "--dataset", "digits_8", "--strategies", "plain", "--no-progress"]


@pytest.mark.parametrize(
    "extra, message",
    [
        (["--json", "/nonexistent_dir/x.json"], "--json /nonexistent_dir/x.json: the folder"),
        (["--plot", "/nonexistent_dir/x.png"], "--plot /nonexistent_dir/x.png: the folder"),
        (["--n-jobs", "0"], "--n-jobs must be a positive number"),
        (["--random-state", "-1"], "--random-state must be in [0, 2**32 - 1]"),
        (["--strategies", " , "], "--strategies needs at least one strategy key"),
        (["--strategies", "plain,nope"], "unknown strategy nope; choose from"),
        (["--cv", "1"], "--cv must be at least 2"),
        (["--plot", "board.xyz"], "--plot board.xyz: matplotlib cannot write .xyz files"),
        (["--json", "same.png", "--plot", "same.png"], "--json and --plot are the same file"),
    ],
)
def test_bad_output_paths_and_worker_counts_exit_2_before_any_fit(extra, message, capsys):
    assert main([*QUICK, *extra]) == 2
    captured = capsys.readouterr()
    assert message in captured.err
    assert "Data:" not in captured.out  # nothing was loaded or fitted


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--n-samples", "0", "demo"], "--n-samples must be at least 200"),
        (["demo", "--rare-share", "1.5"], "--rare-share must be in (0, 0.5)"),
        (["--rare-share", "0.7", "demo", "--n-samples", "300"], "--rare-share must be in"),
        (["demo", "--random-state", "-1"], "--random-state must be in [0, 2**32 - 1]"),
    ],
)
def test_demo_options_are_checked_before_or_after_the_word_demo(argv, message, capsys):
    assert main(argv) == 2
    assert message in capsys.readouterr().err


@pytest.mark.parametrize(
    "argv, seed",
    [
        (["--random-state", "7", "compare"], 7),
        (["compare", "--random-state", "7"], 7),
        (["--random-state", "3", "compare", "--random-state", "7"], 7),
        (["compare"], 0),
        (["--random-state", "7", "demo"], 7),
        (["demo"], 0),
    ],
)
def test_the_seed_is_taken_before_or_after_the_command(argv, seed, monkeypatch):
    from skimbnet import cli

    seen = []
    monkeypatch.setattr(cli, "_compare", lambda args: seen.append(args.random_state) or 0)
    monkeypatch.setattr(cli, "_demo", lambda args: seen.append(args.random_state) or 0)
    assert main(argv) == 0
    assert seen == [seed]


def test_demo_options_before_compare_are_an_error(capsys):
    assert main(["--n-samples", "300", "--rare-share", "0.1", "compare"]) == 2
    assert "--n-samples and --rare-share belong to demo, not to compare" in capsys.readouterr().err


def test_one_job_starts_no_worker_process(monkeypatch, capsys):
    from joblib.externals.loky import process_executor

    started = []
    original = process_executor.ProcessPoolExecutor.__init__

    def spy(self, *args, **kwargs):
        started.append(True)
        original(self, *args, **kwargs)

    monkeypatch.setattr(process_executor.ProcessPoolExecutor, "__init__", spy)
    argv = [
        "compare",
        "--dataset",
        "digits_8",
        "--strategies",
        "bootstrap_ensemble",
        "--max-epochs",
        "2",
        "--cv",
        "2",
        "--n-jobs",
        "1",
        "--no-progress",
    ]
    assert main(argv) == 0
    assert not started


@pytest.mark.skipif(sys.platform == "win32", reason="SIGINT to a child process")
def test_ctrl_c_stops_the_whole_run_with_exit_130(tmp_path):
    argv = [
        sys.executable,
        "-m",
        "skimbnet",
        "compare",
        "--dataset",
        "digits_8",
        "--strategies",
        "plain,class_weight",
        "--n-jobs",
        "1",
        "--no-progress",
        "--max-epochs",
        "100000",
    ]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    proc = subprocess.Popen(
        argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=tmp_path, env=env
    )
    line = proc.stdout.readline()  # "Data: ..." is printed before the first fit
    assert line.startswith("Data:")
    time.sleep(3)  # inside a network's fit
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130
    assert err.strip().splitlines()[-1] == "skimbnet compare: interrupted"
    assert "Winner" not in out
