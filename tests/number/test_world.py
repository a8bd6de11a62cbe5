"""The number world evaluation: its scoring (fast) and the whole evaluation of the committed export (slow)."""

import json

import pytest

from cnnapp.number import world


@pytest.mark.parametrize(
    "read, truth, counts",
    [
        ("2026", "2026", dict(right=4, wrong=0, missed=0, invented=0)),
        ("2?26", "2026", dict(right=3, wrong=1, missed=0, invented=0)),
        ("226", "2026", dict(right=3, wrong=0, missed=1, invented=0)),
        ("20126", "2026", dict(right=4, wrong=0, missed=0, invented=1)),
        ("", "17", dict(right=0, wrong=0, missed=2, invented=0)),
    ],
)
def test_a_reading_is_aligned_with_the_truth(read, truth, counts):
    assert world.align(read, truth) == counts


def test_scores_are_exact_per_digit_and_by_length():
    result = world.score(["17", "2?26", "953"], ["17", "2026", "953"])
    assert result["exact"] == pytest.approx(66.67) and result["per_digit"] == pytest.approx(
        100 * 8 / 9, abs=0.01
    )
    assert result["refused"] == 1 and result["exact_by_length"] == {"2": 100.0, "3": 100.0, "4": 0.0}


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
