"""Segmentation datasets by name: (image, mask) examples per split.

Every source gives unbatched `(image float32 H×W×C in [0, 255], mask int32 H×W)` at native size; a mask holds
class indices 0..num_classes-1, and `VOID` (255, as in PASCAL VOC) where a pixel has no label (the loss and
the scores ignore it). `DatasetInfo.image_shape` is the native shape where all images share it.

    digit_scenes        the offline default, generated from the shipped digits (cnnapp.segmentation.scenes)
    oxford_iiit_pet     tfds: trimaps 1 = pet, 2 = background, 3 = border (void)
    folder:PATH         PATH/images/*.jpg|png + PATH/masks/<same stem>.png + PATH/classes.txt
"""

from __future__ import annotations

import functools

import numpy as np
import tensorflow as tf

from cnnapp.choices import TEST, TRAIN
from cnnapp.data.types import DatasetInfo, Source
from cnnapp.errors import CnnappError, unknown
from cnnapp.fingerprint import file_sha256
from cnnapp.segmentation import VOID, scenes
from cnnapp.segmentation.folder import FOLDER_PREFIX, load_mask_folder

PETS = "oxford_iiit_pet"
PET_CLASSES = ("background", "pet")


def names() -> list[str]:
    """The segmentation dataset names (besides `folder:PATH`)."""
    return ["digit_scenes", PETS]


def load_segmentation(name: str, data_dir: str | None = None) -> Source:
    """Load segmentation dataset `name` (see the module docstring); an unknown name lists the valid ones."""
    if name == "digit_scenes":
        return load_digit_scenes()
    if name.split("/")[0] == PETS:
        return load_pets(name, data_dir)
    if name.startswith(FOLDER_PREFIX):
        return load_mask_folder(name.removeprefix(FOLDER_PREFIX))
    raise unknown("segmentation dataset", name, [*names(), f"{FOLDER_PREFIX}PATH"])


@functools.cache
def load_digit_scenes() -> Source:
    """The generated digit scenes (64×64×1, 11 classes): train and validation from the training digits, test
    from the test digits. Made once per process (a few seconds), then shared."""
    from cnnapp.data.sources import load_digits
    from cnnapp.paths import ASSETS

    path = ASSETS / "digits" / "digits.npz"
    if not path.is_file():
        load_digits()  # raises the clear error for the missing shipped file
    with np.load(path) as data:
        digits = {key: data[key] for key in data.files}
    splits, sizes = {}, {}
    for split, (source, count, seed) in scenes.SPLITS.items():
        made = scenes.make_scenes(digits[f"{source}_images"], digits[f"{source}_labels"], count, seed)
        splits[split] = tf.data.Dataset.from_tensor_slices((made.images, made.masks))
        sizes[split] = count
    identity = f"scenes of digits sha256 {file_sha256(path)}"
    info = DatasetInfo(
        "digit_scenes", len(scenes.CLASS_NAMES), scenes.CLASS_NAMES, sizes, (64, 64, 1), identity
    )
    return Source(info, splits)


def load_pets(name: str = PETS, data_dir: str | None = None) -> Source:
    """tfds `oxford_iiit_pet` (Parkhi et al. 2012): its trimaps as masks, background 0, pet 1, border void."""
    import tensorflow_datasets as tfds

    from cnnapp.data.sources import _prepare

    try:
        builder = tfds.builder(name, data_dir=data_dir)
    except Exception as error:  # tfds raises several types for a bad config or version
        raise CnnappError(f"tfds cannot build dataset {name!r}: {str(error).splitlines()[0]}") from error
    _prepare(builder, PETS)
    splits, sizes = {}, {}
    for split in (TRAIN, TEST):
        ds = builder.as_dataset(split=split, shuffle_files=False)
        splits[split] = ds.map(_pet_example, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)
        known = builder.info.splits[split].num_examples if split in builder.info.splits else None
        sizes[split] = int(known) if known is not None else int(splits[split].cardinality())
    identity = f"tfds {builder.info.full_name}"
    info = DatasetInfo(name, len(PET_CLASSES), PET_CLASSES, sizes, (None, None, 3), identity)
    return Source(info, splits)


def _pet_example(example):
    trimap = tf.cast(example["segmentation_mask"][..., 0], tf.int32)
    # 1 = pet, 2 = background, 3 = the uncertain border the dataset leaves unlabelled (any other value: void).
    mask = tf.where(trimap == 1, 1, tf.where(trimap == 2, 0, VOID))
    return tf.cast(example["image"], tf.float32), mask
