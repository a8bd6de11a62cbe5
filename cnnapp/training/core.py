"""The training scaffold every strategy shares: a recipe in, a locked run folder and a report out.

    report, model = train(recipe, "runs/x", FitLoop())                 # Keras `fit` (loop.py)
    report, model = train(recipe, "runs/x", StrategyLoop(), strategy)  # `strategy.run` (multiworker.py)

One run, in this order, whatever the loop:
1. lock the folder (the chief only: in a multi-worker run the folder is shared) and remove temp files a killed
   write left; check the folder against the request (resume, recipe, epochs; `check_folder`), writing nothing;
2. load the data, build and compile the model under the strategy's scope, restore the resume state;
3. only now write recipe.toml and run.json (status "running"): a start that fails above leaves no trace;
4. the loop's epochs, with one set of callbacks (clock, finite-loss guard, plateau schedule, log.csv,
   TensorBoard, checkpoints and resume state);
5. the test report of the best checkpoint, written to report.json, and run.json's status "finished".

A loop (`FitLoop`, `StrategyLoop`) decides only how many steps an epoch has and how it runs them.
"""

from __future__ import annotations

import dataclasses
import shlex
import shutil
import time
import warnings
import zipfile
from pathlib import Path
from typing import Protocol

import keras
import tensorflow as tf

from cnnapp import fingerprint, tasks
from cnnapp.choices import TEST, TRAIN, VALIDATION
from cnnapp.errors import CnnappError
from cnnapp.recipes import Recipe, recipe_changes, validation_note, validation_warning
from cnnapp.runs import RunDir, RunMeta, damaged_state
from cnnapp.training import device as devices
from cnnapp.training import hooks, preemption, recorded, setup, transfer, tricks
from cnnapp.training.callbacks import EpochLog, StopOnNonFiniteLoss
from cnnapp.training.schedules import PlateauCut, RecipeSchedule
from cnnapp.training.setup import RunData
from cnnapp.training.state import EpochClock, RunCheckpoint, load_state, tensorboard_callback


@dataclasses.dataclass
class Session:
    """Everything a loop needs for one run, prepared by `train`.

    Attributes:
        recipe: the frozen recipe.
        run: the run folder.
        meta: its run.json.
        device: the precision and XLA policy in force.
        data: the run's splits.
        model: the compiled training model (auxiliary heads, L2 decay).
        inference: the inference model sharing its layers.
        schedule: the learning-rate schedule the optimizer reads.
        strategy: the tf.distribute strategy the model was built under.
        steps: optimizer steps per epoch.
        initial_epoch: epochs already done (a resumed run starts there).
        initial_step: steps of the next epoch already done (a run stopped inside an epoch resumes there).
        chief: whether this process writes the run folder.
        verbose: the loop's verbosity.
    """

    recipe: Recipe
    run: RunDir
    meta: RunMeta
    device: devices.Device
    data: RunData
    model: keras.Model
    inference: keras.Model
    schedule: RecipeSchedule
    strategy: tf.distribute.Strategy
    steps: int
    initial_epoch: int = 0
    initial_step: int = 0
    chief: bool = True
    verbose: int | str = "auto"
    phases: keras.callbacks.Callback | None = None  # freezing and the two phases (cnnapp.training.transfer)

    def validation_batches(self) -> tf.data.Dataset:
        """The validation split through the evaluation pipeline (no augmentation)."""
        return setup.evaluation_batches(self.data.validation, self.recipe)


class StepLoop(Protocol):
    """The only part of a run that differs between strategies."""

    name: str

    def steps_per_epoch(self, recipe: Recipe, train_size: int) -> int: ...

    def run(self, session: Session, callbacks: list[keras.callbacks.Callback]) -> None: ...


