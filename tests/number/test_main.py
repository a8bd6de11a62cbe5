"""`python -m cnnapp.number`: export writes the ink map, bad options are one line before any work (fast);
the world command on the committed phone export (slow)."""

import json

import pytest

from cnnapp.deploy import metadata
from cnnapp.errors import CnnappError
from cnnapp.number import inkmap, world
from cnnapp.number.__main__ import main


def test_export_writes_the_ink_map_into_the_folder_named(tmp_path, capsys):
    out = tmp_path / "number"
    assert main(["export", str(out)]) == 0
    assert [p.name for p in out.iterdir()] == [inkmap.FILE]
    content = (out / inkmap.FILE).read_bytes()
    assert tuple(metadata.read_metadata(content)["labels"]) == inkmap.LABELS
    assert f"wrote {out / inkmap.FILE}" in capsys.readouterr().out


@pytest.mark.parametrize(
    "argv, message",
    [
        (["world", "export/lenet5-phone", "--out", "OUT", "--numbers", "0"], "--numbers must be at least 1"),
        (
            ["choose", "export/lenet5-phone", "--out", "OUT", "--numbers", "-3"],
            "--numbers must be at least 1",
        ),
        (["world", "export/lenet5-phone", "--out", " "], "--out is empty"),
    ],
)
def test_bad_options_are_one_line_before_any_work(argv, message, tmp_path):
    argv = [str(tmp_path / "out") if a == "OUT" else a for a in argv]
    with pytest.raises(CnnappError, match=message):
        main(argv)
    assert not (tmp_path / "out").exists()


@pytest.mark.slow  # minutes of CPU; the default tier covers its parts: test_glue, test_scenes, test_reader
def test_the_number_world_of_the_committed_phone_export(tmp_path):
    assert main(["world", "export/lenet5-phone", "--out", str(tmp_path)]) == 0
    results = json.loads((tmp_path / "number-world.json").read_text())
    committed = json.loads(open("export/number/number-world.json").read())
    assert results["numbers"] == world.COUNTS and (tmp_path / "number-world.md").is_file()
    float32, int8 = results["exports"]
    for layout in world.COUNTS:
        for kind in ("reader", "perfect_crops"):
            # Seeded scenes, the same files: the committed numbers are what the command gives.
            assert (
                int8["layouts"][layout][kind]["exact"]
                == committed["exports"][1]["layouts"][layout][kind]["exact"]
            )
        assert (
            abs(
                int8["layouts"][layout]["reader"]["per_digit"]
                - float32["layouts"][layout]["reader"]["per_digit"]
            )
            < 1.0
        )
    latency = int8["latency_ms"]
    assert latency["classifier_runs"] >= latency["mean_digits"] > 0  # a wide mark's every candidate piece
    assert latency["frame"] == pytest.approx(
        latency["ink_map"] + latency["classifier_runs"] * latency["classifier"], abs=1e-3
    )
