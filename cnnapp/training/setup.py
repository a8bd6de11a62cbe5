"""The building blocks of a run: its data, its model and its compiled training step, from a recipe.

`train_and_evaluate` (loop.py) chains them with Keras `fit`; the multi-worker trainer reuses them with its own
step.
"""

from __future__ import annotations

import dataclasses

import keras
import tensorflow as tf

from cnnapp import data as cdata
from cnnapp.data import subsets
from cnnapp.data.augment import to_channels
from cnnapp.errors import CnnappError
from cnnapp.recipes import Recipe
from cnnapp.runs import build_model
from cnnapp.training.device import Device
from cnnapp.training.optimizers import add_weight_decay, make_optimizer
from cnnapp.training.schedules import RecipeSchedule

EVAL_BATCH = 256


@dataclasses.dataclass(frozen=True)
class RunData:
    """The splits of a run, unbatched `(image, label)` at native size, and what the model needs to know.

    Attributes:
        info: the dataset's `DatasetInfo`.
        train: the training examples (without the held-out part).
        validation: the examples that drive the plateau schedule and the best checkpoint.
        test: the examples of the final report.
        sizes: examples in train, validation and test.
        validation_name: where the validation examples come from ("holdout 10% of train", "test", ...).
        class_counts: examples per class (a list by label) of train, validation and test; None where not
            counted (a tfds split too large to read its labels for a count).
    """

    info: object
    train: tf.data.Dataset
    validation: tf.data.Dataset
    test: tf.data.Dataset
    sizes: dict
    validation_name: str
    class_counts: dict | None = None


def load_data(recipe: Recipe) -> RunData:
    """The recipe's dataset, limited (`data.limit`), its classes (`data.classes`) and examples per class
    (`data.per_class`) chosen, and split into train / validation / test."""
    if recipe.model.head:  # a segmentation run: (image, mask) pairs
        from cnnapp.segmentation import run as segmentation

        return RunData(**segmentation.splits(recipe))
    source = cdata.load_dataset(recipe.data.dataset, recipe.data.data_dir or None)
    limit = recipe.data.limit
    ids = subsets.class_ids(source.info.class_names, recipe.data.classes) if recipe.data.classes else None

    def split(name: str) -> tuple[tf.data.Dataset, int]:
        ds = source.split(name, fix="set train.validation / train.test_split")
        size = source.info.split_sizes.get(name)
        if ids is not None:  # labels stay the dataset's until `relabel` below
            ds, size = subsets.only_classes(ds, ids)
        if name == "train" and recipe.data.per_class:
            ds, size = subsets.per_class(
                ds, recipe.data.per_class, recipe.train.seed, source.info.class_names
            )  # noqa: E501
        if limit:  # the same fraction of every class, chosen by the seed (a split may be sorted by class)
            ds, size = subsets.limited(ds, size, limit, recipe.train.seed)
        return ds, size if size is not None else _count(ds)

    train, n_train = split("train")
    if recipe.train.holdout > 0:
        # The same fraction of every class, chosen by the seed: the same examples are held out every run.
        train, validation, n_train, n_val = subsets.held_out(
            train, recipe.train.holdout, recipe.train.seed, source.info.class_names, strict=not limit
        )
        validation_name = f"holdout ({n_val} of the training split)"
    else:
        validation, n_val = split(recipe.train.validation)
        validation_name = recipe.train.validation
    test, n_test = split(recipe.train.test_split)
    sizes = {"train": n_train, "validation": n_val, "test": n_test}
    splits = {"train": train, "validation": validation, "test": test}
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


def _count(ds: tf.data.Dataset) -> int:
    return int(ds.reduce(tf.constant(0, tf.int64), lambda n, _: n + 1))


def normalization(recipe: Recipe, run_data: RunData) -> dict:
    """The per-channel mean and std of the model's `normalization` layer (recipe's or training split's)."""
    if recipe.data.mean:
        return {"mean": list(recipe.data.mean), "std": list(recipe.data.std), "source": "recipe"}
    channels = recipe.data.pipeline.channels
    images = run_data.train.map(lambda image, label: (to_channels(image, channels), label))
    stats = cdata.channel_stats(images, recipe.data.pipeline.stats_examples)
    # A constant channel (blank borders) would divide by 0; 1.0 leaves it merely centred.
    std = [s if s > 1e-3 else 1.0 for s in stats.std]
    return {"mean": list(stats.mean), "std": std, "source": "training split"}


def run_meta(recipe: Recipe, run_data: RunData, norm: dict) -> dict:
    """run.json: what rebuilds and labels the model (docs/architecture.md, "Runs")."""
    info = run_data.info
    return {
        "recipe": recipe.name,
        "architecture": recipe.model.architecture,
        "model_options": dict(recipe.model.options),
        "input_shape": list(recipe.data.pipeline.input_shape),
        "num_classes": int(info.num_classes),
        "class_names": list(info.class_names),
        "dataset": recipe.data.dataset,
        "normalization": norm,
        "splits": {"validation": run_data.validation_name, "test": recipe.train.test_split},
        "sizes": run_data.sizes,
        "class_counts": run_data.class_counts,
        **({"head": recipe.model.head} if recipe.model.head else {}),  # a segmenter (runs.build_model)
        # The ink front runs in the pipelines; runs.build_model puts it in the exported graph.
        **({"front": recipe.data.pipeline.front} if recipe.data.pipeline.front != "none" else {}),
    }


