"""LeNet: the 1989 zip-code network and LeNet-5 (1998).

    lenet1989: image 16×16 → H1 12@5×5/2 → H2 12@5×5/2 (8 of 12 maps each) → H3 30 → 10, untied biases
    lenet5:    image 32×32 → C1 6@5×5 → S2 → C3 16@5×5 → S4 → C5 120@5×5 → F6 84 → 10

LeCun et al. 1989, "Backpropagation applied to handwritten zip code recognition", Neural Computation 1(4).
LeCun, Bottou, Bengio & Haffner 1998, "Gradient-based learning applied to document recognition", Proc. IEEE.

Both papers end in units with fixed targets (1998: Euclidean RBF units); here the output is the zoo's usual
`predictions` Dense layer with softmax, so the class scores train with cross-entropy like every other model.
"""

from __future__ import annotations

from collections.abc import Sequence

from cnnapp.errors import CnnappError, unknown
from cnnapp.models import layers
from cnnapp.models.common import ACTIVATIONS, activation_layer, initializer, resolve_keras, start, top
from cnnapp.models.spec import Architecture

# Table I of LeCun et al. 1998: the S2 maps each C3 map reads. Maps 0-5 read 3 contiguous maps, 6-11 read 4
# contiguous, 12-14 read 4 non-contiguous, 15 reads all 6: 60 connections, which breaks the symmetry between
# maps and keeps C3 at 60·25 + 16 = 1,516 parameters.
C3_TABLE = (
    (0, 1, 2), (1, 2, 3), (2, 3, 4), (3, 4, 5), (4, 5, 0), (5, 0, 1),
    (0, 1, 2, 3), (1, 2, 3, 4), (2, 3, 4, 5), (3, 4, 5, 0), (4, 5, 0, 1), (5, 0, 1, 2),
    (0, 1, 3, 4), (1, 2, 4, 5), (0, 2, 3, 5),
    (0, 1, 2, 3, 4, 5),
)  # fmt: skip

# LeCun et al. 1989 give each H2 map 8 of the 12 H1 maps but not which; we take the cyclic choice j, j+1, ...,
# j+7 (mod 12) for map j, so every H1 map feeds exactly 8 H2 maps and no two H2 maps read the same set.
H2_TABLE = tuple(tuple((j + i) % 12 for i in range(8)) for j in range(12))

SUBSAMPLINGS = ("average", "max")
VARIANTS = ("lecture", "paper")


_activation = activation_layer


def _hidden(K, units: int, name: str, activation: str, kernel):
    """The hidden fully connected layer of the classifier (F6, H3) and its activation, as a function."""
    return lambda x: _activation(K, activation, f"{name}_act")(
        K.layers.Dense(units, kernel_initializer=kernel(), name=name)(x)
    )


def _paper_init(K, fan_in: int | None = None):
    """LeNet's U(±2.4/F_in), as a "paper" factory for `common.initializer`."""
    return lambda: layers.fan_in_uniform(K)(fan_in=fan_in)


def _check_choice(kind: str, value: str, valid: Sequence[str]) -> None:
    if value not in valid:
        raise unknown(kind, value, valid)


