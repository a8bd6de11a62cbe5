"""The ablation command on one small recipe, end to end: rows, seeds, table, and a second call that reads the
finished runs back instead of training again; its world columns (int8 exports through MediaPipe) and its
calibration columns (ECE before and after temperature scaling).

The end-to-end tests are `-m slow` (short trainings); the default tier checks the table from made-up runs
(below), the rows it builds the rows it builds
(tests/training/test_tricks.py::test_ablation_rows_turn_each_trick_off_against_the_paper) and the docs'
table made from the committed JSON (tests/training/test_ablation_docs.py).
"""

import json

import pytest

from cnnapp.errors import CnnappError
from cnnapp.train import main
from cnnapp.training import ablation

SHRINK = ["train.epochs=2", "train.steps_per_epoch=3", "data.limit=120", "batch_augment.randaugment_ops=0"]


@pytest.mark.slow
def test_ablation_trains_every_row_and_seed_and_writes_the_table(tmp_path, capsys):
    out = tmp_path / "ablation"
    argv = ["--recipe", "lenet5-digits-modern", "--ablate", "mixup,ema", "--seeds", "0,1", "--out", str(out)]
    argv += ["--quiet", *[a for o in SHRINK for a in ("--set", o)]]
    assert main(argv) == 0
    table = json.loads((out / "ablation.json").read_text())
    assert list(table["summary"]) == ["recipe", "-mixup", "-ema", "paper"]
    assert len(table["runs"]) == 8 and {r["seed"] for r in table["runs"]} == {0, 1}
    for run in table["runs"]:
        assert 0 <= run["test_top1"] <= 1 and 0 <= run["test_ece"] <= 1 and run["train_seconds"] > 0
        assert (out / run["run"] / "report.json").is_file()
    report = json.loads((out / "no-ema" / "seed-0" / "report.json").read_text())
    assert report["weights"] == "raw" and "ema_vs_raw" not in report
    markdown = (out / "ablation.md").read_text()
    assert "| without mixup |" in markdown and "| paper recipe (no tricks) |" in markdown
    assert markdown in capsys.readouterr().out
    stamps = {p: p.stat().st_mtime_ns for p in out.rglob("report.json")}
    assert main(argv) == 0  # every run finished: read back, nothing trained again
    assert stamps == {p: p.stat().st_mtime_ns for p in out.rglob("report.json")}
    assert json.loads((out / "ablation.json").read_text())["summary"] == table["summary"]


def _entry(row, seed, world=None):
    entry = {"row": row, "seed": seed, "validation_top1": 0.9 + seed / 100, "test_top1": 0.8, "test_ece": 0.2}
    entry |= {"test_ece_scaled": 0.02, "temperature": 0.5 + seed / 10, "train_seconds": 10.0}
    return entry | ({"world": world} if world else {})


def test_the_table_shows_the_calibration_error_at_the_fitted_temperature():
    runs = [_entry(row, seed) for row in ("recipe", "-mixup") for seed in (0, 1)]
    table = {
        "recipe": "r",
        "overrides": [],
        "seeds": [0, 1],
        "runs": runs,
        "summary": ablation.summarize(runs),
    }
    assert table["summary"]["recipe"]["temperature"] == {"mean": 0.55, "std": pytest.approx(0.0707, abs=1e-4)}
    text = ablation.markdown(table)
    assert "| test ECE | ECE at T | T | training s |" in text
    assert (
        "| without mixup | 90.50 ± 0.71 | 80.00 ± 0.00 | +0.00 | 0.200 ± 0.000 | 0.020 ± 0.000 "
        "| 0.55 ± 0.07 | 10 |" in text
    )
    assert "world" not in text


def _table(rows, changes=()):
    runs = [_entry(row, seed) for row in rows for seed in (0, 1)]
    definitions = {row: {"recipe": "r", "overrides": list(changes) if row[0] == "+" else []} for row in rows}
    return {"recipe": "r", "overrides": [], "seeds": [0, 1], "rows": definitions, "runs": runs}


