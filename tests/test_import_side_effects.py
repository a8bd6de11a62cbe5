"""Fast tier: importing cnnapp starts nothing — TensorFlow's runtime stays unconfigured until a command runs,
and importing a cnnapp module (TensorFlow with it, as a notebook does) prints no TensorFlow start-up line.

An eager tensor made at import time (a module-level `tf.constant`) starts TensorFlow's runtime, after which a
MultiWorkerMirroredStrategy cannot be created ("Collective ops must be configured at program startup") and a
GPU's memory growth cannot be set; its first look for a GPU also prints a line before our own output.
"""

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

SCRIPT = """
import importlib, pkgutil, sys
import cnnapp
from cnnapp import quiet
import cnnapp.models  # a notebook's first line: TensorFlow is imported here, quietly (cnnapp.quiet.install)
assert "oneDNN" in quiet.startup_log() or "cpu_feature_guard" in quiet.startup_log(), "nothing was kept"
quiet.start_tensorflow()  # as every command does once its arguments are parsed
for module in pkgutil.walk_packages(cnnapp.__path__, "cnnapp."):
    if module.name.endswith("__main__") and module.name.count(".") == 1:
        continue  # python -m cnnapp: runs the command
    importlib.import_module(module.name)
import tensorflow as tf
tf.config.threading.set_inter_op_parallelism_threads(2)  # a RuntimeError once the runtime has started
print("unconfigured")
"""


def test_importing_every_module_leaves_tensorflow_unstarted_and_prints_nothing():
    result = subprocess.run([sys.executable, "-c", SCRIPT], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip() == "unconfigured"
    assert result.stderr == "", result.stderr[-2000:]


def test_the_backend_a_command_asks_for_decides_whether_it_starts_tensorflow(monkeypatch):
    from cnnapp import quiet

    monkeypatch.setattr(quiet._state, "started", False)
    monkeypatch.setattr(quiet, "_import_tensorflow", lambda: pytest.fail("imported TensorFlow for jax"))
    monkeypatch.delenv("KERAS_BACKEND", raising=False)
    quiet.start_tensorflow(backend="jax")
    monkeypatch.setenv("KERAS_BACKEND", "torch")
    quiet.start_tensorflow()
    assert quiet._state.started is False
