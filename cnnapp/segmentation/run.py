"""What a training run does differently when its recipe has a `model.head`: the training scaffold
(`cnnapp.training.core`) calls these at its few task-specific points and keeps everything else (run folder,
lock, resume, callbacks, checkpoints, report.json).

    splits(recipe)                the (image, mask) splits, sizes and validation name
    evaluation_batches(...)       unaugmented pairs (training: cnnapp.segmentation.pipeline via loop.py)
    compile_arguments(...)        loss (void ignored) and metrics (pixel accuracy, mean IoU)
    test_scores(model, ...)       the FCN paper's scores on the test split
"""

from __future__ import annotations

import numpy as np
import tensorflow as tf

from cnnapp.data import subsets
from cnnapp.errors import CnnappError
from cnnapp.segmentation import metrics, pipeline
from cnnapp.segmentation.sources import load_segmentation


def splits(recipe) -> dict:
    """The recipe's segmentation splits as `RunData` fields: info, train, validation, test, sizes,
    validation_name (class_counts: None; pixels are counted in the report instead)."""
    source = load_segmentation(recipe.data.dataset, recipe.data.data_dir or None)
    chosen, sizes = {}, {}
    holdout = recipe.train.holdout
    names = {"train": "train", "test": recipe.train.test_split}
    if not holdout:
        names["validation"] = recipe.train.validation
    for role, split in names.items():
        ds = source.split(split, fix="set train.validation / train.test_split")
        size = source.info.split_sizes.get(split)
        if recipe.data.limit:  # the first `limit` pairs: masks have no one class to stratify by
            ds, size = ds.take(recipe.data.limit), min(recipe.data.limit, size or recipe.data.limit)
        chosen[role], sizes[role] = ds, size
    validation_name = names.get("validation")
    if holdout:  # a seeded part of the training pairs (not stratified: a mask has no one class)
        n = sizes["train"] if sizes["train"] is not None else _count(chosen["train"])
        count = min(max(1, int(np.floor(holdout * n + 0.5))), n - 1)
        if count < 1:
            raise CnnappError(f"{n} training pair(s) are too few to hold some out; set train.validation")
        held = np.sort(np.random.default_rng([recipe.train.seed, subsets.HOLDOUT]).permutation(n)[:count])
        rest = np.setdiff1d(np.arange(n), held, assume_unique=True)
        chosen["validation"] = subsets.subset(chosen["train"], held)
        chosen["train"] = subsets.subset(chosen["train"], rest)
        sizes["validation"], sizes["train"] = count, n - count
        validation_name = f"holdout ({count} of the training split)"
    order = ("train", "validation", "test")
    return {
        "info": source.info,
        **{role: chosen[role] for role in order},
        "sizes": {role: sizes[role] for role in order},
        "validation_name": validation_name,
    }


def _count(ds: tf.data.Dataset) -> int:
    return int(ds.reduce(tf.constant(0, tf.int64), lambda n, _: n + 1))


def evaluation_batches(ds: tf.data.Dataset, recipe, batch_size: int) -> tf.data.Dataset:
    return pipeline.evaluation_pipeline(ds, recipe.data.pipeline, batch_size)


def compile_arguments(model) -> dict:
    """`loss` and `metrics` for `model.compile` (single output: the per-pixel softmax)."""
    num_classes = int(model.outputs[0].shape[-1])
    return {"loss": metrics.loss(), "metrics": metrics.keras_metrics(num_classes)}


def predict_masks(model, batches: tf.data.Dataset):
    """Yield (images, true masks, predicted masks) per batch (numpy)."""
    run = tf.function(lambda x: tf.argmax(model(x, training=False), axis=-1, output_type=tf.int32))
    for images, masks in batches:
        yield images.numpy(), masks.numpy(), run(images).numpy()


def test_scores(model, batches: tf.data.Dataset, class_names) -> dict:
    """The FCN paper's scores of `model` over `batches` (`metrics.scores`) and the number of images."""
    num_classes = len(class_names)
    matrix = np.zeros((num_classes, num_classes), np.int64)
    images = 0
    for batch, truth, predicted in predict_masks(model, batches):
        matrix += metrics.confusion(truth, predicted, num_classes)
        images += len(batch)
    if not images:
        raise ValueError("the evaluation data is empty")
    return {"examples": images, **metrics.scores(matrix, class_names)}
