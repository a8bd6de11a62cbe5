"""Fast tier: the rules that stop a run that cannot be trusted (divergence), and the validation warning."""

from __future__ import annotations

import types

import keras
import pytest

from cnnapp.errors import CnnappError
from cnnapp.recipes import load_recipe, validation_note, validation_warning
from cnnapp.training.callbacks import StopOnNonFiniteLoss


def _guard(tmp_path, classes: int = 10) -> StopOnNonFiniteLoss:
    run = types.SimpleNamespace(state_file=tmp_path / "resume.npz", path=tmp_path)
    guard = StopOnNonFiniteLoss(run, load_recipe("lenet5-digits"), checkpoint=None)
    inputs = keras.Input((2,))
    guard.set_model(keras.Model(inputs, keras.layers.Dense(classes, activation="softmax")(inputs)))
    return guard


@pytest.mark.parametrize(
    "losses, words",
    [
        ([2.3, 1.0, 7e31], "epoch 3: the training loss is 7e+31, past 100 (it diverged)"),
        ([2.3, 1.0, 150.0], "is 150, past 100"),
        ([0.5, 0.4, 6.0], "is 6, 12× its first epoch's 0.5 (it diverged)"),
        ([2.3, float("nan")], "epoch 2: the training loss is nan (not a finite number)"),
    ],
)
def test_a_diverging_loss_stops_the_run_in_one_line(tmp_path, losses, words):
    guard = _guard(tmp_path)
    with pytest.raises(CnnappError, match=None) as error:
        for epoch, loss in enumerate(losses):
            guard.on_epoch_end(epoch, {"loss": loss})
    assert words in str(error.value) and "\n" not in str(error.value)
    assert "lower it and train into another --out" in str(error.value)


@pytest.mark.parametrize("losses", [[2.3, 1.5, 0.9, 0.3], [0.02, 0.15, 0.1], [5.0, 20.0, 45.0]])
def test_a_loss_that_falls_or_stays_below_chance_trains_on(tmp_path, losses):
    """A rise that stays below chance (0.02 → 0.15 < ln 1000) is not divergence; neither is 5 → 45, below
    100 and below 10× its start."""
    guard = _guard(tmp_path, classes=1000)
    for epoch, loss in enumerate(losses):
        guard.on_epoch_end(epoch, {"loss": loss})


def test_validation_on_the_reported_split_warns_and_the_default_is_a_holdout():
    assert validation_warning(load_recipe("lenet5").train) is None
    assert load_recipe("lenet5").train.holdout == 0.1  # the default: 10% of train, stratified
    warned = load_recipe("lenet5", ['train.validation="test"']).train
    assert "WARNING: train.validation = 'test' is the reported split" in validation_warning(warned)
    imagenet = load_recipe("resnet50").train
    assert imagenet.holdout == 0.01 and imagenet.test_split == "validation"
    assert validation_warning(imagenet) is None
    reported = load_recipe("resnet50", ['train.validation="validation"', "train.holdout=0"]).train
    assert validation_warning(reported) is not None


def test_every_shipped_recipe_validates_on_something_it_does_not_report():
    from cnnapp import recipes

    warned = [n for n in recipes.names() if validation_warning(recipes.load_recipe(n).train)]
    assert warned == []
    noted = [n for n in recipes.names() if validation_note(recipes.load_recipe(n).train)]
    assert noted == []  # none names a split its holdout overrides


def test_a_split_named_beside_a_holdout_is_noted_with_the_fix():
    """lenet5-digits holds out 10%: a recipe on it that sets train.validation = "test" validates on the
    holdout (as old recipes expect), and is told so with the fix; the holdout default and a holdout of 0
    need no note."""
    on_holdout = load_recipe("lenet5-digits", ['train.validation="test"']).train
    assert validation_warning(on_holdout) is None  # not tuned on the reported split
    assert validation_note(on_holdout) == (
        "note: train.validation = 'test' is not used: train.holdout = 0.1 validates on 10% of the training "
        "split instead; set train.holdout = 0 to validate on 'test'"
    )
    assert validation_note(load_recipe("lenet5").train) is None
    on_test = load_recipe("lenet5-digits", ['train.validation="test"', "train.holdout=0"]).train
    assert validation_note(on_test) is None and validation_warning(on_test) is not None


def test_the_summary_line_repeats_the_warning(tmp_path):
    from cnnapp.train import format_report

    report = {
        "recipe": "x", "architecture": "lenet5", "dataset": "digits", "epochs": 1, "device": "cpu",
        "split": "test", "examples": 360, "checkpoint": "best", "best_epoch": 1, "top1_accuracy": 0.9,
        "top1_error": 0.1, "top5_accuracy": 1.0, "train_seconds": 1.0, "images_per_second": 100.0,
        "validation_warning": validation_warning(load_recipe("lenet5", ['train.validation="test"']).train),
    }  # fmt: skip
    assert "WARNING: train.validation = 'test' is the reported split" in format_report(report, tmp_path)


def test_a_signal_stops_between_steps_and_the_previous_handler_comes_back():
    import os
    import signal

    from cnnapp.training.preemption import Preempted, StopOnSignal

    before = signal.getsignal(signal.SIGTERM)
    stop = StopOnSignal()
    stop.install()
    try:
        stop.on_epoch_begin(4)
        stop.on_train_batch_end(0)  # no signal: trains on
        os.kill(os.getpid(), signal.SIGTERM)  # the handler only records it: the step in progress finishes
        with pytest.raises(Preempted, match="SIGTERM in epoch 5 after step 2"):
            stop.on_train_batch_end(1)
    finally:
        stop.restore()
    assert signal.getsignal(signal.SIGTERM) == before
