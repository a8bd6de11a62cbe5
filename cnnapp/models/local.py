"""A locally connected layer: a convolution whose weights are not shared, one filter bank per output position.

Keras 3 dropped `LocallyConnected2D`; the lectures put it between a fully connected layer (every unit sees
every pixel) and a convolution (every unit sees a patch, all units share one filter) to show where a conv
net's saving comes from. It is built like the other custom layers (`cnnapp.models.layers`): the maths once
against `keras.ops` or `tf_ops`, a class per Keras module, registered for saving.

It exports with builtin TFLite ops only: the patches come from a CONV_2D with a fixed one-hot kernel (not
EXTRACT_IMAGE_PATCHES, which needs Flex ops), and each position's filters are a MUL and a SUM.
"""

from __future__ import annotations

import functools

import numpy as np

from cnnapp.models.layers import ops_for


def patch_kernel(size: int, channels: int) -> np.ndarray:
    """The (size, size, channels, size²·channels) one-hot kernel whose convolution lays every patch out on
    the channel axis, in (row, column, channel) order."""
    depth = size * size * channels
    kernel = np.zeros((size, size, channels, depth), dtype="float32")
    for index in range(depth):
        row, rest = divmod(index, size * channels)
        column, channel = divmod(rest, channels)
        kernel[row, column, channel, index] = 1.0
    return kernel


def locally_connected(ops, x, kernel, bias, patches, strides: int):
    """y[h, w, k] = Σ_p patch(h, w)[p] · kernel[h, w, p, k] (+ bias[h, w, k])."""
    laid_out = ops.conv(x, ops.cast(patches, x.dtype), strides, "valid")  # (N, H', W', F²C)
    outputs = ops.sum(laid_out[..., None] * ops.cast(kernel, x.dtype), axis=-2)
    return outputs if bias is None else outputs + ops.cast(bias, x.dtype)


@functools.cache
def locally_connected_layer(K):
    """The LocallyConnected2D layer class for Keras module `K` (valid padding, channels last)."""
    ops = ops_for(K)

    @K.saving.register_keras_serializable(package="cnnapp")
    class LocallyConnected2D(K.layers.Layer):
        """Unshared convolution: `filters` filters of size×size at every output position, each its own.

        Weights: H'·W'·size²·C·filters (+ H'·W'·filters biases), where a convolution has size²·C·filters.
        """

        def __init__(
            self,
            filters,
            kernel_size,
            strides=1,
            use_bias=True,
            kernel_initializer="glorot_uniform",
            bias_initializer="zeros",
            **kwargs,
        ):
            super().__init__(**kwargs)
            self.filters = int(filters)
            self.kernel_size = int(kernel_size)
            self.strides = int(strides)
            self.use_bias = bool(use_bias)
            self.kernel_initializer = K.initializers.get(kernel_initializer)
            self.bias_initializer = K.initializers.get(bias_initializer)

        def _out(self, d):
            return None if d is None else (int(d) - self.kernel_size) // self.strides + 1

        def build(self, input_shape):
            h, w, channels = self._out(input_shape[1]), self._out(input_shape[2]), int(input_shape[-1])
            if not h or not w or h < 1 or w < 1:
                raise ValueError(f"{self.name}: a {self.kernel_size}×{self.kernel_size} patch does not fit "
                                 f"input {tuple(input_shape[1:3])}")  # fmt: skip
            self._patches = patch_kernel(self.kernel_size, channels)
            depth = self.kernel_size * self.kernel_size * channels
            self.kernel = self.add_weight(
                name="kernel", shape=(h, w, depth, self.filters), initializer=self.kernel_initializer
            )
            if self.use_bias:
                self.bias = self.add_weight(
                    name="bias", shape=(h, w, self.filters), initializer=self.bias_initializer
                )
            super().build(input_shape)

        def call(self, inputs):
            bias = self.bias if self.use_bias else None
            return locally_connected(ops, inputs, self.kernel, bias, self._patches, self.strides)

        def compute_output_shape(self, input_shape):
            return (input_shape[0], self._out(input_shape[1]), self._out(input_shape[2]), self.filters)

        def get_config(self):
            return {
                **super().get_config(),
                "filters": self.filters,
                "kernel_size": self.kernel_size,
                "strides": self.strides,
                "use_bias": self.use_bias,
                "kernel_initializer": K.initializers.serialize(self.kernel_initializer),
                "bias_initializer": K.initializers.serialize(self.bias_initializer),
            }

    return LocallyConnected2D


def register_keras3() -> None:
    """Define (and so register) the Keras 3 class, as `layers.register_keras3` does for the others."""
    import keras

    locally_connected_layer(keras)
