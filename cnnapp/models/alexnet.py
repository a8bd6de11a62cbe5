"""AlexNet (2012) and ZF net (2013): five conv layers, three fully connected.

    alexnet: image 227×227 → conv1 96@11×11/4, norm1, pool1 → conv2 256@5×5, norm2, pool2 → conv3 384@3×3
             → conv4 384@3×3 → conv5 256@3×3, pool5 → fc6 4096 → fc7 4096 → predictions
    zfnet:   image 224×224 → conv1 96@7×7/2, pool1, norm1 → conv2 256@5×5/2, pool2, norm2 → conv3 384
             → conv4 384 → conv5 256, pool5 → fc6 4096 → fc7 4096 → predictions

Krizhevsky, Sutskever & Hinton 2012, "ImageNet classification with deep convolutional neural networks", NIPS.
Zeiler & Fergus 2013, "Visualizing and understanding convolutional networks", arXiv:1311.2901 (ECCV 2014).
"""

from __future__ import annotations

from collections.abc import Sequence

from cnnapp.errors import CnnappError
from cnnapp.models import layers
from cnnapp.models.common import (
    activate,
    built_in,
    check_activation,
    dense_layers,
    initializer,
    resolve_keras,
    start,
    top,
)
from cnnapp.models.spec import Architecture

# Smallest inputs the valid-padded layers allow (every map stays at least 1×1 through pool5):
#   AlexNet 67 → conv1 15 → pool1 7 → pool2 3 → pool5 1
#   ZF 53 → conv1 25 → pool1 13 → conv2 5 → pool2 3 → pool5 1
ALEXNET_MIN_SIZE = 67
ZFNET_MIN_SIZE = 53


def _paper_normal(K):
    # Both papers draw every weight from N(0, 0.01²) (AlexNet section 5; ZF section 3 "set to 10^-2").
    return lambda: K.initializers.RandomNormal(stddev=0.01)


def _lrn(K, name):
    # The AlexNet paper's k=2, n=5, α=1e-4, β=0.75 (section 3.3); ZF gives no values for its contrast
    # normalization and is read here as the same layer.
    return layers.lrn_layer(K)(depth_radius=2, bias=2.0, alpha=1e-4, beta=0.75, name=name)


def _classifier(
    K,
    x,
    num_classes,
    fc_units,
    dropout,
    init,
    hidden_bias,
    classifier_activation,
    top_options,
    activation="relu",
):
    """flatten, fc6, drop6, fc7, drop7, predictions: dropout in the first two FC layers (section 4.2); or,
    with `include_top=False`, the pool5 maps (globally pooled if asked)."""
    kernel = lambda: initializer(init, _paper_normal(K))  # noqa: E731
    fc = (("fc6", "drop6"), ("fc7", "drop7"))
    return top(
        K, x, num_classes=num_classes, classifier_activation=classifier_activation,
        kernel_initializer=kernel(),
        hidden=lambda x: dense_layers(
            K, x, fc, units=fc_units, dropout=dropout, kernel_initializer=kernel,
            bias_initializer=hidden_bias, activation=activation,
        ),
        **top_options,
    )  # fmt: skip


