"""GoogLeNet (Inception v1): Szegedy et al. 2014, Table 1.

    stem:  conv 7×7/2 64, max pool 3×3/2, LRN, conv 1×1 64, conv 3×3 192, LRN, max pool 3×3/2
    3a 3b, max pool 3×3/2, 4a 4b 4c 4d 4e, max pool 3×3/2, 5a 5b
    average pool (7×7 at 224: global), dropout 0.4, linear, softmax
    auxiliary heads on 4a and 4d (training only): average pool 5×5/3, conv 1×1 128, FC 1024, dropout 0.7,
    linear, softmax

Szegedy et al. 2014, "Going Deeper with Convolutions", CVPR 2015. Every conv (in the inception modules
too) has a ReLU. Pools use "same" padding, which gives the table's 112/56/28/14/7 maps at 224 (Caffe
rounds up).
"""

from __future__ import annotations

from collections.abc import Sequence

from cnnapp.models.common import initializer, resolve_keras, start, top
from cnnapp.models.layers import lrn_layer
from cnnapp.models.spec import Architecture

# Table 1: #1×1, #3×3 reduce, #3×3, #5×5 reduce, #5×5, pool proj; output depth = 1×1 + 3×3 + 5×5 + pool proj.
INCEPTIONS = {
    "3a": (64, 96, 128, 16, 32, 32),
    "3b": (128, 128, 192, 32, 96, 64),
    "4a": (192, 96, 208, 16, 48, 64),
    "4b": (160, 112, 224, 24, 64, 64),
    "4c": (128, 128, 256, 24, 64, 64),
    "4d": (112, 144, 288, 32, 64, 64),
    "4e": (256, 160, 320, 32, 128, 128),
    "5a": (256, 160, 320, 32, 128, 128),
    "5b": (384, 192, 384, 48, 128, 128),
}

# Section 5: "during training, their loss gets added to the total loss of the network with a discount weight
# (the losses of the auxiliary classifiers were weighted by 0.3)". Keys are the model's output names.
LOSS_WEIGHTS = {"predictions": 1.0, "aux1_predictions": 0.3, "aux2_predictions": 0.3}

# The paper does not state its initialization; BVLC's Caffe reproduction (bvlc_googlenet) used Caffe's
# "xavier" filler, U(±√(3/fan_in)) = Keras lecun_uniform, with biases 0.2 (0 in the classifiers).
_PAPER_INIT = "lecun_uniform"
_PAPER_BIAS = 0.2


def scaled(filters: int, width: float) -> int:
    """A filter count times the width multiplier, rounded, at least 1."""
    return max(1, round(filters * width))


def _conv(x, filters, kernel, *, K, init, name, strides=1):
    return K.layers.Conv2D(
        filters,
        kernel,
        strides=strides,
        padding="same",
        activation="relu",
        kernel_initializer=initializer(init, _PAPER_INIT),
        bias_initializer=K.initializers.Constant(_PAPER_BIAS if init == "paper" else 0.0),
        name=name,
    )(x)


def _lrn(K, name):
    # Caffe's LRN (the paper's own code base): local_size 5, alpha 1e-4, beta 0.75, k 1, where Caffe divides
    # alpha by local_size; our layer multiplies the window sum by alpha itself, so alpha = 1e-4 / 5.
    return lrn_layer(K)(depth_radius=2, bias=1.0, alpha=1e-4 / 5, beta=0.75, name=name)


def apply_inception(x, filters: Sequence[int], *, width: float, K, init: str, name: str):
    """Inception module: [1×1 | 1×1 → 3×3 | 1×1 → 5×5 | max pool 3×3/1 → 1×1 proj], concatenated by depth."""
    n1x1, n3x3r, n3x3, n5x5r, n5x5, npool = (scaled(f, width) for f in filters)
    conv = dict(K=K, init=init)
    b1 = _conv(x, n1x1, 1, name=f"{name}_1x1", **conv)
    b2 = _conv(x, n3x3r, 1, name=f"{name}_3x3_reduce", **conv)
    b2 = _conv(b2, n3x3, 3, name=f"{name}_3x3", **conv)
    b3 = _conv(x, n5x5r, 1, name=f"{name}_5x5_reduce", **conv)
    b3 = _conv(b3, n5x5, 5, name=f"{name}_5x5", **conv)
    b4 = K.layers.MaxPooling2D(3, strides=1, padding="same", name=f"{name}_pool")(x)
    b4 = _conv(b4, npool, 1, name=f"{name}_pool_proj", **conv)
    return K.layers.Concatenate(axis=-1, name=f"{name}_output")([b1, b2, b3, b4])


def apply_aux_classifier(
    x, num_classes: int, *, width: float, activation: str | None, K, init: str, name: str
):
    """Auxiliary head: avg pool 5×5/3, conv 1×1 128 + ReLU, FC 1024 + ReLU, dropout 0.7, linear, softmax."""
    x = K.layers.AveragePooling2D(5, strides=3, padding="valid", name=f"{name}_avg_pool")(x)
    x = _conv(x, scaled(128, width), 1, K=K, init=init, name=f"{name}_conv")
    x = K.layers.Flatten(name=f"{name}_flatten")(x)
    x = K.layers.Dense(
        scaled(1024, width),
        activation="relu",
        kernel_initializer=initializer(init, _PAPER_INIT),
        bias_initializer=K.initializers.Constant(_PAPER_BIAS if init == "paper" else 0.0),
        name=f"{name}_fc",
    )(x)
    x = K.layers.Dropout(0.7, name=f"{name}_dropout")(x)
    return K.layers.Dense(
        num_classes,
        activation=activation,
        kernel_initializer=initializer(init, _PAPER_INIT),
        dtype="float32",
        name=f"{name}_predictions",
    )(x)


