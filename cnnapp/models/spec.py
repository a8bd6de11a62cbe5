"""The record every family module fills in for each of its architectures: a leaf module (imports nothing of
cnnapp.models), so the families and the registry both import it and neither imports the other's importer.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any


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
