"""The RGB→grey front: lets a model trained on grey images take the H×W×3 frames every camera gives.

    model = with_grey_front(model, keras)        # (H, W, 1) model → (H, W, 3) model, same weights
    twin = with_grey_front(twin, tf_keras)       # the tf_keras twin alike, so QAT and pruning keep it

The front is one weight-free layer, `rgb_to_grey`, inserted between the input and the `normalization` layer:
grey = 0.299 R + 0.587 G + 0.114 B (ITU-R BT.601 luma, the weights of `tf.image.rgb_to_grayscale`; they sum
to 1, so a grey image given as R = G = B passes unchanged). It is a 1×1 convolution with a constant kernel, so
TFLite runs it as one CONV_2D, which has an int8 kernel. Resizing stays the job of the app (or MediaPipe).
"""

from __future__ import annotations

import copy
import functools

import numpy as np

LAYER_NAME = "rgb_to_grey"
# ITU-R BT.601 luma weights of R, G, B.
LUMA = (0.299, 0.587, 0.114)
INPUT_CHANNELS = ("rgb", "native")


@functools.cache
def grey_front_layer(K):
    """The RgbToGrey layer class for Keras module `K` (keras or tf_keras)."""

    @K.saving.register_keras_serializable(package="cnnapp")
    class RgbToGrey(K.layers.Layer):
        """(N, H, W, 3) RGB → (N, H, W, 1) grey by the BT.601 luma weights; no trainable weights."""

        def call(self, inputs):
            import tensorflow as tf

            kernel = tf.constant(np.reshape(LUMA, (1, 1, 3, 1)), dtype=inputs.dtype)
            return tf.nn.conv2d(inputs, kernel, strides=1, padding="VALID")

        def compute_output_shape(self, input_shape):
            return (*input_shape[:-1], 1)

    return RgbToGrey


def needs_front(model) -> bool:
    """Whether `model` takes one-channel (grey) images, i.e. whether a front would change its input."""
    return int(model.input_shape[-1]) == 1


def with_grey_front(model, keras_module=None):
    """A copy of single-input functional `model` (H, W, 1) that takes (H, W, 3) RGB, with `model`'s weights.

    The config is rewired (public API in keras and tf_keras): the input layer gets 3 channels and every layer
    that read it reads `rgb_to_grey` instead; the rest of the graph, and so its weights, stay as they were.
    """
    from cnnapp.models.common import resolve_keras

    K = resolve_keras(keras_module)
    if not needs_front(model):
        raise ValueError(f"{model.name} takes {model.input_shape[-1]} channels; the grey front needs 1")
    config = copy.deepcopy(model.get_config())
    inputs = config["input_layers"]  # Keras 3: [name, 0, 0]; tf_keras: [[name, 0, 0]]
    image = (inputs[0] if isinstance(inputs[0], list | tuple) else inputs)[0]
    entry = next(c for c in config["layers"] if c["name"] == image)
    for key in ("batch_shape", "batch_input_shape"):  # Keras 3 / tf_keras
        if key in entry["config"]:
            entry["config"][key] = [*entry["config"][key][:-1], 3]
    layer = dict(K.layers.serialize(grey_front_layer(K)(name=LAYER_NAME)))
    layer["name"] = LAYER_NAME
    consumers = [c for c in config["layers"] if _references(c["inbound_nodes"], image)]
    layer["inbound_nodes"] = copy.deepcopy(consumers[0]["inbound_nodes"][:1])
    for consumer in consumers:
        consumer["inbound_nodes"] = _rename(consumer["inbound_nodes"], image, LAYER_NAME)
    position = config["layers"].index(entry) + 1
    config["layers"].insert(position, layer)
    rgb = K.Model.from_config(config)
    rgb.set_weights(model.get_weights())
    return rgb


# Walking a layer config's inbound nodes: Keras 3 writes {"keras_history": [name, node, tensor]}, tf_keras
# [name, node, tensor, {kwargs}]. (cnnapp.runs has the same walk for the normalization layer.)
def _is_ref(node, name) -> bool:
    return isinstance(node, list | tuple) and len(node) == 4 and node[0] == name and isinstance(node[3], dict)


def _references(nodes, name) -> bool:
    if isinstance(nodes, dict):
        history = nodes.get("keras_history")
        if isinstance(history, list | tuple) and history and history[0] == name:
            return True
        return any(_references(v, name) for v in nodes.values())
    if isinstance(nodes, list | tuple):
        return _is_ref(nodes, name) or any(_references(v, name) for v in nodes)
    return False


def _rename(nodes, old, new):
    if isinstance(nodes, dict):
        out = {k: _rename(v, old, new) for k, v in nodes.items()}
        history = out.get("keras_history")
        if isinstance(history, list | tuple) and history and history[0] == old:
            out["keras_history"] = [new, *history[1:]]
        return out
    if isinstance(nodes, list | tuple):
        if _is_ref(nodes, old):
            return [new, *nodes[1:]]
        return [_rename(v, old, new) for v in nodes]
    return nodes
