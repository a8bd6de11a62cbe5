"""Per-layer counts: units, multiply-adds and the geometry a receptive field needs, by layer type.

Definitions (the lectures', made precise):
- units: neurons a layer adds, the elements of its output per example, for layers that compute new neurons
  (convolutions, fully connected layers, pooling). Layers that transform the same neurons one to one (an
  activation, batch norm, LRN, dropout, a bias) or only move them (flatten, concatenation, padding) add none;
  the sum of a residual connection is the last conv's units shifted, so it adds none either.
- activations: elements a layer materializes per example, whatever its kind (the memory to keep for backprop);
  pure views (flatten, reshape) reuse their input's buffer.
- macs: multiply-adds per example, units × fan-in: K²·I/groups for a conv, I for a fully connected unit, the
  window for a pooling unit, n = 2r+1 for LRN, 1 for an elementwise product (Multiply). A per-element affine
  layer (batch norm at inference, rescaling, input normalization) has none: it folds into the neighbouring
  convolution's weights and biases (TFLite does exactly that), so it is no connection. Bias additions are not
  multiply-adds either; they are `bias_adds`, which the LeCun papers add to their "connections".

Layers are matched by the class names in their MRO, so the same code counts keras and tf_keras layers.
"""

from __future__ import annotations

import dataclasses
import math

# Kinds of layer, for the rules of thumb and the chart.
CONV, FC, POOL, NORM, ACTIVATION, REGULARIZATION, MERGE, SHAPE, BIAS, OTHER = (
    "conv", "fc", "pool", "norm", "activation", "regularization", "merge", "shape", "bias", "other",
)  # fmt: skip

ACTIVATION_TYPES = {
    "Activation", "ReLU", "LeakyReLU", "ELU", "PReLU", "Softmax", "ThresholdedReLU", "ScaledTanh",
    # the same as raw keras.ops calls in a functional graph
    "Relu", "Relu6", "Sigmoid", "Tanh", "Gelu", "Silu", "Elu", "LeakyRelu", "Softplus",
}  # fmt: skip
REGULARIZATION_TYPES = {
    "Dropout", "SpatialDropout1D", "SpatialDropout2D", "SpatialDropout3D", "GaussianDropout", "GaussianNoise",
    "AlphaDropout", "ActivityRegularization",
}  # fmt: skip
VIEW_TYPES = {"Flatten", "Reshape", "Identity"}
SHAPE_TYPES = {
    "ZeroPadding1D", "ZeroPadding2D", "ZeroPadding3D", "Cropping1D", "Cropping2D", "Cropping3D", "Permute",
    "RepeatVector", "UpSampling1D", "UpSampling2D", "UpSampling3D", "Resizing", "CenterCrop",
}  # fmt: skip
AFFINE_TYPES = {  # per-element scale and shift, folded into a neighbouring layer at inference
    "BatchNormalization", "LayerNormalization", "GroupNormalization", "UnitNormalization", "Normalization",
    "Rescaling",
}  # fmt: skip
SUM_MERGES = {"Add", "Subtract", "Average", "Maximum", "Minimum"}
POOL_TYPES = {
    "MaxPooling1D", "MaxPooling2D", "MaxPooling3D",
    "AveragePooling1D", "AveragePooling2D", "AveragePooling3D",
}  # fmt: skip
GLOBAL_POOL_TYPES = {
    "GlobalMaxPooling1D", "GlobalMaxPooling2D", "GlobalMaxPooling3D", "GlobalAveragePooling1D",
    "GlobalAveragePooling2D", "GlobalAveragePooling3D",
}  # fmt: skip


@dataclasses.dataclass
class Count:
    """What one layer call costs per example (parameters are counted from the variables, elsewhere).

    Attributes:
        kind: conv, fc, pool, norm, activation, regularization, merge, shape, bias or other.
        units: neurons added (see the module docstring).
        activations: elements materialized (0 for a view).
        macs: multiply-adds.
        bias_adds: bias additions (one per unit of a layer with a bias).
        counted: False when the layer type is unknown to the audit: its units and MACs are not known.
        window: the kernel or pool extent per spatial axis, dilation included (None: no spatial window).
        strides: the stride per spatial axis.
        is_global: every output sees the whole input (global pooling, a fully connected layer on a vector).
        alias_at_inference: the output is the input at inference (dropout) or a view of it (flatten).
    """

    kind: str
    units: int = 0
    activations: int = 0
    macs: int = 0
    bias_adds: int = 0
    counted: bool = True
    window: tuple[int, ...] | None = None
    strides: tuple[int, ...] | None = None
    is_global: bool = False
    alias_at_inference: bool = False


def elements(shape: tuple) -> int:
    """Elements per example of a tensor of `shape` (batch dimension first)."""
    return math.prod(int(d) for d in shape[1:])


def _types(layer) -> list[str]:
    return [cls.__name__ for cls in type(layer).__mro__]


def _tuple(value, rank: int) -> tuple[int, ...]:
    if isinstance(value, int):
        return (value,) * rank
    return tuple(int(v) for v in value)


def _channels(layer, shape: tuple) -> int:
    first = getattr(layer, "data_format", "channels_last") == "channels_first"
    return int(shape[1] if first else shape[-1])


def _conv_geometry(layer) -> tuple[tuple[int, ...], tuple[int, ...]]:
    kernel = _tuple(layer.kernel_size, 1)
    rank = len(kernel)
    dilation = _tuple(getattr(layer, "dilation_rate", 1), rank)
    window = tuple((k - 1) * d + 1 for k, d in zip(kernel, dilation, strict=True))
    return window, _tuple(layer.strides, rank)


def _use_bias(layer) -> bool:
    return bool(getattr(layer, "use_bias", False))


