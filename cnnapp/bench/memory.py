"""A training step's measured peak memory beside the audit's estimate (`cnnapp.audit.memory`).

    row = training_memory("vgg16", image_size=224, batch_size=8)   # in a fresh process
    row["measured_bytes"], row["estimated_bytes"], row["error"]

Each model is measured in a process of its own, so what an earlier model left in the allocator does not
count: on a CPU the growth of the process's resident set from its baseline (TensorFlow and Keras imported,
nothing built) to its peak (the high-water mark, VmHWM) over building the model and two SGD-with-momentum
steps; on a GPU `tf.config.experimental.get_memory_info`'s peak. Both sides are float32 (the audit counts
activations at float32).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

# The estimate's error beyond which the row says what the audit leaves out.
TOLERANCE = 0.25
LEFT_OUT = (
    "the framework's workspace: the initializers' and the backward pass's temporaries, oneDNN scratch and "
    "reordered weight copies, the allocator's cached blocks"
)


def _status_bytes(field: str) -> int | None:
    """A `/proc/self/status` memory field (VmRSS, VmHWM) in bytes; None where there is no /proc."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
    except OSError:
        return None
    return None


def _peak_rss() -> int:
    peak = _status_bytes("VmHWM")
    if peak is None:
        import resource

        scale = 1 if sys.platform == "darwin" else 1024  # ru_maxrss: bytes on macOS, KiB on Linux
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale
    return peak


def measure_here(model_name: str, image_size: int, batch_size: int, num_classes: int = 10) -> dict:
    """Build our `model_name`, take two training steps; the memory it took, and the audit's estimate."""
    import keras
    import numpy as np
    import tensorflow as tf

    from cnnapp.audit import audit_model
    from cnnapp.audit.memory import estimate
    from cnnapp.bench.speed import _batch, _compile, get_pair

    gpu = bool(tf.config.list_physical_devices("GPU"))
    baseline = _status_bytes("VmRSS") or _peak_rss()
    if gpu:
        tf.config.experimental.reset_memory_stats("GPU:0")
    keras.utils.set_random_seed(0)
    shape = (image_size, image_size, 3)
    model = get_pair(model_name).build_ours(shape, num_classes)
    _compile(model, jit=False)
    built = _status_bytes("VmRSS") or _peak_rss()
    images, labels = _batch(shape, num_classes, batch_size)
    for _ in range(2):
        loss = model.train_on_batch(images, labels)
    float(np.asarray(loss))
    if gpu:
        measured, how = tf.config.experimental.get_memory_info("GPU:0")["peak"], "GPU peak (get_memory_info)"
    else:
        measured, how = _peak_rss() - baseline, "CPU: peak RSS above the baseline"
    memory = estimate(audit_model(model), batch_size=batch_size, optimizer="momentum")
    error = measured / memory.training_bytes - 1
    return {
        "model": model_name,
        "image_size": image_size,
        "batch_size": batch_size,
        "how": how,
        "baseline_bytes": baseline,
        "after_build_bytes": built - baseline,
        "measured_bytes": measured,
        "estimated_bytes": memory.training_bytes,
        "estimate_parts": {
            "parameters": memory.training_parameter_bytes,
            "gradients": memory.gradient_bytes,
            "optimizer": memory.optimizer_bytes,
            "activations": memory.training_activation_bytes,
        },
        "error": error,
        "within_tolerance": abs(error) <= TOLERANCE,
        **({} if abs(error) <= TOLERANCE else {"left_out": LEFT_OUT}),
    }


def training_memory(model_name: str, image_size: int, batch_size: int, timeout: float = 1800) -> dict:
    """`measure_here` in a fresh Python process (its own baseline, no earlier model's memory)."""
    code = (
        "import json, sys; from cnnapp.bench.memory import measure_here; "
        "print('RESULT ' + json.dumps(measure_here(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]))))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, model_name, str(image_size), str(batch_size)],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)},  # this one's imports
    )
    lines = [line for line in done.stdout.splitlines() if line.startswith("RESULT ")]
    if done.returncode != 0 or not lines:
        tail = (done.stderr.strip().splitlines() or ["no output"])[-1]
        return {"model": model_name, "error_message": f"the measuring process failed: {tail}"}
    return json.loads(lines[-1][len("RESULT ") :])
