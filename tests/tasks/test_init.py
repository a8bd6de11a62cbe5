"""Fast tier: a run's model rebuilt from its run.json (`tasks.build_model`): one flat graph behind its
normalization, with a tf_keras twin that gives the same outputs."""

import math

import keras
import numpy as np
import pytest
import tf_keras

from cnnapp import models
from cnnapp.tasks import build_model
from tests.fixtures import meta_for


@pytest.mark.parametrize(
    "architecture, options", [("lenet5", {}), ("alexnet", {"fc_units": 16, "towers": 2})]
)
def test_run_model_is_one_flat_graph_with_a_tf_keras_twin(architecture, options):
    shape = (32, 32, 1) if architecture == "lenet5" else (67, 67, 3)
    meta = meta_for(architecture, shape, **options)
    if shape[-1] == 1:
        meta["normalization"] = {"mean": [30.0], "std": [50.0]}
    model = build_model(meta)
    assert model.layers[1].name == "normalization"
    assert not any(isinstance(layer, keras.Model) for layer in model.layers), "no nested model"
    twin = build_model(meta, tf_keras)
    twin.set_weights(model.get_weights())
    x = np.random.default_rng(1).uniform(0, 255, (2, *shape)).astype("float32")
    np.testing.assert_allclose(twin(x).numpy(), model(x).numpy(), rtol=1e-5, atol=1e-6)
    # The normalization layer computes (x − mean) / std, what the bare architecture expects.
    arch = models.build(architecture, input_shape=shape, num_classes=10, **options)
    arch.set_weights(model.get_weights())
    mean, std = np.array(meta["normalization"]["mean"]), np.array(meta["normalization"]["std"])
    np.testing.assert_allclose(arch((x - mean) / std).numpy(), model(x).numpy(), rtol=1e-4, atol=1e-6)
    assert math.isclose(float(model(x).numpy().sum()), 2.0, rel_tol=1e-5)
