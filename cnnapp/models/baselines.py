"""The lectures' baselines: a linear softmax classifier and a 2-layer MLP.

    linear: f = W x            (one template per class)
    mlp:    f = W2 max(0, W1 x)
"""

from __future__ import annotations

from collections.abc import Sequence

from cnnapp.models.common import check_input_shape, check_num_classes, initializer, predictions, resolve_keras
from cnnapp.models.spec import Architecture


def linear(
    input_shape: Sequence[int] = (32, 32, 3),
    num_classes: int = 10,
    init: str = "paper",
    classifier_activation: str | None = "softmax",
    keras_module=None,
):
    """Linear softmax classifier on raw pixels: Flatten, then one fully connected layer (CS231n's f = Wx)."""
    K = resolve_keras(keras_module)
    check_input_shape(input_shape, "linear", min_size=1)
    check_num_classes(num_classes)
    inputs = K.Input(shape=tuple(input_shape), name="image")
    x = K.layers.Flatten(name="flatten")(inputs)
    outputs = predictions(K, num_classes, classifier_activation, initializer(init, "glorot_uniform"))(x)
    return K.Model(inputs, outputs, name="linear")


def mlp(
    input_shape: Sequence[int] = (32, 32, 3),
    num_classes: int = 10,
    hidden_units: int = 100,
    init: str = "paper",
    classifier_activation: str | None = "softmax",
    keras_module=None,
):
    """Two-layer network f = W2 max(0, W1 x): Flatten, FC-hidden + ReLU, FC-classes."""
    K = resolve_keras(keras_module)
    check_input_shape(input_shape, "mlp", min_size=1)
    check_num_classes(num_classes)
    inputs = K.Input(shape=tuple(input_shape), name="image")
    x = K.layers.Flatten(name="flatten")(inputs)
    x = K.layers.Dense(
        hidden_units, activation="relu", kernel_initializer=initializer(init, "he_normal"), name="fc1"
    )(x)
    outputs = predictions(K, num_classes, classifier_activation, initializer(init, "glorot_uniform"))(x)
    return K.Model(inputs, outputs, name="mlp")


_CIFAR = dict(input_shape=(32, 32, 3), num_classes=10, task="CIFAR-10", training_examples=50_000)

ARCHITECTURES = (
    Architecture(
        "linear", linear, {}, paper="Linear softmax classifier (CS231n baseline)",
        published_params=32 * 32 * 3 * 10 + 10, params_source="3072·10 weights + 10 biases", **_CIFAR,
    ),
    Architecture(
        "mlp", mlp, {}, paper="Two-layer network f = W2 max(0, W1 x) (CS231n baseline)",
        published_params=3072 * 100 + 100 + 100 * 10 + 10,
        params_source="3072·100 + 100 + 100·10 + 10",
        **_CIFAR,
    ),
)
