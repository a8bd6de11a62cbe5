"""Fast tier: a run's model is its architecture behind the run's normalization (and channel flip), one flat
graph, with the builder's weights kept when asked."""

import keras
import numpy as np

from cnnapp import models
from cnnapp.models.from_run import from_run

META = {"normalization": {"mean": [70.0], "std": [100.0]}}


def test_the_run_model_normalizes_raw_pixels_and_keeps_the_builders_weights():
    network = models.build("lenet5", input_shape=(32, 32, 1), num_classes=10)
    model = from_run(META, network, keras, keep_weights=True)
    assert [layer.name for layer in model.layers][:2] == ["image", "normalization"]
    x = np.random.default_rng(0).uniform(0, 255, (3, 32, 32, 1)).astype("float32")
    expected = network.predict((x - 70.0) / 100.0, verbose=0)
    np.testing.assert_allclose(model.predict(x, verbose=0), expected, atol=1e-5)
    fresh = from_run(META, network, keras)  # without keep_weights: the rewired graph starts afresh
    assert not np.allclose(fresh.get_layer("C1").get_weights()[0], network.get_layer("C1").get_weights()[0])


def test_a_bgr_run_flips_the_channels_after_normalization():
    meta = {"normalization": {"mean": [0.0] * 3, "std": [1.0] * 3}, "channel_order": "bgr"}
    network = models.build("lenet5", input_shape=(32, 32, 3), num_classes=10)
    model = from_run(meta, network, keras, keep_weights=True)
    assert [layer.name for layer in model.layers][:3] == ["image", "normalization", "rgb_to_bgr"]
    x = np.random.default_rng(1).uniform(0, 255, (2, 32, 32, 3)).astype("float32")
    expected = network.predict(x[..., ::-1], verbose=0)
    np.testing.assert_allclose(model.predict(x, verbose=0), expected, atol=1e-5)
