"""A user's segmentation folder: images, masks with the same stems, and the class names.

    PATH/classes.txt          one class name per line; line i is class i (class 0 is usually background)
    PATH/images/NAME.jpg      (or .jpeg, .png) the images
    PATH/masks/NAME.png       class indices per pixel: a grey PNG, or a VOC-style palette PNG (its indices,
                              not its colours, are the classes); 255 = void (unlabelled, ignored)

Every pair is checked when the folder is loaded (a mask is read once, the image's header only): a missing
mask, an image and mask of different sizes, or a label that is neither a class nor 255 is a one-line error
naming the file. The test split is every fifth pair in name order (PATH/train/ and PATH/test/ folders, each
laid out as above, are used as they are).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import tensorflow as tf

from cnnapp.choices import TEST, TRAIN
from cnnapp.data.folder import FOLDER_PREFIX
from cnnapp.data.images import decode
from cnnapp.data.types import DatasetInfo, Source
from cnnapp.errors import CnnappError
from cnnapp.fingerprint import files_identity
from cnnapp.paths import read_utf8
from cnnapp.segmentation import VOID

__all__ = ["FOLDER_PREFIX", "load_mask_folder", "read_mask"]

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png")
TEST_EVERY = 5


def read_mask(path: Path) -> np.ndarray:
    """A mask PNG's class indices (H, W) uint8: a palette PNG's indices, a grey PNG's values."""
    from PIL import Image

    with Image.open(path) as image:
        if image.mode not in ("P", "L"):
            raise CnnappError(
                f"mask {path} is a {image.mode} image; save masks as grey or palette PNGs of class indices"
            )
        return np.asarray(image)


def load_mask_folder(path: str | Path) -> Source:
    """Load a segmentation folder (see the module docstring)."""
    root = Path(path)
    classes_file = root / "classes.txt"
    if not classes_file.is_file():
        raise CnnappError(f"{root} has no classes.txt: write one class name per line (line i = class i)")
    lines = read_utf8(classes_file, "class list").splitlines()
    classes = tuple(line.strip() for line in lines if line.strip())
    if len(classes) < 2:
        raise CnnappError(f"{classes_file} names {len(classes)} class; a segmentation needs at least 2")
    if (root / TRAIN).is_dir() and (root / TEST).is_dir():
        pairs = {split: _pairs(root / split, classes) for split in (TRAIN, TEST)}
    else:
        every = _pairs(root, classes)
        pairs = {
            TRAIN: [p for i, p in enumerate(every) if i % TEST_EVERY != TEST_EVERY - 1],
            TEST: [p for i, p in enumerate(every) if i % TEST_EVERY == TEST_EVERY - 1],
        }
    for split, found in pairs.items():
        if not found:
            raise CnnappError(f"{root}: the {split} split has no image; add images (at least {TEST_EVERY})")
    channels = 3
    splits = {split: _dataset(found, channels) for split, found in pairs.items()}
    sizes = {split: len(found) for split, found in pairs.items()}
    identity = files_identity([p for found in pairs.values() for pair in found for p in pair], root)
    info = DatasetInfo(f"{FOLDER_PREFIX}{root}", len(classes), classes, sizes, (None, None, 3), identity)
    return Source(info, splits)


def _pairs(folder: Path, classes) -> list[tuple[str, str]]:
    """(image, mask) paths of `folder`, each pair checked."""
    from PIL import Image

    images_dir, masks_dir = folder / "images", folder / "masks"
    if not images_dir.is_dir() or not masks_dir.is_dir():
        raise CnnappError(f"{folder} needs images/ and masks/ folders (masks/NAME.png for images/NAME.jpg)")
    images = sorted(p for p in images_dir.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
    pairs = []
    for image in images:
        mask = masks_dir / f"{image.stem}.png"
        if not mask.is_file():
            raise CnnappError(f"no mask for {image}: expected {mask}")
        with Image.open(image) as opened:
            width, height = opened.size
        labels = read_mask(mask)
        if labels.shape != (height, width):
            raise CnnappError(
                f"mask {mask} is {labels.shape[1]}×{labels.shape[0]} but its image is {width}×{height}; "
                "masks must match their images pixel for pixel"
            )
        bad = sorted(set(np.unique(labels).tolist()) - {*range(len(classes)), VOID})
        if bad:
            raise CnnappError(
                f"mask {mask} has label {bad[0]} outside the {len(classes)} classes of classes.txt "
                f"(0..{len(classes) - 1}, or 255 for void); fix the mask or add the class"
            )
        pairs.append((str(image), str(mask)))
    return pairs


def _dataset(pairs: list[tuple[str, str]], channels: int) -> tf.data.Dataset:
    images, masks = (list(column) for column in zip(*pairs, strict=True))

    def load(image_path, mask_path):
        # No EXIF turn: a mask is drawn on the stored pixels, so the image must stay as stored too.
        image = decode(tf.io.read_file(image_path), channels, exif=False)
        mask = tf.numpy_function(lambda p: read_mask(Path(p.decode())), [mask_path], tf.uint8)
        mask.set_shape([None, None])
        return image, tf.cast(mask, tf.int32)

    ds = tf.data.Dataset.from_tensor_slices((images, masks))
    return ds.map(load, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)
