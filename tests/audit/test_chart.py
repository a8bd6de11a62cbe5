"""The per-layer chart (`audit.chart`): a real PNG of the layers that have weights or connections, and a
clear error for a name that is not a PNG; reports go to the named file or the terminal."""

import io

import pytest
from PIL import Image

from cnnapp.audit import audit_architecture, chart
from cnnapp.errors import CnnappError


def test_the_chart_is_a_png_as_wide_as_its_layers_need():
    small = Image.open(io.BytesIO(chart.png(audit_architecture("lenet5"))))
    big = Image.open(io.BytesIO(chart.png(audit_architecture("googlenet"), title="GoogLeNet")))
    assert small.format == big.format == "PNG"
    assert small.size[1] == big.size[1] == 750 and big.size[0] > small.size[0] >= 600


def test_only_png_names_are_taken():
    chart.check_png_name("out/Chart.PNG")
    with pytest.raises(
        CnnappError, match="--chart writes a PNG; give a file name ending in .png, not 'c.svg'"
    ):
        chart.check_png_name("c.svg")


def test_emit_writes_the_file_whole_or_prints(tmp_path, capsys):
    chart.emit("report\n", None)
    assert capsys.readouterr().out == "report\n"
    chart.emit("report\n", str(tmp_path / "r.txt"))
    assert (tmp_path / "r.txt").read_text() == "report\n" and capsys.readouterr().out == ""
