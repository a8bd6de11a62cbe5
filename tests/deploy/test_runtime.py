"""Fast tier: a `.tflite` through the LiteRT interpreter as a phone runs it, on the committed LeNet-5 digits
exports: float pixels in, probabilities out whatever the model's I/O types, any batch, bad files and shapes as
one line; the op table and the kernels a graph runs on."""

from __future__ import annotations

import numpy as np
import pytest

from cnnapp.deploy import runtime
from cnnapp.deploy.runtime import LiteModel
from cnnapp.errors import CnnappError
from tests.fixtures import ROOT

EXPORTS = ROOT / "export" / "lenet5-digits"


@pytest.fixture(scope="module", params=["float32", "int8"])
def model(request):
    return LiteModel.from_file(EXPORTS / f"{request.param}.tflite")


def _images(count: int, shape) -> np.ndarray:
    return np.random.default_rng(0).uniform(0, 255, (count, *shape)).astype(np.float32)


def test_float_pixels_in_probabilities_out_whatever_the_io_types(model):
    assert model.input_shape == (32, 32, 3)
    probabilities = model.predict(_images(5, model.input_shape))
    assert probabilities.dtype == np.float32 and probabilities.shape == (5, 10)
    assert np.allclose(probabilities.sum(axis=1), 1, atol=0.02)  # int8: up to one step of 1/256 per class
    assert probabilities.min() >= 0


def test_int8_io_is_quantized_and_dequantized_with_the_tensors_scale():
    lite = LiteModel.from_file(EXPORTS / "int8.tflite")
    assert lite.input_dtype == np.uint8 and lite.output_dtype == np.uint8
    images = _images(2, lite.input_shape)
    beyond = images.copy()
    beyond[0, :4] = 400.0  # above the input's range: clipped to 255, as the phone's camera pixels are
    beyond[1, :4] = -20.0  # below it: clipped to 0
    clipped = np.clip(beyond, 0, 255)
    np.testing.assert_array_equal(lite.predict(beyond), lite.predict(clipped))
    step = lite.output_detail["quantization"][0]
    assert np.allclose(lite.predict(images) / step, np.round(lite.predict(images) / step), atol=1e-3)


def test_a_batch_gives_what_one_image_at_a_time_gives(model):
    images = _images(7, model.input_shape)
    together = model.predict(images, batch_size=3)  # batches of 3, 3 and 1: the input is resized each time
    one_by_one = np.concatenate([model.predict(image[None]) for image in images])
    np.testing.assert_allclose(together, one_by_one, atol=1e-5)


def test_images_of_another_shape_are_refused_naming_both(model):
    with pytest.raises(
        CnnappError, match=r"images of shape \(28, 28, 1\) given to a model taking \(32, 32, 3\)"
    ):
        model.predict(np.zeros((1, 28, 28, 1), np.float32))


def test_latency_is_timed_at_batch_one_over_the_runs_asked(model):
    model.predict(_images(4, model.input_shape))  # a larger batch before: latency resizes back to 1
    latency = model.latency_ms(_images(1, model.input_shape)[0], runs=4, warmup=1)
    assert latency["runs"] == 4 and latency["threads"] == 1
    assert 0 < latency["median"] < 1000 and latency["mean"] > 0


def test_bad_model_files_are_one_line_naming_the_file(tmp_path):
    with pytest.raises(CnnappError, match="no model file at"):
        LiteModel.from_file(tmp_path / "missing.tflite")
    empty = tmp_path / "empty.tflite"
    empty.write_bytes(b"")
    with pytest.raises(CnnappError, match=r"empty\.tflite is empty \(0 bytes\): export the model again"):
        LiteModel.from_file(empty)
    garbage = tmp_path / "garbage.tflite"
    garbage.write_bytes(b"not a flatbuffer at all" * 10)
    with pytest.raises(CnnappError, match=r"garbage\.tflite: not a TFLite model"):
        LiteModel.from_file(garbage)


def test_the_op_table_says_which_ops_run_in_float():
    float32 = (EXPORTS / "float32.tflite").read_bytes()
    int8 = (EXPORTS / "int8.tflite").read_bytes()
    ops = runtime.graph_ops(float32)
    assert [op["index"] for op in ops] == list(range(len(ops)))
    kinds = {op["op"]: op["float"] for op in ops}
    assert kinds["CONV_2D"] and kinds["FULLY_CONNECTED"] and kinds["SOFTMAX"]
    assert not kinds["STRIDED_SLICE"]  # the flatten's shape arithmetic runs on int32 in any mode
    summary = runtime.op_summary(float32)
    assert sum(summary["ops"].values()) == len(ops) and summary["ops"]["CONV_2D"] == 4
    assert summary["float_ops"] == [f"{op['op']}#{op['index']}" for op in ops if op["float"]]
    assert not summary["integer_only"]
    quantized = runtime.op_summary(int8)
    assert quantized["integer_only"] and quantized["float_ops"] == [] and quantized["ops"]["QUANTIZE"] == 2


def test_the_delegate_profile_times_xnnpack_and_the_builtin_kernels_on_one_and_two_threads():
    profile = runtime.delegate_profile((EXPORTS / "int8.tflite").read_bytes(), budget_s=0.005)
    assert sorted(profile) == [
        "builtin kernels, 1 thread",
        "builtin kernels, 2 threads",
        "xnnpack, 1 thread",
        "xnnpack, 2 threads",
    ]
    assert all(0 < ms < 1000 for ms in profile.values())
