"""Slow tier: real processes. Two trainings racing for one folder; SIGKILL at random (seeded) moments.

Each test starts `python -m cnnapp.train` processes (a TensorFlow start-up each, ~5-20 s on a shared 2-core
machine), so they run with `-m slow`; the same lock and restart logic is covered in-process by test_faults.py
and test_one_core.py.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from cnnapp.runs import RunDir
from tests.reliability.conftest import train_argv

ROOT = Path(__file__).resolve().parents[2]
# Longer than the suite's tiny run, so that a kill can land in any phase: start-up, data, epochs, report.
LONGER = ["train.epochs=5", "train.steps_per_epoch=8", "data.limit=400"]


def _start(argv: list[str]) -> subprocess.Popen:
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2", "PYTHONPATH": str(ROOT)}
    return subprocess.Popen(
        [sys.executable, "-m", "cnnapp.train", *argv],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )


def _arrays(run_dir: Path) -> dict[str, np.ndarray]:
    with np.load(RunDir(run_dir).state_file) as data:
        return {k: data[k] for k in data.files if k != "extra"}


@pytest.mark.slow
def test_two_trainings_started_together_leave_one_run_and_one_refusal(tmp_path):
    out = tmp_path / "race"
    rates = ("0.02", "0.002")
    processes = [_start(train_argv(out, *LONGER, f"optimizer.lr={lr}")) for lr in rates]
    errors = [p.communicate(timeout=600)[1] for p in processes]
    codes = [p.returncode for p in processes]
    assert sorted(codes) == [0, 2], (codes, errors)
    winner, loser = codes.index(0), codes.index(2)
    # TensorFlow's C++ start-up notes go to stderr too; cnnapp's own output is the one error line, last.
    last = errors[loser].strip().splitlines()[-1]
    assert "Traceback" not in errors[loser], errors[loser]
    assert last.startswith("python -m cnnapp.train: error: "), errors[loser]
    assert "in use by another training" in last or "different recipe" in last, last
    run = RunDir(out)
    assert run.status() == "finished"
    assert run.read_recipe().optimizer.lr == float(rates[winner]), "the folder holds the winner's run"
    rows = run.log_file.read_text().splitlines()
    assert rows[0].startswith("epoch,") and [r.split(",")[0] for r in rows[1:]] == ["0", "1", "2", "3", "4"]


@pytest.mark.slow
def test_sigkill_at_random_moments_then_resume_equals_an_uninterrupted_run(tmp_path):
    from cnnapp import train

    rng = random.Random(13)
    killed = tmp_path / "killed"
    for _ in range(3):  # three kills, each at a random moment after the start (start-up included)
        process = _start(train_argv(killed, *LONGER))
        time.sleep(rng.uniform(3.0, 25.0))
        if process.poll() is None:
            process.send_signal(signal.SIGKILL)
        process.wait(timeout=600)
    if RunDir(killed).status() != "finished":  # the last process may have finished before its kill
        assert train.main(train_argv(killed, *LONGER)) == 0
    reference = tmp_path / "reference"
    assert train.main(train_argv(reference, *LONGER)) == 0

    run = RunDir(killed)
    assert run.status() == "finished"
    resumed, expected = _arrays(killed), _arrays(reference)
    assert resumed.keys() == expected.keys()
    for key in expected:  # every weight and optimizer slot, bit for bit
        np.testing.assert_array_equal(resumed[key], expected[key], err_msg=key)
    assert run.progress()["plateau"] == RunDir(reference).progress()["plateau"]
    assert [r.split(",")[0] for r in run.log_file.read_text().splitlines()[1:]] == ["0", "1", "2", "3", "4"]
    assert not list(killed.rglob(".*.tmp*")), "no temp file survives a restart"


@pytest.mark.slow
def test_sigterm_stops_between_steps_prints_the_resume_command_and_it_resumes_bit_identically(tmp_path):
    """The cluster's preemption: SIGTERM once the first epoch is saved; exit 2, one line, the command that
    resumes; running that command ends where an uninterrupted run ends."""
    import shlex

    from cnnapp import train

    stopped = tmp_path / "stopped"
    process = _start(train_argv(stopped, *LONGER))
    deadline = time.monotonic() + 600
    while not RunDir(stopped).state_file.is_file() and time.monotonic() < deadline:
        time.sleep(0.2)
    process.send_signal(signal.SIGTERM)
    _, err = process.communicate(timeout=600)
    lines = err.strip().splitlines()
    assert process.returncode == 2 and len(lines) == 1 and "Traceback" not in err, err
    # inside an epoch ("in epoch 2 after step 3 of 8") or, when it lands in validation, "after epoch 1"
    assert "python -m cnnapp.train: error: stopped by SIGTERM " in lines[0], err
    command = shlex.split(lines[0].split("resume with: ")[1])
    assert command[:3] == ["python", "-m", "cnnapp.train"] and RunDir(stopped).status() == "running"
    assert train.main([*command[3:], "--quiet"]) == 0
    reference = tmp_path / "reference"
    assert train.main(train_argv(reference, *LONGER)) == 0
    resumed, expected = _arrays(stopped), _arrays(reference)
    for key in expected:
        np.testing.assert_array_equal(resumed[key], expected[key], err_msg=key)
