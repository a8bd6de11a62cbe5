"""An independent check of the MAC counts: TensorFlow's own FLOP counter (`tf.compat.v1.profiler` with the
`float_operation` options, which reports 2 FLOPs per multiply-add and 1 per bias addition) on the graph of a
conv and a dense layer."""

import keras
import pytest
import tensorflow as tf
from tensorflow.python.framework.convert_to_constants import convert_variables_to_constants_v2
from tensorflow.python.framework.function_def_to_graph import function_def_to_graph

from cnnapp.audit import audit_model


def _graph_flops(graph) -> int:
    options = tf.compat.v1.profiler.ProfileOptionBuilder.float_operation()
    options["output"] = "none"
    return tf.compat.v1.profiler.profile(graph, options=options).total_float_ops


def profiler_flops(model) -> int:
    """The TF profiler's float_ops of one forward pass of `model` on one example.

    Keras runs a grouped convolution in a function of its own (`_conv_xla`), so the functions the graph calls
    are profiled too, with variables frozen to constants so that every shape is known.
    """
    spec = tf.TensorSpec((1, *model.input_shape[1:]), tf.float32)
    frozen = convert_variables_to_constants_v2(
        tf.function(lambda x: model(x, training=False)).get_concrete_function(spec)
    )
    total = _graph_flops(frozen.graph)
    library = {f.signature.name: f for f in frozen.graph.as_graph_def().library.function}
    for op in frozen.graph.get_operations():
        if op.type in ("StatefulPartitionedCall", "PartitionedCall"):
            called = library[op.get_attr("f").name]
            total += _graph_flops(function_def_to_graph(called, input_shapes=[i.shape for i in op.inputs]))
    return total


@pytest.mark.parametrize(
    "layer, shape",
    [
        (keras.layers.Conv2D(8, 3, strides=2, padding="same", use_bias=False, name="layer"), (9, 9, 4)),
        (keras.layers.Conv2D(6, (3, 5), padding="valid", use_bias=False, name="layer"), (12, 10, 3)),
        (keras.layers.Conv2D(8, 3, 2, "same", groups=2, use_bias=False, name="layer"), (9, 9, 4)),
        (keras.layers.Dense(30, use_bias=False, name="layer"), (120,)),
    ],
    ids=["conv-stride-same", "conv-rect-valid", "conv-grouped", "dense"],
)
def test_macs_match_the_tensorflow_profiler(layer, shape):
    x = keras.Input(shape, name="image")
    model = keras.Model(x, layer(x))
    macs = audit_model(model).totals.macs
    assert macs > 0
    assert profiler_flops(model) == 2 * macs


def test_bias_additions_match_the_profiler_too():
    x = keras.Input((120,), name="image")
    model = keras.Model(x, keras.layers.Dense(84, name="fc")(x))
    totals = audit_model(model).totals
    assert profiler_flops(model) == 2 * totals.macs + totals.bias_adds
