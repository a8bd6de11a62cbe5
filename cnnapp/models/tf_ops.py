"""The few `keras.ops` (and `keras.random`) functions our custom layers use, in TensorFlow, for tf_keras.

tf_keras (Keras 2, the tfmot twin) has no `keras.ops`, and Keras 3's ops belong to Keras 3's backend, which
may be JAX. So the layers' maths is written once against this small interface (see `layers.ops_for`): Keras 3
layers get `keras.ops`, tf_keras layers get this module. Same names, same arguments (channels-last only), same
results; `tests/models/test_tf_ops.py` checks that the two agree function by function.

Imported only by tf_keras layers: importing `cnnapp.models` does not import TensorFlow.
"""

from __future__ import annotations

from collections.abc import Sequence

import tensorflow as tf


def cast(x, dtype):
    return tf.cast(x, dtype)


def convert_to_tensor(x, dtype=None):
    return tf.convert_to_tensor(x, dtype=dtype)


def shape(x) -> tuple:
    """Static sizes where known, scalar tensors where not (as `keras.ops.shape` on the TensorFlow backend)."""
    dynamic = tf.shape(x)
    return tuple(d if d is not None else dynamic[i] for i, d in enumerate(x.shape))


def reshape(x, newshape):
    return tf.reshape(x, newshape)


def pad(x, pad_width, mode="constant"):
    return tf.pad(x, pad_width, mode=mode.upper())


def tanh(x):
    return tf.tanh(x)


def floor(x):
    return tf.floor(x)


def rsqrt(x):
    return tf.math.rsqrt(x)


def power(x, y):
    return tf.pow(x, y)


def matmul(a, b):
    return tf.matmul(a, b)


def concatenate(xs: Sequence, axis=0):
    return tf.concat(list(xs), axis=axis)


def average_pool(inputs, pool_size, strides=None, padding="valid"):
    return tf.nn.avg_pool2d(inputs, pool_size, strides or pool_size, padding.upper())


def max_pool(inputs, pool_size, strides=None, padding="valid"):
    return tf.nn.max_pool2d(inputs, pool_size, strides or pool_size, padding.upper())


def conv(inputs, kernel, strides=1, padding="valid"):
    return tf.nn.conv2d(inputs, kernel, strides, padding.upper())


def uniform(shape, minval=0.0, maxval=1.0, dtype=None, seed=None):
    """As `keras.random.uniform`: an integer seed gives the same values at every call; unseeded draws follow
    TensorFlow's global seed (as tf_keras's own initializers do)."""
    dtype = tf.as_dtype(dtype or "float32")
    if seed is None:
        return tf.random.uniform(shape, minval, maxval, dtype=dtype)
    return tf.random.stateless_uniform(shape, (seed, 0), minval, maxval, dtype=dtype)


def sum(x, axis=None):  # noqa: A001 - the keras.ops name
    return tf.reduce_sum(x, axis=axis)
