"""The input pipeline's speed: can tf.data feed the model as fast as it trains?

    rate = pipeline_rate(dataset, DataConfig(image_size=64, channels=3, augment=("flip",)), batch_size=32)
    rate["images_per_s"]

An accelerator that trains faster than the pipeline delivers waits on the CPU ("starved"); the bench puts the
two rates side by side. Two sources: the shipped digits (small images, cached), and a synthetic set of larger
RGB images that stands in for a photo dataset (resize and augmentation cost scale with the native size).
"""

from __future__ import annotations

import time

import numpy as np


def synthetic_source(
    examples: int = 512, size: int = 128, channels: int = 3, num_classes: int = 10, seed: int = 0
):
    """A tf.data split of random `size`×`size` images in [0, 255] with random labels, as `load_dataset` gives.

    The images are generated from a seed inside the pipeline (not held in memory), like decoding from files.
    """
    import tensorflow as tf

    def example(index):
        image = tf.random.stateless_uniform(
            (size, size, channels), seed=tf.stack([seed, index]), maxval=255.0
        )
        label = tf.random.stateless_uniform(
            (), seed=tf.stack([seed + 1, index]), maxval=num_classes, dtype=tf.int32
        )
        return image, label

    return tf.data.Dataset.range(examples).map(example, num_parallel_calls=tf.data.AUTOTUNE)


def pipeline_rate(
    dataset,
    config,
    batch_size: int,
    batches: int = 20,
    warmup: int = 2,
    seed: int = 0,
    min_seconds: float = 2.0,
) -> dict:
    """Images per second that `cnnapp.data.training_pipeline` delivers from `dataset`.

    Args:
        dataset: an unbatched split of (image, label) examples (`Source.splits["train"]`).
        config: the pipeline's `DataConfig` (input size, augmentation).
        batch_size: examples per batch.
        batches: at least this many batches are timed, after `warmup` untimed ones (which build the cache).
        seed: the pipeline's shuffle and augmentation seed.
        min_seconds: and batches are timed for at least this long, so that what the prefetch buffer filled
            while warming up is a small part of the count.

    Returns:
        {"images_per_s", "batches", "batch_size", "image_size", "seconds"}.
    """
    from cnnapp.data import training_pipeline

    pipe = training_pipeline(dataset, config, batch_size, seed=seed, epochs=None)
    iterator = iter(pipe)
    for _ in range(warmup):
        next(iterator)
    images = count = 0
    start = time.perf_counter()
    while count < batches or time.perf_counter() - start < min_seconds:
        batch, _labels = next(iterator)
        images += int(np.shape(batch)[0])
        count += 1
    elapsed = time.perf_counter() - start
    return {
        "images_per_s": images / elapsed,
        "batches": count,
        "batch_size": batch_size,
        "image_size": config.image_size,
        "seconds": elapsed,
    }


def verdict(pipeline_images_per_s: float, model_images_per_s: float) -> str:
    """ "starved" when the pipeline delivers fewer images per second than the model consumes, else "fed"."""
    return "starved" if pipeline_images_per_s < model_images_per_s else "fed"
