"""The fronts: let a model trained on grey images take the H×W×3 frames every camera gives.

    model = with_grey_front(model, keras)        # (H, W, 1) model → (H, W, 3) model, same weights
    twin = with_grey_front(twin, tf_keras)       # the tf_keras twin alike, so QAT and pruning keep it
    model = with_grey_front(model, keras, kind="camera")   # the ink front of a run with data.front = "camera"

The front is one weight-free layer, `rgb_to_grey`, inserted between the input and the `normalization` layer:
grey = 0.299 R + 0.587 G + 0.114 B (ITU-R BT.601 luma, `cnnapp.colour.LUMA`, the weights the training
pipelines use; they sum to 1, so a grey image given as R = G = B passes unchanged). It is a 1×1
convolution with a constant kernel, so TFLite runs it as one CONV_2D, which has an int8 kernel. Resizing
stays the job of the app (or MediaPipe).

The ink front, `ink_front` (`kind="camera"`), is the one a run trained with `data.front = "camera"` saw in its
pipelines (`cnnapp.data.camera.front`: grey, polarity from the frame itself, contrast), now inside the graph:
a phone gives it any RGB frame, dark ink on light paper or light on dark. Its ops are TFLite builtins.
"""

from __future__ import annotations

import copy
import functools

import numpy as np

from cnnapp.colour import LUMA

LAYER_NAME = "rgb_to_grey"
INK_LAYER_NAME = "ink_front"
# A run's data.front → the layer its export starts with.
FRONT_KINDS = ("grey", "camera")
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


@functools.cache
def ink_front_layer(K):
    """The InkFront layer class for Keras module `K` (keras or tf_keras): `cnnapp.data.camera.front`."""

    @K.saving.register_keras_serializable(package="cnnapp")
    class InkFront(K.layers.Layer):
        """(N, H, W, 3) RGB, any paper → (N, H, W, 1) grey, ink bright on black, full contrast; no weights."""

        def call(self, inputs):
            from cnnapp.data import camera

            return camera.front(inputs)

        def compute_output_shape(self, input_shape):
            return (*input_shape[:-1], 1)

    return InkFront


def needs_front(model) -> bool:
    """Whether `model` takes one-channel (grey) images, i.e. whether a front would change its input."""
    return int(model.input_shape[-1]) == 1


def with_grey_front(model, keras_module=None, kind: str = "grey"):
    """A copy of single-input functional `model` (H, W, 1) that takes (H, W, 3) RGB, with `model`'s weights.

    `kind` "grey" puts in `rgb_to_grey`; "camera" the ink front `ink_front`.

    The config is rewired (public API in keras and tf_keras): the input layer gets 3 channels and every layer
    that read it reads `rgb_to_grey` instead; the rest of the graph, and so its weights, stay as they were.
    """
    from cnnapp.models import rewire
    from cnnapp.models.common import resolve_keras

    K = resolve_keras(keras_module)
    if not needs_front(model):
        raise ValueError(f"{model.name} takes {model.input_shape[-1]} channels; the grey front needs 1")
    config = copy.deepcopy(model.get_config())
    image = rewire.input_name(config)
    entry = next(c for c in config["layers"] if c["name"] == image)
    for key in ("batch_shape", "batch_input_shape"):  # Keras 3 / tf_keras
        if key in entry["config"]:
            entry["config"][key] = [*entry["config"][key][:-1], 3]
    if kind not in FRONT_KINDS:
        raise ValueError(f"unknown front {kind!r}; one of {FRONT_KINDS}")
    make, name = (ink_front_layer, INK_LAYER_NAME) if kind == "camera" else (grey_front_layer, LAYER_NAME)
    layer = dict(K.layers.serialize(make(K)(name=name)))
    layer["name"] = name
    rewire.insert_after_input(config, layer)
    rgb = K.Model.from_config(config)
    rgb.set_weights(model.get_weights())
    return rgb
