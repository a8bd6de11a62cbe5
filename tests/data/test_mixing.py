"""Batch augmentations (cnnapp.data.mixing): MixUp and CutMix mix images and labels alike, seeded by step."""

import numpy as np
import pytest
import tensorflow as tf

from cnnapp.data.mixing import BatchAugment, augment_batches, step_seed
from cnnapp.recipes import BatchAugmentSection

COUNT, SIZE = 8, 16


def _constant_images():
    """Image i is the constant 20·i + 10: a mixed pixel tells which images it came from, and how much."""
    values = 20.0 * np.arange(COUNT) + 10.0
    return tf.constant(
        np.broadcast_to(values[:, None, None, None], (COUNT, SIZE, SIZE, 1)), tf.float32
    ), values


def _mixed(cfg, seed=(1, 2)):
    images, values = _constant_images()
    out, labels = BatchAugment(cfg, COUNT)(images, tf.range(COUNT), tf.constant(seed, tf.int64))
    return out.numpy(), labels.numpy(), values


def test_mixup_labels_sum_to_one_and_weigh_the_images_as_the_pixels_do():
    images, labels, values = _mixed(BatchAugmentSection(mixup_alpha=0.4))
    assert labels.shape == (COUNT, COUNT) and labels.dtype == np.float32
    np.testing.assert_allclose(labels.sum(axis=1), 1.0, atol=1e-6)
    # Every pixel of image i is Σ_j w_ij · value_j, the weights its label gives
    np.testing.assert_allclose(images[:, 0, 0, 0], labels @ values, rtol=1e-5)
    assert np.all(images == images[:, :1, :1, :]), "MixUp blends whole images"
    assert 0 < np.sum((labels > 0.01) & (labels < 0.99)), "some labels are mixed"


def test_cutmix_area_matches_lambda():
    images, labels, values = _mixed(BatchAugmentSection(cutmix_alpha=1.0), seed=(3, 4))
    np.testing.assert_allclose(labels.sum(axis=1), 1.0, atol=1e-6)
    for i in range(COUNT):
        own_share = np.mean(images[i, ..., 0] == values[i])
        if labels[i, i] < 1.0:  # a box of another image was pasted: its area is the label's weight
            assert own_share == pytest.approx(labels[i, i], abs=1.5 / SIZE**2)
        pasted = set(np.unique(images[i])) - {values[i]}
        assert len(pasted) <= 1, "CutMix pastes one other image, unblended"
    assert np.any(np.diagonal(labels) < 0.99), "some boxes were pasted"


def test_both_switch_per_batch_and_labels_stay_integers_without_mixing():
    cfg = BatchAugmentSection(mixup_alpha=0.2, cutmix_alpha=1.0, mix_switch=0.5)
    _, labels, _ = _mixed(cfg)
    np.testing.assert_allclose(labels.sum(axis=1), 1.0, atol=1e-6)
    images, labels, _ = _mixed(BatchAugmentSection(randaugment_ops=2, random_erasing=1.0))
    assert labels.dtype == np.int32 and labels.tolist() == list(range(COUNT))
    assert images.min() >= 0 and images.max() <= 255


def test_same_seed_same_batch_another_seed_another():
    cfg = BatchAugmentSection(randaugment_ops=2, random_erasing=0.5, mixup_alpha=0.2, cutmix_alpha=1.0)
    rng = np.random.default_rng(0)
    images = tf.constant(rng.uniform(0, 255, (COUNT, SIZE, SIZE, 3)), tf.float32)
    augment = BatchAugment(cfg, COUNT)
    first = [augment(images, tf.range(COUNT), step_seed(0, 5))[k].numpy() for k in (0, 1)]
    again = [BatchAugment(cfg, COUNT)(images, tf.range(COUNT), step_seed(0, 5))[k].numpy() for k in (0, 1)]
    other = augment(images, tf.range(COUNT), step_seed(0, 6))[0].numpy()
    np.testing.assert_array_equal(first[0], again[0])
    np.testing.assert_array_equal(first[1], again[1])
    assert not np.array_equal(first[0], other)


def test_a_pipeline_started_later_sees_the_same_batches():
    """What makes resume exact: batch k depends on (seed, step k) only, not on where the pipeline began."""
    rng = np.random.default_rng(1)
    images = rng.uniform(0, 255, (4 * COUNT, SIZE, SIZE, 1)).astype("float32")
    batches = tf.data.Dataset.from_tensor_slices((images, np.arange(4 * COUNT) % 10)).batch(COUNT)
    cfg = BatchAugmentSection(random_erasing=0.5, mixup_alpha=0.3)  # RandAugment: in the test above
    whole = list(augment_batches(batches, cfg, 10, seed=7, first_step=10))
    later = list(augment_batches(batches.skip(2), cfg, 10, seed=7, first_step=12))
    for (a_images, a_labels), (b_images, b_labels) in zip(whole[2:], later, strict=True):
        np.testing.assert_array_equal(a_images.numpy(), b_images.numpy())
        np.testing.assert_array_equal(a_labels.numpy(), b_labels.numpy())
    assert augment_batches(batches, BatchAugmentSection(), 10, seed=7) is batches, "all off: untouched"


def test_augmix_changes_the_batch_seeded_and_keeps_the_labels():
    rng = np.random.default_rng(2)
    images = tf.constant(rng.uniform(0, 255, (COUNT, SIZE, SIZE, 3)), tf.float32)
    augment = BatchAugment(BatchAugmentSection(augmix=True), COUNT)
    out, labels = augment(images, tf.range(COUNT), step_seed(0, 5))
    again, _ = BatchAugment(BatchAugmentSection(augmix=True), COUNT)(images, tf.range(COUNT), step_seed(0, 5))
    other, _ = augment(images, tf.range(COUNT), step_seed(0, 6))
    assert labels.numpy().tolist() == list(range(COUNT)), "AugMix mixes views of one image, not labels"
    assert np.mean(np.abs(out.numpy() - images.numpy())) > 1.0, "the images changed"
    np.testing.assert_array_equal(out.numpy(), again.numpy())
    assert not np.array_equal(out.numpy(), other.numpy())
    assert out.numpy().min() >= 0 and out.numpy().max() <= 255


@pytest.mark.slow  # tracing AugMix's 99 branches twice: 10× the other pipeline tests
def test_augmix_batches_depend_on_seed_and_step_only():
    """Keras's AugMix picks its operations once per trace, from Python's global random state: two pipelines
    of one seed differed. Here a batch depends on (seed, step) only: a resumed run sees the same batches."""
    images = np.tile(np.linspace(0, 255, SIZE, dtype="float32")[None, :, None, None], (4 * COUNT, 1, SIZE, 1))
    batches = tf.data.Dataset.from_tensor_slices((images, np.arange(4 * COUNT) % 10)).batch(COUNT)
    cfg = BatchAugmentSection(augmix=True, augmix_factor=0.1)
    whole = [b[0].numpy() for b in augment_batches(batches, cfg, 10, seed=3)]
    later = [b[0].numpy() for b in augment_batches(batches.skip(2), cfg, 10, seed=3, first_step=2)]
    for a, b in zip(whole[2:], later, strict=True):
        np.testing.assert_array_equal(a, b)
    assert all(a.shape == (COUNT, SIZE, SIZE, 1) for a in whole), "grey images stay grey"
    assert len({a.tobytes() for a in whole}) == len(whole), "every batch has its own numbers"
