"""ResNet: deep residual networks, He et al. 2015, Table 1 (ImageNet) and section 4.2 (CIFAR-10).

    ImageNet (18, 34: basic blocks; 50, 101, 152: bottleneck blocks):
        conv1 7×7/2 64, BN, ReLU, max pool 3×3/2 | conv2_x .. conv5_x | average pool, FC, softmax
        blocks per stage: 18: 2 2 2 2, 34: 3 4 6 3, 50: 3 4 6 3, 101: 3 4 23 3, 152: 3 8 36 3
        shortcuts: identity, or a 1×1 projection + BN where the shape changes (option B)
    CIFAR (6n + 2 layers: 20, 32, 44, 56, 110 for n = 3, 5, 7, 9, 18):
        conv 3×3 16, BN, ReLU | n basic blocks of 16, 32, 64 filters on 32², 16², 8² maps | avg pool, FC 10
        shortcuts: identity, or option A where the shape changes: subsample by 2 and zero-pad the new channels

He, Zhang, Ren & Sun 2015, "Deep Residual Learning for Image Recognition", CVPR 2016.
Layer names follow keras.applications (conv2_block1_1_conv, ...). Strided downsampling sits on the first
conv of a block (the first 1×1 in a bottleneck, as in the paper's Caffe models and keras.applications;
torchvision's "v1.5" strides the 3×3 instead, with the same parameter count).
"""

from __future__ import annotations

from collections.abc import Sequence

from cnnapp.errors import unknown
from cnnapp.models.common import initializer, resolve_keras, start, top
from cnnapp.models.layers import shortcut_a_layer
from cnnapp.models.spec import Architecture

# Table 1: (block kind, blocks per stage conv2_x..conv5_x).
DEPTHS = {
    18: ("basic", (2, 2, 2, 2)),
    34: ("basic", (3, 4, 6, 3)),
    50: ("bottleneck", (3, 4, 6, 3)),
    101: ("bottleneck", (3, 4, 23, 3)),
    152: ("bottleneck", (3, 8, 36, 3)),
}
CIFAR_DEPTHS = (20, 32, 44, 56, 110)  # section 4.2, Table 6; any 6n + 2 builds

BN_EPSILON = 1.001e-5  # keras.applications' value, so its ResNet50 weights give the same outputs here
_PAPER_INIT = "he_normal"  # "We initialize the weights as in [13]" (He et al. 2015, "Delving deep")


def scaled(filters: int, width: float) -> int:
    """A filter count times the width multiplier, rounded, at least 1."""
    return max(1, round(filters * width))


