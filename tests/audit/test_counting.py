"""Per-layer counts on small cases computed by hand: every layer type the issue names."""

import keras
import pytest

from cnnapp.audit import audit_model
from cnnapp.models import layers


def rows(model):
    return {r.name: r for r in audit_model(model).rows}


def one(layer, shape, **kw):
    """The row of `layer` applied to an input of `shape` (one example)."""
    x = keras.Input(shape, name="image")
    return rows(keras.Model(x, layer(x)))[layer.name]


def test_conv_with_stride_and_same_padding():
    # 9×9×4 → ceil(9/2) = 5: 5×5×8 = 200 units, fan-in 3·3·4 = 36, so 7,200 MACs; 3·3·4·8 = 288 weights.
    r = one(keras.layers.Conv2D(8, 3, strides=2, padding="same", name="c"), (9, 9, 4))
    assert r.output_shape == (5, 5, 8)
    assert (r.units, r.macs, r.weights, r.biases, r.bias_adds) == (200, 7_200, 288, 8, 200)
    assert (r.receptive_field, r.stride) == ((3, 3), (2, 2))


def test_conv_with_valid_padding_and_rectangular_kernel():
    # 9×9×4, kernel 3×5, stride 2, valid: (9−3)//2+1 = 4 by (9−5)//2+1 = 3; fan-in 15·4 = 60.
    r = one(keras.layers.Conv2D(2, (3, 5), strides=2, use_bias=False, name="c"), (9, 9, 4))
    assert r.output_shape == (4, 3, 2)
    assert (r.units, r.macs, r.weights, r.biases) == (24, 24 * 60, 3 * 5 * 4 * 2, 0)
    assert r.receptive_field == (3, 5)


def test_grouped_conv_counts_a_group_s_channels_only():
    # groups=2: each output channel reads 4/2 = 2 input channels: fan-in 3·3·2 = 18; weights 3·3·2·8.
    r = one(keras.layers.Conv2D(8, 3, groups=2, name="c"), (6, 6, 4))
    assert (r.units, r.macs, r.weights, r.biases) == (128, 128 * 18, 144, 8)


def test_dilated_conv_field():
    r = one(keras.layers.Conv2D(1, 3, dilation_rate=2, name="c"), (9, 9, 1))
    assert r.receptive_field == (5, 5) and r.macs == 25 * 9


def test_depthwise_and_separable_conv():
    # depthwise, multiplier 2: 4×4×8 outputs, each reads one 3×3 window of one channel.
    d = one(keras.layers.DepthwiseConv2D(3, depth_multiplier=2, name="d"), (6, 6, 4))
    assert (d.units, d.macs, d.weights, d.biases) == (128, 128 * 9, 3 * 3 * 4 * 2, 8)
    # separable: depthwise 4·4·4 positions × 9 + pointwise 4·4·6 outputs × 4 inputs.
    s = one(keras.layers.SeparableConv2D(6, 3, name="s"), (6, 6, 4))
    assert (s.units, s.macs, s.weights, s.biases) == (96, 576 + 384, 36 + 24, 6)


def test_dense():
    r = one(keras.layers.Dense(5, name="fc"), (7,))
    assert (r.kind, r.units, r.macs, r.weights, r.biases, r.bias_adds) == ("fc", 5, 35, 35, 5, 5)


def test_max_and_average_pooling_count_the_window():
    # overlapping pooling as in AlexNet: 13 → (13−3)//2+1 = 6; 6·6·2 = 72 units × 9.
    r = one(keras.layers.MaxPooling2D(3, strides=2, name="p"), (13, 13, 2))
    assert (r.kind, r.units, r.macs, r.params) == ("pool", 72, 648, 0)
    assert (r.receptive_field, r.stride) == ((3, 3), (2, 2))
    a = one(keras.layers.AveragePooling2D(2, name="p"), (4, 4, 3))
    assert (a.units, a.macs) == (12, 48)


