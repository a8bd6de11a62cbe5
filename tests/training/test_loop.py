"""The `fit` loop (`training.loop`): a recipe trained into a run folder with its report, the resume choices,
and epochs cut to `steps_per_epoch` that are each epoch's own first batches (so a cut run resumes)."""

import json

import numpy as np
import pytest
import tensorflow as tf

from cnnapp.errors import CnnappError
from cnnapp.recipes import load_recipe
from cnnapp.training import loop

TINY = ["train.epochs=2", "train.steps_per_epoch=2", "data.limit=100", "train.batch_size=16"]


def test_a_recipe_trains_into_its_folder_with_a_report(tmp_path):
    report = loop.train_and_evaluate(load_recipe("lenet5-digits", TINY), tmp_path / "run", verbose=0)
    assert report == json.loads((tmp_path / "run" / "report.json").read_text())
    assert report["epochs"] == 2 and 0 <= report["top1_accuracy"] <= 1
    assert loop.run_state(tmp_path / "run")["epochs_done"] == 2
    assert loop.run_state(tmp_path / "empty") is None
    with pytest.raises(CnnappError, match="already holds a run; choose another --out, or resume it"):
        loop.train_and_evaluate(load_recipe("lenet5-digits", TINY), tmp_path / "run", resume=False, verbose=0)
    with pytest.raises(CnnappError, match=r"nothing to resume in .* \(no resume.npz\); drop --resume"):
        loop.train_and_evaluate(load_recipe("lenet5-digits", TINY), tmp_path / "new", resume=True, verbose=0)
    assert not (tmp_path / "new" / "report.json").exists()


def labels_of(batches) -> list[np.ndarray]:
    return [labels.numpy() for _images, labels in batches]


def test_cut_epochs_are_each_epochs_own_first_batches():
    recipe = load_recipe("lenet5-digits", ["train.epochs=3", "train.steps_per_epoch=2", "train.batch_size=8",
                                           "data.limit=64"])  # fmt: skip
    train = tf.data.Dataset.from_tensor_slices(
        (np.random.default_rng(0).uniform(0, 16, (64, 8, 8, 1)).astype("float32"), np.arange(64) % 10)
    )
    whole = labels_of(loop._training_batches(train, recipe, 0, steps=2))
    assert len(whole) == 6
    from_epoch_one = labels_of(loop._training_batches(train, recipe, 1, steps=2))
    for ours, theirs in zip(from_epoch_one, whole[2:], strict=True):  # a resumed run sees the same batches
        np.testing.assert_array_equal(ours, theirs)
    assert not np.array_equal(np.concatenate(whole[:2]), np.concatenate(whole[2:4]))  # epochs reshuffle


def test_the_rest_of_a_stopped_epoch_leaves_the_weights_raw():
    class Optimizer:
        def finalize_variable_values(self, var_list):
            raise AssertionError("the averages would overwrite the weights")

    optimizer = Optimizer()
    with loop._weights_left_raw(optimizer):
        optimizer.finalize_variable_values([])
    with pytest.raises(AssertionError):
        optimizer.finalize_variable_values([])
