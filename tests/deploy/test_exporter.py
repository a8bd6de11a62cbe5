"""Phone-ready exports, checked in the SDK phone apps use: MediaPipe Tasks' ImageClassifier.

Every export carries TFLite metadata (labels, RGB input, normalization) and the int8 family takes uint8 RGB,
so the SDK classifies camera-like uint8 RGB arrays with no glue code. Its top-1 is compared with LiteRT's on
the same uint8 images: at most 1 image may differ (the issue's tolerance).

Default tier: a float32 and an int8 export of the briefly trained LeNet-5, the committed LeNet-5 float32
and int8 files and the committed GoogLeNet int8 file, on a few dozen test digits. `-m slow`: every
committed export of both models on all 360 test digits, and pictures the SDK resizes itself.
"""

import numpy as np
import pytest

from cnnapp import predict
from cnnapp.data import sources
from cnnapp.deploy import metadata, runtime
from cnnapp.deploy.exporter import ClassifierBaseline, Options, export_model
from tests.fixtures import FAST, ROOT

COMMITTED = ROOT / "export"
MAX_TOP1_DIFFERENCES = 1


def _classifier(content: bytes, max_results: int = 5):
    from mediapipe.tasks.python import vision
    from mediapipe.tasks.python.core.base_options import BaseOptions

    options = vision.ImageClassifierOptions(
        base_options=BaseOptions(model_asset_buffer=content), max_results=max_results
    )
    return vision.ImageClassifier.create_from_options(options)


def sdk_top(content: bytes, images: np.ndarray, k: int = 1) -> list[list[tuple[str, float]]]:
    """(category name, score) of the top k classes of each uint8 RGB image, through the SDK."""
    import mediapipe as mp

    ranked = []
    with _classifier(content, k) as classifier:
        for image in images:
            frame = mp.Image(image_format=mp.ImageFormat.SRGB, data=np.ascontiguousarray(image))
            categories = classifier.classify(frame).classifications[0].categories
            ranked.append([(c.category_name, c.score) for c in categories])
    return ranked


def uint8_rgb(images: np.ndarray) -> np.ndarray:
    """The pipeline's float pixels as the uint8 RGB frames a camera gives."""
    images = np.clip(np.round(images), 0, 255).astype(np.uint8)
    return np.repeat(images, 3, axis=-1) if images.shape[-1] == 1 else images


def check_against_litert(content: bytes, images: np.ndarray, labels: np.ndarray, names) -> tuple[int, int]:
    """SDK top-1 vs LiteRT top-1 on the same uint8 images; returns (differences, SDK errors)."""
    sdk = [ranked[0][0] for ranked in sdk_top(content, images)]
    lite = runtime.LiteModel(content).predict(images.astype(np.float32)).argmax(1)
    lite_names = [names[i] for i in lite]
    differences = sum(a != b for a, b in zip(sdk, lite_names, strict=True))
    errors = sum(a != names[y] for a, y in zip(sdk, labels, strict=True))
    return differences, errors


@pytest.fixture(scope="module")
def lenet_exports(lenet_rgb):
    """float32, int8 (uint8 I/O, the default) and int8 with int8 I/O exports of the LeNet-5 taking RGB."""
    baseline = ClassifierBaseline(lenet_rgb, FAST["eval_limit"])
    options = {"float32": Options(mode="float32", **FAST), "int8": Options(mode="int8", **FAST),
               "int8-int8io": Options(mode="int8", io="int8", **FAST)}  # fmt: skip
    return {tag: export_model(lenet_rgb, option, baseline) for tag, option in options.items()}


def test_exports_carry_metadata_and_run_in_the_sdk(lenet_rgb, lenet_exports):
    images, labels = lenet_rgb.images("test", 40)
    frames = uint8_rgb(images)
    assert frames.shape[1:] == (32, 32, 3)
    for mode in ("float32", "int8"):
        result = lenet_exports[mode]
        meta = metadata.read_metadata(result.content)
        assert meta["labels"] == lenet_rgb.class_names and meta["colorspace"] == "RGB"
        assert meta["name"] == lenet_rgb.name and mode in meta["version"] and meta["license"]
        assert meta["min_parser_version"] == "1.0.0"
        if mode == "float32":  # normalization is inside the model: the SDK must pass raw pixels
            assert (meta["mean"], meta["std"]) == ([0.0], [1.0])
        else:
            assert meta["mean"] is None and result.report["io"] == {"input": "uint8", "output": "uint8"}
            assert result.report["input"]["quantization"] == {"scale": 1.0, "zero_point": 0}
        assert 0 < result.report["size"]["metadata_bytes"] < 3000
        differences, errors = check_against_litert(result.content, frames, labels, lenet_rgb.class_names)
        assert differences <= MAX_TOP1_DIFFERENCES, f"{mode}: {differences} images differ"
        assert errors <= 4, f"{mode}: {errors}/40 wrong through the SDK"


