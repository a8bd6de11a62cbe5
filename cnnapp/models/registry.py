"""The model zoo's registry: every architecture by name, with the facts of its paper.

A plain dict built from the family modules' `ARCHITECTURES` tuples; `build(name, **options)` is the way in.
The record type lives in the leaf module `spec`: families import it (never this module), this module imports
the families, so there is no import cycle.
"""

from __future__ import annotations

import inspect
from typing import Any

from cnnapp.errors import CnnappError, unknown
from cnnapp.models import alexnet, baselines, googlenet, lenet, pattern, resnet, vgg
from cnnapp.models.spec import Architecture

__all__ = ["Architecture", "build", "get", "inference_model", "names", "options"]


def _collect() -> dict[str, Architecture]:
    table: dict[str, Architecture] = {}
    for family in (baselines, lenet, alexnet, vgg, googlenet, resnet, pattern):
        for arch in family.ARCHITECTURES:
            if arch.name in table:
                raise RuntimeError(f"architecture {arch.name!r} registered twice")
            table[arch.name] = arch
    return table


_TABLE = _collect()


def _table() -> dict[str, Architecture]:
    return _TABLE


def names() -> list[str]:
    """All registered architecture names, in zoo order (baselines, LeNet, AlexNet, VGG, GoogLeNet, ResNet,
    the lectures' pattern)."""
    return list(_table())


def get(name: str) -> Architecture:
    """The registered architecture `name`; an unknown name is an error that lists the valid ones."""
    try:
        return _table()[name]
    except KeyError:
        raise unknown("architecture", name, names()) from None


def options(name: str) -> list[str]:
    """The builder options `name` accepts (its presets are fixed by the name and not listed)."""
    arch = get(name)
    params = inspect.signature(arch.builder).parameters
    return [p for p in params if p not in arch.presets]


def build(name: str, **kwargs: Any):
    """Build architecture `name` as a functional Keras model.

    Args:
        name: a registered name (see `names()`).
        **kwargs: builder options: `input_shape`, `num_classes`, `keras_module` (keras or tf_keras), and the
            family's own (`init`, `batch_norm`, `width`, ...). The paper's values are the defaults.
    """
    arch = get(name)
    valid = options(name)
    bad = sorted(set(kwargs) - set(valid))
    if bad:
        listed = ", ".join(map(repr, bad))
        raise CnnappError(f"{name} has no option {listed}; its options: {', '.join(valid)}")
    return arch.builder(**{**arch.presets, **kwargs})


def inference_model(model):
    """The model from its input to its first output: strips training-only heads (GoogLeNet's auxiliaries).

    Shares layers and weights with `model`; a single-output model is returned as it is. Works for models of
    keras and of tf_keras.
    """
    if len(model.outputs) == 1:
        return model
    if type(model).__module__.startswith("tf_keras"):
        import tf_keras as K
    else:
        import keras as K
    return K.Model(model.inputs, model.outputs[0], name=model.name)
