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


def _compare_stub() -> dict:
    return {"model": "lenet5-digits", "export": "int16x8", "evaluation": None, "machine": "test",
            "parameters": {"total": 1}, "latency_ms": {"median": 0.5}, "graph": {"float_ops": []},
            "size": {"bytes": 1, "gzip_bytes": 1, "ratio_to_float32": 1.0,
                     "gzip_ratio_to_float32_gzip": 1.0}}  # fmt: skip
