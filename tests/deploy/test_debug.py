"""The quantization debugger (`--debug`), `--float-layers`, and the bad input that must write nothing."""

import csv
from pathlib import Path

import pytest

from cnnapp import export
from cnnapp.deploy import converter
from cnnapp.deploy.exporter import Options
from cnnapp.deploy.exporter import export as export_core
from cnnapp.errors import CnnappError
from cnnapp.runs import OUTPUT_LOCK
from tests.fixtures import FAST


def _files(folder: Path) -> list[str]:
    """The files an export wrote (its lock file aside: runs.OUTPUT_LOCK)."""
    return sorted(p.name for p in folder.iterdir() if p.name != OUTPUT_LOCK) if folder.exists() else []


def test_tensor_names_map_to_keras_layers():
    layers = ["conv1", "inception_3a_1x1", "predictions", "C1"]
    fused = "functional_1/conv1_1/Relu;functional_1/conv1_1/BiasAdd"
    assert converter.tensor_layers(fused, layers) == ["conv1"]
    name = "model_1/inception_3a_1x1_1/Relu;model_1/inception_3a_1x1_1/Conv2D"
    assert converter.tensor_layers(name, layers) == ["inception_3a_1x1"]
    assert converter.tensor_layers("lenet5_1/C1_act_1/mul;lenet5_1/C1_1/convolution", layers) == ["C1"]
    assert converter.tensor_layers("StatefulPartitionedCall_1:0", layers) == []


def test_debug_table_and_float_layers_on_the_cli(lenet_run, tmp_path, capsys):
    """--debug writes the per-layer table worst first, named by Keras layer; --float-layers buys accuracy
    with bytes and the report says how much."""
    out = tmp_path / "out"
    argv = [str(lenet_run), "--mode", "int8", "--out", str(out), "--samples", "20", "--eval-limit", "40"]
    assert export.main([*argv, "--debug", "--float-layers", "C5"]) == 0
    assert "kept in float | C5" in capsys.readouterr().out
    tag = "int8-float-C5"
    assert {f"{tag}.debug.csv", f"{tag}.debug.md", f"{tag}.tflite"} <= set(_files(out))
    rows = list(csv.DictReader((out / f"{tag}.debug.csv").open()))
    errors = [float(row["rmse/scale"]) for row in rows]
    assert errors == sorted(errors, reverse=True) and len(rows) >= 5
    named = {layer for row in rows for layer in row["keras_layers"].split("+")}
    assert {"C1", "C3", "F6"} <= named and "C5" not in named  # C5 stays float: the debugger skips it
    assert "| Keras layer |" in (out / f"{tag}.debug.md").read_text()
    import json

    report = json.loads((out / f"{tag}.json").read_text())
    gain = report["float_layers"]
    assert gain["layers"] == ["C5"] and gain["bytes_added"] > 100_000  # C5's 48k weights back in float32
    assert gain["errors"] <= gain["errors_all_int8"] + 1
    assert not report["graph"]["integer_only"]  # C5 runs in float between DEQUANTIZE and QUANTIZE


def test_bad_input_is_one_line_and_writes_nothing(lenet, lenet_run, tmp_path):
    out = tmp_path / "out"
    run = str(lenet_run)
    cases = [
        (["--mode", "float32", "--io", "uint8"], "--io uint8 needs a graph that takes uint8"),
        (["--mode", "int8", "--float-layers", "C9,conv1"], "--float-layers names no layer of .*C9, conv1"),
        (["--mode", "dynamic", "--debug"], "--debug applies to --mode int8"),
        (["--mode", "qat", "--float-layers", "C5"], "--float-layers applies to --mode int8"),
        (["--mode", "int8", "--input-channels", "bgr"], "invalid choice"),
    ]
    for extra, message in cases[:-1]:
        with pytest.raises(CnnappError, match=message) as caught:
            export.main([run, "--out", str(out), "--samples", "10", "--eval-limit", "10", *extra])
        assert "\n" not in str(caught.value)
    with pytest.raises(SystemExit):
        export.main([run, *cases[-1][0]])
    short = lenet.__class__(**{**lenet.__dict__, "class_names": lenet.class_names[:9]})
    with pytest.raises(CnnappError, match="9 class names for a model with 10 outputs"):
        export_core(short, [Options(mode="float32", **FAST)], out)
    assert _files(out) == []
