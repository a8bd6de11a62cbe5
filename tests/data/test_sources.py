"""Fast tier: each dataset name loads (tfds mock data), the shipped digits, image folders, bad names."""

import pathlib
import subprocess
import sys
import time

import numpy as np
import pytest
import tensorflow as tf
import tensorflow_datasets as tfds

from cnnapp import data
from cnnapp.data import sources
from cnnapp.errors import CnnappError

TFDS = {
    # name: (num_classes, native image shape)
    "mnist": (10, (28, 28, 1)),
    "fashion_mnist": (10, (28, 28, 1)),
    "cifar10": (10, (32, 32, 3)),
    "cifar100": (100, (32, 32, 3)),
    "imagenette": (10, (None, None, 3)),
    "imagenet2012": (1000, (None, None, 3)),
}


def test_names_cover_every_dataset_with_class_names():
    assert set(data.names()) == {*TFDS, "digits", "mnist4k"}
    for name in data.names():
        names = data.class_names(name)
        assert len(names) == len(set(names)), name
        expected = {"digits": 10, "mnist4k": 11}[name] if name in ("digits", "mnist4k") else TFDS[name][0]
        assert len(names) == expected, name


@pytest.mark.parametrize("name", list(TFDS))
def test_tfds_dataset_loads_under_mock_data(name, tmp_path):
    num_classes, shape = TFDS[name]
    with tfds.testing.mock_data(num_examples=3):
        source = data.load_dataset(name, data_dir=str(tmp_path))
        assert source.info.name == name
        assert source.info.num_classes == num_classes
        assert len(source.info.class_names) == num_classes
        assert source.info.image_shape == shape
        assert {"train", "test"} <= set(source.splits)
        assert source.info.split_sizes["train"] == 3
        for split, ds in source.splits.items():
            images = list(ds)
            assert len(images) == 3, split
            for image, label in images:
                assert image.dtype == tf.float32 and label.dtype == tf.int32
                assert image.shape.rank == 3 and image.shape[-1] == shape[-1]
                if shape[0] is not None:
                    assert tuple(image.shape) == shape
                assert 0 <= float(tf.reduce_min(image)) and float(tf.reduce_max(image)) <= 255
                assert 0 <= int(label) < num_classes


def test_imagenet_and_imagenette_serve_validation_as_test(tmp_path):
    with tfds.testing.mock_data(num_examples=2):
        source = data.load_dataset("imagenette", data_dir=str(tmp_path))
    assert source.splits["test"] is source.splits["validation"]
    assert source.info.split_sizes["test"] == source.info.split_sizes["validation"]


def test_imagenette_class_names_follow_tfds_label_order():
    synsets = tfds.builder("imagenette").info.features["label"].names
    assert synsets[0] == "n01440764" and data.class_names("imagenette")[0] == "tench"
    assert tfds.builder("imagenet2012").info.features["label"].names == list(data.class_names("imagenet2012"))


def test_imagenet_without_manual_files_gives_one_line_instructions(tmp_path):
    with pytest.raises(CnnappError) as caught:
        data.load_dataset("imagenet2012", data_dir=str(tmp_path))
    message = str(caught.value)
    assert "\n" not in message
    assert "manual download" in message and str(tmp_path / "downloads" / "manual") in message
    assert "ILSVRC2012_img_train.tar" in message and "image-net.org" in message


def test_imagenet_manual_folder_present_goes_through_tfds_check(tmp_path):
    # A non-empty manual folder without the archives: tfds itself must complain, and we keep it one line.
    manual = tmp_path / "downloads" / "manual"
    manual.mkdir(parents=True)
    (manual / "README").write_text("not the archives")
    with pytest.raises(
        CnnappError, match="imagenet2012 could not be prepared.*ILSVRC2012_img_val.tar"
    ) as caught:
        data.load_dataset("imagenet2012", data_dir=str(tmp_path))
    assert "\n" not in str(caught.value)


def test_digits_from_the_shipped_asset():
    source = data.load_dataset("digits")
    info = source.info
    assert (info.num_classes, info.image_shape) == (10, (8, 8, 1))
    assert dict(info.split_sizes) == {"train": 1437, "test": 360}
    labels = {}
    for split in ("train", "test"):
        images, y = next(iter(source.splits[split].batch(2000)))
        assert images.shape == (info.split_sizes[split], 8, 8, 1) and images.dtype == tf.float32
        assert float(tf.reduce_min(images)) == 0 and float(tf.reduce_max(images)) == 255
        labels[split] = y.numpy()
    # The committed split is stratified: every class gives 20% (±1 scan) of its scans to test.
    train_counts, test_counts = np.bincount(labels["train"]), np.bincount(labels["test"])
    fractions = test_counts / (train_counts + test_counts)
    assert np.all(np.abs(fractions - 0.2) < 1.5 / (train_counts + test_counts)), fractions
    assert test_counts.sum() == 360 and train_counts.min() >= 139


def test_unknown_dataset_lists_the_valid_names():
    with pytest.raises(CnnappError) as caught:
        data.load_dataset("imagenet")
    message = str(caught.value)
    assert "unknown dataset 'imagenet'" in message
    for name in [*TFDS, "digits", "mnist4k", "folder:PATH"]:
        assert name in message


def test_bad_tfds_config_is_a_clear_error(tmp_path):
    with pytest.raises(CnnappError, match="imagenette/nosuch"):
        data.load_dataset("imagenette/nosuch", data_dir=str(tmp_path))


# --- a user's folder of images -----------------------------------------------------------------------------


