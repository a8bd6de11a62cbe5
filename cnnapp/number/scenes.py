"""Photos of handwritten numbers, made from mnist4k's real digits: the reader's training and world data.

    scenes = make_scenes("validation", count=200, seed=7, layout="spaced")
    scenes.frames[i]      # 240×320×3 uint8, a photo of a 2–5 digit number on paper
    scenes.numbers[i]     # "2026": the digits written, left to right
    scenes.boxes[i]       # (x0, y0, x1, y1) of each digit in the frame (the perfect crops)

A scene's digits come from one split only (`train` or `validation`: never mixed), laid out in a row: 2–5
digits, each scaled to a height drawn per number (22–40% of the frame height; smaller when a long number
would not fit), ±8% size and ±6% baseline jitter per digit. `layout` is the spacing:
- `spaced`: gaps of 10–45% of the digit height;
- `touching`: neighbours overlap by 2–12% of the height, so their ink joins;
- `broken`: spaced, and one digit in each number has a horizontal band of its ink erased (a pen that skipped).
The ink row is then photographed by `cnnapp.data.camera` (paper, tint, light gradient, sensor noise, focus
blur, JPEG) on a square sheet and cropped to 4:3. Scene i depends on (seed, i, layout) only.
"""

from __future__ import annotations

import dataclasses
import functools
import io

import numpy as np

from cnnapp.number.inkmap import HEIGHT, WIDTH

LAYOUTS = ("spaced", "touching", "broken")
LENGTHS = (2, 3, 4, 5)
DIGIT_HEIGHT = (0.22, 0.40)  # of the frame height
INK = 20  # a source pixel above this is ink (for the digit's box)
# The camera for numbers: camera.CAMERA_LIKE's paper, light, noise and JPEG; its blur is scaled to a 320-pixel
# sheet (the ranges are for a 40-pixel frame), so it is as soft for a digit of a third of the frame.
CAMERA = dict(
    height=(0.4, 0.7), rotation=0.0, perspective=0.0, ink_on_paper=1.0, ruled=0.0, gradient=0.5, shadow=0.0,
    noise=8.0, blur=0.4, motion=0.0, jpeg=(60, 95),
)  # fmt: skip


@dataclasses.dataclass
class Scenes:
    """Photos of numbers and what they show. `layers[i][k]` is digit k's own ink (crop of its box, 0–255)."""

    frames: np.ndarray
    numbers: list[str]
    boxes: list[list[tuple[int, int, int, int]]]
    layers: list[list[np.ndarray]]
    layout: str
    split: str


@functools.cache
def split_digits(split: str) -> tuple[np.ndarray, np.ndarray]:
    """mnist4k's `split` (train or validation) as (N, 28, 28) uint8 and labels (read once per process)."""
    from cnnapp.data import load_dataset

    ds = load_dataset("mnist4k").split(split)
    images, labels = (np.stack(a) for a in zip(*ds.as_numpy_iterator(), strict=True))
    return images[..., 0].astype(np.uint8), labels.astype(np.int32)


def _trim(digit: np.ndarray) -> np.ndarray:
    rows, cols = np.flatnonzero(digit.max(1) > INK), np.flatnonzero(digit.max(0) > INK)
    return digit[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]


def _resize(digit: np.ndarray, height: int, width: int) -> np.ndarray:
    from PIL import Image

    image = Image.fromarray(digit).resize((max(1, width), max(1, height)), Image.Resampling.BILINEAR)
    return np.asarray(image, np.float32)


