"""VGG: the very deep 3×3 conv nets, configurations A-E of Simonyan & Zisserman 2014, Table 1.

    A  (vgg11):     64 | 128 | 256 256 | 512 512 | 512 512                 (8 convs)
    A-LRN:          A with LRN after the first conv                        (8 convs)
    B  (vgg13):     64 64 | 128 128 | 256 256 | 512 512 | 512 512          (10 convs)
    C  (vgg16c):    B + a 1×1 conv at the end of stages 3, 4 and 5         (13 convs)
    D  (vgg16):     64 64 | 128 128 | 256 ×3 | 512 ×3 | 512 ×3             (13 convs, all 3×3)
    E  (vgg19):     64 64 | 128 128 | 256 ×4 | 512 ×4 | 512 ×4             (16 convs)
    then FC-4096, FC-4096 (dropout 0.5 after each), FC-1000, softmax.

Simonyan & Zisserman 2014, "Very Deep Convolutional Networks for Large-Scale Image Recognition", ICLR 2015.
All convs are stride 1 with "same" padding, every stage ends in a 2×2/2 max pool, so a 32×32 input is the
smallest that survives the five pools (as a 1×1 map).
"""

from __future__ import annotations

from collections.abc import Sequence

from cnnapp.errors import unknown
from cnnapp.models.common import dense_layers, initializer, resolve_keras, start, top
from cnnapp.models.layers import lrn_layer
from cnnapp.models.spec import Architecture

# Table 1, one tuple per stage; an int is a 3×3 conv with that many filters, ("1x1", f) a 1×1 conv (config C).
CONFIGS = {
    "A": ((64,), (128,), (256, 256), (512, 512), (512, 512)),
    "A-LRN": ((64,), (128,), (256, 256), (512, 512), (512, 512)),
    "B": ((64, 64), (128, 128), (256, 256), (512, 512), (512, 512)),
    "C": (
        (64, 64),
        (128, 128),
        (256, 256, ("1x1", 256)),
        (512, 512, ("1x1", 512)),
        (512, 512, ("1x1", 512)),
    ),
    "D": ((64, 64), (128, 128), (256, 256, 256), (512, 512, 512), (512, 512, 512)),
    "E": ((64, 64), (128, 128), (256,) * 4, (512,) * 4, (512,) * 4),
}

MIN_SIZE = 32  # 2^5: five 2×2/2 pools


def _paper_init(K):
    # Section 3.1: "normal distribution with the zero mean and 10^-2 variance", i.e. stddev 0.1, biases zero.
    # The paper trained A from this and initialised the first four convs and the FC layers of the deeper nets
    # from a trained A; after submission it found Glorot init works without pre-training (init="glorot").
    return lambda: K.initializers.RandomNormal(stddev=0.1)


def scaled(filters: int, width: float) -> int:
    """A filter count times the width multiplier, rounded, at least 1."""
    return max(1, round(filters * width))


def apply_vgg_block(
    x, convs: Sequence, *, width: float, batch_norm: bool, lrn: bool, init: str, K, name: str
):
    """One VGG stage: (conv 3×3 or 1×1, [BN], ReLU) per entry of `convs`, [LRN after conv1], pool 2×2/2."""
    for i, spec in enumerate(convs, start=1):
        kernel, filters = ((1, 1), spec[1]) if isinstance(spec, tuple) else ((3, 3), spec)
        conv_name = f"{name}_conv{i}"
        x = K.layers.Conv2D(
            scaled(filters, width),
            kernel,
            padding="same",
            activation=None if batch_norm else "relu",
            kernel_initializer=initializer(init, _paper_init(K)),
            name=conv_name,
        )(x)
        if batch_norm:
            x = K.layers.BatchNormalization(name=f"{conv_name}_bn")(x)
            x = K.layers.ReLU(name=f"{conv_name}_relu")(x)
        if lrn and i == 1:
            # "where applicable, the parameters of the LRN layer are those of (Krizhevsky et al., 2012)".
            x = lrn_layer(K)(name=f"{name}_lrn")(x)
    return K.layers.MaxPooling2D((2, 2), strides=(2, 2), name=f"{name}_pool")(x)


