"""Top-k accuracy the way the papers report it: centre crop, AlexNet's 10 crops, and ensembles.

Every function takes *inference* models (raw pixels in, softmax probabilities out) and returns numbers; the
`cnnapp.evaluate` CLI and the training report both use them.
"""

from __future__ import annotations

import logging
import weakref
from collections.abc import Sequence

import numpy as np
import tensorflow as tf

from cnnapp import data as cdata
from cnnapp import fingerprint
from cnnapp.data import subsets
from cnnapp.errors import CnnappError

EVAL_BATCH = 256  # the batch of the report's test pass, validation and the figures' passes

# One traced forward pass per model and input rank (4: images, 5: crops), reused by every call (centre crop,
# 10 crops, an ensemble's members). One function per rank: a relaxed shape of unknown rank fits neither path.
_FORWARD: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


class _ExpectedTracing(logging.Filter):
    """Drops TensorFlow's "excessive retracing" warning about these forward passes: every model is a new
    graph and must be traced once per input rank (and once more for a short last batch), which TensorFlow's
    detector, counting across all functions of the same code, takes for a tf.function made in a loop."""

    def filter(self, record: logging.LogRecord) -> bool:
        text = record.getMessage()
        return not ("_forward.<locals>.run" in text and "retracing" in text)


logging.getLogger("tensorflow").addFilter(_ExpectedTracing())


def _forward(model, rank: int):
    per_rank = _FORWARD.setdefault(model, {})
    if rank not in per_rank:
        if rank == 5:

            @tf.function(reduce_retracing=True)
            def run(images):
                shape = tf.shape(images)
                flat = tf.reshape(images, tf.concat([[-1], shape[2:]], 0))
                probs = tf.cast(model(flat, training=False), tf.float32)
                return tf.reduce_mean(tf.reshape(probs, [shape[0], shape[1], -1]), axis=1)

        else:

            @tf.function(reduce_retracing=True)
            def run(images):
                return tf.cast(model(images, training=False), tf.float32)

        per_rank[rank] = run
    return per_rank[rank]


def probabilities(model, dataset: tf.data.Dataset, on_batch=None) -> tuple[np.ndarray, np.ndarray]:
    """Class probabilities [N, classes] and labels [N] of `model` over batches `(images, labels)`.

    Batches of crops `[B, n, H, W, C]` (the 10-crop pipeline) are run as B·n images and their softmax outputs
    averaged over the n crops of each image, as in Krizhevsky et al. 2012, section 4.1. `on_batch(images,
    probs, labels)`, when given, sees every batch as numbers: what else a caller needs from the same pass
    (the run's error analysis keeps its worst mistakes' images), without a second one.
    """
    probs, labels = [], []
    for images, batch_labels in dataset:
        probs.append(_forward(model, len(images.shape))(images).numpy())
        labels.append(batch_labels.numpy().astype(np.int64))
        if on_batch is not None:
            on_batch(images, probs[-1], labels[-1])
    if not probs:
        raise ValueError("the evaluation data is empty")
    return np.concatenate(probs), np.concatenate(labels).astype(np.int64)


def top_k_accuracy(probs: np.ndarray, labels: np.ndarray, k: int) -> float:
    """The fraction of examples whose label is among the k most probable classes (ties: lower index first)."""
    k = min(k, probs.shape[1])
    top = np.argsort(-probs, axis=1, kind="stable")[:, :k]
    return float(np.mean(np.any(top == labels[:, None], axis=1)))


def expected_calibration_error(probs: np.ndarray, labels: np.ndarray, bins: int = 15) -> float:
    """ECE (Guo et al. 2017): Σ_b |B_b|/n · |accuracy(B_b) − confidence(B_b)| over `bins` equal-width bins
    of the top-1 confidence; 0 for a model whose confidence is its accuracy."""
    if not len(labels):
        return 0.0
    return top_answer_ece(probs.max(axis=1), probs.argmax(axis=1) == labels, bins)


def top_answer_ece(confidence: np.ndarray, correct: np.ndarray, bins: int = 15) -> float:
    """`expected_calibration_error` from the top answers' scores and whether each was right (all a client like
    MediaPipe returns)."""
    confidence, correct = np.asarray(confidence, np.float64), np.asarray(correct, bool)
    which = np.minimum((confidence * bins).astype(int), bins - 1)
    total = 0.0
    for b in range(bins):
        members = which == b
        if members.any():
            total += members.mean() * abs(correct[members].mean() - confidence[members].mean())
    return float(total)


