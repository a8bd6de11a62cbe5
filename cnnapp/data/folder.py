"""A user's own images: one subfolder per class, optionally split into train/ validation/ test/ folders.

Layouts:
    PATH/<class>/*.jpg|png|bmp|gif      every 5th image of each class (in name order) is held out as `test`
    PATH/train/<class>/..., PATH/test/<class>/... (and/or validation/): the user's own split (without
                                        test/ and validation/, test is held out of train/ as above)

A corrupt or unreadable image **stops loading with the file's name**, before any training starts. Skipping
it would silently change what the model learns from (a class's balance, the reported split sizes), and a file
that does not decode usually means a broken copy the user wants to know about; the fix is one `rm` away. Every
image is therefore decoded once when the folder is loaded, which takes a few seconds per thousand images.
"""

from __future__ import annotations

import pathlib

import tensorflow as tf

from cnnapp.data.sources import FOLDER_PREFIX, DatasetInfo, Source
from cnnapp.errors import CnnappError

IMAGE_SUFFIXES = (".bmp", ".gif", ".jpeg", ".jpg", ".png")
SPLITS = ("train", "validation", "test")
HOLDOUT_EVERY = 5  # without split folders, every 5th image of a class (20%) is the test split


def load_folder(path: str) -> Source:
    """Load a folder of images with one subfolder per class (see the module docstring for the layouts).

    Raises:
        CnnappError: the folder is missing or holds no class folders or images, or an image does not decode
            (naming the file).
    """
    root = pathlib.Path(path).expanduser()
    if not root.is_dir():
        raise CnnappError(
            f"image folder {path!r} does not exist; give a folder holding one subfolder of "
            "images per class (folder:PATH)"
        )
    if (root / "train").is_dir():
        class_names = _class_dirs(root / "train")
        files = {split: _files(root / split, class_names) for split in SPLITS if (root / split).is_dir()}
    else:
        class_names = _class_dirs(root)
        files = {"train": _files(root, class_names)}
    if "test" not in files and "validation" in files:
        files["test"] = files["validation"]
    elif "test" not in files:
        files["train"], files["test"] = _hold_out(files["train"])
    channels, shape = _check_images([item for split in files.values() for item in split])
    splits = {split: _dataset(items, channels) for split, items in files.items() if split != "test"}
    # "test" may be the very list of "validation": then it is the same dataset too.
    same = files["test"] is files.get("validation")
    splits["test"] = splits["validation"] if same else _dataset(files["test"], channels)
    sizes = {split: len(items) for split, items in files.items()}
    info = DatasetInfo(f"{FOLDER_PREFIX}{root}", len(class_names), class_names, sizes, (*shape, channels))
    return Source(info, splits)


def _class_dirs(root: pathlib.Path) -> tuple[str, ...]:
    names = tuple(sorted(p.name for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")))
    if not names:
        raise CnnappError(
            f"image folder {str(root)!r} has no class subfolders; put each class's images in a "
            "subfolder named after the class"
        )
    return names


def _files(root: pathlib.Path, class_names: tuple[str, ...]) -> list[tuple[str, int]]:
    """(path, label) of every image under root/<class>/, in class then name order."""
    found = {p.name for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")}
    extra = sorted(found - set(class_names))
    if extra:
        raise CnnappError(
            f"{root} has class folders {extra} that train/ lacks; use the same class folders in every split"
        )
    items = []
    for label, name in enumerate(class_names):
        folder = root / name
        if not folder.is_dir():
            continue
        items += [
            (str(p), label)
            for p in sorted(folder.iterdir())
            if p.suffix.lower() in IMAGE_SUFFIXES and not p.name.startswith(".")
        ]
    if not items:
        raise CnnappError(
            f"image folder {str(root)!r} holds no images ({', '.join(IMAGE_SUFFIXES)}) in "
            "its class subfolders"
        )
    return items


def _hold_out(items: list[tuple[str, int]]) -> tuple[list[tuple[str, int]], list[tuple[str, int]]]:
    """Every 5th image of each class (in name order) to test, the rest to train."""
    train, test, last, position = [], [], None, 0
    for item in items:
        # The counter restarts for each class, so that every class gives the same 20% to test.
        position = position + 1 if item[1] == last else 0
        last = item[1]
        (test if position % HOLDOUT_EVERY == HOLDOUT_EVERY - 1 else train).append(item)
    return train, test


def _check_images(items: list[tuple[str, int]]) -> tuple[int, tuple[int | None, int | None]]:
    """Decode every image once, stopping at the first that fails; return the channels and the common H, W."""
    channels, sizes = 1, set()
    for path, _ in items:
        try:
            image = tf.io.decode_image(tf.io.read_file(path), expand_animations=False)
        except (tf.errors.InvalidArgumentError, tf.errors.NotFoundError, tf.errors.UnknownError) as error:
            message = error.message.strip().splitlines()[0] if error.message else type(error).__name__
            raise CnnappError(f"cannot read image {path}: {message}; remove or replace the file") from error
        if image.shape[-1] >= 3:
            channels = 3
        sizes.add(tuple(image.shape[:2]))
    shape = next(iter(sizes)) if len(sizes) == 1 else (None, None)
    return channels, shape


def _dataset(items: list[tuple[str, int]], channels: int) -> tf.data.Dataset:
    paths = tf.constant([path for path, _ in items], tf.string)
    labels = tf.constant([label for _, label in items], tf.int32)

    def read(path, label):
        image = tf.io.decode_image(tf.io.read_file(path), channels=channels, expand_animations=False)
        image.set_shape([None, None, channels])
        return tf.cast(image, tf.float32), label

    return tf.data.Dataset.from_tensor_slices((paths, labels)).map(
        read, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True
    )
