"""The command line, in-process through `main(argv)`: formats, options, saved models, chart, comparison and
one-line errors."""

import csv
import io
import json
import struct
import sys

import keras
import pytest

from cnnapp import models
from cnnapp.audit.__main__ import main, parse_options
from cnnapp.errors import CnnappError, run_cli


def run(capsys, *argv) -> str:
    assert main(list(argv)) == 0
    return capsys.readouterr().out


def test_table_has_rows_totals_and_rules_of_thumb(capsys):
    out = run(capsys, "lenet5-paper")
    assert "Audit of lenet5-paper: input 32×32×1" in out
    assert "C3           PartialConv2D" in out
    assert "340,918 with bias additions" in out
    assert "count_params() = 60,850 = params" in out
    assert "of weights are in fully connected layers" in out
    assert "does not hold counting C5 as the conv layer Keras builds" in out
    assert "and holds counting it as fully connected, which it is in effect" in out


def test_json_csv_and_markdown(capsys):
    data = json.loads(run(capsys, "lenet1989", "--format", "json"))
    assert data["totals"]["params"] == data["keras_params"] == 9_760
    assert data["totals"]["connections_with_bias"] == 64_660
    assert data["totals"]["flops"] == 2 * data["totals"]["macs"]
    assert data["paper"]["training_examples"] == 7_291
    assert [r["name"] for r in data["layers"]][:2] == ["H1", "H1_bias"]
    rows = list(csv.DictReader(io.StringIO(run(capsys, "lenet1989", "--format", "csv"))))
    assert rows[-1]["name"] == "TOTAL (inference path)" and int(rows[-1]["params"]) == 9_760
    assert sum(int(r["macs"]) for r in rows[:-1]) == int(rows[-1]["macs"]) == 63_660
    markdown = run(capsys, "lenet1989", "--format", "markdown")
    assert markdown.startswith("## Audit of lenet1989") and "|---|" in markdown


def test_builder_options_and_memory_settings(capsys):
    options = ["--set", "input_shape=67,67,3", "--option", "num_classes=10", "--set", "fc_units=64"]
    out = run(capsys, "alexnet", *options, "--batch-size", "32", "--optimizer", "adam", "--format", "json")
    data = json.loads(out)
    assert data["input_shape"] == [67, 67, 3] and data["options"]["num_classes"] == 10
    assert data["memory"]["batch_size"] == 32 and data["memory"]["optimizer_slots"] == 2
    assert data["layers"][-1]["output_shape"] == [10]


def test_parse_options():
    assert parse_options(["input_shape=32,32,3", "width=0.5", "init=he", "classifier_activation=None"]) == {
        "input_shape": (32, 32, 3), "width": 0.5, "init": "he", "classifier_activation": None}  # fmt: skip
    with pytest.raises(CnnappError, match="not key=value"):
        parse_options(["width"])


def test_saved_model_file_is_audited_flattened(tmp_path, capsys):
    net = models.build("lenet5")
    x = keras.Input((32, 32, 1), name="image")
    y = keras.layers.Normalization(mean=33.0, variance=78.0**2, name="normalization")(x)
    path = tmp_path / "best.keras"
    keras.Model(x, net(y)).save(path)
    data = json.loads(run(capsys, str(path), "--format", "json"))
    assert data["name"] == "best"
    assert [r["name"] for r in data["layers"]][:2] == ["normalization", "lenet5/C1"]
    assert data["totals"]["params"] == net.count_params()


def test_chart_is_a_png_of_sane_size(tmp_path, capsys):
    path = tmp_path / "chart.png"
    run(capsys, "alexnet", "--set", "input_shape=67,67,3", "--chart", str(path))
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR"
    width, height = struct.unpack(">II", data[16:24])
    assert 400 <= width <= 4000 and 300 <= height <= 2000
    assert 10_000 < len(data) < 2_000_000
    assert sorted(p.name for p in tmp_path.iterdir()) == ["chart.png"]  # written atomically, no leftovers


def test_compare_side_by_side(capsys):
    out = run(capsys, "--compare", "lenet1989", "lenet5", "alexnet")
    lines = out.splitlines()
    assert lines[0].split()[:3] == ["architecture", "task", "categories"]
    assert "training-run operations" in lines[0]
    assert any(line.startswith("lenet1989") and "7,291" in line and "9,760" in line for line in lines)
    data = json.loads(run(capsys, "--compare", "lenet1989", "alexnet", "--format", "json"))
    lenet = data[0]
    assert (lenet["categories"], lenet["input_size"], lenet["connections"]) == (10, "16×16×1", 63_660)
    if lenet["epochs"] is not None:  # from recipes/lenet1989.toml
        assert lenet["training_ops"] == 3 * 63_660 * 7_291 * lenet["epochs"]


def test_output_file(tmp_path, capsys):
    path = tmp_path / "audit.md"
    assert main(["linear", "--format", "markdown", "--output", str(path)]) == 0
    assert capsys.readouterr().out == ""
    assert path.read_text().startswith("## Audit of linear")


@pytest.mark.parametrize(
    "argv, message",
    [
        (["lenet6"], "unknown architecture 'lenet6'; valid architectures: "),
        (["lenet5", "--set", "input_shape=8,8,1"], "lenet5 needs inputs of at least 32×32"),
        (["lenet5", "--set", "depth=3"], "lenet5 has no option 'depth'"),
        (["missing.keras"], "no model file at missing.keras"),
        ([], "give one architecture"),
        (["lenet5", "--batch-size", "0"], "--batch-size must be at least 1"),
        (["lenet5", "--chart", "chart.jpg"], "give a file name ending in .png"),
    ],
)
def test_bad_input_is_a_one_line_error(argv, message):
    with pytest.raises(CnnappError) as error:
        main(argv)
    assert message in str(error.value) and "\n" not in str(error.value)


def test_not_a_keras_model_file(tmp_path, capsys, monkeypatch):
    path = tmp_path / "notes.keras"
    path.write_text("not a zip")
    monkeypatch.setattr(sys, "argv", ["audit", str(path)])
    with pytest.raises(SystemExit) as exit_:
        run_cli(main, "python -m cnnapp.audit")
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("python -m cnnapp.audit: error: ") and "could not be loaded as a Keras model" in err
    assert err.count("\n") == 1


def test_tf_keras_twin_from_the_command_line(capsys):
    ours = json.loads(run(capsys, "lenet5-paper", "--format", "json"))
    twin = json.loads(run(capsys, "lenet5-paper", "--keras", "tf_keras", "--format", "json"))
    assert twin["options"] == {"keras_module": "tf_keras"}
    assert twin["totals"] == ours["totals"]


@pytest.mark.slow
def test_the_real_command_line_in_a_subprocess():
    import os
    import subprocess
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}

    def cli(*argv):
        command = [sys.executable, "-m", "cnnapp.audit", *argv]
        return subprocess.run(command, capture_output=True, text=True, cwd=root, env=env, timeout=300)

    ok = cli("lenet5", "--format", "json")
    assert ok.returncode == 0 and json.loads(ok.stdout)["totals"]["params"] == 61_706
    bad = cli("lenet6")
    assert bad.returncode == 2
    last = bad.stderr.strip().splitlines()[-1]
    assert last.startswith("python -m cnnapp.audit: error: unknown architecture 'lenet6'")
