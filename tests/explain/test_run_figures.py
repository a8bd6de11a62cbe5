"""Smoke tier: every training run ends with its curves and its test error analysis in RUN/figures/."""

import csv
import io
import json
import shutil

import numpy as np
import pytest

from cnnapp.explain import curves, errors, write_run_figures


def _csv(path):
    return list(csv.reader(io.StringIO(path.read_text())))


def test_training_leaves_curves_and_confusion_that_match_the_report(short_run):
    figures = short_run / "figures"
    for name in (
        "curves.png",
        "curves.json",
        "confusion.png",
        "confusion.csv",
        "per_class.csv",
        "worst_errors.png",
        "worst_errors.json",
        "test_predictions.csv",
    ):
        assert (figures / name).is_file(), name
    report = json.loads((short_run / "report.json").read_text())
    rows = _csv(figures / "confusion.csv")
    matrix = np.array([[int(v) for v in row[1:]] for row in rows[1:]])
    assert matrix.shape == (10, 10) and matrix.sum() == report["examples"] == 360
    assert matrix.sum() - np.trace(matrix) == round(report["top1_error"] * report["examples"])
    per_class = _csv(figures / "per_class.csv")[1:]
    assert [int(r[5]) for r in per_class] == list(matrix.sum(axis=1))
    assert [float(r[3]) for r in per_class] == pytest.approx(np.diag(matrix) / matrix.sum(axis=1), abs=1e-6)
    worst = json.loads((figures / "worst_errors.json").read_text())
    assert worst["errors"] == matrix.sum() - np.trace(matrix)
    confidences = [e["confidence"] for e in worst["worst"]]
    assert confidences == sorted(confidences, reverse=True) and all(
        e["true"] != e["predicted"] for e in worst["worst"]
    )
    data = json.loads((figures / "curves.json").read_text())
    assert data["epochs"] == [1, 2, 3] and data["best_epoch"] == report["best_epoch"]
    log = curves.read_log(short_run / "log.csv")
    assert data["series"]["val_accuracy"] == pytest.approx(list(log["val_accuracy"]), rel=1e-5)


def test_run_figures_are_the_same_bytes_when_drawn_again(short_run, tmp_path):
    copy = tmp_path / short_run.name  # the run name is in the titles
    shutil.copytree(short_run, copy, ignore=shutil.ignore_patterns("figures", "tensorboard"))
    write_run_figures(copy)
    for name in ("curves.png", "confusion.png", "worst_errors.png", "confusion.csv", "test_predictions.csv"):
        assert (copy / "figures" / name).read_bytes() == (short_run / "figures" / name).read_bytes(), name


def test_curves_mark_plateau_cuts_and_the_best_epoch(short_run, tmp_path):
    run = tmp_path / "run"
    run.mkdir()
    shutil.copy(short_run / "recipe.toml", run / "recipe.toml")  # a plateau schedule
    lrs = [0.02, 0.02, 0.002, 0.002, 0.002, 0.0002]
    lines = ["epoch,accuracy,loss,lr,val_accuracy,val_loss"]
    lines += [f"{k},0.5,1.0,{lr},{[0.5, 0.6, 0.7, 0.9, 0.8, 0.85][k]},1.0" for k, lr in enumerate(lrs)]
    (run / "log.csv").write_text("\n".join(lines) + "\n")
    data = curves.curves_data(run)
    assert data["lr_cuts"] == [3, 6] and data["best_epoch"] == 4  # no report: the best validation epoch
    assert curves.draw_curves(run, run / "curves.png").is_file()


def test_error_analysis_of_known_predictions():
    probs = np.array([[0.9, 0.1, 0.0], [0.2, 0.7, 0.1], [0.6, 0.3, 0.1], [0.1, 0.1, 0.8], [0.3, 0.3, 0.4]])
    labels = np.array([0, 1, 1, 2, 0])
    analysis = errors.analyse(probs, labels)
    assert analysis.matrix.tolist() == [[1, 0, 1], [1, 1, 0], [0, 0, 1]]
    assert analysis.errors == 2 and analysis.worst.tolist() == [2, 4]  # 0.6 before 0.4
    scores = analysis.per_class()
    assert (
        scores[0]["precision"] == 0.5
        and scores[1]["recall"] == 0.5
        and scores[2]["f1"] == pytest.approx(2 / 3)
    )


def test_compare_overlays_runs(short_run, tmp_path):
    from cnnapp.explain.__main__ import main

    other = tmp_path / "other"
    shutil.copytree(short_run, other, ignore=shutil.ignore_patterns("figures", "tensorboard"))
    log = (other / "log.csv").read_text().splitlines()
    (other / "log.csv").write_text("\n".join(log[:3]) + "\n")  # a shorter run: 2 epochs
    assert main([str(short_run), "--compare", str(other), "--out", str(tmp_path / "cmp")]) == 0
    data = json.loads((tmp_path / "cmp" / "compare.json").read_text())
    assert list(data["runs"]) == ["lenet5-digits", "other"]
    assert data["runs"]["other"]["epochs"] == [1, 2] and data["runs"]["lenet5-digits"]["epochs"] == [1, 2, 3]
    assert (tmp_path / "cmp" / "compare.png").is_file()
