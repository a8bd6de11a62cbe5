"""`train_and_evaluate(recipe, run_dir)`: one run, from a recipe to a run folder and its report.

The loop is Keras `fit` with Keras callbacks (progress bar, CSVLogger, TensorBoard) and cnnapp's own three:
the plateau schedule, the epoch clock and the checkpoint/resume writer (state.py).
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
from cnnapp.recipes import Recipe, load_recipe
from cnnapp.training import device as devices
from cnnapp.training import evaluation, setup
from cnnapp.training.schedules import PlateauCut
from cnnapp.training.state import (
    STATE_FILE,
    EpochClock,
    RunCheckpoint,
    load_state,
    read_extra,
    tensorboard_callback,
)


def run_state(run_dir: str | Path) -> dict | None:
    """The resume state's JSON part (epochs done, schedule, best) of the run in `run_dir`, or None."""
    path = Path(run_dir) / STATE_FILE
    return read_extra(path) if path.is_file() else None


def train_and_evaluate(
    recipe: Recipe,
    run_dir: str | Path,
    *,
    resume: bool | None = None,
    verbose: int | str = "auto",
    precision: str | None = None,
    jit: str | None = None,
) -> dict:
    """Train `recipe` into `run_dir`, evaluate its best checkpoint on the test split, return the report.

    Args:
        recipe: the frozen recipe.
        run_dir: the run folder (created; see docs/architecture.md, "Runs").
        resume: None resumes when `run_dir` holds a resume state and starts afresh otherwise; True requires a
            state to resume; False refuses a folder that already holds a run (its files are left intact).
        verbose: Keras `fit`'s verbosity (1: progress bar, 2: a line per epoch, 0: silent).
        precision: override of `train.precision` (see `cnnapp.training.device.choose`).
        jit: override of `train.jit`.

    Returns:
        The report written to `report.json`: top-1/top-5 accuracy and error of the best checkpoint on the test
        split, epochs, training time, images per second, the device.
    """
    run_dir = Path(run_dir)
    state = _check_run_dir(recipe, run_dir, resume)
    device = devices.choose(precision or recipe.train.precision, jit or recipe.train.jit)
    device.apply()
    keras.utils.set_random_seed(recipe.train.seed)
    if recipe.train.deterministic:
        tf.config.experimental.enable_op_determinism()

    run_data = setup.load_data(recipe)
    meta_path = run_dir / "run.json"
    if state is not None and meta_path.is_file():
        meta = json.loads(meta_path.read_text())  # the statistics the saved weights were trained with
    else:
        meta = setup.run_meta(recipe, run_data, setup.normalization(recipe, run_data))
    cio.write_text(run_dir / "recipe.toml", recipe.to_toml())
    cio.write_json(meta_path, meta)

    model, inference = setup.build_models(meta, recipe)
    steps = setup.steps_per_epoch(recipe, run_data.sizes["train"])
    schedule = setup.compile_model(model, recipe, device, steps)
    plateau = PlateauCut(schedule)
    images_per_epoch = min(steps * recipe.train.batch_size, run_data.sizes["train"])
    clock = EpochClock(images_per_epoch)
    checkpoint = RunCheckpoint(run_dir, inference, plateau, clock)

    initial_epoch = 0
    if state is not None:
        extra = load_state(run_dir / STATE_FILE, model, model.optimizer)
        initial_epoch = int(extra["epochs_done"])
        plateau.restore(extra["plateau"])
        clock.restore(extra["clock"])
        checkpoint.best, checkpoint.best_epoch = float(extra["best"]), int(extra["best_epoch"])
    _truncate_log(run_dir / "log.csv", initial_epoch)

    epochs = recipe.train.epochs
    cfg = recipe.data.pipeline
    if initial_epoch < epochs:
        train = _training_batches(run_data.train, recipe, initial_epoch, steps)
        validation = cdata.evaluation_pipeline(run_data.validation, cfg, setup.EVAL_BATCH)
        names = model.output_names
        callbacks = [clock, plateau]
        if recipe.optimizer.ema:  # validate with the Polyak averages, as the final model will be
            callbacks.append(keras.callbacks.SwapEMAWeights())
        callbacks += [
            keras.callbacks.CSVLogger(str(run_dir / "log.csv"), append=True),
            tensorboard_callback(run_dir / "tensorboard"),
            checkpoint,
        ]
        model.fit(
            setup.with_targets(train, names),
            epochs=epochs,
            initial_epoch=initial_epoch,
            steps_per_epoch=steps,
            validation_data=setup.with_targets(validation, names),
            callbacks=callbacks,
            verbose=verbose,
        )

    report = _report(recipe, run_dir, run_data, meta, device, clock, checkpoint)
    cio.write_json(run_dir / "report.json", report)
    return report


