"""The input pipeline's rate: it counts the images delivered and runs at least its minimum time."""

from __future__ import annotations

import numpy as np
import pytest

from cnnapp.bench import pipeline


def test_pipeline_rate_counts_the_delivered_images():
    from cnnapp.data import DataConfig

    config = DataConfig(
        image_size=32, channels=3, resize="short_side", short_side=48, augment=("random_crop",), cache="none"
    )
    source = pipeline.synthetic_source(examples=40, size=48)
    image, label = next(iter(source))
    assert image.shape == (48, 48, 3) and 0 <= float(np.min(image)) and float(np.max(image)) <= 255
    assert 0 <= int(label) < 10
    rate = pipeline.pipeline_rate(source, config, batch_size=8, batches=6, min_seconds=0.0)
    assert rate["batches"] == 6 and rate["images_per_s"] == pytest.approx(48 / rate["seconds"])
    assert pipeline.pipeline_rate(source, config, batch_size=8, batches=1, min_seconds=0.2)["seconds"] >= 0.2
    assert pipeline.verdict(100.0, 200.0) == "starved" and pipeline.verdict(300.0, 200.0) == "fed"