def train(
    recipe: Recipe,
    run_dir: str | Path,
    loop: StepLoop,
    strategy: tf.distribute.Strategy | None = None,
    *,
    chief: bool = True,
    resume: bool | None = None,
    verbose: int | str = "auto",
    precision: str | None = None,
    jit: str | None = None,
) -> tuple[dict, keras.Model]:
    """Train `recipe` into `run_dir` with `loop`; returns (report, training model).

    Args:
        recipe: the frozen recipe (`train.batch_size` is the global batch).
        run_dir: the run folder (docs/architecture.md, "Runs").
        loop: how the epochs run (`loop.FitLoop`, `multiworker.StrategyLoop`).
        strategy: the tf.distribute strategy to build the model under (default: the current one).
        chief: whether this process locks and writes the folder (False: a multi-worker run's other workers).
        resume: None resumes when the folder holds a resume state and starts afresh otherwise; True requires a
            state to resume; False refuses a folder that already holds a run.
        verbose: the loop's verbosity (Keras `fit`'s: 1 progress bar, 2 a line per epoch, 0 silent).
        precision: override of `train.precision` (see `cnnapp.training.device.choose`).
        jit: override of `train.jit`.
    """
    run = RunDir(run_dir)
    strategy = strategy or tf.distribute.get_strategy()
    created = not run.path.exists()
    lock = run.lock() if chief else None
    # The run's precision is Keras's global policy while it trains, and only then: a model built after it in
    # the same process (a notebook's export, the next test) is float32 again unless it asks otherwise.
    policy = keras.mixed_precision.global_policy()
    try:
        if lock is not None:
            lock.acquire()
            run.remove_stray_temps()
        recipe = recorded.as_recorded(recipe, run)  # a run from before the holdout default, as it was made
        try:
            session, progress, extended_from = _prepare(
                recipe, run, loop, strategy, chief, resume, verbose, precision, jit
            )
        except BaseException:
            if created and lock is not None:  # a failed start leaves no trace, not even its folder
                lock.release()
                shutil.rmtree(run.path, ignore_errors=True)
            raise
        clock, plateau, checkpoint = _restorable(session, progress)
        callbacks = [clock, plateau, StopOnNonFiniteLoss(run, recipe, checkpoint)]
        callbacks += [session.phases] if session.phases is not None else []
        if recipe.optimizer.ema:  # validate with the Polyak averages, as the final model will be
            callbacks.append(keras.callbacks.SwapEMAWeights())
        if chief:
            log = EpochLog(run.log_file, session.initial_epoch)  # a damaged log.csv fails here, unwritten
            session.meta = run.begin(recipe, session.meta)
            callbacks += [log, tensorboard_callback(run.tensorboard_dir), checkpoint]
        else:  # the same best-epoch rule, in memory: this worker reports the chief's checkpoint
            checkpoint.save = False
            callbacks.append(checkpoint)
        _run_stoppable(session, loop, callbacks, checkpoint)
        task = tasks.of(recipe)
        kept = hooks.collector(task)  # what the figures keep of the report's test pass (the worst mistakes)
        report, probs, labels = _report(session, loop, clock, checkpoint, extended_from, kept)
        if chief:
            session.meta = run.finish(session.meta, report)
            # RUN/figures/: the task's figures (registered from above), from the report's own pass
            hooks.draw_figures(task, run.path, (probs, labels, kept) if probs is not None else None)
        return report, session.model
    finally:
        keras.mixed_precision.set_global_policy(policy)
        if lock is not None:
            lock.release()


def _run_stoppable(session: Session, loop: StepLoop, callbacks: list, checkpoint: RunCheckpoint) -> None:
    """`loop.run`, stopped between two steps by SIGTERM or Ctrl-C (that step saved) with the command that
    resumes.

    The multi-worker loop keeps the default signals: one worker stopping alone would leave the others
    waiting in a collective; a killed multi-worker run resumes from its last finished epoch."""
    if loop.name == "multi-worker":
        loop.run(session, callbacks)
        return
    stop = preemption.StopOnSignal(checkpoint, (session.initial_epoch, session.initial_step))
    stop.install()
    try:
        loop.run(session, [*callbacks, stop])
    except preemption.Preempted as stopped:
        run, epoch, step = session.run, stopped.epoch + 1, stopped.step
        where = (
            f"in epoch {epoch} after step {step} of {session.steps}; its resume point is that step "
            f"({run.state_file.name}; "
            + (f"the checkpoints hold epoch {epoch - 1})" if epoch > 1 else "no checkpoint yet)")
            if step
            else f"after epoch {epoch - 1}; its resume point is the end of epoch {epoch - 1}"
        )
        command = (
            f"python -m cnnapp.train --recipe {shlex.quote(str(run.path))} --out {shlex.quote(str(run.path))}"
        )
        raise CnnappError(f"stopped by {stopped.signal_name} {where}; resume with: {command}") from None
    finally:
        stop.restore()


