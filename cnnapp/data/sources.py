"""Datasets by name: tensorflow-datasets, the shipped UCI digits, and a user's folder of images.

Every source gives the same thing: unbatched `(image float32 H×W×C in [0, 255], label int32)` examples at
their native size, per split, and the facts the rest of cnnapp needs (`DatasetInfo`).
"""

from __future__ import annotations

import contextlib
import dataclasses
import io
import pathlib
import re
from collections.abc import Mapping
from types import MappingProxyType

import numpy as np
import tensorflow as tf

from cnnapp.errors import CnnappError, unknown

ASSETS = pathlib.Path(__file__).resolve().parents[2] / "assets"

# tfds name → its splits; imagenet and imagenette have no labelled test split, so their validation split is
# also served as "test" (the papers report validation error as their test error).
TFDS_SPLITS = {
    "mnist": ("train", "test"),
    "fashion_mnist": ("train", "test"),
    "cifar10": ("train", "test"),
    "cifar100": ("train", "test"),
    "imagenette": ("train", "validation"),
    "imagenet2012": ("train", "validation"),
}
# Datasets whose files cannot be downloaded by tfds (licence): the user fetches them into the manual folder.
MANUAL_DOWNLOAD = ("imagenet2012",)
SHIPPED = ("digits",)
FOLDER_PREFIX = "folder:"


def names() -> list[str]:
    """The dataset names `load_dataset` accepts (besides `folder:PATH`)."""
    return [*TFDS_SPLITS, *SHIPPED]


@dataclasses.dataclass(frozen=True)
class DatasetInfo:
    """What a dataset is.

    Attributes:
        name: the name it was loaded by, e.g. "mnist", "digits", "folder:/data/flowers".
        num_classes: number of categories; labels are 0..num_classes-1.
        class_names: one name per label, in label order.
        split_sizes: examples per split (None where a source cannot tell before reading it).
        image_shape: native (H, W, C); H and W are None when images differ in size.
    """

    name: str
    num_classes: int
    class_names: tuple[str, ...]
    split_sizes: Mapping[str, int | None]
    image_shape: tuple[int | None, int | None, int]

    def __post_init__(self):
        object.__setattr__(self, "class_names", tuple(self.class_names))
        object.__setattr__(self, "split_sizes", MappingProxyType(dict(self.split_sizes)))


@dataclasses.dataclass(frozen=True)
class Source:
    """A loaded dataset: its facts and its splits (`train`, `test`, and `validation` where it exists)."""

    info: DatasetInfo
    splits: Mapping[str, tf.data.Dataset]

    def __post_init__(self):
        object.__setattr__(self, "splits", MappingProxyType(dict(self.splits)))

    def split(self, name: str) -> tf.data.Dataset:
        """One split by name, with a clear error for a split this dataset lacks."""
        if name not in self.splits:
            raise unknown(f"split of {self.info.name}", name, self.splits)
        return self.splits[name]


def load_dataset(name: str, data_dir: str | None = None) -> Source:
    """Load a dataset by name.

    Args:
        name: a tfds name (mnist, fashion_mnist, cifar10, cifar100, imagenette, imagenet2012; a tfds config
            may follow a slash, e.g. "imagenette/320px-v2"), "digits" (shipped in assets/), or "folder:PATH"
            (or a path to an existing folder) holding one subfolder of images per class.
        data_dir: where tfds keeps its prepared datasets (tfds's default, ~/tensorflow_datasets, when None);
            imagenet2012's manual files go in DATA_DIR/downloads/manual.

    Returns:
        The Source; tfds datasets are downloaded and prepared first when missing.

    Raises:
        CnnappError: unknown name, missing manual download, failed download, or an unreadable image folder.
    """
    if name.startswith(FOLDER_PREFIX) or (name not in names() and _looks_like_path(name)):
        from cnnapp.data.folder import load_folder

        return load_folder(name.removeprefix(FOLDER_PREFIX))
    if name == "digits":
        return load_digits()
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
    path = ASSETS / "digits" / "digits.npz"
    if not path.is_file():
        raise CnnappError(
            f"the shipped digits file {path} is missing; restore it from the repository "
            "(git checkout -- assets/digits)"
        )
    with np.load(path) as data:
        arrays = {key: data[key] for key in data.files}
    splits, sizes = {}, {}
    for split in ("train", "test"):
        images = arrays[f"{split}_images"][..., None].astype(np.float32)
        labels = arrays[f"{split}_labels"].astype(np.int32)
        splits[split] = tf.data.Dataset.from_tensor_slices((images, labels))
        sizes[split] = len(labels)
    names_ = class_names("digits")
    info = DatasetInfo("digits", len(names_), names_, sizes, (8, 8, 1))
    return Source(info, splits)


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
        ds = builder.as_dataset(split=split, as_supervised=True, shuffle_files=False)
        splits[split] = ds.map(_to_example, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)
        sizes[split] = _split_size(builder, split, ds)
    if "test" not in splits:
        splits["test"], sizes["test"] = splits["validation"], sizes["validation"]
    height, width, channels = features["image"].shape
    return Source(DatasetInfo(name, num_classes, names_, sizes, (height, width, channels)), splits)


def _prepare(builder, base: str) -> None:
    import tensorflow_datasets as tfds

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
            "(then run again; or pass data_dir holding a prepared copy)"
        ) from error
    except Exception as error:  # no network, a checksum mismatch, a full disk: all the same fix for a user
        if base in MANUAL_DOWNLOAD:  # the manual folder holds something, but not the right files
            raise CnnappError(
                f"{base} could not be prepared from {config.manual_dir}: {_first_line(error)}; "
                f"{_one_line(builder.MANUAL_DOWNLOAD_INSTRUCTIONS)}"
            ) from error
        raise CnnappError(
            f"could not download and prepare {builder.info.full_name}: {_first_line(error)}; "
            "check the network, or pass data_dir holding a prepared copy"
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
