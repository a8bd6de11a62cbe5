"""The demo command's fast tier: the checks on the model file, the site it writes, the server, the runtime
install. The page itself runs in Chromium in test_browser.py (`-m browser`).
"""

from __future__ import annotations

import json
import shutil
import urllib.request
from pathlib import Path

import pytest

from cnnapp.demo import __main__ as demo_cli
from cnnapp.demo import runtime, serve, site, write_site
from cnnapp.demo.model import DemoModel
from cnnapp.errors import CnnappError
from tests.demo import exports


@pytest.fixture(scope="module")
def plain_tflite(tmp_path_factory) -> Path:
    """A real TFLite image classifier without metadata, as TFLiteConverter writes it: 8×8×3 in, 3 classes."""
    import keras
    import tensorflow as tf

    model = keras.Sequential(
        [keras.Input((8, 8, 3)), keras.layers.Flatten(), keras.layers.Dense(3, "softmax")]
    )
    path = tmp_path_factory.mktemp("plain") / "plain.tflite"
    path.write_bytes(tf.lite.TFLiteConverter.from_keras_model(model).convert())
    return path


@pytest.fixture
def fake_web(tmp_path, monkeypatch) -> Path:
    """web/ with its lock file and an installed runtime whose files are placeholders (the real one runs in
    the browser tier)."""
    web = tmp_path / "web"
    web.mkdir()
    for name in ("package.json", "package-lock.json"):
        shutil.copy(runtime.WEB / name, web / name)
    package = runtime.installed_dir(web)
    for name in runtime.FILES:
        (package / name).parent.mkdir(parents=True, exist_ok=True)
        (package / name).write_text(f"placeholder {name}\n")
    (package / "package.json").write_text(
        json.dumps({"name": runtime.PACKAGE, "version": runtime.pinned_version(web)})
    )
    monkeypatch.setattr(runtime, "WEB", web)
    return web


@pytest.fixture(scope="module")
def segmenter_tflite(tmp_path_factory) -> Path:
    """A real TFLite image segmenter with MediaPipe's segmenter metadata: 8×8×3 in, 8×8×3 scores out."""
    import keras
    import tensorflow as tf

    from cnnapp.deploy.metadata import Info, with_metadata

    model = keras.Sequential([keras.Input((8, 8, 3)), keras.layers.Conv2D(3, 1, activation="softmax")])
    content = tf.lite.TFLiteConverter.from_keras_model(model).convert()
    info = Info("seg", "a segmenter", "float32", "tests", "none", ("paper", "ink", "edge"))
    path = tmp_path_factory.mktemp("seg") / "seg.tflite"
    path.write_bytes(with_metadata(content, info, segmenter=True))
    return path


def _shown(tflite: Path) -> DemoModel:
    """The plain model as the page would take it, metadata check skipped: to test the site writer alone."""
    return DemoModel(tflite, ("cat", "dog", "bird"), (8, 8, 3), "float32", None)


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


def test_reads_labels_and_input_from_the_committed_export():
    model = exports.demo_model(exports.PHONE_MODELS[0])
    labels_txt = model.path.parent / "labels.txt"
    assert model.labels == tuple(labels_txt.read_text().split())
    assert model.input_shape == tuple(model.report["input"]["shape"]) and model.input_type == "uint8"
    assert model.input_shape[-1] == 3  # RGB frames in, as MediaPipe gives them
    facts = model.facts()
    assert facts["name"] == model.report["model"] and facts["bytes"] == model.path.stat().st_size
    assert facts["accuracy"]["top1"] == model.report["evaluation"]["litert"]["top1"]


