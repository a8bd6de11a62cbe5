"""GoogLeNet (Szegedy et al. 2014, Table 1): inception depths, parameters per module, auxiliary heads."""

import numpy as np
import pytest
import tensorflow as tf

from cnnapp import models
from cnnapp.audit import shapes_only
from cnnapp.errors import CnnappError
from cnnapp.models.googlenet import INCEPTIONS, LOSS_WEIGHTS

# Table 1: output size of every inception module at 224×224.
DEPTHS = {"3a": 256, "3b": 480, "4a": 512, "4b": 512, "4c": 512, "4d": 528, "4e": 832, "5a": 832, "5b": 1024}
SIDES = {"3": 28, "4": 14, "5": 7}
# Table 1's "params" column, in K = 1024 weights (biases not counted). It matches the filter columns to 0.3%
# for 3a, 3b, 4b, but not everywhere: 4c is 7% below and 5a 5% above what its own filter counts give.
TABLE1_PARAMS_K = {"3a": 159, "3b": 380, "4a": 364, "4b": 437, "4c": 463, "4d": 580, "4e": 840, "5a": 1072,
                   "5b": 1388}  # fmt: skip
SMALL = {"input_shape": (32, 32, 3), "num_classes": 10, "cifar_stem": True, "width": 0.25}


@pytest.fixture(scope="module")
def paper_model():
    with shapes_only():  # only shapes and counts are read: no 13.4M random draws
        return models.build("googlenet")


def module_weights(model, stage):
    layers = [la for la in model.layers if la.name.startswith(f"inception_{stage}_") and la.weights]
    return sum(int(np.prod(la.kernel.shape)) for la in layers), sum(la.count_params() for la in layers)


def test_stem_shapes(paper_model):
    shapes = {
        name: paper_model.get_layer(name).output.shape[1:]
        for name in ("conv1_7x7_s2", "pool1_3x3_s2", "conv2_3x3", "pool2_3x3_s2")
    }
    assert shapes == {
        "conv1_7x7_s2": (112, 112, 64),
        "pool1_3x3_s2": (56, 56, 64),
        "conv2_3x3": (56, 56, 192),
        "pool2_3x3_s2": (28, 28, 192),
    }


def test_inception_output_depths(paper_model):
    for stage, depth in DEPTHS.items():
        side = SIDES[stage[0]]
        assert paper_model.get_layer(f"inception_{stage}_output").output.shape[1:] == (side, side, depth)
        n1x1, _, n3x3, _, n5x5, npool = INCEPTIONS[stage]
        assert n1x1 + n3x3 + n5x5 + npool == depth


def test_parameters_per_module_against_table_1(paper_model):
    for stage, (n1, n3r, n3, n5r, n5, npool) in INCEPTIONS.items():
        depth_in = paper_model.get_layer(f"inception_{stage}_1x1").input.shape[-1]
        weights = depth_in * (n1 + n3r + n5r + npool) + 9 * n3r * n3 + 25 * n5r * n5
        counted, with_biases = module_weights(paper_model, stage)
        assert counted == weights
        assert with_biases == weights + n1 + n3r + n3 + n5r + n5 + npool
        assert weights / 1024 == pytest.approx(TABLE1_PARAMS_K[stage], rel=0.08), stage


def test_inference_network_has_7_0m_parameters_and_no_auxiliary_heads(paper_model):
    assert paper_model.output_names == ["predictions", "aux1_predictions", "aux2_predictions"]
    inference = models.inference_model(paper_model)
    assert inference.count_params() == 6_998_552  # ≈ 7.0M; Table 1's weights-only column sums to 6.8M
    assert not [layer.name for layer in inference.layers if layer.name.startswith("aux")]
    assert inference.get_layer("dropout").rate == 0.4
    assert inference.get_layer("avg_pool").output.shape[1:] == (1024,)
    with shapes_only():
        without = models.build("googlenet", aux_classifiers=False)
    assert len(without.outputs) == 1
    assert without.count_params() == 6_998_552


def test_auxiliary_heads_follow_4a_and_4d(paper_model):
    for head, stage, depth in (("aux1", "4a", 512), ("aux2", "4d", 528)):
        pool = paper_model.get_layer(f"{head}_avg_pool")
        assert pool.input is paper_model.get_layer(f"inception_{stage}_output").output
        assert (pool.pool_size, pool.strides) == ((5, 5), (3, 3))
        assert pool.output.shape[1:] == (4, 4, depth)
        assert paper_model.get_layer(f"{head}_conv").filters == 128
        assert paper_model.get_layer(f"{head}_fc").units == 1024
        assert paper_model.get_layer(f"{head}_dropout").rate == 0.7
        assert paper_model.get_layer(f"{head}_predictions").units == 1000


def test_classifier_activation_applies_to_every_head():
    logits = models.build("googlenet", **SMALL, classifier_activation=None)
    assert {logits.get_layer(name).activation.__name__ for name in LOSS_WEIGHTS} == {"linear"}


