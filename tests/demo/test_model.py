"""Fast tier: the model the page shows — labels, input and facts read from a committed export and its report,
the refusal rule, the world evaluation of this very file, and a segmenter refused in one line."""

from __future__ import annotations

import json
import shutil

import pytest

from cnnapp.demo import __main__ as demo_cli
from cnnapp.demo.model import DemoModel
from cnnapp.errors import CnnappError
from tests.demo import exports


def test_reads_labels_and_input_from_the_committed_export():
    model = exports.demo_model(exports.PHONE_MODELS[0])
    labels_txt = model.path.parent / "labels.txt"
    assert model.labels == tuple(labels_txt.read_text().split())
    assert model.input_shape == tuple(model.report["input"]["shape"]) and model.input_type == "uint8"
    assert model.input_shape[-1] == 3  # RGB frames in, as MediaPipe gives them
    facts = model.facts()
    assert facts["name"] == model.report["model"] and facts["bytes"] == model.path.stat().st_size
    assert facts["accuracy"]["top1"] == model.report["evaluation"]["litert"]["top1"]


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
