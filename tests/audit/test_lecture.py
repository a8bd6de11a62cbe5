"""The lectures' figures beside ours: every figure names a quantity we compute, every difference has a reason,
and the counting the lecture used reproduces its number where we say it does."""

import csv
import io
import json

import pytest

from cnnapp.audit import audit_architecture, lecture
from cnnapp.audit.__main__ import main
from cnnapp.errors import CnnappError


def run(capsys, *argv) -> str:
    assert main(list(argv)) == 0
    return capsys.readouterr().out


@pytest.fixture(scope="module")
def size_table():
    return {
        a: lecture.beside(audit_architecture(a)) for a in ("lenet1989", "lenet5", "lenet5-paper", "alexnet")
    }


def test_every_figure_has_a_source_and_a_known_architecture():
    from cnnapp import models

    for f in lecture.figures():
        assert f["arch"] in models.names(), f
        assert f["source"] and "figure" in f and "lecture" in f and "ours" in f


def test_every_difference_says_why(size_table):
    for rows in size_table.values():
        for row in rows:
            assert row.match == "=" or row.reason, row


def test_the_lectures_way_of_counting_reproduces_the_size_table(size_table):
    got = {(r.arch, r.figure): r for rows in size_table.values() for r in rows}
    assert got["lenet1989", "units"].lecture_way == 1256  # the 256 input units counted
    assert got["lenet1989", "parameters"].match == "="
    assert got["lenet1989", "connections"].lecture_way == 64_660
    assert got["lenet5", "units"].lecture_way == 8084  # the 10 outputs left out
    assert got["lenet5-paper", "parameters"].lecture_way == 60_000
    assert got["lenet5-paper", "connections"].lecture_way == 340_068  # the paper's own per-layer sum
    assert got["alexnet", "units"].lecture_way == 658_272
    assert got["alexnet", "weight layers"].ours == 8
    assert got["alexnet", "conv1 filters"].ours == 96 and got["alexnet", "conv1 filters"].match == "≠"


def test_depth_is_the_papers_count_of_weight_layers():
    assert {a: audit_architecture(a).depth for a in ("alexnet", "vgg16", "googlenet", "resnet50")} == {
        "alexnet": 8, "vgg16": 16, "googlenet": 22, "resnet50": 50,
    }  # fmt: skip


def test_googlenet_against_alexnet_is_measured():
    rows = {r.figure: r for r in lecture.beside(audit_architecture("googlenet"))}
    ratio = rows["fewer parameters than AlexNet (×)"]
    assert ratio.lecture == 12 and 8.7 < ratio.ours < 8.72 and "8.7×" in ratio.reason
    assert rows["inception (3a) operations"].lecture_way == 784 * 163_328  # convolutions only


@pytest.mark.parametrize("fmt", ["table", "markdown", "json", "csv"])
def test_compare_lecture_in_every_format(capsys, fmt):
    out = run(capsys, "--compare", "lenet1989", "lenet5", "--lecture", "--format", fmt)
    if fmt == "json":
        data = json.loads(out)
        assert data["audit"][0]["name"] == "lenet1989"
        assert {r["figure"] for r in data["lecture"]} >= {"units", "connections"}
    elif fmt == "csv":
        rows = list(csv.DictReader(io.StringIO(out)))
        assert rows[0]["arch"] == "lenet1989" and rows[0]["lecture"] == "1256" and rows[0]["ours"] == "1000"
    else:
        assert "1,256" in out and "counts the 256 input units too" in out and "lenet5" in out


def test_single_audit_lecture(capsys):
    out = run(capsys, "lenet1989", "--lecture")
    assert "4 weight layers deep" in out and "The lectures' figures beside ours" in out


def test_lecture_on_an_architecture_without_figures_is_a_clear_error():
    with pytest.raises(CnnappError, match="give no figures for 'resnet18'.*--lecture works for"):
        main(["resnet18", "--lecture"])


# Audits every architecture a deck gives figures for (~10 s); the default tier covers the size table
# (test_every_difference_says_why) and GoogLeNet.
@pytest.mark.slow
def test_every_architecture_with_figures_renders_with_reasons():
    for arch in lecture.archs_with_figures():
        rows = lecture.beside(audit_architecture(arch))
        assert rows and all(r.match == "=" or r.reason for r in rows), arch
        assert lecture.render(rows, "markdown").count("\n") > len(rows)


def test_the_crop_positions_reason_says_how_the_alexnet_recipe_crops():
    from cnnapp.recipes import load_recipe

    crops = next(f for f in lecture.figures() if f["figure"].startswith("training crop positions"))
    central = "central_square" in load_recipe("alexnet").data.pipeline.augment
    assert central == ("central 256×256" in crops["reason"] and "central_square" in crops["reason"])
