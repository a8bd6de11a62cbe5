"""What a run keeps between epochs: the best and last checkpoints, and the state a resumed run starts from.

After every epoch, in this order:
1. `checkpoints/last.keras` and (when the validation error improved) `checkpoints/best.keras`: the inference
   model (raw pixels in, no auxiliary heads), with the Polyak-averaged weights when the recipe averages.
2. `resume.npz`: every model variable (weights and dropout seeds), every optimizer variable (step counter,
   momenta, averages), and as JSON the finished epoch count, the plateau schedule's state and the best error.
Each file is written to a temporary name and renamed, so a run killed at any instant leaves the previous
complete version; a kill between 1 and 2 only makes the resumed run redo that epoch, identically.

A run stopped by SIGTERM or Ctrl-C inside an epoch (`cnnapp.training.preemption`) writes `resume.npz` at
that step instead (`RunCheckpoint.save_mid_epoch`): the same variables, `steps_done` in the JSON, and the
epoch's running metrics (`metric_*`), so that the resumed run finishes the epoch with the same weights and
the same log row as an uninterrupted one. The checkpoints stay those of the last finished epoch.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import keras
import numpy as np

from cnnapp import compat
from cnnapp.atomic import atomic_path
from cnnapp.errors import CnnappError
from cnnapp.runs import RunDir
from cnnapp.training.schedules import PlateauCut, validation_error, validation_loss


def save_state(path: Path, model, optimizer, extra: dict, metrics=()) -> None:
    """Write the resume state; `metrics`: the running metric variables of a stopped epoch (else none)."""
    arrays = {f"model_{i}": np.asarray(v.numpy()) for i, v in enumerate(model.variables)}
    arrays.update({f"optimizer_{i}": np.asarray(v.numpy()) for i, v in enumerate(optimizer.variables)})
    arrays.update({f"metric_{i}": np.asarray(v.numpy()) for i, v in enumerate(metrics)})
    arrays["extra"] = np.array(json.dumps(extra))
    with atomic_path(path) as tmp:
        np.savez(tmp, **arrays)


def load_state(path: Path, model, optimizer, fingerprint: str = "") -> dict:
    """Restore what `save_state` wrote into a compiled model and its optimizer; returns the JSON part.

    A state that names another run's `fingerprint` digest is refused before anything is restored."""
    optimizer.build(model.trainable_variables)
    with np.load(path) as data:
        extra = json.loads(str(data["extra"]))
        if fingerprint and extra.get("fingerprint", fingerprint) != fingerprint:
            raise CnnappError(
                f"{path} belongs to another run (its fingerprint differs from run.json's); put this run's "
                "own back, or start a new run with --out NEW_FOLDER"
            )
        for prefix, variables in (("model", model.variables), ("optimizer", optimizer.variables)):
            keys = sorted(
                (k for k in data.files if k.startswith(prefix + "_")), key=lambda k: int(k.split("_")[1])
            )
            if len(keys) != len(variables):
                raise ValueError(
                    f"{path}: {len(keys)} saved {prefix} variables, the model has {len(variables)}"
                )
            for key, variable in zip(keys, variables, strict=True):
                variable.assign(data[key])
        return extra


def add_metric_values(path: Path, model) -> None:
    """Add a stopped epoch's running metrics (`save_mid_epoch`) to `model`'s, after the resumed epoch's first
    step (Keras builds the compiled metrics' variables in that step). The metrics are running sums (totals,
    counts, confusion matrices) and a float sum commutes: the epoch's values are the uninterrupted run's."""
    variables = model.metrics_variables
    with np.load(path) as data:
        keys = [f"metric_{i}" for i in range(len(variables))]
        if any(key not in data.files for key in keys) or f"metric_{len(variables)}" in data.files:
            raise CnnappError(
                f"{path} holds no running metrics of this model for its stopped epoch; restore the run's "
                "own resume.npz, or start a new run with --out NEW_FOLDER"
            )
        for key, variable in zip(keys, variables, strict=True):
            variable.assign(data[key] + variable.numpy())


def load_model_variables(path: Path, model) -> None:
    """Only the model's variables from a resume state (the raw weights of its epoch, never the averages)."""
    with np.load(path) as data:
        for i, variable in enumerate(model.variables):
            variable.assign(data[f"model_{i}"])


def averaged_weights(optimizer):
    """A context manager: within, the trainable variables hold the optimizer's Polyak averages (if any);
    after, their own values, exactly."""
    return RunCheckpoint._Swap(_ema_slots(optimizer))


def _ema_slots(optimizer):
    optimizer = getattr(optimizer, "inner_optimizer", optimizer)  # a LossScaleOptimizer's wrapped optimizer
    if not getattr(optimizer, "use_ema", False):
        return None
    return compat.ema_slots(optimizer)


