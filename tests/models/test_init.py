"""The zoo's front door (`cnnapp.models`): build by name, and `load` a saved `.keras` model with our custom
layers known, or say in one line why a file is not one."""

import zipfile

import numpy as np
import pytest

from cnnapp import models
from cnnapp.errors import CnnappError


def test_a_saved_model_with_custom_layers_loads_and_computes_the_same(tmp_path):
    model = models.build("lenet5-paper", num_classes=10)  # C3 table, subsampling, scaled tanh
    path = tmp_path / "lenet5-paper.keras"
    model.save(path)
    loaded = models.load(path)
    image = np.random.default_rng(0).random((2, *model.input_shape[1:]), "float32")
    np.testing.assert_allclose(np.asarray(loaded(image)), np.asarray(model(image)), rtol=1e-5, atol=1e-6)


def test_missing_file(tmp_path):
    with pytest.raises(CnnappError, match="no model file at"):
        models.load(tmp_path / "absent.keras")


def test_wrong_suffix_names_the_fix(tmp_path):
    path = tmp_path / "model.h5"
    path.write_bytes(b"x")
    with pytest.raises(CnnappError, match=r"is not a \.keras model file \(save models with model.save"):
        models.load(path)


def test_a_file_that_is_not_a_zip_says_damaged(tmp_path):
    path = tmp_path / "model.keras"
    path.write_bytes(b"not a zip")
    with pytest.raises(CnnappError, match="not a zip archive"):
        models.load(path)


def test_a_zip_that_is_not_a_keras_archive_is_one_line(tmp_path):
    path = tmp_path / "model.keras"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("hello.txt", "hi")
    with pytest.raises(CnnappError, match="could not be loaded as a Keras model: ") as error:
        models.load(path)
    assert "\n" not in str(error.value)


def test_the_public_names():
    assert set(models.__all__) <= set(dir(models))
    assert "lenet5" in models.names() and models.get("lenet5").name == "lenet5"
