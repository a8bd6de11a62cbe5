"""Smoke tier: the README's main command learns, a finished run is left intact, bad input fails cleanly.

The learning run is the session's `digits_run` (tests/fixtures.py): one real training run of the shipped
default, `python -m cnnapp.train --recipe lenet5-digits`, called in-process through `main(argv)`.
"""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from cnnapp import train
from cnnapp.errors import CnnappError
from cnnapp.runs import load_run
from cnnapp.tasks import build_model

ROOT = Path(__file__).resolve().parents[1]


def test_lenet5_digits_learns_above_95_percent(digits_run, capsys):
    report = json.loads((digits_run / "report.json").read_text())
    assert report["top1_accuracy"] >= 0.95, report
    assert report["examples"] == 360 and report["split"] == "test"
    assert report["top1_error"] == pytest.approx(1 - report["top1_accuracy"])
    # The effective recipe reloads as the same recipe; run.json rebuilds the model; log has one row per epoch.
    run = load_run(digits_run)
    assert run.recipe.name == "lenet5-digits" and run.recipe.train.epochs == 20
    assert len((digits_run / "log.csv").read_text().splitlines()) == 1 + 20
    model = run.model("best")
    twin = build_model(run.meta)
    twin.set_weights(model.get_weights())
    assert [layer.name for layer in twin.layers] == [layer.name for layer in model.layers]


def files(folder):
    """Every file's bytes, but the lock's holder stamp (each start that takes the lock rewrites it)."""
    return {p: p.read_bytes() for p in folder.rglob("*") if p.is_file() and p.name != ".lock"}


def test_a_finished_run_is_left_intact(digits_run):
    before = files(digits_run)
    with pytest.raises(CnnappError, match="different recipe"):
        train.main(["--recipe", "lenet5-digits", "--out", str(digits_run), "--set", "optimizer.lr=0.5"])
    with pytest.raises(CnnappError, match="already finished"):
        train.main(["--recipe", "lenet5-digits", "--out", str(digits_run)])
    assert files(digits_run) == before


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--recipe", "lenet6"], "unknown recipe 'lenet6'; valid recipes: "),
        (["--recipe", "lenet5-digits", "--set", "foo=1"], "unknown section 'foo'"),
        (
            ["--recipe", "lenet5-digits", "--set", "optimizer.lr=abc"],
            "optimizer.lr must be a float, got 'abc'",
        ),
        (["--recipe", "lenet5-digits", "--set", "data.dataset=nosuch"], "unknown dataset 'nosuch'"),
    ],
)
def test_bad_input_is_a_one_line_error_and_writes_nothing(argv, message, tmp_path):
    out = tmp_path / "run"
    with pytest.raises(CnnappError) as error:
        train.main([*argv, "--out", str(out)])
    assert message in str(error.value) and "\n" not in str(error.value)
    assert not out.exists()


def test_missing_imagenet_files_name_the_manual_download(tmp_path):
    with pytest.raises(CnnappError, match="manual"):
        train.main(
            ["--recipe", "alexnet", "--out", str(tmp_path / "run"), "--set", f'data.data_dir="{tmp_path}"']
        )
    assert not (tmp_path / "run").exists()


def test_cli_prints_prog_error_and_exits_2():
    result = subprocess.run(
        [sys.executable, "-m", "cnnapp.train", "--recipe", "nosuch"], cwd=ROOT, capture_output=True, text=True
    )
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()  # only our line: TensorFlow's start-up log is captured
    assert len(lines) == 1 and lines[0].startswith("python -m cnnapp.train: error: unknown recipe"), lines


def test_resume_where_nothing_ran_yet_starts_the_run(tmp_path, capsys, monkeypatch):
    # What the run is then given is checked here; that resume=None starts a run in an empty folder is the
    # scaffold's contract (tests/training/test_resume.py, tests/reliability).
    from cnnapp.training import distribute

    given = {}
    monkeypatch.setattr(distribute, "train_distributed", lambda recipe, out, strategy, **kw: given.update(kw))
    monkeypatch.setattr(train, "format_report", lambda report, out: "report")
    out = tmp_path / "empty"
    out.mkdir()  # an empty run folder, as a job script makes before it always passes --resume
    assert train.main(["--recipe", "lenet5-digits", "--out", str(out), "--resume"]) == 0
    assert f"nothing to resume in {out} yet: starting the run" in capsys.readouterr().out
    assert given["resume"] is None
