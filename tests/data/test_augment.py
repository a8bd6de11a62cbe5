"""Fast tier: the geometry of every augmentation and of the resizes, on images of coordinates."""

import numpy as np
import pytest
import tensorflow as tf

from cnnapp.data import augment as aug
from cnnapp.data import ten_crops


def coords(height, width, offset=0.0):
    """An image whose channel 0 is the row, channel 1 the column, channel 2 a constant 7 (plus `offset`)."""
    rows, cols = np.meshgrid(np.arange(height), np.arange(width), indexing="ij")
    image = np.stack([rows, cols, np.full_like(rows, 7)], -1).astype(np.float32) + offset
    return tf.constant(image)


def seeds(n):
    return [tf.constant([i, 42], tf.int64) for i in range(n)]


def test_to_channels():
    grey = tf.fill([4, 4, 1], 9.0)
    assert np.all(aug.to_channels(grey, 3).numpy() == 9.0) and aug.to_channels(grey, 3).shape == (4, 4, 3)
    rgb = tf.fill([4, 4, 3], 9.0)
    assert np.allclose(aug.to_channels(rgb, 1).numpy(), 9.0, atol=0.01)  # ITU-R 601 luma weights
    assert aug.to_channels(rgb, 3) is rgb


def test_centre_puts_mnist_unscaled_in_32():
    image = coords(28, 28, offset=1.0)
    out = aug.centre_on_canvas(image, 32).numpy()
    assert out.shape == (32, 32, 3)
    assert np.array_equal(out[2:30, 2:30], image.numpy())
    assert out[:2].sum() == out[30:].sum() == out[:, :2].sum() == out[:, 30:].sum() == 0


def test_pad_scales_to_fit_keeping_the_aspect_then_centres():
    digit = coords(8, 8, offset=1.0)
    # A small square image fills the field, as the stretch does (keras's pad_to_aspect_ratio, scaled up).
    np.testing.assert_array_equal(aug.fit_and_pad(digit, 32).numpy(), aug.stretch(digit, 32).numpy())
    photo = tf.ones([30, 40, 3])
    out = aug.fit_and_pad(photo, 20).numpy()  # 30×40 → 15×20, then 2 + 3 black rows (the centre)
    assert out.shape == (20, 20, 3)
    assert out[:2].sum() == out[17:].sum() == 0 and np.allclose(out[2:17], 1.0)


def test_stretch_and_short_side_sizes():
    assert aug.stretch(tf.zeros([8, 8, 1]), 32).shape == (32, 32, 1)
    assert tuple(aug.resize_short_side(tf.zeros([30, 61, 3]), 20).shape) == (20, 41, 3)
    assert tuple(aug.resize_short_side(tf.zeros([375, 500, 3]), 256).shape) == (256, 341, 3)


def test_random_crop_is_a_window_of_the_image_at_varied_positions():
    image = coords(12, 10)
    origins = set()
    for seed in seeds(30):
        out = aug.random_crop(image, 6, seed).numpy()
        top, left = int(out[0, 0, 0]), int(out[0, 0, 1])
        assert 0 <= top <= 6 and 0 <= left <= 4
        assert np.array_equal(out, image.numpy()[top : top + 6, left : left + 6])
        origins.add((top, left))
    assert len(origins) > 10


@pytest.mark.parametrize("pad", [2, 4])
def test_pad_crop_shifts_at_most_pad_pixels(pad):
    image = coords(8, 8, offset=1.0)  # offset: 0 only in the padding
    shifts = set()
    for seed in seeds(60):
        out = aug.pad_crop(image, 8, pad, seed).numpy()
        assert out.shape == (8, 8, 3)
        inside = out[..., 2] > 0  # the constant channel marks real pixels
        rows, cols = np.nonzero(inside)
        dy = int(out[rows[0], cols[0], 0] - 1) - rows[0]
        dx = int(out[rows[0], cols[0], 1] - 1) - cols[0]
        assert -pad <= dy <= pad and -pad <= dx <= pad
        # Everything else is the image shifted by (dy, dx), zeros where it left the frame.
        padded = np.pad(image.numpy(), [(pad, pad), (pad, pad), (0, 0)])
        assert np.array_equal(out, padded[pad + dy : pad + dy + 8, pad + dx : pad + dx + 8])
        shifts.add((dy, dx))
    assert {dy for dy, _ in shifts} >= {-pad, pad} and {dx for _, dx in shifts} >= {-pad, pad}


def test_flip_mirrors_or_keeps_and_does_both():
    image = coords(5, 7).numpy()
    seen = set()
    for seed in seeds(20):
        out = aug.flip(tf.constant(image), seed).numpy()
        if np.array_equal(out, image):
            seen.add("kept")
        else:
            assert np.array_equal(out, image[:, ::-1])
            seen.add("mirrored")
    assert seen == {"kept", "mirrored"}


def test_pca_colour_shifts_colour_along_the_components_not_geometry():
    image = coords(6, 6, offset=100.0)
    # One component along red with eigenvalue 1 (pixels in [0, 1]): the shift is 255 * alpha on red only.
    eigvals = tf.constant([1.0, 0.0, 0.0])
    eigvecs = tf.eye(3)
    shifts = []
    for seed in seeds(200):
        out = aug.pca_colour(image, eigvals, eigvecs, 0.1, seed).numpy()
        delta = out - image.numpy()
        # The same shift for every pixel: the geometry (and the image's contrast) is untouched.
        assert np.allclose(delta, delta[0, 0], atol=1e-3)
        assert np.allclose(delta[0, 0, 1:], 0, atol=1e-4)
        shifts.append(delta[0, 0, 0])
    shifts = np.array(shifts)
    assert np.std(shifts) == pytest.approx(25.5, rel=0.25)  # alpha ~ N(0, 0.1), times 255
    assert abs(np.mean(shifts)) < 6


