"""docs/modern-training.md's ablation tables are the committed JSON's (`ablation.markdown`), not typed."""

import json
from pathlib import Path

from cnnapp.training import ablation

DOCS = Path(__file__).resolve().parents[2] / "docs"


def test_every_committed_ablation_is_in_the_docs_as_its_own_table():
    tables = sorted((DOCS / "ablation").glob("*.json"))
    assert tables, "docs/ablation/ holds the measured ablations"
    doc = DOCS / "modern-training.md"
    assert doc.read_text() == ablation.refresh_doc(doc, DOCS / "ablation"), (
        "docs/modern-training.md's ablation tables differ from docs/ablation/*.json: write "
        "cnnapp.training.ablation.refresh_doc(doc, docs/ablation) back to it"
    )
    for path in tables:
        table = json.loads(path.read_text())
        assert ablation.summarize(table["runs"]) == table["summary"], f"{path.name}: summary is not its runs'"
