"""Image files to pixels, the same way in training and in predict: any PNG, JPEG, GIF or BMP to grey or RGB.

`decode(contents, channels)` is a graph op (it runs in the pipelines' parallel maps):
- grey, grey+alpha, palette, RGB, RGBA and CMYK images all come out with the channels asked for. Alpha is
  dropped (the colour under it is kept, as libpng's strip does); palette images are expanded to their colours;
  CMYK JPEGs are converted to RGB by libjpeg; a colour image asked for as grey goes through
  the ITU-R BT.601 luma weights of `cnnapp.colour`, a grey one asked for as RGB is copied to three channels.
- a JPEG's EXIF orientation (phones store photos sideways and record the turn there) is applied, read from the
  bytes in the graph: tf.image has no EXIF support, and a Python reader in `tf.py_function` would hold the
  GIL in every parallel decode.

`header(path)` reads an image's size and channels from its first bytes, without decoding it, so that loading a
folder does not decode every image.
"""

from __future__ import annotations

import struct

import numpy as np
import tensorflow as tf

from cnnapp.colour import LUMA
from cnnapp.errors import CnnappError

IMAGE_SUFFIXES = (".bmp", ".gif", ".jpeg", ".jpg", ".png")

# IFD0's first entries are scanned for the orientation tag (cameras write a dozen or so, sorted by tag).
_MAX_ENTRIES = 64
_TIFF_WINDOW = 8 + 2 + 12 * _MAX_ENTRIES + 8
_JPEG_HEADER_BYTES = (
    131072  # enough for the APPn segments (EXIF ≤ 64 KiB, thumbnails) before the frame header
)
_ORIENTATION_TAG = 0x0112


def decode(contents: tf.Tensor, channels: int, exif: bool = True) -> tf.Tensor:
    """Decode an encoded image (PNG, JPEG, GIF's first frame, BMP) to float32 H×W×`channels` in [0, 255].

    Args:
        contents: the file's bytes (a scalar string tensor).
        channels: 1 (grey) or 3 (RGB).
        exif: apply a JPEG's EXIF orientation; False skips reading it (a split without JPEG files).

    Raises (when run): tf.errors.InvalidArgumentError for bytes that are not a decodable image.
    """
    # The turn is applied to the uint8 pixels (a quarter of the bytes of float32).
    # TensorFlow's BMP decoder returns a palette BMP's *indices* as pixels and refuses 1- and 4-bit files;
    # Pillow decodes every BMP to its colours (a cond: PNG, JPEG and GIF stay on the graph's own decoders).
    is_bmp = tf.equal(tf.strings.substr(contents, 0, 2), b"BM")
    if channels == 3:
        # libpng/libjpeg convert grey(+alpha), palette, RGBA and CMYK to RGB themselves.
        image = tf.cond(
            is_bmp,
            lambda: _pillow_rgb(contents),
            lambda: tf.io.decode_image(contents, channels=3, expand_animations=False),
        )
        image = tf.cast(_upright(image, contents) if exif else image, tf.float32)
    else:
        native = tf.cond(
            is_bmp,
            lambda: _pillow_rgb(contents),
            lambda: tf.io.decode_image(contents, expand_animations=False),
        )
        native = tf.cast(_upright(native, contents) if exif else native, tf.float32)
        depth = tf.shape(native)[-1]
        # Grey (+alpha): its first channel; colour (+alpha): the BT.601 luma sum (colour.LUMA), the
        # conversion `augment.to_channels` applies to a decoded RGB split and the exported front makes.
        weights = tf.where(depth < 3, _GREY_WEIGHTS, _RGB_WEIGHTS)[:depth]
        image = tf.tensordot(native, weights, [[2], [0]])[..., None]
    image.set_shape([None, None, channels])
    return image


# Per-channel weights of the conversion to grey for 1-2 channels (grey, alpha) and 3-4 (RGB, alpha).
# numpy, not tf.constant: an eager tensor made at import starts TensorFlow's runtime, which a
# MultiWorkerMirroredStrategy created later refuses ("Collective ops must be configured at program startup").
_GREY_WEIGHTS = np.array([1.0, 0.0, 0.0, 0.0], np.float32)
_RGB_WEIGHTS = np.array([*LUMA, 0.0], np.float32)  # the one home of the grey weights: cnnapp.colour


def _upright(image: tf.Tensor, contents: tf.Tensor) -> tf.Tensor:
    """`image` turned by its EXIF orientation. Reading the tag takes some 30 small ops, so only a JPEG whose
    EXIF segment sits where cameras put it (first, or after JFIF's 16-byte APP0) pays for it, behind one cond;
    files without EXIF (most datasets' JPEGs) pass with five ops."""
    likely = tf.logical_or(
        tf.equal(tf.strings.substr(contents, 6, 4), b"Exif"),
        tf.equal(tf.strings.substr(contents, 24, 4), b"Exif"),
    )
    return tf.cond(likely, lambda: orient(image, exif_orientation(contents)), lambda: image)