def _prepare(recipe, run, loop, strategy, chief, resume, verbose, precision, jit):
    """The session, built without writing anything: (session, resume state or None, extended-from epochs)."""
    progress, extended_from = check_folder(recipe, run, resume)
    if chief and (warning := validation_warning(recipe.train) or validation_note(recipe.train)):
        warnings.warn(warning, stacklevel=2)  # also in run.json, report.json and the summary line
    device = devices.choose(precision or recipe.train.precision, jit or recipe.train.jit)
    device.apply()
    keras.utils.set_random_seed(recipe.train.seed)
    if recipe.train.deterministic:
        tf.config.experimental.enable_op_determinism()
    weights = transfer.start_weights(recipe) if progress is None else None  # a bad file fails before the data
    run_data = setup.load_data(recipe)
    if progress is not None:
        meta = run.read_meta()  # the statistics the saved weights were trained with
        now = fingerprint.make(recipe, run_data.info)
        fingerprint.check(meta.get("fingerprint"), now, run.path)  # the same data, classes and recipe
        meta = meta.replace(extra={**meta.extra, "fingerprint": {**now, **(meta.get("fingerprint") or {})}})
    else:
        meta = transfer.run_meta(recipe, run_data, weights)  # setup.run_meta, with the weights' normalization
    steps = loop.steps_per_epoch(recipe, run_data.sizes[TRAIN])
    initial_epoch = int(progress["epochs_done"]) if progress else 0
    initial_step = int(progress.get("steps_done", 0)) if progress else 0  # a run stopped inside an epoch
    with strategy.scope():
        model, inference = setup.build_models(meta, recipe)
        schedule = setup.compile_model(model, recipe, device, steps)
        model.optimizer.build(model.trainable_variables)  # a LossScaleOptimizer under mixed_float16
        # After the optimizer is built over every weight: both phases then share its variables.
        phases, meta = transfer.start(model, recipe, meta, weights, schedule, initial_epoch)
    session = Session(recipe, run, meta, device, run_data, model, inference, schedule, strategy, steps)
    session.initial_epoch, session.chief, session.verbose = initial_epoch, chief, verbose
    session.initial_step = initial_step
    session.phases = phases
    return session, progress, extended_from


def _restorable(session: Session, progress: dict | None):
    """The callbacks whose state the resume state holds, restored from it (with the model's variables)."""
    model, recipe = session.model, session.recipe
    plateau = PlateauCut(session.schedule)
    plateau.set_model(model)
    size = session.data.sizes[TRAIN]
    clock = EpochClock(min(session.steps * recipe.train.batch_size, size))
    digest = fingerprint.digest(session.meta.get("fingerprint") or {})
    checkpoint = RunCheckpoint(session.run, session.inference, plateau, clock, fingerprint=digest)
    checkpoint.set_model(model)
    if recipe.train.keep_top_k:
        checkpoint.top = tricks.TopCheckpoints(session.run, recipe.train.keep_top_k)
    if progress is not None:
        try:
            extra = load_state(session.run.state_file, model, model.optimizer, digest)
            plateau.restore(extra["plateau"])
            clock.restore(extra["clock"])
            checkpoint.best, checkpoint.best_epoch = float(extra["best"]), int(extra["best_epoch"])
            checkpoint.best_loss = float(extra.get("best_loss", float("inf")))  # states before it: no loss
            if checkpoint.top is not None:
                checkpoint.top.restore(extra.get("top_k"))
        except CnnappError:
            raise
        except (OSError, ValueError, KeyError, TypeError, EOFError, zipfile.BadZipFile) as error:
            raise damaged_state(session.run.state_file, error) from None
    return clock, plateau, checkpoint


def check_folder(recipe: Recipe, run: RunDir, resume: bool | None) -> tuple[dict | None, int | None]:
    """Whether `recipe` may train into `run`: (resume state or None, epochs of the finished run extended).

    Refuses, with the fix in the message: a resume state without its recipe.toml and run.json; another
    recipe; fewer epochs than already done; a finished run not given more epochs; `resume` True with nothing
    to resume or False with a run there. A folder whose run never finished an epoch starts afresh.
    """
    if run.stray_state():
        raise CnnappError(
            f"{run.path} holds a resume state ({run.state_file.name}) without its recipe.toml and run.json, "
            "so it cannot be checked against a recipe; choose another --out"
        )
    progress = run.progress()
    status = run.status()
    if resume is True and progress is None:
        raise CnnappError(
            f"nothing to resume in {run.path} (no {run.state_file.name}); drop --resume to start a run there"
        )
    if resume is False and status != "new":
        raise CnnappError(f"{run.path} already holds a run; choose another --out, or resume it with --resume")
    if progress is None:
        if status == "finished":
            raise CnnappError(f"{run.path} already holds a finished run; choose another --out")
        return None, None
    saved_recipe = run.read_recipe()
    saved_print = run.read_meta().get("fingerprint") or {}
    if saved_print.get("recipe") and fingerprint.recipe_hash(saved_recipe) != saved_print["recipe"]:
        raise CnnappError(
            f"{run.recipe_file} was edited after the run started (it no longer matches run.json's "
            "fingerprint), so the run cannot be checked against it: restore it, or start a new run "
            "with --out NEW_FOLDER"
        )
    changed = recipe_changes(saved_recipe, recipe)
    if changed:
        raise CnnappError(
            f"{run.path} holds a run of a different recipe (differs in {', '.join(changed)}); "
            "choose another --out"
        )
    done, epochs = int(progress["epochs_done"]), recipe.train.epochs
    begun = done + bool(progress.get("steps_done"))  # a run stopped inside an epoch has begun the next
    if epochs < begun:
        part = " and part of the next" if begun > done else ""
        raise CnnappError(
            f"{run.path} has already trained {done} epochs{part}; train.epochs={epochs} would relabel it: "
            f"set train.epochs ≥ {begun}, or choose another --out"
        )
    report = run.read_report() if status == "finished" or run.report_file.is_file() else None
    if status == "finished" and epochs == done:
        raise CnnappError(f"{run.path} already finished its {epochs} epochs; raise train.epochs to go on")
    finished_epochs = report.get("epochs") if isinstance(report, dict) else None
    extended = finished_epochs if isinstance(finished_epochs, int) and finished_epochs < epochs else None
    return progress, extended


