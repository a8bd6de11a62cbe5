"""Fast tier: segmentation datasets by name — the digit scenes' classes and splits, the pets' trimaps
under tfds mock data."""

import numpy as np
import tensorflow as tf
import tensorflow_datasets as tfds

from cnnapp.segmentation import VOID, sources


def test_digit_scenes_source_has_eleven_classes_and_three_splits():
    source = sources.load_segmentation("digit_scenes")
    assert source.info.num_classes == 11 and source.info.class_names[0] == "background"
    assert dict(source.info.split_sizes) == {"train": 2000, "validation": 300, "test": 500}
    image, mask = next(iter(source.splits["test"]))
    assert image.dtype == tf.float32 and image.shape == (64, 64, 1)
    assert mask.dtype == tf.int32 and mask.shape == (64, 64)


def test_pets_trimaps_become_background_pet_and_void(tmp_path):
    with tfds.testing.mock_data(num_examples=3):
        source = sources.load_segmentation("oxford_iiit_pet", data_dir=str(tmp_path))
        assert source.info.class_names == ("background", "pet")
        image, mask = next(iter(source.splits["train"]))
    assert (
        image.dtype == tf.float32 and image.shape[-1] == 3 and mask.dtype == tf.int32
    )  # (mock sizes differ)
    assert set(np.unique(mask.numpy())) <= {0, 1, VOID}
    trimap = {
        "image": tf.zeros([2, 2, 3], tf.uint8),
        "segmentation_mask": tf.constant([[[1], [2]], [[3], [1]]]),
    }
    np.testing.assert_array_equal(sources._pet_example(trimap)[1].numpy(), [[1, 0], [255, 1]])
