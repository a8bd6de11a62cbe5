"""SIGTERM (a cluster's preemption) and Ctrl-C during training: finish the step, stop, say how to resume.

A training process told to stop lets the running step finish (a signal only sets a flag; the handler never
interrupts TensorFlow), then leaves the loop before the next step. Nothing of the unfinished epoch is
saved as if it were complete: the run folder keeps the resume point of the last finished epoch (its
checkpoints and resume.npz, written at every epoch's end), from which a resumed run is bit-identical to an
uninterrupted one. The process exits non-zero with the command that resumes, as TF Model Garden's Orbit
does on preemption. A second signal stops at once (Python's default).
"""

from __future__ import annotations

import signal
import threading

import keras

SIGNALS = (signal.SIGTERM, signal.SIGINT)


class Preempted(Exception):
    """Raised between steps after a stop signal: `signal_name`, `epoch` (0-based) and `step` done."""

    def __init__(self, signal_name: str, epoch: int, step: int):
        super().__init__(f"{signal_name} in epoch {epoch + 1} after step {step}")
        self.signal_name, self.epoch, self.step = signal_name, epoch, step


class StopOnSignal(keras.callbacks.Callback):
    """Install the handlers for the run (main thread only; `restore` puts the previous ones back)."""

    def __init__(self):
        super().__init__()
        self.received: int | None = None
        self.epoch = 0
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

    def on_train_batch_end(self, batch, logs=None):
        if self.received is not None:
            raise Preempted(signal.Signals(self.received).name, self.epoch, batch + 1)