def _report(session: Session, loop: StepLoop, clock, checkpoint, extended_from: int | None, on_batch=None):
    """Test-split scores of the best checkpoint (on a non-chief worker: of its final weights, unsaved), and
    the probabilities and labels they come from: (report, probs, labels). `on_batch` sees the test batches."""
    from cnnapp import models

    recipe, run, run_data = session.recipe, session.run, session.data
    which = "best" if run.checkpoint_file("best").is_file() else "last"
    if session.chief:
        model = models.load(run.checkpoint(which))
    elif checkpoint.best_weights is not None:  # the epoch the chief saved as best, from this worker's copy
        model = keras.models.clone_model(session.inference)  # the trained model keeps its final weights
        model.set_weights(checkpoint.best_weights)
    elif run.checkpoint_file(which).is_file():  # a resumed run's best epoch came before: the chief's file
        model = models.load(run.checkpoint(which))
    else:
        model, which = session.inference, "last"
    test = setup.evaluation_batches(run_data.test, recipe)
    start = time.perf_counter()
    scores, probs, labels = tasks.of(recipe).test_report(model, test, session.meta, on_batch)
    eval_seconds = time.perf_counter() - start
    report = {
        "recipe": recipe.name,
        "architecture": recipe.model.architecture,
        "dataset": recipe.data.dataset,
        "split": recipe.train.test_split,
        "checkpoint": which,
        "best_epoch": checkpoint.best_epoch,
        "best_validation_error": checkpoint.best if checkpoint.best_epoch else None,
        "validation": run_data.validation_name,
        **({"validation_warning": warning} if (warning := validation_warning(recipe.train)) else {}),
        **({"validation_note": note} if (note := validation_note(recipe.train)) else {}),
        **scores,
        "epochs": recipe.train.epochs,
        "resumed_from_epoch": session.initial_epoch,
        "extended_from_epochs": extended_from,
        "train_examples": run_data.sizes[TRAIN],
        "class_counts": run_data.class_counts,
        "train_seconds": round(clock.seconds, 3),
        "images_per_second": float(f"{clock.images / max(clock.seconds, 1e-9):.4g}"),
        "eval_images_per_second": float(f"{scores['examples'] / max(eval_seconds, 1e-9):.4g}"),
        "parameters": int(model.count_params()),
        "device": session.device.describe(),
        "precision_reason": session.device.reason,
        "num_classes": session.meta.num_classes,
        "strategy": loop.name,
        "replicas": int(session.strategy.num_replicas_in_sync),
        "global_batch": recipe.train.batch_size,
        **({"transfer": session.meta.get("transfer")} if session.meta.get("transfer") else {}),
        **_weights_report(session, checkpoint),
    }
    return report, probs, labels


def _weights_report(session: Session, checkpoint) -> dict:
    """Which weights the checkpoints hold (the Polyak averages or the raw ones), both scored at the last
    epoch when the run averages, and the top-k checkpoints kept."""
    recipe = session.recipe
    out = {"weights": "ema" if recipe.optimizer.ema else "raw"}
    if recipe.optimizer.ema and tasks.of(recipe).reports_ema and session.chief:
        batches = {VALIDATION: session.validation_batches()}
        batches[TEST] = setup.evaluation_batches(session.data.test, recipe)
        out["ema_vs_raw"] = tricks.raw_and_averaged(session, batches)
    if checkpoint.top is not None:
        out["top_checkpoints"] = checkpoint.top.report()
    return out
