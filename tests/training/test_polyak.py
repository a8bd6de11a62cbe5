"""Smoke tier: a GoogLeNet run's checkpoints hold the Polyak-averaged weights its recipe promises.

The GoogLeNet recipes set `optimizer.ema = true` ("Polyak averaging was used to create the final model",
section 6): Keras's optimizer keeps an exponential moving average of every trainable weight, and the run
saves `best.keras` and `last.keras` with the averages in place of the raw weights. Three steps of the paper's
recipe through the real CLI, on tfds mock data, at the architecture's small size (the shrinking of
test_recipe_runs.py, whose one-step googlenet run this replaces in the default tier).
"""

import numpy as np
import pytest
import tensorflow_datasets as tfds

from cnnapp import compat, recipes
from cnnapp.runs import load_run
from cnnapp.train import main
from cnnapp.training import device as devices
from cnnapp.training import setup
from cnnapp.training.state import load_state
from tests.training.test_recipe_runs import shrink

STEPS = 3  # Keras's average starts at the weights after the first step: it differs from them from the second


@pytest.fixture(scope="module")
def averaged_run(tmp_path_factory):
    """A one-epoch, three-step run of the googlenet recipe, with its Polyak averaging."""
    root = tmp_path_factory.mktemp("polyak")
    recipe = recipes.load_recipe("googlenet")
    overrides = [*shrink(recipe, root / "tfds"), f"train.steps_per_epoch={STEPS}", "data.limit=8"]
    with tfds.testing.mock_data(num_examples=8):
        argv = ["--recipe", "googlenet", "--out", str(root / "run"), "--quiet"]
        assert main(argv + [a for o in overrides for a in ("--set", o)]) == 0
    return load_run(root / "run")


def _raw_and_averaged(run) -> tuple[dict, dict]:
    """The training model's raw weights and the optimizer's averages at the end of the run, by path."""
    model, _ = setup.build_models(run.meta, run.recipe)
    setup.compile_model(model, run.recipe, devices.choose("float32", "off", gpus=0), steps=STEPS)
    load_state(run.folder.state_file, model, model.optimizer)
    variables, averages = compat.ema_slots(model.optimizer)
    raw = {v.path: v.numpy() for v in model.variables}
    return raw, {v.path: a.numpy() for v, a in zip(variables, averages, strict=True)}


def test_the_googlenet_recipes_promise_polyak_averaging():
    for name in ("googlenet", "googlenet-cifar10"):
        assert recipes.load_recipe(name).optimizer.ema, name


def test_best_keras_holds_the_averaged_weights_not_the_raw_ones(averaged_run):
    assert averaged_run.recipe.optimizer.ema and averaged_run.report["epochs"] == 1
    raw, averaged = _raw_and_averaged(averaged_run)
    best = averaged_run.model("best")
    assert len(best.outputs) == 1, "checkpoints hold the inference model, no auxiliary heads"
    trainable = {w.path: w.numpy() for w in best.trainable_weights}
    assert len(trainable) > 50 and set(trainable) <= set(averaged)  # the inference model's share of them
    for path, value in trainable.items():
        np.testing.assert_array_equal(value, averaged[path], err_msg=path)
    moved = [p for p in trainable if not np.array_equal(averaged[p], raw[p])]
    assert len(moved) > 0.9 * len(trainable), "the averages should differ from the raw weights after 3 steps"
    # What is not averaged (the input normalization's statistics) is the model's own.
    for weight in best.non_trainable_weights:
        np.testing.assert_array_equal(weight.numpy(), raw[weight.path], err_msg=weight.path)
    # last.keras is saved the same way, and the two are the same epoch's weights here.
    for a, b in zip(best.get_weights(), averaged_run.model("last").get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)
