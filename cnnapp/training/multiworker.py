"""Multi-worker training: a `strategy.run` step on the Keras 3 model under MultiWorkerMirroredStrategy.

Why a custom step and not `fit`: Keras 3 `fit` fails under MultiWorkerMirroredStrategy
(keras-team/keras#20585). Of the two routes that work — this step on the Keras 3 model, or tf_keras `fit` on
the model's tf_keras twin — this one keeps everything else a run is made of: the same Keras 3 model and custom
layers, the recipe's optimizer, schedule and L2 decay (`cnnapp.training.setup`, `optimizers`, `schedules`),
the same checkpoints and resume state (`cnnapp.training.state`), so a multi-worker run folder is an ordinary
run folder that evaluate, export and resume read as they read any other. The twin would need a second
optimizer/schedule stack and a weight copy at every checkpoint.

The step: each replica computes its slice's loss, averaged over the *global* batch
(`tf.nn.compute_average_loss`) with the L2 term divided by the replica count, so that the Keras optimizer's
all-reduce *sum* of the replicas' gradients is exactly the gradient of the whole batch's mean loss, as on one
device. Under mixed float16 the loss is scaled by the `LossScaleOptimizer` (Keras's `compile` wraps the
optimizer) and the gradients unscaled in `apply`, which skips a step whose gradients overflowed.

The data: every worker builds the same global batches (the training pipeline's epoch k depends only on the
seed and k) and keeps its own slice of each, so the workers see disjoint shards, every global batch is the one
a single-device run would see, and a resumed worker rejoins on the same batch as the others. The cost is that
every worker augments the whole batch; for the small datasets cnnapp ships this is cheaper than a second,
sharded pipeline.

The rest of a run (lock, checks, data, model, resume, callbacks, report) is the scaffold every loop shares
(`cnnapp.training.core`); this module holds the step loop, the workers' data slices, and the cluster helpers
(`cluster_spec`, `is_chief`).

Fault tolerance: after every epoch the chief saves the run's checkpoints and resume state (`state.py`, written
atomically); a killed worker takes its peers' collectives down with it, and the cluster restarted with the
same command resumes every worker from the chief's last state (the run folder must be on storage all workers
read).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import tensorflow as tf

from cnnapp import evaluation, tasks
from cnnapp.errors import CnnappError
from cnnapp.training import core, setup


def cluster_spec() -> dict:
    """The TF_CONFIG environment variable, checked: {"cluster": {"worker": [...], ...}, "task": {...}}.

    Every worker runs the same command with its own TF_CONFIG, which lists every worker's host:port and says
    which one this process is, e.g.
    `{"cluster": {"worker": ["10.0.0.1:12345", "10.0.0.2:12345"]}, "task": {"type": "worker", "index": 0}}`.
    """
    raw = os.environ.get("TF_CONFIG")
    if not raw:
        raise CnnappError(
            "--strategy multi-worker needs the TF_CONFIG environment variable (the cluster's "
            "workers and this one's index); see the README's multi-worker section"
        )
    try:
        config = json.loads(raw)
    except json.JSONDecodeError as error:
        raise CnnappError(f"TF_CONFIG is not valid JSON ({error}); write it as in the README") from None
    cluster = config.get("cluster") if isinstance(config, dict) else None
    task = config.get("task") if isinstance(config, dict) else None
    if not isinstance(cluster, dict) or not cluster.get("worker") or not isinstance(task, dict):
        raise CnnappError('TF_CONFIG needs "cluster" with a "worker" list and "task" with "type" and "index"')
    kind, index = task.get("type"), task.get("index")
    if kind not in cluster or not isinstance(index, int) or not 0 <= index < len(cluster[kind]):
        raise CnnappError(f"TF_CONFIG's task {task} is not in its cluster {cluster}")
    return config


def is_chief(strategy) -> bool:
    """Whether this process writes the run folder: the "chief" task, or worker 0 when there is none."""
    resolver = getattr(strategy, "cluster_resolver", None)
    if resolver is None or not resolver.task_type:
        return True
    if resolver.task_type == "chief":
        return True
    has_chief = "chief" in resolver.cluster_spec().as_dict()
    return resolver.task_type == "worker" and resolver.task_id == 0 and not has_chief


def train_multi_worker(recipe, run_dir, strategy, **kwargs) -> dict:
    """`fit_multi_worker` without the model: the report (written to report.json by the chief)."""
    return fit_multi_worker(recipe, run_dir, strategy, **kwargs)[0]


def fit_multi_worker(
    recipe,
    run_dir: str | Path,
    strategy,
    *,
    resume: bool | None = None,
    verbose: int | str = 2,
    precision: str | None = None,
    jit: str | None = None,
):
    """Train `recipe` with `strategy` (any tf.distribute strategy; MultiWorkerMirroredStrategy is the point).

    Args:
        recipe: the frozen recipe; `train.batch_size` is the global batch, divided evenly among the replicas.
        run_dir: the run folder, locked and written by the chief, read by every worker when resuming.
        strategy: the strategy, created before any other TensorFlow op ran in this process.
        resume: None resumes from the run folder's state when there is one; False refuses a folder that holds
            a run; True requires a state.
        verbose: 0 silent, otherwise a line per epoch (from the chief).
        precision: override of `train.precision`.
        jit: override of `train.jit`.

    Returns:
        (report, training model).
    """
    replicas, batch = int(strategy.num_replicas_in_sync), recipe.train.batch_size
    if batch % replicas:
        raise CnnappError(
            f"train.batch_size {batch} does not split evenly over {replicas} replicas; "
            f"choose a multiple of {replicas}"
        )
    return core.train(
        recipe,
        run_dir,
        StrategyLoop(),
        strategy,
        chief=is_chief(strategy),
        resume=resume,
        verbose=verbose,
        precision=precision,
        jit=jit,
    )


class StrategyLoop:
    """The epochs as a `strategy.run` step loop that calls the scaffold's callbacks as `fit` would."""

    name = "multi-worker"

    def steps_per_epoch(self, recipe, train_size: int) -> int:
        # Whole global batches only: every step all replicas hold equal slices, and no example is seen twice.
        tasks.of(recipe).check_loop(self.name)  # asked before anything is written
        batch = recipe.train.batch_size
        steps = setup.steps_per_epoch(recipe, train_size, drop_remainder=True)
        if steps < 1:
            raise CnnappError(f"train.batch_size {batch} is larger than the {train_size} training examples")
        return steps

    def run(self, session: core.Session, callbacks) -> None:
        recipe, model, strategy, steps = session.recipe, session.model, session.strategy, session.steps
        batch, epochs = recipe.train.batch_size, recipe.train.epochs
        if session.initial_step:  # its epochs are whole: a step's resume point is the fit loop's
            raise CnnappError(
                f"{session.run.state_file} is the resume point of a run stopped inside epoch "
                f"{session.initial_epoch + 1}; resume it with --strategy auto, one-device or mirrored"
            )
        if recipe.transfer.unfreeze_epoch:  # its step is traced once, over phase 1's trainable weights
            raise CnnappError(
                "two-phase fine-tuning (transfer.unfreeze_epoch) runs on --strategy auto, one-device "
                "or mirrored; train the phases as two runs on multi-worker"
            )
        if recipe.batch_augment.active:  # its step takes integer labels only
            raise CnnappError(
                "[batch_augment] (RandAugment, AugMix, random erasing, MixUp, CutMix) runs on --strategy "
                "auto, one-device or mirrored; drop it for multi-worker"
            )
        hooks = _Hooks(callbacks, model)
        train_step = _train_step(strategy, model, model.optimizer, recipe, batch, session.device.jit)
        validation = session.validation_batches()
        hooks.on_train_begin({})
        for epoch in range(session.initial_epoch, epochs):
            hooks.on_epoch_begin(epoch, {})
            slices = _worker_batches(session.data.train, recipe, epoch, steps)
            batches = iter(strategy.distribute_datasets_from_function(slices))
            loss = correct = 0.0
            for _ in range(steps):
                step_loss, step_correct = train_step(batches)
                loss, correct = loss + float(step_loss), correct + float(step_correct)
            hooks.on_test_begin({})
            # Every worker holds the same weights: each validates on its own, with no collective to wait for.
            probs, labels = evaluation.probabilities(session.inference, validation)
            hooks.on_test_end({})
            # In float32, as Keras's metrics hold them: the plateau schedule and the best checkpoint compare
            # the same numbers as on the fit path.
            logs = {
                "loss": float(np.float32(loss / steps)),
                "accuracy": float(np.float32(correct / (steps * batch))),
                "val_accuracy": float(np.float32(evaluation.scores(probs, labels)["top1_accuracy"])),
            }
            hooks.on_epoch_end(epoch, logs)
            if session.chief and session.verbose:
                print(
                    f"epoch {epoch + 1}/{epochs}: loss {logs['loss']:.4f}, accuracy {logs['accuracy']:.4f}, "
                    f"val_accuracy {logs['val_accuracy']:.4f}, {logs['images_per_second']:.0f} images/s "
                    f"on {strategy.num_replicas_in_sync} replicas",
                    flush=True,
                )
        hooks.on_train_end({})


