"""tf.distribute for cnnapp runs: from one device to many GPUs to many workers.

    strategy = make_strategy("auto")                       # mirrored when there is more than one GPU
    report = train_distributed(recipe, "runs/x", "multi-worker")   # reads TF_CONFIG

Strategies (`python -m cnnapp.train --strategy ...`):
    auto          MirroredStrategy when more than one GPU is visible, else the default (one device)
    one-device    OneDeviceStrategy on the first GPU, or the CPU
    mirrored      MirroredStrategy: every local GPU holds a replica, gradients all-reduced each step
    multi-worker  MultiWorkerMirroredStrategy: the cluster in the TF_CONFIG environment variable, one or more
                  replicas per worker, gradients all-reduced across workers

The first three run the ordinary Keras `fit` loop (`cnnapp.training.train_and_evaluate`) with the model built
under the strategy's scope; Keras splits each global batch across the replicas. Multi-worker runs a custom
training step (`cnnapp.training.multiworker`), because Keras 3 `fit` fails under MultiWorkerMirroredStrategy
(keras-team/keras#20585).

`train.batch_size` is always the *global* batch: more replicas means fewer examples each, not a larger batch.
A larger global batch is a recipe change, and then the linear scaling rule applies (`linear_scaling`).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

from cnnapp.choices import STRATEGIES
from cnnapp.errors import CnnappError, unknown

# Goyal et al. 2017 warm up over the first 5 epochs when they scale the learning rate for a larger batch.
GOYAL_WARMUP_EPOCHS = 5.0


def make_strategy(name: str = "auto", gpus: int | None = None):
    """The tf.distribute strategy called `name` (see STRATEGIES).

    Must be called before TensorFlow runs any op in a multi-worker process: MultiWorkerMirroredStrategy sets
    up the cluster's collective ops when it is created.

    Args:
        name: a strategy name.
        gpus: the number of visible GPUs (default: as TensorFlow sees them).
    """
    import tensorflow as tf

    if name not in STRATEGIES:
        raise unknown("strategy", name, STRATEGIES)
    if name == "multi-worker":
        from cnnapp.training.multiworker import cluster_spec  # runs no TensorFlow op: safe here

        cluster_spec()  # a clear error for a missing or malformed TF_CONFIG before TensorFlow's own
        # The ring all-reduce works on CPUs and GPUs alike; NCCL (GPU only) is picked by AUTO where present.
        options = tf.distribute.experimental.CommunicationOptions(
            implementation=tf.distribute.experimental.CommunicationImplementation.AUTO
        )
        return tf.distribute.MultiWorkerMirroredStrategy(communication_options=options)
    if gpus is None:
        gpus = len(tf.config.list_physical_devices("GPU"))
    if name == "mirrored" or (name == "auto" and gpus > 1):
        return tf.distribute.MirroredStrategy()
    if name == "one-device":
        return tf.distribute.OneDeviceStrategy("/gpu:0" if gpus else "/cpu:0")
    return tf.distribute.get_strategy()  # auto on one device: the default strategy, no wrapping at all


def linear_scaling(recipe, reference_batch: int | None = None):
    """The recipe with Goyal et al.'s linear scaling rule applied to its learning rate when its batch differs.

    "When the minibatch size is multiplied by k, multiply the learning rate by k" (Goyal et al. 2017,
    Accurate, Large Minibatch SGD), with a gradual warm-up over the first epochs so that the large rate does
    not blow up the early, fast-changing weights: lr = optimizer.lr · batch_size / reference_batch, and
    `schedule.warmup` of 5 epochs when the recipe has none and the rate grows. The result records the batch
    its rate is now tuned for as its `reference_batch`, so applying the rule again (to a run's saved
    effective recipe, on resume) changes nothing.

    Args:
        recipe: the frozen recipe; its `optimizer.lr` is the rate tuned for `reference_batch` per step.
        reference_batch: the batch size `optimizer.lr` was tuned for; None reads the recipe's
            `optimizer.reference_batch` field (0 or absent: the rule is off and the recipe is returned as is).

    Returns:
        The (new, frozen) recipe.
    """
    if reference_batch is None:
        reference_batch = recipe.optimizer.reference_batch
    if reference_batch < 0:
        raise CnnappError(
            f"the reference batch of the linear scaling rule must be ≥ 0; got {reference_batch}"
        )
    batch = recipe.train.batch_size
    if not reference_batch or batch == reference_batch:
        return recipe
    factor = batch / reference_batch
    optimizer = dataclasses.replace(recipe.optimizer, lr=recipe.optimizer.lr * factor, reference_batch=batch)
    schedule = recipe.schedule
    if factor > 1 and schedule.warmup == 0:
        warmup = GOYAL_WARMUP_EPOCHS if schedule.unit == "epochs" else _warmup_steps(recipe)
        schedule = dataclasses.replace(schedule, warmup=warmup)
    return dataclasses.replace(recipe, optimizer=optimizer, schedule=schedule)


def _warmup_steps(recipe) -> float:
    # A recipe counting in steps (ResNet's CIFAR schedule) gets 5 epochs' worth of steps; without the
    # dataset's size at hand, the recipe's steps_per_epoch when set, else Goyal's ImageNet figure (5 · 1.28M /
    # batch).
    per_epoch = recipe.train.steps_per_epoch or max(1, round(1_281_167 / recipe.train.batch_size))
    return GOYAL_WARMUP_EPOCHS * per_epoch


def train_distributed(recipe, run_dir: str | Path, strategy: str = "auto", **kwargs) -> dict:
    """Train `recipe` into `run_dir` under the strategy named `strategy`; returns the report.

    Args:
        recipe: the frozen recipe (`train.batch_size` is the global batch).
        run_dir: the run folder; for multi-worker, a folder every worker can read (a shared file system),
            which the chief writes and every worker resumes from.
        strategy: a name of STRATEGIES.
        **kwargs: passed to `train_and_evaluate` (resume, verbose, precision, jit).
    """
    recipe = linear_scaling(recipe)
    tf_strategy = make_strategy(strategy)
    if strategy == "multi-worker":
        from cnnapp.training.multiworker import train_multi_worker

        return train_multi_worker(recipe, run_dir, tf_strategy, **kwargs)
    from cnnapp.training.loop import train_and_evaluate

    # Keras captures the strategy a model is built under and distributes `fit`'s batches over its replicas.
    return train_and_evaluate(recipe, run_dir, strategy=tf_strategy, strategy_name=strategy, **kwargs)
