"""Memory at inference against memory in training (`audit.memory`): the peak of live activations over a
branching graph, buffers shared by views and inference-time dropout, optimizer state, auxiliary heads."""

import keras
import pytest

from cnnapp import models
from cnnapp.audit import audit_model, memory
from cnnapp.errors import CnnappError


def test_peak_liveness_over_a_branching_graph():
    # input 10 → a (20) and b (30) both read the input, then concat (50) → fc (5).
    x = keras.Input((10,), name="image")
    a = keras.layers.Dense(20, name="a")(x)
    b = keras.layers.Dense(30, name="b")(x)
    cat = keras.layers.Concatenate(name="cat")([a, b])
    out = keras.layers.Dense(5, name="fc")(cat)
    result = audit_model(keras.Model(x, out))
    peak, where = memory.peak_live(result)
    # while cat runs, a, b and cat are alive (the input died after b): 20 + 30 + 50 = 100.
    assert (peak, where) == (100, "cat")
    m = result.memory
    assert m.peak_activation_bytes_per_example == 400
    assert m.activation_bytes_per_example == 4 * (10 + 20 + 30 + 50 + 5)


def test_training_against_inference_memory():
    x = keras.Input((10,), name="image")
    y = keras.layers.Dense(20, name="a")(x)
    y = keras.layers.BatchNormalization(name="bn")(y)
    y = keras.layers.Dense(5, name="fc")(y)
    model = keras.Model(x, y)
    params, trainable = model.count_params(), 220 + 40 + 105
    m = audit_model(model, batch_size=8, optimizer="adam").memory
    assert m.parameter_bytes == {"float32": 4 * params, "float16": 2 * params, "int8": params}
    assert m.optimizer_slots == 2
    assert m.training_bytes == 4 * params + 4 * trainable + 2 * 4 * trainable + 8 * 4 * (10 + 20 + 20 + 5)
    assert m.inference_bytes == 4 * params + 8 * 4 * max(10 + 20, 20 + 20, 20 + 5)
    assert audit_model(model, optimizer="sgd").memory.optimizer_bytes == 0


def test_bad_memory_settings():
    model = models.build("linear")
    with pytest.raises(CnnappError, match="batch size"):
        audit_model(model, batch_size=0)
    with pytest.raises(CnnappError, match="unknown optimizer"):
        audit_model(model, optimizer="lbfgs")


def test_views_and_inference_dropout_share_their_inputs_buffer():
    x = keras.Input((4, 4, 2), name="image")
    y = keras.layers.Flatten(name="flat")(x)
    y = keras.layers.Dropout(0.5, name="drop")(y)
    y = keras.layers.Dense(3, name="fc")(y)
    result = audit_model(keras.Model(x, y))
    # Flatten and dropout are the input's 32 elements, not new buffers: the peak is input + fc = 35.
    assert memory.peak_live(result) == (35, "fc")
    # Training keeps the input, dropout's output and fc's; a flatten is a view there too.
    assert result.memory.activation_bytes_per_example == 4 * (32 + 32 + 3)


def test_auxiliary_heads_count_in_training_only():
    result = audit_model(models.build("googlenet", **models.get("googlenet").small_options))
    m, aux = result.memory, result.auxiliary
    assert aux is not None and aux.params > 0
    assert m.parameter_bytes["float32"] == 4 * result.totals.params
    assert m.training_parameter_bytes == 4 * (result.totals.params + aux.params)
    assert m.gradient_bytes == 4 * (result.totals.trainable + aux.trainable)
