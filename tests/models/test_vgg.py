"""VGG configurations A-E (Simonyan & Zisserman 2014, Table 1): layers per configuration, shapes, options."""

import numpy as np
import pytest

from cnnapp import models
from cnnapp.errors import CnnappError
from cnnapp.models import vgg

# Table 1: weight layers are convs + 3 FC; A and A-LRN have 11, B 13, C and D 16, E 19.
CONV_COUNTS = {"vgg11": 8, "vgg11-lrn": 8, "vgg13": 10, "vgg16c": 13, "vgg16": 13, "vgg19": 16}
TINY = {"input_shape": (32, 32, 3), "num_classes": 5, "width": 1 / 32, "fc_units": 8}


def convs(model):
    return [layer for layer in model.layers if layer.name.split("_")[-1].startswith("conv")]


@pytest.mark.parametrize("name", list(CONV_COUNTS))
def test_conv_layers_per_configuration(name):
    model = models.build(name, **TINY)
    assert len(convs(model)) == CONV_COUNTS[name]
    dense = [layer.name for layer in model.layers if layer.__class__.__name__ == "Dense"]
    assert dense == ["fc1", "fc2", "predictions"]
    assert len(convs(model)) + len(dense) == int(name[3:5])  # "vgg16c" → 16 weight layers


def test_configuration_c_has_1x1_convs_at_the_end_of_stages_3_to_5():
    c, d = models.build("vgg16c", **TINY), models.build("vgg16", **TINY)
    one_by_one = [layer.name for layer in convs(c) if layer.kernel_size == (1, 1)]
    assert one_by_one == ["block3_conv3", "block4_conv3", "block5_conv3"]
    assert all(layer.kernel_size == (3, 3) for layer in convs(d))
    assert [layer.name for layer in convs(c)] == [layer.name for layer in convs(d)]


def test_stage_shapes_at_224():
    model = models.build("vgg16", fc_units=8)  # full-width convs; tiny FC layers keep the build quick
    shapes = {f"block{i}_pool": model.get_layer(f"block{i}_pool").output.shape[1:] for i in range(1, 6)}
    assert shapes == {
        "block1_pool": (112, 112, 64),
        "block2_pool": (56, 56, 128),
        "block3_pool": (28, 28, 256),
        "block4_pool": (14, 14, 512),
        "block5_pool": (7, 7, 512),
    }
    assert model.get_layer("flatten").output.shape[1:] == (7 * 7 * 512,)
    assert model.get_layer("fc1_dropout").rate == 0.5


def test_a_lrn_normalizes_after_the_first_conv_with_alexnets_parameters():
    model = models.build("vgg11-lrn", **TINY)
    names = [layer.name for layer in model.layers]
    assert names[1:4] == ["block1_conv1", "block1_lrn", "block1_pool"]
    lrn = model.get_layer("block1_lrn")
    assert (lrn.depth_radius, lrn.bias, lrn.alpha, lrn.beta) == (2, 2.0, 1e-4, 0.75)
    assert not any("lrn" in layer.name for layer in models.build("vgg11", **TINY).layers)


def test_batch_norm_adds_four_numbers_per_conv_channel():
    plain = models.build("vgg13", **TINY)
    bn = models.build("vgg13", batch_norm=True, **TINY)
    channels = sum(layer.filters for layer in convs(plain))
    assert bn.count_params() - plain.count_params() == 4 * channels  # γ, β + moving mean and variance
    first = [layer.name for layer in bn.layers[1:4]]
    assert first == ["block1_conv1", "block1_conv1_bn", "block1_conv1_relu"]


def test_paper_init_is_normal_with_variance_1e_2_and_zero_biases():
    model = models.build("vgg11", input_shape=(32, 32, 3), num_classes=10, fc_units=512)
    kernel, bias = model.get_layer("fc1").get_weights()
    assert kernel.std() == pytest.approx(0.1, rel=0.02)
    assert abs(kernel.mean()) < 0.002
    assert not bias.any()
    glorot = models.build("vgg11", input_shape=(32, 32, 3), num_classes=10, fc_units=512, init="glorot")
    assert glorot.get_layer("fc1").get_weights()[0].std() < 0.05


def test_width_and_fc_units_scale_the_layers():
    model = models.build("vgg19", input_shape=(32, 32, 3), num_classes=3, width=0.25, fc_units=16)
    assert [layer.filters for layer in convs(model)][::4] == [16, 64, 128, 128]
    assert model.get_layer("fc2").units == 16
    assert models.build("vgg11", **{**TINY, "width": 1e-3}).get_layer("block5_conv2").filters == 1


def test_32x32_is_the_smallest_input():
    model = models.build("vgg11", **TINY)
    assert model.get_layer("block5_pool").output.shape[1:3] == (1, 1)
    x = np.zeros((1, 32, 32, 3), "float32")
    assert model(x).shape == (1, 5)
    with pytest.raises(CnnappError, match="at least 32×32; got 31×32"):
        models.build("vgg11", **{**TINY, "input_shape": (31, 32, 3)})


def test_unknown_configuration_lists_the_valid_ones():
    with pytest.raises(CnnappError, match="valid VGG configurations: A, A-LRN, B, C, D, E"):
        vgg.vgg(config="F")


@pytest.mark.slow
def test_vgg16_batch_norm_matches_torchvision():
    # torchvision vgg16_bn: 138,365,992 parameters (BN γ and β; its moving statistics are buffers).
    model = models.build("vgg16", batch_norm=True)
    trainable = sum(int(np.prod(w.shape)) for w in model.trainable_weights)
    assert trainable == 138_365_992
