"""LeNet-5 (LeCun et al. 1998) and LeNet 1989 (LeCun et al. 1989): shapes, sizes and the custom layers."""

import keras
import numpy as np
import pytest
import tensorflow as tf
import tf_keras

from cnnapp import compat, models
from cnnapp.errors import CnnappError
from cnnapp.models import layers
from cnnapp.models.lenet import C3_TABLE, H2_TABLE


def shapes(model):
    return {layer.name: tuple(layer.output.shape[1:]) for layer in model.layers}


def params(model):
    return {layer.name: layer.count_params() for layer in model.layers if layer.count_params()}


@pytest.mark.parametrize("name", ["lenet5", "lenet5-paper"])
def test_lenet5_feature_maps_match_the_paper(name):
    # LeCun et al. 1998, section II.B: C1 6@28×28, S2 6@14×14, C3 16@10×10, S4 16@5×5, C5 120, F6 84.
    got = shapes(models.build(name))
    assert got["C1"] == (28, 28, 6)
    assert got["S2"] == (14, 14, 6)
    assert got["C3"] == (10, 10, 16)
    assert got["S4"] == (5, 5, 16)
    assert got["C5"] == (1, 1, 120)
    assert got["F6"] == (84,)
    assert got["predictions"] == (10,)


def test_lecture_variant_has_61706_parameters_and_plain_pooling():
    model = models.build("lenet5")
    assert params(model) == {"C1": 156, "C3": 2416, "C5": 48120, "F6": 10164, "predictions": 850}
    assert model.count_params() == 61_706
    assert isinstance(model.get_layer("S2"), keras.layers.AveragePooling2D)


def test_paper_variant_layer_sizes_are_the_papers():
    # LeCun et al. 1998, section II.B: "C1 ... 156 trainable parameters", "S2 ... 12", "C3 ... 1,516",
    # "S4 ... 32", "C5 ... 48,120", "F6 ... 10,164": 60,000 in all, plus our 10-way output.
    got = params(models.build("lenet5-paper"))
    assert got == {"C1": 156, "S2": 12, "C3": 1516, "S4": 32, "C5": 48120, "F6": 10164, "predictions": 850}
    assert sum(got.values()) - got["predictions"] == 60_000


def test_c3_table_is_table_one_of_the_paper():
    assert len(C3_TABLE) == 16
    assert sum(len(c) for c in C3_TABLE) == 60
    assert [len(c) for c in C3_TABLE] == [3] * 6 + [4] * 9 + [6]
    # Row 0 of Table I: S2 map 0 feeds C3 maps 0, 4, 5, 6, 9, 10, 11, 12, 14, 15.
    assert [j for j, c in enumerate(C3_TABLE) if 0 in c] == [0, 4, 5, 6, 9, 10, 11, 12, 14, 15]
    # Row 5: S2 map 5 feeds 3, 4, 5, 8, 9, 10, 11, 13, 14, 15.
    assert [j for j, c in enumerate(C3_TABLE) if 5 in c] == [3, 4, 5, 8, 9, 10, 11, 13, 14, 15]
    assert C3_TABLE[12:15] == ((0, 1, 3, 4), (1, 2, 4, 5), (0, 2, 3, 5))
    # Every S2 map feeds exactly 10 C3 maps.
    assert all(sum(i in c for c in C3_TABLE) == 10 for i in range(6))
    assert models.build("lenet5-paper").get_layer("C3").table == C3_TABLE


def test_partial_conv_map_ignores_the_maps_its_table_leaves_out():
    layer = models.build("lenet5-paper").get_layer("C3")
    x = np.random.default_rng(0).normal(size=(1, 14, 14, 6)).astype("float32")
    y = layer(x).numpy()
    for i in range(6):
        bumped = x.copy()
        bumped[..., i] += 1.0
        changed = np.abs(layer(bumped).numpy() - y).max(axis=(0, 1, 2)) > 1e-6
        assert changed.tolist() == [i in c for c in C3_TABLE], f"S2 map {i}"
    kernel = layer.dense_kernel().numpy()
    connected = np.abs(kernel).sum(axis=(0, 1)) > 0  # (in, out)
    assert connected.T.tolist() == [[i in c for i in range(6)] for c in C3_TABLE]
    # The same as an ordinary convolution with that kernel.
    expected = tf.nn.conv2d(x, kernel, 1, "VALID") + layer.bias.numpy()
    np.testing.assert_allclose(y, expected, atol=1e-5)