def test_writes_a_static_site_and_replaces_only_sites(plain_tflite, fake_web, tmp_path):
    out = write_site(_shown(plain_tflite), tmp_path / "site", runtime.installed_dir())
    files = sorted(str(p.relative_to(out)) for p in out.rglob("*") if p.is_file())
    assert files == sorted(
        [
            "index.html",
            "demo.js",
            "pad.js",
            "number.js",
            "inkmap.tflite",
            "model.json",
            "plain.tflite",
            site.MARKER,
        ]
        + [f"vendor/tasks-vision/{name}" for name in runtime.FILES]
    )
    assert (out / "plain.tflite").read_bytes() == plain_tflite.read_bytes()
    facts = json.loads((out / "model.json").read_text())
    assert facts["model"] == "plain.tflite" and facts["classes"] == 3 and facts["input"]["shape"] == [8, 8, 3]
    page = (out / "index.html").read_text()
    assert 'type="file"' in page and 'accept="image/*"' in page and "capture" in page and "aria-live" in page
    assert "http" not in (out / "demo.js").read_text().replace("https:", "")  # no CDN: everything is vendored
    write_site(_shown(plain_tflite), out, runtime.installed_dir())  # a site is replaced whole
    assert not list(tmp_path.glob(".site*"))  # no staging folder left behind
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "thesis.txt").write_text("keep")
    for name in ("index.html", "model.json"):  # a web project of the user's: looks like a site, is not ours
        (tmp_path / "mine" / name).write_text("{}")
    with pytest.raises(CnnappError, match="is not a demo site cnnapp wrote"):
        write_site(_shown(plain_tflite), tmp_path / "mine", runtime.installed_dir())
    assert (tmp_path / "mine" / "thesis.txt").read_text() == "keep"


def test_a_site_written_before_the_marker_is_replaced_and_nothing_like_it_is(
    plain_tflite, fake_web, tmp_path
):
    def earlier_site(name: str) -> Path:  # what an earlier cnnapp wrote: the same files, no marker
        out = write_site(_shown(plain_tflite), tmp_path / name, runtime.installed_dir())
        (out / site.MARKER).unlink()
        return out

    write_site(_shown(plain_tflite), earlier_site("old"), runtime.installed_dir())
    assert (tmp_path / "old" / site.MARKER).is_file()  # replaced, and marked from now on
    (earlier_site("notes") / "notes.txt").write_text("mine")  # a file cnnapp never writes
    edited = earlier_site("edited")
    (edited / "index.html").write_text((edited / "index.html").read_text() + "<!-- my page -->")
    (earlier_site("two") / "other.tflite").write_bytes(plain_tflite.read_bytes())
    (earlier_site("folder") / "vendor" / "mine").mkdir()
    for name in ("notes", "edited", "two", "folder"):
        before = sorted(p.relative_to(tmp_path) for p in (tmp_path / name).rglob("*"))
        with pytest.raises(CnnappError, match="is not a demo site cnnapp wrote"):
            write_site(_shown(plain_tflite), tmp_path / name, runtime.installed_dir())
        assert sorted(p.relative_to(tmp_path) for p in (tmp_path / name).rglob("*")) == before


def test_serves_the_site_on_localhost_with_the_types_browsers_need(plain_tflite, fake_web, tmp_path):
    out = write_site(_shown(plain_tflite), tmp_path / "site", runtime.installed_dir())
    with serve.serving(out) as url:
        assert url.startswith("http://127.0.0.1:")
        types = {}
        for name in (
            "",
            "demo.js",
            "vendor/tasks-vision/vision_bundle.mjs",
            "vendor/tasks-vision/wasm/vision_wasm_internal.wasm",
            "model.json",
        ):
            with urllib.request.urlopen(url + name) as response:
                types[name] = response.headers["Content-Type"]
    assert types[""].startswith("text/html") and types["demo.js"] == "text/javascript"
    assert types["vendor/tasks-vision/vision_bundle.mjs"] == "text/javascript"
    assert types["vendor/tasks-vision/wasm/vision_wasm_internal.wasm"] == "application/wasm"


def test_runtime_install_needs_npm(tmp_path, monkeypatch):
    web = tmp_path / "web"
    web.mkdir()
    for name in ("package.json", "package-lock.json"):
        shutil.copy(runtime.WEB / name, web / name)
    monkeypatch.setattr(shutil, "which", lambda name: None)
    with pytest.raises(CnnappError, match=r"npm is not on PATH.*npm ci"):
        runtime.ensure_installed(web)