class RunCheckpoint(keras.callbacks.Callback):
    """Saves best/last inference checkpoints and the resume state at the end of every epoch.

    Args:
        run: the run folder.
        inference_model: the raw-pixel inference model sharing its layers with the training model.
        plateau: the schedule callback whose state is saved.
        clock: the epoch clock whose totals are saved.
        best: the best validation error so far (from a resumed state), or inf.
        best_epoch: its epoch (1-based), or 0.
        best_loss: the validation loss at that epoch, or inf: an epoch with the same error and a lower loss
            is better (a small validation set saturates: 100% of 50 images is reached early, and the more
            confident model that follows generalises better); the strategy loop's logs have no loss, so
            there the first epoch with the lowest error stays best.
        fingerprint: the digest of the run's fingerprint (`cnnapp.fingerprint.digest`), saved in the state.
        top: keeps the top-k checkpoints (`cnnapp.training.tricks.TopCheckpoints`), or None.
    """

    def __init__(
        self,
        run: RunDir,
        inference_model,
        plateau: PlateauCut,
        clock: EpochClock,
        best: float = float("inf"),
        best_epoch: int = 0,
        best_loss: float = float("inf"),
        fingerprint: str = "",
    ):
        super().__init__()
        self.run = run
        self.inference_model = inference_model
        self.plateau = plateau
        self.clock = clock
        self.best = best
        self.best_epoch = best_epoch
        self.best_loss = best_loss
        self.fingerprint = fingerprint  # the run's fingerprint digest: a state names the run it belongs to
        # False on a multi-worker run's other workers: the same choice of best epoch, its weights kept in
        # memory (`best_weights`) so that every worker reports the chief's checkpoint, nothing written.
        self.save = True
        self.best_weights: list | None = None
        self.top = None

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        error, loss = validation_error(logs), validation_loss(logs)
        loss = float("inf") if loss is None else loss
        improved = error is not None and (error, loss) < (self.best, self.best_loss)
        if not self.save:
            if improved:
                with self._averaged_weights():
                    self.best_weights = self.inference_model.get_weights()
                self.best, self.best_epoch, self.best_loss = error, epoch + 1, loss
            return
        with self._averaged_weights():
            self._save_model("last")
            if improved:
                self._save_model("best")
            if self.top is not None:
                self.top.update(epoch + 1, error, loss, self._save_model)
        if improved:
            self.best, self.best_epoch, self.best_loss = error, epoch + 1, loss
        save_state(self.run.state_file, self.model, self.model.optimizer, self._extra(epoch + 1))

    def save_mid_epoch(self, epoch: int, steps_done: int) -> None:
        """The resume point of a run stopped after step `steps_done` of `epoch` (0-based): the variables as
        they are, the epoch's running metrics and elapsed time; the checkpoints are left as they are."""
        if not self.save:
            return
        extra = self._extra(epoch)
        extra["steps_done"] = steps_done
        extra["clock"]["in_epoch"] = self.clock.in_epoch()
        model = self.model
        save_state(self.run.state_file, model, model.optimizer, extra, model.metrics_variables)

    def _extra(self, epochs_done: int) -> dict:
        return {
            "epochs_done": epochs_done,
            "plateau": self.plateau.state(),
            "best": self.best,
            "best_epoch": self.best_epoch,
            "best_loss": self.best_loss,
            "clock": self.clock.state(),
            **({"fingerprint": self.fingerprint} if self.fingerprint else {}),
            **({"top_k": self.top.state()} if self.top is not None else {}),
        }

    def _save_model(self, which: str) -> None:
        with atomic_path(self.run.checkpoint_file(which)) as tmp:
            self.inference_model.save(tmp)

    class _Swap:
        def __init__(self, slots):
            self.slots = slots

        def __enter__(self):
            if self.slots:
                variables, averages = self.slots
                self.saved = [v.numpy() for v in variables]
                for v, a in zip(variables, averages, strict=True):
                    v.assign(a)

        def __exit__(self, *exc):
            if self.slots:
                for v, value in zip(self.slots[0], self.saved, strict=True):
                    v.assign(value)

    def _averaged_weights(self):
        """Within: the model holds the optimizer's Polyak averages (if any); after: its own, exactly."""
        return averaged_weights(self.model.optimizer)


class EpochClock(keras.callbacks.Callback):
    """Times the training part of each epoch (not validation); logs `epoch_seconds`, `images_per_second`.

    Args:
        images_per_epoch: training images in one epoch (steps × batch size, the last batch's true size).
    """

    def __init__(self, images_per_epoch: int):
        super().__init__()
        self.images_per_epoch = images_per_epoch
        self.seconds = 0.0
        self.images = 0
        self.carried = 0.0  # seconds a stopped epoch had trained before its run was stopped
        self._start = self._train_end = None

    def state(self) -> dict:
        return {"seconds": self.seconds, "images": self.images}

    def restore(self, state: dict) -> None:
        self.seconds, self.images = float(state["seconds"]), int(state["images"])
        self.carried = float(state.get("in_epoch", 0.0))

    def in_epoch(self) -> float:
        """Seconds the running epoch has trained so far (with those before a stop)."""
        return self.carried + (time.perf_counter() - self._start if self._start is not None else 0.0)

    def on_epoch_begin(self, epoch, logs=None):
        self._start, self._train_end = time.perf_counter() - self.carried, None
        self.carried = 0.0

    def on_test_begin(self, logs=None):
        if self._start is not None and self._train_end is None:
            self._train_end = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        seconds = (self._train_end or time.perf_counter()) - self._start
        self.seconds += seconds
        self.images += self.images_per_epoch
        if logs is not None:
            logs["epoch_seconds"] = seconds
            logs["images_per_second"] = self.images_per_epoch / max(seconds, 1e-9)


def tensorboard_callback(log_dir: Path) -> keras.callbacks.Callback:
    """Keras's TensorBoard callback writing per-epoch scalars (no graph, no profiling: they cost time)."""
    return keras.callbacks.TensorBoard(str(log_dir), write_graph=False, profile_batch=0)
