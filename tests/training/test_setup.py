"""Fast tier: a run's set-up — the compiled loss of a multi-head model with its L2 term, and a recipe naming a
split its dataset does not have as a one-line error listing the splits."""

import numpy as np
import pytest

from cnnapp.errors import CnnappError
from cnnapp.recipes import load_recipe
from cnnapp.training import device as devices
from cnnapp.training import setup
from tests.fixtures import meta_for


@pytest.mark.parametrize(
    "overrides",
    [
        ['train.test_split="validation"'],  # the shipped digits have train and test only
        ["train.holdout=0.0", 'train.validation="dev"'],
    ],
    ids=["test-split", "validation-split"],
)
def test_a_missing_split_names_the_dataset_its_splits_and_the_fix(overrides):
    with pytest.raises(CnnappError) as error:
        setup.load_data(load_recipe("lenet5-digits", overrides))
    message = str(error.value)
    wrong = overrides[-1].split("=")[1].strip('"')
    assert f"dataset digits has no split {wrong!r}; its splits: train, test" in message
    assert "train.validation / train.test_split" in message and "\n" not in message


def crossentropy(probs, labels):
    return float(np.mean(-np.log(probs[np.arange(len(labels)), labels])))


def test_googlenet_total_loss_is_main_plus_03_aux_plus_l2():
    recipe = load_recipe("googlenet-cifar10", ["optimizer.ema=false"])
    meta = meta_for("googlenet", **recipe.model.options)
    model, inference = setup.build_models(meta, recipe)
    setup.compile_model(model, recipe, devices.choose("float32", "off", gpus=0), steps=10)
    assert model.output_names == ["predictions", "aux1_predictions", "aux2_predictions"]
    rng = np.random.default_rng(0)
    x = rng.uniform(0, 255, (4, 32, 32, 3)).astype("float32")
    y = np.array([0, 3, 7, 9])
    main, aux1, aux2 = (o.numpy() for o in model(x, training=False))
    kernels = [v for v in model.trainable_variables if v.regularizer is not None]
    assert len(kernels) > 50, "every conv and dense kernel is decayed"
    l2 = sum(recipe.optimizer.weight_decay / 2 * float(np.sum(np.square(v.numpy()))) for v in kernels)
    expected = crossentropy(main, y) + 0.3 * crossentropy(aux1, y) + 0.3 * crossentropy(aux2, y) + l2
    logs = model.evaluate(x, {n: y for n in model.output_names}, verbose=0, return_dict=True)
    assert logs["loss"] == pytest.approx(expected, rel=1e-4)
    assert l2 > 0.01 * expected, "the L2 term is really in the total"
    # The inference model shares the layers and has no auxiliary heads.
    assert len(inference.outputs) == 1
    np.testing.assert_allclose(inference(x, training=False).numpy(), main, rtol=1e-5, atol=1e-6)
