"""Fast tier: a layer put right after a functional model's input stays one flat graph, in keras and tf_keras:
the run's `normalization` computes (x − mean) / std per channel, `rgb_to_bgr` reverses the channels."""

import keras
import numpy as np
import pytest
import tf_keras

from cnnapp.models import rewire


def _branchy(K):
    """Two layers read the input (a branch and a skip), so every reader must be rewired."""
    image = K.Input((4, 4, 3), name="image")
    branch = K.layers.Conv2D(3, 1, name="conv")(image)
    out = K.layers.Add(name="add")([branch, image])
    return K.Model(image, out)


@pytest.mark.parametrize("K", [keras, tf_keras], ids=["keras", "tf_keras"])
def test_normalization_comes_first_for_every_reader_of_the_input(K):
    model = _branchy(K)
    mean, std = [10.0, 20.0, 30.0], [2.0, 4.0, 5.0]
    normalized = rewire.with_normalization(model, mean, std, K)
    assert [layer.name for layer in normalized.layers][:2] == ["image", "normalization"]
    assert not any(isinstance(layer, K.Model) for layer in normalized.layers)  # flat: no nested model
    normalized.get_layer("conv").set_weights(model.get_layer("conv").get_weights())
    x = np.random.default_rng(0).uniform(0, 255, (2, 4, 4, 3)).astype("float32")
    expected = model.predict((x - np.array(mean)) / np.array(std), verbose=0)
    np.testing.assert_allclose(normalized.predict(x, verbose=0), expected, rtol=1e-5, atol=1e-4)


@pytest.mark.parametrize("K", [keras, tf_keras], ids=["keras", "tf_keras"])
def test_the_channel_flip_follows_normalization_and_reverses_the_channels(K):
    image = K.Input((2, 2, 3), name="image")
    model = K.Model(image, K.layers.Activation("linear", name="out")(image))
    flipped = rewire.with_channel_flip(rewire.with_normalization(model, [0, 0, 0], [1, 1, 1], K), K)
    assert [layer.name for layer in flipped.layers][:3] == ["image", "normalization", "rgb_to_bgr"]
    assert not flipped.get_layer("rgb_to_bgr").trainable
    x = np.arange(12, dtype="float32").reshape(1, 2, 2, 3)
    np.testing.assert_allclose(flipped.predict(x, verbose=0), x[..., ::-1], atol=1e-5)


def test_a_model_whose_input_feeds_nothing_or_with_two_inputs_is_refused():
    config = {"input_layers": [["a", 0, 0], ["b", 0, 0]], "layers": []}
    with pytest.raises(ValueError, match="a single-input model is needed"):
        rewire.input_name(config)
    lonely = {"input_layers": ["image", 0, 0], "layers": [{"name": "image", "inbound_nodes": []}]}
    with pytest.raises(ValueError, match="the model's input feeds no layer"):
        rewire.insert_after_input(lonely, {"name": "normalization"})
