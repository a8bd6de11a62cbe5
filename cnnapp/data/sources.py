"""Datasets by name: tensorflow-datasets, the shipped UCI digits, and a user's folder of images.

Every source gives the same thing: unbatched `(image float32 H×W×C in [0, 255], label int32)` examples at
their native size, per split, and the facts the rest of cnnapp needs (`DatasetInfo`).
"""

from __future__ import annotations

import contextlib
import io
import os
import pathlib
import re
import socket

import numpy as np
import tensorflow as tf

from cnnapp import quiet
from cnnapp.choices import TEST, TRAIN, VALIDATION
from cnnapp.data import records
from cnnapp.data.folder import FOLDER_PREFIX, load_folder
from cnnapp.data.types import DatasetInfo, Source
from cnnapp.errors import CnnappError, unknown
from cnnapp.fingerprint import file_sha256
from cnnapp.paths import ASSETS  # the shipped data's anchor lives in the light cnnapp.paths; the name stays

# tfds name → its splits; imagenet and imagenette have no labelled test split, so their validation split is
# also served as "test" (the papers report validation error as their test error).
TFDS_SPLITS = {
    "mnist": (TRAIN, TEST),
    "fashion_mnist": (TRAIN, TEST),
    "cifar10": (TRAIN, TEST),
    "cifar100": (TRAIN, TEST),
    "imagenette": (TRAIN, VALIDATION),
    "imagenet2012": (TRAIN, VALIDATION),
}
# Datasets whose files cannot be downloaded by tfds (licence): the user fetches them into the manual folder.
MANUAL_DOWNLOAD = ("imagenet2012",)
SHIPPED = ("digits", "mnist4k")


def names() -> list[str]:
    """The dataset names `load_dataset` accepts (besides `folder:PATH`)."""
    return [*TFDS_SPLITS, *SHIPPED]


def load_dataset(name: str, data_dir: str | None = None) -> Source:
    """Load a dataset by name.

    Args:
        name: a tfds name (mnist, fashion_mnist, cifar10, cifar100, imagenette, imagenet2012; a tfds config
            may follow a slash, e.g. "imagenette/320px-v2"), "digits" or "mnist4k" (shipped in assets/), or
            "folder:PATH" (or a path to an existing folder) holding one subfolder of images per class.
        data_dir: where tfds keeps its prepared datasets (tfds's default, ~/tensorflow_datasets, when None);
            imagenet2012's manual files go in DATA_DIR/downloads/manual.

    Returns:
        The Source; tfds datasets are downloaded and prepared first when missing.

    Raises:
        CnnappError: unknown name, missing manual download, failed download, or an unreadable image folder.
    """
    if name.startswith(FOLDER_PREFIX) or (name not in names() and _looks_like_path(name)):
        return load_folder(name.removeprefix(FOLDER_PREFIX))
    if name == "digits":
        return load_digits()
    if name == "mnist4k":
        return load_mnist4k()
    if name.split("/")[0] in TFDS_SPLITS:
        return load_tfds(name, data_dir)
    raise unknown("dataset", name, [*names(), f"{FOLDER_PREFIX}PATH"])


def _looks_like_path(name: str) -> bool:
    return "/" in name or "\\" in name or pathlib.Path(name).is_dir()


def class_names(dataset: str) -> tuple[str, ...]:
    """The shipped class names of a named dataset (assets/<dataset>/labels.txt)."""
    path = ASSETS / dataset / "labels.txt"
    if not path.is_file():
        raise unknown("dataset with shipped class names", dataset, names())
    return tuple(line for line in path.read_text().splitlines() if line)


def load_digits() -> Source:
    """The UCI handwritten digits shipped in assets/digits (8×8 grey, 1,437 train / 360 test)."""
    return _load_shipped("digits", (TRAIN, TEST), "git checkout -- cnnapp/assets/digits")


def load_mnist4k() -> Source:
    """4,000 real MNIST digits shipped in assets/mnist4k (28×28 grey, 3,200 train / 800 validation, served
    again as test). Its labels add `none` (no digit) after 0-9; no image has it: the `negatives`
    augmentation makes them."""
    restore = "git checkout -- cnnapp/assets/mnist4k, or run cnnapp/assets/mnist4k/make_mnist4k.py"
    return _load_shipped("mnist4k", (TRAIN, VALIDATION), restore, test=VALIDATION)


