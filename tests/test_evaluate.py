"""Smoke tier: `python -m cnnapp.evaluate` on the session's trained run: centre crop, ten crops and an
ensemble."""

import json

import pytest

from cnnapp import evaluate


def test_evaluate_cli_centre_ten_crop_and_ensemble(digits_run, capsys):
    argv = [str(digits_run), str(digits_run / "checkpoints" / "last.keras"), "--json"]
    assert evaluate.main(argv) == 0
    results = json.loads(capsys.readouterr().out)
    best = results["members"][0]
    report = json.loads((digits_run / "report.json").read_text())
    assert best["centre"]["top1_accuracy"] == pytest.approx(report["top1_accuracy"])
    assert {m["checkpoint"] for m in results["members"]} == {"best", "last"}
    assert set(results["ensemble"]) == {"centre", "ten"} and results["examples"] == 360
