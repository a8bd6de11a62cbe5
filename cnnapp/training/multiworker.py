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

Fault tolerance: after every epoch the chief saves the run's checkpoints and resume state (`state.py`, written
atomically); a killed worker takes its peers' collectives down with it, and the cluster restarted with the
same command resumes every worker from the chief's last state (the run folder must be on storage all workers
read).
"""

from __future__ import annotations

import csv
import io
import json
import time
from pathlib import Path

import keras
import tensorflow as tf

from cnnapp import data as cdata
from cnnapp import io as cio
from cnnapp.errors import CnnappError
from cnnapp.training import device as devices
from cnnapp.training import evaluation, setup
from cnnapp.training.distribute import is_chief
from cnnapp.training.schedules import PlateauCut
from cnnapp.training.state import STATE_FILE, EpochClock, RunCheckpoint, load_state, read_extra


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
        run_dir: the run folder, written by the chief and read by every worker when resuming.
        strategy: the strategy, created before any other TensorFlow op ran in this process.
        resume: None resumes from the run folder's state when there is one; False refuses a folder that holds
            a run; True requires a state.
        verbose: 0 silent, otherwise a line per epoch (from the chief).
        precision: override of `train.precision`.
        jit: override of `train.jit`.

    Returns:
        (report, training model).
    """
    run_dir = Path(run_dir)
    chief = is_chief(strategy)
    replicas = int(strategy.num_replicas_in_sync)
    batch = recipe.train.batch_size
    if batch % replicas:
        raise CnnappError(
            f"train.batch_size {batch} does not split evenly over {replicas} replicas; "
            f"choose a multiple of {replicas}"
        )
    state_path = run_dir / STATE_FILE
    state = read_extra(state_path) if state_path.is_file() else None
    if resume is True and state is None:
        raise CnnappError(f"nothing to resume in {run_dir} (no {STATE_FILE})")
    if resume is False and (run_dir / "recipe.toml").is_file():
        raise CnnappError(f"{run_dir} already holds a run; choose another --out")
    _check_same_recipe(recipe, run_dir)

    device = devices.choose(precision or recipe.train.precision, jit or recipe.train.jit)
    device.apply()
    keras.utils.set_random_seed(recipe.train.seed)
    if recipe.train.deterministic:
        tf.config.experimental.enable_op_determinism()
    run_data = setup.load_data(recipe)
    meta_path = run_dir / "run.json"
    if state is not None and meta_path.is_file():
        meta = json.loads(meta_path.read_text())
    else:
        meta = setup.run_meta(recipe, run_data, setup.normalization(recipe, run_data))
    if chief:
        cio.write_text(run_dir / "recipe.toml", recipe.to_toml())
        cio.write_json(meta_path, meta)

    # Whole global batches only: every step all replicas hold equal slices, and no example is seen twice.
    steps = run_data.sizes["train"] // batch
    if recipe.train.steps_per_epoch:
        steps = min(steps, recipe.train.steps_per_epoch)
    if steps < 1:
        raise CnnappError(
            f"train.batch_size {batch} is larger than the {run_data.sizes['train']} training examples"
        )
    with strategy.scope():
        model, inference = setup.build_models(meta, recipe)
        schedule = setup.compile_model(model, recipe, device, steps)
        optimizer = model.optimizer  # a LossScaleOptimizer under mixed_float16
        optimizer.build(model.trainable_variables)
    plateau = PlateauCut(schedule)
    plateau.set_model(model)
    clock = EpochClock(steps * batch)
    checkpoint = RunCheckpoint(run_dir, inference, plateau, clock)
    checkpoint.set_model(model)

    initial_epoch = 0
    if state is not None:
        extra = load_state(state_path, model, optimizer)
        initial_epoch = int(extra["epochs_done"])
        plateau.restore(extra["plateau"])
        clock.restore(extra["clock"])
        checkpoint.best, checkpoint.best_epoch = float(extra["best"]), int(extra["best_epoch"])

    train_step = _train_step(strategy, model, optimizer, recipe, batch, device.jit)
    validation = cdata.evaluation_pipeline(run_data.validation, recipe.data.pipeline, setup.EVAL_BATCH)
    for epoch in range(initial_epoch, recipe.train.epochs):
        clock.on_epoch_begin(epoch)
        batches = iter(
            strategy.distribute_datasets_from_function(_worker_batches(run_data.train, recipe, epoch, steps))
        )
        loss = correct = 0.0
        for _ in range(steps):
            step_loss, step_correct = train_step(batches)
            loss, correct = loss + float(step_loss), correct + float(step_correct)
        clock.on_test_begin()
        # Every worker holds the same weights, so each validates on its own, with no collective to wait on.
        probs, labels = evaluation.probabilities(inference, validation)
        logs = {
            "loss": loss / steps,
            "accuracy": correct / (steps * batch),
            "val_accuracy": evaluation.scores(probs, labels)["top1_accuracy"],
        }
        clock.on_epoch_end(epoch, logs)
        plateau.on_epoch_end(epoch, logs)
        if chief:
            checkpoint.on_epoch_end(epoch, logs)
            _log_row(run_dir / "log.csv", epoch, logs)
            if verbose:
                print(
                    f"epoch {epoch + 1}/{recipe.train.epochs}: loss {logs['loss']:.4f}, accuracy "
                    f"{logs['accuracy']:.4f}, val_accuracy {logs['val_accuracy']:.4f}, "
                    f"{logs['images_per_second']:.0f} images/s on {replicas} replicas",
                    flush=True,
                )

    report = _report(recipe, run_dir, run_data, meta, device, clock, checkpoint, inference, chief)
    report.update(
        {
            "strategy": "multi-worker",
            "replicas": replicas,
            "global_batch": batch,
            "resumed_from_epoch": initial_epoch,
        }
    )
    if chief:
        cio.write_json(run_dir / "report.json", report)
    return report, model