def _pillow_rgb(contents: tf.Tensor) -> tf.Tensor:
    """A BMP decoded to RGB uint8 by Pillow, as a graph op (an unreadable file fails as decode_image does)."""
    image = tf.numpy_function(_pillow_rgb_array, [contents], tf.uint8, stateful=False)
    image.set_shape([None, None, 3])
    return image


def _pillow_rgb_array(contents: bytes) -> np.ndarray:
    import io

    from PIL import Image

    if isinstance(contents, np.ndarray):  # called eagerly, numpy_function passes a 0-d array, not bytes
        contents = contents.item()
    try:
        with Image.open(io.BytesIO(contents)) as image:
            return np.asarray(image.convert("RGB"), np.uint8)
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError) as error:
        raise ValueError(f"not a readable BMP: {error}") from None


def decode_bytes(contents: bytes, channels: int) -> tf.Tensor:
    """`decode` of one file's bytes outside a pipeline (predict), as one compiled call."""
    return _decode_compiled(tf.constant(contents), channels)


@tf.function(reduce_retracing=True, autograph=False)
def _decode_compiled(contents: tf.Tensor, channels: int) -> tf.Tensor:
    return decode(contents, channels)


def exif_orientation(contents: tf.Tensor) -> tf.Tensor:
    """The EXIF orientation (1..8) of a JPEG's bytes; 1 (as stored) when there is none or it is not a JPEG."""
    found, tiff = _exif_segment(contents)
    return tf.where(found, _orientation(contents, tiff), 1)


