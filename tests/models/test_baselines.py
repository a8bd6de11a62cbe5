"""The lectures' baselines: a linear classifier (one template per class) and the 2-layer MLP, counted."""

import keras
import numpy as np
import pytest
import tf_keras

from cnnapp.errors import CnnappError
from cnnapp.models import baselines, registry


def test_linear_is_one_template_per_class():
    model = baselines.linear()
    assert model.count_params() == 3072 * 10 + 10
    dense = model.get_layer("predictions")
    assert dense.kernel.shape == (3072, 10)
    image = np.random.default_rng(0).random((1, 32, 32, 3), "float32")
    w, b = dense.get_weights()
    scores = image.reshape(1, -1) @ w + b
    expected = np.exp(scores) / np.exp(scores).sum()
    np.testing.assert_allclose(np.asarray(model(image)), expected, rtol=1e-5)


def test_mlp_counts_and_hidden_units():
    assert baselines.mlp().count_params() == 3072 * 100 + 100 + 100 * 10 + 10
    model = baselines.mlp(input_shape=(8, 8, 1), num_classes=4, hidden_units=7)
    assert model.get_layer("fc1").units == 7
    assert model.count_params() == 64 * 7 + 7 + 7 * 4 + 4


def test_published_counts_match_the_builds():
    for architecture in baselines.ARCHITECTURES:
        model = architecture.builder(**architecture.presets)
        assert model.count_params() == architecture.published_params, architecture.name
        assert registry.get(architecture.name) is architecture


def test_logits_and_keras_2_builds():
    logits = baselines.linear(input_shape=(4, 4, 1), num_classes=3, classifier_activation=None)
    assert logits.get_layer("predictions").activation is keras.activations.linear
    twin = baselines.mlp(input_shape=(4, 4, 1), num_classes=3, keras_module=tf_keras)
    assert isinstance(twin, tf_keras.Model) and twin.count_params() == 16 * 100 + 100 + 100 * 3 + 3


@pytest.mark.parametrize("builder", [baselines.linear, baselines.mlp])
def test_without_top_the_image_itself_is_left_pooled_if_asked(builder):
    assert builder(include_top=False).output_shape == (None, 32, 32, 3)
    assert builder(include_top=False, pooling="avg").output_shape == (None, 3)
    with pytest.raises(CnnappError, match="backbone only"):
        builder(pooling="avg")
