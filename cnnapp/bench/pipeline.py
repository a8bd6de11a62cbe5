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

from cnnapp.choices import TRAIN


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


# --- a folder of image files: cnnapp's pipeline against a plain tuned tf.data one, and the first batch ---


def jpeg_folder(root, count: int, size: tuple[int, int] = (300, 400), classes: int = 10) -> str:
    """A folder of `count` generated JPEGs (`classes` class folders), written once and reused from `root`.

    The images are smooth colour gradients with noise (photo-like JPEG sizes, ~30 KB at 300×400), so that
    decoding costs what a photo's does.
    """
    import pathlib

    import tensorflow as tf

    root = pathlib.Path(root) / f"jpeg-{count}-{size[0]}x{size[1]}"
    done = root / ".complete"
    if done.is_file():
        return str(root)
    rng = np.random.default_rng(0)
    height, width = size
    rows, cols = np.mgrid[0:height, 0:width].astype(np.float32)
    for index in range(count):
        colour = rng.uniform(0, 255, (3,))
        base = (rows / height)[..., None] * colour + (cols / width)[..., None] * (255 - colour)
        pixels = np.clip(base / 2 + rng.normal(0, 12, (height, width, 3)), 0, 255).astype(np.uint8)
        path = root / f"class{index % classes}" / f"{index:06d}.jpg"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(tf.io.encode_jpeg(pixels, quality=90).numpy())
    done.write_text("")
    return str(root)


def small_file_folder(root, count: int, classes: int = 10) -> str:
    """A folder of `count` 8×8 grey PNGs (`classes` class folders), written once and reused from `root`."""
    import pathlib

    import tensorflow as tf

    root = pathlib.Path(root) / f"png-{count}-8x8"
    done = root / ".complete"
    if done.is_file():
        return str(root)
    contents = [tf.io.encode_png(np.full((8, 8, 1), 20 * c, np.uint8)).numpy() for c in range(classes)]
    for index in range(count):
        label = index % classes
        path = root / f"class{label}" / f"{index:06d}.png"
        if index < classes:
            path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(contents[label])
    done.write_text("")
    return str(root)


def reference_folder_pipeline(
    root: str, batch_size: int, short_side: int = 256, crop: int = 224, seed: int = 0
):
    """The plain tuned tf.data pipeline a user would write for a JPEG folder: list_files, decode_jpeg, resize
    the short side, random crop, random flip, AUTOTUNE parallel map, batch, prefetch."""
    import tensorflow as tf

    def example(path):
        image = tf.cast(tf.io.decode_jpeg(tf.io.read_file(path), channels=3), tf.float32)
        shape = tf.cast(tf.shape(image)[:2], tf.float32)
        scale = short_side / tf.reduce_min(shape)
        image = tf.image.resize(image, tf.cast(tf.round(shape * scale), tf.int32), antialias=True)
        image = tf.image.random_crop(image, [crop, crop, 3], seed=seed)
        return tf.image.random_flip_left_right(image, seed=seed), 0

    files = tf.data.Dataset.list_files(f"{root}/*/*.jpg", shuffle=True, seed=seed)
    return (
        files.repeat()
        .map(example, num_parallel_calls=tf.data.AUTOTUNE)
        .batch(batch_size)
        .prefetch(tf.data.AUTOTUNE)
    )


def folder_rates(
    root: str, batch_size: int, batches: int, repeats: int = 2, min_seconds: float = 2.0
) -> dict:
    """cnnapp's training pipeline over a JPEG folder (AlexNet/ResNet: short side 256, random crop 224, flip)
    against `reference_folder_pipeline`, timed in alternation in this process.

    On a machine shared with other jobs the rates swing with their load by ±40% within seconds, far more than
    the two pipelines differ. So the two are timed in pairs, back to back (ABBA: the one timed first
    alternates, so a load that rises or falls during a pair favours neither), and the ratio is the median of
    the pairs' ratios: each compares the two under the same load.

    Returns:
        {"ours_images_per_s", "reference_images_per_s"} (medians over the repeats), "ratio" (the median of
        the pairs' ours/reference), "pair_ratios", and the CPU time per image of each ("ours_cpu_ms",
        "reference_cpu_ms", "cpu_ratio" = reference's / ours, medians).
    """
    from cnnapp.data import DataConfig, load_dataset, training_pipeline

    config = DataConfig(
        image_size=224, channels=3, resize="short_side", short_side=256, augment=("random_crop", "flip")
    )
    ours_pipe = training_pipeline(
        load_dataset(f"folder:{root}").splits[TRAIN], config, batch_size, 0, epochs=None
    )
    reference_pipe = reference_folder_pipeline(root, batch_size)
    ours, reference, ours_cpu, reference_cpu = [], [], [], []
    for repeat in range(repeats):
        pair = [(ours_pipe, ours, ours_cpu), (reference_pipe, reference, reference_cpu)]
        for pipe, rates, cpus in pair if repeat % 2 == 0 else pair[::-1]:
            rate, cpu = _rate(pipe, batches, min_seconds)
            rates.append(rate)
            cpus.append(cpu)
    pair_ratios = [mine / theirs for mine, theirs in zip(ours, reference, strict=True)]
    ours_ms, reference_ms = float(np.median(ours_cpu)), float(np.median(reference_cpu))
    return {
        "ours_images_per_s": float(np.median(ours)),
        "reference_images_per_s": float(np.median(reference)),
        "ratio": float(np.median(pair_ratios)),
        "pair_ratios": pair_ratios,
        "ours_runs": ours,
        "reference_runs": reference,
        "ours_cpu_ms": ours_ms,
        "reference_cpu_ms": reference_ms,
        "cpu_ratio": reference_ms / ours_ms,
    }


def _rate(pipe, batches: int, min_seconds: float) -> tuple[float, float]:
    """(images per second, milliseconds of this process's CPU time per image) of a pipeline."""
    iterator = iter(pipe)
    for _ in range(2):  # warm-up: the first batches pay for starting the threads and filling the buffers
        next(iterator)
    images, count, start, cpu = 0, 0, time.perf_counter(), time.process_time()
    while count < batches or time.perf_counter() - start < min_seconds:
        images += int(np.shape(next(iterator)[0])[0])
        count += 1
    return images / (time.perf_counter() - start), 1000 * (time.process_time() - cpu) / max(images, 1)


def time_to_first_batch(root: str, batch_size: int = 128) -> float:
    """Seconds from loading a folder (`load_dataset`) to holding the first training batch (LeNet-5's)."""
    from cnnapp.data import DataConfig, load_dataset, training_pipeline

    start = time.perf_counter()
    source = load_dataset(f"folder:{root}")
    config = DataConfig(image_size=32, channels=1, resize="pad", augment=("pad_crop",), pad=2)
    next(iter(training_pipeline(source.splits[TRAIN], config, batch_size, seed=0)))
    return time.perf_counter() - start