def _exif_segment(contents: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
    """(is there an EXIF segment, where its TIFF data starts).

    EXIF is an APP1 "Exif" segment right after the JPEG's start, or after up to two other APPn segments
    (JFIF's APP0, an ICC profile's APP2): where cameras and editors write it.
    """
    position = tf.constant(2, tf.int32)
    for _ in range(2):
        marker = _bytes(contents, position, 4)
        other_app = tf.logical_and(
            tf.equal(marker[0], 0xFF),
            tf.logical_and(marker[1] >= 0xE0, tf.logical_and(marker[1] <= 0xEF, marker[1] != 0xE1)),
        )
        position += tf.where(other_app, 2 + 256 * marker[2] + marker[3], 0)
    found = tf.logical_and(
        tf.equal(tf.strings.substr(contents, 0, 2), b"\xff\xd8"),
        tf.logical_and(
            tf.equal(_substr(contents, position, 2), b"\xff\xe1"),
            tf.equal(_substr(contents, position + 4, 6), b"Exif\x00\x00"),
        ),
    )
    return found, position + 10


def _substr(contents: tf.Tensor, position: tf.Tensor, length: int) -> tf.Tensor:
    """Up to `length` bytes at `position`; empty past the end (tf.strings.substr raises there)."""
    return tf.strings.substr(contents, tf.minimum(position, tf.strings.length(contents)), length)


def _bytes(contents: tf.Tensor, position: tf.Tensor, count: int) -> tf.Tensor:
    """`count` bytes at `position` as int32 (zeros past the end)."""
    raw = tf.io.decode_raw(_substr(contents, position, count), tf.uint8)
    return tf.cast(tf.pad(raw, [[0, count - tf.size(raw)]]), tf.int32)


def _orientation(contents: tf.Tensor, tiff_start: tf.Tensor) -> tf.Tensor:
    """The orientation tag of the TIFF data (EXIF's IFD0) at `tiff_start`; 1 when absent or malformed."""
    tiff = tf.io.decode_raw(_substr(contents, tiff_start, _TIFF_WINDOW), tf.uint8)
    size = tf.size(tiff)
    # A fixed length, zeros past the end: every read below stays in range whatever the bytes say.
    data = tf.cast(tf.pad(tiff, [[0, _TIFF_WINDOW + 16 - size]]), tf.int32)
    little = tf.logical_and(tf.equal(data[0], 0x49), tf.equal(data[1], 0x49))  # "II", else "MM"

    def u16(offset):
        offset = tf.clip_by_value(offset, 0, _TIFF_WINDOW + 14)
        first, second = tf.gather(data, offset), tf.gather(data, offset + 1)
        return tf.where(little, first + 256 * second, 256 * first + second)

    def u32(offset):
        low, high = u16(offset), u16(offset + 2)
        return tf.where(little, low + 65536 * high, 65536 * low + high)

    ifd = u32(tf.constant(4))
    ok = tf.logical_and(ifd >= 8, ifd + 2 <= size)
    ifd = tf.where(ok, ifd, 0)
    count = tf.minimum(u16(ifd), _MAX_ENTRIES)
    entries = tf.minimum(ifd + 2 + 12 * tf.range(_MAX_ENTRIES), tf.maximum(size - 12, 0))
    is_tag = tf.logical_and(tf.equal(u16(entries), _ORIENTATION_TAG), tf.range(_MAX_ENTRIES) < count)
    value = tf.reduce_max(tf.where(is_tag, u16(entries + 8), 0))
    return tf.where(tf.logical_and(ok, tf.logical_and(value >= 1, value <= 8)), value, 1)


def orient(image: tf.Tensor, orientation: tf.Tensor) -> tf.Tensor:
    """Turn an H×W×C image upright by its EXIF orientation (the turns Pillow's `exif_transpose` makes).

    Every orientation is a transpose or not, then flips: done by one transpose and one reverse with computed
    arguments, which pass an upright image (orientation 1) through without a copy.
    """
    index = tf.clip_by_value(orientation, 1, 8) - 1
    transpose = tf.gather(_TRANSPOSE, index)
    flips = tf.boolean_mask(tf.constant([0, 1]), tf.gather(_FLIPS, index))
    image = tf.transpose(image, tf.where(transpose, [1, 0, 2], [0, 1, 2]))
    return tf.reverse(image, flips)


# Orientation 1..8 → (transpose first?, then flip rows (up-down)?, flip columns (left-right)?): 2 mirrored,
# 3 upside down, 4 mirrored upside down, 5 transposed, 6 stored turned left (turn right), 7 transverse,
# 8 stored turned right (turn left).
_TRANSPOSE = np.array([False, False, False, False, True, True, True, True])
_FLIPS = np.array(
    [
        [False, False],
        [False, True],
        [True, True],
        [True, False],
        [False, False],
        [False, True],
        [True, True],
        [True, False],
    ]
)


# Pillow's decompression-bomb limit (Image.MAX_IMAGE_PIXELS × 2): a larger decode would take gigabytes.
MAX_PIXELS = 178_956_970


def refuse_huge(path, shape: tuple[int, int, int] | None, fix: str = "scale it down") -> None:
    """Refuse, in one line naming the file, an image whose header (`header`) says more than `MAX_PIXELS`."""
    if shape is not None and shape[0] * shape[1] > MAX_PIXELS:
        raise CnnappError(
            f"{path} is {shape[1]}×{shape[0]} pixels, more than cnnapp reads ({MAX_PIXELS:,}); {fix}"
        )


def header(path: str) -> tuple[int, int, int] | None:
    """(height, width, channels) from an image file's first bytes, or None when they do not say.

    Channels are what `decode` would make of the file as it is: 1 for grey (with or without alpha, or a BMP
    whose palette is grey), 3 for colour (other palettes, RGB, RGBA, CMYK).
    """
    with open(path, "rb") as file:
        head = file.read(64)
        if head.startswith(b"\x89PNG\r\n\x1a\n") and len(head) >= 26:
            width, height = struct.unpack(">II", head[16:24])
            return height, width, 1 if head[25] in (0, 4) else 3  # colour types 0 grey, 4 grey+alpha
        if head[:6] in (b"GIF87a", b"GIF89a"):
            width, height = struct.unpack("<HH", head[6:10])
            return height, width, 3
        if head.startswith(b"BM") and len(head) >= 30:
            width, height = struct.unpack("<ii", head[18:26])
            bits = struct.unpack("<H", head[28:30])[0]
            grey = bits <= 8 and _grey_bmp_palette(file, head, bits)
            return abs(height), width, 1 if grey else 3
        if head.startswith(b"\xff\xd8"):
            file.seek(0)
            return _jpeg_header(file.read(_JPEG_HEADER_BYTES))
    return None


def _grey_bmp_palette(file, head: bytes, bits: int) -> bool:
    """Whether a palette BMP's colours are all grey: `decode` gives a palette BMP its colours, so a colour
    palette makes a colour image (a folder of them trains in RGB), a grey one a grey image."""
    dib_size = struct.unpack("<I", head[14:18])[0]
    entry = 3 if dib_size == 12 else 4  # OS/2 1.x headers store B, G, R; Windows ones B, G, R, 0
    used = struct.unpack("<I", head[46:50])[0] if dib_size >= 40 and len(head) >= 50 else 0
    count = used or 2**bits
    file.seek(14 + dib_size)
    palette = file.read(entry * count)
    return all(palette[i] == palette[i + 1] == palette[i + 2] for i in range(0, len(palette) - 2, entry))


def _jpeg_header(data: bytes) -> tuple[int, int, int] | None:
    """A JPEG's size and channels from its frame header (SOFn), walking the segments before it."""
    position = 2
    while position + 9 < len(data):
        if data[position] != 0xFF:
            return None
        marker = data[position + 1]
        if marker == 0xFF:  # fill byte
            position += 1
            continue
        length = struct.unpack(">H", data[position + 2 : position + 4])[0]
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            height, width = struct.unpack(">HH", data[position + 5 : position + 9])
            components = data[position + 9] if position + 9 < len(data) else 3
            return height, width, 1 if components == 1 else 3
        position += 2 + length
    return None
