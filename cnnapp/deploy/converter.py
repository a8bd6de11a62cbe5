"""Keras model → `.tflite` bytes through `tf.lite.TFLiteConverter`, in each post-training quantization mode.

    float32   no quantization: the reference, must agree with Keras on every image
    float16   weights stored as float16 (half the bytes), computed in float32 on CPU
    dynamic   weights int8, activations quantized on the fly at run time (no calibration data)
    int8      full integer: weights and activations int8, calibrated on representative images
    int16x8   activations int16, weights int8 (more accurate than int8, still integer-only), calibrated
    qat       the graph of a quantization-aware-trained tf_keras model: its fake-quant ranges become int8

The converter takes Keras 3 and tf_keras models alike (`from_keras_model`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

import numpy as np

from cnnapp import compat
from cnnapp.errors import CnnappError, unknown

MODES = ("float32", "float16", "dynamic", "int8", "int16x8", "qat")
# Modes whose activation ranges come from running representative images through the float model.
CALIBRATED = ("int8", "int16x8")
# Modes whose graph can take integer input and output.
INTEGER_IO = {"int8": np.int8, "int16x8": np.int16, "qat": np.int8}
IO_CHOICES = ("int8", "float")
# Weight-scale granularity of the calibrated integer modes. Per channel (TFLite's default) keeps each filter's
# own range; per tensor stores one scale per kernel, which some accelerators require and which saves the
# scale and zero point per channel of every kernel and bias: much of a narrow net's overhead.
GRANULARITIES = ("per-channel", "per-tensor")


def check_mode(mode: str, io: str | None = None) -> str:
    """Validate `mode` and `io`; return the I/O to use (integer I/O by default where the graph is integer)."""
    if mode not in MODES:
        raise unknown("mode", mode, MODES)
    if io is None:
        return "int8" if mode in INTEGER_IO else "float"
    if io not in IO_CHOICES:
        raise unknown("io", io, IO_CHOICES)
    if io == "int8" and mode not in INTEGER_IO:
        raise CnnappError(
            f"--io int8 needs an integer graph (modes {', '.join(INTEGER_IO)}); {mode} keeps float I/O"
        )
    return io


def representative_dataset(images: np.ndarray) -> Callable[[], Iterable[list[np.ndarray]]]:
    """The converter's calibration generator: one float32 image (batch of 1) at a time."""
    images = np.asarray(images, np.float32)

    def generate():
        for image in images:
            yield [image[None]]

    return generate


def convert(
    model,
    mode: str,
    representative: np.ndarray | None = None,
    io: str | None = None,
    granularity: str = "per-channel",
) -> bytes:
    """Convert a Keras (3 or tf_keras) model to `.tflite` bytes.

    Args:
        model: an inference model taking raw pixels (normalization inside) and returning probabilities.
        mode: one of MODES.
        representative: float32 images (N, H, W, C) in [0, 255] for calibration; needed by int8 and
            int16x8; qat takes them for its integer input (its other ranges come from its fake-quant nodes).
        io: "int8" for integer input/output (int16 for int16x8), "float" to keep float32 I/O; default by mode.
        granularity: "per-channel" or "per-tensor" weight scales (calibrated modes only).

    Int8 graphs are converted with TFLITE_BUILTINS as a fallback, so an op with no integer kernel stays in
    float instead of failing; `runtime.op_summary` lists such ops and the report names them. Every graph
    leaves with its intermediate tensor names stripped (see _strip_debug_names).
    """
    import tensorflow as tf

    io = check_mode(mode, io)
    check_granularity(granularity, mode)
    if mode in CALIBRATED and (representative is None or len(representative) == 0):
        raise CnnappError(
            f"mode {mode} needs calibration images: export a run folder (its recipe's data) or pass --dataset"
        )
    converter = tf.lite.TFLiteConverter.from_keras_model(model)
    if mode == "float16":
        converter.optimizations = [tf.lite.Optimize.DEFAULT]
        converter.target_spec.supported_types = [tf.float16]
    elif mode == "dynamic":
        converter.optimizations = [tf.lite.Optimize.DEFAULT]
    elif mode in ("int8", "qat"):
        converter.optimizations = [tf.lite.Optimize.DEFAULT]
        if representative is not None and len(representative):
            converter.representative_dataset = representative_dataset(representative)
        converter.target_spec.supported_ops = [
            tf.lite.OpsSet.TFLITE_BUILTINS_INT8,
            tf.lite.OpsSet.TFLITE_BUILTINS,
        ]
    elif mode == "int16x8":
        converter.optimizations = [tf.lite.Optimize.DEFAULT]
        converter.representative_dataset = representative_dataset(representative)
        converter.target_spec.supported_ops = [
            tf.lite.OpsSet.EXPERIMENTAL_TFLITE_BUILTINS_ACTIVATIONS_INT16_WEIGHTS_INT8,
            tf.lite.OpsSet.TFLITE_BUILTINS,
        ]
    compat.set_per_tensor_weights(converter, granularity == "per-tensor")  # a private switch: see compat
    if io == "int8":
        converter.inference_input_type = tf.as_dtype(INTEGER_IO[mode])
        converter.inference_output_type = tf.as_dtype(INTEGER_IO[mode])
    try:
        content = converter.convert()
    except Exception as error:
        raise _conversion_error(error, model) from None
    return _tidy(content, fold_input=mode == "qat" and io == "int8")