def alexnet(
    input_shape: Sequence[int] = (227, 227, 3),
    num_classes: int = 1000,
    include_top: bool = True,
    pooling: str | None = None,
    towers: int = 2,
    fc_units: int = 4096,
    dropout: float = 0.5,
    init: str = "paper",
    classifier_activation: str | None = "softmax",
    activation: str = "relu",
    keras_module=None,
):
    """AlexNet (Krizhevsky et al. 2012, section 3 and Fig. 2).

    Layer order per conv stage: conv (ReLU), [norm: LRN, conv1 and conv2 only], [pool: 3×3/2 max, after conv1,
    conv2, conv5]; then flatten, fc6 (ReLU), drop6, fc7 (ReLU), drop7, predictions.

    With `towers=2` (the paper's two GPUs, the default) every conv layer is two literal halves, named
    `conv1_gpu1`/`conv1_gpu2` and so on, with normalization and pooling per half; conv3 and fc6 read the
    concatenation of both halves (`pool2_concat`, `pool5_concat`), conv2, conv4 and conv5 only their own half:
    60,965,224 parameters. `towers=1` is the same network with dense conv2/4/5: 62,378,344. The fully
    connected layers are single Dense layers, exactly equivalent to the paper's halves, which read both GPUs.

    Args:
        input_shape: (H, W, C); the paper's 224×224 crops need 227×227 to give its 55×55 conv1 maps.
            At least 67×67.
        num_classes: number of output classes.
        towers: 2 (the paper's two-GPU layout) or 1.
        fc_units: width of fc6 and fc7 (the paper's 4096; smaller for small data or quick tests).
        dropout: dropout rate after fc6 and fc7 (the paper's 0.5).
        init: "paper" (N(0, 0.01); bias 1 in conv2, conv4, conv5, fc6, fc7 "to give ReLUs positive inputs",
            0 elsewhere, section 5), "lecun", "glorot" or "he" (all biases 0).
        classifier_activation: "softmax", or None for logits.
        activation: the hidden units' non-linearity, the paper's "relu" or another of
            `common.ACTIVATIONS` (then a layer `conv1_gpu1_act`, ... after each conv and fc layer).
        include_top: False gives the backbone up to pool5, its layers named as in the full network.
        pooling: for a backbone, None (the pool5 maps), "avg" or "max" (a global pool of them).
        keras_module: keras (default) or tf_keras.
    """
    K = resolve_keras(keras_module)
    check_activation(activation)
    if towers not in (1, 2):
        raise CnnappError(f"towers must be 1 or 2 (the paper's two GPUs); got {towers!r}")
    inputs = start(K, input_shape, num_classes, "alexnet", ALEXNET_MIN_SIZE, (include_top, pooling))
    one = "ones" if init == "paper" else "zeros"  # the paper's bias 1 in conv2, conv4, conv5, fc6, fc7

    def conv(x, filters, size, name, strides=1, padding="same", bias="zeros"):
        """One conv layer as `towers` halves: x is a list of tower inputs (one shared input is [x])."""
        outs = []
        for t in range(towers):
            source = x[t] if len(x) == towers else x[0]
            suffix = f"_gpu{t + 1}" if towers == 2 else ""
            outs.append(
                K.layers.Conv2D(
                    filters // towers,
                    size,
                    strides=strides,
                    padding=padding,
                    activation=built_in(activation),
                    kernel_initializer=initializer(init, _paper_normal(K)),
                    bias_initializer=bias,
                    name=f"{name}{suffix}",
                )(source)
            )
            outs[-1] = activate(K, outs[-1], activation, f"{name}{suffix}_act")
        return outs

    def per_tower(x, make, name):
        suffix = (lambda t: f"_gpu{t + 1}") if towers == 2 else (lambda t: "")
        return [make(f"{name}{suffix(t)}")(xt) for t, xt in enumerate(x)]

    def pool(name):
        return K.layers.MaxPooling2D(3, strides=2, name=name)  # overlapping pooling, s=2 < z=3 (section 3.4)

    def merged(x, name):
        return [x[0]] if towers == 1 else [K.layers.Concatenate(name=name)(x)]

    # Block 1
    x = conv([inputs], 96, 11, "conv1", strides=4, padding="valid")
    x = per_tower(x, lambda n: _lrn(K, n), "norm1")
    x = per_tower(x, pool, "pool1")
    # Block 2: each half reads only its own half of block 1
    x = conv(x, 256, 5, "conv2", bias=one)
    x = per_tower(x, lambda n: _lrn(K, n), "norm2")
    x = per_tower(x, pool, "pool2")
    # Block 3: reads both halves
    x = conv(merged(x, "pool2_concat"), 384, 3, "conv3")
    # Blocks 4 and 5: own half only
    x = conv(x, 384, 3, "conv4", bias=one)
    x = conv(x, 256, 3, "conv5", bias=one)
    x = per_tower(x, pool, "pool5")
    x = merged(x, "pool5_concat")[0]
    outputs = _classifier(
        K, x, num_classes, fc_units, dropout, init, one, classifier_activation,
        {"include_top": include_top, "pooling": pooling}, activation,
    )  # fmt: skip
    return K.Model(inputs, outputs, name="alexnet" if towers == 2 else "alexnet_single_tower")


