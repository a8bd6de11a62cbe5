"""Fast tier: importing cnnapp starts nothing — TensorFlow's runtime stays unconfigured until a command runs.

An eager tensor made at import time (a module-level `tf.constant`) starts TensorFlow's runtime, after which a
MultiWorkerMirroredStrategy cannot be created ("Collective ops must be configured at program startup") and a
GPU's memory growth cannot be set; its first look for a GPU also prints a line before our own output.
"""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

SCRIPT = """
import importlib, pkgutil, sys
import cnnapp
for module in pkgutil.walk_packages(cnnapp.__path__, "cnnapp."):
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


def test_the_backend_a_command_asks_for_decides_whether_cnnapp_imports_tensorflow(monkeypatch):
    import cnnapp

    monkeypatch.delenv("KERAS_BACKEND", raising=False)
    monkeypatch.setattr(sys, "argv", ["-m", "--sections", "speed", "--backend", "jax"])
    assert cnnapp._keras_backend() == "jax" and not cnnapp._tensorflow_backend()
    monkeypatch.setattr(sys, "argv", ["-m", "--backend=torch"])
    assert cnnapp._keras_backend() == "torch"
    monkeypatch.setattr(sys, "argv", ["-m", "--recipe", "lenet5-digits"])
    monkeypatch.setenv("KERAS_BACKEND", "jax")
    assert cnnapp._keras_backend() == "jax"
    monkeypatch.delenv("KERAS_BACKEND")
    assert cnnapp._keras_backend() == "tensorflow" and cnnapp._tensorflow_backend()
