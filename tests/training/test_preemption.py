"""Smoke tier: SIGTERM inside an epoch saves that step; the resumed run is bit-identical to an uninterrupted
one (every variable, and the stopped epoch's row of log.csv), and a second stop in the resumed epoch too.

In-process: the signal is sent to this process at a chosen step (the handler only records it, as under a
cluster's preemption); the process-level SIGTERM is tests/reliability/test_kill.py's (slow tier).
"""

from __future__ import annotations

import csv
import os
import signal

import numpy as np
import pytest

from cnnapp.errors import CnnappError
from cnnapp.recipes import load_recipe
from cnnapp.training import preemption, train_and_evaluate

# No steps_per_epoch cut: 3 steps an epoch, the last one a partial batch (batch 32). The modern recipe adds
# EMA (which Keras's `fit` writes over the weights at its end), MixUp/CutMix seeded by the step and label
# smoothing to what must come back (its RandAugment off: seconds of tracing, seeded the same way).
OVERRIDES = ["train.epochs=3", "data.limit=100", "train.batch_size=32", "batch_augment.randaugment_ops=0"]
TIMED = {"epoch_seconds", "images_per_second"}


def _state(run_dir):
    with np.load(run_dir / "resume.npz") as data:
        return {k: data[k] for k in data.files if k != "extra"}


def _log(run_dir):
    rows = list(csv.DictReader((run_dir / "log.csv").open()))
    return [{k: v for k, v in row.items() if k not in TIMED} for row in rows]


def _stop_at(monkeypatch, epoch: int, batch: int):
    """SIGTERM to this process while step `batch` (0-based, counted by this process) of `epoch` runs."""

    def begin(self, index, logs=None):
        if (self.epoch, index) == (epoch, batch):
            os.kill(os.getpid(), signal.SIGTERM)

    monkeypatch.setattr(preemption.StopOnSignal, "on_train_batch_begin", begin, raising=False)


@pytest.mark.parametrize(
    "name",
    [
        "lenet5-digits",
        # ~60 s on a shared 2-core machine; the default tier runs the same stops on lenet5-digits, and the
        # EMA and batch augmentations' resume at an epoch's end in tests/training/test_tricks_resume.py
        pytest.param("lenet5-digits-modern", marks=pytest.mark.slow),
    ],
)
def test_sigterm_inside_an_epoch_resumes_at_that_step_bit_identically(name, tmp_path, monkeypatch):
    recipe = load_recipe(name, OVERRIDES)
    reference = train_and_evaluate(recipe, tmp_path / "reference", verbose=0)

    stopped = tmp_path / "stopped"
    _stop_at(monkeypatch, 1, 0)  # inside the middle epoch: its rest, then one more epoch
    with pytest.raises(CnnappError, match=r"SIGTERM in epoch 2 after step 1 of 3; its resume point is that"):
        train_and_evaluate(recipe, stopped, verbose=0)
    shorter = load_recipe(name, [*OVERRIDES, "train.epochs=1"])
    with pytest.raises(CnnappError, match="trained 1 epochs and part of the next; .* set train.epochs ≥ 2"):
        train_and_evaluate(shorter, stopped, verbose=0)
    _stop_at(monkeypatch, 1, 0)  # the resumed epoch counts on from step 1: stopped again after step 2
    with pytest.raises(CnnappError, match=r"in epoch 2 after step 2 of 3; .*resume with: python -m cnnapp"):
        train_and_evaluate(recipe, stopped, verbose=0)
    monkeypatch.undo()
    resumed = train_and_evaluate(recipe, stopped, verbose=0)

    assert resumed["resumed_from_epoch"] == 1
    want, got = _state(tmp_path / "reference"), _state(stopped)
    assert want.keys() == got.keys() and not any(k.startswith("metric_") for k in got)
    for key in want:  # weights, momenta, EMA averages, the step counter, dropout seed states
        np.testing.assert_array_equal(got[key], want[key], err_msg=key)
    assert _log(stopped) == _log(tmp_path / "reference")  # the stopped epoch's loss and accuracy too
    assert resumed["top1_accuracy"] == reference["top1_accuracy"]
