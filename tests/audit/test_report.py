"""An audit as text (`audit.report`): the table, Markdown, JSON and CSV say the same numbers as the audit."""

import csv
import io
import json

import keras
import pytest
import tf_keras

from cnnapp.audit import audit_architecture, report
from cnnapp.errors import CnnappError


@pytest.fixture(scope="module")
def lenet5():
    return audit_architecture("lenet5")


def test_json_is_the_whole_audit_as_data(lenet5):
    data = json.loads(report.render(lenet5, "json"))
    assert data["totals"]["params"] == lenet5.totals.params == data["keras_params"]
    assert data["totals"]["flops"] == 2 * lenet5.totals.macs
    assert [layer["name"] for layer in data["layers"]] == [r.name for r in lenet5.rows]
    assert data["paper"]["published_params"] == lenet5.architecture.published_params
    assert data["memory"]["training_bytes"] == lenet5.memory.training_bytes
    assert data["rules_of_thumb"][0].endswith("of units are in conv and pooling layers.")
    assert data["auxiliary"] is None


def test_options_become_plain_data():
    result = audit_architecture("lenet5", input_shape=(36, 36, 1), keras_module=tf_keras)
    options = json.loads(report.render(result, "json"))["options"]
    assert options["input_shape"] == [36, 36, 1] and options["keras_module"] == "tf_keras"


def test_csv_has_a_row_per_layer_and_the_inference_total(lenet5):
    rows = list(csv.DictReader(io.StringIO(report.render(lenet5, "csv"))))
    assert [r["name"] for r in rows[:-1]] == [r.name for r in lenet5.rows]
    total = rows[-1]
    assert total["name"] == "TOTAL (inference path)" and int(total["macs"]) == lenet5.totals.macs
    assert total["counted"] == "True"
    c1 = rows[0]
    assert (c1["output_shape"], c1["receptive_field"], c1["stride"]) == ("28×28×6", "5", "1")


def test_the_table_and_markdown_say_the_totals_and_the_tie_out(lenet5):
    table, markdown = report.render(lenet5, "table"), report.render(lenet5, "markdown")
    assert table.startswith("Audit of lenet5: input 32×32×1, ") and markdown.startswith("## Audit of lenet5")
    for text in (table, markdown):
        assert f"params       {lenet5.totals.params:,} (" in text
        assert f"count_params() = {lenet5.keras_params:,} = params" in text
        assert f"at {lenet5.memory.peak_layer})" in text
    assert "\n- " in markdown and "| layer | type | output |" in markdown


def test_auxiliary_heads_get_their_own_grid():
    text = report.render(audit_architecture("googlenet"), "table")
    assert "Auxiliary heads (training only, not in the totals):" in text
    assert "= params + auxiliary params" in text


def test_an_uncounted_layer_is_marked_in_the_table():
    class Mystery(keras.layers.Layer):
        def call(self, x):
            return x

    from cnnapp.audit import audit_model

    x = keras.Input((4,), name="image")
    text = report.render(audit_model(keras.Model(x, Mystery(name="mystery")(keras.layers.Dense(2)(x)))))
    assert "mystery (not counted)" in text


def test_an_unknown_format_lists_the_four():
    with pytest.raises(CnnappError, match="unknown format 'html'; valid formats: csv, json, markdown, table"):
        report.render(audit_architecture("linear"), "html")
