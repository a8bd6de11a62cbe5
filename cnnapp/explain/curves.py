"""Training curves from a run's `log.csv`: loss, top-1 and top-5 accuracy (training and validation) and the
learning rate per epoch, with the best epoch and every learning-rate cut marked; several runs overlaid.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from cnnapp.errors import CnnappError
from cnnapp.explain import figure as fig
from cnnapp.recipes import load_recipe
from cnnapp.runs import RunDir

CUT_SCHEDULES = ("plateau", "step")  # schedules whose rate drops in discrete cuts


def read_log(path: str | Path) -> dict[str, np.ndarray]:
    """log.csv's columns as float arrays, plus "epoch" counted from 1 (Keras writes it from 0)."""
    path = Path(path)
    if not path.is_file():
        raise CnnappError(f"no training log at {path}; has the run finished an epoch?")
    rows = [r for r in csv.DictReader(io.StringIO(path.read_text())) if r]
    if not rows:
        raise CnnappError(f"{path} holds no epochs yet")
    columns = {
        k: np.array([float(r[k]) if r.get(k) not in (None, "") else np.nan for r in rows]) for k in rows[0]
    }
    columns["epoch"] = columns["epoch"] + 1
    return columns


def lr_cuts(epochs: np.ndarray, lr: np.ndarray) -> list[int]:
    """The epochs whose learning rate is below the previous epoch's by a factor of 2 or more (the cuts)."""
    return [int(epochs[i]) for i in range(1, len(lr)) if lr[i] <= 0.5 * lr[i - 1]]


def best_epoch(run_path: Path, log: dict[str, np.ndarray]) -> int | None:
    """The epoch of the best checkpoint: report.json's, else the log's by the checkpoint's rule (the lowest
    validation error, ties to the lower validation loss, then the earlier epoch)."""

    report = RunDir(run_path).read_report()
    if report:
        epoch = report.get("best_epoch")
        if epoch:
            return int(epoch)
    if "val_accuracy" in log and np.isfinite(log["val_accuracy"]).any():
        error = np.where(np.isfinite(log["val_accuracy"]), 1.0 - log["val_accuracy"], np.inf)
        loss = log.get("val_loss", np.full_like(error, np.inf))
        loss = np.where(np.isfinite(loss), loss, np.inf)
        return int(log["epoch"][int(np.lexsort((loss, error))[0])])
    return None


def curves_data(run_path: str | Path) -> dict:
    """The numbers behind `curves.png`: per-epoch series, the best epoch, the learning-rate cuts."""

    run = RunDir(run_path)
    run_path = run.path
    log = read_log(run.log_file)
    schedule = load_recipe(run.recipe_file).schedule.name if run.recipe_file.is_file() else ""
    cuts = lr_cuts(log["epoch"], log["lr"]) if "lr" in log and schedule in CUT_SCHEDULES else []
    series = {k: v for k, v in log.items() if k != "epoch"}
    return {
        "run": run_path.name,
        "epochs": log["epoch"].astype(int),
        "series": series,
        "best_epoch": best_epoch(run_path, log),
        "lr_cuts": cuts,
        "schedule": schedule,
    }


def _marks(axis, data, colour="black", label=True) -> None:
    if data["best_epoch"]:
        axis.axvline(
            data["best_epoch"],
            color=colour,
            linestyle="--",
            linewidth=1,
            label=f"best epoch ({data['best_epoch']})" if label else None,
        )
    for i, cut in enumerate(data["lr_cuts"]):
        axis.axvline(
            cut,
            color="tab:red",
            linestyle=":",
            linewidth=1,
            label="learning-rate cut" if label and i == 0 else None,
        )


def run_task(run_path: str | Path):
    """The task of the run at `run_path`, from its recipe (a folder without one: a classifier's log)."""
    from cnnapp import tasks  # deferred: cnnapp.tasks imports Keras

    recipe_file = RunDir(run_path).recipe_file
    return tasks.of(load_recipe(recipe_file)) if recipe_file.is_file() else tasks.classification.task()


