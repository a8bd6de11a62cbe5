"""Fast tier: the metadata every export carries, written and read back on a tiny converted classifier: the
facts, the labels file, normalization for a float input only, the model unchanged; bad labels refused."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from cnnapp.deploy import converter, metadata
from cnnapp.deploy.runtime import LiteModel
from cnnapp.errors import CnnappError

LABELS = ("cat", "dog", "bird")


def _info(labels=LABELS) -> metadata.Info:
    return metadata.Info(
        name="tiny",
        description="Three classes from an 8×8 RGB image.",
        version="float32, cnnapp " + metadata.CNNAPP_VERSION,
        author="cnnapp tests",
        licence=metadata.licence("digits"),
        labels=tuple(labels),
    )


@pytest.fixture(scope="module")
def bare():
    """{mode: .tflite bytes without metadata} of a 3-class classifier of 8×8 RGB pixels."""
    keras.utils.set_random_seed(0)
    inputs = keras.Input((8, 8, 3))
    hidden = keras.layers.Conv2D(4, 3, activation="relu")(keras.layers.Rescaling(1 / 255)(inputs))
    outputs = keras.layers.Dense(3, activation="softmax")(keras.layers.GlobalAveragePooling2D()(hidden))
    model = keras.Model(inputs, outputs)
    pixels = np.random.default_rng(0).uniform(0, 255, (16, 8, 8, 3)).astype(np.float32)
    return {mode: converter.convert(model, mode, representative=pixels) for mode in ("float32", "int8")}


def test_a_model_without_metadata_reads_as_none(bare):
    assert metadata.read_metadata(bare["float32"]) is None


def test_what_is_written_is_what_is_read_and_the_model_is_unchanged(bare):
    content = metadata.with_metadata(bare["float32"], _info())
    meta = metadata.read_metadata(content)
    assert {key: meta[key] for key in ("name", "description", "version", "author", "license")} == {
        "name": "tiny",
        "description": "Three classes from an 8×8 RGB image.",
        "version": "float32, cnnapp 0.1.0",
        "author": "cnnapp tests",
        "license": metadata.DATA_LICENCES["digits"],
    }
    assert meta["labels"] == LABELS and meta["label_file"] == metadata.LABELS_FILE
    assert meta["colorspace"] == "RGB"
    assert meta["mean"] == [0.0] and meta["std"] == [1.0]  # normalization is inside the model: identity
    images = np.random.default_rng(1).uniform(0, 255, (4, 8, 8, 3)).astype(np.float32)
    np.testing.assert_array_equal(
        LiteModel(content).predict(images), LiteModel(bare["float32"]).predict(images)
    )


def test_an_integer_input_gets_no_normalization(bare):
    assert LiteModel(bare["int8"]).input_dtype == np.uint8
    meta = metadata.read_metadata(metadata.with_metadata(bare["int8"], _info()))
    assert meta["mean"] is None and meta["std"] is None and meta["labels"] == LABELS


@pytest.mark.parametrize(
    "labels, message",
    [
        (("cat", "dog"), "^2 class names for a model with 3 outputs: give one name per output"),
        (("cat", "", "bird"), "class names must be non-empty single lines"),
        (("cat", "dog\nbird", "fish"), "class names must be non-empty single lines"),
    ],
)
def test_labels_that_do_not_fit_the_outputs_are_refused(bare, labels, message):
    with pytest.raises(CnnappError, match=message):
        metadata.with_metadata(bare["float32"], _info(labels))


def test_a_model_inherits_its_datas_licence():
    assert "CC BY 4.0" in metadata.licence("digits") and "CC BY-SA 3.0" in metadata.licence("mnist4k")
    assert metadata.licence("cifar10") == "Trained on cifar10: the data's licence applies to the model."
    assert metadata.licence("") == "Trained on unnamed data: the data's licence applies to the model."
