"""The field's results: every row has a source, the ILSVRC winners fall by year, formats and the chart."""

import csv
import io
import json

import pytest

from cnnapp.audit import results
from cnnapp.errors import CnnappError


def test_every_result_has_a_source_and_the_lectures_numbers():
    rows = results.published()
    assert all(r.source and r.table in results.TABLES for r in rows)
    ilsvrc = {r.year: r.value for r in rows if r.table == "ilsvrc" and "runner-up" not in r.entry}
    assert ilsvrc == {2010: 28.2, 2011: 25.8, 2012: 16.4, 2013: 11.7, 2014: 6.67, 2015: 3.57}
    assert [r.value for r in rows if r.table == "human"] == [5.1]


@pytest.mark.parametrize("fmt", results.FORMATS)
def test_formats(capsys, fmt):
    assert results.main(["--table", "vgg-table7", "--format", fmt]) == 0
    out = capsys.readouterr().out
    if fmt == "json":
        assert len(json.loads(out)) == 10
    elif fmt == "csv":
        assert len(list(csv.DictReader(io.StringIO(out)))) == 10
    else:
        assert "GoogLeNet, 7 nets" in out and "Table 7" in out


def test_chart(tmp_path):
    path = tmp_path / "results.png"
    assert results.main(["--chart", str(path), "--table", "ilsvrc", "--table", "human"]) == 0
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    with pytest.raises(CnnappError, match="ending in .png"):
        results.main(["--chart", str(tmp_path / "x.jpg")])