def write_image(path: pathlib.Path, value: int, size=(6, 5), channels=3):
    pixels = np.full((*size, channels), value, np.uint8)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(tf.io.encode_png(pixels).numpy())


def make_folder(root: pathlib.Path, per_class=5, classes=("cat", "dog")):
    for label, name in enumerate(classes):
        for i in range(per_class):
            write_image(root / name / f"{i:03d}.png", 10 * label + i)
    return root


def test_folder_of_class_subfolders_holds_out_every_fifth(tmp_path):
    root = make_folder(tmp_path / "pets", per_class=10)
    (root / "cat" / "notes.txt").write_text("ignored: not an image")
    source = data.load_dataset(f"folder:{root}")
    assert source.info.class_names == ("cat", "dog")
    assert source.info.image_shape == (None, None, 3)  # sizes are not read at load (no decode of every image)
    assert dict(source.info.split_sizes) == {"train": 16, "test": 4}
    seen = {}
    for split in ("train", "test"):
        for image, label in source.splits[split]:
            value = int(image[0, 0, 0])
            assert value // 10 == int(label)  # the label travels with its image
            seen[value] = split
    assert [v for v, split in sorted(seen.items()) if split == "test"] == [4, 9, 14, 19]


def test_folder_path_without_prefix_and_split_folders(tmp_path):
    make_folder(tmp_path / "train", per_class=3)
    make_folder(tmp_path / "validation", per_class=2)
    source = data.load_dataset(str(tmp_path))
    assert dict(source.info.split_sizes) == {"train": 6, "validation": 4, "test": 4}
    assert source.splits["test"] is source.splits["validation"]


def test_folder_mixed_grey_and_rgb_sizes(tmp_path):
    write_image(tmp_path / "a" / "1.png", 1, size=(4, 4), channels=1)
    write_image(tmp_path / "b" / "1.png", 2, size=(7, 3), channels=3)
    source = data.load_dataset(f"folder:{tmp_path}")
    assert source.info.image_shape == (None, None, 3)
    shapes = {tuple(image.shape) for split in source.splits.values() for image, _ in split}
    assert shapes == {(4, 4, 3), (7, 3, 3)}


def test_folder_with_corrupt_image_stops_with_its_name(tmp_path):
    root = make_folder(tmp_path / "pets", per_class=6)
    bad = root / "dog" / "002.png"
    bad.write_bytes(bad.read_bytes()[:40])  # a truncated copy (its header still readable)
    source = data.load_dataset(f"folder:{root}")  # loading reads no image but the first of each class
    with pytest.raises(tf.errors.InvalidArgumentError) as caught:
        list(source.splits["train"])
    message = caught.value.message
    assert f"cannot read image {bad}" in message and "remove or replace" in message


@pytest.mark.parametrize(
    "layout, match",
    [
        ("missing", "does not exist"),
        ("empty", "no class subfolders"),
        ("no_images", "holds no images"),
    ],
)
def test_folder_bad_layouts(tmp_path, layout, match):
    root = tmp_path / "data"
    if layout != "missing":
        root.mkdir()
    if layout == "no_images":
        for name in ("cat", "dog"):
            (root / name).mkdir()
            (root / name / "a.txt").write_text("x")
    with pytest.raises(CnnappError, match=match):
        data.load_dataset(f"folder:{root}")


def test_split_folders_with_an_extra_class_are_refused(tmp_path):
    make_folder(tmp_path / "train", classes=("cat", "dog"))
    make_folder(tmp_path / "test", classes=("cat", "cow"), per_class=1)
    with pytest.raises(CnnappError, match="cow"):
        sources.load_dataset(f"folder:{tmp_path}")


def test_train_folder_alone_holds_out_a_test_split(tmp_path):
    make_folder(tmp_path / "train", per_class=5)
    source = data.load_dataset(f"folder:{tmp_path}")
    assert dict(source.info.split_sizes) == {"train": 8, "test": 2}


def test_offline_an_unprepared_tfds_dataset_fails_at_once_naming_data_dir(tmp_path, monkeypatch):
    # Offline, tfds would retry its downloads for minutes before it gave up (3m24s measured for cifar10).
    monkeypatch.setattr(sources, "_online", lambda *a, **k: False)
    started = time.monotonic()
    with pytest.raises(CnnappError) as error:
        sources.load_dataset("cifar10", data_dir=str(tmp_path))
    message = str(error.value)
    assert "--set data.data_dir=PATH" in message and "PATH/cifar10/3.0.2/" in message, message
    assert "cannot reach the network" in message and time.monotonic() - started < 30


def test_offline_a_leftover_empty_dataset_folder_gives_the_one_line_only(tmp_path):
    # A failed download's empty folder: tfds logs "Variant folder ... has no dataset_info.json" through absl
    # to stderr (in a fresh process, as a command runs: pytest would catch the log record itself).
    (tmp_path / "cifar10" / "3.0.2").mkdir(parents=True)
    code = (
        "import sys; from cnnapp import errors; from cnnapp.data import sources; "
        "sources._online = lambda *a, **k: False; "
        f"errors.run_cli(lambda argv: sources.load_dataset('cifar10', data_dir={str(tmp_path)!r}), 'x', [])"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert done.returncode != 0 and len(lines) == 1 and "--set data.data_dir=PATH" in lines[0], done.stderr


def test_the_network_probe_is_false_for_an_unreachable_host(monkeypatch):
    for proxy in ("HTTPS_PROXY", "https_proxy", "ALL_PROXY"):
        monkeypatch.delenv(proxy, raising=False)
    assert sources._online(("host.invalid", 443), timeout=2) is False