def test_paper_init_is_uniform_within_2_4_over_fan_in():
    model = models.build("lenet5-paper")
    c1 = model.get_layer("C1").kernel.numpy()
    assert np.abs(c1).max() <= 2.4 / 25 and np.abs(c1).max() > 0.8 * 2.4 / 25
    c5 = model.get_layer("C5").kernel.numpy()
    assert np.abs(c5).max() <= 2.4 / 400 and np.abs(c5).max() > 0.95 * 2.4 / 400
    c3 = model.get_layer("C3")
    kernel = c3.kernel.numpy()  # (5, 5, 60), connections in map order
    start = 0
    for inputs in C3_TABLE:  # each C3 map has its own fan-in: 75, 100 or 150
        block = kernel[:, :, start : start + len(inputs)]
        assert np.abs(block).max() <= 2.4 / (25 * len(inputs))
        start += len(inputs)
    s2 = model.get_layer("S2").coefficient.numpy()
    assert np.abs(s2).max() <= 2.4 / 4
    glorot = models.build("lenet5-paper", init="glorot").get_layer("S2").coefficient.numpy()
    np.testing.assert_array_equal(glorot, 0.25)  # starts as a plain average


def test_scaled_tanh_is_1_7159_tanh_two_thirds_a():
    f = layers.scaled_tanh_layer(keras)()
    a = np.array([-3.0, -1.0, 0.0, 0.5, 1.0, 3.0], dtype="float32")
    np.testing.assert_allclose(f(a).numpy(), 1.7159 * np.tanh(2 * a / 3), rtol=1e-6)
    np.testing.assert_allclose(f(np.array([1.0, -1.0])).numpy(), [1.0, -1.0], atol=1e-4)  # f(±1) = ±1
    np.testing.assert_allclose(layers.scaled_tanh_layer(tf_keras)()(a).numpy(), f(a).numpy())


@pytest.mark.parametrize("mode", ["sum", "max"])
def test_trainable_subsampling_scales_and_shifts_each_map(mode):
    layer = layers.subsampling_layer(keras)(2, mode)
    x = np.arange(2 * 4 * 4 * 2, dtype="float32").reshape(2, 4, 4, 2)
    layer.build(x.shape)
    layer.coefficient.assign([2.0, -1.0])
    layer.bias.assign([0.5, 1.0])
    windows = x.reshape(2, 2, 2, 2, 2, 2).transpose(0, 1, 3, 5, 2, 4).reshape(2, 2, 2, 2, 4)
    pooled = windows.sum(-1) if mode == "sum" else windows.max(-1)
    np.testing.assert_allclose(layer(x).numpy(), pooled * [2.0, -1.0] + [0.5, 1.0], rtol=1e-6)
    assert layer.count_params() == 4


def test_relu_and_max_pooling_options():
    model = models.build("lenet5", activation="relu", subsampling="max")
    assert isinstance(model.get_layer("C1_act"), keras.layers.ReLU)
    assert isinstance(model.get_layer("S2"), keras.layers.MaxPooling2D)
    assert model.count_params() == 61_706
    paper = models.build("lenet5-paper", subsampling="max")
    assert paper.get_layer("S2").mode == "max"
    assert paper.count_params() == 60_850


def test_lenet5_refuses_28x28_and_bad_options():
    with pytest.raises(CnnappError, match="at least 32×32"):
        models.build("lenet5", input_shape=(28, 28, 1))
    valid = "valid activations: elu, leaky_relu, relu, scaled_tanh, sigmoid, tanh"
    with pytest.raises(CnnappError, match=valid):
        models.build("lenet5", activation="sigmoid2")
    with pytest.raises(CnnappError, match="valid subsamplings: average, max"):
        models.build("lenet5-paper", subsampling="lp")
    assert models.build("lenet5", input_shape=(32, 32, 3)).count_params() == 61_706 + 2 * 150


def test_lenet1989_sizes_are_the_papers():
    # LeCun et al. 1989, section 5: "1,256 units, 64,660 connections, and 9,760 independent parameters".
    model = models.build("lenet1989")
    assert params(model) == {
        "H1": 300, "H1_bias": 768, "H2": 2400, "H2_bias": 192, "H3": 5790, "predictions": 310,
    }  # fmt: skip
    assert model.count_params() == 9_760
    got = shapes(model)
    assert (got["H1"], got["H2"], got["H3"]) == ((8, 8, 12), (4, 4, 12), (30,))
    weighted = ["H1", "H2", "H3", "predictions"]
    units = 16 * 16 + sum(int(np.prod(got[name])) for name in weighted)
    assert units == 1_256
    # Connections: every unit's weights plus its bias. H1 reads one 5×5 patch, H2 8 of them, H3 all of H2.
    connections = 768 * (25 + 1) + 192 * (8 * 25 + 1) + 30 * (192 + 1) + 10 * (30 + 1)
    assert connections == 64_660
    assert model.get_layer("H2").kernel.shape == (5, 5, 12 * 8)


def test_lenet1989_h2_table_is_cyclic_and_balanced():
    assert H2_TABLE[0] == tuple(range(8))
    assert H2_TABLE[11] == (11, 0, 1, 2, 3, 4, 5, 6)
    assert len(set(H2_TABLE)) == 12
    assert all(sum(i in c for c in H2_TABLE) == 8 for i in range(12))


def test_untied_biases_differ_per_unit():
    model = models.build("lenet1989")
    layer = model.get_layer("H1_bias")
    assert layer.shape == (8, 8, 12)
    bias = np.random.default_rng(1).normal(size=(8, 8, 12)).astype("float32")
    layer.bias.assign(bias)
    x = np.zeros((1, 8, 8, 12), dtype="float32")
    np.testing.assert_array_equal(layer(x).numpy()[0], bias)


