"""Threads and oneDNN options chosen by measurement: each candidate timed in a process of its own.

    tuning = tune(precision="mixed_bfloat16")    # {"candidates": [...], "chosen": {...}, "applied": ...}
    apply_threads(tuning["chosen"])              # before TensorFlow's runtime starts

TensorFlow reads its thread pools' sizes when its runtime starts and the oneDNN switch
(TF_ENABLE_ONEDNN_OPTS) when it is imported, so a candidate cannot be tried in a process that has run
anything: each one runs the precision probe's conv net (`cnnapp.training.precision.probe_model`) for a few
steps in a child process, which reports its own median step time (its start-up is not counted). Children run
in palindrome order (A B C C B A, `cnnapp.timing`) so the machine's drift under other processes' load costs
each candidate the same. The default (TensorFlow's own sizes, oneDNN on) is kept unless another candidate is
faster by more than `MIN_GAIN`.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys

# Another setting replaces TensorFlow's defaults only when its median step is this much faster.
MIN_GAIN = 0.05


def candidates(cores: int) -> list[dict]:
    """The settings tried: TensorFlow's defaults, oneDNN off, one inter-op thread, and half the cores."""
    out = [
        {"name": "default", "intra": 0, "inter": 0, "onednn": True},
        {"name": "oneDNN off", "intra": 0, "inter": 0, "onednn": False},
        {"name": f"intra {cores}, inter 1", "intra": cores, "inter": 1, "onednn": True},
    ]
    if cores > 1:
        out.append({"name": f"intra {max(1, cores // 2)}, inter 2", "intra": max(1, cores // 2), "inter": 2,
                    "onednn": True})  # fmt: skip
    return out


def child(setting: dict, precision: str, steps: int) -> dict:
    """In a fresh process: apply `setting`, time `steps` probe-net training steps; {"step_ms", "cpu_ms"}."""
    import time

    import numpy as np
    import tensorflow as tf

    from cnnapp.training.precision import probe_model

    apply_threads(setting)
    model = probe_model(precision)
    rng = np.random.default_rng(0)
    images = tf.constant(rng.uniform(0, 1, (16, 32, 32, 3)).astype(np.float32))
    labels = tf.constant(rng.integers(0, 10, 16).astype(np.int32))
    model.train_on_batch(images, labels)  # trace and warm up
    walls, cpus = [], []
    for _ in range(steps):
        wall, cpu = time.perf_counter(), time.process_time()
        float(np.asarray(model.train_on_batch(images, labels)))
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    return {"step_ms": 1000 * statistics.median(walls), "cpu_ms": 1000 * statistics.median(cpus)}


def apply_threads(setting: dict) -> None:
    """Set TensorFlow's thread pools to `setting`'s sizes (0 keeps TensorFlow's default)."""
    import tensorflow as tf

    if setting.get("intra"):
        tf.config.threading.set_intra_op_parallelism_threads(int(setting["intra"]))
    if setting.get("inter"):
        tf.config.threading.set_inter_op_parallelism_threads(int(setting["inter"]))


def _run_child(setting: dict, precision: str, steps: int) -> tuple[float, float]:
    code = (
        "import json, sys; from cnnapp.bench.tuning import child; "
        "print('RESULT ' + json.dumps(child(json.loads(sys.argv[1]), sys.argv[2], int(sys.argv[3]))))"
    )
    env = {**os.environ, "TF_ENABLE_ONEDNN_OPTS": "1" if setting["onednn"] else "0",
           "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}  # fmt: skip
    done = subprocess.run(
        [sys.executable, "-c", code, json.dumps(setting), precision, str(steps)],
        capture_output=True, text=True, env=env, timeout=600,
    )  # fmt: skip
    lines = [line for line in done.stdout.splitlines() if line.startswith("RESULT ")]
    if done.returncode != 0 or not lines:
        raise RuntimeError((done.stderr.strip().splitlines() or ["no output"])[-1])
    result = json.loads(lines[-1][len("RESULT ") :])
    return result["step_ms"] / 1000, result["cpu_ms"] / 1000


def choose(timings: dict, names: list[str], min_gain: float = MIN_GAIN) -> str:
    """The fastest candidate by median step time; the first (the default) unless another beats it by
    more than `min_gain`."""
    medians = {name: statistics.median(timings["wall"][name]) for name in names}
    fastest = min(medians, key=medians.get)
    return fastest if medians[fastest] < medians[names[0]] * (1 - min_gain) else names[0]


def tune(precision: str, cores: int, steps: int = 4, rounds: int = 1, runner=_run_child) -> dict:
    """Time every candidate (`candidates`) in child processes, palindrome rounds; the chosen setting.

    Returns:
        {"precision", "candidates": [{..., "step_ms": [per round], "cpu_ms": [...]}], "chosen", "applied"}.
    """
    from cnnapp import timing

    settings = {s["name"]: s for s in candidates(cores)}
    timings = timing.alternate(
        {name: (lambda s=s: runner(s, precision, steps)) for name, s in settings.items()},
        rounds=rounds,
        max_rounds=rounds,
        timer=lambda work: work(),
        warmup=False,
    )
    names = list(settings)
    chosen = settings[choose(timings, names)]
    current = os.environ.get("TF_ENABLE_ONEDNN_OPTS", "1") != "0"
    applied = "threads set for this run" + (
        ""
        if chosen["onednn"] == current
        else f"; the oneDNN switch is read at import: run with TF_ENABLE_ONEDNN_OPTS={int(chosen['onednn'])}"
    )
    rows = [
        {
            **s,
            "step_ms": [1000 * t for t in timings["wall"][n]],
            "cpu_ms": [1000 * t for t in timings["cpu"][n]],
        }
        for n, s in settings.items()
    ]
    return {"precision": precision, "candidates": rows, "chosen": chosen, "applied": applied}
