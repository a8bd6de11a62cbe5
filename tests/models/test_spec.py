"""Fast tier: an architecture's record is frozen, its option tables read-only, and every registered one is
filled in (a builder, the paper's input and classes, small options for the fast tests)."""

import dataclasses

import pytest

from cnnapp import models
from cnnapp.models.spec import Architecture


def test_the_record_and_its_option_tables_cannot_be_changed_after_registration():
    presets = {"config": "D"}
    spec = Architecture("x", dict, presets, "paper", (32, 32, 3), 10, "task", 100)
    presets["config"] = "E"  # the caller's dict is copied, not kept
    assert spec.presets["config"] == "D" and dict(spec.small_options) == {}
    with pytest.raises(TypeError):
        spec.presets["config"] = "E"
    with pytest.raises(dataclasses.FrozenInstanceError):
        spec.name = "y"


def test_every_registered_architecture_is_a_complete_record():
    for name in models.names():
        spec = models.get(name)
        assert isinstance(spec, Architecture) and spec.name == name and callable(spec.builder)
        assert len(spec.input_shape) == 3 and spec.num_classes >= 2 and spec.training_examples > 0
        assert spec.paper and spec.task
        assert (spec.published_params is None) or spec.params_source, f"{name}: a count without its source"
