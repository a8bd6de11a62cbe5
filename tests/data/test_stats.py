"""Dataset statistics (`data.stats`): per-channel mean/std and the RGB principal components, against numpy on
the same pixels."""

import numpy as np
import pytest
import tensorflow as tf

from cnnapp.data import stats


def dataset(images):
    return tf.data.Dataset.from_tensor_slices((images, np.zeros(len(images), "int64")))


def test_channel_stats_are_numpys_mean_and_std_over_every_pixel():
    images = np.random.default_rng(0).uniform(0, 255, (7, 5, 4, 3)).astype("float32")
    images[..., 2] *= 0.1  # one channel much darker, so a mixed-up channel order fails
    result = stats.channel_stats(dataset(images))
    pixels = images.reshape(-1, 3).astype("float64")
    np.testing.assert_allclose(result.mean, pixels.mean(0), rtol=1e-6)
    np.testing.assert_allclose(result.std, pixels.std(0), rtol=1e-6)


def test_channel_stats_read_only_the_first_examples():
    images = np.concatenate([np.zeros((3, 2, 2, 1)), np.full((3, 2, 2, 1), 200.0)]).astype("uint8")
    assert stats.channel_stats(dataset(images), max_examples=3).mean == (0.0,)
    assert stats.channel_stats(dataset(images)).mean == pytest.approx((100.0,))


def test_images_of_different_sizes_weigh_by_pixel():
    ds = tf.data.Dataset.from_generator(
        lambda: iter([(np.zeros((1, 1, 1), "float32"), 0), (np.full((3, 1, 1), 40.0, "float32"), 0)]),
        output_signature=(tf.TensorSpec((None, None, 1)), tf.TensorSpec((), tf.int64)),
    )
    assert stats.channel_stats(ds).mean == pytest.approx((30.0,))


def test_colour_pca_finds_the_axis_the_colours_vary_along():
    rng = np.random.default_rng(1)
    axis = np.array([1.0, 2.0, 2.0]) / 3
    along = rng.normal(0, 40, (200, 1))
    pixels = 128 + along * axis + rng.normal(0, 2, (200, 3))
    images = pixels.reshape(200, 1, 1, 3).astype("float32")
    pca = stats.colour_pca(dataset(images))
    assert pca.eigvals[0] > 50 * pca.eigvals[1] >= 0 and pca.eigvals[1] >= pca.eigvals[2]
    assert abs(np.dot(pca.eigvecs[0], axis)) == pytest.approx(1.0, abs=1e-3)
    expected = np.sort(np.linalg.eigvalsh(np.cov(pixels.T, bias=True) / 255**2))[::-1]
    np.testing.assert_allclose(pca.eigvals, expected, rtol=1e-4)


def test_colour_pca_needs_rgb_and_stats_need_images():
    with pytest.raises(ValueError, match="colour PCA needs RGB images"):
        stats.colour_pca(dataset(np.zeros((2, 2, 2, 1), "float32")))
    with pytest.raises(ValueError, match="empty dataset"):
        stats.channel_stats(dataset(np.zeros((0, 2, 2, 3), "float32")))
