"""Smoke tier: a run killed by SIGKILL mid-training resumes to exactly the weights of an uninterrupted run."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from cnnapp.recipes import load_recipe
from cnnapp.training import run_state, train_and_evaluate

ROOT = Path(__file__).resolve().parents[2]
# A plateau schedule that cuts often (patience 1), so its state (best, wait, cuts, scale) matters across the
# kill; LeNet-5 has no dropout, but the optimizer's momentum and step counter must survive too.
OVERRIDES = [
    "train.epochs=7",
    "schedule.patience=1",
    "schedule.max_cuts=3",
    "schedule.min_delta=0.02",
    "train.batch_size=64",
]


def _arrays(run_dir):
    with np.load(run_dir / "resume.npz") as data:
        return {k: data[k] for k in data.files if k != "extra"}


def test_sigkill_then_resume_equals_uninterrupted(tmp_path):
    killed = tmp_path / "killed"
    argv = [
        sys.executable,
        "-m",
        "cnnapp.train",
        "--recipe",
        "lenet5-digits",
        "--out",
        str(killed),
        "--quiet",
    ]
    argv += [a for o in OVERRIDES for a in ("--set", o)]
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"}
    process = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    log = killed / "log.csv"
    deadline = time.monotonic() + 180
    # Kill once two epochs are logged (the state of epoch 2 may or may not be on disk yet: both must work).
    while time.monotonic() < deadline and process.poll() is None:
        if log.is_file() and len(log.read_text().splitlines()) >= 3:
            break
        time.sleep(0.05)
    assert process.poll() is None, (
        f"the run ended before it could be killed: {process.stderr.read().decode()}"
    )
    process.send_signal(signal.SIGKILL)
    process.wait()
    done = run_state(killed)["epochs_done"]
    assert 1 <= done < 7, done
    assert not (killed / "report.json").exists()

    # Resume through the same CLI (in-process) and an uninterrupted run with the same seed.
    from cnnapp.train import main

    assert (
        main(
            [
                "--recipe",
                "lenet5-digits",
                "--out",
                str(killed),
                "--resume",
                "--quiet",
                *[a for o in OVERRIDES for a in ("--set", o)],
            ]
        )
        == 0
    )
    reference = tmp_path / "reference"
    train_and_evaluate(load_recipe("lenet5-digits", OVERRIDES), reference, verbose=0)

    resumed_state, reference_state = run_state(killed), run_state(reference)
    assert resumed_state["plateau"]["cuts"] >= 1, "the plateau schedule never cut: the test would prove less"
    assert resumed_state["plateau"] == reference_state["plateau"]
    assert resumed_state["best_epoch"] == reference_state["best_epoch"]
    resumed, expected = _arrays(killed), _arrays(reference)
    assert resumed.keys() == expected.keys()
    for key in expected:  # every weight and every optimizer slot (momenta, step counter), bit for bit
        np.testing.assert_array_equal(resumed[key], expected[key], err_msg=key)
    log_epochs = [line.split(",")[0] for line in (killed / "log.csv").read_text().splitlines()[1:]]
    assert log_epochs == [str(e) for e in range(7)], "each epoch logged exactly once"
