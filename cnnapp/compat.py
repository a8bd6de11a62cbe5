"""Every private TensorFlow, Keras and LiteRT API cnnapp relies on, in one place.

Each function below touches one private name and says why no public one does the job. Pinned versions
(requirements.txt) keep them working; `tests/test_compat.py` checks every one of them against the installed
libraries, so an upgrade that renames or removes one fails there, by name, instead of deep inside an
export, a training run or an audit. The functions check that an attribute exists before relying on it, for
the same reason: a missing private name is an error, never a silent no-op.
"""

from __future__ import annotations

import contextlib
from typing import Any


class PrivateApiMissing(RuntimeError):
    """A private API cnnapp relies on is gone: the installed library is not the pinned version."""


def _require(obj: Any, name: str, what: str) -> Any:
    if not hasattr(obj, name):
        raise PrivateApiMissing(
            f"{type(obj).__name__} has no {name} ({what}); cnnapp needs the versions in requirements.txt"
        )
    return getattr(obj, name)


# --- TFLite converter


def set_per_tensor_weights(converter, per_tensor: bool) -> None:
    """One int8 scale per weight tensor instead of one per output channel.

    `TFLiteConverter` has no public switch for weight-scale granularity; `_experimental_disable_per_channel`
    is the one its quantizer reads (tensorflow/lite/python/lite.py). Assigning an unknown attribute would
    silently do nothing, so the attribute must already exist.
    """
    _require(converter, "_experimental_disable_per_channel", "the per-tensor quantization switch")
    converter._experimental_disable_per_channel = per_tensor


def set_calibrate_only(converter) -> None:
    """Make `converter.convert()` stop after calibration: the float graph with every tensor's observed range.

    The export pins the input's range to [0, 255] between calibration and quantization (raw-pixel uint8
    input); the converter has no public step between the two. `_experimental_calibrate_only` is the switch
    TensorFlow's own `tf.lite.experimental.QuantizationDebugger` sets for the same split.
    """
    _require(converter, "_experimental_calibrate_only", "the calibrate-only switch")
    converter._experimental_calibrate_only = True


def quantize_calibrated_graph(calibrated: bytes, per_tensor: bool, io_dtype, denylisted_nodes=None) -> bytes:
    """Quantize a calibrated TFLite graph to int8 with `io_dtype` input and output, as `convert()` would.

    `tensorflow.lite.python.convert.mlir_quantize` is the quantizer `convert()` and the QuantizationDebugger
    call after calibration (with `denylisted_nodes` for layers kept in float); no public API takes an already
    calibrated graph. `deduplicate_readonly_buffers` is the converter's last step.
    """
    from tensorflow.lite.python import convert as tflite_convert

    for name in ("mlir_quantize", "deduplicate_readonly_buffers"):
        _require(tflite_convert, name, "the TFLite quantizer of calibrated graphs")
    quantized = tflite_convert.mlir_quantize(
        calibrated,
        per_tensor,
        input_data_type=io_dtype,
        output_data_type=io_dtype,
        denylisted_nodes=denylisted_nodes,
    )
    return tflite_convert.deduplicate_readonly_buffers(quantized)


def set_general_metadata(writer, general_md) -> None:
    """Give a MediaPipe `MetadataWriter` the model's name, version, description, author and licence.

    Its public `add_general_info` takes a name and a description only; the writer keeps all five fields in
    `_general_md`, the `GeneralMd` that call builds, so the export sets that object whole.
    """
    _require(writer, "_general_md", "the general metadata of MediaPipe's writer")
    writer._general_md = general_md


def close_metadata_writer(writer) -> None:
    """Remove a MediaPipe `MetadataWriter`'s temporary folder now.

    mediapipe keeps the writer's frame alive (a reference in its C bindings), so the writer would be deleted
    at interpreter exit, where its `__del__` fails noisily; it has no public close, and `_temp_folder` is the
    `TemporaryDirectory` that `__del__` cleans.
    """
    _require(writer, "_temp_folder", "the temporary folder of MediaPipe's writer").cleanup()


