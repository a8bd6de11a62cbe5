"""The shared types of cnnapp.data: what a dataset is (`DatasetInfo`) and a loaded one (`Source`).

A leaf module (it imports no other part of cnnapp.data), so that every loader (sources.py, folder.py) can
build them without importing the others.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from types import MappingProxyType

import tensorflow as tf

from cnnapp.errors import CnnappError


@dataclasses.dataclass(frozen=True)
class DatasetInfo:
    """What a dataset is.

    Attributes:
        name: the name it was loaded by, e.g. "mnist", "digits", "folder:/data/flowers".
        num_classes: number of categories; labels are 0..num_classes-1.
        class_names: one name per label, in label order.
        split_sizes: examples per split (None where a source cannot tell before reading it).
        image_shape: native (H, W, C); H and W are None when images differ in size.
        identity: what the data is, for a run's fingerprint (`cnnapp.fingerprint`): a folder's file count,
            hash of names and sizes and hash of contents, the tfds full name and version, the sha256 of a
            shipped file ("" when unknown).
    """

    name: str
    num_classes: int
    class_names: tuple[str, ...]
    split_sizes: Mapping[str, int | None]
    image_shape: tuple[int | None, int | None, int]
    identity: str = ""

    def __post_init__(self):
        object.__setattr__(self, "class_names", tuple(self.class_names))
        object.__setattr__(self, "split_sizes", MappingProxyType(dict(self.split_sizes)))


@dataclasses.dataclass(frozen=True)
class Source:
    """A loaded dataset: its facts and its splits (`train`, `test`, and `validation` where it exists)."""

    info: DatasetInfo
    splits: Mapping[str, tf.data.Dataset]

    def __post_init__(self):
        object.__setattr__(self, "splits", MappingProxyType(dict(self.splits)))

    def split(self, name: str, fix: str = "") -> tf.data.Dataset:
        """One split by name; for a split this dataset lacks, an error listing its splits (and `fix`, how to
        choose another)."""
        if name not in self.splits:
            hint = f" ({fix})" if fix else ""
            raise CnnappError(
                f"dataset {self.info.name} has no split {name!r}; its splits: {', '.join(self.splits)}{hint}"
            )
        return self.splits[name]
