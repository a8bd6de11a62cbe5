"""Fast tier: classifying image files with a `.tflite` or a bare `.keras`: probabilities (logits read as
such), top-k names from metadata, labels.txt or indices, images decoded and stretched to the input; a file
predict cannot read as a classifier refused in one line. Models of runs: tests/test_predict.py."""

from __future__ import annotations

import shutil

import numpy as np
import pytest
import tensorflow as tf

from cnnapp import tasks
from cnnapp.deploy import metadata
from cnnapp.deploy.classifier import Classifier, load_classifier, read_image
from cnnapp.errors import CnnappError
from tests.fixtures import ROOT
from tests.reliability.fault_rows import keras_model

INT8 = ROOT / "export" / "lenet5-digits" / "int8.tflite"


def _fixed(outputs) -> Classifier:
    """A classifier whose model answers `outputs` whatever the images."""
    outputs = np.asarray(outputs, np.float32)
    return Classifier(ROOT / "model.tflite", lambda images: outputs, (8, 8, 1), ("a", "b", "c"))


def _png(path, pixels) -> str:
    path.write_bytes(tf.io.encode_png(np.asarray(pixels, np.uint8)).numpy())
    return path


def test_a_distribution_passes_and_logits_are_read_as_logits():
    probabilities = [[0.2, 0.5, 0.3]]
    fixed = _fixed(probabilities)
    np.testing.assert_allclose(fixed.predict(np.zeros((1, 8, 8, 1))), probabilities, atol=1e-6)
    assert not fixed.logits
    quantized = _fixed([[0.0, 253 / 256, 0.0]])  # a uint8 output: a distribution up to 1/256 a class
    quantized.predict(np.zeros((1, 8, 8, 1)))
    assert not quantized.logits
    logits = _fixed([[2.0, -1.0, 0.0]])
    out = logits.predict(np.zeros((1, 8, 8, 1)))
    assert logits.logits and np.allclose(out.sum(), 1) and out.argmax() == 0
    np.testing.assert_allclose(out[0], np.exp([2.0, -1.0, 0.0]) / np.exp([2.0, -1.0, 0.0]).sum(), rtol=1e-5)


def test_non_finite_outputs_say_the_model_is_broken():
    with pytest.raises(CnnappError, match="gives non-finite outputs .* the model is broken"):
        _fixed([[np.nan, 0.5, 0.5]]).predict(np.zeros((1, 8, 8, 1)))


def test_top_k_is_best_first_with_names_and_indices_past_the_names():
    fixed = _fixed([[0.1, 0.6, 0.05, 0.25]])  # four outputs, three names
    assert fixed.top_k(np.zeros((8, 8, 1)), k=3) == [
        ("b", pytest.approx(0.6)),
        ("3", pytest.approx(0.25)),
        ("a", pytest.approx(0.1)),
    ]


def test_a_tflite_with_metadata_names_its_classes_and_stretches_images(tmp_path):
    lite = load_classifier(INT8)
    assert lite.input_shape == (32, 32, 3) and lite.class_names == tuple("0123456789") and lite.data is None
    grey = np.zeros((12, 20, 1), np.uint8)
    grey[:, :10] = 255  # the left half white
    pixels = read_image(_png(tmp_path / "grey.png", grey), lite.input_shape)
    assert pixels.shape == (32, 32, 3) and pixels.dtype == np.float32  # stretched, grey made RGB
    assert pixels[:, :14].min() == 255 and pixels[:, 18:].max() == 0
    best = lite.top_k(pixels, k=3)
    assert len(best) == 3 and {name for name, _ in best} <= set("0123456789")
    assert best[0][1] >= best[1][1] >= best[2][1]


def test_a_bare_model_takes_labels_txt_beside_it_else_indices(tmp_path):
    bare = load_classifier(keras_model(tmp_path, "softmax"))
    assert bare.class_names == ("0", "1", "2") and bare.input_shape == (8, 8, 1) and bare.data is None
    (tmp_path / "labels.txt").write_text("cat\ndog\n\nbird\n")
    assert load_classifier(next(tmp_path.glob("*.keras"))).class_names == ("cat", "dog", "bird")
    (tmp_path / "labels.txt").write_text("cat\ndog\n")
    with pytest.raises(CnnappError, match="labels.txt has 2 class names but the model has 3 outputs"):
        load_classifier(next(tmp_path.glob("*.keras")))


def test_logits_of_a_keras_model_are_made_probabilities(tmp_path):
    logits = load_classifier(keras_model(tmp_path, "logits"))
    out = logits.predict(np.full((2, 8, 8, 1), 100.0))
    assert logits.logits and np.allclose(out.sum(axis=1), 1, atol=1e-5)


@pytest.mark.parametrize(
    "kind, message",
    [
        (
            "two-outputs",
            r"has 1 input\(s\) and 2 outputs; predict takes an image classifier with one of each",
        ),
        ("segmenter", r"outputs \(None, 8, 8, 3\): predict classifies whole images"),
    ],
)
def test_a_model_that_is_no_classifier_is_refused_in_one_line(tmp_path, kind, message):
    with pytest.raises(CnnappError, match=message) as caught:
        load_classifier(keras_model(tmp_path, kind))
    assert "\n" not in str(caught.value)


def test_a_segmenter_gets_its_tasks_refusal_when_predict_names_the_task(tmp_path):
    with pytest.raises(
        CnnappError, match=r"a map per pixel \(a segmenter\): predict classifies whole images"
    ):
        load_classifier(keras_model(tmp_path, "segmenter"), task_of_output=tasks.of_output)


def test_metadata_labels_that_do_not_fit_the_outputs_are_refused(tmp_path, monkeypatch):
    original = metadata.read_metadata  # load_classifier imports it when it opens a .tflite
    monkeypatch.setattr(
        metadata, "read_metadata", lambda content: {**original(content), "labels": ("a", "b")}
    )
    with pytest.raises(CnnappError, match="its metadata has 2 labels for 10 outputs: re-export it"):
        load_classifier(shutil.copy(INT8, tmp_path / "int8.tflite"))


@pytest.mark.parametrize(
    "name, content, message",
    [
        ("missing.tflite", None, "no model file at"),
        ("model.onnx", b"onnx", "is not a model file: predict takes a .tflite or a .keras model"),
        ("empty.tflite", b"", r"is empty \(0 bytes\)"),
    ],
)
def test_what_is_no_model_file_is_one_line(tmp_path, name, content, message):
    if content is not None:
        (tmp_path / name).write_bytes(content)
    with pytest.raises(CnnappError, match=message):
        load_classifier(tmp_path / name)


def test_an_unreadable_or_missing_image_is_one_line(tmp_path):
    with pytest.raises(CnnappError, match="no image file at"):
        read_image(tmp_path / "none.png", (8, 8, 1))
    (tmp_path / "text.png").write_text("not an image")
    with pytest.raises(CnnappError, match=r"text\.png is not a readable image \(PNG, JPEG, BMP or GIF\)"):
        read_image(tmp_path / "text.png", (8, 8, 1))
