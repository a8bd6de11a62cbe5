"""The model zoo's registry: every architecture by name, with the facts of its paper.

A plain dict built from the family modules' `ARCHITECTURES` tuples; `build(name, **options)` is the way in.
"""

from __future__ import annotations

import dataclasses
import inspect
from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any

from cnnapp.errors import CnnappError, unknown


@dataclasses.dataclass(frozen=True)
class Architecture:
    """One registered architecture: a family builder, the options that select it, and its paper's facts.

    Attributes:
        name: registry name, e.g. "vgg16".
        builder: the family's builder function (takes input_shape, num_classes, keras_module, ...).
        presets: keyword arguments that make this name from the family builder, e.g. {"config": "D"}.
        paper: short citation, e.g. "Simonyan & Zisserman 2014, Very Deep Convolutional Networks ...".
        input_shape: the paper's input (H, W, C), the builder's default.
        num_classes: the paper's number of categories.
        task: what the paper classified, e.g. "ImageNet ILSVRC-2012".
        training_examples: size of the paper's training set (the audit's training-run operations).
        published_params: the paper's (or the reference implementation's) parameter count, when one exists.
        params_source: where that number comes from.
        small_options: options that make a small, quick build of this architecture for the fast tests
            (a 32×32 input where the architecture allows, else its minimum; few classes; narrow where it has
            a width option).
    """

    name: str
    builder: Callable[..., Any]
    presets: Mapping[str, Any]
    paper: str
    input_shape: tuple[int, int, int]
    num_classes: int
    task: str
    training_examples: int
    published_params: int | None = None
    params_source: str = ""
    small_options: Mapping[str, Any] = dataclasses.field(default_factory=dict)

    def __post_init__(self):
        object.__setattr__(self, "presets", MappingProxyType(dict(self.presets)))
        object.__setattr__(self, "small_options", MappingProxyType(dict(self.small_options)))


def _collect() -> dict[str, Architecture]:
    # Imported here, not at the top, so that `registry` can be imported by the family modules' helpers.
    from cnnapp.models import alexnet, baselines, googlenet, lenet, resnet, vgg

    table: dict[str, Architecture] = {}
    for family in (baselines, lenet, alexnet, vgg, googlenet, resnet):
        for arch in family.ARCHITECTURES:
            if arch.name in table:
                raise RuntimeError(f"architecture {arch.name!r} registered twice")
            table[arch.name] = arch
    return table


_TABLE: dict[str, Architecture] | None = None


def _table() -> dict[str, Architecture]:
    global _TABLE
    if _TABLE is None:
        _TABLE = _collect()
    return _TABLE


def names() -> list[str]:
    """All registered architecture names, in zoo order (baselines, LeNet, AlexNet, VGG, GoogLeNet, ResNet)."""
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
