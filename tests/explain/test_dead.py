"""Dead ReLU units: a unit no image makes positive is counted, per layer, with its channels."""

import keras
import numpy as np

from cnnapp.explain import dead


def test_counts_units_and_channels_that_never_fire(tmp_path):
    inputs = keras.Input((4, 4, 1))
    conv = keras.layers.Conv2D(2, 1, activation="relu", name="conv")
    outputs = keras.layers.ReLU(name="relu")(
        keras.layers.Dense(3, name="fc")(keras.layers.Flatten()(conv(inputs)))
    )
    model = keras.Model(inputs, outputs)
    conv.set_weights(
        [np.array([[[[1.0, 1.0]]]], "float32"), np.array([0.0, -1e6], "float32")]
    )  # channel 1 dead
    images = np.zeros((3, 4, 4, 1), "float32")
    images[0, 0, 0, 0] = 1.0  # channel 0 fires at one pixel of one image only
    rows = {r["layer"]: r for r in dead.count_dead(model, images)}
    assert rows["conv"] == {"layer": "conv", "units": 32, "dead_units": 31, "channels": 2, "dead_channels": 1}
    assert set(rows) == {"conv", "relu"}
    paths = dead.draw_dead(model, images, tmp_path)
    assert [p.name for p in paths] == ["dead-relu.png", "dead-relu.json"]
