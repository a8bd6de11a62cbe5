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
from collections.abc import Callable, Iterable, Sequence

import numpy as np

from cnnapp import compat
from cnnapp.deploy import xnnpack
from cnnapp.errors import CnnappError, unknown

MODES = ("float32", "float16", "dynamic", "int8", "int16x8", "qat")
# Modes whose activation ranges come from running representative images through the float model.
CALIBRATED = ("int8", "int16x8")
# Integer I/O each integer mode can take; the first is its default. uint8 is what a camera frame is and what
# MediaPipe Tasks feeds; int16x8 keeps float I/O by default (MediaPipe refuses int16), int16 as "int8".
INTEGER_IO = {"int8": ("uint8", "int8"), "qat": ("uint8", "int8"), "int16x8": ("int8",)}
IO_DTYPES = {("int16x8", "int8"): np.int16, "uint8": np.uint8, "int8": np.int8}
IO_CHOICES = ("uint8", "int8", "float")
# Weight-scale granularity of the calibrated integer modes. Per channel (TFLite's default) keeps each filter's
# own range; per tensor stores one scale per kernel, which some accelerators require and which saves the
# scale and zero point per channel of every kernel and bias: much of a narrow net's overhead.
GRANULARITIES = ("per-channel", "per-tensor")
# The input range every integer graph is quantized for: raw pixels. With uint8 input that is scale 1 and
# zero point 0, so a camera frame's bytes go in as they are.
PIXEL_RANGE = (0.0, 255.0)


def default_io(mode: str) -> str:
    """uint8 for the int8-family graphs (camera frames are uint8 RGB), float for every other mode."""
    return "uint8" if mode in ("int8", "qat") else "float"


def io_dtype(mode: str, io: str):
    """The numpy type of the model's input and output for `mode` and resolved `io`."""
    if io == "float":
        return np.float32
    return IO_DTYPES.get((mode, io), IO_DTYPES[io])


def check_mode(mode: str, io: str | None = None) -> str:
    """Validate `mode` and `io`; return the I/O to use (uint8 by default where the graph is int8)."""
    if mode not in MODES:
        raise unknown("mode", mode, MODES)
    if io is None:
        return default_io(mode)
    if io not in IO_CHOICES:
        raise unknown("io", io, IO_CHOICES)
    if io != "float" and io not in INTEGER_IO.get(mode, ()):
        takers = [m for m, ios in INTEGER_IO.items() if io in ios]
        raise CnnappError(
            f"--io {io} needs a graph that takes {io} (modes {', '.join(takers)}); {mode} takes "
            f"{'/'.join(INTEGER_IO.get(mode, ())) + ' or ' if mode in INTEGER_IO else ''}float: drop --io "
            f"or choose one of those modes"
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
    float_layers: Sequence[str] = (),
) -> bytes:
    """Convert a Keras (3 or tf_keras) model to `.tflite` bytes.

    Args:
        model: an inference model taking raw pixels (normalization inside) and returning probabilities.
        mode: one of MODES.
        representative: float32 images (N, H, W, C) in [0, 255] for calibration; needed by int8 and
            int16x8; qat takes them for its integer input (its other ranges come from its fake-quant nodes).
        io: "uint8" or "int8" for integer input/output ("int8" means int16 for int16x8), "float" to keep
            float32 I/O; default by mode (`default_io`).
        granularity: "per-channel" or "per-tensor" weight scales (calibrated modes only).
        float_layers: Keras layer names whose ops stay in float (int8 only; see `quantize_calibrated`).

    Int8 graphs are converted with TFLITE_BUILTINS as a fallback, so an op with no integer kernel stays in
    float instead of failing; `runtime.op_summary` lists such ops and the report names them. Every graph
    leaves with its intermediate tensor names stripped (see _strip_debug_names). An int8 graph's average
    pools are converted as depthwise convolutions, which XNNPACK runs in int8 (`xnnpack.pools_as_depthwise`).
    """
    import tensorflow as tf

    io = check_mode(mode, io)
    check_granularity(granularity, mode)
    if float_layers and mode != "int8":
        raise CnnappError(f"--float-layers applies to --mode int8 (post-training calibration); got {mode}")
    if mode in CALIBRATED and (representative is None or len(representative) == 0):
        raise CnnappError(
            f"mode {mode} needs calibration images: export a run folder (its recipe's data) or pass --dataset"
        )
    if mode == "int8":
        model = xnnpack.pools_as_depthwise(model)
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
    try:
        if mode == "int8":
            content = quantize_calibrated(
                calibrate(converter), model, io, granularity == "per-tensor", float_layers
            )
        else:
            if io != "float":
                converter.inference_input_type = tf.as_dtype(io_dtype(mode, io))
                converter.inference_output_type = tf.as_dtype(io_dtype(mode, io))
            content = converter.convert()
    except CnnappError:
        raise
    except Exception as error:
        raise _conversion_error(error, model) from None
    content = _tidy(content, fold_input=mode == "qat" and io != "float")
    check_input_quantization(content, mode, io)
    return content


