"""The initial variance per layer: LeNet's U(±2.4/F_in) against LeCun's 1/n_in, measured."""

import pytest

from cnnapp.audit import init_variance
from cnnapp.errors import CnnappError


def test_lenet5_paper_init_is_13x_below_lecun_at_c1_not_100x():
    paper = {r["layer"]: r for r in init_variance.measure("lenet5", "paper")}
    lecun = {r["layer"]: r for r in init_variance.measure("lenet5", "lecun")}
    assert paper["C1"]["fan_in"] == 25
    assert paper["C1"]["expected"] == pytest.approx(1.92 / 625)
    ratio = lecun["C1"]["measured"] / paper["C1"]["measured"]
    assert 10 < ratio < 18  # formula: 625 / (25 · 1.92) = 13.0; the recipe's old comment said 100×
    assert 150 < lecun["C5"]["measured"] / paper["C5"]["measured"] < 270  # formula 208×


def test_cli(capsys):
    assert init_variance.main(["lenet5"]) == 0
    assert "lecun / paper" in capsys.readouterr().out
    with pytest.raises(CnnappError, match="unknown architecture 'lenet6'"):
        init_variance.main(["lenet6"])


def test_the_old_torch_default_has_a_third_of_lecuns_variance_measured():
    rows = {row["layer"]: row for row in init_variance.measure("lenet5", "torch7")}
    c1, c5 = rows["C1"], rows["C5"]
    # U(±1/√25) at C1: no weight beyond 0.2, Var = 1/75 (the lecture's "a third of LeCun's")
    assert c1["expected"] == pytest.approx(1 / 75) and c1["measured"] == pytest.approx(1 / 75, rel=0.25)
    assert c5["measured"] == pytest.approx(1 / (3 * 400), rel=0.05)  # 48,000 weights: tight
