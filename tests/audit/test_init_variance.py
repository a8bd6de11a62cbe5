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
