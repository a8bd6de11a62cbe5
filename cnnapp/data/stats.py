"""Dataset statistics for normalization and PCA colour augmentation, and the known ImageNet values.

Normalization itself is the model's first layer (docs/architecture.md); these give its mean and std.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import tensorflow as tf

# ImageNet's mean RGB over the training set, what the VGG paper subtracts ("the mean RGB value, computed
# on the training set"), as released with the Caffe VGG models (keras.applications "caffe" mode, BGR there).
IMAGENET_MEAN_RGB = (123.68, 116.779, 103.939)
# The per-channel std torchvision's ImageNet models divide by (keras.applications "torch" mode), in pixels.
IMAGENET_STD_RGB = (0.229 * 255, 0.224 * 255, 0.225 * 255)


class ChannelStats(NamedTuple):
    """Per-channel mean and standard deviation of pixel values in [0, 255]."""

    mean: tuple[float, ...]
    std: tuple[float, ...]


class ColourPCA(NamedTuple):
    """Principal components of RGB pixel colour, pixels scaled to [0, 1]; largest eigenvalue first."""

    eigvals: tuple[float, float, float]
    eigvecs: tuple[tuple[float, float, float], ...]  # rows


def _moments(ds: tf.data.Dataset, max_examples: int) -> tuple[np.ndarray, np.ndarray, float]:
    """Σx, Σxxᵀ over all pixels (float64) and the pixel count, of the first max_examples images."""

    def per_image(image, _label):
        pixels = tf.cast(tf.reshape(image, [-1, tf.shape(image)[-1]]), tf.float64)
        return (
            tf.reduce_sum(pixels, 0),
            tf.matmul(pixels, pixels, transpose_a=True),
            tf.shape(pixels, tf.int64)[0],
        )

    channels = ds.element_spec[0].shape[-1]
    zero = (
        tf.zeros([channels], tf.float64),
        tf.zeros([channels, channels], tf.float64),
        tf.constant(0, tf.int64),
    )
    total = (
        ds.take(max_examples)
        .map(per_image, num_parallel_calls=tf.data.AUTOTUNE)
        .reduce(zero, lambda acc, x: tuple(a + b for a, b in zip(acc, x, strict=True)))
    )
    sums, outer, count = (t.numpy() for t in total)
    if count == 0:
        raise ValueError("cannot compute statistics of an empty dataset")
    return sums, outer, float(count)


def channel_stats(ds: tf.data.Dataset, max_examples: int = 10_000) -> ChannelStats:
    """Per-channel mean and std of the pixels of a training split (the first `max_examples` images).

    Args:
        ds: unbatched `(image, label)` examples at any size, pixels in [0, 255].
        max_examples: how many images to read (their order is the split's; tfds splits are shuffled on disk).

    Returns:
        ChannelStats(mean, std), one value per channel, in pixel units.
    """
    sums, outer, count = _moments(ds, max_examples)
    mean = sums / count
    var = np.diag(outer) / count - mean**2
    return ChannelStats(tuple(mean.tolist()), tuple(np.sqrt(np.maximum(var, 0.0)).tolist()))


def colour_pca(ds: tf.data.Dataset, max_examples: int = 10_000) -> ColourPCA:
    """Eigenvalues and eigenvectors of the RGB covariance of a training split, for `pca_colour` (AlexNet).

    Pixels are scaled to [0, 1] before the covariance, the scale at which the paper's alpha ~ N(0, 0.1) gives
    colour shifts of a few grey levels.
    """
    if ds.element_spec[0].shape[-1] != 3:
        raise ValueError("colour PCA needs RGB images")
    sums, outer, count = _moments(ds, max_examples)
    mean = sums / count
    cov = (outer / count - np.outer(mean, mean)) / 255.0**2
    eigvals, eigvecs = np.linalg.eigh(cov)
    order = np.argsort(eigvals)[::-1]
    return ColourPCA(
        tuple(np.maximum(eigvals[order], 0.0).tolist()), tuple(tuple(v) for v in eigvecs[:, order].T.tolist())
    )
