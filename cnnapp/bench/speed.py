"""Training speed: our builders against keras.applications, and the FLOP/s each achieves against the roof.

    pair = PAIRS["vgg16"]
    result = compare_training(pair, input_shape=(64, 64, 3), batch_size=8, steps=2, repeats=3)
    result["ratio"]          # ours / keras.applications in the same precision, images per second
    result["default_ratio"]  # ours / keras.applications as a user runs it by default (float32)

Both sides are built independently (our builder never wraps keras.applications), compiled with the same
optimizer and loss, checked to have the same number of parameters, and timed step for step on the same
batch, alternated A-B-B-A with a noise flag (`cnnapp.timing`). The fraction of peak of each side is taken
against the roof of the dtype it computes in (`cnnapp.bench.roof`).
"""

from __future__ import annotations

import dataclasses
import statistics
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


def _steps(model, images, labels, steps: int) -> Callable[[], None]:
    """One timed unit of a side: `steps` training steps (the last loss is read, so the work is done)."""

    def run() -> None:
        for _ in range(steps):
            loss = model.train_on_batch(images, labels)
        float(np.asarray(loss))

    return run


def _build(pair: Pair, side: str, precision: str, input_shape, num_classes: int):
    import keras

    previous = keras.mixed_precision.global_policy().name
    keras.mixed_precision.set_global_policy(precision)
    try:
        keras.utils.set_random_seed(0)
        if side == "ours":
            return pair.build_ours(input_shape, num_classes)
        return pair.build_reference(input_shape, num_classes)
    finally:
        keras.mixed_precision.set_global_policy(previous)


def compare_training(
    pair: Pair,
    input_shape: Sequence[int] = (64, 64, 3),
    num_classes: int = 10,
    batch_size: int = 8,
    steps: int = 2,
    repeats: int = 3,
    precision: str = "float32",
    jit: bool = False,
    max_repeats: int | None = None,
) -> dict:
    """Training images/s of our builder and of keras.applications in the same precision, and of
    keras.applications as a user runs it by default (float32), alternated A-B-B-A (`cnnapp.timing`).

    Args:
        pair: the architecture (see PAIRS).
        input_shape: (H, W, C) for both sides (keras.applications needs at least 32×32×3).
        num_classes: classes of both classifiers.
        batch_size: images per training step.
        steps: timed steps per call of a side.
        repeats: palindrome rounds always run; each times every side twice.
        precision: a Keras dtype policy ("float32", "mixed_float16", "mixed_bfloat16"), set for both builds.
        jit: XLA compilation for every side.
        max_repeats: the bound on rounds while a ratio is noisy (default: twice `repeats`).

    Returns:
        {"model", "reference", "params", "ours_images_per_s", "reference_images_per_s", "ratio", "ratio_min",
        "ratio_max", "ratio_noisy", "cpu_ratio", "default_images_per_s", "default_ratio" (+ _min, _max,
        _noisy), "ours_cpu_ms_per_image", "reference_cpu_ms_per_image", "rounds", "noisy",
        "train_flops_per_image", "ours_runs", "reference_runs"}: images/s are medians over rounds, ratios
        medians of the rounds' ratios (ours / reference, by wall time; `cpu_ratio` by process CPU time); the
        default side is the reference itself when `precision` is float32.

    Raises:
        CnnappError: the two sides have different parameter counts (they are not the same network).
    """
    from cnnapp import timing

    if steps < 1 or repeats < 1 or batch_size < 1:
        raise CnnappError(f"steps, repeats and batch size must be ≥ 1; got {steps}, {repeats}, {batch_size}")
    built = {side: _build(pair, side, precision, input_shape, num_classes) for side in ("ours", "reference")}
    if precision != "float32":  # keras.applications as a user runs it: the default float32 policy
        built["default"] = _build(pair, "reference", "float32", input_shape, num_classes)
    params = {side: int(model.count_params()) for side, model in built.items()}
    if params["ours"] != params["reference"]:
        raise CnnappError(
            f"{pair.name}: ours has {params['ours']:,} parameters, keras.applications.{pair.reference} "
            f"{params['reference']:,}; they are not the same network at {tuple(input_shape)}"
        )
    images, labels = _batch(input_shape, num_classes, batch_size)
    for model in built.values():
        _compile(model, jit)
    timed = timing.alternate(
        {side: _steps(model, images, labels, steps) for side, model in built.items()},
        rounds=repeats,
        max_rounds=max_repeats or 2 * repeats,
    )
    images_per_call = batch_size * steps
    rates = {side: timing.summary(seconds, images_per_call) for side, seconds in timed["wall"].items()}
    same = timing.ratio(timed, "ours", "reference")
    default = timing.ratio(timed, "ours", "default") if "default" in built else same
    return {
        "model": pair.name,
        "reference": f"keras.applications.{pair.reference}",
        "params": params["ours"],
        "ours_images_per_s": rates["ours"]["median"],
        "reference_images_per_s": rates["reference"]["median"],
        "ratio": same["median"],
        "ratio_min": same["min"],
        "ratio_max": same["max"],
        "ratio_noisy": same["noisy"],
        "cpu_ratio": same["cpu"],
        "default_images_per_s": rates.get("default", rates["reference"])["median"],
        "default_ratio": default["median"],
        "default_ratio_min": default["min"],
        "default_ratio_max": default["max"],
        "default_ratio_noisy": default["noisy"],
        **{
            f"{side}_cpu_ms_per_image": 1000 * statistics.median(timed["cpu"][side]) / images_per_call
            for side in built
        },
        "rounds": timed["rounds"],
        "noisy": timed["noisy"],
        "train_flops_per_image": training_flops_per_image(built["ours"]),
        "ours_runs": [images_per_call / s for s in timed["wall"]["ours"]],
        "reference_runs": [images_per_call / s for s in timed["wall"]["reference"]],
    }


def compare_models(config, precision: str, jit: bool, roofs: dict) -> list[dict]:
    """`compare_training` for each of `config.models` at the config's sizes, with the FLOP/s each side
    achieved and its fraction of the roof of the dtype it computes in (`roof.roof_for`).

    `config` is a bench config (`cnnapp.bench.run.BenchConfig`, or the backend bench's): `models`,
    `image_size`, `num_classes`, `batch_size`, `steps`, `repeats`.
    """
    from cnnapp.bench.roof import roof_for

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
        used = roof_for(roofs, precision)
        row["roof_dtype"] = used["dtype"]
        for side, side_precision in (("ours", precision), ("reference", precision), ("default", "float32")):
            achieved = row[f"{side}_images_per_s"] * row["train_flops_per_image"]
            row[f"{side}_flops_per_s"] = achieved
            row[f"{side}_peak_fraction"] = achieved / roof_for(roofs, side_precision)["flops_per_s"]
        rows.append(row)
    return rows


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
