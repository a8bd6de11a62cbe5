"""The world evaluation of the phone export: it reproduces the committed numbers (slow), and the docs' table
is the committed world.json."""

import json

import pytest

from tests.deploy.test_front import PHONE
from tests.fixtures import ROOT


@pytest.mark.slow
def test_the_world_evaluation_reproduces_the_committed_numbers(tmp_path):
    import shutil

    from cnnapp import evaluate

    folder = tmp_path / PHONE.name
    folder.mkdir()
    for tag in ("float32", "int8"):
        shutil.copy(PHONE / f"{tag}.tflite", folder)
    assert evaluate.main([str(folder), "--world"]) == 0
    got = json.loads((folder / "world.json").read_text())
    want = json.loads((PHONE / "world.json").read_text())
    for mine, theirs in zip(got["exports"], want["exports"], strict=True):
        for key in ("white_on_black", "ink_on_paper", "camera_like", "harder", "refused", "bytes"):
            assert mine[key] == theirs[key], key


def test_the_docs_results_table_is_the_committed_world_json():
    from cnnapp.deploy import world

    doc = ROOT / "docs" / "phone.md"
    folders = sorted(p.parent for p in (ROOT / "export").glob("*/world.json"))
    assert folders, "no committed world.json"
    assert doc.read_text() == world.refresh_table(doc, folders), (
        "docs/phone.md's results table differs from export/*/world.json: regenerate it with "
        "cnnapp.deploy.world.refresh_table"
    )
