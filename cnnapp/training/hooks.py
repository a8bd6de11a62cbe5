"""What a finished run draws, registered from above: the trainer imports no figure module.

    hooks.register_figures("classification", draw, collect)   # cnnapp.explain.register_run_figures()
    on_batch = hooks.collector(task)                         # the training core, before the report's pass
    hooks.draw_figures(task, run_path, (probs, labels, on_batch))   # on the chief, after report.json

A drawer is `draw(run_path, evaluated)`: `evaluated` is the report's own pass over the test split
(probabilities, labels and what `collect()`'s callable kept of its batches: the worst mistakes), or None for
a task whose report keeps no probabilities. With no drawer registered for a run's task nothing is drawn; the
commands that train (`python -m cnnapp.train`, the notebook's `cnnapp.train`) register `cnnapp.explain`'s.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

_DRAW: dict[str, Callable] = {}
_COLLECT: dict[str, Callable] = {}


def register_figures(kind: str, draw: Callable, collect: Callable | None = None) -> None:
    """Call `draw(run_path, evaluated)` at the end of every run whose task's `figures` is `kind`;
    `collect()` makes the `on_batch(images, probs, labels)` the report's test pass feeds."""
    _DRAW[kind] = draw
    if collect is not None:
        _COLLECT[kind] = collect


def collector(task) -> Callable | None:
    """A fresh `on_batch` for the run's report pass, or None when no drawer wants its batches."""
    collect = _COLLECT.get(task.figures)
    return collect() if collect is not None else None


def draw_figures(task, run_path: Path, evaluated=None) -> None:
    draw = _DRAW.get(task.figures)
    if draw is not None:
        draw(run_path, evaluated)
