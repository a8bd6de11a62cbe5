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


def test_the_story_command_writes_and_prints_the_table(tmp_path, monkeypatch, capsys):
    from cnnapp import story as command

    measured = story.measure(("linear", "mlp"))
    monkeypatch.setattr(story, "measure", lambda: measured)  # the ImageNet-size run is the slow test above
    assert command.main(["--out", str(tmp_path)]) == 0
    assert (tmp_path / "parameter-story.json").is_file()
    assert (tmp_path / "parameter-story.md").read_text() in capsys.readouterr().out + "\n"


def test_measuring_prints_nothing(capfd):
    story.measure(("linear",))  # Keras's export announces "Saved artifact at ..." for every conversion
    assert "Saved artifact" not in capfd.readouterr().out