def check_granularity(granularity: str, mode: str) -> None:
    if granularity not in GRANULARITIES:
        raise unknown("granularity", granularity, GRANULARITIES)
    if granularity == "per-tensor" and mode not in CALIBRATED:
        raise CnnappError(
            f"--per-tensor applies to the calibrated modes ({', '.join(CALIBRATED)}); {mode} has no "
            "calibrated weight scales to choose"
        )


def _tidy(content: bytes, fold_input: bool) -> bytes:
    """Edit the converted flatbuffer once: strip debug names, and fold a QAT graph's input requantize."""
    from tensorflow.lite.tools import flatbuffer_utils

    model = flatbuffer_utils.read_model_from_bytearray(bytearray(content))
    if fold_input:
        _fold_input_requantize(model)
    _strip_debug_names(model)
    return bytes(flatbuffer_utils.convert_object_to_bytearray(model))


def _strip_debug_names(model) -> None:
    """Drop the names of intermediate tensors; the graph's inputs and outputs keep theirs.

    The converter names each tensor after the TF ops fused into it (`model/inception_3a/...;...`): debug text
    the runtime never reads, 22 kB in the quarter-width GoogLeNet (5% of its int8 file). Signatures and I/O
    names stay, so the signature runner and `get_input_details` work as before.
    """
    for graph in model.subgraphs:
        keep = {*graph.inputs, *graph.outputs}
        for index, tensor in enumerate(graph.tensors):
            if index not in keep:
                tensor.name = None


# Builtin operator codes (tensorflow/lite/schema/schema.fbs).
_DEQUANTIZE, _QUANTIZE = 6, 114


def _fold_input_requantize(model) -> None:
    """Replace a float DEQUANTIZE → QUANTIZE pair after an integer input by one integer requantize.

    A QAT graph with integer I/O gets that pair when the input's calibrated scale differs from its learned
    fake-quant range; QUANTIZE also takes an int8 input (it rescales in integers), so the DEQUANTIZE goes.
    """
    graph = model.subgraphs[0]

    def code(op):
        entry = model.operatorCodes[op.opcodeIndex]
        return max(entry.builtinCode, entry.deprecatedBuiltinCode)

    for op in list(graph.operators):
        if code(op) != _DEQUANTIZE or op.inputs[0] not in graph.inputs:
            continue
        readers = [o for o in graph.operators if op.outputs[0] in o.inputs]
        if len(readers) != 1 or code(readers[0]) != _QUANTIZE or op.outputs[0] in graph.outputs:
            continue
        readers[0].inputs[0] = op.inputs[0]
        graph.operators.remove(op)


def _conversion_error(error: Exception, model) -> CnnappError:
    """A one-line error naming the op the converter could not take and the layer it came from."""
    text = str(error)
    ops = sorted(set(re.findall(r"'tf\.(\w+)' op is neither", text)))
    layers = _layers_in(text, model, ops)
    if ops:
        where = f" in layer {', '.join(map(repr, layers))}" if layers else ""
        return CnnappError(
            f"TFLite has no kernel for op {', '.join(ops)}{where}: replace the layer with built-in ops "
            f"(see https://ai.google.dev/edge/litert/models/ops_compatibility)"
        )
    first = next(
        (line for line in text.splitlines() if "error" in line.lower()), text.splitlines()[0] if text else ""
    )
    return CnnappError(f"TFLite conversion failed: {first.strip()[:300]}")


def _layers_in(text: str, model, ops: list[str]) -> list[str]:
    """Names of the model's layers that appear in the converter's op locations for the failing ops."""
    names = {layer.name for layer in model.layers}
    found = []
    for op in ops or [""]:
        for path in re.findall(rf'fused\["{op}\w*:", "([^"@]+)', text):
            for segment in path.split("/"):
                base = re.sub(r"_\d+$", "", segment)
                for candidate in (segment, base):
                    if candidate in names and candidate not in found and candidate != model.name:
                        found.append(candidate)
    return found
