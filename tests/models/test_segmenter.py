"""Fast tier: FCN segmenters (cnnapp.models.segmenter) on every backbone family, their paper size, errors.

Small builds (width 1/8, a 40×52 input that is not a multiple of 32) run forward and backward; the paper-size
VGG-16 FCN-8s is only constructed with shapes (no 134M random draws) to pin its parameter count.
"""

import numpy as np
import pytest
import tensorflow as tf

from cnnapp import models
from cnnapp.errors import CnnappError
from cnnapp.models import segmenter
from cnnapp.models.layers import bilinear_kernel

SMALL = {
    "vgg16": {"width": 0.125, "fc_units": 16},
    "resnet18": {"width": 0.125},
    "googlenet": {"width": 0.125},
}
SHAPE = (40, 52, 3)  # padded to 64×64 inside, cropped back


@pytest.mark.parametrize("backbone", list(SMALL))
def test_fcn8s_on_each_backbone_labels_every_pixel_and_trains_every_weight(backbone):
    model = models.build_segmenter(backbone, "fcn8s", 5, input_shape=SHAPE, **SMALL[backbone])
    assert model.output_shape == (None, 40, 52, 5)
    names = {layer.name for layer in model.layers}
    assert {"pad_to_32", "score_fr", "score_pool4", "score_pool3", "fuse_pool3", "upscore8"} <= names
    x = np.random.default_rng(0).uniform(0, 255, (2, *SHAPE)).astype("float32")
    labels = np.random.default_rng(1).integers(0, 5, (2, 40, 52))
    with tf.GradientTape() as tape:
        probs = model(x, training=True)
        loss = tf.reduce_mean(tf.keras.losses.sparse_categorical_crossentropy(labels, probs))
    np.testing.assert_allclose(np.sum(probs, axis=-1), 1.0, rtol=1e-5)
    grads = tape.gradient(loss, model.trainable_weights)
    # The zero-initialized score layers pass no gradient to the layers below them at the first step, as in the
    # paper; their own weights get one, and so does everything the first step reaches.
    assert all(g is not None for g in grads)
    assert np.any(grads[[w.path for w in model.trainable_weights].index("score_pool3/kernel")].numpy())


def test_heads_have_the_papers_skips_and_zero_and_bilinear_starts():
    shape = (64, 64, 3)
    built = {
        head: models.build_segmenter("vgg16", head, 3, input_shape=shape, **SMALL["vgg16"])
        for head in segmenter.HEADS
    }
    names = {h: {layer.name for layer in m.layers} for h, m in built.items()}
    assert "score_pool4" not in names["fcn32s"] and "upscore" in names["fcn32s"]
    assert "score_pool4" in names["fcn16s"] and "score_pool3" not in names["fcn16s"]
    assert "pad_to_32" not in names["fcn8s"]  # 64 is a multiple of 32: no padding
    model = built["fcn8s"]
    for name in ("score_fr", "score_pool4", "score_pool3"):
        assert not np.any(model.get_layer(name).get_weights()[0])
    kernel = model.get_layer("upscore8").get_weights()[0]
    assert kernel.shape == (16, 16, 3, 3)
    np.testing.assert_array_equal(kernel[:, :, 0, 0], bilinear_kernel(16, 1, 1)[:, :, 0, 0])
    assert not np.any(kernel[:, :, 0, 1])
    # fc6/fc7 are the paper's 7×7 and 1×1 convolutions.
    assert model.get_layer("fc6").kernel.shape[:2] == (7, 7)
    assert model.get_layer("fc7").kernel.shape[:2] == (1, 1)


def test_bilinear_transposed_convolution_upsamples_a_ramp_exactly():
    import keras

    layer = segmenter._upsample(keras, 1, 2, "up")
    ramp = np.arange(8, dtype="float32").reshape(1, 8, 1, 1) * np.ones((1, 1, 8, 1), "float32")
    out = np.asarray(layer(ramp))[0, 2:-2, 4, 0]  # away from the zero-padded border
    np.testing.assert_allclose(np.diff(out), 0.5, atol=1e-6)  # a linear ramp stays linear at half the step


def test_paper_size_vgg16_fcn8s_has_the_published_parameter_count():
    from cnnapp.audit import shapes_only

    with shapes_only():
        model = models.build_segmenter("vgg16", "fcn8s", 21, input_shape=(500, 500, 3))
    assert model.count_params() == segmenter.PAPER_FCN8S_PARAMS, segmenter.PAPER_PARAMS_SOURCE
    assert abs(model.count_params() / 134e6 - 1) < 0.005  # Long et al. 2015, Table 1: 134M


def test_backbone_weights_fill_the_convs_and_fc6_fc7(tmp_path):
    """The paper starts from a trained classifier: its convs by name, fc1/fc2 reshaped into fc6/fc7."""
    classifier = models.build("vgg16", input_shape=(224, 224, 3), width=0.0625, fc_units=8, num_classes=5)
    classifier.save(tmp_path / "vgg16.keras")
    model = models.build_segmenter(
        "vgg16", "fcn8s", 3, input_shape=(48, 48, 3), width=0.0625, fc_units=8,
        backbone_weights=str(tmp_path / "vgg16.keras"),
    )  # fmt: skip
    for name in ("block1_conv1", "block5_conv3"):
        for ours, theirs in zip(
            model.get_layer(name).get_weights(), classifier.get_layer(name).get_weights(), strict=True
        ):
            np.testing.assert_array_equal(ours, theirs)
    fc1 = classifier.get_layer("fc1").get_weights()[0]  # (7·7·32, 8): the flattened 7×7 pool5 of a 224 input
    np.testing.assert_array_equal(model.get_layer("fc6").get_weights()[0], fc1.reshape(7, 7, 32, 8))
    np.testing.assert_array_equal(
        model.get_layer("fc7").get_weights()[0],
        classifier.get_layer("fc2").get_weights()[0].reshape(1, 1, 8, 8),
    )
    with pytest.raises(CnnappError, match="no backbone weights at"):
        models.build_segmenter(
            "vgg16", "fcn8s", 3, input_shape=(32, 32, 3), width=0.0625, backbone_weights="x.h5"
        )


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"head": "fcn4s"}, "unknown segmentation head 'fcn4s'; valid segmentation heads: fcn16s, fcn32s"),
        ({"num_classes": 1}, "num_classes ≥ 2"),
        ({"backbone": "resnet20", "width": 1.0}, "resnet20 is too shallow for fcn8s"),
        ({"backbone": "googlenet", "cifar_stem": True}, "googlenet is too shallow for fcn8s"),
        ({"backbone": "lenet5"}, "unknown segmentation backbone 'lenet5'"),
    ],
)
def test_bad_requests_are_one_line_errors(kwargs, message):
    request = dict(backbone="vgg16", head="fcn8s", num_classes=3, input_shape=(32, 32, 3), width=0.125)
    request.update(kwargs)
    if request["backbone"] == "vgg16":
        request["fc_units"] = 4
    with pytest.raises(CnnappError, match=message.replace("(", r"\(")) as error:
        models.build_segmenter(**request)
    assert "\n" not in str(error.value)


def test_audit_cli_sizes_a_segmenter(capsys):
    from cnnapp.audit.__main__ import main

    options = [
        "--set",
        "input_shape=64,64,1",
        "--set",
        "width=0.125",
        "--set",
        "num_classes=11",
        "--set",
        "fc_units=8",
    ]
    assert main(["vgg16", "--head", "fcn8s", *options]) == 0
    out = capsys.readouterr().out
    assert "upscore8" in out and "MACs per output pixel:" in out and "over 4,096 output pixels" in out