def zfnet(
    input_shape: Sequence[int] = (224, 224, 3),
    num_classes: int = 1000,
    include_top: bool = True,
    pooling: str | None = None,
    fc_units: int = 4096,
    dropout: float = 0.5,
    init: str = "paper",
    classifier_activation: str | None = "softmax",
    keras_module=None,
):
    """ZF net (Zeiler & Fergus 2013, Fig. 3): AlexNet with a 7×7/2 first layer, on one GPU (dense layers).

    Layer order: conv1 96@7×7/2 (1 pixel of padding: 224 → 110), ReLU, pool1 3×3/2 (110 → 55), norm1
    (contrast normalization), conv2 256@5×5/2 (→ 26), pool2 (→ 13), norm2, conv3 384@3×3, conv4 384@3×3,
    conv5 256@3×3, pool5 (→ 6), flatten, fc6, drop6, fc7, drop7, predictions. Pools 1 and 2 pad their border
    so the maps are the figure's 55 and 13. 62,357,608 parameters at 224×224 (the paper gives no total).

    Args:
        input_shape: (H, W, C), the paper's 224×224 crops; at least 53×53.
        num_classes: number of output classes.
        fc_units: width of fc6 and fc7 (the paper's 4096).
        dropout: dropout rate after fc6 and fc7 (the paper's 0.5).
        init: "paper" (weights N(0, 0.01), biases 0, section 3), "lecun", "glorot" or "he".
        classifier_activation: "softmax", or None for logits.
        activation: the hidden units' non-linearity, the paper's "relu" or another of
            `common.ACTIVATIONS` (then a layer `conv1_gpu1_act`, ... after each conv and fc layer).
        include_top: False gives the backbone up to pool5, its layers named as in the full network.
        pooling: for a backbone, None (the pool5 maps), "avg" or "max" (a global pool of them).
        keras_module: keras (default) or tf_keras.
    """
    K = resolve_keras(keras_module)
    inputs = start(K, input_shape, num_classes, "zfnet", ZFNET_MIN_SIZE, (include_top, pooling))

    def conv(x, filters, size, name, strides=1, padding="same"):
        return K.layers.Conv2D(
            filters,
            size,
            strides=strides,
            padding=padding,
            activation="relu",
            kernel_initializer=initializer(init, _paper_normal(K)),
            name=name,
        )(x)

    # Block 1
    x = K.layers.ZeroPadding2D(1, name="conv1_pad")(inputs)
    x = conv(x, 96, 7, "conv1", strides=2, padding="valid")
    x = K.layers.MaxPooling2D(3, strides=2, padding="same", name="pool1")(x)
    x = _lrn(K, "norm1")(x)
    # Block 2
    x = conv(x, 256, 5, "conv2", strides=2, padding="valid")
    x = K.layers.MaxPooling2D(3, strides=2, padding="same", name="pool2")(x)
    x = _lrn(K, "norm2")(x)
    # Blocks 3-5
    x = conv(x, 384, 3, "conv3")
    x = conv(x, 384, 3, "conv4")
    x = conv(x, 256, 3, "conv5")
    x = K.layers.MaxPooling2D(3, strides=2, name="pool5")(x)
    outputs = _classifier(
        K, x, num_classes, fc_units, dropout, init, "zeros", classifier_activation,
        {"include_top": include_top, "pooling": pooling},
    )  # fmt: skip
    return K.Model(inputs, outputs, name="zfnet")


_IMAGENET = dict(num_classes=1000, task="ImageNet ILSVRC-2012", training_examples=1_281_167)

ARCHITECTURES = (
    Architecture(
        "alexnet", alexnet, {},
        paper="Krizhevsky, Sutskever & Hinton 2012, ImageNet classification with deep convolutional neural "
        "networks",
        input_shape=(227, 227, 3),
        published_params=60_965_224,
        params_source="the paper's \"60 million parameters\"; exact count of its two-tower layout as in "
        "Caffe's bvlc_alexnet (group=2): conv 2,334,080 + fc 58,631,144",
        small_options={"input_shape": (ALEXNET_MIN_SIZE,) * 2 + (3,), "num_classes": 10, "fc_units": 64},
        **_IMAGENET,
    ),
    Architecture(
        "zfnet", zfnet, {},
        paper="Zeiler & Fergus 2013, Visualizing and understanding convolutional networks",
        input_shape=(224, 224, 3),
        published_params=62_357_608,
        params_source="no total in the paper; Σ F²·C·K + K over Fig. 3's layers: conv 3,726,464 + "
        "fc 58,631,144",
        small_options={"input_shape": (ZFNET_MIN_SIZE,) * 2 + (3,), "num_classes": 10, "fc_units": 64},
        **_IMAGENET,
    ),
)  # fmt: skip
