"""Two callbacks every loop runs: the epoch log (log.csv) and the stop on a non-finite loss.

Both loops (Keras `fit` and the multi-worker `strategy.run` loop) call them the same way, at an epoch's end.
"""

from __future__ import annotations

import csv
import io
import math
from pathlib import Path

import keras

from cnnapp import atomic
from cnnapp.errors import CnnappError


class EpochLog(keras.callbacks.Callback):
    """log.csv: a header and one row per epoch (`epoch` and the logs' keys, sorted, as Keras's CSVLogger).

    The whole file is rewritten atomically after every epoch, never appended to: a kill leaves the previous
    complete file, and rows cannot interleave (only the process holding the run's lock writes). Rows of epochs
    a resumed run redoes (a kill after the row, before the resume state) are dropped when it starts.

    Args:
        path: the log file.
        epochs_done: epochs the resume state holds; later rows are dropped.
    """

    def __init__(self, path: Path, epochs_done: int):
        super().__init__()
        self.path = Path(path)
        self.rows = _read_rows(self.path, epochs_done)

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        if not self.rows:
            self.rows = [["epoch", *sorted(logs)]]
        self.rows.append([str(epoch), *(_cell(logs.get(key, "")) for key in self.rows[0][1:])])
        buffer = io.StringIO()
        csv.writer(buffer, lineterminator="\n").writerows(self.rows)
        atomic.write_text(self.path, buffer.getvalue())


def _cell(value) -> str:
    return repr(float(value)) if isinstance(value, int | float) else str(value)


def _read_rows(path: Path, epochs_done: int) -> list[list[str]]:
    if not path.is_file() or epochs_done == 0:  # a fresh start: a new log, whatever an earlier try left
        return []
    try:
        rows = [r for r in csv.reader(io.StringIO(path.read_text())) if r]
        kept = rows[:1] + [r for r in rows[1:] if int(r[0]) < epochs_done]
    except (UnicodeDecodeError, ValueError, csv.Error):
        raise CnnappError(
            f"{path} is not a log this run wrote (unreadable rows); move it away and run again: "
            "the run continues with a new log"
        ) from None
    if kept and kept[0][:1] != ["epoch"]:
        raise CnnappError(
            f"{path} has no header row; move it away and run again: the run continues with a new log"
        )
    missing = sorted(set(range(epochs_done)) - {int(r[0]) for r in kept[1:]})
    if missing:  # a shortened log would leave a gap in the curves
        raise CnnappError(
            f"{path} lacks the rows of epoch(s) {', '.join(str(e + 1) for e in missing[:5])} that this run "
            "trained; restore it, or move it away and run again: the run continues with a new log"
        )
    return kept


# A cross-entropy starts near ln(classes) (2.3 for 10, 6.9 for 1,000) and falls: past this bound, or this
# many times its first epoch's value while worse than chance, the run has diverged.
DIVERGED_LOSS = 100.0
DIVERGED_FACTOR = 10.0


class StopOnNonFiniteLoss(keras.callbacks.Callback):
    """Stop the run with a one-line CnnappError when an epoch's training loss is NaN or infinite, or has
    diverged (past `DIVERGED_LOSS`, or `DIVERGED_FACTOR` × the first epoch's loss and above ln(classes)).

    The epoch's loss is the mean of its steps' losses, so one non-finite step shows. It is the *unscaled* loss
    (Keras logs the loss before the mixed-precision loss scaler multiplies it; the scaler skips overflowing
    steps by design, which is not a failure). Placed before the checkpoint callback, it raises before the bad
    epoch is saved: the folder keeps the last good checkpoints and resume state. `keras.callbacks.
    TerminateOnNaN` only sets `stop_training`, after which the epoch would still be saved and the run
    reported.

    Args:
        run: the run folder (`cnnapp.runs.RunDir`), for the message.
        recipe: the recipe, whose learning rate the message names.
        checkpoint: the checkpoint callback (its best epoch, for the message).
    """

    def __init__(self, run, recipe, checkpoint):
        super().__init__()
        self.run, self.recipe, self.checkpoint = run, recipe, checkpoint
        self.early_loss: float | None = None  # the first epoch's loss this process saw

    def on_epoch_end(self, epoch, logs=None):
        loss = (logs or {}).get("loss")
        if loss is None:
            return
        loss = float(loss)
        if not math.isfinite(loss):
            raise self._stopped(epoch, logs, f"is {loss} (not a finite number)")
        chance = math.log(max(2, int(self.model.outputs[0].shape[-1]))) if self.model is not None else 1.0
        early = self.early_loss
        if loss > DIVERGED_LOSS:
            raise self._stopped(epoch, logs, f"is {loss:.4g}, past {DIVERGED_LOSS:g} (it diverged)")
        if early is not None and loss > DIVERGED_FACTOR * early and loss > chance:
            raise self._stopped(
                epoch, logs, f"is {loss:.4g}, {loss / early:.0f}× its first epoch's {early:.4g} (it diverged)"
            )
        if early is None:
            self.early_loss = loss

    def _stopped(self, epoch: int, logs, what: str) -> CnnappError:
        lr = self.recipe.optimizer.lr
        rate = (logs or {}).get("lr")
        now = f", {float(rate):.3g} at this epoch's end" if rate is not None else ""
        if epoch > 0 and self.run.state_file.is_file():
            kept = f"the checkpoints and resume state of epoch {epoch} are kept in {self.run.path}"
        else:
            kept = "no epoch had finished, so nothing was saved"
        return CnnappError(
            f"epoch {epoch + 1}: the training loss {what}, so training stopped; the likely cause is "
            "a learning rate too high for this model and batch "
            f"(optimizer.lr={lr:g}{now}): lower it and train into another --out; {kept}"
        )
