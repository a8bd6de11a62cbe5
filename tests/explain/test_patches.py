"""Fast tier: top patches are the strongest units' images, cropped to their receptive field."""

import json

import numpy as np
import pytest

from cnnapp.explain import activations, patches
from tests.fixtures import small_inference_model


def test_top_patches_are_the_strongest_units_cropped_to_their_field(tmp_path):
    model = small_inference_model("alexnet")
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