def test_global_pooling_sees_the_whole_input():
    r = one(keras.layers.GlobalAveragePooling2D(name="g"), (4, 4, 3))
    assert (r.units, r.macs, r.receptive_field, r.stride) == (3, 48, None, None)
    m = one(keras.layers.GlobalMaxPooling2D(name="g"), (5, 5, 2))
    assert (m.units, m.macs) == (2, 50)


def test_lrn_is_n_multiply_adds_per_unit_and_adds_no_units():
    # depth_radius 2: n = 5 channels summed per unit.
    r = one(layers.lrn_layer(keras)(depth_radius=2, name="n"), (5, 5, 4))
    assert (r.kind, r.units, r.activations, r.macs, r.params) == ("norm", 0, 100, 500, 0)


def test_batch_norm_params_are_other_and_state():
    r = one(keras.layers.BatchNormalization(name="bn"), (4, 4, 3))
    assert (r.weights, r.biases, r.other, r.state, r.params) == (0, 0, 6, 6, 12)
    assert (r.units, r.macs, r.activations) == (0, 0, 48)


def test_merges_flatten_dropout_and_activations_add_no_units():
    x = keras.Input((4, 4, 2), name="image")
    a = keras.layers.Conv2D(2, 1, name="a")(x)
    b = keras.layers.Conv2D(3, 1, name="b")(x)
    cat = keras.layers.Concatenate(name="cat")([a, b])
    c = keras.layers.Conv2D(5, 1, name="c")(cat)
    d = keras.layers.Conv2D(5, 1, name="d")(cat)
    add = keras.layers.Add(name="add")([c, d])
    act = keras.layers.Activation("relu", name="act")(add)
    relu = keras.layers.ReLU(name="relu")(act)
    drop = keras.layers.Dropout(0.5, name="drop")(relu)
    flat = keras.layers.Flatten(name="flat")(drop)
    r = rows(keras.Model(x, flat))
    assert (r["cat"].units, r["cat"].activations, r["cat"].macs) == (0, 80, 0)
    assert (r["add"].units, r["add"].activations, r["add"].macs) == (0, 80, 0)
    for name in ("act", "relu", "drop"):
        assert (r[name].units, r[name].activations, r[name].macs) == (0, 80, 0), name
    assert (r["flat"].units, r["flat"].activations) == (0, 0)  # a view of its input
    assert r["c"].macs == 16 * 5 * 5  # fan-in: the 5 concatenated channels
    total = audit_model(keras.Model(x, flat)).totals
    assert total.units == 16 * (2 + 3 + 5 + 5)  # the convolutions' outputs, nothing counted twice


def test_receptive_field_of_stacked_3x3_convs_is_1_plus_2L():
    x = keras.Input((16, 16, 1), name="image")
    y = x
    for i in range(3):
        y = keras.layers.Conv2D(1, 3, padding="same", name=f"c{i}")(y)
    r = rows(keras.Model(x, y))
    assert [r[f"c{i}"].receptive_field for i in range(3)] == [(3, 3), (5, 5), (7, 7)]


def test_receptive_field_grows_by_the_cumulative_stride():
    x = keras.Input((32, 32, 1), name="image")
    y = keras.layers.Conv2D(1, 3, strides=2, name="c1")(x)  # field 3, stride 2
    y = keras.layers.MaxPooling2D(2, name="p")(y)  # 3 + 1·2 = 5, stride 4
    y = keras.layers.Conv2D(1, 3, name="c2")(y)  # 5 + 2·4 = 13
    r = rows(keras.Model(x, y))
    assert [(r[n].receptive_field[0], r[n].stride[0]) for n in ("c1", "p", "c2")] == [(3, 2), (5, 4), (13, 4)]


def test_shared_layer_params_once_macs_per_call():
    x = keras.Input((6,), name="image")
    dense = keras.layers.Dense(6, name="shared")
    model = keras.Model(x, dense(dense(x)))
    result = audit_model(model)
    assert [r.name for r in result.rows] == ["shared", "shared#2"]
    assert result.totals.params == model.count_params() == 42
    assert result.totals.macs == 2 * 36


