"""Custom layers, defined once for each Keras (keras and tf_keras) and registered for serialization.

A builder asks for a layer class with the Keras module it builds with, e.g. `lrn_layer(K)(name="norm1")`, so
the same builder code makes the Keras 3 model and its tf_keras twin. The Keras 3 classes are registered on
import, so a saved `.keras` model loads in a fresh process after `import cnnapp.models`.

The maths is written once, in the module-level functions below (`lrn`, `subsample`, ...), against an op
namespace `ops`: `keras.ops` for Keras 3 (so the layers run, train and trace on any backend: TensorFlow, JAX,
PyTorch) and `cnnapp.models.tf_ops`, the same functions in TensorFlow, for the tf_keras twin, which has no
`keras.ops`. TensorFlow is imported only when a tf_keras layer is asked for.

Every op used in a `call` here has an int8 TFLite kernel (MUL, ADD, PAD, AVERAGE_POOL_2D, MAX_POOL_2D,
RESHAPE, RSQRT, TANH, CONV_2D), so the layers quantize instead of falling back to float.
"""

from __future__ import annotations

import functools
import random as python_random

import numpy as np


def _is_keras3(K) -> bool:
    return K.__name__ == "keras"


def ops_for(K):
    """The op namespace the layers of Keras module `K` compute with: `keras.ops`, or `tf_ops` for tf_keras."""
    if _is_keras3(K):
        return K.ops
    from cnnapp.models import tf_ops

    return tf_ops


def random_for(K):
    """Where `uniform(shape, minval, maxval, dtype, seed)` comes from: `keras.random`, or `tf_ops`."""
    if _is_keras3(K):
        return K.random
    from cnnapp.models import tf_ops

    return tf_ops


# The maths, once. `ops` is `keras.ops` or `tf_ops`; x is channels-last (N, H, W, C).


def lrn(ops, x, depth_radius: int, bias: float, alpha: float, beta: float):
    """b_c = a_c / (bias + alpha · Σ a_j²)^beta over the 2·depth_radius + 1 channels centred on c, in float32.

    The window sum is a zero-padded average pool over the channel axis times the window, so it quantizes.
    """
    x32 = ops.cast(x, "float32")
    size = 2 * depth_radius + 1
    _, height, width, channels = ops.shape(x32)
    squares = ops.reshape(x32 * x32, (-1, height * width, channels, 1))
    padded = ops.pad(squares, ((0, 0), (0, 0), (depth_radius, depth_radius), (0, 0)))
    window = ops.average_pool(padded, (1, size), strides=1, padding="valid") * float(size)
    window = ops.reshape(window, (-1, height, width, channels))
    return ops.cast(x32 * negative_power(ops, bias + alpha * window, beta), x.dtype)


def negative_power(ops, d, beta: float):
    """d ** -beta, by RSQRT and MUL for the betas in use (int8 TFLite has no POW kernel)."""
    if beta == 0.75:
        r = ops.rsqrt(d)  # d^-1/2
        return r * r * ops.rsqrt(r)  # d^-1 · d^1/4
    if beta == 0.5:
        return ops.rsqrt(d)
    return ops.power(d, -beta)


def scaled_tanh(ops, x, amplitude: float, slope: float):
    """amplitude · tanh(slope · x)."""
    return amplitude * ops.tanh(slope * x)


def subsample(ops, x, pool_size: int, mode: str, coefficient, bias):
    """coefficient_c · pool(x_c) + bias_c over non-overlapping pool_size² windows (pool: sum or max)."""
    if mode == "max":
        pooled = ops.max_pool(x, pool_size, pool_size, "valid")
    else:  # the window sum, as an average pool times the window area
        pooled = ops.average_pool(x, pool_size, pool_size, "valid") * float(pool_size**2)
    return pooled * ops.cast(coefficient, x.dtype) + ops.cast(bias, x.dtype)


def connection_spread(table, channels: int) -> np.ndarray:
    """The 0/1 (connections, channels · maps) matrix putting connection n's kernel at (input i, output j)."""
    filters = len(table)
    connections = [(i, j) for j, inputs in enumerate(table) for i in inputs]
    spread = np.zeros((len(connections), channels * filters), dtype="float32")
    for n, (i, j) in enumerate(connections):
        spread[n, i * filters + j] = 1.0
    return spread


def partial_kernel(ops, kernel, spread: np.ndarray, channels: int, filters: int):
    """The dense (kh, kw, in, out) kernel from the (kh, kw, connections) one, zero where not connected."""
    kh, kw, connections = kernel.shape
    flat = ops.reshape(ops.convert_to_tensor(kernel), (kh * kw, connections))
    return ops.reshape(ops.matmul(flat, spread), (kh, kw, channels, filters))


def partial_conv(ops, x, dense_kernel, bias, strides: int, padding: str):
    """An ordinary convolution with the dense kernel, plus the bias when there is one."""
    outputs = ops.conv(x, ops.cast(dense_kernel, x.dtype), strides, padding)
    return outputs if bias is None else outputs + ops.cast(bias, x.dtype)


