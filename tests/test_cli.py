"""Fast tier: TensorFlow's C++ start-up log is captured when cnnapp is imported; `--verbose` shows it."""

import os
import sys

import pytest

import cnnapp
from cnnapp import cli


def test_importing_cnnapp_captured_tensorflows_start_up_log():
    # tests/conftest.py imports cnnapp first, as `python -m cnnapp.<cli>` does; that the log then stays off a
    # CLI's stderr is checked on the real command line by tests/training/test_cli.py (one line: our error).
    if os.environ["TF_CPP_MIN_LOG_LEVEL"] == "0":
        pytest.skip("TF_CPP_MIN_LOG_LEVEL=0 in this shell asks for the log uncaptured")
    assert "tensorflow" in sys.modules
    assert cnnapp.STARTUP_LOG, "TensorFlow logged nothing at start-up: capture untested on this machine"


def test_verbose_writes_the_captured_log_to_stderr(monkeypatch, capsys):
    monkeypatch.setattr(cnnapp, "STARTUP_LOG", "I0000 port.cc:153] oneDNN custom operations are on.\n")
    parser = cli.ArgumentParser(prog="python -m cnnapp.x")
    assert parser.parse_args([]).verbose is False
    assert capsys.readouterr().err == ""
    assert parser.parse_args(["--verbose"]).verbose is True
    assert capsys.readouterr().err == cnnapp.STARTUP_LOG


@pytest.mark.parametrize(
    "module", ["train", "evaluate", "export", "predict", "audit.__main__", "bench.__main__"]
)
def test_every_cli_takes_verbose(module, capsys):
    import importlib

    main = importlib.import_module(f"cnnapp.{module}").main
    with pytest.raises(SystemExit) as exit_:
        main(["--help"])
    assert exit_.value.code == 0 and "--verbose" in capsys.readouterr().out
