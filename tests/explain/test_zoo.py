"""Slow tier: figures 3-6 for every architecture of the zoo at its small size (fresh weights)."""

import numpy as np
import pytest

from cnnapp import models
from cnnapp.explain import activations, filters, gradcam, layers, occlusion, patches
from cnnapp.explain.subject import predict_keras


@pytest.mark.slow
@pytest.mark.parametrize("name", models.names())
def test_every_architecture_draws_filters_maps_patches_occlusion_and_gradcam(name, tmp_path):
    model = models.inference_model(models.build(name, **models.get(name).small_options))
    shape = tuple(int(d) for d in model.input_shape[1:])
    images = np.random.default_rng(0).uniform(0, 255, (6, *shape)).astype(np.float32)
    assert filters.draw_filters(model, tmp_path)
    probs, _, _ = occlusion.occlusion_map(lambda x: predict_keras(model, x), images[0], 0, shape[0] // 4,
                                          shape[0] // 8, 127.5)  # fmt: skip
    assert np.isfinite(probs).all() and (probs >= 0).all()
    if not layers.conv_layers(model):  # linear, mlp: templates only
        return
    assert activations.draw_activations(model, images[0], tmp_path)
    assert patches.draw_patches(model, layers.stage_outputs(model)[-1], images, tmp_path, channels=2)
    result = gradcam.gradcam(model, images[:2])
    assert result.cams.ndim == 3 and np.isfinite(result.cams).all()
