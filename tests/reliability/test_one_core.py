"""One training core: both loops give the same report; extension, divergence and restarts do the right thing.

On the suite's tiny trained run (conftest.py), in-process.
"""

from __future__ import annotations

import contextlib
import io
import json
import math
import shutil

import pytest
import tensorflow as tf

from cnnapp import train
from cnnapp.errors import CnnappError
from cnnapp.recipes import load_recipe
from cnnapp.runs import RunDir
from cnnapp.training import core
from tests.reliability.conftest import TINY, run_cli, train_argv

TIMING = {"train_seconds", "images_per_second", "eval_images_per_second"}


def test_fit_and_strategy_loops_report_the_same_keys_and_numbers(trained_run, tmp_path):
    """The fit run of the fixture and the multi-worker loop on one worker, same recipe and seed."""
    from cnnapp.training.multiworker import fit_multi_worker

    with contextlib.redirect_stdout(io.StringIO()):
        recipe, strategy = load_recipe("lenet5-digits", TINY), tf.distribute.get_strategy()
        report, _ = fit_multi_worker(recipe, tmp_path / "mw", strategy)
    fit = json.loads((trained_run / "report.json").read_text())
    assert report.keys() == fit.keys()
    assert json.loads((tmp_path / "mw" / "report.json").read_text()) == report
    differ = {k for k in fit if fit[k] != report[k]}
    assert differ <= TIMING | {"strategy"}, {k: (fit[k], report[k]) for k in differ}
    assert (fit["strategy"], report["strategy"]) == ("auto", "multi-worker")
    for folder in (trained_run, tmp_path / "mw"):  # the same log columns' epochs, the same folder status
        assert RunDir(folder).status() == "finished"
        assert [r.split(",")[0] for r in (folder / "log.csv").read_text().splitlines()] == ["epoch", "0", "1"]


def test_extending_a_finished_run_says_so(run_copy):
    with contextlib.redirect_stdout(io.StringIO()) as out:
        assert train.main(train_argv(run_copy, "train.epochs=3")) == 0
    report = json.loads((run_copy / "report.json").read_text())
    assert (report["epochs"], report["resumed_from_epoch"], report["extended_from_epochs"]) == (3, 2, 2)
    assert "3 epochs, extended from 2" in out.getvalue()
    assert [r.split(",")[0] for r in (run_copy / "log.csv").read_text().splitlines()[1:]] == ["0", "1", "2"]
    assert RunDir(run_copy).status() == "finished" and RunDir(run_copy).progress()["epochs_done"] == 3


@pytest.mark.slow  # a real divergence; the same stop by an injected NaN runs by default (test_faults.py)
def test_a_diverging_run_stops_naming_the_epoch_and_the_learning_rate(tmp_path):
    out = tmp_path / "run"
    code, _, err = run_cli(train, train_argv(out, "optimizer.lr=1e38"))
    assert code == 2 and len(err.strip().splitlines()) == 1, err
    assert "epoch 1: the training loss is" in err and "optimizer.lr=1e+38" in err, err
    assert "nothing was saved" in err
    run = RunDir(out)
    assert run.status() == "running" and not run.state_file.exists() and not run.checkpoints_dir.exists()
    # Nothing was trained, so the folder takes the corrected command (another learning rate).
    corrected = load_recipe("lenet5-digits", [*TINY, "optimizer.lr=0.01"])
    assert core.check_folder(corrected, run, None) == (None, None)


def test_a_state_from_an_unfinished_run_resumes_and_a_stray_temp_file_goes(run_copy):
    """A kill during the final evaluation: every epoch's state, no report. The same command finishes it."""
    run = RunDir(run_copy)
    meta = json.loads(run.meta_file.read_text())
    run.meta_file.write_text(json.dumps({**meta, "status": "running"}))
    run.report_file.unlink()
    stray = run.checkpoints_dir / ".last.a1b2.tmp-cnnapp.keras"
    stray.write_bytes(b"cut short")
    before = run.state_file.read_bytes()
    with contextlib.redirect_stdout(io.StringIO()):
        assert train.main(train_argv(run_copy)) == 0
    assert run.status() == "finished" and run.read_report()["resumed_from_epoch"] == 2
    assert run.state_file.read_bytes() == before, "no epoch was trained again"
    assert not stray.exists()


def test_the_lock_is_released_on_error_and_names_its_holder(tmp_path):
    run = RunDir(tmp_path / "run")
    with run.lock():
        with pytest.raises(CnnappError, match=r"in use by another training \(pid \d+ on host .+, since "):
            run.lock().acquire()
    with run.lock():  # released by the with block: taken again at once
        pass
    with pytest.raises(CnnappError), run.lock():
        raise CnnappError("a failing run")
    run.lock().acquire()  # released when the run failed


def test_non_finite_numbers_never_reach_a_run():
    for override in ("optimizer.lr=nan", "optimizer.lr=-inf", "schedule.factor=nan", "train.holdout=nan"):
        with pytest.raises(CnnappError, match="must be a finite number"):
            load_recipe("lenet5-digits", [override])
    assert math.isfinite(load_recipe("lenet5-digits").optimizer.lr)


def test_a_copy_of_a_finished_run_is_still_finished(trained_run, tmp_path):
    """The status lives in run.json, not in a lock or a process: a copied folder keeps it."""
    copy = shutil.copytree(trained_run, tmp_path / "copy")
    assert RunDir(copy).status() == "finished" and RunDir(tmp_path / "none").status() == "new"
