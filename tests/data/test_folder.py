"""Fast tier: image folders load without decoding, decode every colour type and EXIF turn, name a bad file."""

from __future__ import annotations

import io
import pathlib

import numpy as np
import pytest
import tensorflow as tf
from PIL import Image

from cnnapp import data, errors
from cnnapp.data import augment, folder, images
from cnnapp.data.records import records_of
from cnnapp.errors import CnnappError

RNG = np.random.default_rng(0)
RGB = RNG.integers(0, 256, (6, 9, 3), dtype=np.uint8)


def encoded(image: Image.Image, fmt: str, **options) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


COLOUR_TYPES = {
    # name: (bytes, the RGB Pillow sees, or None when the file is grey)
    "grey.png": (encoded(Image.fromarray(RGB[..., 0]), "PNG"), None),
    "grey-alpha.png": (encoded(Image.fromarray(RGB[..., :2], "LA"), "PNG"), None),
    "palette.png": (encoded(Image.fromarray(RGB).convert("P"), "PNG"), "rgb"),
    "rgba.png": (encoded(Image.fromarray(np.dstack([RGB, RGB[..., :1]]), "RGBA"), "PNG"), "rgb"),
    "rgb.png": (encoded(Image.fromarray(RGB), "PNG"), "rgb"),
    "palette.gif": (encoded(Image.fromarray(RGB).convert("P"), "GIF"), "rgb"),
    "cmyk.jpg": (encoded(Image.fromarray(RGB).convert("CMYK"), "JPEG", quality=100), "rgb"),
    # BMPs go through Pillow: TensorFlow's decoder would return a palette BMP's indices as its pixels
    "palette.bmp": (encoded(Image.fromarray(RGB).convert("P"), "BMP"), "rgb"),
    "palette-4bit.bmp": (encoded(Image.fromarray(RGB).convert("P", colors=16), "BMP", bits=4), "rgb"),
    "grey.bmp": (encoded(Image.fromarray(RGB[..., 0]), "BMP"), "rgb"),
    "rgb.bmp": (encoded(Image.fromarray(RGB), "BMP"), "rgb"),
}


@pytest.mark.parametrize("name", list(COLOUR_TYPES))
def test_every_colour_type_decodes_to_grey_and_rgb(name):
    content, kind = COLOUR_TYPES[name]
    pillow = np.asarray(Image.open(io.BytesIO(content)).convert("RGB"), np.float32)
    rgb = images.decode(tf.constant(content), 3).numpy()
    grey = images.decode(tf.constant(content), 1).numpy()
    assert rgb.shape == (6, 9, 3) and grey.shape == (6, 9, 1)
    # Pillow's and TensorFlow's JPEG decoders differ by a few levels on noise (JPEG's worst case; inverted or
    # misread CMYK would be ~100 off); lossless formats agree exactly.
    if name.endswith(".jpg"):
        assert np.abs(rgb - pillow).mean() <= 16
    else:
        np.testing.assert_array_equal(rgb, pillow)
    if kind is None:  # a grey image stays exactly itself as grey, and is copied to three channels as RGB
        np.testing.assert_array_equal(grey[..., 0], pillow[..., 0])
    else:  # colour → grey is the pipelines' own conversion of the decoded RGB
        np.testing.assert_allclose(grey, augment.to_channels(tf.constant(rgb), 1).numpy(), atol=1e-3)


