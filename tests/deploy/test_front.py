"""The phone model: the ink front and the ink crop convert to TFLite builtins only (the network int8, the
front float), run the same in Keras and in the tf_keras twin, and the shipped phone export reads a digit
and refuses a blank and a noise frame.

Default tier: a tiny model behind the ink front and crop (converted, its ops listed), and the committed
default phone export through LiteRT on a handful of frames. `-m slow`: the whole world evaluation of the
committed export through MediaPipe, which must reproduce the committed world.json (the cheaper default-tier
tests above cover the front's ops and the refusal of a blank and a noise frame).
"""

import json

import numpy as np
import pytest

from cnnapp.deploy import converter, runtime
from cnnapp.deploy.front import INK_LAYER_NAME, with_grey_front
from cnnapp.models import rewire
from tests.fixtures import ROOT

PHONE = ROOT / "export" / "lenet5-phone"
# Every op the ink front, the ink crop and a LeNet-style network need: all TFLite builtins (no Flex op).
BUILTIN_OPS = {
    "CONV_2D", "DEPTHWISE_CONV_2D", "MEAN", "REDUCE_MAX", "REDUCE_MIN", "ADD", "SUB", "MUL", "MINIMUM",
    "MAXIMUM", "RELU", "MAX_POOL_2D", "AVERAGE_POOL_2D", "FULLY_CONNECTED", "RESHAPE", "SOFTMAX",
    "CONCATENATION", "QUANTIZE", "DEQUANTIZE", "DIV", "TANH", "LOGISTIC", "RSQRT", "NEG", "TOPK_V2",
    "STRIDED_SLICE", "SUM", "CUMSUM", "LESS", "CAST", "ABS", "BATCH_MATMUL",
}  # fmt: skip
FRAME = 32  # the tiny model's frame; its network reads the 16×16 ink crop


def _tiny(K, crop: bool = False):
    inputs = K.Input((16, 16, 1), name="image")
    x = K.layers.Normalization(mean=30.0, variance=80.0**2, name="normalization")(inputs)
    x = K.layers.Conv2D(4, 3, activation="relu", name="conv")(x)
    x = K.layers.GlobalAveragePooling2D(name="pool")(x)
    model = K.Model(inputs, K.layers.Dense(11, activation="softmax", name="predictions")(x))
    return rewire.with_ink_crop(model, FRAME, K) if crop else model


def _frames(count=16, seed=0, size=16):
    rng = np.random.default_rng(seed)
    return rng.uniform(0, 255, (count, size, size, 3)).astype(np.float32)


def test_the_ink_front_and_crop_convert_to_builtin_ops_the_network_in_int8():
    import keras

    model = with_grey_front(_tiny(keras, crop=True), keras, kind="camera")
    assert [layer.name for layer in model.layers[1:3]] == [INK_LAYER_NAME, rewire.CROP_LAYER_NAME]
    assert model.input_shape == (None, FRAME, FRAME, 3) and model.get_layer("conv").input.shape[1] == 16
    content = converter.convert(model, "int8", _frames(size=FRAME), "uint8")
    summary = runtime.op_summary(content)
    assert set(summary["ops"]) <= BUILTIN_OPS, summary["ops"]
    assert {"TOPK_V2", "MAX_POOL_2D", "BATCH_MATMUL"} <= set(summary["ops"])  # polarity, paper, crop
    # The front and the crop stay float (converter.ALWAYS_FLOAT); the network's conv and dense are int8.
    float_ops = summary["float_ops"]
    assert sum(op.startswith("CONV_2D#") for op in float_ops) == 1  # the front's luma only, not the conv
    assert not any(op.startswith("FULLY_CONNECTED#") for op in float_ops)
    assert summary["float_ops"][0].startswith("DEQUANTIZE")


def test_the_ink_front_and_crop_are_the_same_in_keras_and_the_tf_keras_twin():
    import keras
    import tf_keras

    model = with_grey_front(_tiny(keras, crop=True), keras, kind="camera")
    twin = with_grey_front(_tiny(tf_keras, crop=True), tf_keras, kind="camera")
    twin.set_weights(model.get_weights())
    frames = _frames(4, size=FRAME)
    np.testing.assert_allclose(model.predict(frames, verbose=0), twin.predict(frames, verbose=0), atol=1e-5)


def _answers(path, frames):
    lite = runtime.LiteModel(path.read_bytes())
    names = (path.parent / "labels.txt").read_text().split()
    probs = lite.predict(frames.astype(np.float32))
    return [(names[i], float(p[i])) for p, i in zip(probs, probs.argmax(1), strict=True)]


def _refused(answer, rule):
    return answer[0] == rule["label"] or answer[1] < rule["min_score"]


@pytest.mark.parametrize("tag", ["float32", "int8"])
def test_the_phone_export_refuses_a_blank_and_a_noise_frame(tag):
    path = PHONE / f"{tag}.tflite"
    rule = json.loads((PHONE / f"{tag}.json").read_text())["refusal"]
    assert rule == {"label": "none", "min_score": 0.5}
    size = runtime.LiteModel(path.read_bytes()).input_shape[0]
    blank = np.full((1, size, size, 3), (235, 228, 215), np.float32)  # a sheet of warm white paper
    noise = np.random.default_rng(0).uniform(0, 255, (1, size, size, 3)).astype(np.float32)
    for answer in _answers(path, np.concatenate([blank, noise])):
        assert _refused(answer, rule), answer


def test_grey_rgba_and_odd_sized_files_read_alike_in_predict_and_the_sdk(tmp_path):
    """One photo saved as grey, RGBA and RGB at an odd size: `cnnapp.predict` gives each the same answer,
    and so does MediaPipe for RGBA and RGB; MediaPipe does not convert a grey image (GRAY8) for a model
    that takes RGB, so an app converts grey frames to RGB first (docs/phone.md)."""
    import mediapipe as mp
    from PIL import Image

    from cnnapp.deploy import world
    from cnnapp.predict import predict

    path = PHONE / "int8.tflite"
    rng = np.random.default_rng(3)
    paper = np.full((91, 57), 225.0) + rng.normal(0, 3, (91, 57))
    paper[20:70, 26:32] = 40.0  # a dark "1" stroke on light paper
    photo = Image.fromarray(np.clip(paper, 0, 255).astype(np.uint8)).convert("RGB")
    files = {}
    for mode in ("L", "RGBA", "RGB"):
        files[mode] = tmp_path / f"{mode}.png"
        photo.convert(mode).save(files[mode])
    found = predict(path, [str(f) for f in files.values()], top=1)
    assert len({answers[0][0] for answers in found.values()}) == 1, found
    content = path.read_bytes()
    sdk = [world.sdk_answers_of(content, mp.Image.create_from_file(str(files[m]))) for m in ("RGBA", "RGB")]
    assert sdk[0] == sdk[1], sdk
    # Not fed to the SDK here: a GRAY8 image makes MediaPipe 1.2.2's classify fail ("sizes do not match")
    # and leaves the classifier unable to close, which hangs the process when it is collected.
