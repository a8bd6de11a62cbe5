"""The machine's roof: the dense matmul rate per dtype, with sizes grown until the rate stops rising.

    roofs = measure_roofs(tensorflow_seconds, roof_dtypes(cpu_info()["features"], gpu=False))
    roof_for(roofs, "mixed_bfloat16")     # the bfloat16 roof: what "% of peak" is measured against

A small matmul measures the call overhead and the cache, not the arithmetic units: a 1024² float32 product
can run at a third of what a 4096² one reaches, and a bfloat16 one (AMX tiles, AVX512_BF16) at a quarter. So
each dtype's size is doubled from `start` until the rate rises by less than `MIN_GAIN` twice in a row, or one
product takes longer than `max_seconds`, and the best rate seen is that dtype's roof. A fraction of peak is
only honest against the roof of the precision the model actually computes in.

This module imports no framework at load: the TensorFlow and JAX benches give it their own timing function.
"""

from __future__ import annotations

import time
from collections.abc import Callable

# Growth stops when doubling the size raises the rate by less than this, `PATIENCE` times in a row.
MIN_GAIN = 0.05
PATIENCE = 2
# The Keras policy → the dtype its convolutions and matmuls compute in.
COMPUTE_DTYPE = {"float32": "float32", "mixed_bfloat16": "bfloat16", "mixed_float16": "float16"}


def grow(
    seconds_at: Callable[[int], float],
    start: int = 512,
    max_n: int = 8192,
    max_seconds: float = 1.5,
    min_gain: float = MIN_GAIN,
    patience: int = PATIENCE,
) -> dict:
    """The roof of one dtype: sizes doubled from `start` until the rate stops rising.

    Args:
        seconds_at: n → the best seconds of an n×n by n×n product (warmed up).
        start, max_n: the first and the largest size tried.
        max_seconds: no larger size is tried once one product takes this long (a slow dtype stays cheap).
        min_gain: a doubling that raises the rate by less than this counts as flat.
        patience: flat doublings in a row that end the growth.

    Returns:
        {"flops_per_s" (the best rate), "n" (its size), "sizes": [{"n", "flops_per_s"}, ...], "stopped"}.
    """
    sizes, best, flat, n = [], None, 0, start
    stopped = f"reached the largest size, {max_n}"
    while n <= max_n:
        seconds = seconds_at(n)
        rate = 2 * n**3 / seconds
        sizes.append({"n": n, "flops_per_s": rate})
        if best is not None and rate < best["flops_per_s"] * (1 + min_gain):
            flat += 1
        else:
            flat = 0
        if best is None or rate > best["flops_per_s"]:
            best = sizes[-1]
        if flat >= patience:
            stopped = f"the rate rose by less than {min_gain:.0%} over {patience} doublings"
            break
        if seconds > max_seconds:
            stopped = f"one product took {seconds:.1f} s"
            break
        n *= 2
    return {"flops_per_s": best["flops_per_s"], "n": best["n"], "sizes": sizes, "stopped": stopped}


def roof_dtypes(features: dict, gpu: bool) -> list[str]:
    """The dtypes worth a roof: float32 and bfloat16 always (the probe shows whether bfloat16 pays), int8 on
    a CPU with VNNI or AMX (integer dot products), float16 on a GPU."""
    dtypes = ["float32", "bfloat16"]
    if gpu:
        dtypes.append("float16")
    elif features.get("vnni") or features.get("amx_int8"):
        dtypes.append("int8")
    return dtypes


def best_of(run: Callable[[], object], runs: int) -> float:
    """The fewest seconds of `runs` calls of `run` (after one untimed call): a roof is what the hardware does
    when nothing else gets in the way."""
    run()
    best = float("inf")
    for _ in range(runs):
        start = time.perf_counter()
        run()
        best = min(best, time.perf_counter() - start)
    return best


def tensorflow_seconds(dtype: str, runs: int = 3) -> Callable[[int], float]:
    """n → the best seconds of a TensorFlow n×n product in `dtype` (int8: quantized uint8 × uint8 → int32,
    the oneDNN/gemmlowp kernel TensorFlow has on a CPU)."""
    import tensorflow as tf

    def seconds_at(n: int) -> float:
        if dtype == "int8":
            a = tf.cast(tf.random.stateless_uniform((n, n), (1, 2), 0, 255, tf.int32), tf.quint8)
            b = tf.cast(tf.random.stateless_uniform((n, n), (3, 4), 0, 255, tf.int32), tf.quint8)
            lo, hi = tf.constant(0.0), tf.constant(1.0)

            @tf.function
            def product(x, y):
                out = tf.raw_ops.QuantizedMatMul(
                    a=x, b=y, min_a=lo, max_a=hi, min_b=lo, max_b=hi, Toutput=tf.qint32
                )[0]
                return tf.reduce_sum(tf.bitcast(out, tf.int32))
        else:
            a = tf.random.stateless_uniform((n, n), seed=(1, 2), dtype=dtype)
            b = tf.random.stateless_uniform((n, n), seed=(3, 4), dtype=dtype)

            @tf.function
            def product(x, y):
                return tf.reduce_sum(tf.cast(tf.matmul(x, y), tf.float32))

        return best_of(lambda: product(a, b).numpy(), runs)  # reading the sum makes the device finish

    return seconds_at


def measure_roofs(
    seconds_for: Callable[[str], Callable[[int], float]], dtypes: list[str], **grow_options
) -> dict:
    """Each dtype's roof (`grow`), and "best": the dtype with the highest roof.

    Args:
        seconds_for: dtype → its `seconds_at` (`tensorflow_seconds`, or the JAX bench's).
        dtypes: which (`roof_dtypes`).
    """
    roofs: dict = {}
    for dtype in dtypes:
        try:
            roofs[dtype] = grow(seconds_for(dtype), **grow_options)
        except Exception as error:  # a dtype this device or framework has no kernel for: said, not fatal
            roofs[dtype] = {"error": f"{type(error).__name__}: {str(error).splitlines()[0][:200]}"}
    measured = {d: r for d, r in roofs.items() if "flops_per_s" in r}
    roofs["best"] = max(measured, key=lambda d: measured[d]["flops_per_s"]) if measured else None
    return roofs


def roof_for(roofs: dict, precision: str) -> dict:
    """The roof of the dtype `precision` (a Keras policy) computes in: {"dtype", "flops_per_s", "n"}."""
    dtype = COMPUTE_DTYPE.get(precision, "float32")
    roof = roofs.get(dtype, {})
    if "flops_per_s" not in roof:
        raise ValueError(f"no {dtype} roof was measured (precision {precision})")
    return {"dtype": dtype, "flops_per_s": roof["flops_per_s"], "n": roof["n"]}
