"""The phone model: the ink front converts to TFLite builtins only (int8 throughout), runs the same in Keras
and in the tf_keras twin, and the shipped phone export reads a digit and refuses a blank and a noise frame.

Default tier: a tiny model behind the ink front (converted, its ops listed), and the committed default phone
export through LiteRT on a handful of frames. `-m slow`: the whole world evaluation of the committed export
through MediaPipe, which must reproduce the committed world.json (the cheaper default-tier tests above cover
the front's ops and the refusal of a blank and a noise frame).
"""

import json

import numpy as np
import pytest

from cnnapp.deploy import converter, runtime
from cnnapp.deploy.front import INK_LAYER_NAME, with_grey_front
from tests.fixtures import ROOT

PHONE = ROOT / "export" / "lenet5-phone"
# Every op the ink front and a LeNet-style network need, all TFLite builtins with int8 kernels.
BUILTIN_OPS = {
    "CONV_2D", "DEPTHWISE_CONV_2D", "MEAN", "REDUCE_MAX", "REDUCE_MIN", "ADD", "SUB", "MUL", "MINIMUM",
    "MAXIMUM", "RELU", "MAX_POOL_2D", "AVERAGE_POOL_2D", "FULLY_CONNECTED", "RESHAPE", "SOFTMAX",
    "CONCATENATION", "QUANTIZE", "DEQUANTIZE", "DIV", "TANH", "LOGISTIC", "RSQRT",
}  # fmt: skip


def _tiny(K):
    inputs = K.Input((16, 16, 1), name="image")
    x = K.layers.Normalization(mean=30.0, variance=80.0**2, name="normalization")(inputs)
    x = K.layers.Conv2D(4, 3, activation="relu", name="conv")(x)
    x = K.layers.GlobalAveragePooling2D(name="pool")(x)
    return K.Model(inputs, K.layers.Dense(11, activation="softmax", name="predictions")(x))


def _frames(count=16, seed=0):
    rng = np.random.default_rng(seed)
    return rng.uniform(0, 255, (count, 16, 16, 3)).astype(np.float32)


def test_the_ink_front_converts_to_int8_builtin_ops_only():
    import keras

    model = with_grey_front(_tiny(keras), keras, kind="camera")
    assert model.layers[1].name == INK_LAYER_NAME and model.input_shape == (None, 16, 16, 3)
    content = converter.convert(model, "int8", _frames(), "uint8")
    summary = runtime.op_summary(content)
    assert set(summary["ops"]) <= BUILTIN_OPS, summary["ops"]
    assert {"MEAN", "REDUCE_MAX", "REDUCE_MIN"} <= set(summary["ops"])  # the front's polarity and contrast
    assert summary["integer_only"], summary["float_ops"]


def test_the_ink_front_is_the_same_in_keras_and_the_tf_keras_twin():
    import keras
    import tf_keras

    model = with_grey_front(_tiny(keras), keras, kind="camera")
    twin = with_grey_front(_tiny(tf_keras), tf_keras, kind="camera")
    twin.set_weights(model.get_weights())
    frames = _frames(4)
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
