"""Quantization-aware training on the tf_keras twin: fake-quant nodes where the converter will quantize, and
the CIFAR ResNets' parameter-free shortcuts."""

import pytest

from cnnapp.deploy import qat
from tests.deploy.test_optimize import _data, _graph_ops


# GoogLeNet's QAT wrapping repeats LeNet-5's (~1 minute): slow tier; a branched graph's QAT is covered in the
# fast tier by test_qat_takes_the_cifar_resnets_parameter_free_shortcuts.
@pytest.mark.parametrize("subject_name", ["lenet", pytest.param("googlenet", marks=pytest.mark.slow)])
def test_qat_adds_fake_quant_nodes(subject_name, request):
    subject = request.getfixturevalue(subject_name)
    model = qat.qat(subject.twin(), _data(subject), epochs=0)
    wrapped = qat.fake_quant_layers(model)
    assert wrapped[0].startswith("quantize_layer") and "quant_normalization" in wrapped
    ops = _graph_ops(model, (32, 32, 1))
    assert {"FakeQuantWithMinMaxVars", "FakeQuantWithMinMaxVarsPerChannel"} <= ops


def test_qat_takes_the_cifar_resnets_parameter_free_shortcuts():
    import tf_keras

    from cnnapp import models

    options = {"input_shape": (16, 16, 3), "num_classes": 4}
    model = models.build("resnet20", **options)
    twin = models.build("resnet20", keras_module=tf_keras, **options)
    twin.set_weights(model.get_weights())
    quantized = qat.quantize_aware(twin)
    wrapped = qat.fake_quant_layers(quantized)
    assert {"quant_conv3_block1_0_shortcut", "quant_conv4_block1_0_shortcut"} <= set(wrapped)
