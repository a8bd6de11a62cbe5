"""Finding layers by what they are: conv layers, each stage's last conv, the last conv for Grad-CAM, and the
intermediate outputs of a model.

A "stage" is a run of layers at one spatial resolution: a new stage starts where the maps shrink. AlexNet's
two towers (`conv5_gpu1`, `conv5_gpu2`) count as one layer split in halves: asking for the one asks for both.
"""

from __future__ import annotations

import re

import numpy as np

from cnnapp.errors import CnnappError, unknown
from cnnapp.models.registry import inference_model

CONV_TYPES = {"BaseConv", "Conv", "PartialConv2D"}  # Keras 3, tf_keras, cnnapp's LeNet layer
TOWER = re.compile(r"^(?P<base>.+)_gpu(?P<tower>\d+)$")


def is_conv(layer) -> bool:
    return bool(CONV_TYPES & {cls.__name__ for cls in type(layer).__mro__})


def spatial_shape(layer) -> tuple[int, int, int] | None:
    """(H, W, C) of a layer's output when it is a map, else None."""
    try:
        shape = layer.output.shape
    except (AttributeError, ValueError):  # an unbuilt or multiply-called layer
        return None
    if len(shape) != 4:
        return None
    return tuple(int(d) for d in shape[1:])


def conv_layers(model) -> list:
    return [layer for layer in model.layers if is_conv(layer)]


def get_layer(model, name: str, kind: str = "layer", valid=None):
    """`model`'s layer `name`, or an error listing the valid names (`valid`: the names to offer)."""
    names = [layer.name for layer in model.layers]
    if name not in names:
        raise unknown(kind, name, valid if valid is not None else names)
    return model.get_layer(name)


def towers(model, layer) -> list:
    """`layer` and its siblings in the other towers (AlexNet's `_gpu1`/`_gpu2`), or `layer` alone."""
    match = TOWER.match(layer.name)
    if not match:
        return [layer]
    pattern = re.compile(rf"^{re.escape(match['base'])}_gpu\d+$")
    return [other for other in model.layers if pattern.match(other.name)]


def stage_outputs(model) -> list[str]:
    """Each stage's last conv (both towers for AlexNet), moved forward to the stage's output (`stage_output`):
    the activation maps shown by default. Only the inference path counts (GoogLeNet's auxiliary heads,
    built after its last stage, would otherwise end the list)."""
    model = inference_model(model)
    last: dict[tuple[int, int], object] = {}
    for layer in conv_layers(model):
        shape = spatial_shape(layer)
        if shape is not None and shape[0] * shape[1] > 1:  # 1×1 maps (LeNet-5's C5) are no picture
            last[shape[:2]] = layer
    names: list[str] = []
    for layer in last.values():
        names += [n for n in stage_output(model, layer) if n not in names]
    return names


def stage_output(model, conv) -> list[str]:
    """The layer(s) that end `conv`'s stage: `conv` moved forward through the layers after it that keep its
    resolution and are not pooling (batch norm, ReLU, a residual addition, an inception concatenation); an
    AlexNet tower layer stays itself, with its sibling."""
    group = towers(model, conv)
    if len(group) > 1:
        return [layer.name for layer in group]
    shape = spatial_shape(conv)[:2]
    chosen = conv
    for layer in model.layers[model.layers.index(conv) + 1 :]:
        out = spatial_shape(layer)
        if out is None or out[:2] != shape:
            break
        if "Pooling" in type(layer).__name__ or "Dropout" in type(layer).__name__:
            continue
        chosen = layer
    return [chosen.name]


def spatial_layer_names(model) -> list[str]:
    return [layer.name for layer in model.layers[1:] if spatial_shape(layer) is not None]


def last_conv_stage(model) -> list[str]:
    """Grad-CAM's default: the output of the last conv stage whose maps are larger than 1×1.

    `block5_conv3` for VGG, `conv5_block3_out` for ResNet-50, `inception_5b_output` for GoogLeNet, both
    towers' `conv5` for AlexNet, `C3_act` for LeNet-5 (whose C5 maps are 1×1); on the inference path.
    """
    model = inference_model(model)
    convs = [layer for layer in conv_layers(model) if np.prod((spatial_shape(layer) or (1, 1))[:2]) > 1]
    if not convs:
        raise CnnappError(
            f"model {model.name!r} has no conv layer with spatial maps, so Grad-CAM has nothing to weigh; "
            f"it needs a conv net (linear and mlp have none)"
        )
    return stage_output(model, convs[-1])


def outputs_model(model, names: list[str]):
    """A Keras model from `model`'s input to the outputs of the layers `names` (in that order)."""
    import keras

    return keras.Model(model.inputs[0], [model.get_layer(n).output for n in names])
