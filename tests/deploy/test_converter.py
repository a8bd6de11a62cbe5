"""Every mode converts LeNet-5 and a small GoogLeNet; LiteRT runs them with the expected I/O dtypes.

Tolerances, stated: float32 TFLite probabilities within 1e-5 of Keras and the same class on every image;
int8 (and int16x8) agree with Keras on at least 95% of the evaluated test images for the trained LeNet-5.
"""

import numpy as np
import pytest

from cnnapp import compat
from cnnapp.deploy import converter, runtime
from cnnapp.deploy.exporter import ClassifierBaseline, Options, export_model
from cnnapp.errors import CnnappError
from tests.fixtures import FAST

# mode -> (input dtype, output dtype) through the interpreter, with the default I/O of the mode
EXPECTED_IO = {
    "float32": ("float32", "float32"),
    "float16": ("float32", "float32"),
    "dynamic": ("float32", "float32"),
    "int8": ("uint8", "uint8"),
    "int16x8": ("float32", "float32"),
    "qat": ("uint8", "uint8"),
}
FLOAT32_ATOL = 1e-5
INT8_AGREEMENT_FLOOR = 0.95
_BASELINES = {}


def _export(subject, options):
    """export_model with the float32 baseline and Keras outputs computed once per subject."""
    if subject.name not in _BASELINES:
        _BASELINES[subject.name] = ClassifierBaseline(subject, FAST["eval_limit"])
    return export_model(subject, options, _BASELINES[subject.name])


# Every mode through the whole export (report, evaluation, latency) on LeNet-5 in the fast tier. GoogLeNet's
# conversions take ~1 minute each on a loaded 2-core machine and repeat the same export path: slow tier. Its
# inception graph still converts in the fast tier: to int8, integer-only (test_int8_graph_is_integer_only).
CASES = [
    pytest.param(name, mode, marks=[pytest.mark.slow] if name == "googlenet" else [])
    for name in ("lenet", "googlenet")
    for mode in converter.MODES
]


@pytest.mark.parametrize(("subject_name", "mode"), CASES)
def test_every_mode_converts_and_runs(subject_name, mode, request):
    subject = request.getfixturevalue(subject_name)
    result = _export(subject, Options(mode=mode, **FAST))
    report = result.report
    assert report["io"] == dict(zip(("input", "output"), EXPECTED_IO[mode], strict=True))
    assert result.content[4:8] == b"TFL3"  # the flatbuffer identifier
    assert report["evaluation"]["images"] == FAST["eval_limit"]
    probs_ok = report["evaluation"]["litert"]["top5"] >= report["evaluation"]["litert"]["top1"]
    assert probs_ok and report["latency_ms"]["median"] > 0
    if mode in ("int8", "int16x8", "qat"):
        assert report["size"]["ratio_to_float32"] < 0.45
    if mode == "float16":
        assert 0.45 < report["size"]["ratio_to_float32"] < 0.6


# GoogLeNet's float32 match repeats LeNet-5's on a bigger graph (~1 minute): slow tier; its graph converts in
# the fast tier by test_int8_graph_is_integer_only.
@pytest.mark.parametrize("subject_name", ["lenet", pytest.param("googlenet", marks=pytest.mark.slow)])
def test_float32_matches_keras(subject_name, request):
    subject = request.getfixturevalue(subject_name)
    images, _ = subject.images("test", 60)
    lite = runtime.LiteModel(converter.convert(subject.model, "float32"))
    keras_probs = subject.model.predict(images, verbose=0)
    lite_probs = lite.predict(images)
    np.testing.assert_allclose(lite_probs, keras_probs, atol=FLOAT32_ATOL)
    assert np.all(lite_probs.argmax(1) == keras_probs.argmax(1))


@pytest.mark.parametrize("mode", ["int8", "int16x8"])
def test_integer_modes_agree_with_keras(lenet, mode):
    report = _export(lenet, Options(mode=mode, **FAST)).report
    assert report["evaluation"]["agreement_with_keras"] >= INT8_AGREEMENT_FLOOR
    assert report["evaluation"]["keras"]["top1"] > 0.85  # the fixture did learn


@pytest.mark.parametrize("subject_name", ["lenet", "googlenet"])
def test_int8_graph_is_integer_only(subject_name, request):
    subject = request.getfixturevalue(subject_name)
    images, _ = subject.images("train", 20)
    content = converter.convert(subject.model, "int8", images)
    summary = runtime.op_summary(content)
    assert summary["float_ops"] == [] and summary["integer_only"]
    assert "CONV_2D" in summary["ops"]
    if subject_name == "googlenet":
        assert "CONCATENATION" in summary["ops"]  # the inception modules stayed integer too


def test_float_ops_are_named_in_the_report(lenet):
    """A float-I/O int8 graph keeps QUANTIZE/DEQUANTIZE at its edges: the report must name them."""
    report = _export(lenet, Options(mode="int8", io="float", **FAST)).report
    named = report["graph"]["float_ops"]
    assert report["io"] == {"input": "float32", "output": "float32"}
    assert any(op.startswith("QUANTIZE") for op in named) and any(op.startswith("DEQUANTIZE") for op in named)
    assert not report["graph"]["integer_only"]


def test_normalization_is_in_the_graph(lenet):
    """Raw pixels in: the exported model normalizes by itself (no mean/std for the app to apply)."""
    images, _ = lenet.images("test", 30)
    lite = runtime.LiteModel(converter.convert(lenet.model, "float32"))
    keras_probs = lenet.model.predict(images, verbose=0)
    assert np.all(lite.predict(images).argmax(1) == keras_probs.argmax(1))
    normalized = (images - 70.0) / 100.0  # what an app would feed if normalization were missing
    assert not np.allclose(lite.predict(normalized), keras_probs, atol=1e-3)


def _tensors(content):
    graph = compat.read_tflite(content).subgraphs[0]
    return graph, graph.tensors


def test_debug_names_are_stripped_but_io_names_stay(lenet):
    images, _ = lenet.images("train", 20)
    content = converter.convert(lenet.model, "int8", images)
    graph, tensors = _tensors(content)
    io = {*graph.inputs, *graph.outputs}
    assert all(tensors[i].name for i in io)
    assert all(not t.name for i, t in enumerate(tensors) if i not in io)
    lite = runtime.LiteModel(content)  # the interpreter still finds its input and output
    assert lite.predict(images[:4]).shape == (4, 10)


def test_per_tensor_weights_have_one_scale_and_still_agree(lenet):
    images, _ = lenet.images("train", 20)
    per_channel = converter.convert(lenet.model, "int8", images)
    per_tensor = converter.convert(lenet.model, "int8", images, granularity="per-tensor")

    def widest_scale(content):
        quantized = [t.quantization for t in _tensors(content)[1] if t.quantization is not None]
        return max(len(q.scale) for q in quantized if q.scale is not None)

    assert widest_scale(per_channel) > 1 and widest_scale(per_tensor) == 1
    assert len(per_tensor) < len(per_channel)
    report = _export(lenet, Options(mode="int8", granularity="per-tensor", **FAST)).report
    assert report["export"] == "int8-pertensor" and report["settings"]["weight_scales"] == "per-tensor"
    assert report["evaluation"]["agreement_with_keras"] >= INT8_AGREEMENT_FLOOR


def test_per_tensor_needs_a_calibrated_mode():
    with pytest.raises(CnnappError, match="calibrated modes"):
        Options(mode="float16", granularity="per-tensor").check()
    with pytest.raises(CnnappError, match="per-channel, per-tensor"):
        Options(mode="int8", granularity="per-layer").check()
