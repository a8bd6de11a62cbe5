"""Fast tier: first-layer filter grids, templates of the linear baselines, activation maps, top patches."""

import json

import numpy as np
import pytest

from cnnapp import models
from cnnapp.errors import CnnappError
from cnnapp.explain import activations, filters, patches
from cnnapp.explain.figure import stretch


def _small(name):
    return models.inference_model(models.build(name, **models.get(name).small_options))


def test_filter_tiles_are_the_kernels_contrast_stretched(tmp_path):
    model = _small("lenet5")
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
    model = _small("alexnet")
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
    model = _small("lenet5")
    with pytest.raises(CnnappError, match="unknown layer 'conv9'; valid layers: C1, C3, C5"):
        filters.filter_layers(model, "conv9")
    with pytest.raises(CnnappError, match="'F6' is a dense layer reading 120 features"):
        filters.filter_layers(model, "F6")
    with pytest.raises(CnnappError, match="reads 6 maps"):
        filters.draw_filters(model, "/nonexistent", "C3")


def test_activation_maps_are_the_layers_outputs(tmp_path):
    model = _small("lenet5")
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


def test_top_patches_are_the_strongest_units_cropped_to_their_field(tmp_path):
    model = _small("alexnet")
    images = np.random.default_rng(1).uniform(0, 255, (12, 67, 67, 3)).astype(np.float32)
    field, hits = patches.top_patches(model, "conv2_gpu1", images, channels=3)
    maps = np.asarray(activations.L.outputs_model(model, ["conv2_gpu1"])(images))
    for c, channel in enumerate(hits):
        best = maps[..., c].reshape(12, -1).max(axis=1)
        assert [h.image for h in channel] == list(np.lexsort((np.arange(12), -best))[:9])
        hit = channel[0]
        assert maps[hit.image, hit.row, hit.col, c] == pytest.approx(hit.value)
        assert hit.box == field.box(hit.row, hit.col, (67, 67))
    tile = patches.crop(images[hits[0][0].image], field, hits[0][0])
    assert tile.shape == (*field.size, 3)
    paths = patches.draw_patches(model, "conv2_gpu1", images, tmp_path, channels=3)
    assert json.loads(paths[1].read_text())["field"]["size"] == list(field.size)


def test_grids_are_one_mosaic_with_every_tile_in_its_place():
    from cnnapp.explain.figure import mosaic

    tiles = np.random.default_rng(2).uniform(0, 1, (5, 4, 3, 1)).astype(np.float32)
    canvas = mosaic(tiles, columns=2, gap=1, band=2)
    assert canvas.shape == (3 * (4 + 1 + 2) + 1, 2 * (3 + 1) + 1, 3)
    np.testing.assert_array_equal(canvas[1 + 2 + 7 : 1 + 2 + 7 + 4, 1 + 4 : 1 + 4 + 3, 1], tiles[3, ..., 0])
    assert (canvas[:3] == 1).all()  # the label band and the gap stay white
