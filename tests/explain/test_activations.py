"""Fast tier: activation maps are the layers' own outputs, drawn and saved."""

import json

import numpy as np
import pytest

from cnnapp.errors import CnnappError
from cnnapp.explain import activations
from tests.fixtures import small_inference_model


def test_activation_maps_are_the_layers_outputs(tmp_path):
    model = small_inference_model("lenet5")
    image = np.random.default_rng(0).uniform(0, 255, (32, 32, 1)).astype(np.float32)
    maps = activations.activation_maps(model, image, ["C3_act"])
    expected = activations.L.outputs_model(model, ["C3_act"])(image[None])
    np.testing.assert_allclose(maps["C3_act"], np.asarray(expected)[0], rtol=1e-5)
    paths = activations.draw_activations(model, image, tmp_path)
    assert [p.name for p in paths[::2]] == ["activations-C1_act.png", "activations-C3_act.png"]  # C5 is 1×1
    assert json.loads(paths[3].read_text())["shape"] == [10, 10, 16]
    with pytest.raises(CnnappError, match="images with 3 channels given to a model taking 1"):
        activations.activation_maps(model, np.zeros((32, 32, 3)), ["C1"])
    with pytest.raises(CnnappError, match="'F6' has no spatial maps"):
        activations.draw_activations(model, image, tmp_path, ["F6"])