class _Hooks:
    """Calls a hook on every callback in order with one shared `logs` dict, as `fit` does: the epoch clock's
    `images_per_second` reaches the log and this loop's print. (`keras.callbacks.CallbackList` would hand
    each hook a copy.)"""

    def __init__(self, callbacks, model):
        self.callbacks = list(callbacks)
        for callback in self.callbacks:
            callback.set_model(model)

    def __getattr__(self, hook: str):
        def call(*args):
            for callback in self.callbacks:
                getattr(callback, hook)(*args)

        return call


def _worker_batches(train, recipe, epoch: int, steps: int):
    """The dataset function of `distribute_datasets_from_function`: this worker's slices of epoch `epoch`."""
    cfg, batch, seed = recipe.data.pipeline, recipe.train.batch_size, recipe.train.seed

    def dataset_fn(context: tf.distribute.InputContext) -> tf.data.Dataset:
        per_replica = context.get_per_replica_batch_size(batch)
        per_worker = batch // context.num_input_pipelines
        start = context.input_pipeline_id * per_worker
        global_batches = (
            tasks.of(recipe)
            .training_pipeline(train, cfg, batch, seed, epoch=epoch, epochs=1, drop_remainder=True)
            .take(steps)
        )
        mine = global_batches.map(lambda x, y: (x[start : start + per_worker], y[start : start + per_worker]))
        if per_replica == per_worker:
            return mine
        # Several local replicas: each takes the next per-replica slice of the worker's part, in order.
        return mine.rebatch(per_replica)

    return dataset_fn


