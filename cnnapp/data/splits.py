"""A run's splits from its recipe: the dataset limited (`data.limit`), its classes (`data.classes`) and
examples per class (`data.per_class`) chosen, and split into train / validation / test — the one loader of a
classifier run's data (training, the report, explain and export all read it through the run's task, so all
see the same labels).

    run_data = load_run_data(recipe)   # RunData(info, train, validation, test, sizes, validation_name, ...)
"""

from __future__ import annotations

import dataclasses

import tensorflow as tf

from cnnapp.choices import TEST, TRAIN, VALIDATION
from cnnapp.data import sources, subsets
from cnnapp.errors import CnnappError


@dataclasses.dataclass(frozen=True)
class RunData:
    """The splits of a run, unbatched `(image, label)` (or `(image, mask)`) at native size, and what the model
    needs to know.

    Attributes:
        info: the dataset's `DatasetInfo`.
        train: the training examples (without the held-out part).
        validation: the examples that drive the plateau schedule and the best checkpoint.
        test: the examples of the final report.
        sizes: examples in train, validation and test.
        validation_name: where the validation examples come from ("holdout 10% of train", "test", ...).
        class_counts: examples per class (a list by label) of train, validation and test; None where not
            counted (a tfds split too large to read its labels for a count, or masks).
    """

    info: object
    train: tf.data.Dataset
    validation: tf.data.Dataset
    test: tf.data.Dataset
    sizes: dict
    validation_name: str
    class_counts: dict | None = None


def load_run_data(recipe) -> RunData:
    """A classification recipe's splits (a recipe's task calls this; `cnnapp.tasks`)."""
    source = sources.load_dataset(recipe.data.dataset, recipe.data.data_dir or None)
    limit = recipe.data.limit
    ids = subsets.class_ids(source.info.class_names, recipe.data.classes) if recipe.data.classes else None

    def split(name: str) -> tuple[tf.data.Dataset, int]:
        ds = source.split(name, fix="set train.validation / train.test_split")
        size = source.info.split_sizes.get(name)
        if ids is not None:  # labels stay the dataset's until `relabel` below
            ds, size = subsets.only_classes(ds, ids)
        if name == TRAIN and recipe.data.per_class:
            names = source.info.class_names
            ds, size = subsets.per_class(ds, recipe.data.per_class, recipe.train.seed, names)
        if limit:  # the same fraction of every class, chosen by the seed (a split may be sorted by class)
            ds, size = subsets.limited(ds, size, limit, recipe.train.seed)
        return ds, size if size is not None else count(ds)

    train, n_train = split(TRAIN)
    if recipe.train.holdout > 0:
        # The same fraction of every class, chosen by the seed: the same examples are held out every run.
        train, validation, n_train, n_val = subsets.held_out(
            train, recipe.train.holdout, recipe.train.seed, source.info.class_names, strict=not limit
        )
        validation_name = f"holdout ({n_val} of the training split, stratified, seed {recipe.train.seed})"
    else:
        validation, n_val = split(recipe.train.validation)
        validation_name = recipe.train.validation
    test, n_test = split(recipe.train.test_split)
    sizes = {TRAIN: n_train, VALIDATION: n_val, TEST: n_test}
    splits = {TRAIN: train, VALIDATION: validation, TEST: test}
    info = source.info
    if ids is not None:
        splits = {name: subsets.relabel(ds, ids) for name, ds in splits.items()}
        names = tuple(info.class_names[i] for i in ids)
        info = dataclasses.replace(info, num_classes=len(ids), class_names=names, split_sizes={})
    config = recipe.data.pipeline
    if "negatives" in config.augment and info.class_names[config.none_label : config.none_label + 1] != (
        "none",
    ):
        raise CnnappError(
            f"the negatives step labels its frames {config.none_label}, which {info.name} does not name "
            "'none'; use a dataset with a `none` class (mnist4k) or set data.none_label to it"
        )
    counts = subsets.split_class_counts(splits, sizes, info, strict=not limit)
    return RunData(info, *splits.values(), sizes, validation_name, counts)


def count(ds: tf.data.Dataset) -> int:
    """The examples of a dataset whose size is unknown, by one pass."""
    return int(ds.reduce(tf.constant(0, tf.int64), lambda n, _: n + 1))
