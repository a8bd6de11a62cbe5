"""`cnnapp.audit`, the notebook's entry: `cnnapp.audit(x)` audits a model, a registered name or a run."""

import keras

import cnnapp.audit as audit_package
from cnnapp import runs
from cnnapp.audit import audit, audit_architecture, audit_model


def test_the_module_is_callable_as_the_function():
    assert audit_package("lenet5").totals == audit_architecture("lenet5").totals


def test_a_name_with_builder_options_and_a_batch_size():
    result = audit("alexnet", batch_size=4, input_shape=(67, 67, 3), num_classes=10, fc_units=64)
    assert result.memory.batch_size == 4 and result.input_shape == (67, 67, 3)
    assert result.totals.params == audit_architecture("alexnet", input_shape=(67, 67, 3), num_classes=10,
                                                      fc_units=64).totals.params  # fmt: skip


def test_a_model_and_a_run_are_audited_alike(tiny_run):
    x = keras.Input((6,), name="image")
    model = keras.Model(x, keras.layers.Dense(2)(x))
    assert audit(model).totals.params == audit_model(model).totals.params == 14
    run = runs.load_run(tiny_run)
    assert audit(run).totals.params == audit_model(run.model()).totals.params > 0
