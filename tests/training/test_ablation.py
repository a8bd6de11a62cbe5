"""The ablation command on one small recipe, end to end: rows, seeds, table, and a second call that reads the
finished runs back instead of training again.

`-m slow` (8 short trainings); the default tier checks the rows it builds
(tests/training/test_tricks.py::test_ablation_rows_turn_each_trick_off_against_the_paper) and the docs'
table made from the committed JSON (tests/training/test_ablation_docs.py).
"""

import json

import pytest

from cnnapp.train import main

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
