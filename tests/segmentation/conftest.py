"""The segmentation tests' shared subject: the shipped digits the scenes are made of, read once per module."""

import numpy as np
import pytest


@pytest.fixture(scope="module")
def digits():
    from cnnapp.data.sources import ASSETS

    with np.load(ASSETS / "digits" / "digits.npz") as data:
        return {key: data[key] for key in data.files}