def _check_same_recipe(recipe, run_dir: Path) -> None:
    """Refuse to resume a run of another recipe (a resumed run may only be given more epochs)."""
    if not (run_dir / "recipe.toml").is_file():
        return
    from cnnapp.recipes import load_recipe

    saved, mine = load_recipe(run_dir / "recipe.toml").to_dict(), recipe.to_dict()
    saved["train"].pop("epochs"), mine["train"].pop("epochs")
    if saved != mine:
        changed = sorted(
            f"{s}.{k}"
            for s in mine
            if isinstance(mine[s], dict)
            for k in mine[s]
            if mine[s][k] != saved.get(s, {}).get(k)
        )
        raise CnnappError(
            f"{run_dir} holds a run of a different recipe (differs in {', '.join(changed) or 'name'}); "
            "choose another --out"
        )


def _worker_batches(train, recipe, epoch: int, steps: int):
    """The dataset function of `distribute_datasets_from_function`: this worker's slices of epoch `epoch`."""
    cfg, batch, seed = recipe.data.pipeline, recipe.train.batch_size, recipe.train.seed

    def dataset_fn(context: tf.distribute.InputContext) -> tf.data.Dataset:
        per_replica = context.get_per_replica_batch_size(batch)
        per_worker = batch // context.num_input_pipelines
        start = context.input_pipeline_id * per_worker
        global_batches = cdata.training_pipeline(
            train, cfg, batch, seed, epoch=epoch, epochs=1, drop_remainder=True
        ).take(steps)
        mine = global_batches.map(lambda x, y: (x[start : start + per_worker], y[start : start + per_worker]))
        if per_replica == per_worker:
            return mine
        # Several local replicas: each takes the next per-replica slice of the worker's part, in order.
        return mine.rebatch(per_replica)

    return dataset_fn


def _train_step(strategy, model, optimizer, recipe, global_batch: int, jit: bool):
    names = list(model.output_names)
    weights = [1.0] + [recipe.train.aux_loss_weight] * (len(names) - 1)
    smoothing = recipe.train.label_smoothing

    def per_example_loss(labels, probs):
        probs = tf.cast(probs, tf.float32)
        if smoothing:
            targets = tf.one_hot(labels, tf.shape(probs)[-1])
            return keras.losses.categorical_crossentropy(targets, probs, label_smoothing=smoothing)
        return keras.losses.sparse_categorical_crossentropy(labels, probs)

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


def _log_row(path: Path, epoch: int, logs: dict) -> None:
    """Append an epoch row to log.csv (the columns Keras's CSVLogger writes for a single-machine run)."""
    keys = sorted(logs)
    rows = []
    if path.is_file():
        rows = [r for r in csv.reader(io.StringIO(path.read_text())) if r]
        rows = rows[:1] + [r for r in rows[1:] if int(r[0]) < epoch]  # a resumed run redoes later epochs
    if not rows:
        rows = [["epoch", *keys]]
    rows.append([str(epoch), *(repr(float(logs[k])) for k in keys)])
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    cio.write_text(path, buffer.getvalue())


def _report(recipe, run_dir, run_data, meta, device, clock, checkpoint, inference, chief) -> dict:
    """Test-split scores of the best checkpoint (the final weights on workers that did not write one)."""
    import cnnapp.models  # noqa: F401  (registers cnnapp's custom layers for loading)

    best = run_dir / "checkpoints" / "best.keras"
    which = "best" if chief and best.is_file() else "last"
    # compile=False: the checkpoint's optimizer state is in resume.npz; only the inference graph is needed
    # here.
    model = keras.saving.load_model(best, compile=False) if which == "best" else inference
    test = cdata.evaluation_pipeline(run_data.test, recipe.data.pipeline, setup.EVAL_BATCH)
    start = time.perf_counter()
    probs, labels = evaluation.probabilities(model, test)
    eval_seconds = time.perf_counter() - start
    return {
        "recipe": recipe.name,
        "architecture": recipe.model.architecture,
        "dataset": recipe.data.dataset,
        "split": recipe.train.test_split,
        "checkpoint": which,
        "best_epoch": checkpoint.best_epoch,
        "best_validation_error": checkpoint.best if checkpoint.best_epoch else None,
        "validation": run_data.validation_name,
        **evaluation.scores(probs, labels),
        "epochs": recipe.train.epochs,
        "train_examples": run_data.sizes["train"],
        "class_counts": run_data.class_counts,
        "train_seconds": round(clock.seconds, 3),
        "images_per_second": round(clock.images / max(clock.seconds, 1e-9), 1),
        "eval_images_per_second": round(len(labels) / max(eval_seconds, 1e-9), 1),
        "parameters": int(model.count_params()),
        "device": device.describe(),
        "num_classes": meta["num_classes"],
    }
