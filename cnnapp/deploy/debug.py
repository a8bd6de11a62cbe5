"""Which layers lose the most to int8: `tf.lite.experimental.QuantizationDebugger`, named by Keras layer.

    rows = layer_errors(model, images, granularity="per-tensor")
    write_tables(rows, "export/googlenet-digits/int8-pertensor")   # .debug.csv and .debug.md

The debugger runs the float and the int8 graph side by side on the same images and compares every quantized
tensor with its float value. It names TFLite tensors (`functional_1/inception_4e_3x3_1/Relu;...`); each row
here also names the Keras layers the tensor comes from, which is what `--float-layers` takes.

Columns: `rmse/scale` (root-mean-square error in units of the tensor's quantization step: about 0.29 is the
rounding error alone, a value well above 1 means the range or the values are badly served by 8 bits),
`mean_error` (a bias the next layers inherit), `range` (255 steps × scale: the span int8 covers).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from cnnapp import atomic, compat
from cnnapp.deploy import converter as conv

COLUMNS = ("keras_layers", "op", "rmse/scale", "mean_error", "max_abs_error", "range", "scale", "tensor")


def layer_errors(
    model, images: np.ndarray, granularity: str = "per-channel", float_layers: Sequence[str] = ()
) -> list[dict]:
    """Per-tensor quantization error of `model`'s int8 graph on `images`, worst (largest rmse/scale) first.

    Args:
        model: the Keras model the int8 export converts (raw pixels in).
        images: float32 images in [0, 255]: calibration and debugging set.
        granularity: "per-channel" or "per-tensor" weight scales, as in the export.
        float_layers: Keras layers kept in float (their tensors drop out of the table).
    """
    import tensorflow as tf

    layer_names = [layer.name for layer in model.layers if layer.name != model.name]
    converter = tf.lite.TFLiteConverter.from_keras_model(model)
    converter.optimizations = [tf.lite.Optimize.DEFAULT]
    converter.representative_dataset = conv.representative_dataset(images)
    converter.target_spec.supported_ops = [
        tf.lite.OpsSet.TFLITE_BUILTINS_INT8,
        tf.lite.OpsSet.TFLITE_BUILTINS,
    ]
    compat.set_per_tensor_weights(converter, granularity == "per-tensor")  # a private switch: see compat
    nodes = None
    if float_layers:
        calibrating = tf.lite.TFLiteConverter.from_keras_model(model)
        calibrating.optimizations = converter.optimizations
        calibrating.representative_dataset = converter.representative_dataset
        nodes = conv.float_nodes(conv.calibrate(calibrating), model, float_layers)
    debugger = tf.lite.experimental.QuantizationDebugger(
        converter=converter,
        debug_dataset=conv.representative_dataset(images),
        debug_options=tf.lite.experimental.QuantizationDebugOptions(denylisted_nodes=nodes),
    )
    debugger.run()
    buffer = io.StringIO()
    debugger.layer_statistics_dump(buffer)
    buffer.seek(0)
    rows = []
    for entry in csv.DictReader(buffer):
        scale = float(entry["scale"])
        rows.append(
            {
                "keras_layers": "+".join(conv.tensor_layers(entry["tensor_name"], layer_names)) or "?",
                "op": entry["op_name"],
                "rmse/scale": float(np.sqrt(float(entry["mean_squared_error"])) / scale) if scale else 0.0,
                "mean_error": float(entry["mean_error"]),
                "max_abs_error": float(entry["max_abs_error"]),
                "range": 255.0 * scale,
                "scale": scale,
                "tensor": entry["tensor_name"],
            }
        )
    rows.sort(key=lambda row: -row["rmse/scale"])
    return rows


def markdown(rows: list[dict], title: str, top: int | None = None) -> str:
    """The table as Markdown, worst first (the first `top` rows, or all)."""
    lines = [
        f"# {title}",
        "",
        "Quantization error per tensor, worst first (tf.lite.experimental.QuantizationDebugger on the "
        "calibration images). rmse/scale: RMS error in quantization steps (rounding alone is ~0.29); "
        "range: the span the int8 tensor covers. Keep a layer in float with `--float-layers NAME`.",
        "",
        "| Keras layer | op | rmse/scale | mean error | max abs error | range |",
        "|---|---|---:|---:|---:|---:|",
    ]
    for row in rows[:top]:
        lines.append(
            f"| {row['keras_layers']} | {row['op']} | {row['rmse/scale']:.3f} | {row['mean_error']:+.4f} | "
            f"{row['max_abs_error']:.4f} | {row['range']:.3f} |"
        )
    return "\n".join(lines) + "\n"


def write_tables(rows: list[dict], stem: str | Path, title: str) -> dict[str, Path]:
    """Write `<stem>.debug.csv` and `<stem>.debug.md`, atomically; returns their paths."""
    stem = Path(stem)
    paths = {
        "debug_csv": stem.with_name(stem.name + ".debug.csv"),
        "debug_md": stem.with_name(stem.name + ".debug.md"),
    }
    text = io.StringIO()
    writer = csv.DictWriter(text, COLUMNS, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: (f"{v:.6g}" if isinstance(v, float) else v) for k, v in row.items()})
    atomic.write_text(paths["debug_csv"], text.getvalue())
    atomic.write_text(paths["debug_md"], markdown(rows, title))
    return paths