# --- TFLite flatbuffers


def read_tflite(content: bytes) -> Any:
    """A .tflite file as the schema's mutable object tree (`ModelT`: subgraphs, tensors, operators, buffers).

    The export edits the converted graph in place (pins the input's range, folds a QAT input requantize,
    strips debug names) and reads its tensor names; no public TensorFlow or LiteRT API edits a flatbuffer.
    `tensorflow.lite.tools.flatbuffer_utils` is the reader TensorFlow's own tools use (visualize, strip).
    """
    from tensorflow.lite.tools import flatbuffer_utils

    read = _require(flatbuffer_utils, "read_model_from_bytearray", "the flatbuffer reader")
    return read(bytearray(content))


def write_tflite(model: Any) -> bytes:
    """The object tree `read_tflite` gave, edited, as .tflite bytes again."""
    from tensorflow.lite.tools import flatbuffer_utils

    write = _require(flatbuffer_utils, "convert_object_to_bytearray", "the flatbuffer writer")
    return bytes(write(model))


# --- LiteRT interpreter


def ops_details(interpreter) -> list[dict]:
    """The interpreter's op table: one dict per op with "index", "op_name", "operand_types", ...

    LiteRT's public API gives tensors only; its Analyzer prints the ops but returns nothing, so the op list
    (which ops are left in float, which kernels an int8 graph uses) comes from `_get_ops_details`.
    """
    return _require(interpreter, "_get_ops_details", "the op table")()


# --- Keras optimizer: Polyak averaging


def ema_slots(optimizer) -> tuple[list, list]:
    """(the trainable variables, their moving averages) of an optimizer built with `use_ema=True`.

    Keras keeps the averages in `_model_variables_moving_average`, in the order of `_trainable_variables`,
    and offers no public accessor (its own `SwapEMAWeights` callback reads the same two attributes); a run
    saves its checkpoints with the averages swapped in.
    """
    return (
        _require(optimizer, "_trainable_variables", "the variables the optimizer updates"),
        _require(optimizer, "_model_variables_moving_average", "the Polyak averages"),
    )


# --- Keras preprocessing layers: stateless seeds (cnnapp.data.mixing)


def stateless_seeds(layer, base):
    """Make every random draw of a Keras image preprocessing layer (and its sub-layers) a stateless function
    of `base`, a shape-[2] integer seed tensor: the k-th draw uses `fold_in(base, k)`.

    Keras's preprocessing layers draw from a stateful `SeedGenerator` held as `layer.generator` (sub-layers,
    as RandAugment's, have their own), and `keras.random` accepts only a generator or an int as a seed: a
    tensor is refused. A generator whose `next()` folds a counter into a per-batch seed gives each batch of
    the training pipeline numbers that depend on (train.seed, step) only, which is what makes a resumed run
    equal an uninterrupted one; a stateful generator inside tf.data would depend on the order of the
    parallel map and restart with every process. Call it inside the traced function, before each use;
    returns the generator, to pass as `seed=` to `get_random_transformation`.
    """
    import keras
    import tensorflow as tf

    class _Folded(keras.random.SeedGenerator):
        def __init__(self):  # no state variable: nothing to save, nothing to advance
            self.count = 0

        def next(self, ordered=True):
            self.count += 1
            return tf.random.experimental.stateless_fold_in(tf.cast(base, tf.int64), self.count)

    _require(layer, "generator", "a preprocessing layer's seed generator")
    generator = _Folded()
    stack, seen = [layer], set()
    while stack:
        current = stack.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        if hasattr(current, "generator"):
            current.generator = generator
        stack += [v for v in vars(current).values() if isinstance(v, keras.layers.Layer)]
    return generator


