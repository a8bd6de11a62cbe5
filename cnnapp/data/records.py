"""What a loader knows about a split beyond its examples: its labels without decoding, and a cheap subset.

A `Source` split is a plain `tf.data.Dataset` of decoded examples. Its loader registers beside it (keyed by
the dataset object, weakly) how to get the split's labels in stored order without decoding images (a folder
knows them from its paths, the digits hold them in memory, tfds reads them with the image left encoded), and
how to build the sub-split of given indices without decoding the examples it leaves out. A folder split also
registers its files, so that the training pipeline can shuffle paths and decode in its own parallel map.

Datasets nobody registered (built by hand) still work: their labels cost one pass over the examples and their
subsets filter the decoded stream (`cnnapp.data.subsets`).
"""

from __future__ import annotations

import dataclasses
import weakref
from collections.abc import Callable

import numpy as np
import tensorflow as tf

_RECORDS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


@dataclasses.dataclass(frozen=True)
class Files:
    """A split stored as image files: the pipeline reads, decodes and converts them itself.

    Attributes:
        paths: one path per example, in the split's stored order.
        labels: int32 labels, aligned with `paths`.
        channels: the channels the split's examples are decoded to (1 grey, 3 RGB).
    """

    paths: np.ndarray
    labels: np.ndarray
    channels: int


@dataclasses.dataclass(frozen=True)
class Records:
    """How to read a split's labels and take a subset of it cheaply.

    Attributes:
        labels: returns the labels in stored order (int64 array); called at most once per split.
        select: builds the examples at the given sorted indices, in stored order (and registers them).
        files: the split's image files, when it is a folder split.
        cheap: the labels are in memory already (a folder, arrays), not a pass over the split.
    """

    labels: Callable[[], np.ndarray]
    select: Callable[[np.ndarray], tf.data.Dataset]
    files: Files | None = None
    cheap: bool = False
    _cache: dict = dataclasses.field(default_factory=dict, compare=False, repr=False)

    def label_array(self) -> np.ndarray:
        """The labels, read once and kept."""
        if "labels" not in self._cache:
            self._cache["labels"] = np.asarray(self.labels(), np.int64)
        return self._cache["labels"]

    @property
    def labels_read(self) -> bool:
        """Have the labels been read already?"""
        return "labels" in self._cache


def register(ds: tf.data.Dataset, records: Records) -> tf.data.Dataset:
    """Remember `records` for `ds`; returns `ds`."""
    _RECORDS[ds] = records
    return ds


def records_of(ds: tf.data.Dataset) -> Records | None:
    """What the loader registered for `ds`, or None for a dataset built by hand."""
    try:
        return _RECORDS.get(ds)
    except TypeError:  # not weak-referenceable: nothing can have been registered
        return None


def in_memory(images: np.ndarray, labels: np.ndarray) -> tf.data.Dataset:
    """A split held in memory as arrays (images float32 N×H×W×C, labels int32), registered for subsets."""
    labels = np.asarray(labels, np.int32)
    ds = tf.data.Dataset.from_tensor_slices((images, labels))
    return register(
        ds,
        Records(
            labels=lambda: labels, select=lambda index: in_memory(images[index], labels[index]), cheap=True
        ),
    )


def take_indices(ds: tf.data.Dataset, index: np.ndarray) -> tf.data.Dataset:
    """The elements of `ds` at the sorted indices `index`, reading it only up to the last of them."""
    keep = np.zeros(int(index[-1]) + 1 if len(index) else 0, bool)
    keep[index] = True
    table = tf.constant(keep)  # made when the pipeline is built, not at import (see cnnapp/__init__.py)
    return (
        ds.take(len(keep))
        .enumerate()
        .filter(lambda position, _example: tf.gather(table, position))
        .map(lambda _position, example: example)
    )
