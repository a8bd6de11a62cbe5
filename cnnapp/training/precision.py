"""`auto` precision on a CPU, chosen by evidence: a short probe of float32 against mixed bfloat16, cached.

    choice = cpu_auto_precision()  # {"precision": "mixed_bfloat16", "reason": "bfloat16 is faster here; ..."}

Whether bfloat16 pays on a CPU depends on the machine, not on a rule: on an Intel Xeon with AMX tiles a
bfloat16 convolution runs several times faster than float32; on one AMD CPU with AVX512_BF16 but no AMX it was
slower, on another twice as fast; without bfloat16 instructions it is always slower. So
the probe times a few training steps of a small conv net in both precisions, alternated A-B-B-A
(`cnnapp.timing`), and picks mixed bfloat16 only when it is faster by `MARGIN` in every round's median and
steady. The answer is cached in the user's cache folder (`cnnapp.machine.cache_dir`), keyed by the CPU model,
its flags and the TensorFlow and Keras versions: a new machine or a new kernel library probes again.
"""

from __future__ import annotations

import hashlib
import json
import os
import time

import numpy as np

from cnnapp import machine, timing

# mixed_bfloat16 is chosen only when its steps are at least this much faster (a tie stays float32: it keeps
# the full mantissa for free).
MARGIN = 1.10
PROBE_VERSION = 1
CACHE_NAME = "precision-probe.json"
# Set to float32 or mixed_bfloat16, this decides `auto` on a CPU without probing (the test suite sets float32:
# its results must not depend on the kind of machine that runs it).
ENV = "CNNAPP_AUTO_PRECISION"


def probe_key(cpu: dict, versions: dict) -> str:
    """The cache key: the CPU (model and flags) and the library versions whose kernels were timed."""
    text = json.dumps({"cpu": cpu["key"], "versions": versions, "probe": PROBE_VERSION}, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:20]


def _versions() -> dict:
    import keras
    import tensorflow as tf

    return {"tensorflow": tf.__version__, "keras": keras.__version__}


def probe_model(precision: str):
    """A small VGG-like training step: 3×3 convolutions at 32×32 and 16×16 and a dense head, seeded (its
    initializers carry their own seeds, so probing does not move the global random state)."""
    import keras

    init = keras.initializers.GlorotUniform(seed=1)
    inputs = keras.Input((32, 32, 3))
    x = inputs
    for filters in (64, 64, "pool", 128, 128):
        if filters == "pool":
            x = keras.layers.MaxPooling2D(dtype=precision)(x)
            continue
        x = keras.layers.Conv2D(filters, 3, padding="same", activation="relu", kernel_initializer=init,
                                dtype=precision)(x)  # fmt: skip
    x = keras.layers.GlobalAveragePooling2D(dtype=precision)(x)
    x = keras.layers.Dense(256, activation="relu", kernel_initializer=init, dtype=precision)(x)
    outputs = keras.layers.Dense(10, kernel_initializer=init, dtype="float32")(x)
    model = keras.Model(inputs, outputs)
    model.compile(
        optimizer=keras.optimizers.SGD(0.01, momentum=0.9),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        jit_compile=False,
    )
    return model


def run_probe(batch_size: int = 16, steps: int = 2) -> dict:
    """Time training steps of the probe net in float32 and mixed bfloat16 (A-B-B-A rounds).

    Returns:
        {"speedup" (bfloat16 over float32, median of rounds), "min", "max", "noisy", "float32_step_ms",
        "bfloat16_step_ms", "rounds", "seconds" (the probe's own time)}.
    """
    import tensorflow as tf

    start = time.perf_counter()
    rng = np.random.default_rng(0)
    images = tf.constant(rng.uniform(0, 1, (batch_size, 32, 32, 3)).astype(np.float32))
    labels = tf.constant(rng.integers(0, 10, batch_size).astype(np.int32))
    models = {name: probe_model(name) for name in ("float32", "mixed_bfloat16")}

    def steps_of(model):
        def run():
            for _ in range(steps):
                loss = model.train_on_batch(images, labels)
            float(np.asarray(loss))

        return run

    timed = timing.alternate({n: steps_of(m) for n, m in models.items()}, rounds=3, max_rounds=6)
    speed = timing.ratio(timed, "mixed_bfloat16", "float32")
    step_ms = {n: 1000 * float(np.median(s)) / steps for n, s in timed["wall"].items()}
    return {
        "speedup": speed["median"],
        "min": speed["min"],
        "max": speed["max"],
        "noisy": speed["noisy"],
        "float32_step_ms": step_ms["float32"],
        "bfloat16_step_ms": step_ms["mixed_bfloat16"],
        "rounds": timed["rounds"],
        "seconds": time.perf_counter() - start,
    }


