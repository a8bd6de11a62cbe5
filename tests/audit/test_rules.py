"""The lectures' rules of thumb in plain sentences (`audit.rules`): which one holds for which network, said
with the audit's own shares and sizes."""

import keras
import pytest

from cnnapp.audit import audit_architecture, audit_model, rules


@pytest.mark.parametrize(
    ("n", "unit", "text"),
    [(999, "", "999"), (1234, "", "1.2k"), (1_250_000, "", "1.2M"), (3.5e9, "", "3.5G"), (2e12, "", "2.0T"),
     (246_784, "B", "246.8 kB"), (61_000_000, "B", "61.0 MB"), (12, "B", "12 B")],
)  # fmt: skip
def test_human_sizes_in_powers_of_a_thousand(n, unit, text):
    assert rules.human(n, unit) == text


def test_alexnet_holds_the_rule_and_names_fc6():
    audit = audit_architecture("alexnet")
    said = rules.sentences(audit)
    assert said[0].startswith("96% of weights are in fully connected layers, 4% in conv layers; 91% of")
    assert "rule of thumb holds: most weights are in the fully connected layers" in said[1]
    assert said[2] == f"The largest layer, fc6, holds {rules.human(9216 * 4096)} weights (62% of all)."
    assert f"{rules.human(audit.memory.parameter_bytes['float32'], 'B')} at float32" in said[3]


def test_lenet5s_c5_is_a_conv_layer_in_name_and_fully_connected_in_effect():
    said = rules.sentences(audit_architecture("lenet5"))
    assert (
        "does not hold counting C5 as the conv layer Keras builds (18% of weights fully connected)" in said[1]
    )
    assert "and holds counting it as fully connected, which it is in effect" in said[1]
    assert "(96% of weights)" in said[1]


def test_a_resnet_breaks_the_rule_and_tiny_shares_read_as_bounds():
    said = rules.sentences(audit_architecture("resnet20"))
    assert said[0].startswith("<1% of weights are in fully connected layers, >99% in conv layers")
    assert "does not hold here: the conv layers hold most weights" in said[1]


class Mystery(keras.layers.Layer):
    """A layer type the audit has no rule for."""

    def call(self, x):
        return 2 * x


def test_no_fully_connected_layer_and_an_uncounted_layer_are_said():
    x = keras.Input((8, 8, 1), name="image")
    y = keras.layers.Conv2D(4, 3, name="conv")(x)
    y = Mystery(name="mystery")(y)
    said = rules.sentences(audit_model(keras.Model(x, y)))
    assert "There is no fully connected layer: all weights and connections are in conv layers." in said
    assert said[-1].startswith("Not counted (layer type unknown to the audit") and said[-1].endswith(
        "mystery."
    )


def test_googlenets_auxiliary_heads_are_said_apart():
    said = rules.sentences(audit_architecture("googlenet"))
    assert any(s.startswith("The auxiliary heads (") and "dropped at inference" in s for s in said)
