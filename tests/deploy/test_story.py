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
    # Keras's export announces "Saved artifact at ..." for every conversion, the int8 quantizer warns and
    # prints its "fully_quantize: 0, ..." line from C++
    story.measure(("linear",))
    assert capfd.readouterr() == ("", "")


def test_the_markdown_names_the_papers_ratio_beside_the_measured_one():
    rows = [
        {
            "model": name,
            "input_shape": [224, 224, 3],
            "parameters": {"total": total, "top_layers": []},
            "float32": {"bytes": 4 * total},
            "int8": {"bytes": total},
            "int8_ratio": 0.25,
        }
        for name, total in (("alexnet", 60_965_224), ("googlenet", 6_998_552))
    ]
    text = story.markdown(rows)
    assert "8.7× the parameters of googlenet" in text
    assert "The paper says 12× fewer" in text and "cnnapp.audit googlenet --lecture" in text