def vgg(
    config: str = "D",
    input_shape: Sequence[int] = (224, 224, 3),
    num_classes: int = 1000,
    include_top: bool = True,
    pooling: str | None = None,
    batch_norm: bool = False,
    width: float = 1.0,
    fc_units: int = 4096,
    dropout: float = 0.5,
    init: str = "paper",
    classifier_activation: str | None = "softmax",
    keras_module=None,
):
    """A VGG network of configuration `config` (Simonyan & Zisserman 2014, Table 1).

    Args:
        config: "A", "A-LRN", "B", "C", "D" or "E".
        input_shape: (H, W, C), at least 32×32; the paper's 224×224×3 by default.
        num_classes: the size of the softmax layer.
        batch_norm: batch normalization between each conv and its ReLU (the later "vgg_bn" variant, as in
            torchvision; the convs keep their biases).
        width: multiplies every conv's filter count (rounded, at least 1), for small machines.
        fc_units: units of fc1 and fc2 (the paper's 4096); smaller keeps small builds quick.
        dropout: dropout rate after fc1 and fc2 (the paper's 0.5).
        init: "paper" (N(0, 0.1²), zero biases), "lecun", "glorot" or "he".
        classifier_activation: "softmax", or None for logits.
        include_top: False gives the backbone: the layers up to `block5_pool`, named as in the full network
            (keras.applications' convention), so weights move between the two by name.
        pooling: for a backbone, None (the block5_pool maps), "avg" or "max" (a global pool of them).
        keras_module: keras (default) or tf_keras.
    """
    K = resolve_keras(keras_module)
    if config not in CONFIGS:
        raise unknown("VGG configuration", config, list(CONFIGS))
    name = f"VGG configuration {config}"
    inputs = start(K, input_shape, num_classes, name, MIN_SIZE, (include_top, pooling))
    x = inputs
    for stage, convs in enumerate(CONFIGS[config], start=1):
        x = apply_vgg_block(
            x, convs, width=width, batch_norm=batch_norm, lrn=config == "A-LRN" and stage == 1, init=init,
            K=K, name=f"block{stage}",
        )  # fmt: skip
    # Classifier: the paper's FC layers on the flattened 7×7×512 maps of a 224×224 input.
    kernel = lambda: initializer(init, _paper_init(K))  # noqa: E731
    fc = (("fc1", "fc1_dropout"), ("fc2", "fc2_dropout"))
    outputs = top(
        K, x, include_top=include_top, pooling=pooling, num_classes=num_classes,
        classifier_activation=classifier_activation, kernel_initializer=kernel(),
        hidden=lambda x: dense_layers(K, x, fc, units=fc_units, dropout=dropout, kernel_initializer=kernel),
    )  # fmt: skip
    suffix = "_bn" if batch_norm else ""
    return K.Model(inputs, outputs, name=f"vgg_{config.lower().replace('-', '_')}{suffix}")


_PAPER = "Simonyan & Zisserman 2014, Very Deep Convolutional Networks for Large-Scale Image Recognition"
_IMAGENET = dict(
    input_shape=(224, 224, 3), num_classes=1000, task="ImageNet ILSVRC-2012", training_examples=1_281_167
)
_SMALL = {"input_shape": (32, 32, 3), "num_classes": 10, "width": 0.125, "fc_units": 32}
# Config C is D with the last 3×3 conv of stages 3-5 made 1×1: D minus 8·256² + 8·2·512² weights.
_C_PARAMS = 138_357_544 - 8 * 256 * 256 - 2 * 8 * 512 * 512

ARCHITECTURES = (
    Architecture(
        "vgg11",
        vgg,
        {"config": "A"},
        paper=f"{_PAPER} (config A)",
        published_params=132_863_336,
        params_source="torchvision vgg11: 132,863,336 (paper Table 2: 133M)",
        small_options=_SMALL,
        **_IMAGENET,
    ),
    Architecture(
        "vgg11-lrn",
        vgg,
        {"config": "A-LRN"},
        paper=f"{_PAPER} (config A-LRN)",
        published_params=132_863_336,
        params_source="as vgg11, LRN has no parameters: 132,863,336 (paper Table 2: 133M)",
        small_options=_SMALL,
        **_IMAGENET,
    ),
    Architecture(
        "vgg13",
        vgg,
        {"config": "B"},
        paper=f"{_PAPER} (config B)",
        published_params=133_047_848,
        params_source="torchvision vgg13: 133,047,848 (paper Table 2: 133M)",
        small_options=_SMALL,
        **_IMAGENET,
    ),
    Architecture(
        "vgg16c",
        vgg,
        {"config": "C"},
        paper=f"{_PAPER} (config C)",
        published_params=_C_PARAMS,
        params_source="vgg16 138,357,544 − 8·256² − 2·8·512² (three 3×3 convs made 1×1) = 133,638,952 "
        "(paper Table 2: 134M)",
        small_options=_SMALL,
        **_IMAGENET,
    ),
    Architecture(
        "vgg16",
        vgg,
        {"config": "D"},
        paper=f"{_PAPER} (config D)",
        published_params=138_357_544,
        params_source="keras.applications VGG16: 138,357,544 (paper Table 2: 138M)",
        small_options=_SMALL,
        **_IMAGENET,
    ),
    Architecture(
        "vgg19",
        vgg,
        {"config": "E"},
        paper=f"{_PAPER} (config E)",
        published_params=143_667_240,
        params_source="keras.applications VGG19: 143,667,240 (paper Table 2: 144M)",
        small_options=_SMALL,
        **_IMAGENET,
    ),
)
