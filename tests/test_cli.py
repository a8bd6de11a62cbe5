"""Fast tier: TensorFlow's C++ start-up log is captured when cnnapp is imported; `--verbose` shows it."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

import cnnapp
from cnnapp import cli

ROOT = Path(__file__).resolve().parents[1]


def test_importing_cnnapp_keeps_tensorflows_start_up_log_off_stderr():
    env = {k: v for k, v in os.environ.items() if k != "TF_CPP_MIN_LOG_LEVEL"}  # as a user's shell has it
    script = "import sys, cnnapp; sys.stdout.write(cnnapp.STARTUP_LOG)"
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0 and result.stderr == ""
    assert result.stdout, "TensorFlow logged nothing at start-up: the test proves nothing on this machine"


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
