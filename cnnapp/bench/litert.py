"""LiteRT inference latency per image, float32 against int8: what a phone's CPU would spend on one picture.

    rows = latency_rows(export_dir="export")     # every .tflite under export/
    rows = convert_and_time("lenet5")           # no exports: convert a fresh model both ways, then time it

Latency is measured at batch 1 on one interpreter thread (a phone app classifies one picture at a time, and
one thread is the per-core cost), as the median of timed invocations after a warm-up.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from cnnapp.choices import TRAIN
from cnnapp.errors import CnnappError


def _time(content: bytes, runs: int) -> dict:
    from cnnapp.deploy.runtime import LiteModel, op_summary

    model = LiteModel(content, num_threads=1)
    image = np.random.default_rng(0).uniform(0, 255, model.input_shape).astype(np.float32)
    latency = model.latency_ms(image, runs=runs)
    return {
        "latency_ms": latency["median"],
        "bytes": len(content),
        "integer_only": op_summary(content)["integer_only"],
        "input_dtype": model.input_dtype.name,
        "input_shape": list(model.input_shape),
    }


def _with_speedup(rows: list[dict]) -> list[dict]:
    """Add `speedup` (float32 latency / this latency) to the rows of each model that has a float32 row."""
    floats = {row["model"]: row["latency_ms"] for row in rows if row["mode"] == "float32"}
    for row in rows:
        if row["model"] in floats:
            row["speedup"] = floats[row["model"]] / row["latency_ms"]
    return rows


def _mode_of(path: Path, integer_only: bool) -> str:
    for mode in ("float32", "float16", "dynamic", "int16x8", "int8", "qat"):
        if mode in path.stem:
            return mode
    return "int8" if integer_only else "float"


def latency_rows(export_dir: str | Path = "export", runs: int = 50) -> list[dict]:
    """Latency of every `.tflite` file under `export_dir` (none: an empty list).

    Each row: {"model" (its folder, or its name when alone), "mode" (from the file name, else from its ops),
    "file", "latency_ms", "bytes", "integer_only", "input_dtype", "input_shape", "speedup"}.
    """
    root = Path(export_dir)
    rows = []
    for path in sorted(root.rglob("*.tflite")) if root.is_dir() else []:
        timed = _time(path.read_bytes(), runs)
        folder = path.parent.relative_to(root).as_posix()
        model = path.stem if folder == "." else folder
        rows.append(
            {"model": model, "mode": _mode_of(path, timed["integer_only"]), "file": str(path), **timed}
        )
    rows.sort(key=lambda row: (row["model"], row["mode"] != "float32", row["file"]))
    return _with_speedup(rows)


def convert_and_time(
    architecture: str = "lenet5", calibration: int = 64, runs: int = 50, **options
) -> list[dict]:
    """Build `architecture` with seeded weights, convert it to float32 and int8, and time both.

    The int8 graph is calibrated on the shipped digits (resized and converted to the model's input), so its
    activation ranges are those of real images. The weights are untrained: latency does not depend on them.
    """
    import keras
    import tensorflow as tf

    from cnnapp import models
    from cnnapp.data import load_dataset
    from cnnapp.deploy.converter import convert

    keras.utils.set_random_seed(0)
    model = models.inference_model(models.build(architecture, **options))
    height, width, channels = (int(d) for d in model.input_shape[1:])
    digits = load_dataset("digits").splits[TRAIN].take(calibration).batch(calibration)
    images = next(iter(digits))[0]
    images = tf.image.resize(images, (height, width))
    if channels == 3:
        images = tf.image.grayscale_to_rgb(images)
    elif channels != 1:
        raise CnnappError(
            f"{architecture} takes {channels}-channel inputs; the bench calibrates with grey digits"
        )
    images = np.clip(images.numpy(), 0, 255)
    rows = []
    for mode in ("float32", "int8"):
        content = convert(model, mode, representative=images if mode == "int8" else None)
        rows.append({"model": architecture, "mode": mode, "file": "", **_time(content, runs)})
    return _with_speedup(rows)


def op_profile(architecture: str = "lenet5", runs: int = 300, calibration: int = 32) -> list[dict]:
    """Per-layer latency of `architecture` in float32 and int8 (XNNPACK, 1 thread), by prefixes.

    LiteRT's Python interpreter has no per-op timer, so each prefix of the network (its input up to layer k)
    is converted in both modes and timed; a layer's cost is its prefix's latency less the previous one's, so
    the first layer's row holds the fixed cost of an invocation too (the input and, in int8, its
    quantization). The weights are seeded, not trained: latency does not depend on them.

    Returns:
        [{"layer", "float32_us", "int8_us"}, ..., {"layer": "(total)", ...}].
    """
    import keras

    from cnnapp import models
    from cnnapp.deploy import runtime
    from cnnapp.deploy.converter import convert

    keras.utils.set_random_seed(0)
    model = models.inference_model(models.build(architecture))
    height, width, channels = (int(d) for d in model.input_shape[1:])
    images = (
        np.random.default_rng(0).uniform(0, 255, (calibration, height, width, channels)).astype(np.float32)
    )
    layers = [layer for layer in model.layers if not isinstance(layer, keras.layers.InputLayer)]
    previous = {"float32": 0.0, "int8": 0.0}
    rows = []
    for layer in layers:
        prefix = keras.Model(model.inputs, layer.output)
        row = {"layer": layer.name}
        for mode in ("float32", "int8"):
            content = convert(prefix, mode, representative=images if mode == "int8" else None)
            interp = runtime._interpreter(content, 1)
            interp.allocate_tensors()
            detail = interp.get_input_details()[0]
            interp.set_tensor(detail["index"], np.zeros(detail["shape"], detail["dtype"]))
            total = min(runtime.median_us(interp, runs) for _ in range(3))  # the least disturbed
            row[f"{mode}_us"] = total - previous[mode]
            previous[mode] = total
        rows.append(row)
    rows.append({"layer": "(total)", **{f"{m}_us": previous[m] for m in previous}})
    return rows
