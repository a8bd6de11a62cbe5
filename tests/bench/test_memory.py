"""Fast tier: a training step's measured memory beside the audit's estimate — the row's parts add up, the
verdict follows the tolerance, and a measuring process that fails is one line (smallest sizes: the numbers
of a real bench run are docs/bench.md's)."""

import pytest

from cnnapp.bench import memory


def test_a_measured_row_holds_the_estimate_its_parts_and_the_verdict():
    row = memory.measure_here("vgg16", image_size=32, batch_size=2)
    parts = row["estimate_parts"]
    assert row["estimated_bytes"] == sum(parts.values()) and min(parts.values()) > 0
    assert parts["gradients"] == parts["parameters"]  # float32 gradients: one per trainable weight
    assert parts["optimizer"] == parts["gradients"]  # momentum: one velocity per trainable weight
    assert row["measured_bytes"] >= 0 and row["how"] == "CPU: peak RSS above the baseline"
    assert row["error"] == pytest.approx(row["measured_bytes"] / row["estimated_bytes"] - 1)
    assert row["within_tolerance"] == (abs(row["error"]) <= memory.TOLERANCE)
    assert ("left_out" in row) != row["within_tolerance"]


def test_the_process_status_fields_are_read_in_bytes():
    assert memory._status_bytes("VmRSS") > 0 and memory._peak_rss() >= memory._status_bytes("VmRSS")
    assert memory._status_bytes("NoSuchField") is None


@pytest.mark.slow
def test_a_measuring_process_that_fails_is_one_line():
    row = memory.training_memory("alexnet", 32, 2, timeout=600)  # not a bench pair
    assert row["model"] == "alexnet" and row["error_message"].startswith("the measuring process failed:")
    assert "unknown bench model 'alexnet'" in row["error_message"]
