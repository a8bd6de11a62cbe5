"""Training speed: our builders against keras.applications, achieved FLOP/s, and this machine's matmul peak.

    pair = PAIRS["vgg16"]
    result = compare_training(pair, input_shape=(64, 64, 3), batch_size=8, steps=2, repeats=3)
    result["ratio"]      # ours / keras.applications, images per second (target ≥ 0.95)

Both sides are built independently (our builder never wraps keras.applications), compiled with the same
optimizer, loss and precision, checked to have the same number of parameters, and timed step for step on the
same batch. On a small shared machine the speed of one side drifts with the load of the other processes, so
each repeat times the two sides back to back, alternating which goes first, and the ratio is the median of the
repeats' ratios (a slow drift of the machine cancels within a repeat); its min and max show the noise.
"""

from __future__ import annotations

import dataclasses
import statistics
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from cnnapp.errors import CnnappError, unknown


@dataclasses.dataclass(frozen=True)
class Pair:
    """One architecture measured two ways.

    Attributes:
        name: our registry name.
        ours_options: options of our builder that make it the same network as the reference
            (keras.applications' ResNet-50 puts a bias on every convolution, the paper's does not).
        reference: the keras.applications constructor's name.
    """

    name: str
    ours_options: Mapping[str, Any]
    reference: str

    def build_ours(self, input_shape: Sequence[int], num_classes: int):
        from cnnapp import models

        return models.build(
            self.name, input_shape=tuple(input_shape), num_classes=num_classes, **self.ours_options
        )

    def build_reference(self, input_shape: Sequence[int], num_classes: int):
        import keras

        constructor = getattr(keras.applications, self.reference)
        return constructor(weights=None, input_shape=tuple(input_shape), classes=num_classes)


PAIRS = {
    # keras.applications' VGG16 has no dropout after fc1 and fc2 (the paper's 0.5): without it the two
    # training graphs are the same op for op, so the ratio measures the builders, not a regularizer.
    "vgg16": Pair("vgg16", {"dropout": 0.0}, "VGG16"),
    "resnet50": Pair("resnet50", {"conv_bias": True}, "ResNet50"),
}


def get_pair(name: str) -> Pair:
    if name not in PAIRS:
        raise unknown("bench model", name, PAIRS)
    return PAIRS[name]


def _compile(model, jit: bool) -> None:
    import keras

    # The papers' update rule on both sides; under mixed_float16 Keras wraps it in a LossScaleOptimizer.
    model.compile(
        optimizer=keras.optimizers.SGD(learning_rate=0.01, momentum=0.9),
        loss="sparse_categorical_crossentropy",
        jit_compile=jit,
    )


def _batch(input_shape: Sequence[int], num_classes: int, batch_size: int, seed: int = 0):
    """A numpy batch, put on the device once as the backend's tensors (TensorFlow's, JAX's)."""
    import keras

    rng = np.random.default_rng(seed)
    images = keras.ops.convert_to_tensor(rng.uniform(0, 1, (batch_size, *input_shape)).astype(np.float32))
    labels = keras.ops.convert_to_tensor(rng.integers(0, num_classes, batch_size).astype(np.int32))
    return images, labels


def _time_steps(model, images, labels, steps: int) -> float:
    """Seconds per training step over `steps` steps (the last step's loss is read, so the work is done)."""
    start = time.perf_counter()
    for _ in range(steps):
        loss = model.train_on_batch(images, labels)
    float(np.asarray(loss))
    return (time.perf_counter() - start) / steps


