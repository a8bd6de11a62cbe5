"""python -m cnnapp.audit.dropout: the lectures' test-time scaling and Keras's inverted dropout keep the same
expected activation, measured on AlexNet's first dropout layer."""

import warnings

import pytest

from cnnapp.audit import dropout
from cnnapp.errors import CnnappError


def test_both_rules_keep_the_expected_activation_and_differ_by_p():
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)  # Keras's "structure of `inputs` doesn't match"
        result = dropout.measure("alexnet", samples=10, images=16)
    p = result["keep_probability"]
    assert result["layer"] == "drop6" and p == pytest.approx(0.5)
    for rule in ("lecture", "inverted"):
        assert result[rule]["train"] == pytest.approx(result[rule]["test"], rel=0.05)
    assert result["lecture"]["test"] == pytest.approx(p * result["inverted"]["test"])
    assert "test / training" in dropout.render(result)


def test_a_model_without_dropout_is_an_error():
    with pytest.raises(CnnappError, match="has no dropout layer"):
        dropout.measure("lenet5", samples=1, images=2)
