"""Fast tier: every architecture as a headless backbone (keras.applications' `include_top`, `pooling`).

The backbone is the full network's layers up to the classifier, with the same names and weight shapes, so
weights move between the two by name (`cnnapp.training.transfer`).
"""

import numpy as np
import pytest

from cnnapp import models
from cnnapp.errors import CnnappError
from tests.models.test_registry import NAMES, SAME_BLOCKS_DEEPER, small

# One architecture per builder function runs by default (the top is one function, `common.top`, for all);
# the others repeat the same builder with other presets and run with `-m slow`.
SAME_BUILDER = {*SAME_BLOCKS_DEEPER, "vgg11-lrn", "vgg16", "vgg16c", "resnet50", "lenet5-paper"}
BY_BUILDER = [pytest.param(n, marks=pytest.mark.slow) if n in SAME_BUILDER else n for n in NAMES]


def _shapes(model):
    return {layer.name: [tuple(w.shape) for w in layer.weights] for layer in model.layers}


@pytest.mark.parametrize("name", BY_BUILDER)
def test_backbone_is_the_full_network_without_its_classifier(name):
    full = small(name)
    backbone = small(name, include_top=False)
    full_shapes, shapes = _shapes(full), _shapes(backbone)
    assert set(shapes) <= set(full_shapes), "a backbone layer the full network lacks"
    assert all(shapes[n] == full_shapes[n] for n in shapes), "same names, same weight shapes"
    top = [n for n in full_shapes if n not in shapes]
    assert "predictions" in top and not any(n.startswith("aux") for n in shapes)
    assert len(backbone.outputs) == 1 and len(backbone.output.shape) == 4  # the last feature maps


@pytest.mark.parametrize("pooling, reduce", [("avg", np.mean), ("max", np.max)])
def test_pooled_backbone_is_the_global_pool_of_the_maps(pooling, reduce):
    backbone = models.build("lenet1989", include_top=False)
    pooled = models.build("lenet1989", include_top=False, pooling=pooling)
    assert pooled.get_layer(f"{pooling}_pool") is not None and pooled.output.shape == (None, 12)
    pooled.set_weights(backbone.get_weights())
    x = np.random.default_rng(0).normal(size=(2, 16, 16, 1)).astype("float32")
    np.testing.assert_allclose(pooled(x).numpy(), reduce(backbone(x).numpy(), axis=(1, 2)), rtol=1e-5)


def test_bad_top_options():
    headless = models.build("lenet5", include_top=False)
    assert headless.count_params() == 61_706 - (120 * 84 + 84) - (84 * 10 + 10)
    with pytest.raises(CnnappError, match="valid poolings: avg, max"):
        models.build("lenet5", include_top=False, pooling="mean")
    with pytest.raises(CnnappError, match="set include_top=False"):
        models.build("vgg16", pooling="avg")
