"""Learning-rate schedules: step, divide-by-10 on plateau, cosine, and linear warm-up.

`RecipeSchedule` is a Keras `LearningRateSchedule` evaluated inside the compiled train step from the
optimizer's step counter, so changing the rate costs no host round trip. The plateau rule needs the validation
error, which only exists on the host at an epoch's end: `PlateauCut` (a callback) decides there and writes the
new factor into the schedule's `scale` variable, which the next step reads. Its state (best, wait, cuts,
scale) is saved and restored with the run, so a resumed run cuts exactly when an uninterrupted one would.
"""

from __future__ import annotations

import math

import keras
import tensorflow as tf

from cnnapp.recipes import ScheduleSection


class RecipeSchedule(keras.optimizers.schedules.LearningRateSchedule):
    """lr(step) = base · warm-up(step) · decay(step) · scale, for one recipe's [schedule].

    Args:
        base_lr: the recipe's `optimizer.lr`.
        cfg: the recipe's [schedule].
        steps_per_epoch: optimizer steps in one epoch (to turn epochs into steps).
        total_steps: steps in the whole run (cosine decays over it).
    """

    def __init__(self, base_lr: float, cfg: ScheduleSection, steps_per_epoch: int, total_steps: int):
        super().__init__()
        self.base_lr = float(base_lr)
        self.cfg = cfg
        self.steps_per_epoch = int(steps_per_epoch)
        self.total_steps = max(1, int(total_steps))
        # Written by PlateauCut between epochs; read by every step.
        self.scale = tf.Variable(1.0, trainable=False, dtype=tf.float32, name="lr_plateau_scale")
        # Fine-tuning's second phase (cnnapp.training.transfer.Phases): set from the epoch, never saved.
        self.phase_scale = tf.Variable(1.0, trainable=False, dtype=tf.float32, name="lr_phase_scale")

    def _in_units(self, step):
        return step if self.cfg.unit == "steps" else step / float(self.steps_per_epoch)

    def __call__(self, step):
        cfg = self.cfg
        step = tf.cast(step, tf.float32)
        lr = tf.constant(self.base_lr, tf.float32)
        if cfg.name == "step":
            if cfg.boundaries:
                t = self._in_units(step)
                cuts = tf.add_n([tf.cast(t >= b, tf.float32) for b in cfg.boundaries])
            else:
                cuts = tf.floor(step / float(self.steps_per_epoch) / cfg.step_size)
            lr = lr * tf.pow(tf.constant(cfg.factor, tf.float32), cuts)
        elif cfg.name == "cosine":
            progress = tf.minimum(step / float(self.total_steps), 1.0)
            lr = cfg.min_lr + (lr - cfg.min_lr) * 0.5 * (1.0 + tf.cos(math.pi * progress))
        elif cfg.name == "plateau":
            lr = lr * self.scale
        if cfg.warmup > 0:
            ramp = tf.minimum(self._in_units(step) / cfg.warmup, 1.0)
            lr = lr * (0.01 + 0.99 * ramp)
        return lr * self.phase_scale

    def get_config(self):
        return {
            "base_lr": self.base_lr,
            "schedule": self.cfg.name,
            "steps_per_epoch": self.steps_per_epoch,
            "total_steps": self.total_steps,
        }


def validation_error(logs: dict) -> float | None:
    """1 − validation top-1 accuracy from Keras's epoch logs (single- or multi-output model), or None."""
    for key in ("val_accuracy", "val_predictions_accuracy"):
        if key in logs:
            return 1.0 - float(logs[key])
    return None


def validation_loss(logs: dict) -> float | None:
    for key in ("val_predictions_loss", "val_loss"):
        if key in logs:
            return float(logs[key])
    return None


class PlateauCut(keras.callbacks.Callback):
    """Multiply the learning rate by `factor` when the validation error stops improving, `max_cuts` times.

    The lectures' rule (and AlexNet's: "divide the learning rate by 10 when the validation error rate stopped
    improving with the current learning rate ... reduced three times prior to termination"). Also logs the
    current learning rate as `lr` for the CSV log and TensorBoard.
    """

    def __init__(self, schedule: RecipeSchedule):
        super().__init__()
        self.schedule = schedule
        self.cfg = schedule.cfg
        self.best = math.inf
        self.wait = 0
        self.cuts = 0

    def state(self) -> dict:
        return {
            "best": self.best,
            "wait": self.wait,
            "cuts": self.cuts,
            "scale": float(self.schedule.scale.numpy()),
        }

    def restore(self, state: dict) -> None:
        self.best, self.wait, self.cuts = float(state["best"]), int(state["wait"]), int(state["cuts"])
        self.schedule.scale.assign(float(state["scale"]))

    def on_epoch_end(self, epoch, logs=None):
        logs = logs if logs is not None else {}
        # The rate used during this epoch's last step, before any cut below.
        logs["lr"] = float(self.schedule(self.model.optimizer.iterations - 1).numpy())
        if self.cfg.name != "plateau":
            return
        value = validation_error(logs) if self.cfg.monitor == "val_error" else validation_loss(logs)
        if value is None:
            raise RuntimeError(
                "the plateau schedule needs validation metrics; the run has no validation data"
            )
        if value < self.best - self.cfg.min_delta:
            self.best, self.wait = value, 0
            return
        self.wait += 1
        if self.wait >= self.cfg.patience and self.cuts < self.cfg.max_cuts:
            self.schedule.scale.assign(self.schedule.scale * self.cfg.factor)
            self.cuts += 1
            self.wait = 0
