"""tools/docnumbers.py: the measured numbers in README.md and docs/ are the committed JSON's, and the
mechanism that writes them works on a doc of its own."""

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "tools" / "docnumbers.py"
spec = importlib.util.spec_from_file_location("docnumbers", SCRIPT)
docnumbers = importlib.util.module_from_spec(spec)
spec.loader.exec_module(docnumbers)


def test_the_committed_docs_hold_the_numbers_of_their_json():
    done = subprocess.run([sys.executable, str(SCRIPT), "--check"], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


@pytest.fixture
def results(tmp_path):
    (tmp_path / "r").mkdir()
    for name, size, top1 in (("float32", 252685, 0.9722222), ("int8", 75161, 0.96944)):
        report = {
            "export": name,
            "size": {"bytes": size},
            "evaluation": {"top1": top1},
            "layers": [{"n": 3, "shape": [28, 28, 6]}],
            "rules": ["One sentence.", "Another."],
        }
        (tmp_path / "r" / f"{name}.json").write_text(json.dumps(report))
    return tmp_path


def test_a_table_is_rewritten_from_its_files_one_row_each(results):
    doc = (
        'Before.\n<!-- numbers: r/*.json "export|code|Export" "size.bytes|,|Bytes" evaluation.top1|.2% -->\n'
        "| stale |\n<!-- /numbers -->\nAfter.\n"
    )
    assert docnumbers.rewrite(doc, results) == (
        'Before.\n<!-- numbers: r/*.json "export|code|Export" "size.bytes|,|Bytes" evaluation.top1|.2% -->\n'
        "| Export | Bytes | evaluation.top1 |\n|---|---|---|\n"
        "| `float32` | 252,685 | 97.22% |\n| `int8` | 75,161 | 96.94% |\n<!-- /numbers -->\nAfter.\n"
    )


def test_a_value_in_prose_and_a_list_row_source(results):
    doc = "It is <!-- number: r/int8.json size.bytes -->1<!-- /number --> bytes."
    assert (
        docnumbers.rewrite(doc, results)
        == "It is <!-- number: r/int8.json size.bytes -->75,161<!-- /number --> bytes."
    )
    ordered = "<!-- numbers: r/{int8,float32}.json export -->\n<!-- /numbers -->"
    assert "| int8 |\n| float32 |\n" in docnumbers.rewrite(ordered, results)
    rows = "<!-- numbers: r/int8.json rows=layers n -->\n<!-- /numbers -->"
    assert "| n |\n|---|\n| 3 |\n" in docnumbers.rewrite(rows, results)
    shape = "<!-- numbers: r/int8.json rows=layers shape|shape -->\n<!-- /numbers -->"
    assert "| 28×28×6 |\n" in docnumbers.rewrite(shape, results)
    sentences = '<!-- numbers: r/int8.json rows=rules ".||the audit says" -->\n<!-- /numbers -->'
    table = "| the audit says |\n|---|\n| One sentence. |\n| Another. |\n"
    assert table in docnumbers.rewrite(sentences, results)


@pytest.mark.parametrize(
    "doc, message",
    [
        ("<!-- number: r/missing.json size.bytes -->1<!-- /number -->", "no file matches r/missing.json"),
        ("<!-- number: r/int8.json size.kb -->1<!-- /number -->", "no 'size.kb'"),
        ("<!-- number: r/int8.json export|.2% -->1<!-- /number -->", "cannot format 'int8'"),
    ],
)
def test_a_marker_naming_nothing_real_is_an_error(results, doc, message):
    with pytest.raises(docnumbers.SpecError, match=message):
        docnumbers.rewrite(doc, results)


def test_a_ratio_or_difference_of_two_keys_is_computed(results):
    ratio = "<!-- number: r/float32.json size.bytes/evaluation.top1|,.0f -->1<!-- /number -->"
    assert ">259,905<" in docnumbers.rewrite(ratio, results)  # 252,685 / 0.9722222
    difference = "<!-- number: r/int8.json evaluation.top1-evaluation.top1|.1% -->1<!-- /number -->"
    assert ">0.0%<" in docnumbers.rewrite(difference, results)
    with pytest.raises(docnumbers.SpecError, match="both sides must be numbers"):
        docnumbers.rewrite("<!-- number: r/int8.json size.bytes/export -->1<!-- /number -->", results)
