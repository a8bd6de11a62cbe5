"""LiteRT latency: float32 against int8, converted on the fly and from committed files (the smallest
sizes: that each is measured, not how fast)."""

from __future__ import annotations

import shutil

from cnnapp.bench import litert
from tests.fixtures import ROOT


def test_litert_float32_against_int8_converted_on_the_fly_and_from_files(tmp_path):
    rows = litert.convert_and_time("lenet5", runs=3)
    float_row, int8_row = rows
    assert (float_row["mode"], int8_row["mode"]) == ("float32", "int8")
    assert float_row["speedup"] == 1.0 and not float_row["integer_only"] and int8_row["integer_only"]
    assert int8_row["bytes"] < float_row["bytes"] / 2  # int8 weights: about a quarter of the bytes
    assert int8_row["input_shape"] == [32, 32, 1] and int8_row["latency_ms"] > 0

    # A file timed as found, not converted again.
    committed = ROOT / "export" / "lenet5-digits" / "float32.tflite"
    (tmp_path / "lenet").mkdir()
    for name in ("float32.tflite", "copy-float32.tflite"):
        shutil.copyfile(committed, tmp_path / "lenet" / name)
    rows = litert.latency_rows(tmp_path, runs=3)
    assert [row["model"] for row in rows] == ["lenet", "lenet"] and {row["mode"] for row in rows} == {
        "float32"
    }
    assert litert.latency_rows(tmp_path / "missing") == []