def _load_shipped(name: str, split_names: tuple[str, ...], restore: str, test: str = "") -> Source:
    """assets/NAME/NAME.npz: `<split>_images` (N×H×W uint8) and `<split>_labels` per split, held in memory;
    `test` names a split served again as test."""
    path = ASSETS / name / f"{name}.npz"
    if not path.is_file():
        raise CnnappError(
            f"the shipped digits file {path} is missing; restore it: reinstall cnnapp, "
            f"or in a checkout {restore}"
        )
    with np.load(path) as data:
        arrays = {key: data[key] for key in data.files}
    splits, sizes = {}, {}
    for split in split_names:
        images = arrays[f"{split}_images"][..., None].astype(np.float32)
        labels = arrays[f"{split}_labels"].astype(np.int32)
        splits[split] = records.in_memory(images, labels)
        sizes[split] = len(labels)
    if test:
        splits[TEST], sizes[TEST] = splits[test], sizes[test]
    names_ = class_names(name)
    shape = (*arrays[f"{split_names[0]}_images"].shape[1:], 1)
    return Source(DatasetInfo(name, len(names_), names_, sizes, shape, f"sha256 {file_sha256(path)}"), splits)


def load_tfds(name: str, data_dir: str | None = None) -> Source:
    """A tensorflow-datasets dataset, downloaded and prepared when missing (imagenet2012: manual files)."""
    import tensorflow_datasets as tfds

    base = name.split("/")[0]
    try:
        builder = tfds.builder(name, data_dir=data_dir)
    except Exception as error:  # tfds raises several types for a bad config or version
        raise CnnappError(
            f"tfds cannot build dataset {name!r}: {_first_line(error)}; "
            f"use one of {', '.join(TFDS_SPLITS)} (optionally /CONFIG)"
        ) from error
    _prepare(builder, base)
    features = builder.info.features
    num_classes = features["label"].num_classes
    names_ = class_names(base)
    if len(names_) != num_classes:
        raise RuntimeError(f"assets/{base}/labels.txt has {len(names_)} names for {num_classes} classes")
    splits, sizes = {}, {}
    for split in TFDS_SPLITS[base]:
        splits[split] = _tfds_split(builder, split)
        sizes[split] = _split_size(builder, split, splits[split])
    if TEST not in splits:
        splits[TEST], sizes[TEST] = splits[VALIDATION], sizes[VALIDATION]
    height, width, channels = features["image"].shape
    identity = f"tfds {builder.info.full_name}"  # name/config/version
    return Source(DatasetInfo(name, num_classes, names_, sizes, (height, width, channels), identity), splits)


def _tfds_split(builder, split: str, index: np.ndarray | None = None) -> tf.data.Dataset:
    """A tfds split (or the examples at sorted `index` of it), registered so that its labels and subsets are
    read with the images left encoded (no decode of what a subset leaves out)."""
    import tensorflow_datasets as tfds

    def encoded() -> tf.data.Dataset:
        return builder.as_dataset(
            split=split,
            as_supervised=True,
            shuffle_files=False,
            decoders={"image": tfds.decode.SkipDecoding()},
        )

    image_feature = builder.info.features["image"]

    def decode(image, label):
        return _to_example(image_feature.decode_example(image), label)

    if index is None:
        ds = builder.as_dataset(split=split, as_supervised=True, shuffle_files=False)
        ds = ds.map(_to_example, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)
    else:
        ds = (
            records.take_indices(encoded(), index)
            .map(decode, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)
            .apply(tf.data.experimental.assert_cardinality(len(index)))
        )

    def labels() -> np.ndarray:
        all_labels = encoded().map(lambda _image, label: label).batch(65536)
        found = np.concatenate(
            [batch for batch in all_labels.as_numpy_iterator()] or [np.zeros([0], np.int64)]
        )
        return found if index is None else found[index]

    def select(chosen: np.ndarray) -> tf.data.Dataset:
        return _tfds_split(builder, split, chosen if index is None else index[chosen])

    return records.register(ds, records.Records(labels=labels, select=select))


