"""Finding layers by what they are (`explain.layers`): each stage's output, Grad-CAM's last conv stage on
every family (as its docstring names them), AlexNet's towers as one layer, and one-line errors."""

import keras
import pytest

from cnnapp import models
from cnnapp.errors import CnnappError
from cnnapp.explain import layers

LAST_STAGE = {
    "vgg16": ["block5_conv3"],
    "googlenet": ["inception_5b_output"],  # the training graph: its auxiliary heads are not a stage
    "alexnet": ["conv5_gpu1", "conv5_gpu2"],
    "lenet5": ["C3_act"],  # C5's maps are 1×1
    "resnet20": ["conv4_block3_out"],
}


def small(name):
    return models.build(name, **models.get(name).small_options)


@pytest.mark.parametrize("name", sorted(LAST_STAGE))
def test_gradcams_default_layer_is_the_last_conv_stage(name):
    model = small(name)
    assert layers.last_conv_stage(model) == LAST_STAGE[name]
    assert layers.stage_outputs(model)[-len(LAST_STAGE[name]) :] == LAST_STAGE[name]


def test_stage_outputs_move_forward_to_each_stages_output():
    assert layers.stage_outputs(small("lenet5")) == ["C1_act", "C3_act"]
    assert layers.stage_outputs(small("vgg16"))[:2] == ["block1_conv2", "block2_conv2"]
    assert layers.stage_outputs(small("resnet20")) == [
        "conv2_block3_out",
        "conv3_block3_out",
        "conv4_block3_out",
    ]


def test_a_tower_layer_brings_its_sibling():
    model = small("alexnet")
    assert [layer.name for layer in layers.towers(model, model.get_layer("conv2_gpu2"))] == [
        "conv2_gpu1", "conv2_gpu2"]  # fmt: skip
    assert layers.towers(model, model.get_layer("fc6")) == [model.get_layer("fc6")]


def test_conv_layers_of_keras_and_of_lenets_own_partial_conv():
    assert [layer.name for layer in layers.conv_layers(models.build("lenet5-paper"))][:2] == ["C1", "C3"]
    assert layers.spatial_shape(small("lenet5").get_layer("C1")) == (28, 28, 6)
    assert layers.spatial_shape(small("lenet5").get_layer("F6")) is None


def test_a_net_without_conv_maps_has_no_gradcam_layer():
    with pytest.raises(CnnappError, match="model 'mlp' has no conv layer with spatial maps.*linear and mlp"):
        layers.last_conv_stage(models.build("mlp"))


def test_an_unknown_layer_lists_the_valid_names():
    model = small("lenet5")
    with pytest.raises(CnnappError, match="unknown map layer 'C9'; valid map layers: C1, C3"):
        layers.get_layer(model, "C9", "map layer", valid=["C1", "C3"])
    assert layers.get_layer(model, "C1").name == "C1"


def test_outputs_model_gives_the_named_maps_in_order():
    model = small("lenet5")
    probe = layers.outputs_model(model, ["C3_act", "C1_act"])
    outputs = probe(keras.ops.zeros((1, 32, 32, 1)))
    assert [tuple(o.shape) for o in outputs] == [(1, 10, 10, 16), (1, 28, 28, 6)]