def test_auxiliary_losses_weigh_0_3_in_training():
    # Section 5: the auxiliary losses are added to the total loss "with a discount weight" of 0.3.
    assert LOSS_WEIGHTS == {"predictions": 1.0, "aux1_predictions": 0.3, "aux2_predictions": 0.3}
    model = models.build("googlenet", **SMALL, init="glorot")
    losses = {name: "sparse_categorical_crossentropy" for name in LOSS_WEIGHTS}
    model.compile("sgd", loss=losses, loss_weights=LOSS_WEIGHTS)
    x = np.random.default_rng(0).normal(size=(4, 32, 32, 3)).astype("float32")
    y = np.arange(4)
    logs = model.evaluate(x, {name: y for name in LOSS_WEIGHTS}, verbose=0, return_dict=True)
    total = logs["predictions_loss"] + 0.3 * (logs["aux1_predictions_loss"] + logs["aux2_predictions_loss"])
    assert logs["loss"] == pytest.approx(total, rel=1e-4)


def test_lrn_is_caffes_with_alpha_divided_by_the_window():
    model = models.build("googlenet", input_shape=(65, 65, 3), num_classes=2, width=0.25)
    lrn = model.get_layer("pool1_norm1")
    assert (lrn.depth_radius, lrn.bias, lrn.beta) == (2, 1.0, 0.75)
    x = np.random.default_rng(1).normal(scale=30, size=(2, 5, 5, 16)).astype("float32")
    squares = np.pad(x**2, [(0, 0)] * 3 + [(2, 2)])
    window = sum(squares[..., i : i + 16] for i in range(5))
    caffe = x / (1 + 1e-4 / 5 * window) ** 0.75  # Caffe: local_size 5, alpha 1e-4, beta 0.75, k 1
    np.testing.assert_allclose(lrn(x).numpy(), caffe, rtol=1e-5)


def test_cifar_stem_and_quarter_width():
    model = models.build("googlenet", **SMALL)
    assert model.get_layer("conv1_3x3").output.shape[1:] == (32, 32, 48)
    assert model.get_layer("inception_3b_output").output.shape[1:] == (32, 32, 120)
    assert model.get_layer("inception_4a_output").output.shape[1:] == (16, 16, 128)
    assert model.get_layer("inception_5b_output").output.shape[1:] == (8, 8, 256)
    assert model.get_layer("aux1_avg_pool").output.shape[1:] == (4, 4, 128)
    assert not [layer.name for layer in model.layers if "norm" in layer.name]
    tiny = models.build("googlenet", **{**SMALL, "width": 0.01})
    assert min(layer.filters for layer in tiny.layers if hasattr(layer, "filters")) == 1


def test_minimum_input_is_set_by_the_auxiliary_heads():
    with pytest.raises(CnnappError, match="at least 65×65; got 64×64"):
        models.build("googlenet", input_shape=(64, 64, 3), width=0.1)
    smallest = models.build("googlenet", input_shape=(65, 65, 3), width=0.1)
    assert smallest.get_layer("aux1_avg_pool").output.shape[1] == 1
    with pytest.raises(CnnappError, match="at least 9×9"):
        models.build("googlenet", **{**SMALL, "input_shape": (8, 8, 3)})
    small = models.build("googlenet", input_shape=(16, 16, 1), width=0.1, aux_classifiers=False)
    assert small.get_layer("inception_5b_output").output.shape[1:3] == (1, 1)


def test_paper_init_has_xavier_weights_and_0_2_biases():
    model = models.build("googlenet", **SMALL)
    conv = model.get_layer("inception_4e_3x3")
    kernel, bias = conv.get_weights()
    fan_in = 3 * 3 * kernel.shape[2]
    assert np.abs(kernel).max() <= np.sqrt(3 / fan_in)  # Caffe's xavier: U(±√(3/fan_in))
    assert kernel.std() == pytest.approx(np.sqrt(1 / fan_in), rel=0.1)
    assert np.all(bias == np.float32(0.2))
    assert not model.get_layer("predictions").get_weights()[1].any()
    he = models.build("googlenet", **SMALL, init="he")
    assert not he.get_layer("inception_4e_3x3").get_weights()[1].any()


@pytest.mark.slow  # ~10 s of conversion; the export stage converts the shipped quarter-width model
def test_quarter_width_converts_to_int8_tflite():
    # The imagenet stem at quarter width exercises LRN and every inception op; full integer or failure.
    model = models.build("googlenet", input_shape=(65, 65, 3), num_classes=10, width=0.25)
    model = models.inference_model(model)
    converter = tf.lite.TFLiteConverter.from_keras_model(model)
    converter.optimizations = [tf.lite.Optimize.DEFAULT]
    rng = np.random.default_rng(0)
    converter.representative_dataset = lambda: (
        [rng.normal(size=(1, 65, 65, 3)).astype("float32")] for _ in range(4)
    )
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
    converter.inference_input_type = converter.inference_output_type = tf.int8
    from ai_edge_litert.interpreter import Interpreter

    interpreter = Interpreter(model_content=converter.convert())
    interpreter.allocate_tensors()
    inp, out = interpreter.get_input_details()[0], interpreter.get_output_details()[0]
    interpreter.set_tensor(inp["index"], np.zeros(inp["shape"], np.int8))
    interpreter.invoke()
    assert interpreter.get_tensor(out["index"]).shape == (1, 10)
    assert out["dtype"] == np.int8