def _train_step(strategy, model, optimizer, recipe, global_batch: int, jit: bool):
    names = list(model.output_names)
    weights = [1.0] + [recipe.train.aux_loss_weight] * (len(names) - 1)
    loss_fn = tasks.of(recipe).loss(recipe, reduction=None)  # the compiled loop's loss, per example

    def per_example_loss(labels, probs):
        return loss_fn(labels, tf.cast(probs, tf.float32))

    def replica_step(images, labels):
        with tf.GradientTape() as tape:
            outputs = model(images, training=True)
            outputs = outputs if isinstance(outputs, list | tuple) else [outputs]
            per_example = tf.add_n(
                [w * per_example_loss(labels, out) for w, out in zip(weights, outputs, strict=True)]
            )
            loss = tf.nn.compute_average_loss(per_example, global_batch_size=global_batch)
            if model.losses:  # the recipe's L2 weight decay, counted once across the replicas
                loss += tf.nn.scale_regularization_loss(tf.add_n(model.losses))
            scaled = optimizer.scale_loss(loss) if hasattr(optimizer, "scale_loss") else loss
        grads = tape.gradient(scaled, model.trainable_variables)
        optimizer.apply(grads, model.trainable_variables)  # all-reduces (sums) the replicas' gradients
        predicted = tf.argmax(tf.cast(outputs[0], tf.float32), axis=-1, output_type=tf.int32)
        correct = tf.reduce_sum(tf.cast(tf.equal(predicted, tf.cast(labels, tf.int32)), tf.float32))
        return loss, correct

    @tf.function(jit_compile=False)  # XLA applies inside the replica step, not around the collectives
    def step(iterator):
        images, labels = next(iterator)
        loss, correct = strategy.run(tf.function(replica_step, jit_compile=jit), args=(images, labels))
        return (
            strategy.reduce(tf.distribute.ReduceOp.SUM, loss, axis=None),
            strategy.reduce(tf.distribute.ReduceOp.SUM, correct, axis=None),
        )

    return step