def test_the_pinned_runtime_is_exact():
    package = json.loads((runtime.WEB / "package.json").read_text())
    assert package["dependencies"] == {runtime.PACKAGE: runtime.pinned_version()}  # no ^ or ~ range


def test_a_report_describing_another_file_is_not_shown(plain_tflite, tmp_path):
    from cnnapp.demo.model import _report

    size = plain_tflite.stat().st_size
    model = tmp_path / "int8.tflite"
    shutil.copy(plain_tflite, model)
    for bytes_in_report, shown in ((size, True), (size + 1, False)):
        (tmp_path / "int8.json").write_text(json.dumps({"model": "m", "size": {"bytes": bytes_in_report}}))
        assert (_report(model, size) is not None) == shown


def test_a_segmenter_is_refused_in_one_line_naming_what_works(segmenter_tflite, tmp_path):
    message = (
        r"is an image segmenter \(a score per pixel\): it returns 1×8×8×3 scores.*shows image classifiers"
    )
    with pytest.raises(CnnappError, match=message) as error:
        demo_cli.main([str(segmenter_tflite), "--out", str(tmp_path / "site")])
    assert "\n" not in str(error.value) and "export/lenet5-phone/int8.tflite" in str(error.value)
    run = tmp_path / "fcn-run"
    run.mkdir()
    (run / "run.json").write_text(json.dumps({"head": "fcn8s"}))
    with pytest.raises(CnnappError, match="is a segmentation run .*the demo shows image classifiers"):
        demo_cli.main([str(run)])  # refused before any export is made
    assert not (run / "export").exists() and not (tmp_path / "site").exists()


def test_the_refusal_rule_comes_from_the_export_report(plain_tflite):
    def shown(report):
        return DemoModel(plain_tflite, ("cat", "dog", "none"), (8, 8, 3), "float32", report)

    assert shown(None).refusal() == {"label": None, "min_score": 0.5, "source": None}  # the page says so
    rule = {"label": "none", "min_score": 0.6}
    assert shown({"refusal": rule}).facts()["refusal"] == {**rule, "source": "export"}
    with pytest.raises(CnnappError, match=r"refusal label 'nothing', which is not among the model's labels"):
        shown({"refusal": {"label": "nothing", "min_score": 0.5}}).refusal()


def test_the_page_credits_the_data_the_model_was_trained_on():
    facts = exports.demo_model(exports.PHONE_MODELS[0]).facts()
    licence = facts["credits"]
    assert licence and licence.startswith("Trained on") and facts["trained_on"]
    assert ("MNIST" in licence) == ("mnist" in (facts["trained_on"] + licence).lower())
    assert facts["accuracy"]["split"] == "test" and facts["accuracy"]["images"] > 0


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


def test_the_world_evaluation_shown_is_this_files_row(plain_tflite, tmp_path):
    from cnnapp.demo.model import _world

    model = tmp_path / "int8.tflite"
    shutil.copy(plain_tflite, model)
    size = model.stat().st_size
    row = {"file": "int8.tflite", "bytes": size, "ink_on_paper": 98.7, "refused": 96.5}
    results = {
        "dataset": "mnist4k validation split (never trained on)",
        "sets": {"ink_on_paper": "ink on paper", "refused": "non-digit frames refused"},
        "exports": [{**row, "file": "float32.tflite"}, row],
    }
    (tmp_path / "world.json").write_text(json.dumps(results))
    shown = _world(model, size)
    assert shown["dataset"] == results["dataset"]
    assert shown["scores"] == [
        {"set": "ink_on_paper", "name": "ink on paper", "percent": 98.7},
        {"set": "refused", "name": "non-digit frames refused", "percent": 96.5},
    ]
    assert _world(model, size + 1) is None  # a row about another file is not shown
    (tmp_path / "world.json").write_text("{not json")
    assert _world(model, size) is None
