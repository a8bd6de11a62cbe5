"""Shared test set-up: quiet TensorFlow, deterministic seeds; the trained runs are tests/fixtures.py's."""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
# `auto` precision on a CPU is float32 here, not the machine probe's: results must not depend on the machine
# kind (the probe has its own tests, tests/training/test_precision.py).
os.environ.setdefault("CNNAPP_AUTO_PRECISION", "float32")

import pytest  # noqa: E402

from cnnapp import quiet  # noqa: E402

# The one factory of trained runs and the export subjects made from them, for every test folder.
pytest_plugins = ["tests.fixtures"]

# TensorFlow is imported now, its start-up log captured, as a command does once its arguments are parsed.
quiet.start_tensorflow()


@pytest.fixture(autouse=True)
def _seeded():
    import keras

    keras.utils.set_random_seed(0)
    yield
