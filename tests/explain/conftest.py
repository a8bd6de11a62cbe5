"""Shared subjects for the explain tests: one short real training run of the README's main command.

Session-scoped, so the run is trained once (3 epochs of LeNet-5 on the shipped digits, in-process through
`cnnapp.train.main`) and every explain test reads the same folder.
"""

import pytest


@pytest.fixture(scope="session")
def digits_run(tmp_path_factory):
    from cnnapp import train

    out = tmp_path_factory.mktemp("explain-runs") / "lenet5-digits"
    argv = ["--recipe", "lenet5-digits", "--set", "train.epochs=3", "--out", str(out), "--quiet"]
    assert train.main(argv) == 0
    return out