@pytest.mark.parametrize(
    "factory, kwargs",
    [
        (layers.fan_in_uniform, {"fan_in": 4}),
        (layers.partial_conv_layer, {"table": [[0, 1], [1]], "strides": 2, "padding": "same"}),
        (layers.subsampling_layer, {"mode": "max"}),
        (layers.untied_bias_layer, {}),
        (layers.scaled_tanh_layer, {"slope": 0.5}),
    ],
)
@pytest.mark.parametrize("K", [keras, tf_keras], ids=["keras", "tf_keras"])
def test_custom_objects_round_trip_their_config(factory, kwargs, K):
    cls = factory(K)
    obj = cls(**kwargs)
    again = cls.from_config(obj.get_config())
    assert again.get_config() == obj.get_config()


def test_lenet5_connections_are_the_papers():
    # LeCun et al. 1998, section II.B: C1 122,304, S2 5,880, C3 151,600, S4 2,000 connections; each counted
    # from the layers' own attributes (kernel size, table, window), one bias connection per unit.
    model = models.build("lenet5-paper")
    c1, s2, c3, s4 = (model.get_layer(name) for name in ("C1", "S2", "C3", "S4"))
    assert 28 * 28 * 6 * (c1.kernel_size[0] ** 2 + 1) == 122_304
    assert 14 * 14 * 6 * (s2.pool_size**2 + 1) == 5_880
    assert 10 * 10 * sum(c3.kernel_size**2 * len(inputs) + 1 for inputs in c3.table) == 151_600
    assert 5 * 5 * 16 * (s4.pool_size**2 + 1) == 2_000


# lenet1989 (untied biases) trains in the slow tier: test_zoo's gradient check shows, far cheaper, that every
# one of its weights gets a non-zero gradient; lenet5-paper carries most of the custom layers.
@pytest.mark.parametrize("name", ["lenet5-paper", pytest.param("lenet1989", marks=pytest.mark.slow)])
def test_custom_layers_train(name):
    model = models.build(name)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(32, *model.input_shape[1:])).astype("float32")
    y = rng.integers(0, 10, size=32)
    model.compile(optimizer=keras.optimizers.Adam(1e-2), loss="sparse_categorical_crossentropy")
    history = model.fit(x, y, epochs=15, batch_size=32, verbose=0).history["loss"]
    assert history[-1] < 0.5 * history[0]


@pytest.mark.parametrize("name", ["lenet5-paper", "lenet1989"])
def test_int8_tflite_uses_only_builtin_kernels(name):
    # The export stage quantizes LeNet to int8: every custom layer must lower to int8 builtin kernels.
    from ai_edge_litert.interpreter import Interpreter

    model = models.build(name)
    rng = np.random.default_rng(0)
    samples = rng.normal(size=(16, 1, *model.input_shape[1:])).astype("float32")
    converter = tf.lite.TFLiteConverter.from_keras_model(model)
    converter.optimizations = [tf.lite.Optimize.DEFAULT]
    converter.representative_dataset = lambda: ([s] for s in samples)
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]  # fails on any float-only op
    interpreter = Interpreter(model_content=converter.convert())
    interpreter.allocate_tensors()
    ops = {op["op_name"] for op in compat.ops_details(interpreter)}
    assert {"CONV_2D", "TANH", "FULLY_CONNECTED"} <= ops
    assert not ops & {"CUSTOM", "FLEX", "GATHER", "POW"}
    inp, out = interpreter.get_input_details()[0], interpreter.get_output_details()[0]
    interpreter.set_tensor(inp["index"], samples[0])
    interpreter.invoke()
    np.testing.assert_allclose(interpreter.get_tensor(out["index"]), model(samples[0]).numpy(), atol=0.05)


@pytest.mark.parametrize("activation", ["sigmoid", "tanh", "scaled_tanh", "relu", "leaky_relu", "elu"])
def test_every_activation_builds_in_both_kerases_with_the_same_size(activation):
    import tf_keras

    x = np.linspace(-3, 3, 32 * 32, dtype="float32").reshape(1, 32, 32, 1)
    for K in (None, tf_keras):
        model = models.build("lenet5", activation=activation, keras_module=K)
        assert model.count_params() == 61_706
        assert np.all(np.isfinite(np.asarray(model(x))))
    if activation == "leaky_relu":  # the lecture's max(0.01x, x), not Keras's default slope 0.3
        assert models.build("lenet5", activation=activation).get_layer("C1_act").negative_slope == 0.01


def test_lenet5_width_multiplies_c1_and_c3():
    from cnnapp.models.lenet import lenet5

    wide = lenet5((40, 40, 1), 11, activation="relu", width=4.0)
    assert wide.get_layer("C1").filters == 24 and wide.get_layer("C3").filters == 64
    with pytest.raises(CnnappError, match="lecture LeNet-5"):
        lenet5(variant="paper", width=2.0)