def scores(probs: np.ndarray, labels: np.ndarray) -> dict:
    """Top-1 and top-5 accuracy and error of class probabilities, the expected calibration error (`ece`,
    15 bins), and the number of examples."""
    top1, top5 = top_k_accuracy(probs, labels, 1), top_k_accuracy(probs, labels, 5)
    return {
        "examples": int(len(labels)),
        "top1_accuracy": top1,
        "top5_accuracy": top5,
        "top1_error": 1.0 - top1,
        "top5_error": 1.0 - top5,
        "ece": expected_calibration_error(probs, labels),
    }


def ensemble(all_probs: Sequence[np.ndarray]) -> np.ndarray:
    """The ensemble's prediction: the members' class probabilities averaged (as AlexNet and GoogLeNet)."""
    shapes = {p.shape for p in all_probs}
    if len(shapes) != 1:
        raise ValueError(f"ensemble members disagree on the prediction shape: {sorted(shapes)}")
    return np.mean(np.stack(all_probs), axis=0)


def evaluate_members(
    members,
    split: str | None = None,
    crops=("centre", "ten"),
    limit: int = 0,
    data_dir: str | None = None,
    batch_size: int = 64,
) -> dict:
    """Evaluate saved checkpoints one by one and as an ensemble, with centre crops and/or AlexNet's 10 crops.

    Args:
        members: (run, which) pairs: a `cnnapp.runs.Run` and its checkpoint "best" or "last". All must have
            been trained on the same dataset; each is fed at its own input size.
        split: the split to evaluate (default: the first member's recipe `train.test_split`).
        crops: "centre" (the network's size, `cfg.resize`), "ten" (4 corners + centre of the short-side
            resize, and their mirrors, softmax averaged).
        limit: `limit` examples only (0: all), the same fraction of every class, chosen by the first
            member's recipe seed.
        data_dir: where tfds keeps its files (default: the recipe's).
        batch_size: images per batch (10-crop batches hold 10× as many).

    Returns:
        {"split", "examples", "members": [{"path", "checkpoint", <crop>: scores}], "ensemble": {<crop>:
        scores}} with `scores` as `scores()` gives; "ensemble" only for two or more members; "warnings"
        (one line each) for members whose data changed since they trained (`fingerprint.stale_data_warning`).
    """

    runs = [run for run, _ in members]
    datasets = {run.meta.dataset for run in runs}
    if len(datasets) != 1:
        raise CnnappError(
            f"an ensemble needs members trained on one dataset; got {', '.join(sorted(datasets))}"
        )
    first = runs[0].recipe
    split = split or first.train.test_split
    source = cdata.load_dataset(first.data.dataset, data_dir or first.data.data_dir or None)
    # Scores on data that changed since training (a folder edited, labels permuted) are not the run's.
    stale = (
        fingerprint.stale_data_warning(r.path, r.meta.get("fingerprint"), source.info.identity) for r in runs
    )
    warnings = [warning for warning in stale if warning]
    examples = source.split(split, fix="choose one with --split")
    size = source.info.split_sizes.get(split)
    if first.data.classes:  # a run on a subset of the classes is scored on them, labelled as it trained
        ids = subsets.class_ids(source.info.class_names, first.data.classes)
        examples, size = subsets.only_classes(examples, ids)
        examples = subsets.relabel(examples, ids)
    if limit:  # stratified: a split may be stored class by class
        examples, _ = subsets.limited(examples, size, limit, first.train.seed, subsets.EVALUATION)
    pipelines = {"centre": cdata.evaluation_pipeline, "ten": cdata.ten_crop_pipeline}
    bad = [c for c in crops if c not in pipelines]
    if bad:
        raise CnnappError(f"unknown crop mode {bad[0]!r}; valid crop modes: centre, ten")
    results, all_probs, labels = [], {c: [] for c in crops}, None
    for run, which in members:
        model = run.model(which)
        entry = {"path": str(run.path), "checkpoint": which}
        for crop in crops:
            probs, member_labels = probabilities(
                model, pipelines[crop](examples, run.recipe.data.pipeline, batch_size)
            )
            if labels is not None and not np.array_equal(labels, member_labels):
                raise RuntimeError("evaluation pipelines disagree on the order of the labels")
            labels = member_labels
            entry[crop] = scores(probs, labels)
            all_probs[crop].append(probs)
        results.append(entry)
    out = {
        "split": split,
        "examples": int(len(labels)),
        "members": results,
        **({"warnings": warnings} if warnings else {}),
    }
    if len(members) > 1:
        out["ensemble"] = {crop: scores(ensemble(all_probs[crop]), labels) for crop in crops}
    return out