def test_pca_colour_clips_to_pixel_range():
    white = tf.fill([3, 3, 3], 255.0)
    out = aug.pca_colour(white, tf.constant([50.0, 0, 0]), tf.eye(3), 0.1, tf.constant([1, 2], tf.int64))
    assert float(tf.reduce_max(out)) <= 255 and float(tf.reduce_min(out)) >= 0


def test_scale_jitter_crops_from_a_random_scale_in_range():
    size, smin, smax = 16, 20, 40
    image = coords(40, 40)
    scales = set()
    for seed in seeds(25):
        out = aug.scale_jitter(image, size, smin, smax, seed).numpy()
        assert out.shape == (size, size, 3)
        # Columns advance by 40 / S per output pixel: the slope gives back the short side S.
        slope = (out[0, -1, 1] - out[0, 0, 1]) / (size - 1)
        scale = 40 / slope
        assert smin - 1 <= scale <= smax + 1
        scales.add(round(scale))
    assert max(scales) - min(scales) >= 10


def test_inception_crop_area_and_aspect_within_ranges():
    size, side = 16, 64
    image = coords(side, side)
    areas = []
    for seed in seeds(30):
        out = aug.inception_crop(image, size, (0.08, 1.0), (3 / 4, 4 / 3), seed).numpy()
        assert out.shape == (size, size, 3)
        # Rows and columns the crop covers, from the coordinates at its edges (±1 px of interpolation).
        height = (out[-1, 0, 0] - out[0, 0, 0]) * size / (size - 1)
        width = (out[0, -1, 1] - out[0, 0, 1]) * size / (size - 1)
        area = height * width / side**2
        assert 0.08 * 0.8 <= area <= 1.0 + 1e-3
        assert 3 / 4 * 0.8 <= width / height <= 4 / 3 * 1.25
        areas.append(area)
    assert max(areas) - min(areas) > 0.3


def test_ten_crops_are_the_corners_centre_and_mirrors():
    image = coords(6, 8)
    crops = ten_crops(image, 4).numpy()
    img = image.numpy()
    expected = [img[0:4, 0:4], img[0:4, 4:8], img[2:6, 0:4], img[2:6, 4:8], img[1:5, 2:6]]
    assert crops.shape == (10, 4, 4, 3)
    for i, crop in enumerate(expected):
        assert np.array_equal(crops[i], crop), i
        assert np.array_equal(crops[5 + i], crop[:, ::-1]), i


# --- the batched forms used for splits kept in memory ---------------------------------------------------


def test_random_crop_batch_windows_at_varied_positions():
    image = coords(12, 10).numpy()
    out = aug.random_crop_batch(tf.constant(np.stack([image] * 40)), 6, tf.constant([3, 4], tf.int64)).numpy()
    origins = set()
    for crop in out:
        top, left = int(crop[0, 0, 0]), int(crop[0, 0, 1])
        assert np.array_equal(crop, image[top : top + 6, left : left + 6])
        origins.add((top, left))
    assert len(origins) > 10 and max(t for t, _ in origins) <= 6 and max(left for _, left in origins) <= 4


def test_pad_crop_batch_shifts_at_most_pad_pixels():
    pad, image = 2, coords(8, 8, offset=1.0).numpy()
    out = aug.pad_crop_batch(
        tf.constant(np.stack([image] * 200)), 8, pad, tf.constant([5, 6], tf.int64)
    ).numpy()
    padded = np.pad(image, [(pad, pad), (pad, pad), (0, 0)])
    shifts = set()
    for crop in out:
        found = [
            (dy, dx)
            for dy in range(-pad, pad + 1)
            for dx in range(-pad, pad + 1)
            if np.array_equal(crop, padded[pad + dy : pad + dy + 8, pad + dx : pad + dx + 8])
        ]
        assert len(found) == 1
        shifts.add(found[0])
    assert len(shifts) == (2 * pad + 1) ** 2  # 200 crops reach all 25 shifts


def test_flip_batch_mirrors_some_and_keeps_others():
    image = coords(5, 7).numpy()
    out = aug.flip_batch(tf.constant(np.stack([image] * 20)), tf.constant([7, 8], tf.int64)).numpy()
    kept = [np.array_equal(o, image) for o in out]
    mirrored = [np.array_equal(o, image[:, ::-1]) for o in out]
    assert all(k != m for k, m in zip(kept, mirrored, strict=True)) and any(kept) and any(mirrored)


def test_pca_colour_batch_one_shift_per_image():
    images = tf.constant(np.stack([coords(4, 4, offset=100.0).numpy()] * 5))
    out = aug.pca_colour_batch(
        images, tf.constant([1.0, 0.5, 0.1]), tf.eye(3), 0.1, tf.constant([1, 1], tf.int64)
    )
    delta = (out - images).numpy().reshape(5, -1, 3)
    assert np.allclose(delta, delta[:, :1], atol=1e-3)
    assert len({round(float(d), 3) for d in delta[:, 0, 0]}) == 5
