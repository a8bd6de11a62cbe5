"""Image files to pixels (`data.images`), checked against Pillow: every mode of every format to grey and to
RGB, a JPEG's EXIF orientation as Pillow's `exif_transpose` turns it, and sizes read from the header."""

import io

import numpy as np
import pytest
import tensorflow as tf
from PIL import Image, ImageOps

from cnnapp.data import images
from cnnapp.errors import CnnappError

RNG = np.random.default_rng(0)
RGB = RNG.integers(0, 256, (6, 9, 3), dtype=np.uint8)  # not square: a transpose shows


def encoded(image: Image.Image, fmt: str, **options) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


def pillow_pixels(data: bytes, channels: int) -> np.ndarray:
    """What a user's Pillow shows: the image in RGB, or grey as BT.601 luma (Pillow's own 'L' weights)."""
    with Image.open(io.BytesIO(data)) as image:
        rgb = np.asarray(image.convert("RGB"), np.float64)
    if channels == 3:
        return rgb
    return (rgb @ np.array([0.299, 0.587, 0.114]))[..., None]


def palette_image():
    return Image.fromarray(RGB).quantize(16)  # 16 colours: a palette (P) image


CASES = {
    "png-grey": lambda: encoded(Image.fromarray(RGB[..., 0]), "PNG"),
    "png-grey-alpha": lambda: encoded(Image.fromarray(RGB[..., :2]).convert("LA"), "PNG"),
    "png-rgb": lambda: encoded(Image.fromarray(RGB), "PNG"),
    "png-rgba": lambda: encoded(Image.fromarray(np.dstack([RGB, RGB[..., :1]])), "PNG"),
    "png-palette": lambda: encoded(palette_image(), "PNG"),
    "gif": lambda: encoded(palette_image(), "GIF"),
    "bmp-rgb": lambda: encoded(Image.fromarray(RGB), "BMP"),
    "bmp-palette": lambda: encoded(palette_image(), "BMP"),
    "bmp-1-bit": lambda: encoded(Image.fromarray(RGB[..., 0] > 127), "BMP"),
}


@pytest.mark.parametrize("channels", [1, 3])
@pytest.mark.parametrize("case", sorted(CASES))
def test_lossless_files_decode_as_pillow_shows_them(case, channels):
    data = CASES[case]()
    ours = images.decode_bytes(data, channels).numpy()
    assert ours.shape == (6, 9, channels) and ours.dtype == np.float32
    # Grey from colour is a float luma sum on both sides; 0.5 allows one rounding of a uint8 step.
    np.testing.assert_allclose(ours, pillow_pixels(data, channels), atol=0.51)


@pytest.mark.parametrize("channels", [1, 3])
def test_a_cmyk_jpeg_comes_out_in_rgb(channels):
    data = encoded(Image.fromarray(RGB).convert("CMYK"), "JPEG", quality=95)
    ours = images.decode_bytes(data, channels).numpy()
    assert np.abs(ours - pillow_pixels(data, channels)).mean() < 3  # two JPEG decoders: within a few levels


@pytest.mark.parametrize("orientation", range(1, 9))
def test_exif_orientation_turns_as_pillow_exif_transpose(orientation):
    exif = Image.Exif()
    exif[0x0112] = orientation
    stored = Image.fromarray(np.kron(RGB, np.ones((4, 4, 1), np.uint8)))  # 24×36 blocks: JPEG keeps them
    data = encoded(stored, "JPEG", quality=98, exif=exif.tobytes())
    assert int(images.exif_orientation(tf.constant(data))) == orientation
    with Image.open(io.BytesIO(data)) as image:
        upright = np.asarray(ImageOps.exif_transpose(image).convert("RGB"), np.float64)
    with Image.open(io.BytesIO(data)) as image:
        as_stored = np.asarray(image.convert("RGB"), np.float64)
    ours = images.decode_bytes(data, 3).numpy()
    assert ours.shape == upright.shape
    # Two JPEG decoders differ by a few levels; a wrong turn of these random blocks by tens.
    assert np.abs(ours - upright).mean() < 6
    if orientation != 1 and ours.shape == as_stored.shape:
        assert np.abs(ours - as_stored).mean() > 30


def test_a_file_without_exif_is_as_stored():
    data = encoded(Image.fromarray(RGB), "JPEG", quality=95)
    assert int(images.exif_orientation(tf.constant(data))) == 1
    assert int(images.exif_orientation(tf.constant(CASES["png-rgb"]()))) == 1


@pytest.mark.parametrize("case", sorted(CASES))
def test_the_header_says_the_size_and_what_decode_makes_of_the_channels(case, tmp_path):
    path = tmp_path / "image"
    path.write_bytes(CASES[case]())
    height, width, channels = images.header(str(path))
    assert (height, width) == (6, 9)
    with Image.open(path) as image:
        grey = image.mode in ("1", "L", "LA") or (
            image.mode == "P" and all(r == g == b for r, g, b in image.convert("RGB").getdata())
        )
    assert channels == (1 if grey else 3), f"{case}: {Image.open(path).mode}"


def test_a_bmp_with_a_grey_palette_is_grey_and_one_with_colours_is_colour(tmp_path):
    grey = Image.fromarray(RGB[..., 0]).convert("P")
    grey.putpalette([v for g in range(256) for v in (g, g, g)])
    (tmp_path / "grey.bmp").write_bytes(encoded(grey, "BMP"))
    (tmp_path / "colour.bmp").write_bytes(CASES["bmp-palette"]())
    assert images.header(str(tmp_path / "grey.bmp")) == (6, 9, 1)
    assert images.header(str(tmp_path / "colour.bmp")) == (6, 9, 3)
    assert (
        images.header(str(tmp_path / "colour.bmp"))[2]
        == images.decode_bytes(CASES["bmp-palette"](), 3).shape[2]
    )


def test_a_jpeg_header_is_found_behind_its_exif_segment(tmp_path):
    exif = Image.Exif()
    exif[0x0112] = 6
    path = tmp_path / "photo.jpg"
    path.write_bytes(encoded(Image.fromarray(RGB), "JPEG", exif=exif.tobytes()))
    assert images.header(str(path)) == (6, 9, 3)
    grey = tmp_path / "grey.jpg"
    grey.write_bytes(encoded(Image.fromarray(RGB[..., 0]), "JPEG"))
    assert images.header(str(grey)) == (6, 9, 1)
    other = tmp_path / "notes.txt"
    other.write_text("not an image")
    assert images.header(str(other)) is None


def test_a_huge_image_is_refused_in_one_line_naming_it():
    images.refuse_huge("small.png", (1000, 1000, 3))
    images.refuse_huge("unknown.png", None)
    with pytest.raises(CnnappError, match=r"big.png is 20000×10000 pixels, more than cnnapp reads .*; scale"):
        images.refuse_huge("big.png", (10_000, 20_000, 3))


def test_bytes_that_are_no_image_fail_as_a_decode_error():
    with pytest.raises((tf.errors.InvalidArgumentError, ValueError)):
        images.decode_bytes(b"BM not really a bitmap", 3)
    with pytest.raises(tf.errors.InvalidArgumentError):
        images.decode_bytes(b"plain text", 1)