def test_a_row_trained_again_replaces_its_runs_when_the_shared_rows_agree():
    table = _table(["recipe", "-mixup", "+adamw", "paper"], ["optimizer.lr=0.001"])
    newer = _table(["recipe", "+adamw", "paper"], ["optimizer.lr=0.003"])
    for run in newer["runs"]:
        run["test_top1"] = 0.85 if run["row"] == "+adamw" else run["test_top1"]
    merged = ablation.replace_rows(table, newer, ["+adamw"])
    assert list(merged["rows"]) == ["recipe", "-mixup", "+adamw", "paper"]
    assert merged["rows"]["+adamw"]["overrides"] == ["optimizer.lr=0.003"]
    assert [r["row"] for r in merged["runs"]] == [row for row in merged["rows"] for _ in (0, 1)]
    assert merged["summary"]["+adamw"]["test_top1"]["mean"] == pytest.approx(0.85)
    assert merged["summary"]["-mixup"] == ablation.summarize(table["runs"])["-mixup"]
    newer["runs"][0]["test_top1"] = 0.7  # the recipe's seed 0 trained differently
    with pytest.raises(CnnappError, match="row recipe, seed 0 scored differently"):
        ablation.replace_rows(table, newer, ["+adamw"])


def test_the_world_columns_appear_when_every_row_has_them():
    world = {
        "file": "int8.tflite",
        "camera_like": 40.0,
        "harder": 10.0,
        "refused": 90.0,
        "white_on_black": 97.0,
    }
    runs = [_entry("recipe", 0, world), _entry("recipe", 1, world | {"camera_like": 50.0})]
    summary = ablation.summarize(runs)
    assert summary["recipe"]["world_camera_like"]["mean"] == 45.0 and "world_file" not in summary["recipe"]
    text = ablation.markdown(
        {"recipe": "r", "overrides": [], "seeds": [0, 1], "runs": runs, "summary": summary}
    )
    assert "world: camera-like | world: harder photos | world: no digit refused |" in text
    assert "| 45.0 ± 7.1 | 10.0 ± 0.0 | 90.0 ± 0.0 |" in text and "MediaPipe" in text


def test_world_columns_need_an_mnist4k_recipe(capsys):
    with pytest.raises(CnnappError, match="--world reads mnist4k"):
        main(["--recipe", "lenet5-digits-modern", "--ablate", "mixup", "--world", "--out", "unused"])
    with pytest.raises(CnnappError, match="--world goes with --ablate"):
        main(["--recipe", "lenet5-digits-modern", "--world"])


@pytest.mark.slow
def test_the_ablation_exports_every_run_and_reads_it_through_mediapipe(tmp_path):
    """The world columns end to end on mnist4k (3 short runs, 3 int8 exports); the fast tests above cover
    the table they make."""
    from cnnapp.deploy.world import RunWorld
    from cnnapp.tasks.classification import task

    out = tmp_path / "ablation"
    shrink = [*SHRINK, 'data.dataset="mnist4k"', 'train.precision="float32"']
    table = ablation.run("lenet5-digits-modern", ["ema"], [0], out, shrink, world=RunWorld(task(), limit=20))
    for run in table["runs"]:
        assert (out / run["run"] / "export" / "int8.tflite").is_file()
        assert {"camera_like", "harder", "refused"} <= set(run["world"])
        assert 0 < run["temperature"] < 20 and 0 <= run["test_ece_scaled"] <= 1
    assert "world: camera-like" in (out / "ablation.md").read_text()
    stamp = (out / "recipe" / "seed-0" / "export" / "world.json").stat().st_mtime_ns
    again = ablation.run("lenet5-digits-modern", ["ema"], [0], out, shrink, world=RunWorld(task(), limit=20))
    assert again["summary"] == table["summary"]  # read back: nothing trained, exported or evaluated again
    assert (out / "recipe" / "seed-0" / "export" / "world.json").stat().st_mtime_ns == stamp