def calibrate(converter) -> bytes:
    """The float graph with the observed min/max of every tensor on the representative images.

    The converter's own calibration (`_experimental_calibrate_only`, the switch QuantizationDebugger uses
    too), stopped before quantizing, so the input's range can be pinned to the pixel range first.
    """
    compat.set_calibrate_only(converter)
    return converter.convert()


def quantize_calibrated(
    calibrated: bytes, model, io: str, per_tensor: bool, float_layers: Sequence[str] = ()
) -> bytes:
    """Quantize a calibrated graph to int8, its input range pinned to [0, 255], as the converter would.

    The input's calibrated range is whatever the calibration images spanned: [0, 255] only when some image
    holds a 0 and a 255 pixel. Pinning it makes the uint8 input exactly scale 1, zero point 0 (raw bytes).
    `float_layers` (Keras layer names) keep their ops in float (`denylisted_nodes`, as in
    `tf.lite.experimental.QuantizationDebugOptions`).
    """
    import tensorflow as tf

    calibrated = _pin_input_range(calibrated, *PIXEL_RANGE)
    nodes = float_nodes(calibrated, model, float_layers) if float_layers else None
    return compat.quantize_calibrated_graph(
        calibrated, per_tensor, tf.as_dtype(io_dtype("int8", io)), denylisted_nodes=nodes
    )


def _pin_input_range(calibrated: bytes, low: float, high: float) -> bytes:
    tree = compat.read_tflite(calibrated)
    graph = tree.subgraphs[0]
    for index in graph.inputs:
        quantization = graph.tensors[index].quantization
        quantization.min, quantization.max = np.array([low], np.float32), np.array([high], np.float32)
    return compat.write_tflite(tree)


def tensor_layers(name: str, layer_names: Iterable[str]) -> list[str]:
    """The Keras layers a TFLite tensor name comes from: `model_1/conv1_1/Relu;model_1/conv1_1/BiasAdd` →
    ["conv1"] (Keras 3 suffixes its name scopes with `_1`; fused ops join several names with `;`)."""
    names = set(layer_names)
    found = []
    for part in name.split(";"):
        for segment in part.split("/"):
            for candidate in (segment, re.sub(r"_\d+$", "", segment)):
                if candidate in names and candidate not in found:
                    found.append(candidate)
                    break
    return found


def float_nodes(calibrated: bytes, model, float_layers: Sequence[str]) -> list[str]:
    """The calibrated graph's tensor names (the quantizer's node names) made by the Keras `float_layers`."""
    layer_names = [layer.name for layer in model.layers if layer.name != model.name]
    missing = [name for name in float_layers if name not in layer_names]
    if missing:
        raise CnnappError(
            f"--float-layers names no layer of {model.name}: {', '.join(missing)}; its layers are named in "
            f"the --debug table (or model.summary())"
        )
    tree = compat.read_tflite(calibrated)
    graph = tree.subgraphs[0]
    wanted = set(float_layers)
    nodes = []
    for op in graph.operators:
        for index in op.outputs:
            name = graph.tensors[index].name
            name = name.decode() if isinstance(name, bytes) else str(name or "")
            if wanted & set(tensor_layers(name, layer_names)):
                nodes.append(name)
    if not nodes:
        raise CnnappError(
            f"--float-layers {', '.join(float_layers)}: no op of the converted graph comes from them "
            "(folded into a neighbour?); name a conv or dense layer"
        )
    return nodes


def check_input_quantization(content: bytes, mode: str, io: str) -> None:
    """Integer input must be raw pixels: scale 1 and zero point 0 for uint8 (−128 for int8)."""
    if io == "float" or mode not in ("int8", "qat"):
        return
    from cnnapp.deploy.runtime import LiteModel

    scale, zero_point = LiteModel(content).input_detail["quantization"]
    expected = 0 if io == "uint8" else -128
    if abs(scale - 1.0) > 1e-6 or zero_point != expected:
        raise CnnappError(
            f"the {mode} export's {io} input is quantized with scale {scale:g}, zero point {zero_point}, not "
            f"raw pixels (1, {expected}): the model's input range is not [0, 255]; export a model that "
            "takes raw pixels"
        )


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
    model = compat.read_tflite(content)
    if fold_input:
        _fold_input_requantize(model)
    _strip_debug_names(model)
    return compat.write_tflite(model)


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
