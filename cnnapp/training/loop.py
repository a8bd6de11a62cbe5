"""`train_and_evaluate(recipe, run_dir)`: a run on Keras `fit`, from a recipe to a run folder and its report.

The scaffold (`core.train`: lock, checks, data, model, resume, callbacks, report) is shared with the
multi-worker loop; this module holds only what `fit` does differently: a pipeline of the remaining epochs
(the last batch of an epoch may be partial) and the call to `fit`, with Keras's progress bar. A run stopped
inside an epoch calls `fit` twice: the rest of that epoch, then the epochs after it.
"""

from __future__ import annotations

import contextlib
from pathlib import Path

import tensorflow as tf

from cnnapp import tasks
from cnnapp.data import mixing
from cnnapp.recipes import Recipe
from cnnapp.runs import RunDir
from cnnapp.training import core, setup


def run_state(run_dir: str | Path) -> dict | None:
    """The resume state's JSON part (epochs done, schedule, best) of the run in `run_dir`, or None."""
    return RunDir(run_dir).progress()


class FitLoop:
    """Keras `fit` over the remaining epochs, with the scaffold's callbacks.

    Args:
        name: the strategy's name, for the report ("auto", "one-device", "mirrored").
    """

    def __init__(self, name: str = "auto"):
        self.name = name

    def steps_per_epoch(self, recipe: Recipe, train_size: int) -> int:
        return setup.steps_per_epoch(recipe, train_size)  # the last batch may be partial

    def run(self, session: core.Session, callbacks) -> None:
        recipe, steps = session.recipe, session.steps
        epoch, step = session.initial_epoch, session.initial_step
        if epoch >= recipe.train.epochs:
            return  # a run killed during its final evaluation: only the report is missing
        if step:  # stopped inside an epoch: the rest of it (its first `step` batches skipped), then the next
            rest = _training_batches(session.data.train, recipe, epoch, steps).skip(step).take(steps - step)
            last = epoch + 1 >= recipe.train.epochs
            with contextlib.nullcontext() if last else _weights_left_raw(session.model.optimizer):
                self._fit(session, callbacks, rest, epoch, epoch + 1, steps - step, epoch * steps + step)
            epoch += 1
        if epoch < recipe.train.epochs:
            train = _training_batches(session.data.train, recipe, epoch, steps)
            self._fit(session, callbacks, train, epoch, recipe.train.epochs, steps, epoch * steps)

    @staticmethod
    def _fit(session, callbacks, train, initial_epoch: int, epochs: int, steps: int, done: int) -> None:
        """`fit` on the training batches of epochs initial_epoch..epochs-1, the first being step `done`."""
        recipe, model = session.recipe, session.model
        # RandAugment, MixUp, CutMix, ... on whole batches, seeded by the optimizer step they feed
        train = mixing.augment_batches(
            train, recipe.batch_augment, session.meta.num_classes, recipe.train.seed, done
        )
        names = model.output_names
        model.fit(
            setup.with_targets(train, names),
            epochs=epochs,
            initial_epoch=initial_epoch,
            steps_per_epoch=steps,
            validation_data=setup.with_targets(session.validation_batches(), names),
            callbacks=callbacks,
            verbose=session.verbose,
            shuffle=False,  # the tf.data pipeline shuffles (seeded, resumable); Keras warns it cannot
        )


@contextlib.contextmanager
def _weights_left_raw(optimizer):
    """Within, `fit` ends without writing the Polyak averages over the weights (its
    `finalize_variable_values`): the end of a stopped epoch's rest is not the end of the run."""
    optimizer.finalize_variable_values = lambda var_list: None
    try:
        yield
    finally:
        del optimizer.finalize_variable_values


def train_and_evaluate(
    recipe: Recipe,
    run_dir: str | Path,
    *,
    resume: bool | None = None,
    verbose: int | str = "auto",
    precision: str | None = None,
    jit: str | None = None,
    strategy: tf.distribute.Strategy | None = None,
    strategy_name: str = "auto",
) -> dict:
    """Train `recipe` into `run_dir` with Keras `fit`, evaluate its best checkpoint on the test split.

    Args:
        recipe: the frozen recipe.
        run_dir: the run folder (created; see docs/architecture.md, "Runs").
        resume: None resumes when `run_dir` holds a resume state and starts afresh otherwise; True requires a
            state to resume; False refuses a folder that already holds a run (its files are left intact).
        verbose: Keras `fit`'s verbosity (1: progress bar, 2: a line per epoch, 0: silent).
        precision: override of `train.precision` (see `cnnapp.training.device.choose`).
        jit: override of `train.jit`.
        strategy: the tf.distribute strategy to build the model under (default: the current one).
        strategy_name: its name, for the report.

    Returns:
        The report written to `report.json`: top-1/top-5 accuracy and error of the best checkpoint on the test
        split, epochs, training time, images per second, the device.
    """
    report, _ = core.train(
        recipe,
        run_dir,
        FitLoop(strategy_name),
        strategy,
        resume=resume,
        verbose=verbose,
        precision=precision,
        jit=jit,
    )
    return report


def _training_batches(
    train: tf.data.Dataset, recipe: Recipe, initial_epoch: int, steps: int
) -> tf.data.Dataset:
    """Epochs initial_epoch.. of the training pipeline; each cut to `steps` batches if the recipe says."""
    cfg, batch, seed = recipe.data.pipeline, recipe.train.batch_size, recipe.train.seed
    remaining = recipe.train.epochs - initial_epoch
    make = tasks.of(recipe).training_pipeline  # a segmentation run's: image and mask augmented together
    if not recipe.train.steps_per_epoch:
        return make(train, cfg, batch, seed, epoch=initial_epoch, epochs=remaining)
    # Epoch k's batches depend on (seed, k) only, so a cut epoch is its own pipeline's first `steps` batches.
    parts = [
        make(train, cfg, batch, seed, epoch=k, epochs=1).take(steps)
        for k in range(initial_epoch, recipe.train.epochs)
    ]
    out = parts[0]
    for part in parts[1:]:
        out = out.concatenate(part)
    return out
