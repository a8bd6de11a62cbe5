"""The speed bench: ours against keras.applications, FLOP counts, the matmul peak (the pipeline rate,
LiteRT latency and the CLI: test_pipeline.py, test_litert.py, test_main.py).

Sizes are the smallest keras.applications accepts (32×32) at batch 2 for one step: these tests check that each
measurement is made and is consistent, not how fast this machine is.
"""

from __future__ import annotations

import time

import numpy as np
import pytest

from cnnapp.bench import speed
from cnnapp.errors import CnnappError


def test_vgg16_against_keras_applications_alternates_and_reports_medians():
    result = speed.compare_training(
        speed.PAIRS["vgg16"], input_shape=(32, 32, 3), batch_size=2, steps=1, repeats=2, max_repeats=2
    )
    # keras.applications.VGG16 at 32×32, 10 classes: 14,714,688 conv, then fc1 on the 1×1×512 maps, fc2, 10
    # classes.
    assert result["params"] == 14_714_688 + 512 * 4096 + 4096 + 4096 * 4096 + 4096 + 4096 * 10 + 10
    assert len(result["ours_runs"]) == len(result["reference_runs"]) == result["rounds"] == 2
    assert result["default_ratio"] == result["ratio"]  # float32: keras.applications' default is the same side
    assert result["ours_cpu_ms_per_image"] > 0
    assert result["ours_images_per_s"] == pytest.approx(float(np.median(result["ours_runs"])))
    ratios = [o / r for o, r in zip(result["ours_runs"], result["reference_runs"], strict=True)]
    assert result["ratio"] == pytest.approx(float(np.median(ratios)))
    assert result["ratio_min"] <= result["ratio"] <= result["ratio_max"]
    # Training FLOPs: 6 per forward multiply-add. VGG-16's convs at 32×32 (the 224×224 count / 49, as every
    # map shrinks 7× per side) plus the fully connected layers.
    conv_macs = sum(
        h * h * 9 * cin * cout
        for h, cin, cout in [
            (32, 3, 64),
            (32, 64, 64),
            (16, 64, 128),
            (16, 128, 128),
            (8, 128, 256),
            (8, 256, 256),
            (8, 256, 256),
            (4, 256, 512),
            (4, 512, 512),
            (4, 512, 512),
            (2, 512, 512),
            (2, 512, 512),
            (2, 512, 512),
        ]
    )
    fc_macs = 512 * 4096 + 4096 * 4096 + 4096 * 10
    pool_macs = sum(
        h * h * c * 4 for h, c in [(16, 64), (8, 128), (4, 256), (2, 512), (1, 512)]
    )  # 2×2 windows
    assert result["train_flops_per_image"] == 6 * (conv_macs + fc_macs + pool_macs)


def test_a_pair_that_is_not_the_same_network_is_refused():
    narrow = speed.Pair("vgg16", {"fc_units": 64}, "VGG16")
    with pytest.raises(CnnappError, match="not the same network"):
        speed.compare_training(narrow, input_shape=(32, 32, 3), batch_size=2, steps=1, repeats=1)


def test_training_flops_are_six_per_connection():
    from cnnapp import models

    model = models.build("linear", input_shape=(32, 32, 3), num_classes=10)
    assert speed.training_flops_per_image(model) == 6 * 32 * 32 * 3 * 10


def test_the_tensorflow_roof_times_real_products():
    from cnnapp.bench import roof

    start = time.perf_counter()
    roofs = roof.measure_roofs(roof.tensorflow_seconds, ["float32", "bfloat16", "int8"], start=128, max_n=256)
    elapsed = time.perf_counter() - start
    assert roofs["best"] in ("float32", "bfloat16", "int8")
    for dtype in ("float32", "bfloat16", "int8"):
        assert [s["n"] for s in roofs[dtype]["sizes"]] == [128, 256]
    # Each size's best run took 2n³ / rate seconds, and ran 4 times (a warm-up and 3 timed) within the call.
    float32 = roofs["float32"]["sizes"]
    assert 0 < sum(4 * 2 * s["n"] ** 3 / s["flops_per_s"] for s in float32) < elapsed


@pytest.mark.slow
def test_resnet50_with_conv_biases_matches_keras_applications_parameter_for_parameter():
    result = speed.compare_training(
        speed.PAIRS["resnet50"], input_shape=(32, 32, 3), batch_size=2, steps=1, repeats=1
    )
    assert result["params"] == 23_608_202  # keras.applications.ResNet50(weights=None, classes=10)
