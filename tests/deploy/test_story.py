"""The parameter story: float32 and int8 TFLite bytes follow the parameter count."""

import pytest

from cnnapp import models
from cnnapp.deploy import story


def test_story_measures_bytes_per_parameter():
    rows = story.measure(("linear", "mlp"))
    for row in rows:
        params = row["parameters"]["total"]
        assert params == models.get(row["model"]).published_params
        assert 4 * params <= row["float32"]["bytes"] < 4 * params + 20_000  # 4 bytes a weight, plus the graph
        assert row["int8_ratio"] < 0.3
    assert "| linear |" in story.markdown(rows)


@pytest.mark.slow
def test_alexnet_against_googlenet_at_imagenet_size():
    alexnet, googlenet = story.measure()
    assert alexnet["float32"]["bytes"] > 240e6  # ~61M parameters × 4 bytes
    assert alexnet["parameters"]["top_layers"][0]["layer"] == "fc6"
    assert googlenet["parameters"]["total"] == 6_998_552
    assert googlenet["int8"]["bytes"] < 0.27 * googlenet["float32"]["bytes"]
    assert alexnet["parameters"]["total"] > 8 * googlenet["parameters"]["total"]


def test_measuring_prints_nothing(capfd):
    story.measure(("linear",))  # Keras's export announces "Saved artifact at ..." for every conversion
    assert "Saved artifact" not in capfd.readouterr().out