def _conv(x, filters, kernel, *, K, init, name, strides=1, use_bias=False):
    """Conv → BN; a strided k×k conv pads k//2 explicitly, as Caffe and PyTorch do ("same" is asymmetric)."""
    padding = "valid" if kernel == 1 else "same"
    if kernel > 1 and strides > 1:
        x = K.layers.ZeroPadding2D(kernel // 2, name=f"{name}_pad")(x)
        padding = "valid"
    x = K.layers.Conv2D(
        filters,
        kernel,
        strides=strides,
        padding=padding,
        use_bias=use_bias,
        kernel_initializer=initializer(init, _PAPER_INIT),
        name=f"{name}_conv",
    )(x)
    return K.layers.BatchNormalization(epsilon=BN_EPSILON, name=f"{name}_bn")(x)


def apply_basic_block(
    x, filters: int, *, strides: int, shortcut: str, K, init: str, use_bias: bool, name: str
):
    """Basic block: 3×3, BN, ReLU, 3×3, BN, + shortcut, ReLU.

    `shortcut` is "projection" (1×1 conv + BN, option B) or "zero_pad" (option A), used only where the shape
    changes; elsewhere the shortcut is the identity.
    """
    conv = dict(K=K, init=init, use_bias=use_bias)
    changes = strides != 1 or x.shape[-1] != filters
    if changes and shortcut == "projection":
        residual = _conv(x, filters, 1, strides=strides, name=f"{name}_0", **conv)
    elif changes:
        residual = shortcut_a_layer(K)(strides, filters - x.shape[-1], name=f"{name}_0_shortcut")(x)
    else:
        residual = x
    y = _conv(x, filters, 3, strides=strides, name=f"{name}_1", **conv)
    y = K.layers.ReLU(name=f"{name}_1_relu")(y)
    y = _conv(y, filters, 3, name=f"{name}_2", **conv)
    y = K.layers.Add(name=f"{name}_add")([residual, y])
    return K.layers.ReLU(name=f"{name}_out")(y)


def apply_bottleneck_block(x, filters: int, *, strides: int, K, init: str, use_bias: bool, name: str):
    """Bottleneck block: 1×1, BN, ReLU, 3×3, BN, ReLU, 1×1 (4× filters), BN, + shortcut (projected), ReLU."""
    conv = dict(K=K, init=init, use_bias=use_bias)
    if strides != 1 or x.shape[-1] != 4 * filters:
        residual = _conv(x, 4 * filters, 1, strides=strides, name=f"{name}_0", **conv)
    else:
        residual = x
    y = _conv(x, filters, 1, strides=strides, name=f"{name}_1", **conv)
    y = K.layers.ReLU(name=f"{name}_1_relu")(y)
    y = _conv(y, filters, 3, name=f"{name}_2", **conv)
    y = K.layers.ReLU(name=f"{name}_2_relu")(y)
    y = _conv(y, 4 * filters, 1, name=f"{name}_3", **conv)
    y = K.layers.Add(name=f"{name}_add")([residual, y])
    return K.layers.ReLU(name=f"{name}_out")(y)


def _classifier(x, num_classes, classifier_activation, K, init, include_top, pooling):
    # The paper's init is stated for the convs; the FC layer keeps Keras's default, Glorot.
    return top(
        K, x, include_top=include_top, pooling=pooling, num_classes=num_classes,
        classifier_activation=classifier_activation, kernel_initializer=initializer(init, "glorot_uniform"),
        reduce="avg_pool",
    )  # fmt: skip


def resnet(
    depth: int = 50,
    input_shape: Sequence[int] = (224, 224, 3),
    num_classes: int = 1000,
    include_top: bool = True,
    pooling: str | None = None,
    width: float = 1.0,
    conv_bias: bool = False,
    init: str = "paper",
    classifier_activation: str | None = "softmax",
    keras_module=None,
):
    """An ImageNet ResNet of depth 18, 34, 50, 101 or 152 (He et al. 2015, Table 1).

    Args:
        depth: 18 or 34 (basic blocks), 50, 101 or 152 (bottleneck blocks).
        input_shape: (H, W, C); the paper's 224×224×3 by default. Every layer pads, so the arithmetic takes
            any size; the side is divided by 32 before the average pool (a 32×32 input leaves 1×1 conv5 maps).
        num_classes: the size of the softmax layer.
        width: multiplies every filter count (rounded, at least 1), for small machines.
        conv_bias: give every conv a bias, as keras.applications' ResNet50/101/152 do (a bias before batch
            norm is redundant; the paper's models have none).
        init: "paper" (He normal), "lecun", "glorot" or "he".
        classifier_activation: "softmax", or None for logits.
        include_top: False gives the backbone (up to the last block's output), its layers named as in the
            full network.
        pooling: for a backbone, None (its last maps), "avg" or "max" (a global pool of them).
        keras_module: keras (default) or tf_keras.
    """
    K = resolve_keras(keras_module)
    if depth not in DEPTHS:
        raise unknown("ResNet depth", str(depth), [str(d) for d in DEPTHS])
    inputs = start(K, input_shape, num_classes, f"resnet{depth}", 1, (include_top, pooling))
    kind, blocks = DEPTHS[depth]
    conv = dict(K=K, init=init, use_bias=conv_bias)
    x = _conv(inputs, scaled(64, width), 7, strides=2, name="conv1", **conv)
    x = K.layers.ReLU(name="conv1_relu")(x)
    x = K.layers.ZeroPadding2D(1, name="pool1_pad")(x)
    x = K.layers.MaxPooling2D(3, strides=2, name="pool1_pool")(x)
    for stage, count in enumerate(blocks, start=2):
        filters = scaled(64 * 2 ** (stage - 2), width)
        for block in range(1, count + 1):
            strides = 2 if block == 1 and stage > 2 else 1
            name = f"conv{stage}_block{block}"
            if kind == "basic":
                x = apply_basic_block(x, filters, strides=strides, shortcut="projection", name=name, **conv)
            else:
                x = apply_bottleneck_block(x, filters, strides=strides, name=name, **conv)
    outputs = _classifier(x, num_classes, classifier_activation, K, init, include_top, pooling)
    return K.Model(inputs, outputs, name=f"resnet{depth}")


def cifar_resnet(
    depth: int = 20,
    input_shape: Sequence[int] = (32, 32, 3),
    num_classes: int = 10,
    include_top: bool = True,
    pooling: str | None = None,
    shortcut: str = "zero_pad",
    init: str = "paper",
    classifier_activation: str | None = "softmax",
    keras_module=None,
):
    """A CIFAR-10 ResNet of depth 6n + 2 (He et al. 2015, section 4.2).

    Args:
        depth: 6n + 2 (the paper's 20, 32, 44, 56, 110, or any other n ≥ 1).
        input_shape: (H, W, C); 32×32×3 by default. Every layer pads, so any size works.
        num_classes: the size of the softmax layer.
        shortcut: "zero_pad" (option A, parameter-free: the paper's CIFAR choice) or "projection" (option B).
        init: "paper" (He normal), "lecun", "glorot" or "he".
        classifier_activation: "softmax", or None for logits.
        include_top: False gives the backbone (up to the last block's output), its layers named as in the
            full network.
        pooling: for a backbone, None (its last maps), "avg" or "max" (a global pool of them).
        keras_module: keras (default) or tf_keras.
    """
    K = resolve_keras(keras_module)
    if not isinstance(depth, int) or depth < 8 or (depth - 2) % 6:
        raise unknown("CIFAR ResNet depth", str(depth), [f"{d} (any 6n + 2)" for d in CIFAR_DEPTHS])
    if shortcut not in ("zero_pad", "projection"):
        raise unknown("shortcut", shortcut, ["zero_pad", "projection"])
    inputs = start(K, input_shape, num_classes, f"resnet{depth}", 1, (include_top, pooling))
    n = (depth - 2) // 6
    conv = dict(K=K, init=init, use_bias=False)
    x = _conv(inputs, 16, 3, name="conv1", **conv)
    x = K.layers.ReLU(name="conv1_relu")(x)
    for stage, filters in enumerate((16, 32, 64), start=2):
        for block in range(1, n + 1):
            strides = 2 if block == 1 and stage > 2 else 1
            x = apply_basic_block(
                x, filters, strides=strides, shortcut=shortcut, name=f"conv{stage}_block{block}", **conv
            )
    outputs = _classifier(x, num_classes, classifier_activation, K, init, include_top, pooling)
    return K.Model(inputs, outputs, name=f"resnet{depth}")


_PAPER = "He et al. 2015, Deep Residual Learning for Image Recognition"
_IMAGENET = dict(
    input_shape=(224, 224, 3), num_classes=1000, task="ImageNet ILSVRC-2012", training_examples=1_281_167
)
_SMALL = {"input_shape": (32, 32, 3), "num_classes": 10, "width": 0.125}

# torchvision's counts have no BN moving statistics; Keras counts them (2 per BN channel) and so do we.
_TORCHVISION = {18: (11_689_512, 4_800), 34: (21_797_672, 8_512), 50: (25_557_032, 26_560),
                101: (44_549_160, 52_672), 152: (60_192_808, 75_712)}  # fmt: skip
# keras.applications' ResNet50/101/152 have conv biases: build with conv_bias=True to match them exactly.
KERAS_APPLICATIONS_PARAMS = {50: 25_636_712, 101: 44_707_176, 152: 60_419_944}
# Table 6 of the paper, in millions (learned parameters; BN moving statistics excluded).
CIFAR_TABLE6_PARAMS = {20: 0.27, 32: 0.46, 44: 0.66, 56: 0.85, 110: 1.7}


def cifar_params(depth: int) -> tuple[int, int]:
    """(learned parameters, BN channels) of a CIFAR ResNet with option-A shortcuts."""
    n = (depth - 2) // 6
    convs = 3 * 9 * 16 + 2 * n * 9 * 16 * 16
    convs += 9 * 16 * 32 + (2 * n - 1) * 9 * 32 * 32 + 9 * 32 * 64 + (2 * n - 1) * 9 * 64 * 64
    bn_channels = 16 + 2 * n * (16 + 32 + 64)
    return convs + 2 * bn_channels + 64 * 10 + 10, bn_channels


ARCHITECTURES = (
    *(
        Architecture(
            f"resnet{depth}",
            resnet,
            {"depth": depth},
            paper=f"{_PAPER} (Table 1, {depth}-layer)",
            published_params=tv + 2 * bn,
            params_source=f"torchvision resnet{depth} {tv:,} + {2 * bn:,} BN moving statistics "
            f"(2 per BN channel, {bn:,} channels)"
            + (
                f"; conv_bias=True: keras.applications {KERAS_APPLICATIONS_PARAMS[depth]:,}"
                if depth in KERAS_APPLICATIONS_PARAMS
                else ""
            ),
            small_options=_SMALL,
            **_IMAGENET,
        )
        for depth, (tv, bn) in _TORCHVISION.items()
    ),
    *(
        Architecture(
            f"resnet{depth}",
            cifar_resnet,
            {"depth": depth},
            paper=f"{_PAPER} (section 4.2, {depth}-layer)",
            input_shape=(32, 32, 3),
            num_classes=10,
            task="CIFAR-10",
            training_examples=50_000,
            published_params=cifar_params(depth)[0] + 2 * cifar_params(depth)[1],
            params_source=f"paper Table 6: {CIFAR_TABLE6_PARAMS[depth]}M; counted from section 4.2: "
            f"{cifar_params(depth)[0]:,} learned + {2 * cifar_params(depth)[1]:,} BN moving statistics",
            small_options={"num_classes": 10},
        )
        for depth in CIFAR_DEPTHS
    ),
)
