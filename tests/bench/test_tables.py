"""docs/bench.md shows the committed bench run's tables exactly as the bench prints them from its JSON."""

import json
from pathlib import Path

from cnnapp.bench import tables

DOCS = Path(__file__).parents[2] / "docs"


def test_the_page_shows_the_committed_run():
    result = json.loads((DOCS / "bench.json").read_text())
    page = (DOCS / "bench.md").read_text()
    block = page.split(tables.BEGIN)[1].split(tables.END)[0]
    assert block.strip() == tables.format_table(result).strip()


def test_refresh_replaces_only_the_block(tmp_path):
    doc, data = tmp_path / "page.md", tmp_path / "bench.json"
    data.write_text((DOCS / "bench.json").read_text())
    doc.write_text(f"# before\n\n{tables.BEGIN}\nSTALE TABLE\n{tables.END}\n\nafter\n")
    tables.refresh_doc(doc, data)
    text = doc.read_text()
    assert text.startswith("# before") and text.endswith("after\n") and "STALE TABLE" not in text
    assert tables.format_table(json.loads(data.read_text())) in text
