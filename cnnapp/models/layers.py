"""Custom layers, defined once for each Keras (keras and tf_keras) and registered for serialization.

A builder asks for a layer class with the Keras module it builds with, e.g. `lrn_layer(K)(name="norm1")`, so
the same builder code makes the Keras 3 model and its tf_keras twin. The Keras 3 classes are registered on
import, so a saved `.keras` model loads in a fresh process after `import cnnapp.models`.

Every op used in a `call` here has an int8 TFLite kernel (MUL, ADD, PAD, AVERAGE_POOL_2D, RESHAPE, RSQRT), so
the layers quantize instead of falling back to float.
"""

from __future__ import annotations

import functools

import numpy as np
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
            squares = tf.reshape(x * x, [-1, shape[1] * shape[2], channels, 1])
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


# LeNet's layers. Each `call` uses only TANH, MUL, ADD, AVERAGE_POOL_2D, MAX_POOL_2D and CONV_2D (whose kernel
# the converter constant-folds), all of which have int8 TFLite kernels.


@functools.cache
def scaled_tanh_layer(K):
    """The ScaledTanh activation layer class for Keras module `K`."""

    @K.saving.register_keras_serializable(package="cnnapp")
    class ScaledTanh(K.layers.Layer):
        """f(a) = amplitude · tanh(slope · a), LeCun's 1.7159 · tanh(2a/3) (LeCun et al. 1998, appendix A).

        With these constants f(±1) = ±1 and the gain is largest around ±1, where the targets sit.
        """

        def __init__(self, amplitude=1.7159, slope=2.0 / 3.0, **kwargs):
            super().__init__(**kwargs)
            self.amplitude = float(amplitude)
            self.slope = float(slope)

        def call(self, inputs):
            return self.amplitude * tf.tanh(self.slope * inputs)

        def compute_output_shape(self, input_shape):
            return input_shape

        def get_config(self):
            return {**super().get_config(), "amplitude": self.amplitude, "slope": self.slope}

    return ScaledTanh


@functools.cache
def fan_in_uniform(K):
    """The FanInUniform initializer class for Keras module `K`."""

    @K.saving.register_keras_serializable(package="cnnapp")
    class FanInUniform(K.initializers.Initializer):
        """U(−scale/F, scale/F), F the fan-in: LeNet's ±2.4/F_i (LeCun et al. 1989 and 1998, appendix A).

        Linear in 1/F, not 1/√F as in LeCun normal, so no built-in initializer gives it. F is `fan_in`
        when given, else the product of all but the last dimension of the shape (a Dense or Conv2D kernel's
        fan-in).
        """

        def __init__(self, scale=2.4, fan_in=None):
            self.scale = float(scale)
            self.fan_in = None if fan_in is None else int(fan_in)

        def __call__(self, shape, dtype=None, **kwargs):
            fan_in = self.fan_in or max(1, int(np.prod(shape[:-1])))
            limit = self.scale / fan_in
            return tf.random.uniform(shape, -limit, limit, dtype=tf.as_dtype(dtype or "float32"))

        def get_config(self):
            return {"scale": self.scale, "fan_in": self.fan_in}

    return FanInUniform


