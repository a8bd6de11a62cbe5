"""Fast tier: the camera steps (seeded, reproducible, right shapes and labels), the ink front (polarity both
ways, contrast), the glyph bank, and the mnist4k dataset's splits."""

import numpy as np
import pytest
import tensorflow as tf

from cnnapp import data
from cnnapp.data import camera
from cnnapp.data.config import DataConfig
from cnnapp.errors import CnnappError

SEED = tf.constant([3, 4], tf.int64)


def _digit(size=28):
    """A white-on-black '1'-like bar with a foot: ink 255, ground 0."""
    image = np.zeros((size, size, 1), np.float32)
    image[4:24, 12:16] = 255.0
    image[22:24, 8:20] = 255.0
    return image


def test_front_reads_dark_ink_on_light_paper_as_light_ink_on_black():
    ink = _digit()
    paper = 230.0 - ink * (200.0 / 255.0)  # dark ink (30) on light paper (230)
    out = camera.front(tf.constant(np.repeat(paper, 3, -1)[None])).numpy()[0, ..., 0]
    assert out.shape == (28, 28)
    assert out[ink[..., 0] > 0].min() > 200  # ink bright
    assert out[ink[..., 0] == 0].max() < 1  # paper black


def test_front_keeps_light_ink_on_dark_and_stretches_its_contrast():
    faint = 40.0 + _digit() * (80.0 / 255.0)  # ink 120 on a ground of 40: a third of the range
    out = camera.front(tf.constant(faint[None])).numpy()[0, ..., 0]
    assert out.max() == pytest.approx(255.0)  # stretched to full scale
    assert out[_digit()[..., 0] == 0].max() < 1


def test_front_does_not_blow_up_blank_paper():
    rng = np.random.default_rng(0)
    blank = 200.0 + rng.normal(0, 3, (1, 28, 28, 3)).astype(np.float32)
    out = camera.front(tf.constant(blank)).numpy()
    assert out.max() < 255 * 15 / camera.FRONT_FLOOR  # noise of ±10 levels stays dim: no invented ink


def test_camera_steps_are_reproducible_by_seed_and_differ_across_seeds():
    ink = tf.constant(np.stack([_digit(40)] * 8))
    labels = tf.range(8, dtype=tf.int32)
    steps = tuple(camera.CAMERA_STEPS)
    a, la = camera.augment_batch(ink, labels, steps, 0.25, 10, SEED)
    b, lb = camera.augment_batch(ink, labels, steps, 0.25, 10, SEED)
    c, _ = camera.augment_batch(ink, labels, steps, 0.25, 10, SEED + 1)
    assert a.shape == (8, 40, 40, 3)
    np.testing.assert_array_equal(a.numpy(), b.numpy())
    np.testing.assert_array_equal(la.numpy(), lb.numpy())
    assert not np.array_equal(a.numpy(), c.numpy())
    assert la.numpy().tolist() == [10, 10, 2, 3, 4, 5, 6, 7]  # a quarter of the batch: no digit, `none`
    assert 0 <= a.numpy().min() and a.numpy().max() <= 255


def test_photos_render_at_another_size_and_negatives_hold_no_ink_of_the_digit():
    frames = camera.photos(tf.constant(_digit()[None]), camera.HARDER, SEED, size=64)
    assert frames.shape == (1, 64, 64, 3)
    none = camera.negatives(4, 48, camera.CAMERA_LIKE, SEED)
    assert none.shape == (4, 48, 48, 3)


def test_training_pipeline_with_the_camera_gives_front_images_and_none_labels():
    source = data.load_dataset("mnist4k")
    cfg = DataConfig(
        image_size=40, channels=1, resize="pad", front="camera", augment=tuple(camera.CAMERA_STEPS)
    )
    ds = source.split("train").take(64)
    images, labels = next(iter(data.training_pipeline(ds, cfg, 64, seed=0)))
    again, _ = next(iter(data.training_pipeline(ds, cfg, 64, seed=0)))
    assert images.shape == (64, 40, 40, 1)
    np.testing.assert_array_equal(images.numpy(), again.numpy())
    assert (labels.numpy() == 10).sum() == round(0.2 * 64)


def test_mnist4k_is_stratified_and_names_none_last():
    source = data.load_dataset("mnist4k")
    assert source.info.class_names[-1] == "none" and source.info.num_classes == 11
    assert dict(source.info.split_sizes) == {"train": 3200, "validation": 800, "test": 800}
    labels = np.array([int(y) for _, y in source.split("validation").as_numpy_iterator()])
    assert np.bincount(labels).tolist() == [80] * 10


def test_camera_steps_need_the_ink_front():
    with pytest.raises(CnnappError, match="data.front = 'camera'"):
        DataConfig(augment=("paper",))
