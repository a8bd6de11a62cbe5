"""The custom layers' maths, written once: `keras.ops` (Keras 3, any backend) and `tf_ops` (the tf_keras twin)
give the same numbers, and those numbers are the papers' (checked against TensorFlow's or numpy's own ops)."""

import keras
import numpy as np
import pytest
import tensorflow as tf
import tf_keras

from cnnapp.models import layers, tf_ops
from cnnapp.models.lenet import C3_TABLE

RNG = np.random.default_rng(0)
X = RNG.normal(scale=3.0, size=(2, 6, 6, 6)).astype("float32")


def both(fn, *args):
    """fn's result through keras.ops and through tf_ops, as numpy arrays."""
    return np.asarray(fn(keras.ops, *args)), np.asarray(fn(tf_ops, *args))


@pytest.mark.parametrize("beta", [0.75, 0.5, 0.6])
def test_lrn_agrees_and_is_tf_nn_lrn(beta):
    ours, twin = both(lambda ops, x: layers.lrn(ops, x, 2, 2.0, 1e-2, beta), X)
    np.testing.assert_allclose(ours, twin, rtol=1e-6)
    np.testing.assert_allclose(ours, tf.nn.lrn(X, 2, 2.0, 1e-2, beta), rtol=1e-5)


def test_scaled_tanh_agrees():
    ours, twin = both(lambda ops, x: layers.scaled_tanh(ops, x, 1.7159, 2 / 3), X)
    np.testing.assert_allclose(ours, twin, rtol=1e-6)
    np.testing.assert_allclose(ours, 1.7159 * np.tanh(2 * X / 3), rtol=1e-5)


@pytest.mark.parametrize("mode", ["sum", "max"])
def test_subsampling_agrees_and_pools_windows(mode):
    coefficient, bias = RNG.normal(size=6).astype("float32"), RNG.normal(size=6).astype("float32")
    ours, twin = both(lambda ops, x: layers.subsample(ops, x, 2, mode, coefficient, bias), X)
    np.testing.assert_allclose(ours, twin, rtol=1e-6)
    windows = X.reshape(2, 3, 2, 3, 2, 6)
    pooled = windows.sum(axis=(2, 4)) if mode == "sum" else windows.max(axis=(2, 4))
    np.testing.assert_allclose(ours, pooled * coefficient + bias, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("strides, padding", [(1, "valid"), (2, "same")])
def test_partial_connection_table_agrees_and_is_a_masked_convolution(strides, padding):
    spread = layers.connection_spread(C3_TABLE, 6)
    kernel = RNG.normal(size=(3, 3, spread.shape[0])).astype("float32")
    bias = RNG.normal(size=16).astype("float32")
    dense, dense_twin = both(lambda ops, k: layers.partial_kernel(ops, k, spread, 6, 16), kernel)
    np.testing.assert_array_equal(dense, dense_twin)
    connected = np.abs(dense).sum(axis=(0, 1)) > 0  # (in, out)
    assert connected.T.tolist() == [[i in c for i in range(6)] for c in C3_TABLE]
    ours, twin = both(lambda ops, x: layers.partial_conv(ops, x, dense, bias, strides, padding), X)
    np.testing.assert_allclose(ours, twin, rtol=1e-5, atol=1e-5)
    expected = tf.nn.conv2d(X, dense, strides, padding.upper()) + bias
    np.testing.assert_allclose(ours, expected, rtol=1e-5, atol=1e-5)


def test_untied_biases_and_option_a_shortcut_agree():
    bias = RNG.normal(size=X.shape[1:]).astype("float32")
    ours, twin = both(lambda ops, x: layers.untied_bias(ops, x, bias), X)
    np.testing.assert_array_equal(ours, twin)
    np.testing.assert_array_equal(ours, X + bias)
    ours, twin = both(lambda ops, x: layers.shortcut_a(ops, x, 2, 4), X)
    np.testing.assert_array_equal(ours, twin)
    assert ours.shape == (2, 3, 3, 10)
    np.testing.assert_array_equal(ours[..., :6], X[:, ::2, ::2, :])
    np.testing.assert_array_equal(ours[..., 6:], 0.0)


@pytest.mark.parametrize("K", [keras, tf_keras], ids=["keras", "tf_keras"])
def test_fan_in_uniform_draws_within_its_limit_and_reproducibly(K):
    init = layers.fan_in_uniform(K)
    values = np.asarray(init()((5, 5, 6, 16)))
    assert np.abs(values).max() <= 2.4 / 150 and np.abs(values).max() > 0.95 * 2.4 / 150
    np.testing.assert_array_equal(np.asarray(init(seed=3)((4, 4))), np.asarray(init(seed=3)((4, 4))))
    assert init().get_config() == {"scale": 2.4, "fan_in": None, "seed": None}
    np.testing.assert_array_equal(np.asarray(init(fan_in=4)((8,))) != 0, True)


def test_mixed_precision_layers_keep_the_policys_dtype():
    # LRN computes in float32 (a square overflows float16 beyond 255) and hands back the compute dtype.
    layer = layers.lrn_layer(keras)(dtype="mixed_float16")
    y = layer(X * 100)
    assert keras.backend.standardize_dtype(y.dtype) == "float16"
    assert np.isfinite(np.asarray(y, dtype="float32")).all()