@functools.cache
def subsampling_layer(K):
    """The TrainableSubsampling layer class for Keras module `K`."""

    @K.saving.register_keras_serializable(package="cnnapp")
    class TrainableSubsampling(K.layers.Layer):
        """y_c = coefficient_c · pool(x_c) + bias_c over non-overlapping windows (LeNet-5's S2 and S4).

        The paper's subsampling unit adds its `pool_size`² inputs, multiplies the sum by a trainable
        coefficient and adds a trainable bias, one pair per map (LeCun et al. 1998, section II.B); mode "sum"
        does that, mode "max" takes the window's maximum instead. 2 parameters per map; no activation here.
        """

        def __init__(
            self, pool_size=2, mode="sum", coefficient_initializer="ones", bias_initializer="zeros", **kwargs
        ):
            super().__init__(**kwargs)
            if mode not in ("sum", "max"):
                raise ValueError(f"mode must be 'sum' or 'max'; got {mode!r}")
            self.pool_size = int(pool_size)
            self.mode = mode
            self.coefficient_initializer = K.initializers.get(coefficient_initializer)
            self.bias_initializer = K.initializers.get(bias_initializer)

        def build(self, input_shape):
            channels = int(input_shape[-1])
            self.coefficient = self.add_weight(
                name="coefficient", shape=(channels,), initializer=self.coefficient_initializer
            )
            self.bias = self.add_weight(name="bias", shape=(channels,), initializer=self.bias_initializer)
            super().build(input_shape)

        def call(self, inputs):
            size = [1, self.pool_size, self.pool_size, 1]
            if self.mode == "max":
                pooled = tf.nn.max_pool2d(inputs, size, size, "VALID")
            else:  # the window sum, as an average pool times the window area
                pooled = tf.nn.avg_pool2d(inputs, size, size, "VALID") * float(self.pool_size**2)
            coefficient = tf.cast(self.coefficient, inputs.dtype)
            return pooled * coefficient + tf.cast(self.bias, inputs.dtype)

        def compute_output_shape(self, input_shape):
            h, w = (None if d is None else d // self.pool_size for d in input_shape[1:3])
            return (input_shape[0], h, w, input_shape[3])

        def get_config(self):
            return {
                **super().get_config(),
                "pool_size": self.pool_size,
                "mode": self.mode,
                "coefficient_initializer": K.initializers.serialize(self.coefficient_initializer),
                "bias_initializer": K.initializers.serialize(self.bias_initializer),
            }

    return TrainableSubsampling


@functools.cache
def partial_conv_layer(K):
    """The PartialConv2D layer class for Keras module `K`."""

    @K.saving.register_keras_serializable(package="cnnapp")
    class PartialConv2D(K.layers.Layer):
        """A convolution whose output map j reads only the input maps `table[j]` (LeNet-5's C3, 1989's H2).

        Holds one kh×kw kernel per connection (input map → output map), `len(connections)` of them, so the
        parameter count is kh·kw·connections (+ filters biases); a constant 0/1 matrix spreads them into a
        dense kernel with zeros where the table has no connection, and the convolution is an ordinary CONV_2D.
        The kernel initializer is called once per group of output maps with the same number of inputs, with
        the shape (kh, kw, inputs, maps), so fan-in based schemes see each map's true fan-in.
        """

        def __init__(
            self,
            table,
            kernel_size=5,
            strides=1,
            padding="valid",
            use_bias=True,
            kernel_initializer="glorot_uniform",
            bias_initializer="zeros",
            **kwargs,
        ):
            super().__init__(**kwargs)
            self.table = tuple(tuple(int(i) for i in inputs) for inputs in table)
            self.filters = len(self.table)
            self.kernel_size = int(kernel_size)
            self.strides = int(strides)
            self.padding = padding.lower()
            self.use_bias = bool(use_bias)
            self.kernel_initializer = K.initializers.get(kernel_initializer)
            self.bias_initializer = K.initializers.get(bias_initializer)

        @property
        def connections(self):
            """The (input map, output map) pairs, in the order the kernel stores them."""
            return tuple((i, j) for j, inputs in enumerate(self.table) for i in inputs)

        def build(self, input_shape):
            channels = int(input_shape[-1])
            bad = sorted({i for i, _ in self.connections if not 0 <= i < channels})
            if bad:
                raise ValueError(f"{self.name}: table names input maps {bad}, but the input has {channels}")
            spread = np.zeros((len(self.connections), channels * self.filters), dtype="float32")
            for n, (i, j) in enumerate(self.connections):
                spread[n, i * self.filters + j] = 1.0
            self._spread = spread
            self._channels = channels
            self.kernel = self.add_weight(
                name="kernel",
                shape=(self.kernel_size, self.kernel_size, len(self.connections)),
                initializer=self._initial_kernel,
            )
            if self.use_bias:
                self.bias = self.add_weight(
                    name="bias", shape=(self.filters,), initializer=self.bias_initializer
                )
            super().build(input_shape)

        def _initial_kernel(self, shape, dtype=None, **kwargs):
            k = self.kernel_size
            config = K.initializers.serialize(self.kernel_initializer)
            per_map = [None] * self.filters
            for fan in sorted({len(inputs) for inputs in self.table}):
                maps = [j for j, inputs in enumerate(self.table) if len(inputs) == fan]
                fresh = K.initializers.get(config)  # a new instance per call: unseeded reuse repeats values
                values = tf.convert_to_tensor(fresh((k, k, fan, len(maps)), dtype=dtype))
                for column, j in enumerate(maps):
                    per_map[j] = values[:, :, :, column]
            return tf.concat(per_map, axis=-1)

        def dense_kernel(self):
            """The (kh, kw, in, out) convolution kernel, zero where the table has no connection."""
            k = self.kernel_size
            flat = tf.reshape(tf.convert_to_tensor(self.kernel), [k * k, len(self.connections)])
            return tf.reshape(tf.matmul(flat, self._spread), [k, k, self._channels, self.filters])

        def call(self, inputs):
            kernel = tf.cast(self.dense_kernel(), inputs.dtype)
            outputs = tf.nn.conv2d(inputs, kernel, self.strides, self.padding.upper())
            if self.use_bias:
                outputs = outputs + tf.cast(self.bias, inputs.dtype)
            return outputs

        def compute_output_shape(self, input_shape):
            def size(d):
                if d is None:
                    return None
                if self.padding == "same":
                    return -(-d // self.strides)
                return (d - self.kernel_size) // self.strides + 1

            return (input_shape[0], size(input_shape[1]), size(input_shape[2]), self.filters)

        def get_config(self):
            return {
                **super().get_config(),
                "table": [list(inputs) for inputs in self.table],
                "kernel_size": self.kernel_size,
                "strides": self.strides,
                "padding": self.padding,
                "use_bias": self.use_bias,
                "kernel_initializer": K.initializers.serialize(self.kernel_initializer),
                "bias_initializer": K.initializers.serialize(self.bias_initializer),
            }

    return PartialConv2D


@functools.cache
def untied_bias_layer(K):
    """The UntiedBias layer class for Keras module `K`."""

    @K.saving.register_keras_serializable(package="cnnapp")
    class UntiedBias(K.layers.Layer):
        """y = x + b with one bias per unit (every position of every map), LeNet-1989's untied biases.

        `shape` (height, width, maps) is the bias tensor's shape, set when the layer is built.
        """

        def __init__(self, bias_initializer="zeros", **kwargs):
            super().__init__(**kwargs)
            self.bias_initializer = K.initializers.get(bias_initializer)
            self.shape = None

        def build(self, input_shape):
            self.shape = tuple(int(d) for d in input_shape[1:])
            self.bias = self.add_weight(name="bias", shape=self.shape, initializer=self.bias_initializer)
            super().build(input_shape)

        def call(self, inputs):
            return inputs + tf.cast(self.bias, inputs.dtype)

        def compute_output_shape(self, input_shape):
            return input_shape

        def get_config(self):
            return {
                **super().get_config(),
                "bias_initializer": K.initializers.serialize(self.bias_initializer),
            }

    return UntiedBias


_FACTORIES = (
    lrn_layer,
    scaled_tanh_layer,
    fan_in_uniform,
    subsampling_layer,
    partial_conv_layer,
    untied_bias_layer,
)


def register_keras3() -> None:
    """Define (and so register) every custom layer for Keras 3."""
    import keras

    for factory in _FACTORIES:
        factory(keras)


def register_tf_keras() -> None:
    """Define (and so register) every custom layer for tf_keras; call it before loading a tf_keras model."""
    import tf_keras

    for factory in _FACTORIES:
        factory(tf_keras)
