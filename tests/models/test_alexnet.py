"""AlexNet (Krizhevsky et al. 2012) and ZF net (Zeiler & Fergus 2013): shapes, towers, LRN, initialization.

Full-size models are built once per module and run at most once at batch 1.
"""

import keras
import numpy as np
import pytest
import tensorflow as tf

from cnnapp import models
from cnnapp.audit import shapes_only
from cnnapp.errors import CnnappError
from cnnapp.models.alexnet import ALEXNET_MIN_SIZE, ZFNET_MIN_SIZE


@pytest.fixture(scope="module")
def two_towers():
    return models.build("alexnet")


@pytest.fixture(scope="module")
def one_tower():
    with shapes_only():  # only its shapes and count are read: no 62M random draws
        return models.build("alexnet", towers=1)


def shape(model, name):
    return tuple(model.get_layer(name).output.shape[1:])


def test_single_tower_maps_are_the_papers(one_tower):
    # Section 3.5 and Fig. 2: 55×55×96, 27×27×256, 13×13×384, 13×13×384, 13×13×256, pooled to 6×6×256.
    expected = {
        "conv1": (55, 55, 96), "norm1": (55, 55, 96), "pool1": (27, 27, 96),
        "conv2": (27, 27, 256), "norm2": (27, 27, 256), "pool2": (13, 13, 256),
        "conv3": (13, 13, 384), "conv4": (13, 13, 384), "conv5": (13, 13, 256), "pool5": (6, 6, 256),
        "fc6": (4096,), "fc7": (4096,), "predictions": (1000,),
    }  # fmt: skip
    assert {name: shape(one_tower, name) for name in expected} == expected
    assert one_tower.count_params() == 62_378_344


def test_two_towers_split_every_conv_layer_in_halves(two_towers):
    halves = {"conv1": 48, "conv2": 128, "conv3": 192, "conv4": 192, "conv5": 128}
    for name, filters in halves.items():
        for gpu in ("gpu1", "gpu2"):
            assert shape(two_towers, f"{name}_{gpu}")[-1] == filters
    assert shape(two_towers, "pool1_gpu1") == (27, 27, 48)
    assert shape(two_towers, "pool2_concat") == (13, 13, 256)
    assert shape(two_towers, "pool5_concat") == (6, 6, 256)
    # conv2, conv4, conv5 read their own GPU's half; conv3 (and fc6) read both (section 3.5).
    kernels = {name: tuple(two_towers.get_layer(f"{name}_gpu1").kernel.shape) for name in halves}
    assert kernels["conv2"] == (5, 5, 48, 128)
    assert kernels["conv3"] == (3, 3, 256, 192)
    assert kernels["conv4"] == (3, 3, 192, 192)
    assert kernels["conv5"] == (3, 3, 192, 128)
    assert two_towers.get_layer("conv2_gpu2").input.name == two_towers.get_layer("pool1_gpu2").output.name
    assert two_towers.count_params() == 60_965_224


def test_full_size_forward_at_batch_one(two_towers):
    x = np.random.default_rng(0).normal(size=(1, 227, 227, 3)).astype("float32")
    y = two_towers(x, training=False).numpy()
    assert y.shape == (1, 1000)
    np.testing.assert_allclose(y.sum(), 1.0, rtol=1e-5)


def test_lrn_uses_the_papers_constants(two_towers):
    # Section 3.3: k = 2, n = 5, α = 1e-4, β = 0.75, across the maps of one GPU.
    for name in ("norm1_gpu1", "norm1_gpu2", "norm2_gpu1", "norm2_gpu2"):
        layer = two_towers.get_layer(name)
        assert (layer.depth_radius, layer.bias, layer.alpha, layer.beta) == (2, 2.0, 1e-4, 0.75)
    x = np.random.default_rng(0).normal(scale=30, size=(1, 5, 5, 48)).astype("float32")
    expected = tf.nn.lrn(x, depth_radius=2, bias=2.0, alpha=1e-4, beta=0.75)
    np.testing.assert_allclose(two_towers.get_layer("norm1_gpu1")(x).numpy(), expected, rtol=1e-5)