def evaluation_batches(ds: tf.data.Dataset, recipe: Recipe, batch_size: int = EVAL_BATCH) -> tf.data.Dataset:
    """Unaugmented batches of a split for validation and the report: (images, labels), or (images, masks)."""
    if recipe.model.head:
        from cnnapp.segmentation.pipeline import evaluation_pipeline

        return evaluation_pipeline(ds, recipe.data.pipeline, batch_size)
    return cdata.evaluation_pipeline(ds, recipe.data.pipeline, batch_size)


def build_models(meta: dict, recipe: Recipe):
    """The training model (auxiliary heads, L2 decay on its kernels) and the inference model sharing it."""
    for key in ("input_shape", "num_classes", "keras_module"):
        if key in recipe.model.options:
            raise CnnappError(f"model.options.{key} is not an option: it comes from [data] and the dataset")
    for key in ("include_top", "pooling"):  # a run trains a classifier; its backbone is models.build's
        if key in recipe.model.options:
            raise CnnappError(f"model.options.{key} is not a training option: a run trains a classifier")
    model = build_model(meta, keras, training=True)
    add_weight_decay(model, recipe.optimizer.weight_decay)
    # Always a new Model object, never the compiled `model` itself: a saved checkpoint holds no optimizer.
    return model, keras.Model(model.inputs, model.outputs[0], name=model.name)


def steps_per_epoch(recipe: Recipe, train_size: int, drop_remainder: bool = False) -> int:
    """Steps in one epoch: the pipeline's batches (`cnnapp.data.steps_per_epoch`), capped by
    `train.steps_per_epoch`."""
    full = cdata.steps_per_epoch(train_size, recipe.train.batch_size, drop_remainder)
    return min(full, recipe.train.steps_per_epoch) if recipe.train.steps_per_epoch else full


def compile_model(model, recipe: Recipe, device: Device, steps: int) -> RecipeSchedule:
    """Compile `model` for the recipe: optimizer and schedule, losses (auxiliary ones weighted), metrics."""
    schedule = RecipeSchedule(recipe.optimizer.lr, recipe.schedule, steps, steps * recipe.train.epochs)
    if recipe.model.head:  # per-pixel loss (void ignored), pixel accuracy and mean IoU
        from cnnapp.segmentation import run as segmentation

        optimizer = make_optimizer(recipe.optimizer, schedule)
        model.compile(optimizer=optimizer, jit_compile=device.jit, **segmentation.compile_arguments(model))
        return schedule
    names = list(model.output_names)
    smoothing = recipe.train.label_smoothing

    def loss():
        if smoothing:  # label smoothing needs one-hot targets; the pipelines give integer labels
            return _SmoothedSparseCrossentropy(smoothing)
        return keras.losses.SparseCategoricalCrossentropy()

    k = min(5, int(model.outputs[0].shape[-1]))
    metrics = [
        keras.metrics.SparseCategoricalAccuracy(name="accuracy"),
        keras.metrics.SparseTopKCategoricalAccuracy(k=k, name="top5"),
    ]
    if len(names) == 1:
        losses, weights, metric_map = loss(), None, metrics
    else:
        losses = {name: loss() for name in names}
        weights = {name: 1.0 if i == 0 else recipe.train.aux_loss_weight for i, name in enumerate(names)}
        metric_map = {names[0]: metrics}
    model.compile(
        optimizer=make_optimizer(recipe.optimizer, schedule),
        loss=losses,
        loss_weights=weights,
        metrics=metric_map,
        jit_compile=device.jit,
    )
    return schedule


class _SmoothedSparseCrossentropy(keras.losses.Loss):
    def __init__(self, smoothing: float, name="smoothed_crossentropy"):
        super().__init__(name=name)
        self.smoothing = smoothing

    def call(self, y_true, y_pred):
        y_true = keras.ops.one_hot(keras.ops.cast(keras.ops.reshape(y_true, [-1]), "int32"), y_pred.shape[-1])
        return keras.losses.categorical_crossentropy(y_true, y_pred, label_smoothing=self.smoothing)


def with_targets(dataset: tf.data.Dataset, output_names) -> tf.data.Dataset:
    """Give every model output the label: `(x, y)` → `(x, {name: y, ...})` for a multi-output model."""
    names = list(output_names)
    if len(names) == 1:
        return dataset
    return dataset.map(lambda x, y: (x, {name: y for name in names}), num_parallel_calls=tf.data.AUTOTUNE)