def exif_jpeg(orientation: int, little_endian: bool = True, after_jfif: bool = False) -> bytes:
    """A JPEG whose EXIF says `orientation`, written by hand (either byte order, with or without JFIF)."""
    plain = encoded(Image.fromarray(RGB), "JPEG", quality=100)
    order = "<" if little_endian else ">"
    tiff = (b"II*\x00" if little_endian else b"MM\x00*") + np.array([8], order + "u4").tobytes()
    entries = [(0x010F, 2, 4, b"Cam\x00"), (0x0112, 3, 1, np.array([orientation, 0], order + "u2").tobytes())]
    tiff += np.array([len(entries)], order + "u2").tobytes()
    for tag, kind, count, value in entries:
        tiff += (
            np.array([tag, kind], order + "u2").tobytes() + np.array([count], order + "u4").tobytes() + value
        )
    tiff += b"\x00\x00\x00\x00"
    app1 = b"Exif\x00\x00" + tiff
    segment = b"\xff\xe1" + (len(app1) + 2).to_bytes(2, "big") + app1
    body = plain[2:]
    if not after_jfif and body.startswith(b"\xff\xe0"):  # drop Pillow's JFIF segment
        body = body[2 + int.from_bytes(body[2:4], "big") :]
    elif after_jfif:
        assert body.startswith(b"\xff\xe0")
        jfif_end = 2 + int.from_bytes(body[2:4], "big")
        return b"\xff\xd8" + body[:jfif_end] + segment + body[jfif_end:]
    return b"\xff\xd8" + segment + body


@pytest.mark.parametrize("orientation", range(1, 9))
def test_exif_orientation_turns_jpegs_as_pillow_does(orientation):
    content = exif_jpeg(orientation, little_endian=orientation % 2 == 0, after_jfif=orientation > 4)
    stored = Image.fromarray(tf.io.decode_jpeg(content).numpy())  # the pixels as stored, turned by Pillow
    exif = Image.open(io.BytesIO(content)).getexif()
    assert exif[0x0112] == orientation  # Pillow reads the hand-written segment too
    upright = np.asarray(
        stored.transpose(Image.Transpose(ImageOrientation[orientation])) if orientation > 1 else stored
    )
    assert int(images.exif_orientation(tf.constant(content))) == orientation
    np.testing.assert_array_equal(images.decode(tf.constant(content), 3).numpy(), upright)


# Pillow's exif_transpose: orientation → Image.Transpose value.
ImageOrientation = {2: 0, 3: 3, 4: 1, 5: 5, 6: 4, 7: 6, 8: 2}


def test_no_exif_or_not_a_jpeg_means_upright():
    for content in (COLOUR_TYPES["rgb.png"][0], encoded(Image.fromarray(RGB), "JPEG"), b"\xff\xd8\xff\xe1"):
        assert int(images.exif_orientation(tf.constant(content))) == 1


@pytest.mark.parametrize("name", ["grey.png", "grey-alpha.png", "rgb.png", "palette.gif", "cmyk.jpg"])
def test_headers_give_size_and_channels_without_decoding(name, tmp_path):
    path = tmp_path / name
    path.write_bytes(COLOUR_TYPES[name][0])
    assert images.header(str(path)) == (6, 9, 1 if COLOUR_TYPES[name][1] is None else 3)
    path = tmp_path / "exif.jpg"
    path.write_bytes(exif_jpeg(6))
    assert images.header(str(path)) == (6, 9, 3)  # the stored size, before the turn
    (tmp_path / "x.png").write_bytes(b"not an image")
    assert images.header(str(tmp_path / "x.png")) is None


def write(path: pathlib.Path, content: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)


def test_a_folder_of_mixed_types_trains_and_predicts_with_the_same_pixels(tmp_path):
    from cnnapp.deploy.classifier import read_image

    for i, name in enumerate(COLOUR_TYPES):
        write(tmp_path / ("a" if i % 2 else "b") / name, COLOUR_TYPES[name][0])
    write(tmp_path / "a" / "turned.jpg", exif_jpeg(6))
    source = data.load_dataset(f"folder:{tmp_path}")
    assert source.info.image_shape == (None, None, 3)
    paths = np.array(sorted(str(p) for p in tmp_path.glob("*/*")))
    files = folder.Files(paths, np.zeros(len(paths), np.int32), 3)
    for channels in (1, 3):
        cfg = data.DataConfig(image_size=9, channels=channels, resize="stretch")
        batches = data.evaluation_pipeline(folder.file_dataset(files.paths, files.labels, 3), cfg, len(paths))
        trained = next(iter(batches))[0].numpy()
        predicted = np.stack([read_image(path, cfg.input_shape) for path in files.paths])
        np.testing.assert_allclose(trained, predicted, atol=1e-3)  # resize kernels round differently
    turned = [i for i, p in enumerate(files.paths) if p.endswith("turned.jpg")][0]
    assert trained[turned].shape == (9, 9, 3)


