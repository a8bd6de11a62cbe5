"""A segmentation recipe's (image, mask) splits, sizes and validation name: what the segmentation task
(`cnnapp.tasks.segmentation`) loads as a run's data.

    splits(recipe)                the (image, mask) splits, sizes and validation name
"""

from __future__ import annotations

import numpy as np
import tensorflow as tf

from cnnapp.choices import TEST, TRAIN, VALIDATION
from cnnapp.data import subsets
from cnnapp.errors import CnnappError
from cnnapp.segmentation.sources import load_segmentation


def splits(recipe) -> dict:
    """The recipe's segmentation splits as `RunData` fields: info, train, validation, test, sizes,
    validation_name (class_counts: None; pixels are counted in the report instead)."""
    source = load_segmentation(recipe.data.dataset, recipe.data.data_dir or None)
    chosen, sizes = {}, {}
    holdout = recipe.train.holdout
    names = {TRAIN: TRAIN, TEST: recipe.train.test_split}
    if not holdout:
        names[VALIDATION] = recipe.train.validation
    for role, split in names.items():
        ds = source.split(split, fix="set train.validation / train.test_split")
        size = source.info.split_sizes.get(split)
        if recipe.data.limit:  # the first `limit` pairs: masks have no one class to stratify by
            ds, size = ds.take(recipe.data.limit), min(recipe.data.limit, size or recipe.data.limit)
        chosen[role], sizes[role] = ds, size
    validation_name = names.get(VALIDATION)
    if holdout:  # a seeded part of the training pairs (not stratified: a mask has no one class)
        n = sizes[TRAIN] if sizes[TRAIN] is not None else _count(chosen[TRAIN])
        count = min(max(1, int(np.floor(holdout * n + 0.5))), n - 1)
        if count < 1:
            raise CnnappError(f"{n} training pair(s) are too few to hold some out; set train.validation")
        held = np.sort(np.random.default_rng([recipe.train.seed, subsets.HOLDOUT]).permutation(n)[:count])
        rest = np.setdiff1d(np.arange(n), held, assume_unique=True)
        chosen[VALIDATION] = subsets.subset(chosen[TRAIN], held)
        chosen[TRAIN] = subsets.subset(chosen[TRAIN], rest)
        sizes[VALIDATION], sizes[TRAIN] = count, n - count
        validation_name = f"holdout ({count} of the training split)"
    order = (TRAIN, VALIDATION, TEST)
    return {
        "info": source.info,
        **{role: chosen[role] for role in order},
        "sizes": {role: sizes[role] for role in order},
        "validation_name": validation_name,
    }


def _count(ds: tf.data.Dataset) -> int:
    return int(ds.reduce(tf.constant(0, tf.int64), lambda n, _: n + 1))
