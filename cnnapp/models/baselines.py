"""The lectures' baselines: a linear softmax classifier and a 2-layer MLP.

linear: f = W x            (one template per class)
mlp:    f = W2 max(0, W1 x)
"""

from __future__ import annotations

from collections.abc import Sequence

from cnnapp.models.common import initializer, resolve_keras, start, top
from cnnapp.models.spec import Architecture


def linear(
    input_shape: Sequence[int] = (32, 32, 3),
    num_classes: int = 10,
    include_top: bool = True,
    pooling: str | None = None,
    init: str = "paper",
    classifier_activation: str | None = "softmax",
    keras_module=None,
):
    """Linear softmax classifier on raw pixels: Flatten, then one fully connected layer (CS231n's f = Wx).

    Its whole network is the classifier: `include_top=False` leaves the image itself (pooled if asked).
    """
    K = resolve_keras(keras_module)
    inputs = start(K, input_shape, num_classes, "linear", 1, (include_top, pooling))
    outputs = top(
        K, inputs, include_top=include_top, pooling=pooling, num_classes=num_classes,
        classifier_activation=classifier_activation, kernel_initializer=initializer(init, "glorot_uniform"),
    )  # fmt: skip
    return K.Model(inputs, outputs, name="linear")


def mlp(
    input_shape: Sequence[int] = (32, 32, 3),
    num_classes: int = 10,
    include_top: bool = True,
    pooling: str | None = None,
    hidden_units: int = 100,
    init: str = "paper",
    classifier_activation: str | None = "softmax",
    keras_module=None,
):
    """Two-layer network f = W2 max(0, W1 x): Flatten, FC-hidden + ReLU, FC-classes.

    Both layers are fully connected, the classifier: `include_top=False` leaves the image itself (pooled if
    asked).
    """
    K = resolve_keras(keras_module)
    inputs = start(K, input_shape, num_classes, "mlp", 1, (include_top, pooling))
    hidden = K.layers.Dense(
        hidden_units, activation="relu", kernel_initializer=initializer(init, "he_normal"), name="fc1"
    )
    outputs = top(
        K, inputs, include_top=include_top, pooling=pooling, num_classes=num_classes,
        classifier_activation=classifier_activation, kernel_initializer=initializer(init, "glorot_uniform"),
        hidden=hidden,
    )  # fmt: skip
    return K.Model(inputs, outputs, name="mlp")


_CIFAR = dict(input_shape=(32, 32, 3), num_classes=10, task="CIFAR-10", training_examples=50_000)

ARCHITECTURES = (
    Architecture(
        "linear",
        linear,
        {},
        paper="Linear softmax classifier (CS231n baseline)",
        published_params=32 * 32 * 3 * 10 + 10,
        params_source="3072·10 weights + 10 biases",
        **_CIFAR,
    ),
    Architecture(
        "mlp",
        mlp,
        {},
        paper="Two-layer network f = W2 max(0, W1 x) (CS231n baseline)",
        published_params=3072 * 100 + 100 + 100 * 10 + 10,
        params_source="3072·100 + 100 + 100·10 + 10",
        **_CIFAR,
    ),
)
