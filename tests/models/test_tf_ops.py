"""`tf_ops`, the tf_keras twin's stand-in for `keras.ops`: every function has the keras.ops name and gives
keras.ops' result on the same arguments (the layers built on it are compared in test_layers.py)."""

import inspect

import keras
import numpy as np
import pytest

from cnnapp.models import tf_ops

RNG = np.random.default_rng(0)
IMAGE = RNG.normal(size=(2, 6, 6, 3)).astype("float32")
KERNEL = RNG.normal(size=(3, 3, 3, 4)).astype("float32")
MATRIX = RNG.normal(size=(3, 5)).astype("float32")

# name → arguments; each call runs through keras.ops and through tf_ops.
CALLS = {
    "cast": (IMAGE, "float16"),
    "convert_to_tensor": (MATRIX,),
    "reshape": (IMAGE, (2, -1)),
    "pad": (IMAGE, ((0, 0), (1, 2), (2, 1), (0, 0))),
    "tanh": (IMAGE,),
    "floor": (IMAGE,),
    "rsqrt": (np.abs(IMAGE) + 0.1,),
    "power": (np.abs(IMAGE), 0.75),
    "matmul": (MATRIX, MATRIX.T),
    "concatenate": ([MATRIX, 2 * MATRIX], 1),
    "average_pool": (IMAGE, 2, 2, "valid"),
    "max_pool": (IMAGE, 3, 1, "same"),
    "conv": (IMAGE, KERNEL, 2, "same"),
    "sum": (IMAGE, (1, 2)),
}


def public_functions():
    return {
        name
        for name, value in vars(tf_ops).items()
        if inspect.isfunction(value) and value.__module__ == tf_ops.__name__ and not name.startswith("_")
    }


def test_every_function_is_a_keras_ops_or_keras_random_name():
    for name in public_functions():
        assert hasattr(keras.ops, name) or hasattr(keras.random, name), name


def test_every_function_but_the_random_one_is_compared_here():
    assert public_functions() - set(CALLS) == {"shape", "uniform"}


@pytest.mark.parametrize("name", sorted(CALLS))
def test_agrees_with_keras_ops(name):
    args = CALLS[name]
    ours = np.asarray(getattr(tf_ops, name)(*args))
    theirs = np.asarray(getattr(keras.ops, name)(*args))
    assert ours.dtype == theirs.dtype
    np.testing.assert_allclose(ours, theirs, rtol=1e-5, atol=1e-5)


def test_pad_reflect_mode_is_passed_through():
    ours = tf_ops.pad(IMAGE, ((0, 0), (1, 1), (1, 1), (0, 0)), mode="reflect")
    theirs = keras.ops.pad(IMAGE, ((0, 0), (1, 1), (1, 1), (0, 0)), mode="reflect")
    np.testing.assert_allclose(ours, theirs)


def test_pools_default_stride_is_the_pool_size():
    assert tuple(tf_ops.max_pool(IMAGE, 2).shape) == (2, 3, 3, 3)
    assert tuple(tf_ops.average_pool(IMAGE, 3).shape) == (2, 2, 2, 3)


def test_shape_is_static_where_known_and_a_tensor_where_not():
    import tensorflow as tf

    assert tf_ops.shape(IMAGE) == (2, 6, 6, 3)

    @tf.function(input_signature=[tf.TensorSpec((None, 6, 6, 3))])
    def sizes(x):
        batch, height, _, _ = tf_ops.shape(x)
        assert height == 6 and tf.is_tensor(batch)
        return batch

    assert int(sizes(IMAGE)) == 2


def test_uniform_with_a_seed_repeats_and_stays_in_range():
    first = np.asarray(tf_ops.uniform((500,), -0.5, 0.5, seed=7))
    np.testing.assert_array_equal(first, np.asarray(tf_ops.uniform((500,), -0.5, 0.5, seed=7)))
    assert first.min() >= -0.5 and first.max() < 0.5 and first.dtype == np.float32
    assert not np.array_equal(first, np.asarray(tf_ops.uniform((500,), -0.5, 0.5, seed=8)))
    assert np.asarray(tf_ops.uniform((4,), dtype="float16")).dtype == np.float16
