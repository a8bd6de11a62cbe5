"""Fast tier: segmentation data — the digit scenes, the pets under tfds mock data, a user's mask folder, the
joint augmentations and the FCN paper's scores."""

import numpy as np
import pytest
import tensorflow as tf
import tensorflow_datasets as tfds
from PIL import Image

from cnnapp.data import DataConfig
from cnnapp.errors import CnnappError
from cnnapp.segmentation import VOID, metrics, pipeline, scenes, sources


@pytest.fixture(scope="module")
def digits():
    from cnnapp.data.sources import ASSETS

    with np.load(ASSETS / "digits" / "digits.npz") as data:
        return {key: data[key] for key in data.files}


def test_scenes_follow_the_spec_and_repeat_from_their_seed(digits):
    made = scenes.make_scenes(digits["test_images"], digits["test_labels"], 40, seed=3)
    again = scenes.make_scenes(digits["test_images"], digits["test_labels"], 40, seed=3)
    other = scenes.make_scenes(digits["test_images"], digits["test_labels"], 40, seed=4)
    np.testing.assert_array_equal(made.images, again.images)
    np.testing.assert_array_equal(made.masks, again.masks)
    assert not np.array_equal(made.masks, other.masks)
    assert made.images.shape == (40, 64, 64, 1) and made.masks.shape == (40, 64, 64)
    assert made.images.min() >= 0 and made.images.max() <= 255
    for mask, boxes in zip(made.masks, made.boxes, strict=True):
        assert 1 <= len(boxes) <= 3
        inside = np.zeros_like(mask, bool)
        for top, left, side, digit in boxes:
            assert 16 <= side <= 32
            window = (slice(top, top + side), slice(left, left + side))
            assert not inside[window].any()  # the digits' squares do not overlap
            inside[window] = True
            assert set(np.unique(mask[window])) == {0, digit + 1}  # the digit's class + 1, or background
        assert not mask[~inside].any()  # outside the digits: background only
    # Test scenes are made from the digits' test split only; training and validation from the train split.
    assert scenes.SPLITS["test"][0] == "test"
    assert {scenes.SPLITS[s][0] for s in ("train", "validation")} == {"train"}


def test_digit_scenes_source_has_eleven_classes_and_three_splits():
    source = sources.load_segmentation("digit_scenes")
    assert source.info.num_classes == 11 and source.info.class_names[0] == "background"
    assert dict(source.info.split_sizes) == {"train": 2000, "validation": 300, "test": 500}
    image, mask = next(iter(source.splits["test"]))
    assert image.dtype == tf.float32 and image.shape == (64, 64, 1)
    assert mask.dtype == tf.int32 and mask.shape == (64, 64)


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


def _folder(root, count=5, classes=("background", "cat", "dog")):
    (root / "images").mkdir(parents=True)
    (root / "masks").mkdir()
    (root / "classes.txt").write_text("\n".join(classes) + "\n")
    rng = np.random.default_rng(0)
    for i in range(count):
        Image.fromarray(rng.integers(0, 255, (12, 10, 3), dtype=np.uint8)).save(root / "images" / f"p{i}.jpg")
        mask = Image.fromarray(np.full((12, 10), i % 3, np.uint8), mode="P")
        mask.putpalette([0, 0, 0, 128, 0, 0, 0, 128, 0] + [224, 224, 192] * 253)  # VOC style: 255 = void
        mask.save(root / "masks" / f"p{i}.png")
    return root


def test_mask_folder_reads_palette_indices_and_splits_every_fifth(tmp_path):
    root = _folder(tmp_path / "seg")
    source = sources.load_segmentation(f"folder:{root}")
    assert source.info.class_names == ("background", "cat", "dog")
    assert dict(source.info.split_sizes) == {"train": 4, "test": 1}
    image, mask = next(iter(source.splits["test"]))  # p4: label 4 % 3 = 1 in palette index, not colour
    assert image.shape == (12, 10, 3) and np.all(mask.numpy() == 1)


@pytest.mark.parametrize(
    "damage, message",
    [
        (lambda root: (root / "masks" / "p2.png").unlink(), "no mask for .*p2.jpg: expected .*masks/p2.png"),
        (
            lambda root: Image.fromarray(np.zeros((5, 5), np.uint8)).save(root / "masks" / "p1.png"),
            "mask .*p1.png is 5×5 but its image is 10×12",
        ),
        (
            lambda root: Image.fromarray(np.full((12, 10), 9, np.uint8)).save(root / "masks" / "p0.png"),
            "mask .*p0.png has label 9 outside the 3 classes",
        ),
    ],
    ids=["missing-mask", "size-mismatch", "label-outside-classes"],
)
def test_mask_folder_errors_name_the_file_and_the_fix(tmp_path, damage, message):
    root = _folder(tmp_path / "seg")
    damage(root)
    with pytest.raises(CnnappError, match=message) as error:
        sources.load_segmentation(f"folder:{root}")
    assert "\n" not in str(error.value)


def test_scores_follow_the_fcn_papers_definitions():
    truth = np.array([[0, 0, 1, 1], [2, 2, 255, 0]])
    predicted = np.array([[0, 1, 1, 1], [2, 0, 2, 0]])
    matrix = metrics.confusion(truth, predicted, 3)  # void (255) left out: 7 pixels
    np.testing.assert_array_equal(matrix, [[2, 1, 0], [0, 2, 0], [1, 0, 1]])
    s = metrics.scores(matrix, ("background", "a", "b"))
    iou = [2 / 4, 2 / 3, 1 / 2]  # n_ii / (t_i + Σ_j n_ji − n_ii)
    assert s["pixel_accuracy"] == pytest.approx(5 / 7)
    assert s["mean_accuracy"] == pytest.approx((2 / 3 + 1 + 1 / 2) / 3)
    assert s["mean_iou"] == pytest.approx(np.mean(iou))
    assert s["mean_iou_foreground"] == pytest.approx(np.mean(iou[1:]))
    assert s["frequency_weighted_iou"] == pytest.approx((3 * iou[0] + 2 * iou[1] + 2 * iou[2]) / 7)
    assert s["per_class_iou"]["a"] == pytest.approx(2 / 3)
    assert metrics.scores(np.diag([5, 0, 3]))["per_class_iou"]["1"] is None  # absent class: no IoU
