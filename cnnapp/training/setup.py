"""The building blocks of a run: its data, its model and its compiled training step, from a recipe.

`train_and_evaluate` (loop.py) chains them with Keras `fit`; the multi-worker trainer reuses them with its own
step.
"""

from __future__ import annotations

import keras
import tensorflow as tf

from cnnapp import data as cdata
from cnnapp import fingerprint, tasks
from cnnapp.choices import TEST, VALIDATION
from cnnapp.data.augment import to_channels
from cnnapp.data.splits import RunData
from cnnapp.errors import CnnappError
from cnnapp.evaluation import EVAL_BATCH
from cnnapp.recipes import Recipe, validation_note, validation_warning
from cnnapp.training import tricks
from cnnapp.training.device import Device
from cnnapp.training.optimizers import add_weight_decay, make_optimizer
from cnnapp.training.schedules import RecipeSchedule

__all__ = [
    "EVAL_BATCH", "RunData", "build_models", "compile_model", "evaluation_batches", "load_data", "run_meta"
]  # fmt: skip


def load_data(recipe: Recipe) -> RunData:
    """The recipe's splits, as its task loads them (`cnnapp.data.splits`, `cnnapp.segmentation.run`)."""
    return tasks.of(recipe).load_data(recipe)


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
        "splits": {VALIDATION: run_data.validation_name, TEST: recipe.train.test_split},
        **({"validation_warning": warning} if (warning := validation_warning(recipe.train)) else {}),
        **({"validation_note": note} if (note := validation_note(recipe.train)) else {}),
        "sizes": run_data.sizes,
        "class_counts": run_data.class_counts,
        **tasks.of(recipe).run_meta(recipe),  # what rebuilds the task's network (tasks.build_model)
        "fingerprint": fingerprint.make(recipe, info),
        # The ink front runs in the pipelines; tasks.build_model puts it in the exported graph.
        **({"front": recipe.data.pipeline.front} if recipe.data.pipeline.front != "none" else {}),
        "tricks": tricks.used(recipe),  # the modern training tricks and their values (0/false: off)
    }


def evaluation_batches(ds: tf.data.Dataset, recipe: Recipe, batch_size: int = EVAL_BATCH) -> tf.data.Dataset:
    """Unaugmented batches of a split for validation and the report: (images, labels), or (images, masks)."""
    return tasks.of(recipe).evaluation_batches(ds, recipe, batch_size)


def build_models(meta: dict, recipe: Recipe):
    """The training model (auxiliary heads, L2 decay on its kernels) and the inference model sharing it."""
    for key in ("input_shape", "num_classes", "keras_module"):
        if key in recipe.model.options:
            raise CnnappError(f"model.options.{key} is not an option: it comes from [data] and the dataset")
    for key in ("include_top", "pooling"):  # a run trains a classifier; its backbone is models.build's
        if key in recipe.model.options:
            raise CnnappError(f"model.options.{key} is not a training option: a run trains a classifier")
    model = tasks.build_model(meta, keras, training=True)
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
    model.compile(
        optimizer=make_optimizer(recipe.optimizer, schedule),
        jit_compile=device.jit,
        **tasks.of(recipe).compile_arguments(model, recipe),
    )
    return schedule


def with_targets(dataset: tf.data.Dataset, output_names) -> tf.data.Dataset:
    """Give every model output the label: `(x, y)` → `(x, {name: y, ...})` for a multi-output model."""
    names = list(output_names)
    if len(names) == 1:
        return dataset
    return dataset.map(lambda x, y: (x, {name: y for name in names}), num_parallel_calls=tf.data.AUTOTUNE)
