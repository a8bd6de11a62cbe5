"""QAT, pruning and clustering change the model as stated, on the tf_keras twin; combinations convert."""

import numpy as np
import pytest
import tensorflow as tf

from cnnapp.deploy import optimize, qat
from cnnapp.deploy.exporter import Options, export_model
from cnnapp.errors import CnnappError
from tests.fixtures import FAST


def _data(subject, n=256):
    x, y = subject.images("train", n)
    return tf.data.Dataset.from_tensor_slices((x, y)).batch(32)


def _graph_ops(model, shape):
    fn = tf.function(lambda x: model(x, training=False))
    graph = fn.get_concrete_function(tf.TensorSpec((1, *shape), tf.float32)).graph.as_graph_def()
    ops = {node.op for node in graph.node}
    for function in graph.library.function:
        ops |= {node.op for node in function.node_def}
    return ops


def test_twin_gives_the_same_outputs(lenet):
    twin = lenet.twin()
    images, _ = lenet.images("test", 16)
    expected = lenet.model.predict(images, verbose=0)
    np.testing.assert_allclose(twin.predict(images, verbose=0), expected, atol=1e-5)


# test_prune_plus_int8_shrinks_gzip prunes the same way to 0.5 and checks the zero fraction; its float-free
# int8 graph shows the pruning wrappers were stripped: slow tier.
@pytest.mark.slow
@pytest.mark.parametrize("sparsity", [0.5, 0.8])
def test_pruning_reaches_the_stated_sparsity(lenet, sparsity):
    pruned = optimize.prune(lenet.twin(), _data(lenet), sparsity, epochs=1)
    stats = optimize.weight_stats(pruned)
    assert stats["zero_fraction"] == pytest.approx(sparsity, abs=0.01)
    assert not any("prune" in type(layer).__name__.lower() for layer in pruned.layers)  # stripped


@pytest.mark.slow  # test_cluster_plus_int8_converts clusters the same way and checks the values per kernel
def test_clustering_leaves_n_values_per_kernel(lenet):
    clustered = optimize.cluster(lenet.twin(), _data(lenet), 8, epochs=1)
    assert optimize.weight_stats(clustered)["max_distinct_per_kernel"] <= 8


def test_prune_plus_int8_shrinks_gzip(lenet):
    report = export_model(lenet, Options(mode="int8", prune=0.5, **FAST)).report
    assert report["export"] == "int8-prune50"
    assert report["weights"]["zero_fraction"] == pytest.approx(0.5, abs=0.01)
    assert report["size"]["gzip_ratio_to_float32_gzip"] < report["size"]["ratio_to_float32"] - 0.05
    assert report["graph"]["float_ops"] == []


def test_cluster_plus_int8_converts(lenet):
    report = export_model(lenet, Options(mode="int8", cluster=16, **FAST)).report
    assert report["export"] == "int8-cluster16" and report["weights"]["max_distinct_per_kernel"] <= 16
    assert report["evaluation"]["agreement_with_keras"] >= 0.9


def test_keras3_model_to_tfmot_is_a_clear_error(lenet):
    data = _data(lenet, 32)
    for call in (
        lambda: optimize.prune(lenet.model, data, 0.5, 1),
        lambda: optimize.cluster(lenet.model, data, 8, 1),
        lambda: qat.quantize_aware(lenet.model),
    ):
        with pytest.raises(CnnappError, match="tf_keras"):
            call()


def test_the_rgb_front_is_in_the_model_and_twin_and_survives_qat(lenet_rgb):
    """A grey-trained model takes RGB through `rgb_to_grey` before `normalization`, in Keras 3 and in the
    tf_keras twin alike (tasks.build_model(..., rgb_input=True) builds it), with the same outputs on grey."""
    import tf_keras

    from cnnapp import tasks
    from tests.fixtures import _meta

    built = tasks.build_model(_meta("lenet5", {"init": "lecun"}), tf_keras, rgb_input=True)
    assert [layer.name for layer in built.layers][:3] == ["image", "rgb_to_grey", "normalization"]
    twin = lenet_rgb.twin()
    assert twin.input_shape[-1] == lenet_rgb.model.input_shape[-1] == 3
    images, _ = lenet_rgb.images("test", 8)
    assert np.allclose(images[..., 0], images[..., 2])  # the grey test digits, given as R = G = B
    expected = lenet_rgb.model.predict(images, verbose=0)
    np.testing.assert_allclose(twin.predict(images, verbose=0), expected, atol=1e-5)
    quantized = qat.quantize_aware(twin)
    assert "quant_rgb_to_grey" in [layer.name for layer in quantized.layers]
