"""Shared test set-up: quiet TensorFlow, deterministic seeds, and the session's one trained run folder."""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
# `auto` precision on a CPU is float32 here, not the machine probe's: results must not depend on the machine
# kind (the probe has its own tests, tests/training/test_precision.py).
os.environ.setdefault("CNNAPP_AUTO_PRECISION", "float32")

import pytest  # noqa: E402

from cnnapp import quiet  # noqa: E402

# The export tests' shared subjects, for tests/deploy/ and the export and predict commands' tests alike.
pytest_plugins = ["tests.fixtures"]

# TensorFlow is imported now, its start-up log captured, as a command does once its arguments are parsed.
quiet.start_tensorflow()


@pytest.fixture(autouse=True)
def _seeded():
    import keras

    keras.utils.set_random_seed(0)
    yield


@pytest.fixture(scope="session")
def digits_run(tmp_path_factory):
    """The README's first command, `python -m cnnapp.train --recipe lenet5-digits`, run once per session.

    A complete run folder (docs/architecture.md, "Runs") of LeNet-5 trained 20 epochs on the shipped digits,
    for every test that needs a real trained run. Treat it as read-only.
    """
    from cnnapp import train

    out = tmp_path_factory.mktemp("runs") / "lenet5-digits"
    assert train.main(["--recipe", "lenet5-digits", "--out", str(out), "--quiet"]) == 0
    return out