def test_lenet_custom_layers():
    x = keras.Input((14, 14, 6), name="image")
    y = layers.subsampling_layer(keras)(2, name="s")(x)
    y = layers.partial_conv_layer(keras)(((0, 1), (1, 2, 3)), 5, name="pc")(y)
    y = layers.untied_bias_layer(keras)(name="ub")(y)
    y = layers.scaled_tanh_layer(keras)(name="act")(y)
    r = rows(keras.Model(x, y))
    # subsampling: 7·7·6 units, 4 inputs each; a coefficient (weight) and a bias per map.
    assert (r["s"].units, r["s"].macs, r["s"].weights, r["s"].biases) == (294, 1_176, 6, 6)
    # partial conv: 3·3·2 units; 5 (input, output) pairs, 25 weights each, read once per position.
    assert (r["pc"].units, r["pc"].macs, r["pc"].weights, r["pc"].biases) == (18, 9 * 5 * 25, 125, 2)
    assert (r["ub"].units, r["ub"].biases, r["ub"].bias_adds) == (0, 18, 18)
    assert (r["act"].units, r["act"].kind) == (0, "activation")


def test_an_unknown_layer_is_listed_not_counted():
    x = keras.Input((4,), name="image")
    y = keras.layers.Lambda(lambda t: t * 2, name="double")(x)
    result = audit_model(keras.Model(x, keras.layers.Dense(2, name="fc")(y)))
    assert result.totals.not_counted == ["double"]
    assert any("double" in s and "Not counted" in s for s in __import__("cnnapp").audit.sentences(result))


@pytest.mark.parametrize("kind", ["functional", "sequential"])
def test_nested_models_are_opened_up(kind):
    inner_layers = [keras.layers.Conv2D(4, 3, name="conv"), keras.layers.Flatten(name="flat"),
                    keras.layers.Dense(3, name="fc")]  # fmt: skip
    if kind == "sequential":
        inner = keras.Sequential([keras.Input((8, 8, 1)), *inner_layers], name="net")
    else:
        i = keras.Input((8, 8, 1))
        y = i
        for layer in inner_layers:
            y = layer(y)
        inner = keras.Model(i, y, name="net")
    x = keras.Input((8, 8, 1), name="image")
    y = keras.layers.Normalization(mean=0.5, variance=0.25, name="normalization")(x)
    model = keras.Model(x, inner(y))
    result = audit_model(model)
    assert [r.name for r in result.rows] == ["normalization", "net/conv", "net/flat", "net/fc"]
    assert result.totals.params == model.count_params()
    assert result.totals.macs == 36 * 4 * 9 + 3 * 144
    assert result.rows[1].receptive_field == (3, 3)


def test_raw_keras_ops_in_a_functional_graph():
    x = keras.Input((8, 8, 3), name="image")
    y = keras.ops.relu(keras.ops.add(keras.layers.Conv2D(4, 3, name="conv")(x), 1.0))
    model = keras.Model(x, keras.layers.Dense(2, name="fc")(keras.layers.Flatten(name="flat")(y)))
    result = audit_model(model)
    assert [(r.type, r.kind) for r in result.rows][1:3] == [("Add", "merge"), ("Relu", "activation")]
    assert result.totals.units == 6 * 6 * 4 + 2 and not result.totals.not_counted
    assert result.totals.params == model.count_params()


def test_tf_keras_nested_sequential_and_tf_op_layers():
    import tensorflow as tf
    import tf_keras

    inner = tf_keras.Sequential([tf_keras.layers.Conv2D(4, 3, input_shape=(8, 8, 3), name="conv"),
                                 tf_keras.layers.Flatten(name="flat")], name="inner")  # fmt: skip
    x = tf_keras.Input((8, 8, 3))
    model = tf_keras.Model(x, tf_keras.layers.Dense(2, name="fc")(tf.nn.relu(inner(x))))
    result = audit_model(model)
    assert [r.name for r in result.rows] == ["inner/conv", "inner/flat", "tf.nn.relu", "fc"]
    assert result.totals.not_counted == ["tf.nn.relu"]  # a TF op wrapped by tf_keras: listed, never zero
    assert result.totals.params == model.count_params()
    assert result.totals.macs == 144 * 27 + 2 * 144