def _check_run_dir(recipe: Recipe, run_dir: Path, resume: bool | None) -> dict | None:
    """The resume state to continue from (or None), after checking the folder fits the recipe."""
    state = run_state(run_dir)
    if resume is True and state is None:
        raise CnnappError(
            f"nothing to resume in {run_dir} (no {STATE_FILE}); drop --resume to start a run there"
        )
    occupied = (run_dir / "recipe.toml").is_file()
    if resume is False and occupied:
        raise CnnappError(f"{run_dir} already holds a run; choose another --out, or resume it with --resume")
    if occupied and state is None and (run_dir / "report.json").is_file():
        raise CnnappError(f"{run_dir} already holds a finished run; choose another --out")
    if occupied:
        saved = load_recipe(run_dir / "recipe.toml").to_dict()
        mine = recipe.to_dict()
        saved["train"].pop("epochs"), mine["train"].pop("epochs")  # a resumed run may be extended
        if saved != mine:
            changed = sorted(
                f"{s}.{k}"
                for s in mine
                if isinstance(mine[s], dict)
                for k in mine[s]
                if mine[s][k] != saved.get(s, {}).get(k)
            )
            raise CnnappError(
                f"{run_dir} holds a run of a different recipe (differs in {', '.join(changed) or 'name'})"
                "; choose another --out"
            )
    if (
        state is not None
        and state["epochs_done"] >= recipe.train.epochs
        and (run_dir / "report.json").is_file()
    ):
        raise CnnappError(
            f"{run_dir} already finished its {recipe.train.epochs} epochs; raise train.epochs to go on"
        )
    return state


def _training_batches(
    train: tf.data.Dataset, recipe: Recipe, initial_epoch: int, steps: int
) -> tf.data.Dataset:
    """Epochs initial_epoch.. of the training pipeline; each cut to `steps` batches if the recipe says."""
    cfg, batch, seed = recipe.data.pipeline, recipe.train.batch_size, recipe.train.seed
    remaining = recipe.train.epochs - initial_epoch
    if not recipe.train.steps_per_epoch:
        return cdata.training_pipeline(train, cfg, batch, seed, epoch=initial_epoch, epochs=remaining)
    # Epoch k's batches depend on (seed, k) only, so a cut epoch is its own pipeline's first `steps` batches.
    parts = [
        cdata.training_pipeline(train, cfg, batch, seed, epoch=k, epochs=1).take(steps)
        for k in range(initial_epoch, recipe.train.epochs)
    ]
    out = parts[0]
    for part in parts[1:]:
        out = out.concatenate(part)
    return out


def _truncate_log(path: Path, epochs_done: int) -> None:
    """Drop log rows of epochs the resumed run will redo (a kill after the row, before the state)."""
    if not path.is_file():
        return
    rows = list(csv.reader(io.StringIO(path.read_text())))
    if not rows:
        return
    kept = [rows[0]] + [r for r in rows[1:] if r and int(r[0]) < epochs_done]
    if len(kept) != len(rows):
        buffer = io.StringIO()
        csv.writer(buffer, lineterminator="\n").writerows(kept)
        cio.write_text(path, buffer.getvalue())


def _report(recipe, run_dir, run_data, meta, device, clock, checkpoint) -> dict:
    from cnnapp import models

    best = run_dir / "checkpoints" / "best.keras"
    which = "best" if best.is_file() else "last"
    model = models.load(run_dir / "checkpoints" / f"{which}.keras")
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
        "images_per_second": float(f"{clock.images / max(clock.seconds, 1e-9):.4g}"),
        "eval_images_per_second": float(f"{len(labels) / max(eval_seconds, 1e-9):.4g}"),
        "parameters": int(model.count_params()),
        "device": device.describe(),
        "num_classes": meta["num_classes"],
    }
