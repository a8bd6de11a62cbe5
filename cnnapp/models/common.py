"""What every builder shares: the Keras module it builds with, input checks, and initializers by name."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from cnnapp.errors import CnnappError, unknown

# Initializers selectable by name; "paper" means each builder's own paper's choice.
#   lecun:  Var = 1/n_in (LeCun et al. 1998), the variance-preserving choice for tanh/linear units.
#   glorot: Var = 2/(n_in + n_out), uniform ±√(6/(n_in + n_out)) as in Glorot & Bengio 2010.
#   he:     Var = 2/n_in (He et al. 2015), compensates ReLU zeroing half its inputs.
INITIALIZERS = {"lecun": "lecun_normal", "glorot": "glorot_uniform", "he": "he_normal"}


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
    """A fresh kernel initializer for scheme `name` ("paper", "lecun", "glorot", "he"); call once per layer.

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
    return INITIALIZERS[name]


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