def test_paper_init_biases_are_one_in_conv2_conv4_conv5_and_hidden_fc(two_towers):
    # Section 5: "initialized the neuron biases in the second, fourth, and fifth convolutional layers, as well
    # as in the fully-connected hidden layers, with the constant 1 ... remaining layers with the constant 0".
    for name in ("conv2", "conv4", "conv5"):
        for gpu in ("gpu1", "gpu2"):
            np.testing.assert_array_equal(two_towers.get_layer(f"{name}_{gpu}").bias.numpy(), 1.0)
    for name in ("fc6", "fc7"):
        np.testing.assert_array_equal(two_towers.get_layer(name).bias.numpy(), 1.0)
    for name in ("conv1_gpu1", "conv3_gpu2", "predictions"):
        np.testing.assert_array_equal(two_towers.get_layer(name).bias.numpy(), 0.0)
    weights = two_towers.get_layer("conv3_gpu1").kernel.numpy()
    assert abs(weights.std() - 0.01) < 0.0005 and abs(weights.mean()) < 0.0005  # N(0, 0.01)


def test_other_inits_have_zero_biases():
    model = models.build("alexnet", input_shape=(67, 67, 3), fc_units=32, init="he")
    np.testing.assert_array_equal(model.get_layer("conv2_gpu1").bias.numpy(), 0.0)
    np.testing.assert_array_equal(model.get_layer("fc6").bias.numpy(), 0.0)
    assert model.get_layer("conv1_gpu1").kernel.numpy().std() > 0.05  # He: √(2/363) ≈ 0.074


def test_minimum_inputs_are_exact():
    models.build("alexnet", input_shape=(ALEXNET_MIN_SIZE,) * 2 + (3,), fc_units=8)
    models.build("zfnet", input_shape=(ZFNET_MIN_SIZE,) * 2 + (3,), fc_units=8)
    with pytest.raises(CnnappError, match="alexnet needs inputs of at least 67×67; got 66×66"):
        models.build("alexnet", input_shape=(66, 66, 3))
    with pytest.raises(CnnappError, match="zfnet needs inputs of at least 53×53; got 32×32"):
        models.build("zfnet", input_shape=(32, 32, 3))
    # Below the minimum some map really would vanish: build the layers without the check to show it.
    with pytest.raises(ValueError):
        keras.Sequential(
            [
                keras.Input((ALEXNET_MIN_SIZE - 1,) * 2 + (3,)),
                keras.layers.Conv2D(1, 11, strides=4),
                *[keras.layers.MaxPooling2D(3, 2) for _ in range(3)],
            ]
        )
    with pytest.raises(CnnappError, match="towers must be 1 or 2"):
        models.build("alexnet", towers=4)


def test_zfnet_maps_are_figure_3s():
    model = models.build("zfnet")
    expected = {
        "conv1": (110, 110, 96), "pool1": (55, 55, 96), "norm1": (55, 55, 96),
        "conv2": (26, 26, 256), "pool2": (13, 13, 256), "conv3": (13, 13, 384), "conv4": (13, 13, 384),
        "conv5": (13, 13, 256), "pool5": (6, 6, 256), "fc6": (4096,), "fc7": (4096,),
    }  # fmt: skip
    assert {name: shape(model, name) for name in expected} == expected
    assert model.get_layer("conv1").kernel.shape == (7, 7, 3, 96)
    assert model.get_layer("conv1").strides == (2, 2)
    assert model.count_params() == 62_357_608
    np.testing.assert_array_equal(model.get_layer("conv2").bias.numpy(), 0.0)  # ZF: biases 0


def test_activation_option_keeps_the_relu_graph_and_adds_layers_otherwise():
    small = dict(input_shape=(67, 67, 3), num_classes=10, fc_units=16)
    relu, elu = models.build("alexnet", **small), models.build("alexnet", activation="elu", **small)
    assert relu.count_params() == elu.count_params()
    names = [layer.name for layer in elu.layers]
    assert "conv1_gpu1_act" in names and "fc6_act" in names
    assert not any(layer.name.endswith("_act") for layer in relu.layers)
