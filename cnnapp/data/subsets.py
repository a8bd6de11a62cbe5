"""Stratified, seeded subsets of a split: the validation holdout, `data.limit`, an evaluation limit.

A split's stored order can be sorted by class (every image folder is stored class by class; so is any dataset
written class by class), so its first N examples are not a sample of it. Every subset here takes the same
fraction of each class instead, chosen by a seed: the same seed gives the same subset in every process, so a
resumed run trains on exactly the examples the interrupted one did. A subset keeps the split's stored order.

Labels come from what the loader registered (`cnnapp.data.records`): a folder's paths, the digits' arrays, or
one pass over a tfds split with its images left encoded. Reading a split's labels costs nothing for folders
and the digits and a pass over the records for tfds (a few seconds for MNIST or CIFAR); tfds splits larger
than `LABEL_PASS_MAX` examples (ImageNet's training split) are counted only when a holdout needs their labels,
and a `data.limit` of such a split takes its first examples (tfds writes its splits shuffled).
"""

from __future__ import annotations

import dataclasses
import warnings

import numpy as np
import tensorflow as tf

from cnnapp.choices import TEST, TRAIN
from cnnapp.data.records import Records, records_of, register, take_indices
from cnnapp.errors import CnnappError, unknown

# Salts of the three subsets, so that the same recipe seed draws them independently.
HOLDOUT, LIMIT, EVALUATION = 1, 2, 3
LABEL_PASS_MAX = 200_000
IMBALANCE_WARNING = 10.0


def labels(ds: tf.data.Dataset) -> np.ndarray:
    """The split's labels in stored order (registered, or one pass over the examples)."""
    records = records_of(ds)
    if records is not None:
        return records.label_array()
    found = [batch for batch in ds.map(lambda _image, label: label).batch(65536).as_numpy_iterator()]
    return np.concatenate(found).astype(np.int64) if found else np.zeros([0], np.int64)


def subset(ds: tf.data.Dataset, index: np.ndarray) -> tf.data.Dataset:
    """The examples of `ds` at the sorted indices `index`, in stored order."""
    index = np.sort(np.asarray(index, np.int64))
    records = records_of(ds)
    if records is not None:
        return records.select(index)
    return take_indices(ds, index).apply(tf.data.experimental.assert_cardinality(len(index)))


def stratified_sample(split_labels: np.ndarray, count: int, seed: int, salt: int = LIMIT) -> np.ndarray:
    """`count` indices with each class's share of the split (largest remainders), chosen by `seed`; sorted."""
    split_labels = np.asarray(split_labels, np.int64)
    classes, sizes = np.unique(split_labels, return_counts=True)
    quotas = count * sizes / len(split_labels)
    take = np.floor(quotas).astype(np.int64)
    # Largest remainders first; ties go to the lower class, so the result is a function of the counts alone.
    order = np.lexsort((classes, -(quotas - take)))
    take[order[: count - int(take.sum())]] += 1
    return _choose(split_labels, dict(zip(classes.tolist(), take.tolist(), strict=True)), seed, salt)


def _choose(split_labels: np.ndarray, take: dict[int, int], seed: int, salt: int) -> np.ndarray:
    """take[c] examples of each class c, the first ones of a seeded permutation of the split; sorted."""
    permutation = np.random.default_rng([seed, salt]).permutation(len(split_labels))
    chosen = []
    for label, count in take.items():
        members = permutation[split_labels[permutation] == label]
        chosen.append(members[:count])
    return np.sort(np.concatenate(chosen)) if chosen else np.zeros([0], np.int64)


def limited(ds: tf.data.Dataset, size: int | None, limit: int, seed: int, salt: int = LIMIT):
    """A stratified `limit` examples of a split of `size` examples (all of it when not larger).

    Returns:
        (examples, their number).
    """
    if size is not None and size <= limit:
        return ds, size
    if not countable(ds, size):
        return ds.take(limit), limit if size is None else min(size, limit)
    index = stratified_sample(labels(ds), limit, seed, salt)
    return subset(ds, index), len(index)


def held_out(ds: tf.data.Dataset, fraction: float, seed: int, class_names, strict: bool = True) -> tuple:
    """Hold out `fraction` of every class of a training split as the validation split, chosen by `seed`.

    Each class gives round(fraction × its size) examples, at least one, and keeps at least one. Not `strict`
    (a `data.limit` quick check of a few examples), a class too small gives what rounding says (maybe none),
    and the validation split gets at least one example.

    Returns:
        (train, validation, n_train, n_validation).

    Raises:
        CnnappError: a class has too few examples to give the holdout one and keep one.
    """
    split_labels = labels(ds)
    classes, sizes = np.unique(split_labels, return_counts=True)
    take = {}
    for label, size in zip(classes.tolist(), sizes.tolist(), strict=True):
        count = int(np.floor(fraction * size + 0.5))
        if not strict:
            count = min(count, size - 1)
        elif count < 1 or count >= size:
            need = max(2, int(np.ceil(0.5 / fraction)))
            raise CnnappError(
                f"class {_name(class_names, label)!r} has {size} training example(s); train.holdout "
                f"{fraction} needs at least {need} per class to hold one out and train on the rest: add "
                "images to it, or raise train.holdout, or set train.validation to a split instead"
            )
        take[label] = count
    if not strict and sum(take.values()) == 0:
        take[int(classes[np.argmax(sizes)])] = 1
    validation = _choose(split_labels, take, seed, HOLDOUT)
    train = np.setdiff1d(np.arange(len(split_labels)), validation, assume_unique=True)
    return subset(ds, train), subset(ds, validation), len(train), len(validation)


