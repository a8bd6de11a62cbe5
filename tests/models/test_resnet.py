"""ResNets (He et al. 2015): ImageNet 18-152 (Table 1), CIFAR 6n + 2 with option-A shortcuts (Table 6)."""

import numpy as np
import pytest
import tensorflow as tf

from cnnapp import compat, models
from cnnapp.audit import shapes_only
from cnnapp.errors import CnnappError
from cnnapp.models import resnet

SMALL = {"input_shape": (32, 32, 3), "num_classes": 10, "width": 0.125}


def weighted(model):
    """Conv and FC layers on the main path (projection shortcuts, `_0_conv`, are not counted in the depth)."""
    kinds = ("Conv2D", "Dense")
    return [la for la in model.layers if type(la).__name__ in kinds and not la.name.endswith("_0_conv")]


# 101 and 152 repeat 50's bottleneck stages with more blocks (their block counts are pinned in the fast tier
# too, by test_zoo's paper-size parameter counts): slow tier.
DEEP = pytest.mark.slow


@pytest.mark.parametrize("depth", [18, 34, 50, pytest.param(101, marks=DEEP), pytest.param(152, marks=DEEP)])
def test_imagenet_depth_counts_weighted_layers(depth):
    model = models.build(f"resnet{depth}", **SMALL)
    assert len(weighted(model)) == depth
    blocks = resnet.DEPTHS[depth][1]
    projections = [la.name for la in model.layers if la.name.endswith("_0_conv")]
    # Option B: a projection only where the shape changes, the first block of each stage (conv2_x only for
    # bottlenecks, whose 4× expansion changes the depth there).
    expected = ["conv2_block1_0_conv"] if depth >= 50 else []
    assert projections == expected + [f"conv{stage}_block1_0_conv" for stage in (3, 4, 5)]
    assert [sum(la.name.startswith(f"conv{s}_") and la.name.endswith("_out") for la in model.layers)
            for s in (2, 3, 4, 5)] == list(blocks)  # fmt: skip


def test_resnet50_stage_shapes_at_224():
    with shapes_only():  # shapes need no drawn weights
        model = models.build("resnet50")
    shapes = {
        name: model.get_layer(name).output.shape[1:]
        for name in ("conv1_relu", "pool1_pool", "conv2_block3_out", "conv3_block4_out", "conv4_block6_out",
                     "conv5_block3_out", "avg_pool")
    }  # fmt: skip
    assert shapes == {
        "conv1_relu": (112, 112, 64),
        "pool1_pool": (56, 56, 64),
        "conv2_block3_out": (56, 56, 256),
        "conv3_block4_out": (28, 28, 512),
        "conv4_block6_out": (14, 14, 1024),
        "conv5_block3_out": (7, 7, 2048),
        "avg_pool": (2048,),
    }
    assert not model.get_layer("conv2_block1_1_conv").use_bias


def test_resnet18_basic_blocks_at_224():
    with shapes_only():
        model = models.build("resnet18")
    assert model.get_layer("conv2_block2_out").output.shape[1:] == (56, 56, 64)
    assert model.get_layer("conv5_block2_out").output.shape[1:] == (7, 7, 512)
    assert model.get_layer("conv3_block1_1_conv").kernel_size == (3, 3)
    assert model.get_layer("conv3_block1_1_pad").padding == ((1, 1), (1, 1))  # PyTorch's symmetric padding


def test_resnet50_with_conv_bias_is_keras_applications_resnet50():
    import keras

    ours = models.build("resnet50", input_shape=(64, 64, 3), num_classes=7, conv_bias=True)
    theirs = keras.applications.ResNet50(weights=None, input_shape=(64, 64, 3), classes=7)
    named = lambda m: [la.name for la in m.layers if la.weights]  # noqa: E731
    assert named(ours) == named(theirs)
    assert ours.count_params() == theirs.count_params()
    ours.set_weights(theirs.get_weights())
    x = np.random.default_rng(0).normal(size=(2, 64, 64, 3)).astype("float32")
    np.testing.assert_allclose(ours(x).numpy(), theirs(x).numpy(), atol=1e-6)


@pytest.mark.parametrize("depth", resnet.CIFAR_DEPTHS)
def test_cifar_parameters_round_to_table_6(depth):
    # The count from section 4.2's layer list; test_zoo checks each registered build against it.
    learned, bn_channels = resnet.cifar_params(depth)
    assert round(learned / 1e6, 2 if depth < 100 else 1) == resnet.CIFAR_TABLE6_PARAMS[depth]
    assert models.get(f"resnet{depth}").published_params == learned + 2 * bn_channels