def untied_bias(ops, x, bias):
    """x + b, b of the shape of one example (a bias per unit)."""
    return x + ops.cast(bias, x.dtype)


def shortcut_a(ops, x, stride: int, extra_channels: int):
    """Every `stride`-th pixel, `extra_channels` zero channels appended (STRIDED_SLICE and PAD)."""
    return ops.pad(x[:, ::stride, ::stride, :], ((0, 0), (0, 0), (0, 0), (0, extra_channels)))


@functools.cache
def lrn_layer(K):
    """The LocalResponseNormalization layer class for Keras module `K`."""
    ops = ops_for(K)

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
            return lrn(ops, inputs, self.depth_radius, self.bias, self.alpha, self.beta)

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


# LeNet's layers. Each `call` uses only TANH, MUL, ADD, AVERAGE_POOL_2D, MAX_POOL_2D and CONV_2D (whose kernel
# the converter constant-folds), all of which have int8 TFLite kernels.


@functools.cache
def scaled_tanh_layer(K):
    """The ScaledTanh activation layer class for Keras module `K`."""
    ops = ops_for(K)

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
            return scaled_tanh(ops, inputs, self.amplitude, self.slope)

        def compute_output_shape(self, input_shape):
            return input_shape

        def get_config(self):
            return {**super().get_config(), "amplitude": self.amplitude, "slope": self.slope}

    return ScaledTanh


@functools.cache
def fan_in_uniform(K):
    """The FanInUniform initializer class for Keras module `K`."""
    random = random_for(K)

    @K.saving.register_keras_serializable(package="cnnapp")
    class FanInUniform(K.initializers.Initializer):
        """U(−scale/F, scale/F), F the fan-in: LeNet's ±2.4/F_i (LeCun et al. 1989 and 1998, appendix A).

        Linear in 1/F, not 1/√F as in LeCun normal, so no built-in initializer gives it. F is `fan_in`
        when given, else the product of all but the last dimension of the shape (a Dense or Conv2D kernel's
        fan-in).

        Unseeded, an instance draws its seed when made (from Python's `random`, which
        `keras.utils.set_random_seed` seeds), as Keras's own random initializers do: one instance gives the
        same values at every call, so make one per layer.
        """

        def __init__(self, scale=2.4, fan_in=None, seed=None):
            self.scale = float(scale)
            self.fan_in = None if fan_in is None else int(fan_in)
            self._init_seed = seed
            self.seed = seed if seed is not None or not _is_keras3(K) else python_random.randint(1, 10**9)

        def __call__(self, shape, dtype=None, **kwargs):
            fan_in = self.fan_in or max(1, int(np.prod(shape[:-1])))
            limit = self.scale / fan_in
            return random.uniform(shape, -limit, limit, dtype=dtype or "float32", seed=self.seed)

        def get_config(self):
            return {"scale": self.scale, "fan_in": self.fan_in, "seed": self._init_seed}

    return FanInUniform


@functools.cache
def subsampling_layer(K):
    """The TrainableSubsampling layer class for Keras module `K`."""
    ops = ops_for(K)

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
            return subsample(ops, inputs, self.pool_size, self.mode, self.coefficient, self.bias)

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
    ops = ops_for(K)

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
            self._spread = connection_spread(self.table, channels)
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
            # From its plain config, not `initializers.serialize`: Keras 3's serializer imports TensorFlow
            # whenever it is installed, whatever the backend.
            initializer = self.kernel_initializer
            kind, config = type(initializer), initializer.get_config()
            per_map = [None] * self.filters
            for fan in sorted({len(inputs) for inputs in self.table}):
                maps = [j for j, inputs in enumerate(self.table) if len(inputs) == fan]
                fresh = kind.from_config(config)  # a new instance per call: unseeded reuse repeats values
                values = ops.convert_to_tensor(fresh((k, k, fan, len(maps)), dtype=dtype))
                for column, j in enumerate(maps):
                    per_map[j] = values[:, :, :, column]
            return ops.concatenate(per_map, axis=-1)

        def dense_kernel(self):
            """The (kh, kw, in, out) convolution kernel, zero where the table has no connection."""
            return partial_kernel(ops, self.kernel, self._spread, self._channels, self.filters)

        def call(self, inputs):
            bias = self.bias if self.use_bias else None
            return partial_conv(ops, inputs, self.dense_kernel(), bias, self.strides, self.padding)

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
    ops = ops_for(K)

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
            return untied_bias(ops, inputs, self.bias)

        def compute_output_shape(self, input_shape):
            return input_shape

        def get_config(self):
            return {
                **super().get_config(),
                "bias_initializer": K.initializers.serialize(self.bias_initializer),
            }

    return UntiedBias


