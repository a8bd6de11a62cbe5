"""Golden totals: every registered architecture at its paper input size, pinned in golden.json, with the
published figures checked at their stated tolerances. Regenerate with `python -m tests.audit.golden`."""

import json

import pytest

from cnnapp import models
from cnnapp.audit import audit_architecture
from tests.audit.golden import GOLDEN, entry

TABLE = json.loads(GOLDEN.read_text())["architectures"]
NAMES = models.names()


def test_golden_covers_exactly_the_registered_architectures():
    assert sorted(TABLE) == sorted(NAMES), "architectures changed: run python -m tests.audit.golden"


def _figures(entry: dict) -> dict:
    return {**entry, "published": [{k: v for k, v in f.items() if k != "source"} for f in entry["published"]]}


@pytest.mark.parametrize("name", NAMES)
def test_paper_size_totals_match_golden(name):
    assert name in TABLE, f"{name} has no golden totals: run python -m tests.audit.golden"
    golden = TABLE[name]
    result = audit_architecture(name)
    assert list(result.input_shape) == list(models.get(name).input_shape)  # the paper's size
    computed = entry(name, result)
    # Every field, both ways: a total the audit stops computing, or a published figure cited in golden.py
    # but not in golden.json (or the other way round), fails as surely as a changed number. The citations'
    # wording is documentation, not a figure: it may change without a regeneration.
    assert _figures(computed) == _figures(golden)
    for figure in computed["published"]:
        value, published = computed[figure["field"]], figure["value"]
        assert abs(value - published) <= figure["tolerance"] * published, (figure, value)


def test_alexnet_first_layer_erratum():
    # Section 3.5 lists 253,440–186,624–64,896–64,896–43,264–4096–4096–1000 neurons; 55×55×96 is 290,400.
    result = audit_architecture("alexnet")
    per_layer: dict[str, int] = {}
    for row in result.rows:
        if row.kind in ("conv", "fc"):
            layer = row.name.split("_gpu")[0]
            per_layer[layer] = per_layer.get(layer, 0) + row.units
    assert list(per_layer.values()) == [290_400, 186_624, 64_896, 64_896, 43_264, 4096, 4096, 1000]