def min_input_size(cifar_stem: bool, aux_classifiers: bool) -> int:
    """The smallest input side the layer arithmetic allows.

    Every conv and pool of the main path pads ("same"), so any size works there. An auxiliary head's 5×5 valid
    average pool needs a 4a/4d map of at least 5×5: the ImageNet stem divides the side by 16 before 4a
    (rounding up), the CIFAR stem by 2.
    """
    if not aux_classifiers:
        return 1
    return 9 if cifar_stem else 65


def googlenet(
    input_shape: Sequence[int] = (224, 224, 3),
    num_classes: int = 1000,
    include_top: bool = True,
    pooling: str | None = None,
    aux_classifiers: bool = True,
    cifar_stem: bool = False,
    width: float = 1.0,
    dropout: float = 0.4,
    init: str = "paper",
    classifier_activation: str | None = "softmax",
    keras_module=None,
):
    """GoogLeNet (Szegedy et al. 2014, Table 1), ~7.0M parameters at inference at 224×224.

    Args:
        input_shape: (H, W, C); the paper's 224×224×3 by default. With auxiliary heads the ImageNet stem needs
            at least 65×65 and the CIFAR stem 9×9; without them any size works.
        num_classes: the size of the softmax layers.
        aux_classifiers: add the two training-time heads on 4a and 4d as outputs `aux1_predictions` and
            `aux2_predictions` after `predictions` (the paper's training network; weight them with
            `LOSS_WEIGHTS`). `cnnapp.models.inference_model` strips them.
        cifar_stem: replace the stem (which divides the side by 8 before 3a) with one 3×3 conv of 192
            filters and no downsampling, for 32×32 inputs: 3a-3b then run at 32×32, 4a-4e at 16×16,
            5a-5b at 8×8.
        width: multiplies every filter count and the auxiliary FC units (rounded, at least 1); 0.25 gives a
            quarter-width GoogLeNet that trains on a CPU.
        dropout: dropout rate before the classifier (the paper's 0.4).
        init: "paper" (Caffe's xavier = lecun_uniform, biases 0.2, as BVLC's reproduction), "lecun", "glorot"
            or "he" (zero biases).
        classifier_activation: of the classifiers (main and auxiliary), "softmax" or None for logits.
        include_top: False gives the backbone (up to inception_5b, without the auxiliary heads), its layers
            named as in the full network.
        pooling: for a backbone, None (its last maps), "avg" or "max" (a global pool of them).
        keras_module: keras (default) or tf_keras.
    """
    K = resolve_keras(keras_module)
    aux_classifiers = aux_classifiers and include_top  # a backbone has no classifier, auxiliary or main
    min_size = min_input_size(cifar_stem, aux_classifiers)
    inputs = start(K, input_shape, num_classes, "googlenet", min_size, (include_top, pooling))
    conv = dict(K=K, init=init)
    if cifar_stem:
        x = _conv(inputs, scaled(192, width), 3, name="conv1_3x3", **conv)
    else:
        x = _conv(inputs, scaled(64, width), 7, strides=2, name="conv1_7x7_s2", **conv)
        x = K.layers.MaxPooling2D(3, strides=2, padding="same", name="pool1_3x3_s2")(x)
        x = _lrn(K, "pool1_norm1")(x)
        x = _conv(x, scaled(64, width), 1, name="conv2_3x3_reduce", **conv)
        x = _conv(x, scaled(192, width), 3, name="conv2_3x3", **conv)
        x = _lrn(K, "conv2_norm2")(x)
        x = K.layers.MaxPooling2D(3, strides=2, padding="same", name="pool2_3x3_s2")(x)
    aux = []
    for stage in ("3a", "3b", "4a", "4b", "4c", "4d", "4e", "5a", "5b"):
        if stage in ("4a", "5a"):
            pool = f"pool{stage[0]}_3x3_s2"
            x = K.layers.MaxPooling2D(3, strides=2, padding="same", name=pool)(x)
        x = apply_inception(x, INCEPTIONS[stage], width=width, name=f"inception_{stage}", **conv)
        if aux_classifiers and stage in ("4a", "4d"):
            head = f"aux{len(aux) + 1}"
            aux.append(
                apply_aux_classifier(
                    x, num_classes, width=width, activation=classifier_activation, name=head, **conv
                )
            )
    outputs = top(  # the table's 7×7/1 average pool at 224×224 (global), dropout, linear, softmax
        K, x, include_top=include_top, pooling=pooling, num_classes=num_classes,
        classifier_activation=classifier_activation, kernel_initializer=initializer(init, _PAPER_INIT),
        reduce="avg_pool", hidden=K.layers.Dropout(dropout, name="dropout"),
    )  # fmt: skip
    return K.Model(inputs, [outputs, *aux] if aux else outputs, name="googlenet")


# The paper's Table 1 "params" column (weights only, K = 1000) sums to 6.8M; with biases the network as
# specified has 6,998,552 parameters at inference (the test pins the per-module counts).
ARCHITECTURES = (
    Architecture(
        "googlenet",
        googlenet,
        {},
        paper="Szegedy et al. 2014, Going Deeper with Convolutions",
        input_shape=(224, 224, 3),
        num_classes=1000,
        task="ImageNet ILSVRC-2014",
        training_examples=1_281_167,
        published_params=6_998_552,
        params_source="computed from the paper's Table 1 with biases: 6,998,552 at inference (Table 1's "
        "params column, weights only, sums to 6.8M)",
        small_options={"input_shape": (32, 32, 3), "num_classes": 10, "cifar_stem": True, "width": 0.25},
    ),
)