@functools.cache
def shortcut_a_layer(K):
    """The option-A shortcut layer class for Keras module `K` (ResNet's CIFAR models)."""
    ops = ops_for(K)

    @K.saving.register_keras_serializable(package="cnnapp")
    class ShortcutA(K.layers.Layer):
        """Parameter-free shortcut (He et al. 2015, option A): every `stride`-th pixel, zero-padded channels.

        The new channels are appended after the old ones. Ops: STRIDED_SLICE and PAD, both with int8 TFLite
        kernels.
        """

        def __init__(self, stride=2, extra_channels=0, **kwargs):
            super().__init__(**kwargs)
            self.stride = int(stride)
            self.extra_channels = int(extra_channels)

        def call(self, inputs):
            return shortcut_a(ops, inputs, self.stride, self.extra_channels)

        def compute_output_shape(self, input_shape):
            batch, height, width, channels = input_shape
            size = [None if d is None else -(-d // self.stride) for d in (height, width)]
            return (batch, *size, channels + self.extra_channels)

        def get_config(self):
            return {**super().get_config(), "stride": self.stride, "extra_channels": self.extra_channels}

    return ShortcutA


def stochastic_depth(ops, x, rate: float, noise):
    """x · ⌊keep + u⌋ / keep, keep = 1 − rate, u ~ U[0, 1) one per example (`noise`, shape (N, 1, 1, 1)):
    the whole branch dropped with probability `rate`, scaled so that its expectation is unchanged."""
    keep = 1.0 - rate
    return x * ops.cast(ops.floor(keep + noise), x.dtype) / keep


@functools.cache
def stochastic_depth_layer(K):
    """The StochasticDepth layer class for Keras module `K` (ResNet blocks' residual branch)."""
    ops, random = ops_for(K), random_for(K)

    @K.saving.register_keras_serializable(package="cnnapp")
    class StochasticDepth(K.layers.Layer):
        """Drops a residual branch for a whole example with probability `rate` in training (Huang et al.
        2016, "Deep Networks with Stochastic Depth"; timm's `drop_path`); the identity in inference, so an
        export has no op for it. Keras has no such layer (Dropout drops units, not the branch).

        Keras 3 draws from a `SeedGenerator`, whose state is one of the model's variables: the run's resume
        state keeps it, so a resumed run drops the same branches.
        """

        def __init__(self, rate=0.0, seed=None, **kwargs):
            super().__init__(**kwargs)
            self.rate = float(rate)
            self.seed = seed
            self.generator = K.random.SeedGenerator(seed) if _is_keras3(K) else None

        def call(self, inputs, training=None):
            if not training or self.rate <= 0:
                return inputs
            shape = (ops.shape(inputs)[0],) + (1,) * (len(inputs.shape) - 1)
            noise = random.uniform(shape, 0.0, 1.0, dtype="float32", seed=self.generator)
            return stochastic_depth(ops, inputs, self.rate, noise)

        def compute_output_shape(self, input_shape):
            return input_shape

        def get_config(self):
            return {**super().get_config(), "rate": self.rate, "seed": self.seed}

    return StochasticDepth


def bilinear_kernel(size: int, out_channels: int, in_channels: int) -> np.ndarray:
    """A (size, size, out, in) transposed-conv kernel that upsamples each channel bilinearly into itself.

    The FCN reference code's `upsample_filt` (Long et al. 2015, `surgery.py`): a separable tent of half-width
    (size + 1) // 2, on the diagonal (channel c → c) only, zero elsewhere.
    """
    factor = (size + 1) // 2
    centre = factor - 1 if size % 2 == 1 else factor - 0.5
    ramp = 1 - np.abs(np.arange(size) - centre) / factor
    kernel = np.zeros((size, size, out_channels, in_channels), np.float32)
    for c in range(min(out_channels, in_channels)):
        kernel[:, :, c, c] = np.outer(ramp, ramp)
    return kernel


@functools.cache
def bilinear_upsampling(K):
    """The BilinearUpsampling initializer class for Keras module `K` (FCN's transposed convolutions)."""

    @K.saving.register_keras_serializable(package="cnnapp")
    class BilinearUpsampling(K.initializers.Initializer):
        """Bilinear interpolation as a Conv2DTranspose kernel (Long et al. 2015, section 3.3: "we initialize
        the 2x upsampling to bilinear interpolation"); deterministic, so it needs no seed."""

        def __call__(self, shape, dtype=None, **kwargs):
            size, _, out_channels, in_channels = shape
            kernel = bilinear_kernel(int(size), int(out_channels), int(in_channels))
            if _is_keras3(K):
                return K.ops.convert_to_tensor(kernel, dtype=dtype or "float32")
            import tensorflow as tf

            return tf.constant(kernel, dtype=dtype or tf.float32)

        def get_config(self):
            return {}

    return BilinearUpsampling


_FACTORIES = (
    lrn_layer,
    scaled_tanh_layer,
    fan_in_uniform,
    subsampling_layer,
    partial_conv_layer,
    untied_bias_layer,
    shortcut_a_layer,
    bilinear_upsampling,
    stochastic_depth_layer,
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
