"""Fast tier: what a dataset is (`DatasetInfo`) and a loaded one (`Source`)."""

import pytest

from cnnapp import data
from cnnapp.errors import CnnappError


def test_missing_split_lists_the_splits():
    message = "dataset digits has no split 'validation'; its splits: train, test$"
    with pytest.raises(CnnappError, match=message):
        data.load_dataset("digits").split("validation")
