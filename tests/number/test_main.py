"""`python -m cnnapp.number`: the world command on the committed phone export (slow)."""

import json

import pytest

from cnnapp.number import world


@pytest.mark.slow  # minutes of CPU; the default tier covers its parts: test_glue, test_scenes, test_reader
def test_the_number_world_of_the_committed_phone_export(tmp_path):
    from cnnapp.number.__main__ import main

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
