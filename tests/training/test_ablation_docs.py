"""docs/modern-training.md's ablation tables are the committed JSON's (`ablation.markdown`), not typed."""

import json
from pathlib import Path

from cnnapp.training import ablation

DOCS = Path(__file__).resolve().parents[2] / "docs"


def test_every_committed_ablation_is_in_the_docs_as_its_own_table():
    tables = sorted((DOCS / "ablation").glob("*.json"))
    assert tables, "docs/ablation/ holds the measured ablations"
    text = (DOCS / "modern-training.md").read_text()
    for path in tables:
        table = json.loads(path.read_text())
        assert ablation.markdown(table) in text, (
            f"{path.name}'s table is not in docs/modern-training.md; paste ablation.markdown() of it there"
        )
        assert ablation.summarize(table["runs"]) == table["summary"], f"{path.name}: summary is not its runs'"
