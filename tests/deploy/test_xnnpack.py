"""An int8 graph's average pools become depthwise convolutions XNNPACK runs in int8: the same numbers, and
no more delegate partitions than float32 (counted from the interpreter, not timed)."""

import numpy as np

from cnnapp import models
from cnnapp.deploy import converter, runtime, xnnpack


def _lenet(keras_module=None):
    import keras

    keras.utils.set_random_seed(0)
    return models.build("lenet5", keras_module=keras_module)


def test_average_pools_become_constant_depthwise_convolutions_with_the_same_outputs():
    model = _lenet()
    rewritten = xnnpack.pools_as_depthwise(model)
    assert [layer.name for layer in xnnpack.average_pools(model)] == ["S2", "S4"]
    assert xnnpack.average_pools(rewritten) == [] and type(rewritten.get_layer("S2")).__name__ == (
        "DepthwiseConv2D"
    )
    images = np.random.default_rng(0).uniform(0, 255, (4, 32, 32, 1)).astype(np.float32)
    np.testing.assert_allclose(
        rewritten.predict(images, verbose=0), model.predict(images, verbose=0), atol=1e-6
    )
    assert xnnpack.pools_as_depthwise(rewritten) is rewritten  # nothing left to rewrite: the model itself


def test_int8_lenet_runs_in_as_few_xnnpack_partitions_as_float32():
    model = _lenet()
    images = np.random.default_rng(0).uniform(0, 255, (8, 32, 32, 1)).astype(np.float32)
    int8 = converter.convert(model, "int8", images)
    float32 = converter.convert(model, "float32")
    assert "AVERAGE_POOL_2D" not in runtime.op_summary(int8)["ops"]
    taken, reference = runtime.xnnpack_partitions(int8), runtime.xnnpack_partitions(float32)
    assert not [op for op in taken["outside"] if op.startswith(("AVERAGE_POOL_2D", "DEPTHWISE"))]
    assert taken["partitions"] == reference["partitions"] == 2  # cut only by the flatten's shape ops
    # The int8 graph computes what float32 does, within a few of its output's 1/256 steps.
    lite8, lite32 = runtime.LiteModel(int8), runtime.LiteModel(float32)
    assert np.max(np.abs(lite8.predict(images) - lite32.predict(images))) < 0.02


def test_the_qat_twin_gets_the_same_rewrite():
    import tf_keras

    from cnnapp.deploy import qat

    quantized = qat.quantize_aware(_lenet(tf_keras))
    assert "DepthwiseConv2D" in type(quantized.get_layer("quant_S2").layer).__name__