def decide(cpu: dict, probe: dict | None) -> dict:
    """The precision from the CPU's features and the probe's timings: {"precision", "reason"}."""
    if probe is None:
        return {"precision": "float32", "reason": "no bfloat16 instructions (AVX512_BF16, AMX) on this CPU"}
    measured = (
        f"probe: a conv training step {probe['float32_step_ms']:.0f} ms in float32, "
        f"{probe['bfloat16_step_ms']:.0f} ms in mixed_bfloat16 ({probe['speedup']:.2f}×, "
        f"rounds {probe['min']:.2f}–{probe['max']:.2f})"
    )
    if probe["speedup"] >= MARGIN and probe["min"] > 1.0:
        return {"precision": "mixed_bfloat16", "reason": f"bfloat16 is faster here; {measured}"}
    return {"precision": "float32", "reason": f"bfloat16 is not {MARGIN:.2f}× faster here; {measured}"}


def _read_cache() -> dict:
    try:
        cache = json.loads((machine.cache_dir() / CACHE_NAME).read_text())
    except (OSError, ValueError):
        return {}
    return cache if isinstance(cache, dict) else {}


def is_decided() -> bool:
    """Whether `cpu_auto_precision` will answer without probing (overridden, cached, or no bfloat16):
    a caller that must not start TensorFlow's runtime yet can probe in another process first."""
    cpu = machine.cpu_info()
    has_bf16 = cpu["features"].get("avx512_bf16") or cpu["features"].get("amx_bf16")
    return bool(os.environ.get(ENV)) or not has_bf16 or probe_key(cpu, _versions()) in _read_cache()


def cpu_auto_precision(probe=run_probe, cpu: dict | None = None, versions: dict | None = None) -> dict:
    """`auto` precision on this CPU: the cached choice, or a probe (then cached).

    Args:
        probe: the timing (`run_probe`; tests give fake ones).
        cpu, versions: the machine's `cnnapp.machine.cpu_info()` and library versions (defaults: this one's).

    Returns:
        {"precision", "reason", "probe" (timings or None), "key", "cached" (read from the cache)}.
    """
    from cnnapp import atomic
    from cnnapp.errors import unknown

    forced = os.environ.get(ENV, "")
    if forced:
        if forced not in ("float32", "mixed_bfloat16"):
            raise unknown(f"${ENV} precision", forced, ("float32", "mixed_bfloat16"))
        return {"precision": forced, "reason": f"set by ${ENV}", "probe": None, "key": None, "cached": False}
    cpu = cpu or machine.cpu_info()
    versions = versions or _versions()
    key = probe_key(cpu, versions)
    cache = _read_cache()
    if isinstance(cache.get(key), dict) and "precision" in cache[key]:
        return {**cache[key], "cached": True}
    has_bf16 = cpu["features"].get("avx512_bf16") or cpu["features"].get("amx_bf16")
    timings = probe() if has_bf16 else None
    choice = {**decide(cpu, timings), "probe": timings, "key": key, "cpu": cpu["model"], **versions}
    cache[key] = choice
    try:
        atomic.write_json(machine.cache_dir() / CACHE_NAME, cache)
    except OSError:  # a read-only home: the choice holds for this process, and is probed again next time
        pass
    return {**choice, "cached": False}