def layout_ink(digits, rng, layout: str):
    """One number's ink on a HEIGHT×WIDTH canvas: (canvas float32 0–255, boxes, own layers)."""
    trimmed = [_trim(d) for d in digits]
    height = rng.uniform(*DIGIT_HEIGHT) * HEIGHT
    sizes = rng.uniform(0.92, 1.08, len(digits))
    if layout == "touching":
        gaps = rng.uniform(-0.12, -0.02, len(digits) - 1)
    else:
        gaps = rng.uniform(0.10, 0.45, len(digits) - 1)
    widths = [t.shape[1] / t.shape[0] * s for t, s in zip(trimmed, sizes, strict=True)]
    span = sum(widths) + gaps.sum()  # in digit heights
    height = min(height, 0.9 * WIDTH / span)
    x = (WIDTH - span * height) / 2 + rng.uniform(-0.5, 0.5) * (WIDTH - span * height) * 0.8
    baseline = HEIGHT / 2 + height / 2 + rng.uniform(-0.15, 0.15) * HEIGHT
    broken = rng.integers(len(digits)) if layout == "broken" else -1
    canvas = np.zeros((HEIGHT, WIDTH), np.float32)
    boxes, layers = [], []
    for k, (digit, size, width) in enumerate(zip(trimmed, sizes, widths, strict=True)):
        h, w = round(height * size), max(1, round(width * height))
        ink = _resize(digit, h, w)
        if k == broken:  # a horizontal band of 6–10% of the height, somewhere in the middle
            band = max(2, round(rng.uniform(0.06, 0.10) * h))
            top = round(rng.uniform(0.3, 0.7) * h)
            ink[top : top + band] = 0
        y1 = round(baseline + rng.uniform(-0.06, 0.06) * height)
        y0, x0 = y1 - h, round(x)
        x0, y0 = min(max(x0, 0), WIDTH - w), min(max(y0, 0), HEIGHT - h)
        canvas[y0 : y0 + h, x0 : x0 + w] = np.maximum(canvas[y0 : y0 + h, x0 : x0 + w], ink)
        boxes.append((x0, y0, x0 + w, y0 + h))
        layers.append(ink.astype(np.uint8))
        x += (width + (gaps[k] if k < len(gaps) else 0)) * height
    return canvas, boxes, layers


def photograph(canvas: np.ndarray, seed: tuple[int, ...], rng) -> np.ndarray:
    """The ink canvas (HEIGHT×WIDTH, white on black) photographed: HEIGHT×WIDTH×3 uint8.

    Paper and light are `cnnapp.data.camera`'s steps (on a square sheet, their ops are square; cropped to
    4:3); the sensor is CAMERA's ranges by Pillow and numpy, one blur kernel per photo (the camera's `sensor`
    step computes every variant for a batch, 30 times slower on a 320-pixel frame).
    """
    import tensorflow as tf
    from PIL import Image, ImageFilter

    top = (WIDTH - HEIGHT) // 2
    sheet = np.zeros((WIDTH, WIDTH, 1), np.float32)
    sheet[top : top + HEIGHT, :, 0] = canvas
    shot = _shooter()(tf.constant(sheet[None]), tf.constant(seed, tf.int64)).numpy()[0, top : top + HEIGHT]
    image = Image.fromarray(np.clip(np.round(shot), 0, 255).astype(np.uint8))
    if rng.uniform() < 0.7:  # the camera's rule: 7 in 10 photos are out of focus, by up to its blur
        image = image.filter(ImageFilter.GaussianBlur(rng.uniform(0.5, 1.0) * CAMERA["blur"] * WIDTH / 40))
    noisy = np.asarray(image, np.float32) + rng.normal(0, rng.uniform(0, CAMERA["noise"]), shot.shape)
    image = Image.fromarray(np.clip(np.round(noisy), 0, 255).astype(np.uint8))
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=int(rng.integers(CAMERA["jpeg"][0], CAMERA["jpeg"][1] + 1)))
    return np.asarray(Image.open(buffer).convert("RGB"))


@functools.cache
def _shooter():
    import tensorflow as tf

    from cnnapp.data import camera

    cam = camera.Camera(**CAMERA)

    def shoot(sheet, seed):
        s = tf.unstack(tf.random.experimental.stateless_split(seed, 2))
        return camera.light(camera.paper(sheet, cam, s[0]), cam, s[1])

    return tf.function(shoot)


def make_scenes(split: str, count: int, seed: int, layout: str = "spaced", lengths=LENGTHS) -> Scenes:
    """`count` photos of numbers from `split`'s digits only, lengths in turn through `lengths`."""
    if layout not in LAYOUTS:
        from cnnapp import errors

        raise errors.unknown("layout", layout, LAYOUTS)
    images, labels = split_digits(split)
    frames, numbers, boxes, layers = [], [], [], []
    salt = LAYOUTS.index(layout)
    for i in range(count):
        rng = np.random.default_rng([seed, salt, i])
        length = lengths[i % len(lengths)]
        pick = rng.integers(len(images), size=length)
        canvas, box, layer = layout_ink(images[pick], rng, layout)
        frames.append(photograph(canvas, (seed, salt * 100_000 + i), rng))
        numbers.append("".join(str(labels[p]) for p in pick))
        boxes.append(box)
        layers.append(layer)
    return Scenes(np.stack(frames), numbers, boxes, layers, layout, split)
