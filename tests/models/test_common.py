"""What every builder shares (`models.common`): the input checks and their messages, initializers by name,
activations by name, the keras.applications top options, and the classifier/backbone end."""

import keras
import numpy as np
import pytest
import tf_keras

from cnnapp.errors import CnnappError
from cnnapp.models import common


@pytest.mark.parametrize("shape", [(32, 32), (32, 32, 3, 1), (32, 0, 3), (32.0, 32, 3), (-1, 32, 3)])
def test_input_shape_must_be_three_positive_integers(shape):
    with pytest.raises(CnnappError, match=r"input_shape must be \(height, width, channels\)"):
        common.check_input_shape(shape, "alexnet", min_size=1)


def test_input_shape_below_the_architectures_minimum_names_it_and_the_fix():
    with pytest.raises(CnnappError, match=r"alexnet needs inputs of at least 63×63; got 32×64 \(resize"):
        common.check_input_shape((32, 64, 3), "alexnet", min_size=63)
    assert common.check_input_shape([63, 63, 3], "alexnet", min_size=63) == (63, 63, 3)


def test_input_shape_with_fixed_channels():
    with pytest.raises(CnnappError, match="lenet1989 takes 1-channel inputs; got 3"):
        common.check_input_shape((16, 16, 3), "lenet1989", min_size=16, channels=1)
    assert common.check_input_shape((16, 16, 1), "lenet1989", min_size=16, channels=1) == (16, 16, 1)


@pytest.mark.parametrize("count", [0, -3, 2.0, True, "10"])
def test_num_classes_must_be_a_positive_integer(count):
    with pytest.raises(CnnappError, match="num_classes must be a positive integer"):
        common.check_num_classes(count)


def test_unknown_activation_lists_the_valid_ones():
    with pytest.raises(CnnappError, match="unknown activation 'swish'; valid activations: elu, leaky_relu"):
        common.check_activation("swish")


@pytest.mark.parametrize("K", [keras, tf_keras], ids=["keras", "tf_keras"])
@pytest.mark.parametrize("name", common.ACTIVATIONS)
def test_every_activation_builds_and_computes_its_function(K, name):
    x = np.array([[-2.0, -0.5, 0.0, 0.5, 2.0]], "float32")
    expected = {
        "scaled_tanh": 1.7159 * np.tanh(2 * x / 3),
        "tanh": np.tanh(x),
        "sigmoid": 1 / (1 + np.exp(-x)),
        "relu": np.maximum(x, 0),
        "leaky_relu": np.where(x > 0, x, common.LEAKY_SLOPE * x),
        "elu": np.where(x > 0, x, np.expm1(x)),
    }[name]
    layer = common.activation_layer(K, name, name=f"{name}_act")
    assert layer.name == f"{name}_act"
    np.testing.assert_allclose(np.asarray(layer(x)), expected, rtol=1e-5, atol=1e-6)


def test_relu_stays_inside_the_layer_and_the_others_get_one_of_their_own():
    assert common.built_in("relu") == "relu" and common.built_in("tanh") is None
    x = keras.Input((4,))
    assert common.activate(keras, x, "relu", "a") is x
    assert common.activate(keras, x, "tanh", "a") is not x


def test_paper_initializer_is_the_builders_own_and_a_function_is_called_each_time():
    assert common.initializer("paper", "he_normal") == "he_normal"
    made = common.initializer("paper", lambda: keras.initializers.RandomNormal(stddev=0.01))
    assert isinstance(made, keras.initializers.RandomNormal)


def test_named_initializers_and_fresh_configs():
    assert common.initializer("lecun", "x") == "lecun_normal"
    assert common.initializer("glorot", "x") == "glorot_uniform"
    assert common.initializer("he", "x") == "he_normal"
    first, second = common.initializer("torch7", "x"), common.initializer("torch7", "x")
    assert first == second and first["config"] is not second["config"]
    first["config"]["scale"] = 99
    assert common.INITIALIZERS["torch7"]["config"]["scale"] == pytest.approx(1 / 3)


def test_torch7_initializer_draws_within_one_over_root_fan_in():
    fan_in = 3 * 3 * 16
    layer = keras.layers.Conv2D(8, 3, kernel_initializer=common.initializer("torch7", "x"))
    layer.build((None, 9, 9, 16))
    weights = np.asarray(layer.kernel)
    bound = 1 / np.sqrt(fan_in)
    assert np.abs(weights).max() <= bound
    assert np.abs(weights).max() > 0.9 * bound  # uniform over the whole range, not a narrower one


def test_unknown_initializer_lists_paper_and_the_schemes():
    with pytest.raises(CnnappError, match="unknown initializer 'xavier'; valid initializers: glorot, he"):
        common.initializer("xavier", "x")


def test_pooling_only_for_a_backbone_and_only_avg_or_max():
    common.check_top(True, None)
    common.check_top(False, "avg")
    with pytest.raises(CnnappError, match="applies to a backbone only; set include_top=False"):
        common.check_top(True, "max")
    with pytest.raises(CnnappError, match="unknown pooling 'sum'"):
        common.check_top(False, "sum")


def test_dense_layers_build_named_layers_with_fresh_initializers_and_dropout():
    inputs = keras.Input((6,))
    calls = []

    def fresh():
        calls.append(1)
        return "glorot_uniform"

    x = common.dense_layers(
        keras, inputs, [("fc6", "drop6"), ("fc7", "drop7")], units=5, dropout=0.5,
        kernel_initializer=fresh, activation="tanh",
    )  # fmt: skip
    model = keras.Model(inputs, x)
    names = [layer.name for layer in model.layers[1:]]
    assert names == ["fc6", "fc6_act", "drop6", "fc7", "fc7_act", "drop7"]
    assert len(calls) == 2 and model.get_layer("fc7").units == 5
    assert model.get_layer("drop6").rate == 0.5


def test_top_is_the_classifier_or_the_backbones_pooled_output():
    features = keras.Input((4, 4, 8))
    kwargs = dict(num_classes=3, classifier_activation=None, kernel_initializer="zeros")
    classifier = keras.Model(features, common.top(keras, features, include_top=True, pooling=None, **kwargs))
    assert classifier.output_shape == (None, 3) and classifier.get_layer("flatten")
    assert classifier.get_layer("predictions").dtype_policy.compute_dtype == "float32"
    gap = common.top(keras, features, include_top=True, pooling=None, reduce="avg_pool", **kwargs)
    assert keras.Model(features, gap).get_layer("avg_pool")
    assert common.top(keras, features, include_top=False, pooling=None, **kwargs) is features
    for pooling in ("avg", "max"):
        output = common.top(keras, features, include_top=False, pooling=pooling, **kwargs)
        pooled = keras.Model(features, output)
        assert pooled.output_shape == (None, 8) and pooled.get_layer(f"{pooling}_pool")


def test_classifier_stays_float32_under_mixed_precision():
    previous = keras.config.dtype_policy()
    keras.config.set_dtype_policy("mixed_bfloat16")
    try:
        layer = common.predictions(keras, 4, "softmax", "zeros")
        assert layer.dtype_policy.compute_dtype == "float32"
    finally:
        keras.config.set_dtype_policy(previous)


def test_resolve_keras_defaults_to_keras_3():
    assert common.resolve_keras() is keras
    assert common.resolve_keras(tf_keras) is tf_keras
