"""Architectures side by side (`audit.compare`): paper facts from the registry, sizes from the audit, the
training-run operations from the recipe's epochs, in four formats."""

import csv
import io
import json

import keras
import pytest

from cnnapp.audit import audit_architecture, audit_model, compare
from cnnapp.errors import CnnappError
from cnnapp.recipes import load_recipe


def test_a_line_carries_the_papers_facts_and_the_training_run_operations():
    audit = audit_architecture("lenet5")
    line = compare.line(audit)
    epochs = int(load_recipe("lenet5").train.epochs)
    assert (line.name, line.categories, line.input_size) == ("lenet5", 10, "32×32×1")
    assert line.training_examples == 60_000 and line.epochs == epochs
    assert line.training_ops == 3 * audit.totals.macs * 60_000 * epochs
    assert (line.units, line.params, line.connections) == (
        audit.totals.units,
        audit.totals.params,
        audit.totals.macs,
    )


def test_a_model_without_paper_facts_leaves_them_out():
    x = keras.Input((4, 4, 1), name="image")
    line = compare.line(audit_model(keras.Model(x, keras.layers.Dense(3)(keras.layers.Flatten()(x)))))
    assert line.task == "" and line.training_examples is None and line.training_ops is None
    assert line.categories == 3
    assert compare.recipe_epochs("no-such-recipe") is None


def test_the_four_formats_say_the_same_numbers():
    lines = [compare.line(audit_architecture(name)) for name in ("lenet5", "alexnet")]
    rows = list(csv.DictReader(io.StringIO(compare.render(lines, "csv"))))
    assert [int(r["params"]) for r in rows] == [c.params for c in lines]
    assert [r["training_ops"] for r in rows] == [str(c.training_ops) for c in lines]
    assert json.loads(compare.render(lines, "json"))[1]["connections"] == lines[1].connections
    table, markdown = compare.render(lines, "table"), compare.render(lines, "markdown")
    for text in (table, markdown):
        assert f"{lines[1].params:,}" in text and "training-run operations: connections × 3" in text
    assert markdown.splitlines()[1] == "|---|---|---|---|" + "---:|" * 6
    with pytest.raises(CnnappError, match="unknown format 'yaml'"):
        compare.render(lines, "yaml")


def test_without_recipes_the_epoch_columns_are_left_out():
    line = compare.line(audit_architecture("lenet5"))
    no_recipe = compare.Comparison(**{**vars(line), "epochs": None, "training_ops": None})
    table = compare.render([no_recipe], "table")
    assert "epochs" not in table.splitlines()[0] and "epochs and training-run operations left out" in table