def countable(ds: tf.data.Dataset, size: int | None) -> bool:
    """Are the split's labels known, or cheap to read (at most `LABEL_PASS_MAX` examples)?"""
    records = records_of(ds)
    if records is not None and (records.cheap or records.labels_read):
        return True
    return size is not None and size <= LABEL_PASS_MAX


def class_counts(ds: tf.data.Dataset, size: int | None, num_classes: int) -> list[int] | None:
    """Examples per class of a split (a list by label), or None when reading its labels would cost a pass
    over a large split."""
    if not countable(ds, size):
        return None
    return np.bincount(labels(ds), minlength=num_classes).tolist()


def split_class_counts(splits: dict, sizes: dict, info, strict: bool = True) -> dict:
    """{split: per-class counts or None} of a run's splits, checked (`check_counts`).

    Args:
        splits: {split name: examples}.
        sizes: {split name: number of examples}.
        info: the dataset's `DatasetInfo`.
        strict: refuse a training split that lacks a test class (else warn: a `data.limit` quick check).
    """
    counts = {name: class_counts(ds, sizes.get(name), info.num_classes) for name, ds in splits.items()}
    check_counts(counts, info.class_names, info.name, strict)
    return counts


def check_counts(counts: dict, class_names, dataset: str, strict: bool = True) -> None:
    """Refuse a training split that lacks a class the test split has; warn when classes differ >10× in size.

    Args:
        counts: {split: per-class counts or None} (None: not counted, not checked).
        class_names: the names, by label.
        dataset: the dataset's name, for the messages.
    """
    train, test = counts.get(TRAIN), counts.get(TEST)
    if train is not None and test is not None:
        missing = [
            _name(class_names, c) for c, (a, b) in enumerate(zip(train, test, strict=False)) if a == 0 < b
        ]
        if missing:
            message = (
                f"the training split of {dataset} has no examples of class(es) "
                f"{', '.join(map(repr, missing))} that the test split has; add training images of them "
                "(or raise data.limit)"
            )
            if strict:
                raise CnnappError(message)
            warnings.warn(message, stacklevel=2)
    if train is not None:
        present = [n for n in train if n > 0]
        if present and max(present) > IMBALANCE_WARNING * min(present):
            big, small = int(np.argmax(train)), min((n, c) for c, n in enumerate(train) if n > 0)[1]
            warnings.warn(
                f"classes of {dataset} are imbalanced more than {IMBALANCE_WARNING:g}×: "
                f"{_name(class_names, big)!r} has {train[big]} training examples, "
                f"{_name(class_names, small)!r} {train[small]}; accuracy will favour the large classes",
                stacklevel=2,
            )


def _name(class_names, label: int) -> str:
    return class_names[label] if label < len(class_names) else str(label)


# Few-example experiments (`data.classes`, `data.per_class`): a subset of the classes, N examples of each.
PER_CLASS = 4  # the salt of the per-class draw


def class_ids(class_names, wanted) -> list[int]:
    """The labels of the classes named `wanted`, in that order; an unknown name lists the valid ones."""
    names = [str(n) for n in class_names]
    for name in wanted:
        if name not in names:
            raise unknown("class name", name, names)
    if len(set(wanted)) < 2:
        raise CnnappError(
            f"data.classes {list(wanted)} names {len(set(wanted))} distinct class; a classifier needs at "
            "least two (one class is right every time: its accuracy would be 100% whatever the model)"
        )
    return [names.index(name) for name in wanted]


def only_classes(ds: tf.data.Dataset, ids) -> tuple[tf.data.Dataset, int]:
    """The examples of `ds` whose label is one of `ids` (labels unchanged), in stored order; their number."""
    index = np.flatnonzero(np.isin(labels(ds), np.asarray(ids, np.int64)))
    return subset(ds, index), len(index)


def per_class(ds: tf.data.Dataset, count: int, seed: int, class_names) -> tuple[tf.data.Dataset, int]:
    """`count` examples of every class present in `ds`, chosen by `seed` (the same in every process).

    Raises:
        CnnappError: a class has fewer than `count` examples.
    """
    split_labels = labels(ds)
    classes, sizes = np.unique(split_labels, return_counts=True)
    for label, size in zip(classes.tolist(), sizes.tolist(), strict=True):
        if size < count:
            raise CnnappError(
                f"class {_name(class_names, label)!r} has {size} training examples, fewer than "
                f"data.per_class = {count}: lower data.per_class"
            )
    index = _choose(split_labels, dict.fromkeys(classes.tolist(), count), seed, PER_CLASS)
    return subset(ds, index), len(index)


def relabel(ds: tf.data.Dataset, ids) -> tf.data.Dataset:
    """Labels `ids[k]` → k (after `only_classes`): a class subset trains a classifier of len(ids) outputs.

    What the loader registered (labels, cheap subsets, a folder's files) is registered again, relabelled.
    """
    table = np.full(int(max(ids)) + 1, -1, np.int32)
    table[np.asarray(ids)] = np.arange(len(ids), dtype=np.int32)
    lookup = tf.constant(table)
    out = ds.map(lambda image, label: (image, tf.gather(lookup, tf.cast(label, tf.int32))))
    records = records_of(ds)
    if records is None:
        return out
    files = records.files
    if files is not None:
        files = dataclasses.replace(files, labels=table[np.asarray(files.labels, np.int64)])
    return register(
        out,
        Records(
            labels=lambda: table[records.label_array()].astype(np.int64),
            select=lambda index: relabel(records.select(index), ids),
            files=files,
            cheap=records.cheap,
        ),
    )