def lenet5(
    input_shape: Sequence[int] = (32, 32, 1),
    num_classes: int = 10,
    include_top: bool = True,
    pooling: str | None = None,
    variant: str = "lecture",
    activation: str = "scaled_tanh",
    subsampling: str = "average",
    init: str = "paper",
    classifier_activation: str | None = "softmax",
    width: float = 1.0,
    keras_module=None,
):
    """LeNet-5 (LeCun et al. 1998, section II.B and Fig. 2).

    Layer order: C1 conv 6@5×5, act, S2 2×2 subsampling, [act], C3 conv 16@5×5, act, S4 subsampling, [act],
    C5 conv 120@5×5, act, flatten, F6 dense 84, act, predictions. The bracketed activations are the paper's
    (its subsampling units are squashed); the lecture variant has none there.

    Args:
        input_shape: (H, W, C), at least 32×32 (C5's 5×5 kernel must fit S4's maps; pad MNIST's 28×28 digits
            to 32×32 as the paper did).
        num_classes: number of output classes.
        variant: "lecture" — C3 reads all six S2 maps and S2/S4 are plain 2×2 pooling (61,706 parameters) —
            or "paper" — C3 wired by Table I and S2/S4 with a trainable coefficient and bias per map
            (60,000 parameters up to F6, 60,850 with the 10-way output).
        activation: "scaled_tanh" (the paper's 1.7159·tanh(2a/3)), "tanh", "sigmoid", "relu", "leaky_relu"
            or "elu" (`common.ACTIVATIONS`).
        subsampling: S2's and S4's kind: "average" (the paper's sum, or the lecture's average) or "max".
        init: "paper" (uniform ±2.4/F_in, the paper's appendix A), "lecun", "glorot" or "he".
        classifier_activation: "softmax", or None for logits.
        width: multiplies C1's and C3's filter counts (6 and 16; rounded), for inputs harder than MNIST's
            (the lecture variant only: the paper's C3 is wired by its Table I).
        include_top: False gives the backbone (C1 to C5_act, whose 1×1×120 maps F6 reads), its layers named
            as in the full network.
        pooling: for a backbone, None (its last maps), "avg" or "max" (a global pool of them).
        keras_module: keras (default) or tf_keras.
    """
    K = resolve_keras(keras_module)
    _check_choice("LeNet-5 variant", variant, VARIANTS)
    _check_choice("activation", activation, ACTIVATIONS)
    _check_choice("subsampling", subsampling, SUBSAMPLINGS)
    inputs = start(K, input_shape, num_classes, "lenet5", 32, (include_top, pooling))
    paper = variant == "paper"
    if width != 1.0 and paper:
        raise CnnappError("width applies to the lecture LeNet-5: the paper's C3 is wired for 6 and 16 maps")
    c1, c3 = max(1, round(6 * width)), max(1, round(16 * width))
    kernel = lambda fan_in=None: initializer(init, _paper_init(K, fan_in))  # noqa: E731

    def subsample(x, name):
        if paper:  # coefficient starts at the paper's U(±2.4/4) (4 inputs), or as a plain average
            coefficient = kernel(4) if init == "paper" else K.initializers.Constant(0.25)
            mode = "sum" if subsampling == "average" else "max"
            x = layers.subsampling_layer(K)(2, mode, coefficient_initializer=coefficient, name=name)(x)
            return _activation(K, activation, f"{name}_act")(x)
        pool = K.layers.AveragePooling2D if subsampling == "average" else K.layers.MaxPooling2D
        return pool(2, name=name)(x)

    x = K.layers.Conv2D(c1, 5, kernel_initializer=kernel(), name="C1")(inputs)
    x = _activation(K, activation, "C1_act")(x)
    x = subsample(x, "S2")
    if paper:
        x = layers.partial_conv_layer(K)(C3_TABLE, 5, kernel_initializer=kernel(), name="C3")(x)
    else:
        x = K.layers.Conv2D(c3, 5, kernel_initializer=kernel(), name="C3")(x)
    x = _activation(K, activation, "C3_act")(x)
    x = subsample(x, "S4")
    x = K.layers.Conv2D(120, 5, kernel_initializer=kernel(), name="C5")(x)
    x = _activation(K, activation, "C5_act")(x)
    head = dict(include_top=include_top, pooling=pooling, classifier_activation=classifier_activation)
    hidden = _hidden(K, 84, "F6", activation, kernel)
    outputs = top(K, x, num_classes=num_classes, hidden=hidden, kernel_initializer=kernel(), **head)
    return K.Model(inputs, outputs, name="lenet5_paper" if paper else "lenet5")


