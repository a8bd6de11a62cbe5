"""Stochastic depth (Huang et al. 2016) in the ResNet blocks: drops whole branches in training only."""

import numpy as np
import pytest

from cnnapp.errors import CnnappError
from cnnapp.models import build
from cnnapp.models.layers import stochastic_depth_layer
from cnnapp.models.resnet import drop_rates


def test_the_layer_drops_whole_examples_at_its_rate_and_keeps_the_expectation():
    import keras

    layer = stochastic_depth_layer(keras)(0.3, seed=1)
    x = np.ones((4000, 2, 2, 3), "float32")
    y = np.asarray(layer(x, training=True))
    per_example = y.reshape(len(y), -1)
    assert np.all(per_example == per_example[:, :1]), "a branch is kept or dropped as a whole"
    np.testing.assert_allclose(np.unique(per_example), [0.0, 1 / 0.7], rtol=1e-6)
    assert np.mean(per_example[:, 0] == 0) == pytest.approx(0.3, abs=0.03)
    assert y.mean() == pytest.approx(1.0, abs=0.05)
    np.testing.assert_array_equal(np.asarray(layer(x, training=False)), x)
    assert not np.array_equal(np.asarray(layer(x, training=True)), y), "a new draw every step"


def test_resnet_option_adds_linearly_rising_rates_and_no_layer_at_zero():
    assert drop_rates(4, 0.2) == pytest.approx([0.05, 0.1, 0.15, 0.2])
    plain = build("resnet20", input_shape=(32, 32, 3), num_classes=10)
    dropping = build("resnet20", input_shape=(32, 32, 3), num_classes=10, stochastic_depth=0.2)
    rates = [layer.rate for layer in dropping.layers if layer.name.endswith("_drop")]
    assert len(rates) == 9 and rates[-1] == pytest.approx(0.2) and rates == sorted(rates)
    assert not any(layer.name.endswith("_drop") for layer in plain.layers), "the paper's graph, unchanged"
    assert plain.count_params() == dropping.count_params()
    with pytest.raises(CnnappError, match="stochastic_depth must be in"):
        build("resnet18", input_shape=(32, 32, 3), num_classes=10, stochastic_depth=1.0)


def test_tf_keras_twin_matches_in_inference():
    import tf_keras

    options = dict(input_shape=(16, 16, 3), num_classes=4, stochastic_depth=0.5)
    model = build("resnet20", **options)
    twin = build("resnet20", keras_module=tf_keras, **options)
    twin.set_weights(model.get_weights())
    x = np.random.default_rng(0).uniform(size=(2, 16, 16, 3)).astype("float32")
    np.testing.assert_allclose(
        twin(x, training=False).numpy(), np.asarray(model(x, training=False)), atol=1e-5
    )
    assert np.asarray(twin(x, training=True)).shape == (2, 4)
