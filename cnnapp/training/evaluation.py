"""Top-k accuracy the way the papers report it: centre crop, AlexNet's 10 crops, and ensembles.

Every function takes *inference* models (raw pixels in, softmax probabilities out) and returns numbers; the
`cnnapp.evaluate` CLI and the training report both use them.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import tensorflow as tf


def probabilities(model, dataset: tf.data.Dataset) -> tuple[np.ndarray, np.ndarray]:
    """Class probabilities [N, classes] and labels [N] of `model` over batches `(images, labels)`.

    Batches of crops `[B, n, H, W, C]` (the 10-crop pipeline) are run as B·n images and their softmax outputs
    averaged over the n crops of each image, as in Krizhevsky et al. 2012, section 4.1.
    """

    @tf.function(reduce_retracing=True)
    def run(images):
        shape = tf.shape(images)
        if images.shape.rank == 5:
            flat = tf.reshape(images, tf.concat([[-1], shape[2:]], 0))
            probs = tf.cast(model(flat, training=False), tf.float32)
            return tf.reduce_mean(tf.reshape(probs, [shape[0], shape[1], -1]), axis=1)
        return tf.cast(model(images, training=False), tf.float32)

    probs, labels = [], []
    for images, batch_labels in dataset:
        probs.append(run(images).numpy())
        labels.append(batch_labels.numpy())
    if not probs:
        raise ValueError("the evaluation data is empty")
    return np.concatenate(probs), np.concatenate(labels).astype(np.int64)


def top_k_accuracy(probs: np.ndarray, labels: np.ndarray, k: int) -> float:
    """The fraction of examples whose label is among the k most probable classes (ties: lower index first)."""
    k = min(k, probs.shape[1])
    top = np.argsort(-probs, axis=1, kind="stable")[:, :k]
    return float(np.mean(np.any(top == labels[:, None], axis=1)))


def scores(probs: np.ndarray, labels: np.ndarray) -> dict:
    """Top-1 and top-5 accuracy and error of class probabilities, and the number of examples."""
    top1, top5 = top_k_accuracy(probs, labels, 1), top_k_accuracy(probs, labels, 5)
    return {
        "examples": int(len(labels)),
        "top1_accuracy": top1,
        "top5_accuracy": top5,
        "top1_error": 1.0 - top1,
        "top5_error": 1.0 - top5,
    }


def ensemble(all_probs: Sequence[np.ndarray]) -> np.ndarray:
    """The ensemble's prediction: the members' class probabilities averaged (as AlexNet and GoogLeNet)."""
    shapes = {p.shape for p in all_probs}
    if len(shapes) != 1:
        raise ValueError(f"ensemble members disagree on the prediction shape: {sorted(shapes)}")
    return np.mean(np.stack(all_probs), axis=0)
