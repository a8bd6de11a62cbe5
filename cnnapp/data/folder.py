"""A user's own images: one subfolder per class, optionally split into train/ validation/ test/ folders.

Layouts:
    PATH/<class>/*.jpg|png|bmp|gif      every 5th image of each class (in name order) is held out as `test`
    PATH/train/<class>/..., PATH/test/<class>/... (and/or validation/): the user's own split (without
                                        test/ and validation/, test is held out of train/ as above)

Loading a folder lists its files and reads the first bytes of every image (its size: an image over
`images.MAX_PIXELS`, a decompression bomb, is refused before training), nothing more: it takes seconds for
100,000 files. The paths are stored in a seeded shuffled order (the same on every load), so that a split's
first examples (statistics, a streaming shuffle window) mix the classes; the labels come from the paths.
Images are decoded when the pipelines read them, in their parallel maps (`cnnapp.data.images.decode`: EXIF
orientation, any PNG/JPEG/GIF/BMP colour type to the channels wanted).

A file that does not decode **stops the run with its name**: skipping it would silently change what the model
learns from, and a broken copy is something the user wants to know about (the fix is one `rm` away).
`python -m cnnapp.data check folder:PATH` decodes every image once, up front, and lists every file that fails.
"""

from __future__ import annotations

import os
import pathlib
import re
from collections.abc import Callable

import numpy as np
import tensorflow as tf

from cnnapp.choices import SPLITS, TEST, TRAIN, VALIDATION
from cnnapp.data import images as img
from cnnapp.data.records import Files, Records, register
from cnnapp.data.types import DatasetInfo, Source
from cnnapp.errors import UNREADABLE_IMAGE, CnnappError
from cnnapp.fingerprint import files_identity

FOLDER_PREFIX = "folder:"
IMAGE_SUFFIXES = img.IMAGE_SUFFIXES
HOLDOUT_EVERY = 5  # without split folders, every 5th image of a class (20%) is the test split
ORDER_SEED = 0  # the stored order's shuffle: fixed, so that every load (and every resumed run) sees the same


def load_folder(path: str) -> Source:
    """Load a folder of images with one subfolder per class (see the module docstring for the layouts).

    Raises:
        CnnappError: the folder is missing, holds fewer than two class folders or no images, or a class's
            first image is not an image.
    """
    root, class_names, files = _layout(path)
    channels = _channels([p for items in files.values() for p in _first_per_class(items)])
    for items in files.values():  # a decompression bomb stops here, not in the middle of a run
        for image, _ in items:
            img.refuse_huge(image, img.header(image), "scale it down, or move it out of the folder")
    splits = {}
    for split, items in files.items():
        if split == TEST and items is files.get(VALIDATION):
            continue
        paths, labels = _shuffled(items)
        splits[split] = file_dataset(paths, labels, channels)
    # "test" may be the very list of "validation": then it is the same dataset too.
    splits.setdefault(TEST, splits.get(VALIDATION))
    sizes = {split: len(items) for split, items in files.items()}
    identity = files_identity((p for items in files.values() for p, _ in items), root)
    info = DatasetInfo(
        f"{FOLDER_PREFIX}{root}", len(class_names), class_names, sizes, (None, None, channels), identity
    )
    return Source(info, splits)


def _layout(path: str) -> tuple[pathlib.Path, tuple[str, ...], dict[str, list[tuple[str, int]]]]:
    """The folder's root, class names and (path, label) lists per split."""
    root = pathlib.Path(path).expanduser()
    if not root.is_dir():
        raise CnnappError(
            f"image folder {path!r} does not exist; give a folder holding one subfolder of "
            "images per class (folder:PATH)"
        )
    if (root / TRAIN).is_dir():
        class_names = _class_dirs(root / TRAIN)
        files = {
            split: _files(root / split, class_names, split == TRAIN)
            for split in SPLITS
            if (root / split).is_dir()
        }
    else:
        class_names = _class_dirs(root)
        files = {TRAIN: _files(root, class_names)}
    if TEST not in files and VALIDATION in files:
        files[TEST] = files[VALIDATION]
    elif TEST not in files:
        files[TRAIN], files[TEST] = _hold_out(files[TRAIN])
    return root, class_names, files


