"""Smoke tier: a run with MixUp, CutMix and random erasing, label smoothing, AdamW, EMA, warm-up + cosine and
top-k checkpoints, stopped after its first epoch and resumed, ends bit-identical to an uninterrupted one.

The stop is an exception raised right after the first epoch's resume state is written (the process-level
SIGKILL case is tests/training/test_resume.py's, on the paper recipe); what matters here is that the EMA
averages, the schedule's step, the batch augmentations' seeds and the kept checkpoints come back.
"""

import json

import numpy as np
import pytest

from cnnapp.recipes import load_recipe
from cnnapp.training import train_and_evaluate
from cnnapp.training.state import RunCheckpoint

OVERRIDES = [
    "train.epochs=2",
    "train.steps_per_epoch=3",
    "data.limit=120",
    # RandAugment's and AugMix's seeding by step: tests/data/test_mixing.py (they cost seconds to trace;
    # AugMix doubled this test's CPU time)
    "batch_augment.randaugment_ops=0",
    'optimizer.name="adamw"',
    "optimizer.lr=0.001",
    "optimizer.decoupled_weight_decay=0.05",
]


class Stopped(BaseException):
    pass


def _arrays(run_dir):
    with np.load(run_dir / "resume.npz") as data:
        return {k: data[k] for k in data.files if k != "extra"}, json.loads(str(data["extra"]))


def test_resume_with_ema_and_batch_augmentations_is_bit_identical(tmp_path, monkeypatch):
    from cnnapp.explain import register_run_figures

    register_run_figures()  # as the train command does: the run ends with its figures
    recipe = load_recipe("lenet5-digits-modern", OVERRIDES)
    assert recipe.optimizer.ema and recipe.batch_augment.mixes and recipe.train.keep_top_k
    reference = train_and_evaluate(recipe, tmp_path / "reference", verbose=0)

    save = RunCheckpoint.on_epoch_end

    def stop_after_first(self, epoch, logs=None):
        save(self, epoch, logs)
        if epoch == 0:
            raise Stopped

    monkeypatch.setattr(RunCheckpoint, "on_epoch_end", stop_after_first)
    with pytest.raises(Stopped):
        train_and_evaluate(recipe, tmp_path / "stopped", verbose=0)
    monkeypatch.setattr(RunCheckpoint, "on_epoch_end", save)
    resumed = train_and_evaluate(recipe, tmp_path / "stopped", verbose=0)

    assert resumed["resumed_from_epoch"] == 1
    want, want_extra = _arrays(tmp_path / "reference")
    got, got_extra = _arrays(tmp_path / "stopped")
    assert want.keys() == got.keys()
    for key in want:  # weights, momenta, the EMA averages, the step counter, seed states
        np.testing.assert_array_equal(got[key], want[key], err_msg=key)
    assert got_extra["top_k"] == want_extra["top_k"] and len(want_extra["top_k"]) == 2
    for key in ("top1_accuracy", "ece", "ema_vs_raw", "top_checkpoints", "weights"):
        assert resumed[key] == reference[key], key
    assert reference["weights"] == "ema"
    meta = json.loads((tmp_path / "stopped" / "run.json").read_text())
    assert meta["tricks"]["mixup_alpha"] == 0.2 and meta["tricks"]["ema"] is True
    assert meta["tricks"]["adamw"] is True and meta["tricks"]["decoupled_weight_decay"] == 0.05
    assert meta["tricks"]["lr"] == 0.001 and meta["tricks"]["ema_momentum"] == 0.99
    assert (tmp_path / "stopped" / "figures" / "augmentations.png").is_file()
