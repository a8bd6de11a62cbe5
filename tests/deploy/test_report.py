"""The export report says why an integer export is not faster than float32, with the kernels' profile."""

from pathlib import Path

from cnnapp.deploy import report

EXPORTS = Path(__file__).parents[2] / "export" / "lenet5-digits"  # the committed exports


def _report(content: bytes, float32: bytes) -> dict:
    return {"latency_ms": {"median": 0.5, "runs": 5, "threads": 1},
            "size": {"bytes": len(content), "float32_bytes": len(float32)}}  # fmt: skip


def test_int16x8_explains_its_cost_with_xnnpack_on_and_off():
    int16x8, float32 = (EXPORTS / "int16x8.tflite").read_bytes(), (EXPORTS / "float32.tflite").read_bytes()
    note = report.latency_note("int16x8", int16x8, float32, _report(int16x8, float32))
    assert "no kernels for 16-bit activations" in note["text"] and note["float32_ms"] > 0
    assert set(note["profile_ms"]) == {"this export", "float32"}
    settings = {f"{kind}, {n}" for kind in ("xnnpack", "builtin kernels") for n in ("1 thread", "2 threads")}
    assert set(note["profile_ms"]["float32"]) == settings
    rendered = report.compare_table([{**_compare_stub(), "latency_note": note}])
    assert "Latency notes" in rendered and "builtin kernels, 1 thread" in rendered


def test_a_float_export_has_no_note():
    float32 = (EXPORTS / "float32.tflite").read_bytes()
    assert report.latency_note("float16", float32, float32, _report(float32, float32)) is None


def _profile(on: float, off: float) -> dict:
    return {"xnnpack, 1 thread": on, "xnnpack, 2 threads": on, "builtin kernels, 1 thread": off,
            "builtin kernels, 2 threads": off}  # fmt: skip


def _kernels(mine: dict, float32: dict) -> dict:
    return {"this export": mine, "float32": float32}


FLOAT32_TAKEN = {"partitions": 2, "outside": ["SHAPE#12", "RESHAPE#15"]}  # a flatten's shape ops


def test_an_int8_export_cut_by_ops_xnnpack_leaves_out_names_them_with_its_partitions():
    int8 = {"partitions": 4, "outside": ["QUANTIZE#0", "AVERAGE_POOL_2D#5", "AVERAGE_POOL_2D#9", "SHAPE#13"]}
    profiles = {"this export": _profile(0.017, 0.037), "float32": _profile(0.012, 0.049)}
    text = report.latency_text("int8", 0.020, 0.014, profiles, _kernels(int8, FLOAT32_TAKEN), 0.3)
    assert "in 4 partitions against float32's 2" in text
    assert "QUANTIZE, AVERAGE_POOL_2D ×2, SHAPE" in text
    assert (
        "0.020 ms per image against float32's 0.014 ms" in text and "XNNPACK on 0.017 ms, off 0.037" in text
    )
    assert "float32 is the better phone choice" in text and "(30% of float32's bytes)" in text


def test_an_int8_export_taken_like_float32_is_explained_by_its_fixed_costs():
    same = {"partitions": 2, "outside": ["SHAPE#13", "RESHAPE#16"]}
    profiles = {"this export": _profile(0.013, 0.037), "float32": _profile(0.012, 0.049)}
    text = report.latency_text("qat", 0.013, 0.012, profiles, _kernels(same, FLOAT32_TAKEN), 0.29)
    assert "takes both graphs alike (2 partitions)" in text and "requantizing" in text
    assert "leaving" not in text


def test_int16x8_is_explained_by_the_kernels_it_runs_on():
    none_taken = {"partitions": 0, "outside": ["QUANTIZE#0", "CONV_2D#1", "DEQUANTIZE#21"]}
    same_kernels = {"this export": _profile(0.58, 0.57), "float32": _profile(0.021, 0.072)}
    text = report.latency_text(
        "int16x8", 0.78, 0.027, same_kernels, _kernels(none_taken, FLOAT32_TAKEN), 0.31
    )
    assert "29× float32's" in text and "XNNPACK takes none of its ops" in text
    assert "the same kernels either way" in text
    part_taken = {"partitions": 1, "outside": ["CONV_2D#1"]}
    faster_on = {"this export": _profile(0.2, 0.6), "float32": _profile(0.021, 0.072)}
    text = report.latency_text("int16x8", 0.2, 0.027, faster_on, _kernels(part_taken, FLOAT32_TAKEN), 0.31)
    assert "takes part of it (1 partition) and leaves CONV_2D" in text and "the same kernels" not in text


def _compare_stub() -> dict:
    return {"model": "lenet5-digits", "export": "int16x8", "evaluation": None, "machine": "test",
            "parameters": {"total": 1}, "latency_ms": {"median": 0.5}, "graph": {"float_ops": []},
            "size": {"bytes": 1, "gzip_bytes": 1, "ratio_to_float32": 1.0,
                     "gzip_ratio_to_float32_gzip": 1.0}}  # fmt: skip
