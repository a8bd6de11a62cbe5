"""FCN semantic segmenters on the zoo's backbones: Long, Shelhamer & Darrell 2015, "Fully Convolutional
Networks for Semantic Segmentation", CVPR 2015.

    VGG-16 (the paper's):  pool5 → fc6 (7×7 conv, 4096) → fc7 (1×1 conv, 4096) → score_fr (1×1, classes)
      fcn32s:  score_fr → upscore (×32)
      fcn16s:  score_fr → upscore2 (×2) + score_pool4 → upscore16 (×16)
      fcn8s:   ... fuse_pool4 → upscore_pool4 (×2) + score_pool3 → upscore8 (×8)
    ResNet / GoogLeNet: the same skips on their stride-8/16/32 stages (conv3/conv4/conv5 of ResNet,
      inception 3b/4e/5b of GoogLeNet), scored directly (they have no fully connected layers to convert).

Score layers start at zero and transposed convolutions at bilinear interpolation, as in the paper (section
4.1: "zero-initialize the class scoring layer"; 3.3: "initialize the 2x upsampling to bilinear
interpolation"); every layer stays learnable. Where the paper's Caffe net pads its input by 100 and crops
with offsets, ours pads (bottom and right, zeros after normalization) to the next multiple of 32 and crops
the output back to the input size, so every stage divides evenly and the output is aligned with the input.
The Caffe "at-once" variant's fixed scaling of pool3/pool4 (×0.0001/×0.01) is not used: it is the staged
training of the paper we follow.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from cnnapp.choices import SEGMENTATION_HEADS
from cnnapp.errors import CnnappError, unknown
from cnnapp.models import registry
from cnnapp.models.common import check_input_shape, resolve_keras
from cnnapp.models.layers import bilinear_upsampling
from cnnapp.models.rewire import input_name, insert_after_input

# The strides each head scores (the names' one home is cnnapp.choices, which recipes read).
HEADS = dict(zip(SEGMENTATION_HEADS, ((32,), (32, 16), (32, 16, 8)), strict=True))
STRIDE = 32  # inputs are padded to a multiple of this

# The classifier families whose stages FCN can use, and the layer that ends each stage (the CIFAR ResNets'
# stages are at strides 1, 2 and 4: too shallow for any head, listed to say so). ResNet's stages end
# in their last block's `_out`, found by prefix (the block count depends on the depth).
_STAGES = {
    "vgg": {8: "block3_pool", 16: "block4_pool", 32: "block5_pool"},
    "resnet": {8: "conv3_", 16: "conv4_", 32: "conv5_"},
    "cifar_resnet": {8: "conv3_", 16: "conv4_", 32: "conv5_"},
    "googlenet": {8: "inception_3b_output", 16: "inception_4e_output", 32: "inception_5b_output"},
}
# Builder options that keep the headed classifier's unused top small (only its convolutional part is used):
# `include_top=False` (the transfer-learning issue) can replace this and the name look-up below.
_SMALL_TOP = {"vgg": {"fc_units": 1, "dropout": 0.0}, "googlenet": {"aux_classifiers": False}}

# Long et al. 2015, Table 1: FCN-VGG16 has 134M parameters. Counted from the layers for 21 classes (PASCAL
# VOC): VGG-16's 13 convs 14,714,688 + fc6 102,764,544 + fc7 16,781,312 + score_fr 86,037 + score_pool4
# 10,773 + score_pool3 5,397 + bias-free upsampling 2·(4·4·21·21) + 16·16·21·21 = 134,489,759.
PAPER_FCN8S_PARAMS = 134_489_759
PAPER_PARAMS_SOURCE = "Long et al. 2015, Table 1: FCN-VGG16, 134M parameters (FCN-8s, 21 classes)"


def backbones() -> list[str]:
    """The registered architectures a segmenter can be built on."""
    return [name for name in registry.names() if _family(name) in _STAGES and _family(name) != "cifar_resnet"]


def _family(backbone: str) -> str:
    return registry.get(backbone).builder.__name__


def padded_size(size: int) -> int:
    """`size` rounded up to a multiple of 32 (what the backbone sees)."""
    return STRIDE * math.ceil(size / STRIDE)


def check_head(head: str) -> None:
    if head not in HEADS:
        raise unknown("segmentation head", head, list(HEADS))


def build_segmenter(
    backbone: str = "vgg16",
    head: str = "fcn8s",
    num_classes: int = 21,
    *,
    input_shape: Sequence[int] = (224, 224, 3),
    width: float = 1.0,
    fc_units: int = 4096,
    dropout: float = 0.5,
    score_init: str = "zeros",
    backbone_weights: str = "",
    keras_module=None,
    **backbone_options,
):
    """An FCN segmenter: per-pixel class probabilities (H, W, num_classes) for an (H, W, C) image.

    Args:
        backbone: a registered VGG, ResNet (ImageNet) or GoogLeNet (ImageNet stem) name.
        head: "fcn32s", "fcn16s" or "fcn8s" (the paper's skip architectures).
        num_classes: classes per pixel, background included (PASCAL VOC: 21); at least 2.
        input_shape: (H, W, C); any size: it is padded to a multiple of 32 and the output cropped back.
        width: the backbone's width multiplier (VGG's fc6/fc7 take `fc_units` instead).
        fc_units: channels of fc6 and fc7 (VGG backbones; the paper's 4096).
        dropout: dropout after fc6 and fc7 (VGG backbones; the paper's 0.5).
        score_init: the initializer of the score layers: the paper's "zeros" (right for fine-tuning a trained
            backbone; from scratch it starves the backbone of gradient at first), or a Keras initializer name
            ("he_normal").
        backbone_weights: a saved classifier of the backbone (`.keras`, e.g. ImageNet-trained) to start from,
            as the paper does: its layers' weights by name, and VGG's fc1/fc2 reshaped into fc6/fc7 ("we
            convolutionalize ... by casting fully connected layers as convolutions", section 3.1).
        keras_module: keras (default) or tf_keras.
        **backbone_options: other options of the backbone's builder (`init`, `batch_norm`, ...).

    Raises:
        CnnappError: an unknown head or backbone, a backbone without the stages the head needs (too shallow,
            e.g. a CIFAR ResNet for fcn8s), num_classes < 2.
    """
    K = resolve_keras(keras_module)
    check_head(head)
    if not isinstance(num_classes, int) or isinstance(num_classes, bool) or num_classes < 2:
        raise CnnappError(
            f"a segmenter needs num_classes ≥ 2 (background and at least one class); got {num_classes!r}"
        )
    family = _family(backbone)
    if family not in _STAGES:
        raise unknown("segmentation backbone", backbone, backbones())
    shape = check_input_shape(input_shape, f"{head} on {backbone}", min_size=1)
    padded = (padded_size(shape[0]), padded_size(shape[1]), shape[2])
    options = {**backbone_options, **_SMALL_TOP.get(family, {})}
    if width != 1.0:
        options["width"] = width
    trunk = registry.build(backbone, input_shape=padded, num_classes=2, keras_module=K, **options)
    if padded != shape:
        trunk = _with_padding(trunk, shape, padded, K)
    stages = _stages(trunk, family, backbone, head, padded)
    x = stages[32]
    if family == "vgg":  # the paper's convolutionalized classifier: fc6 as 7×7, fc7 as 1×1 convolutions
        for name, kernel in (("fc6", 7), ("fc7", 1)):
            x = K.layers.Conv2D(fc_units, kernel, padding="same", activation="relu", name=name)(x)
            x = K.layers.Dropout(dropout, name=f"drop{name[-1]}")(x)
    x = _score(K, num_classes, "score_fr", score_init)(x)
    if head == "fcn32s":
        x = _upsample(K, num_classes, 32, "upscore")(x)
    else:
        x = _skip(K, x, stages[16], num_classes, score_init, "upscore2", "pool4")
        if head == "fcn16s":
            x = _upsample(K, num_classes, 16, "upscore16")(x)
        else:
            x = _skip(K, x, stages[8], num_classes, score_init, "upscore_pool4", "pool3")
            x = _upsample(K, num_classes, 8, "upscore8")(x)
    if padded != shape:
        crop = ((0, padded[0] - shape[0]), (0, padded[1] - shape[1]))
        x = K.layers.Cropping2D(crop, name="crop_to_input")(x)
    outputs = K.layers.Activation("softmax", dtype="float32", name="predictions")(x)
    model = K.Model(trunk.inputs, outputs, name=f"{head}_{backbone.replace('-', '_')}")
    if backbone_weights:
        load_backbone_weights(model, backbone_weights)
    return model


def load_backbone_weights(model, path: str) -> list[str]:
    """Copy a saved classifier's weights into `model`'s layers of the same name (and VGG's fc1/fc2 into
    fc6/fc7, reshaped to 7×7 and 1×1 kernels); returns the layers filled.

    Raises:
        CnnappError: no such file, or no layer of the file fits the segmenter (another backbone or width).
    """
    import keras

    if not str(path).endswith(".keras") or not Path(path).is_file():
        raise CnnappError(f"no backbone weights at {path}: give a classifier saved as a .keras file")
    classifier = keras.saving.load_model(path)  # cnnapp's custom layers are registered by cnnapp.models
    targets = {layer.name: layer for layer in model.layers if layer.weights}
    filled = []
    for layer in classifier.layers:
        name = {"fc1": "fc6", "fc2": "fc7"}.get(layer.name, layer.name)
        target = targets.get(name)
        if target is None or not layer.weights:
            continue
        weights = [np.asarray(w) for w in layer.get_weights()]
        shapes = [tuple(w.shape) for w in target.get_weights()]
        weights = [
            w.reshape(s) if w.size == math.prod(s) else w for w, s in zip(weights, shapes, strict=False)
        ]
        if [w.shape for w in weights] == shapes:
            target.set_weights(weights)
            filled.append(name)
    if not filled:
        raise CnnappError(
            f"no layer of {path} fits this segmenter: save the same backbone at the same width "
            f"({model.name}) as a .keras file"
        )
    return filled


def _score(K, num_classes: int, name: str, init: str = "zeros"):
    """A 1×1 class-scoring convolution, zero-initialized as in Long et al. 2015, section 4.1, by default."""
    return K.layers.Conv2D(num_classes, 1, kernel_initializer=init, name=name)


def _skip(K, x, stage, num_classes: int, score_init: str, upscore: str, pool: str):
    """The paper's skip: the coarser scores upsampled ×2 plus a finer stage's own 1×1 scores."""
    scores = _score(K, num_classes, f"score_{pool}", score_init)(stage)
    return K.layers.Add(name=f"fuse_{pool}")([_upsample(K, num_classes, 2, upscore)(x), scores])


def _upsample(K, num_classes: int, factor: int, name: str):
    """×`factor` upsampling: a transposed convolution of kernel 2·factor, bilinear at the start, no bias (the
    reference nets' `bias_term: false`); "same" padding crops factor/2 on each side, as their offsets do."""
    return K.layers.Conv2DTranspose(
        num_classes,
        2 * factor,
        strides=factor,
        padding="same",
        use_bias=False,
        kernel_initializer=bilinear_upsampling(K)(),
        name=name,
    )


def _with_padding(trunk, shape, padded, K):
    """`trunk` (built for `padded`) taking `shape`, zero-padded bottom and right first: the same graph,
    rewired through its config so that it stays flat."""
    config = copy.deepcopy(trunk.get_config())
    image = input_name(config)
    entry = next(layer for layer in config["layers"] if layer["name"] == image)
    key = "batch_shape" if "batch_shape" in entry["config"] else "batch_input_shape"
    entry["config"][key] = [None, *shape]
    pad = ((0, padded[0] - shape[0]), (0, padded[1] - shape[1]))
    serialized = dict(K.layers.serialize(K.layers.ZeroPadding2D(pad, name="pad_to_32")))
    serialized["name"] = "pad_to_32"
    insert_after_input(config, serialized)
    return K.Model.from_config(config)


def _stages(trunk, family: str, backbone: str, head: str, padded) -> dict:
    """The output tensor of each stage the head scores, by stride, checked against the input size."""
    found = {}
    for stride, name in _STAGES[family].items():
        if name.endswith("_"):  # a ResNet stage: its last block's output
            names = [layer.name for layer in trunk.layers if layer.name.startswith(name)]
            name = next((n for n in reversed(names) if n.endswith("_out")), None)
        if name is None or name not in {layer.name for layer in trunk.layers}:
            continue
        output = trunk.get_layer(name).output
        if int(output.shape[1]) * stride == padded[0]:
            found[stride] = output
    missing = [s for s in HEADS[head] if s not in found]
    if missing:
        have = ", ".join(str(s) for s in sorted(found)) or "none"
        raise CnnappError(
            f"{backbone} is too shallow for {head}: it has no stride-{missing[0]} stage (stride 8/16/32 "
            f"stages found: {have}); use a VGG, an ImageNet ResNet or GoogLeNet without cifar_stem"
        )
    return found
