"""The bench on JAX (`python -m cnnapp.bench --backend jax`): presets, precision, the jax.numpy matmul peak,
the CLI's refusal to switch backends in a running process, and (slow) a whole run without TensorFlow.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from cnnapp.bench import backend
from cnnapp.bench.__main__ import main
from cnnapp.errors import CnnappError

pytest.importorskip("jax")
ROOT = Path(__file__).parents[2]


def test_gpu_preset_fills_a_gpu_and_auto_precision_is_bfloat16_there():
    assert backend.PRESETS["gpu"]["image_size"] == 224
    assert backend.PRESETS["gpu"]["batch_size"] >= 128
    assert backend.resolve_precision("auto", "gpu") == "mixed_bfloat16"
    assert backend.resolve_precision("auto", "cpu") == "float32"
    assert backend.resolve_precision("float32", "gpu") == "float32"


def test_the_roof_times_jax_numpy_products_per_dtype():
    roofs = backend.measure_roofs(max_n=64)
    assert roofs["float32"]["n"] == 64 and roofs["best"] in roofs
    assert 1e6 < roofs["float32"]["flops_per_s"] < 1e15
    assert "bfloat16" in roofs


def test_the_cli_will_not_switch_the_backend_of_a_running_keras():
    # This process runs Keras on TensorFlow: the backend is picked at import, so say how to run it instead.
    with pytest.raises(CnnappError, match="KERAS_BACKEND=jax python -m cnnapp.bench --backend jax"):
        main(["--backend", "jax", "--json", ""])


@pytest.mark.parametrize(
    "options, message",
    [
        ({"image_size": 16}, "at least 32"),
        ({"precision": "float64"}, "valid precisions"),
        ({"models": ("alexnet",)}, "valid bench models"),
        ({"backend": "tensorflow"}, "valid backend for this bench"),
        ({"steps": 0}, "must be ≥ 1"),
    ],
)
def test_config_refuses_bad_values(options, message):
    with pytest.raises(CnnappError, match=message):
        backend.BackendBenchConfig(**options)


@pytest.mark.slow
def test_a_whole_run_on_jax_without_tensorflow(tmp_path):
    script = textwrap.dedent(
        """
        import importlib.abc, sys

        class NoTensorFlow(importlib.abc.MetaPathFinder):
            def find_spec(self, name, path, target=None):
                if name.split(".")[0] in ("tensorflow", "tf_keras"):
                    raise ImportError(name + " is blocked by the test")

        sys.meta_path.insert(0, NoTensorFlow())
        from cnnapp.bench.__main__ import main
        sys.exit(main(sys.argv[1:]))
        """
    )
    out = tmp_path / "bench.json"
    argv = ["--backend", "jax", "--image-size", "32", "--batch-size", "2", "--steps", "1", "--repeats", "1"]
    argv += ["--matmul-size", "64", "--json", str(out)]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("KERAS_BACKEND", None)  # --backend alone must be enough
    result = subprocess.run(
        [sys.executable, "-c", script, *argv], capture_output=True, text=True, timeout=1800, env=env
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "| vgg16 |" in result.stdout and "| resnet50 |" in result.stdout
    report = json.loads(out.read_text())
    assert report["machine"]["backend"] == "jax"
    assert report["machine"]["tensorflow_loaded"] is False
    assert [row["model"] for row in report["speed"]] == ["vgg16", "resnet50"]
    assert all(row["ratio"] > 0 and row["train_flops_per_image"] > 0 for row in report["speed"])
    assert report["roofs"]["float32"]["flops_per_s"] > 0
    assert all(row["ours_peak_fraction"] > 0 for row in report["speed"])
