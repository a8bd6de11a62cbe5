"""What every builder shares: the Keras module it builds with, input checks, initializers by name, and the
classifier on top of the conv layers (or, with `include_top=False`, the backbone's pooled output)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from cnnapp.errors import CnnappError, unknown

# Initializers selectable by name; "paper" means each builder's own paper's choice.
#   lecun:  Var = 1/n_in (LeCun et al. 1998), the variance-preserving choice for tanh/linear units.
#   glorot: Var = 2/(n_in + n_out), uniform ±√(6/(n_in + n_out)) as in Glorot & Bengio 2010.
#   he:     Var = 2/n_in (He et al. 2015), compensates ReLU zeroing half its inputs.
#   torch7: U[−1/√n_in, 1/√n_in], the old Torch default (nn.SpatialConvolution's reset): Var = 1/(3·n_in), a
#           third of LeCun's (Keras's VarianceScaling with scale 1/3, fan_in, uniform is exactly that bound).
INITIALIZERS = {
    "lecun": "lecun_normal",
    "glorot": "glorot_uniform",
    "he": "he_normal",
    "torch7": {
        "class_name": "VarianceScaling",
        "config": {"scale": 1 / 3, "mode": "fan_in", "distribution": "uniform"},
    },
}

# Hidden-unit non-linearities selectable by name (the lectures' list):
#   scaled_tanh: LeCun's 1.7159·tanh(2x/3) (LeCun et al. 1998, appendix A), f(±1) = ±1 and steepest at 0.
#   tanh, sigmoid: the classic squashing functions (they saturate: no gradient far from 0).
#   relu: max(0, x) (AlexNet); leaky_relu: max(0.01x, x) (Maas et al. 2013); elu: x, or e^x − 1 below 0.
ACTIVATIONS = ("scaled_tanh", "tanh", "sigmoid", "relu", "leaky_relu", "elu")
LEAKY_SLOPE = 0.01


def check_activation(activation: str) -> None:
    if activation not in ACTIVATIONS:
        raise unknown("activation", activation, ACTIVATIONS)


def activation_layer(K, activation: str, name: str):
    """The activation `activation` as a layer of Keras module `K` (keras or tf_keras)."""
    check_activation(activation)
    if activation == "scaled_tanh":
        from cnnapp.models import layers

        return layers.scaled_tanh_layer(K)(name=name)
    if activation == "relu":
        return K.layers.ReLU(name=name)
    if activation == "leaky_relu":  # Keras 3 names the slope negative_slope, tf_keras alpha
        slope = {"negative_slope" if K.__name__ == "keras" else "alpha": LEAKY_SLOPE}
        return K.layers.LeakyReLU(**slope, name=name)
    if activation == "elu":
        return K.layers.ELU(alpha=1.0, name=name)
    return K.layers.Activation(activation, name=name)


def activate(K, x, activation: str, name: str):
    """`x` through `activation`, unless it is ReLU: the layers the ReLU nets build with activation="relu"
    keep it inside (their graphs and layer names stay the papers'), and `built_in` says which to ask for."""
    return x if activation == "relu" else activation_layer(K, activation, name)(x)


def built_in(activation: str) -> str | None:
    """The `activation=` a conv or dense layer is built with before `activate`: "relu" or None."""
    return "relu" if activation == "relu" else None


def resolve_keras(module=None):
    """The Keras to build with: Keras 3 by default, or `tf_keras` for the tfmot twin."""
    if module is None:
        import keras

        return keras
    return module


def check_num_classes(num_classes: int) -> None:
    if not isinstance(num_classes, int) or isinstance(num_classes, bool) or num_classes < 1:
        raise CnnappError(f"num_classes must be a positive integer; got {num_classes!r}")


def check_input_shape(
    input_shape: Sequence[int], architecture: str, min_size: int, channels: int | None = None
) -> tuple[int, int, int]:
    """Validate an (H, W, C) input shape: its rank, and a spatial size the architecture can take.

    Args:
        input_shape: the requested input shape.
        architecture: name used in the error message.
        min_size: smallest H and W the layer arithmetic allows (every feature map stays at least 1×1).
        channels: the number of channels required, when the architecture fixes it.
    """
    shape = tuple(input_shape)
    if len(shape) != 3 or not all(isinstance(d, int) and d > 0 for d in shape):
        raise CnnappError(f"input_shape must be (height, width, channels) of positive integers; got {shape}")
    height, width, depth = shape
    if min(height, width) < min_size:
        raise CnnappError(
            f"{architecture} needs inputs of at least {min_size}×{min_size}; got {height}×{width} "
            f"(resize the images or choose a small-input option)"
        )
    if channels is not None and depth != channels:
        raise CnnappError(f"{architecture} takes {channels}-channel inputs; got {depth}")
    return shape


def initializer(name: str, paper: Callable[[], Any] | str) -> Any:
    """A fresh kernel initializer for scheme `name` ("paper", "lecun", "glorot", "he", "torch7"); call once
    per layer.

    Fresh, because an unseeded initializer instance shared by several layers may give them identical weights
    (tf_keras warns about exactly that).

    Args:
        name: the requested scheme.
        paper: what "paper" means for this builder: an initializer name, or a zero-argument function that
            returns a new initializer instance (e.g. `lambda: K.initializers.RandomNormal(stddev=0.01)`).
    """
    if name == "paper":
        return paper() if callable(paper) else paper
    if name not in INITIALIZERS:
        raise unknown("initializer", name, ["paper", *INITIALIZERS])
    scheme = INITIALIZERS[name]
    return {**scheme, "config": dict(scheme["config"])} if isinstance(scheme, dict) else scheme


def predictions(K, num_classes: int, classifier_activation: str | None, kernel_initializer) -> Any:
    """The classifier layer every family ends with: Dense `predictions`, float32 whatever the dtype policy
    (class scores stay float32 under mixed precision), softmax by default (`classifier_activation=None`:
    logits)."""
    return K.layers.Dense(
        num_classes,
        activation=classifier_activation,
        kernel_initializer=kernel_initializer,
        dtype="float32",
        name="predictions",
    )


POOLINGS = ("avg", "max")


def check_top(include_top: bool, pooling: str | None) -> None:
    """Validate the keras.applications options: `pooling` only for a backbone (`include_top=False`)."""
    if pooling is not None and pooling not in POOLINGS:
        raise unknown("pooling", str(pooling), POOLINGS)
    if include_top and pooling is not None:
        raise CnnappError(
            f"pooling={pooling!r} applies to a backbone only; set include_top=False (or drop pooling)"
        )


def start(
    K, input_shape: Sequence[int], num_classes: int, architecture: str, min_size: int, top=(True, None)
):
    """A builder's first lines: check the input shape, the class count and the top options; the input."""
    check_input_shape(input_shape, architecture, min_size=min_size)
    check_num_classes(num_classes)
    check_top(*top)
    return K.Input(shape=tuple(input_shape), name="image")


def dense_layers(
    K,
    x,
    names: Sequence[tuple[str, str]],
    *,
    units: int,
    dropout: float,
    kernel_initializer: Callable[[], Any],
    bias_initializer: Any = "zeros",
    activation: str = "relu",
):
    """Fully connected layers of `units` (ReLU, or `activation` as a layer NAME_act), each followed by
    dropout: one (dense name, dropout name) each.

    `kernel_initializer` is called once per layer (a fresh initializer, see `initializer`).
    """
    for name, dropout_name in names:
        x = K.layers.Dense(
            units,
            activation=built_in(activation),
            kernel_initializer=kernel_initializer(),
            bias_initializer=bias_initializer,
            name=name,
        )(x)
        x = activate(K, x, activation, f"{name}_act")
        x = K.layers.Dropout(dropout, name=dropout_name)(x)
    return x


def top(
    K,
    x,
    *,
    include_top: bool,
    pooling: str | None,
    num_classes: int,
    classifier_activation: str | None,
    kernel_initializer,
    reduce: str = "flatten",
    hidden: Callable[[Any], Any] | None = None,
):
    """The end of every builder: the classifier, or with `include_top=False` the backbone's output.

    The classifier is `reduce` (a `flatten` layer, or the global average pool `avg_pool`), the family's
    `hidden` layers (a function of a tensor), then `predictions`. Without it (keras.applications'
    convention) the output is the last feature map, or with `pooling` "avg"/"max" its global average/max
    (`avg_pool`/`max_pool`); every layer keeps its name in both builds, so weights move between them by name.
    """
    if not include_top:
        if pooling == "avg":
            return K.layers.GlobalAveragePooling2D(name="avg_pool")(x)
        if pooling == "max":
            return K.layers.GlobalMaxPooling2D(name="max_pool")(x)
        return x
    if reduce == "flatten":
        x = K.layers.Flatten(name="flatten")(x)
    else:
        x = K.layers.GlobalAveragePooling2D(name="avg_pool")(x)
    if hidden is not None:
        x = hidden(x)
    return predictions(K, num_classes, classifier_activation, kernel_initializer)(x)