@pytest.mark.parametrize("depth", [20, pytest.param(56, marks=DEEP)])  # 56: 20's blocks, n = 9 instead of 3
def test_cifar_depth_is_6n_plus_2_and_learned_parameters_match(depth):
    model = models.build(f"resnet{depth}")
    assert len(weighted(model)) == depth == 6 * ((depth - 2) // 6) + 2
    learned = sum(int(np.prod(w.shape)) for w in model.trainable_weights)
    assert learned == resnet.cifar_params(depth)[0]


def test_cifar_stage_shapes_and_parameter_free_option_a_shortcuts():
    model = models.build("resnet20")
    for stage, (side, depth) in {2: (32, 16), 3: (16, 32), 4: (8, 64)}.items():
        assert model.get_layer(f"conv{stage}_block3_out").output.shape[1:] == (side, side, depth)
    shortcuts = [la for la in model.layers if la.name.endswith("_shortcut")]
    assert [la.name for la in shortcuts] == ["conv3_block1_0_shortcut", "conv4_block1_0_shortcut"]
    assert all(la.count_params() == 0 and not la.weights for la in shortcuts)
    assert not [la.name for la in model.layers if la.name.endswith("_0_conv")]
    projection = models.build("resnet20", shortcut="projection")
    assert projection.count_params() - model.count_params() == 16 * 32 + 4 * 32 + 32 * 64 + 4 * 64


def test_option_a_subsamples_and_zero_pads_the_new_channels():
    model = models.build("resnet20")
    layer = model.get_layer("conv3_block1_0_shortcut")
    x = np.random.default_rng(0).normal(size=(2, 32, 32, 16)).astype("float32")
    y = layer(x).numpy()
    assert y.shape == (2, 16, 16, 32)
    np.testing.assert_array_equal(y[..., :16], x[:, ::2, ::2, :])
    assert not y[..., 16:].any()
    assert layer.compute_output_shape((None, 31, 31, 16)) == (None, 16, 16, 32)


def test_cifar_resnet_converts_to_int8_tflite():
    # Option A's STRIDED_SLICE and PAD have int8 kernels: full-integer conversion succeeds with no float ops.
    model = resnet.cifar_resnet(depth=8)
    converter = tf.lite.TFLiteConverter.from_keras_model(model)
    converter.optimizations = [tf.lite.Optimize.DEFAULT]
    rng = np.random.default_rng(0)
    converter.representative_dataset = lambda: (
        [rng.normal(size=(1, 32, 32, 3)).astype("float32")] for _ in range(4)
    )
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
    converter.inference_input_type = converter.inference_output_type = tf.int8
    from ai_edge_litert.interpreter import Interpreter, OpResolverType

    interpreter = Interpreter(
        model_content=converter.convert(),
        # without XNNPACK, so the op list shows TFLite's own kernels
        experimental_op_resolver_type=OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES,
    )
    interpreter.allocate_tensors()
    inp, out = interpreter.get_input_details()[0], interpreter.get_output_details()[0]
    interpreter.set_tensor(inp["index"], np.zeros(inp["shape"], np.int8))
    interpreter.invoke()
    assert interpreter.get_tensor(out["index"]).shape == (1, 10)
    ops = {op["op_name"] for op in compat.ops_details(interpreter)}
    assert {"STRIDED_SLICE", "PAD"} <= ops, ops


def test_bad_depths_list_the_valid_ones():
    with pytest.raises(CnnappError, match="valid ResNet depths: 101, 152, 18, 34, 50"):
        resnet.resnet(depth=19)
    with pytest.raises(CnnappError, match=r"valid CIFAR ResNet depths: .*20 \(any 6n \+ 2\)"):
        resnet.cifar_resnet(depth=21)
    with pytest.raises(CnnappError, match="valid shortcuts: projection, zero_pad"):
        resnet.cifar_resnet(shortcut="identity")


def test_any_input_size_works_and_32_leaves_1x1_conv5_maps():
    model = models.build("resnet18", **SMALL)
    assert model.get_layer("conv5_block2_out").output.shape[1:3] == (1, 1)
    assert models.build("resnet18", **{**SMALL, "input_shape": (7, 9, 1)}).output_shape == (None, 10)


def test_paper_init_is_he_normal():
    model = models.build("resnet20")  # resnet56 draws its kernels the same way, 6 more blocks a stage
    kernel = model.get_layer("conv4_block3_2_conv").get_weights()[0]
    assert kernel.std() == pytest.approx(np.sqrt(2 / (9 * 64)), rel=0.1)


@pytest.mark.parametrize(
    "depth", [50, pytest.param(101, marks=pytest.mark.slow), pytest.param(152, marks=pytest.mark.slow)]
)
def test_conv_bias_gives_keras_applications_parameter_counts(depth):
    with shapes_only():  # a count needs shapes, not drawn weights
        model = models.build(f"resnet{depth}", conv_bias=True)
    assert model.count_params() == resnet.KERAS_APPLICATIONS_PARAMS[depth]