def lenet1989(
    input_shape: Sequence[int] = (16, 16, 1),
    num_classes: int = 10,
    include_top: bool = True,
    pooling: str | None = None,
    activation: str = "scaled_tanh",
    init: str = "paper",
    classifier_activation: str | None = "softmax",
    keras_module=None,
):
    """The zip-code network of LeCun et al. 1989 (section 5, Fig. 3): 9,760 parameters.

    Layer order: H1 conv 12@5×5/2 (same padding: 16×16 → 8×8), H1_bias (one bias per unit), act, H2 partial
    conv 12@5×5/2 (map j reads H1 maps j..j+7 mod 12; 8×8 → 4×4), H2_bias, act, flatten, H3 dense 30, act,
    predictions. Kernels are shared within a map, biases are not ("untied"); H3 and the output are fully
    connected with one bias per unit as usual. 1,256 units (256 inputs + 768 + 192 + 30 + 10), 64,660
    connections, 9,760 independent parameters, as in the paper.

    Args:
        input_shape: (H, W, C), the paper's 16×16. Same padding halves any size twice; at least 5×5 so
            that H1's 5×5 kernel fits inside the image.
        num_classes: number of output classes.
        activation: "scaled_tanh" (the paper's scaled hyperbolic tangent), "tanh", "sigmoid", "relu",
            "leaky_relu" or "elu" (`common.ACTIVATIONS`).
        init: "paper" (uniform ±2.4/F_in, section 5.1), "lecun", "glorot" or "he".
        classifier_activation: "softmax", or None for logits.
        include_top: False gives the backbone (H1 to H2_act, the 4×4×12 maps H3 reads), its layers named as
            in the full network.
        pooling: for a backbone, None (its last maps), "avg" or "max" (a global pool of them).
        keras_module: keras (default) or tf_keras.
    """
    K = resolve_keras(keras_module)
    _check_choice("activation", activation, ACTIVATIONS)
    inputs = start(K, input_shape, num_classes, "lenet1989", 5, (include_top, pooling))
    kernel = lambda: initializer(init, _paper_init(K))  # noqa: E731
    untied_bias = layers.untied_bias_layer(K)

    x = K.layers.Conv2D(
        12, 5, strides=2, padding="same", use_bias=False, kernel_initializer=kernel(), name="H1"
    )(inputs)
    x = untied_bias(name="H1_bias")(x)
    x = _activation(K, activation, "H1_act")(x)
    x = layers.partial_conv_layer(K)(
        H2_TABLE, 5, strides=2, padding="same", use_bias=False, kernel_initializer=kernel(), name="H2"
    )(x)
    x = untied_bias(name="H2_bias")(x)
    x = _activation(K, activation, "H2_act")(x)
    head = dict(include_top=include_top, pooling=pooling, classifier_activation=classifier_activation)
    hidden = _hidden(K, 30, "H3", activation, kernel)
    outputs = top(K, x, num_classes=num_classes, hidden=hidden, kernel_initializer=kernel(), **head)
    return K.Model(inputs, outputs, name="lenet1989")


_LENET5 = dict(input_shape=(32, 32, 1), num_classes=10, task="MNIST digits", training_examples=60_000)
_PAPER_1998 = "LeCun, Bottou, Bengio & Haffner 1998, Gradient-based learning applied to document recognition"

ARCHITECTURES = (
    Architecture(
        "lenet1989", lenet1989, {},
        paper="LeCun et al. 1989, Backpropagation applied to handwritten zip code recognition",
        input_shape=(16, 16, 1), num_classes=10, task="US Postal Service zip-code digits",
        training_examples=7_291,
        published_params=9_760,
        params_source="LeCun et al. 1989, section 5: 9,760 independent parameters (H1 300+768, H2 2,400+192, "
        "H3 5,790, output 310)",
        small_options={"num_classes": 10},
    ),
    Architecture(
        "lenet5", lenet5, {"variant": "lecture"}, paper=f"{_PAPER_1998} (lecture variant)",
        published_params=61_706,
        params_source="lecture LeNet-5 (C3 dense): C1 156 + C3 2,416 + C5 48,120 + F6 10,164 + output 850",
        small_options={"num_classes": 10}, **_LENET5,
    ),
    Architecture(
        "lenet5-paper", lenet5, {"variant": "paper"}, paper=_PAPER_1998,
        published_params=60_850,
        params_source="LeCun et al. 1998, section II.B: C1 156 + S2 12 + C3 1,516 + S4 32 + C5 48,120 + "
        "F6 10,164 = 60,000, plus a 10-way softmax output (850) in place of the paper's fixed RBF units",
        small_options={"num_classes": 10}, **_LENET5,
    ),
)  # fmt: skip

__all__ = ["ARCHITECTURES", "C3_TABLE", "H2_TABLE", "lenet1989", "lenet5"]