def augmix_operations(layer) -> list:
    """Keras AugMix's operation layers, in its order (its private `_augment_layers` names them).

    AugMix picks each chain's operations with Python's global `random.choice` while the graph is traced:
    inside tf.data that is one pick for the whole run, and another in every process, so neither seeded nor
    resumable. `cnnapp.data.mixing` picks among these layers per batch from the batch's seed instead; the
    layers themselves (their strengths, the augmentations) are Keras's. No public name lists them.
    """
    names = _require(layer, "_augment_layers", "AugMix's list of operations")
    return [_require(layer, name, f"AugMix's {name} operation") for name in names]


def exact_cutmix_weights(transformation: dict) -> dict:
    """CutMix's transformation with each label weight the share of pixels the image keeps.

    Keras's `CutMix` weighs the labels by the box's real-valued area, 1 − (x1 − x0)(y1 − y0)/(HW), but pastes
    the pixels whose integer coordinates fall in it: on a 32×32 image the two differ by up to ~6% (measured
    12% on 16×16), so labels would not match images. timm corrects λ from the clipped box the same way
    (`correct_lam`). The keys `batch_masks` and `mix_weight` are the layer's own, not a public structure.
    """
    import keras

    for key in ("batch_masks", "mix_weight"):
        if key not in transformation:
            raise PrivateApiMissing(
                f"keras CutMix's transformation has no {key!r}; cnnapp needs the pinned Keras"
            )
    pasted = keras.ops.mean(keras.ops.cast(transformation["batch_masks"], "float32"), axis=(1, 2, 3))
    return {**transformation, "mix_weight": 1.0 - pasted}


# --- Keras model graphs (the audit)


def graph_of(layer) -> Any:
    """The object holding `layer`'s node graph (a functional model of either Keras), or None for a layer.

    Keras has no public way to walk a model's call graph with its tensors (`model.operations` lists layers,
    not calls): tf_keras marks a graph network with `_is_graph_network`, a built Keras 3 Sequential wraps a
    Functional in `_functional`, and a Keras 3 Functional holds `_nodes_by_depth` and `_operations`.
    """
    if getattr(layer, "_is_graph_network", False):  # tf_keras Functional and Sequential
        return layer
    functional = getattr(layer, "_functional", None)  # Keras 3 Sequential, once built
    if functional is not None:
        return functional
    if hasattr(layer, "_nodes_by_depth") and hasattr(layer, "_operations"):  # Keras 3 Functional
        return layer
    return None


def parent_layers(layer) -> list:
    """The layers whose outputs `layer` was first called on (none for an input or an uncalled layer).

    Keras keeps a layer's calls as `_inbound_nodes` and a tensor's maker as `_keras_history` (both Keras 3
    and tf_keras); no public API walks one layer's inputs back."""
    nodes = getattr(layer, "_inbound_nodes", None)
    if not nodes:
        return []
    return [tensor._keras_history[0] for tensor in nodes[0].input_tensors]


def nodes_by_depth(graph) -> dict[int, list]:
    """A graph's nodes by depth (0 = the outputs), as both Keras versions keep them (`_nodes_by_depth`)."""
    return _require(graph, "_nodes_by_depth", "the graph's nodes")


# --- Keras global state (the audit's shapes-only builds)

_UNINITIALIZED = "uninitialized_variables"


def _global_state():
    # Keras exports no accessor for its global attributes; `keras.src.backend.common.global_state` is where
    # StatelessScope(initialize_variables=False) lists the variables it left without values.
    from keras.src.backend.common import global_state

    return global_state


def uninitialized_variables() -> list:
    """The variables Keras will initialize when the next top-level StatelessScope exits (a copy)."""
    return list(_global_state().get_global_attribute(_UNINITIALIZED, [], set_to_default=True))


def set_uninitialized_variables(variables: list) -> None:
    """Replace Keras's list of variables awaiting initialization."""
    _global_state().set_global_attribute(_UNINITIALIZED, list(variables))


@contextlib.contextmanager
def keep_uninitialized_variables():
    """Within, Keras may list variables to initialize; after, its list is what it was before."""
    before = uninitialized_variables()
    try:
        yield
    finally:
        set_uninitialized_variables(before)
