"""SIGTERM (a cluster's preemption) and Ctrl-C during training: finish the step, save it, say how to resume.

A training process told to stop lets the running step finish (a signal only sets a flag; the handler never
interrupts TensorFlow), writes the resume point of that step and leaves the loop before the next one, as TF
Model Garden's Orbit does on preemption. The resume point (`RunCheckpoint.save_mid_epoch`) holds every
variable (weights, dropout seed states, optimizer step and slots), the step within the epoch and the epoch's
running metrics; the data pipeline of an epoch depends on (seed, epoch) only, so the resumed run skips the
batches already trained and continues bit-identically to an uninterrupted run, log row included. A signal
that arrives between epochs (during validation) stops at the end of the epoch, once it is saved. The process
exits non-zero with the command that resumes. A second signal stops at once (Python's default).
"""

from __future__ import annotations

import signal
import threading

import keras

from cnnapp.training.state import add_metric_values

SIGNALS = (signal.SIGTERM, signal.SIGINT)


class Preempted(Exception):
    """Raised after a stop signal: `signal_name`, `epoch` (0-based) and the `step`s of it done and saved
    (0: stopped at the end of the epoch before it, once saved)."""

    def __init__(self, signal_name: str, epoch: int, step: int):
        super().__init__(f"{signal_name} in epoch {epoch + 1} after step {step}")
        self.signal_name, self.epoch, self.step = signal_name, epoch, step


class StopOnSignal(keras.callbacks.Callback):
    """Install the handlers for the run (main thread only; `restore` puts the previous ones back).

    Args:
        checkpoint: the run's `RunCheckpoint` (it writes the resume point of a stopped step), or None.
        start: (epoch, step) the run starts at: a run resumed inside an epoch counts its steps from `step`,
            and its first epoch's running metrics come back from the resume state.
    """

    def __init__(self, checkpoint=None, start: tuple[int, int] = (0, 0)):
        super().__init__()
        self.checkpoint = checkpoint
        self.start = start
        self.received: int | None = None
        self.epoch = 0
        self.offset = 0  # steps of the running epoch trained before this process
        self._add_metrics = False
        self._previous: dict[int, object] = {}

    def install(self) -> None:
        if threading.current_thread() is not threading.main_thread():
            return  # signals reach the main thread only; a trainer in a thread keeps the defaults
        for number in SIGNALS:
            self._previous[number] = signal.signal(number, self._handle)

    def restore(self) -> None:
        for number, handler in self._previous.items():
            signal.signal(number, handler)
        self._previous.clear()

    def _handle(self, number, frame) -> None:
        if self.received is not None:  # asked twice: stop now
            self.restore()
            raise KeyboardInterrupt
        self.received = number

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch = epoch
        self.offset = self.start[1] if epoch == self.start[0] else 0
        self._add_metrics = bool(self.offset) and self.checkpoint is not None

    def on_train_batch_end(self, batch, logs=None):
        if self._add_metrics:  # the stopped epoch's running sums, added to those of its first resumed step
            self._add_metrics = False
            add_metric_values(self.checkpoint.run.state_file, self.model)
        if self.received is not None:
            step = self.offset + batch + 1
            if self.checkpoint is not None:
                self.checkpoint.save_mid_epoch(self.epoch, step)
            raise Preempted(signal.Signals(self.received).name, self.epoch, step)

    def on_epoch_end(self, epoch, logs=None):
        if self.received is not None:  # during validation: the epoch is saved (this callback runs last)
            raise Preempted(signal.Signals(self.received).name, epoch + 1, 0)
