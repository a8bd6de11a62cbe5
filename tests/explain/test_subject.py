"""What is explained (`explain.subject`): a run folder, a `.keras` file or a shipped `.tflite`, with its class
names and images; one-line errors for images it cannot take and for paths that are none of these."""

import numpy as np
import pytest

from cnnapp.errors import CnnappError
from cnnapp.explain import subject as S
from cnnapp.runs import load_run

SHIPPED = S.Path(__file__).resolve().parents[2] / "export" / "lenet5-digits" / "float32.tflite"


def test_a_run_folder_brings_its_classes_grey_and_test_images(tiny_run):
    subject = S.load_subject(tiny_run)
    run = load_run(tiny_run)
    assert subject.class_names == tuple(run.meta["class_names"]) and subject.input_shape == (32, 32, 1)
    assert subject.name == tiny_run.name and subject.data == run.recipe.data.pipeline
    np.testing.assert_allclose(subject.fill_value(), run.meta["normalization"]["mean"])
    images, labels = subject.test_images(limit=5)
    assert images.shape == (5, 32, 32, 1) and images.dtype == np.float32 and labels.shape == (5,)
    probs = subject.predict(images)
    np.testing.assert_allclose(probs.sum(1), 1, rtol=1e-5)
    assert subject.predict(images[0]).shape == (1, 10)  # one image without its batch axis


def test_classes_by_name_or_index(tiny_run):
    subject = S.load_subject(tiny_run)
    assert subject.class_index("7") == 7 and subject.class_index(3) == 3 and subject.class_name(99) == "99"
    with pytest.raises(
        CnnappError, match=r"unknown class 'ten'; valid classes: 0, 1, .* \(or an index 0-9\)"
    ):
        subject.class_index("ten")


def test_a_keras_file_outside_a_run_has_no_test_images(tiny_run, tmp_path):
    copy = tmp_path / "model.keras"
    copy.write_bytes((tiny_run / "checkpoints" / "best.keras").read_bytes())
    subject = S.load_subject(copy)
    assert subject.run is None and subject.class_names == tuple(str(i) for i in range(10))
    np.testing.assert_array_equal(subject.fill_value(), [127.5])
    with pytest.raises(
        CnnappError, match="is not part of a run folder, so it has no test images; pass --image"
    ):
        subject.test_images()


def test_a_shipped_tflite_predicts_through_litert():
    subject = S.load_subject(SHIPPED)
    assert subject.model is None and subject.lite is not None
    images = np.zeros((2, *subject.input_shape), np.float32)
    probs = subject.predict(images)
    assert probs.shape == (2, len(subject.class_names)) and np.allclose(probs.sum(1), 1, atol=1e-3)


def test_images_the_model_cannot_take_say_what_it_takes():
    with pytest.raises(CnnappError, match=r"images of shape \(28, 28, 1\) .* resize them to 32×32"):
        S.check_images(np.zeros((2, 28, 28, 1)), (32, 32, 1))
    with pytest.raises(CnnappError, match=r"images with 3 channels given to a model taking 1 \(grey\)"):
        S.check_images(np.zeros((2, 32, 32, 3)), (32, 32, 1))


def test_paths_that_are_no_subject(tmp_path):
    with pytest.raises(CnnappError, match="no run folder or model file at"):
        S.load_subject(tmp_path / "absent.onnx")
    other = tmp_path / "model.onnx"
    other.write_bytes(b"x")
    with pytest.raises(CnnappError, match="is not a run folder, a .keras model or a .tflite export"):
        S.load_subject(other)
