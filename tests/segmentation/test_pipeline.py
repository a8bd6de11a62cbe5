"""Fast tier: the joint pipelines of images and masks: augmentations that move both alike, epochs from seed
and epoch."""

import numpy as np
import pytest
import tensorflow as tf

from cnnapp.data import DataConfig
from cnnapp.errors import CnnappError
from cnnapp.segmentation import VOID, pipeline, scenes


def _encoded_pair(size=16):
    """An image whose pixel is 20 × its mask's label, so any misalignment after augmentation shows."""
    mask = np.zeros((size, size), np.int32)
    mask[2:7, 3:12], mask[9:14, 1:5] = 3, 7
    return tf.constant(mask[..., None] * 20.0, tf.float32), tf.constant(mask)


@pytest.mark.parametrize("seed", range(4))
def test_pad_crop_and_flip_move_image_and_mask_together(seed):
    cfg = DataConfig(image_size=16, channels=1, augment=("flip", "pad_crop"), pad=3)
    image, mask = pipeline.augment(*_encoded_pair(), cfg, tf.constant([seed, 1], tf.int64))
    image, mask = image.numpy()[..., 0], mask.numpy()
    labelled = mask != VOID
    np.testing.assert_array_equal(image[labelled], 20.0 * mask[labelled])
    assert np.all(image[~labelled] == 0)  # padding: zeros in the image, void in the mask


def test_scale_jitter_resizes_masks_by_nearest_neighbour():
    cfg = DataConfig(image_size=16, channels=1, augment=("scale_jitter",), scale_min=16, scale_max=40)
    for seed in range(4):
        image, mask = pipeline.augment(*_encoded_pair(), cfg, tf.constant([seed, 2], tf.int64))
        assert image.shape == (16, 16, 1) and set(np.unique(mask.numpy())) <= {0, 3, 7}  # no blended labels


def test_segmentation_refuses_augmentations_that_would_not_move_the_mask():
    with pytest.raises(CnnappError, match="pca_colour.*segmentation takes flip, pad_crop, scale_jitter"):
        pipeline.check_config(DataConfig(channels=3, augment=("pca_colour",)))


def test_training_pipeline_repeats_an_epoch_from_seed_and_epoch(digits):
    made = scenes.make_scenes(digits["train_images"], digits["train_labels"], 16, seed=9)
    ds = tf.data.Dataset.from_tensor_slices((made.images, made.masks))
    cfg = DataConfig(image_size=64, channels=1, augment=("scale_jitter",), scale_min=64, scale_max=72)
    first = [m.numpy() for _, m in pipeline.training_pipeline(ds, cfg, 8, seed=5, epoch=2)]
    again = [m.numpy() for _, m in pipeline.training_pipeline(ds, cfg, 8, seed=5, epoch=2)]
    other = [m.numpy() for _, m in pipeline.training_pipeline(ds, cfg, 8, seed=5, epoch=3)]
    assert all(np.array_equal(a, b) for a, b in zip(first, again, strict=True))
    assert not all(np.array_equal(a, b) for a, b in zip(first, other, strict=True))


def test_a_multi_epoch_pipeline_is_its_epochs_batched_one_by_one(digits):
    # 10 scenes in batches of 4: 3 batches an epoch, the last one short; a resumed run builds epoch k alone,
    # so an uninterrupted run's epoch k must be the same batches (no batch mixes two epochs).
    made = scenes.make_scenes(digits["train_images"], digits["train_labels"], 10, seed=9)
    ds = tf.data.Dataset.from_tensor_slices((made.images, made.masks))
    cfg = DataConfig(image_size=64, channels=1, augment=("flip",))
    whole = [m.numpy() for _, m in pipeline.training_pipeline(ds, cfg, 4, seed=5, epoch=1, epochs=2)]
    alone = [m.numpy() for k in (1, 2) for _, m in pipeline.training_pipeline(ds, cfg, 4, seed=5, epoch=k)]
    assert [len(m) for m in whole] == [4, 4, 2, 4, 4, 2]
    assert all(np.array_equal(a, b) for a, b in zip(whole, alone, strict=True))