# Where tfds looks first for a prepared copy (its GCS mirror) before it downloads from the dataset's own site.
TFDS_HOST = ("storage.googleapis.com", 443)
DATA_DIR_FIX = "--set data.data_dir=PATH"


def _online(host: tuple[str, int] = TFDS_HOST, timeout: float = 3.0) -> bool:
    """Whether the network can reach tfds's host: a few seconds, where tfds would retry for minutes."""
    if any(os.environ.get(v) for v in ("HTTPS_PROXY", "https_proxy", "ALL_PROXY")):
        return True  # a proxy decides; tfds goes through it
    try:
        socket.create_connection(host, timeout=timeout).close()
    except OSError:
        return False
    return True


def _would_download(builder) -> bool:
    """Whether preparing `builder` downloads: it is not prepared, and its preparation is tfds's own (under
    tfds.testing.mock_data, the tests' stand-in, it reads nothing)."""
    prepare = type(builder).download_and_prepare
    # tfds logs its look at the data folder ("Variant folder ... has no dataset_info.json"): what it finds
    # missing is said, with the fix, by the offline error.
    with quiet.hidden_output():
        prepared = builder.is_prepared()
    return not prepared and prepare.__module__.startswith("tensorflow_datasets.core")


def _offline_error(builder) -> CnnappError:
    root = pathlib.Path(builder.data_dir_root)
    layout = pathlib.Path(builder.data_dir).relative_to(root)
    return CnnappError(
        f"{builder.info.full_name} is not prepared in {root} and this machine cannot reach the network to "
        f"download it: prepare it where there is network (any cnnapp or tfds command that loads it), copy "
        f"the data folder here and pass {DATA_DIR_FIX} (tfds expects PATH/{layout}/ holding "
        "dataset_info.json and the record files)"
    )


def _prepare(builder, base: str) -> None:
    import tensorflow_datasets as tfds

    if base not in MANUAL_DOWNLOAD and _would_download(builder) and not _online():
        raise _offline_error(builder)  # now, not after minutes of download retries
    config, quiet = None, False
    if base in MANUAL_DOWNLOAD:
        manual = pathlib.Path(builder.data_dir_root) / "downloads" / "manual"
        config = tfds.download.DownloadConfig(manual_dir=str(manual))
        # tfds announces the preparation on stdout before it finds the manual folder empty; when it is empty
        # (and nothing is prepared) the attempt can only fail, so the announcement is noise.
        quiet = not builder.is_prepared() and not (manual.is_dir() and any(manual.iterdir()))
    try:
        with contextlib.redirect_stdout(io.StringIO()) if quiet else contextlib.nullcontext():
            builder.download_and_prepare(download_config=config)
    except AssertionError as error:  # tfds's way of saying the manual folder lacks the files
        if base not in MANUAL_DOWNLOAD:
            raise
        raise CnnappError(
            f"{base} needs a manual download: {_one_line(str(error))} "
            f"(then run again; or {DATA_DIR_FIX} naming a folder that holds a prepared copy)"
        ) from error
    except Exception as error:  # no network, a checksum mismatch, a full disk: all the same fix for a user
        if base in MANUAL_DOWNLOAD:  # the manual folder holds something, but not the right files
            raise CnnappError(
                f"{base} could not be prepared from {config.manual_dir}: {_first_line(error)}; "
                f"{_one_line(builder.MANUAL_DOWNLOAD_INSTRUCTIONS)}"
            ) from error
        raise CnnappError(
            f"could not download and prepare {builder.info.full_name}: {_first_line(error)}; "
            f"check the network, or {DATA_DIR_FIX} naming a folder that holds a prepared copy"
        ) from error


def _split_size(builder, split: str, ds: tf.data.Dataset) -> int | None:
    if split in builder.info.splits:
        return int(builder.info.splits[split].num_examples)
    count = int(ds.cardinality())  # tfds.testing.mock_data has no split metadata but a known cardinality
    return count if count >= 0 else None


def _to_example(image, label):
    return tf.cast(image, tf.float32), tf.cast(label, tf.int32)


def _one_line(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def _first_line(error: BaseException) -> str:
    lines = str(error).strip().splitlines()
    return lines[0] if lines else type(error).__name__