def panels_for(series, panels) -> list[tuple[str, str, str]]:
    """The task's panels (a classifier's top-1 and top-5, a segmenter's pixel accuracy and mean IoU) that
    the log has columns for."""
    return [p for p in panels if p[1] in series or p[2] in series]


def draw_curves(run_path: str | Path, out: str | Path) -> Path:
    """`curves.png` and `curves.json` for one run: three metric panels and the learning rate."""
    data = curves_data(run_path)
    series = data["series"]
    panels = panels_for(series, run_task(run_path).curve_panels)
    has_lr = "lr" in series
    width = 3.6 * (len(panels) + has_lr)
    figure = fig.new_figure(width, 3.2, layout=None)  # fixed margins: the constrained layout costs seconds
    figure.subplots_adjust(left=0.5 / width, right=1 - 0.15 / width, bottom=0.15, top=0.84, wspace=0.28)
    axes = np.atleast_1d(figure.subplots(1, len(panels) + has_lr))
    epochs = data["epochs"]
    for axis, (title, train_key, val_key) in zip(axes, panels, strict=False):
        for key, label, style in ((train_key, "training", "-"), (val_key, "validation", "-")):
            if key in series:
                axis.plot(epochs, series[key], style, marker=".", label=label)
        _marks(axis, data)
        axis.set_title(title)
        axis.set_xlabel("epoch")
        axis.grid(alpha=0.3)
        axis.legend(fontsize=7)
    if has_lr:
        axis = axes[-1]
        axis.plot(epochs, series["lr"], marker=".", color="tab:purple")
        axis.set_yscale("log")
        _marks(axis, data, label=False)
        axis.set_title("learning rate")
        axis.set_xlabel("epoch")
        axis.grid(alpha=0.3)
    figure.suptitle(f"{data['run']}: training curves")
    out = Path(out)
    fig.save_json(out.with_suffix(".json"), data)
    return fig.save_png(figure, out)


def draw_compare(run_paths: Sequence[str | Path], out: str | Path) -> Path:
    """`compare.png` and `compare.json`: training loss, the task's validation scores (a classifier's top-1
    accuracy; a segmenter's pixel accuracy and mean IoU) and the learning rate of several runs of one task
    overlaid, each run's best epoch marked."""
    found = {run_task(p).name: run_task(p) for p in run_paths}
    if len(found) > 1:
        raise CnnappError(
            f"--compare overlays runs of one task; these are {' and '.join(sorted(found))} runs: compare "
            "each task's runs apart"
        )
    (task,) = found.values()
    runs = [curves_data(p) for p in run_paths]
    names = [d["run"] for d in runs]
    if len(set(names)) != len(names):  # two runs named alike in different folders
        names = [str(Path(p)) for p in run_paths]
    keys = [("loss", "training loss"), *task.compare_panels, ("lr", "learning rate")]
    figure = fig.new_figure(11.0 * len(keys) / 3, 3.4)
    axes = figure.subplots(1, len(keys))
    colours = [f"C{i % 10}" for i in range(len(runs))]
    for axis, (key, title) in zip(axes, keys, strict=True):
        for data, name, colour in zip(runs, names, colours, strict=True):
            if key not in data["series"]:
                continue
            axis.plot(data["epochs"], data["series"][key], marker=".", color=colour, label=name)
            if data["best_epoch"]:
                axis.axvline(data["best_epoch"], color=colour, linestyle="--", linewidth=0.8)
        if key == "lr":
            axis.set_yscale("log")
        axis.set_title(title)
        axis.set_xlabel("epoch")
        axis.grid(alpha=0.3)
    axes[0].legend(fontsize=7)
    figure.suptitle("runs compared (dashed: each run's best epoch)")
    out = Path(out)
    fig.save_json(out.with_suffix(".json"), {"runs": dict(zip(names, runs, strict=True))})
    return fig.save_png(figure, out)
