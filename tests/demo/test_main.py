"""`python -m cnnapp.demo` end to end, fast tier: a model without metadata and bad arguments refused, a run
shown with its int8 export (made when missing), and a broken export fails the demo tests. The page itself
runs in Chromium in test_browser.py (`-m browser`)."""

from __future__ import annotations

import shutil

import pytest

from cnnapp.demo import __main__ as demo_cli
from cnnapp.errors import CnnappError
from tests.demo import exports


def test_refuses_a_tflite_without_metadata_and_names_the_export(plain_tflite, tmp_path):
    with pytest.raises(CnnappError, match=r"no TFLite metadata.*python -m cnnapp.export RUN --mode int8"):
        demo_cli.main([str(plain_tflite), "--out", str(tmp_path / "site")])
    assert not (tmp_path / "site").exists()


def test_a_run_is_shown_with_its_int8_export_made_when_missing(plain_tflite, tmp_path, monkeypatch):
    from cnnapp import export

    run = tmp_path / "run"
    run.mkdir()
    (run / "run.json").write_text("{}")
    calls = []

    def fake_export(argv):  # the real export trains nothing but takes minutes: record the call instead
        calls.append(argv)
        (run / "export").mkdir()
        shutil.copy(plain_tflite, run / "export" / "int8.tflite")

    monkeypatch.setattr(export, "main", fake_export)
    for _ in range(2):  # the second time the export is there and is not made again
        with pytest.raises(CnnappError, match=r"run/export/int8.tflite has no TFLite metadata"):
            demo_cli.main([str(run)])
    assert calls == [[str(run), "--mode", "int8"]]


def test_refuses_bad_arguments(tmp_path):
    text = tmp_path / "notes.tflite"
    text.write_text("not a model")
    with pytest.raises(CnnappError, match="is not a TFLite model"):
        demo_cli.main([str(text)])
    with pytest.raises(CnnappError, match="not a run"):
        demo_cli.main([str(tmp_path)])
    with pytest.raises(CnnappError, match="--port is for --serve"):
        demo_cli.main([str(text), "--port", "9000"])
    with pytest.raises(CnnappError, match="no model file"):
        demo_cli.main([str(tmp_path / "missing.tflite")])


def test_a_broken_or_missing_export_fails_the_demo_tests_not_skips(plain_tflite, tmp_path, monkeypatch):
    monkeypatch.setattr(exports, "EXPORTS", tmp_path)
    with pytest.raises(pytest.fail.Exception, match="no int8 export of lenet5-digits"):
        exports.demo_model("lenet5-digits")
    (tmp_path / "lenet5-digits").mkdir()
    shutil.copy(
        plain_tflite, tmp_path / "lenet5-digits" / "int8.tflite"
    )  # no metadata: the page cannot run it
    with pytest.raises(
        pytest.fail.Exception, match="the page cannot run the committed export: .*no TFLite metadata"
    ):
        exports.demo_model("lenet5-digits")
