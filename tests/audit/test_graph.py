"""The flattened layer graph (`audit.graph`): execution order, nested models opened up and wired to the outer
tensors, shared layers called twice, keras and tf_keras alike, and a subclassed model refused in one line."""

import keras
import pytest
import tf_keras

from cnnapp.audit import graph
from cnnapp.errors import CnnappError


@pytest.mark.parametrize("K", [keras, tf_keras], ids=["keras", "tf_keras"])
def test_a_nested_model_is_replaced_by_its_layers_wired_to_the_outer_tensors(K):
    block = K.Sequential([K.Input((6,)), K.layers.Dense(4, name="inner1"), K.layers.Dense(3, name="inner2")],
                         name="block")  # fmt: skip
    x = K.Input((5,), name="image")
    y = K.layers.Dense(6, name="before")(x)
    y = block(y)
    y = K.layers.Dense(2, name="after")(y)
    flat = graph.flatten(K.Model(x, y))
    assert [call.name for call in flat.calls] == ["before", "block/inner1", "block/inner2", "after"]
    before, inner1, inner2, after = flat.calls
    assert inner1.inputs == before.outputs and after.inputs == inner2.outputs  # wired through the block
    assert flat.inputs == before.inputs and flat.outputs == after.outputs
    assert flat.input_shapes == [(None, 5)]
    assert inner2.input_shapes == [(None, 4)] and inner2.output_shapes == [(None, 3)]


def test_a_shared_layer_is_called_twice_and_counted_once():
    shared = keras.layers.Dense(4, name="shared")
    x = keras.Input((4,), name="image")
    y = keras.layers.Add(name="add")([shared(x), shared(shared(x))])
    calls = graph.flatten(keras.Model(x, y)).calls
    names = [call.name for call in calls]
    assert names.count("shared") == 1 and {"shared#2", "shared#3"} <= set(names)
    assert [call.first_call for call in calls if call.layer is shared] == [True, False, False]
    add = calls[-1]
    assert add.name == "add" and len(add.inputs) == 2


def test_branches_come_in_execution_order():
    x = keras.Input((8, 8, 3), name="image")
    a = keras.layers.Conv2D(2, 1, name="a")(x)
    b = keras.layers.Conv2D(3, 3, padding="same", name="b")(x)
    y = keras.layers.Concatenate(name="cat")([a, b])
    calls = graph.flatten(keras.Model(x, y)).calls
    position = {call.name: i for i, call in enumerate(calls)}
    assert position["cat"] > max(position["a"], position["b"])
    assert calls[position["cat"]].output_shapes == [(None, 8, 8, 5)]


def test_a_subclassed_model_is_one_line_with_the_fix():
    class Net(keras.Model):
        def call(self, x):
            return x

    with pytest.raises(
        CnnappError, match="is not a functional or built Sequential.*build it with keras.Input"
    ):
        graph.flatten(Net(name="net"))
