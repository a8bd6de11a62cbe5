"""Custom layers, defined once for each Keras (keras and tf_keras) and registered for serialization.

A builder asks for a layer class with the Keras module it builds with, e.g. `lrn_layer(K)(name="norm1")`, so
the same builder code makes the Keras 3 model and its tf_keras twin. The Keras 3 classes are registered on
import, so a saved `.keras` model loads in a fresh process after `import cnnapp.models`.

Every op used in a `call` here has an int8 TFLite kernel (MUL, ADD, PAD, AVERAGE_POOL_2D, RESHAPE, RSQRT), so
the layers quantize instead of falling back to float.
"""

from __future__ import annotations

import functools

import tensorflow as tf


@functools.cache
def lrn_layer(K):
    """The LocalResponseNormalization layer class for Keras module `K`."""

    @K.saving.register_keras_serializable(package="cnnapp")
    class LocalResponseNormalization(K.layers.Layer):
        """Local response normalization across channels (Krizhevsky et al. 2012, section 3.3).

        b_c = a_c / (k + α · Σ a_j²)^β, the sum over the n = 2·depth_radius + 1 channels centred on c.
        α multiplies the sum itself, as in the AlexNet paper and `tf.nn.lrn` (Caffe divides α by n).
        The defaults are AlexNet's k=2, n=5, α=1e-4, β=0.75, not `tf.nn.lrn`'s.

        Computed in float32 whatever the policy: a squared activation overflows float16 beyond 255.
        The window sum is a zero-padded average pool over the channel axis, times n, so it quantizes.
        """

        def __init__(self, depth_radius=2, bias=2.0, alpha=1e-4, beta=0.75, **kwargs):
            super().__init__(**kwargs)
            self.depth_radius = int(depth_radius)
            self.bias = float(bias)
            self.alpha = float(alpha)
            self.beta = float(beta)

        def call(self, inputs):
            x = tf.cast(inputs, tf.float32)
            size = 2 * self.depth_radius + 1
            shape = tf.shape(x)
            channels = x.shape[-1]
            squares = tf.reshape(tf.square(x), [-1, shape[1] * shape[2], channels, 1])
            padded = tf.pad(squares, [[0, 0], [0, 0], [self.depth_radius, self.depth_radius], [0, 0]])
            window = tf.nn.avg_pool2d(padded, ksize=[1, size], strides=1, padding="VALID") * float(size)
            scale = _negative_power(self.bias + self.alpha * tf.reshape(window, shape), self.beta)
            return tf.cast(x * scale, inputs.dtype)

        def compute_output_shape(self, input_shape):
            return input_shape

        def get_config(self):
            return {
                **super().get_config(),
                "depth_radius": self.depth_radius,
                "bias": self.bias,
                "alpha": self.alpha,
                "beta": self.beta,
            }

    return LocalResponseNormalization


def _negative_power(d, beta: float):
    """d ** -beta, by RSQRT and MUL for the betas in use (int8 TFLite has no POW kernel)."""
    if beta == 0.75:
        r = tf.math.rsqrt(d)  # d^-1/2
        return r * r * tf.math.rsqrt(r)  # d^-1 · d^1/4
    if beta == 0.5:
        return tf.math.rsqrt(d)
    return tf.pow(d, -beta)


def register_keras3() -> None:
    """Define (and so register) every custom layer for Keras 3."""
    import keras

    lrn_layer(keras)
