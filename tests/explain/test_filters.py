"""Fast tier: first-layer filter grids (one per AlexNet tower), templates of the linear baselines, and
filters of a wrong layer as one-line errors."""

import json

import numpy as np
import pytest

from cnnapp import models
from cnnapp.errors import CnnappError
from cnnapp.explain import filters
from cnnapp.explain.figure import stretch
from tests.fixtures import small_inference_model


def test_filter_tiles_are_the_kernels_contrast_stretched(tmp_path):
    model = small_inference_model("lenet5")
    tiles = filters.filter_tiles(model.get_layer("C1"))
    kernel = np.asarray(model.get_layer("C1").kernel)
    assert tiles.shape == (6, 5, 5, 1)
    for i in range(6):
        k = kernel[..., i]
        np.testing.assert_allclose(tiles[i], (k - k.min()) / (k.max() - k.min()), atol=1e-6)
        assert tiles[i].min() == 0 and tiles[i].max() == pytest.approx(1)
    paths = filters.draw_filters(model, tmp_path)
    data = json.loads(paths[1].read_text())
    np.testing.assert_allclose(np.array(data["tiles"]), tiles, atol=1e-5)
    assert filters.draw_filters(model, tmp_path / "again")[0].read_bytes() == paths[0].read_bytes()


def test_alexnet_gets_one_colour_grid_per_tower(tmp_path):
    model = small_inference_model("alexnet")
    layers = filters.first_layers(model)
    assert [layer.name for layer in layers] == ["conv1_gpu1", "conv1_gpu2"]
    tiles = filters.filter_tiles(layers[1])
    k = np.moveaxis(np.asarray(layers[1].kernel), -1, 0)
    assert tiles.shape == (48, 11, 11, 3)  # RGB stretched over its three channels together: hue kept
    np.testing.assert_allclose(tiles[7], (k[7] - k[7].min()) / (k[7].max() - k[7].min()), atol=1e-6)
    names = [p.name for p in filters.draw_filters(model, tmp_path)]
    assert names == ["filters-conv1_gpu1.png", "filters-conv1_gpu1.json", "filters-conv1_gpu2.png",
                     "filters-conv1_gpu2.json"]  # fmt: skip


def test_linear_and_mlp_templates_are_their_weights_as_images():
    linear = models.build("linear", input_shape=(8, 8, 3), num_classes=4)
    tiles, what = filters.tiles_of(linear, filters.first_layers(linear)[0])
    w = np.asarray(linear.get_layer("predictions").kernel)[:, 2].reshape(8, 8, 3)
    assert what == "4 class templates of 8×8×3"
    np.testing.assert_allclose(tiles[2], stretch(w), atol=1e-6)
    mlp = models.build("mlp", input_shape=(8, 8, 1), num_classes=3, hidden_units=5)
    tiles, what = filters.tiles_of(mlp, filters.first_layers(mlp)[0])
    assert tiles.shape == (5, 8, 8, 1) and what.startswith("5 hidden-unit templates")


def test_filters_of_the_wrong_layer_are_one_line_errors():
    model = small_inference_model("lenet5")
    with pytest.raises(CnnappError, match="unknown layer 'conv9'; valid layers: C1, C3, C5"):
        filters.filter_layers(model, "conv9")
    with pytest.raises(CnnappError, match="'F6' is a dense layer reading 120 features"):
        filters.filter_layers(model, "F6")
    with pytest.raises(CnnappError, match="reads 6 maps"):
        filters.draw_filters(model, "/nonexistent", "C3")