def count(layer, input_shapes: list[tuple], output_shapes: list[tuple]) -> Count:
    """Count one call of `layer` with inputs and outputs of the given shapes (batch dimension included)."""
    types = set(_types(layer))
    name = type(layer).__name__
    out = sum(elements(s) for s in output_shapes)
    inp = input_shapes[0] if input_shapes else ()
    bias = out if _use_bias(layer) else 0

    if "PartialConv2D" in types:  # cnnapp's LeNet layer: one k×k kernel per (input map, output map) pair
        window, strides = _tuple(layer.kernel_size, 2), _tuple(layer.strides, 2)
        spatial = out // layer.filters
        macs = spatial * len(layer.connections) * math.prod(window)
        return Count(CONV, out, out, macs, bias, window=window, strides=strides)
    if "TrainableSubsampling" in types:  # cnnapp's LeNet layer: window sum × coefficient + bias
        window = _tuple(layer.pool_size, 2)
        return Count(POOL, out, out, out * math.prod(window), out, window=window, strides=window)
    if "LocallyConnected2D" in types:  # cnnapp's unshared convolution: K²·C multiply-adds per unit
        window, strides = _tuple(layer.kernel_size, 2), _tuple(layer.strides, 2)
        macs = out * math.prod(window) * _channels(layer, inp)
        return Count(CONV, out, out, macs, bias, window=window, strides=strides)
    if "UntiedBias" in types:  # cnnapp's LeNet-1989 layer: a bias per unit, no new units
        return Count(BIAS, 0, out, 0, out)
    if "ShortcutA" in types:  # cnnapp's CIFAR ResNet option A: every s-th pixel, zero-padded channels
        strides = _tuple(layer.stride, 2)
        return Count(SHAPE, 0, out, window=(1, 1), strides=strides)
    if "LocalResponseNormalization" in types:  # n = 2r + 1 squares summed per unit
        return Count(NORM, 0, out, out * (2 * int(layer.depth_radius) + 1))
    if "DepthwiseConv2D" in types or "DepthwiseConv1D" in types:  # K² per output (tf_keras: a Conv subclass)
        window, strides = _conv_geometry(layer)
        macs = out * math.prod(_tuple(layer.kernel_size, len(window)))
        return Count(CONV, out, out, macs, bias, window=window, strides=strides)
    if "SeparableConv2D" in types or "SeparableConv1D" in types:
        window, strides = _conv_geometry(layer)
        mid = _channels(layer, inp) * int(layer.depth_multiplier)
        spatial = out // int(layer.filters)
        macs = spatial * mid * math.prod(_tuple(layer.kernel_size, len(window))) + out * mid
        return Count(CONV, out, out, macs, bias, window=window, strides=strides)
    if types & {"Conv1DTranspose", "Conv2DTranspose", "Conv3DTranspose"}:
        # Each input element is scattered to K² · O/groups outputs; the window does not grow the field here.
        groups = int(getattr(layer, "groups", 1) or 1)
        k = math.prod(_tuple(layer.kernel_size, 1))
        macs = elements(inp) * k * _channels(layer, output_shapes[0]) // groups
        return Count(CONV, out, out, macs, bias)
    if "BaseConv" in types or "Conv" in types:  # Conv1D/2D/3D of Keras 3 (BaseConv) and tf_keras (Conv)
        window, strides = _conv_geometry(layer)
        groups = int(getattr(layer, "groups", 1) or 1)
        fan_in = math.prod(_tuple(layer.kernel_size, len(window))) * _channels(layer, inp) // groups
        return Count(CONV, out, out, out * fan_in, bias, window=window, strides=strides)
    if "Dense" in types:
        fan_in = int(inp[-1])
        return Count(FC, out, out, out * fan_in, bias, is_global=len(inp) == 2)
    if types & POOL_TYPES:
        window = _tuple(layer.pool_size, 1)
        strides = _tuple(layer.strides if layer.strides is not None else layer.pool_size, len(window))
        return Count(POOL, out, out, out * math.prod(window), window=window, strides=strides)
    if types & GLOBAL_POOL_TYPES:
        return Count(POOL, out, out, elements(inp), is_global=True)
    if name in AFFINE_TYPES or types & {"BatchNormalization", "LayerNormalization"}:
        return Count(NORM, 0, out)
    if name in ACTIVATION_TYPES:
        return Count(ACTIVATION, 0, out)
    if name in REGULARIZATION_TYPES:
        return Count(REGULARIZATION, 0, out, alias_at_inference=True)
    if name in VIEW_TYPES:
        return Count(SHAPE, 0, 0, alias_at_inference=True)
    if name in SHAPE_TYPES:
        return Count(SHAPE, 0, out)
    if name == "Concatenate":
        return Count(MERGE, 0, out)
    if name in SUM_MERGES:
        return Count(MERGE, 0, out)
    if name == "Multiply":  # one multiply per element (squeeze-and-excitation gates)
        return Count(MERGE, 0, out, out)
    return Count(OTHER, 0, out, counted=False)


# Variable names (the last part of a variable's path) that hold multiplicative weights.
WEIGHT_NAMES = {
    "kernel",
    "depthwise_kernel",
    "pointwise_kernel",
    "embeddings",
    "recurrent_kernel",
    "coefficient",
}


def variable_role(variable) -> str:
    """The role of a parameter variable, from its own name, so any layer's parameters split the same way.

    Returns "weights" (kernels), "biases", "other" (trainable, e.g. batch norm's γ, β) or "state"
    (non-trainable, e.g. moving statistics).
    """
    name = variable.name.split("/")[-1].split(":")[0]
    if name in WEIGHT_NAMES or name.endswith("kernel"):
        return "weights"
    if name == "bias" or name.endswith("_bias"):
        return "biases"
    return "other" if variable.trainable else "state"