def _class_dirs(root: pathlib.Path) -> tuple[str, ...]:
    names = tuple(sorted(p.name for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")))
    if not names:
        raise CnnappError(
            f"image folder {str(root)!r} has no class subfolders; put each class's images in a "
            "subfolder named after the class"
        )
    if len(names) < 2:
        raise CnnappError(
            f"image folder {str(root)!r} has one class folder ({names[0]!r}); a classifier needs at least "
            "two classes: add a subfolder of images for each other class"
        )
    return names


def _files(
    root: pathlib.Path, class_names: tuple[str, ...], every_class: bool = True
) -> list[tuple[str, int]]:
    """(path, label) of every image under root/<class>/, in class then name order; `every_class`: a
    class folder without images is refused (a training split's)."""
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
        # os.scandir: one directory read, no stat per file (100,000 files list in a fraction of a second).
        with os.scandir(folder) as entries:
            listed = [entry for entry in entries if not entry.name.startswith(".")]
        names = sorted(e.name for e in listed if e.name[-5:].lower().endswith(IMAGE_SUFFIXES))
        nested = sorted(e.name for e in listed if e.is_dir() and _holds_images(e.path))
        if nested:  # images one level down would be silently left out of the class
            raise CnnappError(
                f"class folder {str(folder)!r} holds images in sub-folders {nested[:3]}; "
                "images are read from a class folder itself only: move them up, or make each a class"
            )
        if not names and every_class:
            raise CnnappError(
                f"class folder {str(folder)!r} holds no images ({', '.join(IMAGE_SUFFIXES)}): "
                "its class would be an output never trained; add images or remove the folder"
            )
        prefix = f"{folder}{os.sep}"
        items += [(prefix + file, label) for file in names]
    if not items:
        raise CnnappError(
            f"image folder {str(root)!r} holds no images ({', '.join(IMAGE_SUFFIXES)}) in "
            "its class subfolders"
        )
    return items


def _holds_images(folder: str) -> bool:
    with os.scandir(folder) as entries:
        return any(e.name[-5:].lower().endswith(IMAGE_SUFFIXES) for e in entries)


def _hold_out(items: list[tuple[str, int]]) -> tuple[list[tuple[str, int]], list[tuple[str, int]]]:
    """Every 5th image of each class (in name order) to test, the rest to train."""
    train, test, last, position = [], [], None, 0
    for item in items:
        # The counter restarts for each class, so that every class gives the same 20% to test.
        position = position + 1 if item[1] == last else 0
        last = item[1]
        (test if position % HOLDOUT_EVERY == HOLDOUT_EVERY - 1 else train).append(item)
    return train, test


def _first_per_class(items: list[tuple[str, int]]) -> list[str]:
    first: dict[int, str] = {}
    for path, label in items:
        first.setdefault(label, path)
    return list(first.values())


def _channels(paths: list[str]) -> int:
    """3 when any of these images (one per class) is in colour, else 1 (a grey folder stays grey)."""
    channels = 1
    for path in paths:
        shape = img.header(path)
        if shape is None:
            raise CnnappError(
                f"cannot read image {path}: not a PNG, JPEG, GIF or BMP file; remove or replace the file "
                "(python -m cnnapp.data check folder:PATH lists every unreadable image)"
            )
        channels = max(channels, shape[2])
    return channels


def _shuffled(items: list[tuple[str, int]]) -> tuple[np.ndarray, np.ndarray]:
    order = np.random.default_rng(ORDER_SEED).permutation(len(items))
    paths = np.array([items[i][0] for i in order], dtype=object)
    labels = np.array([items[i][1] for i in order], np.int32)
    return paths, labels


def file_dataset(paths: np.ndarray, labels: np.ndarray, channels: int) -> tf.data.Dataset:
    """Unbatched `(image, label)` examples decoded from files in parallel; a file that fails names itself.

    The dataset is registered (`cnnapp.data.records`) with its files, so that subsets take paths (no decode)
    and the training pipeline shuffles paths and decodes in its own map.
    """
    files = Files(np.asarray(paths, dtype=object), np.asarray(labels, np.int32), channels)
    ds = decoded(files, lambda image, label, _index: (image, label), channels)
    return register(
        ds,
        Records(
            labels=lambda: files.labels,
            select=lambda index: file_dataset(files.paths[index], files.labels[index], channels),
            files=files,
            cheap=True,
        ),
    )


def decoded(
    files: Files,
    then: Callable,
    channels: int,
    order: tf.Tensor | None = None,
) -> tf.data.Dataset:
    """`then(image, label, index)` of every file, decoded and prepared in one parallel map.

    Args:
        files: the split's files.
        then: what to make of each decoded image (resize, augment), given its index in the split.
        channels: the channels to decode to.
        order: the indices of the files to read, in this order (a shuffle); None reads them in stored order.

    Returns:
        `then`'s outputs; iterating stops with tf.errors.InvalidArgumentError naming the first file that does
        not decode ("cannot read image PATH").
    """
    count = len(files.paths)
    paths = tf.constant(files.paths.astype(str) if count else np.zeros([0], str), tf.string)
    labels = tf.constant(files.labels, tf.int32)
    order = tf.range(count, dtype=tf.int64) if order is None else tf.cast(order, tf.int64)

    # EXIF is read only where there are JPEGs: a folder of PNGs does not pay for it.
    exif = any(str(path).lower().endswith((".jpg", ".jpeg")) for path in files.paths)

    # Straight-line graph code: autograph's source conversion would only cost seconds of tracing.
    @tf.autograph.experimental.do_not_convert
    def read(position, index):
        image = _read(paths[index], channels, exif)
        return position, then(image, labels[index], index)

    # A decode error's own message does not say which file it was. So errors are dropped per element
    # (ignore_errors) and the first position that went missing is reported by the file's name. A sentinel at
    # the end (position = count) catches a failure of the last file.
    examples = (
        tf.data.Dataset.from_tensor_slices(order)
        .enumerate()
        .map(read, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)
        .ignore_errors()
    )
    if count == 0:
        return examples.map(_second)
    blank = tf.nest.map_structure(
        lambda spec: tf.zeros([d if d is not None else 0 for d in spec.shape], spec.dtype),
        examples.element_spec[1],
    )
    ended = examples.concatenate(tf.data.Dataset.from_tensors((tf.constant(count, tf.int64), blank)))

    @tf.autograph.experimental.do_not_convert
    def check(expected, element):
        position, out = element
        missing = tf.gather(paths, tf.gather(order, tf.minimum(expected, count - 1)))
        message = tf.strings.join(
            [
                UNREADABLE_IMAGE,
                missing,
                "; remove or replace the file (python -m cnnapp.data check ",
                "folder:PATH lists every unreadable image)",
            ]
        )
        with tf.control_dependencies([tf.debugging.Assert(tf.equal(position, expected), [message])]):
            return position + 1, (position < count, out)

    checked = ended.scan(tf.constant(0, tf.int64), check)
    examples = checked.filter(_first).map(_second)
    return examples.apply(tf.data.experimental.assert_cardinality(int(order.shape[0])))


@tf.function(autograph=False, reduce_retracing=True)
def _read(path: tf.Tensor, channels: int, exif: bool) -> tf.Tensor:
    # One trace per (channels, exif), shared by every split and epoch: tracing the decode is most of the time
    # it takes to build a pipeline, and a folder of 100,000 files should give its first batch in seconds.
    return img.decode(tf.io.read_file(path), channels, exif=exif)


@tf.autograph.experimental.do_not_convert
def _first(first, _second):
    return first


@tf.autograph.experimental.do_not_convert
def _second(_first, second):
    return second


def check_folder(path: str, progress: Callable[[int, int], None] | None = None) -> dict:
    """Decode every image of a folder once (what training would read), listing those that fail.

    Args:
        path: the folder (`PATH` of folder:PATH).
        progress: called with (images checked so far, images in all), every few images.

    Returns:
        {"images": N, "classes": {name: {split: count}}, "failed": [(path, reason)], "channels": {1: n, 3: n},
        "sizes": {(h, w): n} for the 10 most common sizes}.
    """
    root, class_names, files = _layout(path)
    items = [
        item
        for split, items in files.items()
        if not (split == TEST and items is files.get(VALIDATION))
        for item in items
    ]
    classes = {name: {} for name in class_names}
    for split, split_items in files.items():
        for _, label in split_items:
            counts = classes[class_names[label]]
            counts[split] = counts.get(split, 0) + 1
    paths = tf.constant([p for p, _ in items] or [""], tf.string)[: len(items)]

    def read(index):
        contents = tf.io.read_file(paths[index])
        native = tf.io.decode_image(contents, expand_animations=False)
        return index, tf.shape(native)

    failed, channels, sizes, done = [], {}, {}, 0
    stream = tf.data.Dataset.range(len(items)).map(read, num_parallel_calls=tf.data.AUTOTUNE).ignore_errors()
    expected = 0
    for index, shape in stream.as_numpy_iterator():
        for missing in range(expected, int(index)):
            failed.append((items[missing][0], _reason(items[missing][0])))
        expected = int(index) + 1
        height, width, depth = (int(v) for v in shape)
        key = 1 if depth < 3 else 3
        channels[key] = channels.get(key, 0) + 1
        sizes[(height, width)] = sizes.get((height, width), 0) + 1
        done += 1
        if progress is not None and done % 64 == 0:
            progress(done + len(failed), len(items))
    for missing in range(expected, len(items)):
        failed.append((items[missing][0], _reason(items[missing][0])))
    if progress is not None:
        progress(len(items), len(items))
    common = dict(sorted(sizes.items(), key=lambda kv: -kv[1])[:10])
    return {"images": len(items), "classes": classes, "failed": failed, "channels": channels, "sizes": common}


def _reason(path: str) -> str:
    try:
        tf.io.decode_image(tf.io.read_file(path), expand_animations=False)
    except (tf.errors.InvalidArgumentError, tf.errors.NotFoundError, tf.errors.UnknownError) as error:
        first = error.message.strip().splitlines()[0] if error.message else type(error).__name__
        # Keep TensorFlow's own words, not its op and device decoration.
        return re.sub(r"\{\{[^}]*\}\}|\[Op:[^\]]*\]|name:\s*$", "", first).strip() or type(error).__name__
    return "failed to decode"