def test_loading_reads_no_image_but_the_first_of_each_class(tmp_path):
    for label in ("cat", "dog"):
        for i in range(5):
            write(tmp_path / label / f"{i}.png", COLOUR_TYPES["grey.png"][0])
    write(tmp_path / "dog" / "2.png", b"\x89PNG\r\n\x1a\n" + bytes(40))  # a broken file, not first
    source = data.load_dataset(f"folder:{tmp_path}")
    assert source.info.image_shape == (None, None, 1) and dict(source.info.split_sizes) == {
        "train": 8,
        "test": 2,
    }
    # The stored order is shuffled (the same on every load), labels known from the paths.
    train = records_of(source.splits["train"]).files
    assert sorted(train.labels.tolist()) == [0, 0, 0, 0, 1, 1, 1, 1] and train.labels.tolist() != sorted(
        train.labels
    )
    again = records_of(data.load_dataset(f"folder:{tmp_path}").splits["train"]).files
    assert again.paths.tolist() == train.paths.tolist()
    with pytest.raises(
        tf.errors.InvalidArgumentError, match=f"cannot read image {tmp_path / 'dog' / '2.png'}"
    ):
        list(data.training_pipeline(source.splits["train"], data.DataConfig(image_size=8), 4, seed=0))


def test_a_bad_last_file_is_named_too(tmp_path):
    good, bad = tmp_path / "good.png", tmp_path / "bad.png"
    good.write_bytes(COLOUR_TYPES["grey.png"][0])
    bad.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(40))
    ds = folder.file_dataset(np.array([str(good), str(good), str(bad)]), np.zeros(3, np.int32), 1)
    with pytest.raises(tf.errors.InvalidArgumentError, match=f"cannot read image {bad}") as raised:
        list(ds)
    # At a CLI's edge (errors.run_cli) the same error is one line naming the file and the fix.
    line = errors._tensorflow_message(raised.value)
    assert line.startswith(f"cannot read image {bad}; remove or replace the file") and "\n" not in line
    assert line.endswith("(python -m cnnapp.data check folder:PATH lists every unreadable image)")
    assert len(list(folder.file_dataset(np.array([str(good)] * 3), np.zeros(3, np.int32), 1))) == 3


def test_a_folder_of_one_class_is_refused(tmp_path):
    write(tmp_path / "cat" / "1.png", COLOUR_TYPES["grey.png"][0])
    with pytest.raises(CnnappError, match="one class folder \\('cat'\\).*at least two classes"):
        data.load_dataset(f"folder:{tmp_path}")


def test_file_training_pipeline_is_reproducible_per_epoch_and_keeps_labels(tmp_path):
    for label in range(3):
        for i in range(7):
            pixels = np.full((5, 4, 1), 40 * label + i, np.uint8)
            write(tmp_path / f"c{label}" / f"{i}.png", tf.io.encode_png(pixels).numpy())
    train = data.load_dataset(f"folder:{tmp_path}").splits["train"]
    cfg = data.DataConfig(image_size=8, resize="pad", augment=("pad_crop", "flip"), pad=1)
    epochs = [
        [(x.numpy(), y.numpy()) for x, y in data.training_pipeline(train, cfg, 5, seed=3, epoch=k)]
        for k in (0, 1)
    ]
    alone = [(x.numpy(), y.numpy()) for x, y in data.training_pipeline(train, cfg, 5, seed=3, epoch=1)]
    for (x, y), (x2, y2) in zip(epochs[1], alone, strict=True):
        np.testing.assert_array_equal(x, x2)
        np.testing.assert_array_equal(y, y2)
    labels = [np.concatenate([y for _, y in epoch]) for epoch in epochs]
    assert sorted(labels[0]) == sorted(labels[1]) and labels[0].tolist() != labels[1].tolist()
    for x, y in epochs[0]:
        values = x.reshape(len(y), -1).max(axis=1)  # the image's value survives padding and shifts
        np.testing.assert_array_equal(values // 40, y)