def test_uint8_io_has_the_accuracy_of_int8_io(lenet_exports):
    int8_io = lenet_exports["int8-int8io"].report
    uint8_io = lenet_exports["int8"].report
    assert int8_io["input"]["quantization"] == {"scale": 1.0, "zero_point": -128}
    assert int8_io["export"] == "int8-int8io" and int8_io["io"]["input"] == "int8"
    assert uint8_io["evaluation"]["litert"] == int8_io["evaluation"]["litert"]


def test_predict_reads_the_metadata_and_agrees_with_the_sdk(lenet_rgb, lenet_exports, tmp_path):
    import tensorflow as tf

    content = lenet_exports["int8"].content
    path = tmp_path / "model" / "int8.tflite"
    path.parent.mkdir()
    path.write_bytes(content)  # no labels.txt beside it: the names come from the file
    frames = uint8_rgb(lenet_rgb.images("test", 5)[0])
    for index, frame in enumerate(frames):  # PNGs at the model's input size: no resizing on either side
        image = tmp_path / f"digit{index}.png"
        image.write_bytes(tf.io.encode_png(frame).numpy())
        ours = predict.predict(str(path), [str(image)])[str(image)]
        sdk = sdk_top(content, frame[None], 5)[0]
        scores = [p for _, p in sdk]
        assert np.allclose([p for _, p in ours], scores, atol=1e-6)
        for (name, score), (sdk_name, _) in zip(ours, sdk, strict=True):
            if scores.count(score) == 1:  # tied scores (int8 outputs often tie at 0) may come in any order
                assert name == sdk_name


def test_committed_exports_in_the_sdk():
    """Committed files as a phone app gets them: LeNet-5 float32 and int8 (48 digits), GoogLeNet int8 (24)."""
    _check_committed("lenet5-digits", ("float32", "int8"), limit=48)
    _check_committed("googlenet-digits", ("int8",), limit=24)


@pytest.mark.slow
@pytest.mark.parametrize("model", ["lenet5-digits", "googlenet-digits"])
def test_every_committed_export_in_the_sdk(model):
    tags = [p.stem for p in sorted((COMMITTED / model).glob("*.tflite"))]
    _check_committed(model, tags, limit=None)


def _check_committed(model: str, tags, limit: int | None) -> None:
    from cnnapp.data import DataConfig
    from cnnapp.deploy.subject import split_loader

    images, labels = split_loader("digits", None, DataConfig(image_size=32, channels=1))("test", limit)
    frames = uint8_rgb(images)
    for tag in tags:
        content = (COMMITTED / model / f"{tag}.tflite").read_bytes()
        names = metadata.read_metadata(content)["labels"]
        assert names == tuple(str(i) for i in range(10)), f"{model}/{tag}: labels {names}"
        differences, errors = check_against_litert(content, frames, labels, names)
        assert differences <= MAX_TOP1_DIFFERENCES, f"{model}/{tag}: {differences} images differ"
        assert errors <= 0.05 * len(labels), f"{model}/{tag}: {errors} wrong through the SDK"


def sdk_accuracy_on_resized(content: bytes, size: int) -> float:
    """Top-1 through the SDK on the 360 test scans given at `size`×`size` (the SDK resizes them to 32×32)."""
    import tensorflow as tf

    with np.load(sources.ASSETS / "digits" / "digits.npz") as data:
        scans, labels = data["test_images"], data["test_labels"]
    big = tf.image.resize(scans[..., None].astype(np.float32), (size, size), method="bilinear").numpy()
    names = [ranked[0][0] for ranked in sdk_top(content, uint8_rgb(big))]
    return float(np.mean([name == str(label) for name, label in zip(names, labels, strict=True)]))


@pytest.mark.slow
@pytest.mark.parametrize("model", ["lenet5-digits", "googlenet-digits"])
def test_the_sdk_resizes_larger_images_itself(model):
    """Photos are rarely the model's size: the SDK resizes them. 8×8 scans (upscaled by the SDK) and 128×128
    ones (downscaled) classify nearly as well as the pipeline's own 32×32 (README "Use it in an app")."""
    for tag in ("float32", "int8"):
        content = (COMMITTED / model / f"{tag}.tflite").read_bytes()
        for size in (8, 128):
            assert sdk_accuracy_on_resized(content, size) >= 0.9, f"{model}/{tag} at {size}×{size}"
