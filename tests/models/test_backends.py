"""The zoo on JAX: one subprocess with KERAS_BACKEND=jax and TensorFlow made unimportable (`jax_worker.py`).

This process (TensorFlow backend) builds each architecture small, saves its weights as `.weights.h5` and its
outputs; the JAX process loads the weights, must give the same outputs (≤ 1e-5, float32), trains one step with
`fit` and saves its weights, which must load back here and give the JAX process's outputs. Both audits agree.
The default run covers every custom layer; every other architecture runs with `-m slow`.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from cnnapp import audit, models

pytest.importorskip("jax")

WORKER = Path(__file__).with_name("jax_worker.py")
ROOT = Path(__file__).parents[2]
# Compiling a training step is most of the cost (1.5-15 s of CPU each, GoogLeNet the most). The default run
# takes every architecture with a cnnapp custom layer (those that failed on JAX before: scaled tanh,
# subsampling, partial table, untied biases, LRN, option-A shortcut) and one plain VGG; the rest, built only
# from Keras's own layers, run with `-m slow`.
FAST = ["lenet1989", "lenet5-paper", "alexnet", "vgg11", "resnet20"]
REST = [n for n in models.names() if n not in FAST]


def small(name):
    return models.build(name, **models.get(name).small_options)


def outputs_of(model, x):
    out = model(x, training=False)
    return np.asarray(out[0] if isinstance(out, list | tuple) else out)


def run_on_jax(names, directory: Path) -> dict:
    """Save each model's TensorFlow side in `directory`, run the JAX worker on it: its report, our models."""
    built = {}
    for name in names:
        model = small(name)
        rng = np.random.default_rng(0)
        x = rng.normal(size=(2, *model.input_shape[1:])).astype("float32")
        num_classes = model.outputs[0].shape[-1]
        model.save_weights(directory / f"{name}.weights.h5")
        np.savez(directory / f"{name}.weights.npz", **{f"w{i}": w for i, w in enumerate(model.get_weights())})
        np.save(directory / f"{name}.x.npy", x)
        np.save(directory / f"{name}.labels.npy", rng.integers(0, num_classes, len(x)).astype("int32"))
        built[name] = model
    env = {
        **os.environ,
        "KERAS_BACKEND": "jax",
        "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
        # Tiny models: compiling dominates, and XLA compiles several times faster without LLVM optimization.
        "XLA_FLAGS": "--xla_backend_optimization_level=0",
    }
    command = [sys.executable, str(WORKER), str(directory), *names]
    result = subprocess.run(command, capture_output=True, text=True, timeout=1200, env=env)
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads(result.stdout.strip().splitlines()[-1])
    return {"report": report, "models": built, "directory": directory}


@pytest.fixture(scope="module")
def fast(tmp_path_factory):
    return run_on_jax(FAST, tmp_path_factory.mktemp("jax"))


def check(run, name):
    """Every per-architecture promise: same outputs, a training step, weights that travel back, same audit."""
    seen = run["report"]["models"][name]
    model, directory = run["models"][name], run["directory"]
    x = np.load(directory / f"{name}.x.npy")
    np.testing.assert_allclose(np.load(directory / f"{name}.jax.y.npy"), outputs_of(model, x), atol=1e-5)
    assert seen["loaded_exactly"], "the .weights.h5 saved under TensorFlow did not load exactly under JAX"
    assert np.isfinite(seen["loss"])
    assert seen["weights_changed"] == seen["weights"] > 0, "fit left some weights untouched"
    model.load_weights(directory / f"{name}.jax.weights.h5")
    np.testing.assert_allclose(outputs_of(model, x), np.load(directory / f"{name}.jax.fit.y.npy"), atol=1e-5)
    totals = audit.audit_model(model).totals
    assert seen["audit"] == {"params": totals.params, "macs": totals.macs}


def test_the_package_imports_and_works_without_tensorflow(fast):
    report = fast["report"]
    assert report["backend"] == "jax"
    assert not report["tensorflow_loaded"]
    assert set(report["models"]) == set(FAST)


@pytest.mark.parametrize("name", FAST)
def test_jax_matches_tensorflow_trains_and_its_weights_load_back(fast, name):
    check(fast, name)


@pytest.mark.slow
def test_every_other_architecture_on_jax(tmp_path):
    run = run_on_jax(REST, tmp_path)
    assert not run["report"]["tensorflow_loaded"]
    for name in REST:
        check(run, name)
