"""Fast tier: what a dataset is (`DatasetInfo`) and a loaded one (`Source`)."""

import numpy as np
import pytest
import tensorflow as tf

from cnnapp import data
from cnnapp.errors import CnnappError


def test_missing_split_lists_the_splits():
    message = "dataset digits has no split 'validation'; its splits: train, test$"
    with pytest.raises(CnnappError, match=message):
        data.load_dataset("digits").split("validation")


def _info(**changes):
    fields = dict(
        name="toy", num_classes=2, class_names=["a", "b"], split_sizes={"train": 4}, image_shape=(8, 8, 1)
    )
    return data.DatasetInfo(**{**fields, **changes})


def test_dataset_info_is_frozen_with_its_lists_made_immutable():
    sizes = {"train": 4}
    info = _info(split_sizes=sizes)
    sizes["test"] = 2  # the caller's dict changing later does not change the info
    assert info.class_names == ("a", "b") and dict(info.split_sizes) == {"train": 4}
    with pytest.raises(TypeError):
        info.split_sizes["test"] = 2
    with pytest.raises(AttributeError):
        info.num_classes = 3
    assert info.identity == ""


def test_a_source_serves_its_splits_and_names_how_to_choose_another():
    train = tf.data.Dataset.from_tensor_slices(np.zeros((4, 8, 8, 1), np.float32))
    source = data.Source(_info(), {"train": train})
    assert source.split("train") is train
    with pytest.raises(TypeError):
        source.splits["test"] = train
    message = r"dataset toy has no split 'test'; its splits: train \(set train\.validation\)$"
    with pytest.raises(CnnappError, match=message):
        source.split("test", fix="set train.validation")