def compare_training(
    pair: Pair,
    input_shape: Sequence[int] = (64, 64, 3),
    num_classes: int = 10,
    batch_size: int = 8,
    steps: int = 2,
    repeats: int = 3,
    precision: str = "float32",
    jit: bool = False,
) -> dict:
    """Training images/s of our builder and of keras.applications, alternating, and their ratio.

    Args:
        pair: the architecture (see PAIRS).
        input_shape: (H, W, C) for both sides (keras.applications needs at least 32×32×3).
        num_classes: classes of both classifiers.
        batch_size: images per training step.
        steps: timed steps per repeat and side.
        repeats: alternating repeats; the median of each side is reported.
        precision: a Keras dtype policy ("float32", "mixed_float16", "mixed_bfloat16"), set for both builds.
        jit: XLA compilation for both sides.

    Returns:
        {"model", "reference", "params", "ours_images_per_s", "reference_images_per_s", "ratio", "ratio_min",
        "ratio_max", "train_flops_per_image", "ours_runs", "reference_runs"}: images/s are medians over
        repeats; the ratio is the median of the repeats' ratios; the runs are every repeat's images/s.

    Raises:
        CnnappError: the two sides have different parameter counts (they are not the same network).
    """
    import keras

    if steps < 1 or repeats < 1 or batch_size < 1:
        raise CnnappError(f"steps, repeats and batch size must be ≥ 1; got {steps}, {repeats}, {batch_size}")
    previous = keras.mixed_precision.global_policy().name
    keras.mixed_precision.set_global_policy(precision)
    try:
        keras.utils.set_random_seed(0)
        sides = {
            "ours": pair.build_ours(input_shape, num_classes),
            "reference": pair.build_reference(input_shape, num_classes),
        }
    finally:
        keras.mixed_precision.set_global_policy(previous)
    params = {side: int(model.count_params()) for side, model in sides.items()}
    if params["ours"] != params["reference"]:
        raise CnnappError(
            f"{pair.name}: ours has {params['ours']:,} parameters, keras.applications.{pair.reference} "
            f"{params['reference']:,}; they are not the same network at {tuple(input_shape)}"
        )
    images, labels = _batch(input_shape, num_classes, batch_size)
    for model in sides.values():
        _compile(model, jit)
        _time_steps(model, images, labels, 1)  # trace and warm up outside the clock
    runs: dict[str, list[float]] = {"ours": [], "reference": []}
    for repeat in range(repeats):
        order = ("ours", "reference") if repeat % 2 == 0 else ("reference", "ours")
        for side in order:
            runs[side].append(batch_size / _time_steps(sides[side], images, labels, steps))
    ours, reference = statistics.median(runs["ours"]), statistics.median(runs["reference"])
    ratios = [o / r for o, r in zip(runs["ours"], runs["reference"], strict=True)]
    return {
        "model": pair.name,
        "reference": f"keras.applications.{pair.reference}",
        "params": params["ours"],
        "ours_images_per_s": ours,
        "reference_images_per_s": reference,
        "ratio": statistics.median(ratios),
        "ratio_min": min(ratios),
        "ratio_max": max(ratios),
        "train_flops_per_image": training_flops_per_image(sides["ours"]),
        "ours_runs": runs["ours"],
        "reference_runs": runs["reference"],
    }


def compare_models(config, precision: str, jit: bool, peak: dict) -> list[dict]:
    """`compare_training` for each of `config.models` at the config's sizes, with the FLOP/s each side
    achieved and its fraction of the matmul `peak` (`matmul_peak`'s result).

    `config` is a bench config (`cnnapp.bench.run.BenchConfig`, or the backend bench's): `models`,
    `image_size`, `num_classes`, `batch_size`, `steps`, `repeats`.
    """
    rows = []
    for name in config.models:
        row = compare_training(
            get_pair(name),
            input_shape=(config.image_size, config.image_size, 3),
            num_classes=config.num_classes,
            batch_size=config.batch_size,
            steps=config.steps,
            repeats=config.repeats,
            precision=precision,
            jit=jit,
        )
        for side in ("ours", "reference"):
            achieved = row[f"{side}_images_per_s"] * row["train_flops_per_image"]
            row[f"{side}_flops_per_s"] = achieved
            row[f"{side}_peak_fraction"] = achieved / peak["flops_per_s"]
        rows.append(row)
    return rows


def matmul_peak(n: int = 1024, dtype: str = "float32", runs: int = 10) -> dict:
    """This machine's dense matmul speed: the best of `runs` timings of an n×n by n×n `tf.matmul`.

    The best, not the median: a peak is what the hardware can do when nothing else gets in the way.

    Returns:
        {"flops_per_s", "n", "dtype", "device"}.
    """
    import tensorflow as tf

    a = tf.random.stateless_uniform((n, n), seed=(1, 2), dtype=dtype)
    b = tf.random.stateless_uniform((n, n), seed=(3, 4), dtype=dtype)
    matmul = tf.function(lambda x, y: tf.reduce_sum(tf.matmul(x, y)))
    float(matmul(a, b))  # trace and warm up
    best = float("inf")
    for _ in range(runs):
        start = time.perf_counter()
        float(matmul(a, b))  # reading the sum makes the device finish the product
        best = min(best, time.perf_counter() - start)
    device = "GPU" if tf.config.list_physical_devices("GPU") else "CPU"
    return {"flops_per_s": 2 * n**3 / best, "n": n, "dtype": dtype, "device": device}


def training_flops_per_image(model, macs: Callable[[Any], int] | None = None) -> int:
    """FLOPs of one training example: 3 passes of multiply-adds (1 forward, 2 backward), 2 FLOPs each.

    Args:
        model: a built Keras model.
        macs: a function giving the model's forward multiply-adds (connections); the audit's by default.
    """
    return 3 * 2 * int((macs or forward_macs)(model))


def forward_macs(model) -> int:
    """Forward multiply-adds of one example on the inference path: the audit's connection count."""
    from cnnapp.audit import audit_model

    return audit_model(model).totals.macs
