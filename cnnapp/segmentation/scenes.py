"""The offline segmentation default: scenes of the shipped UCI digits on noise, made from a seed at load time.

Each 64×64 grey scene holds 1–3 digits, each scaled (bilinear) to a random square side of 16–32 px and
placed so that no two digits' squares overlap, on a noise background. A pixel's label is its digit's class
+ 1 where the upscaled digit reaches half its own maximum, else 0 (background): 11 classes. The image blends
noise and digit by the digit's intensity, so faint stroke edges are labelled background and the background
noise must be told from thin strokes. Nothing is stored: the same seed gives the same scenes in any process,
and test scenes use only the digits' test split (no digit seen in training appears in a test scene).
"""

from __future__ import annotations

import dataclasses

import numpy as np

from cnnapp.choices import TEST, TRAIN, VALIDATION

SIZE = 64
DIGITS_PER_SCENE = (1, 3)
DIGIT_SIDE = (16, 32)
FOREGROUND = 0.5  # a pixel is the digit's where the upscaled digit is ≥ this fraction of its maximum
CLASS_NAMES = ("background", *(str(d) for d in range(10)))
# Scenes per split, and which digits' split each draws from. Validation scenes come from the training digits
# (another seed), so the test digits stay unseen until the report.
SPLITS = {TRAIN: (TRAIN, 2000, 1), VALIDATION: (TRAIN, 300, 2), TEST: (TEST, 500, 3)}


@dataclasses.dataclass(frozen=True)
class Scenes:
    """Generated scenes of one split: images (N, 64, 64, 1) float32 in [0, 255], masks (N, 64, 64) int32,
    and per scene the digits' squares as (top, left, side, digit)."""

    images: np.ndarray
    masks: np.ndarray
    boxes: tuple[tuple[tuple[int, int, int, int], ...], ...]


def make_scenes(digits: np.ndarray, labels: np.ndarray, count: int, seed: int) -> Scenes:
    """`count` scenes of the 8×8 `digits` (uint8, 0–255) with their `labels`, deterministic in `seed`."""
    from PIL import Image

    rng = np.random.default_rng(seed)
    images = np.empty((count, SIZE, SIZE, 1), np.float32)
    masks = np.zeros((count, SIZE, SIZE), np.int32)
    boxes = []
    # Noise backgrounds: a random grey level per scene with per-pixel Gaussian noise of a random strength, so
    # no threshold separates digits from background.
    levels, spreads = rng.uniform(20, 110, (count, 1, 1)), rng.uniform(15, 40, (count, 1, 1))
    backgrounds = np.clip(levels + spreads * rng.standard_normal((count, SIZE, SIZE), np.float32), 0, 255)
    for n in range(count):
        image = backgrounds[n]
        placed: list[tuple[int, int, int]] = []
        boxes.append([])
        for _ in range(rng.integers(DIGITS_PER_SCENE[0], DIGITS_PER_SCENE[1] + 1)):
            side = int(rng.integers(DIGIT_SIDE[0], DIGIT_SIDE[1] + 1))
            spot = _free_spot(rng, side, placed)
            if spot is None:  # no room left for a digit of this size: the scene keeps fewer digits
                continue
            top, left = spot
            placed.append((top, left, side))
            index = int(rng.integers(len(digits)))
            boxes[-1].append((top, left, side, int(labels[index])))
            digit = Image.fromarray(digits[index].astype(np.float32), mode="F")
            up = np.asarray(digit.resize((side, side), Image.BILINEAR), np.float32).clip(0, 255)
            alpha = up / 255.0
            window = (slice(top, top + side), slice(left, left + side))
            image[window] = (1 - alpha) * image[window] + alpha * rng.uniform(170, 255)
            masks[n][window] = np.where(up >= FOREGROUND * up.max(), int(labels[index]) + 1, masks[n][window])
        images[n, ..., 0] = image
    return Scenes(images, masks, tuple(tuple(b) for b in boxes))


def _free_spot(rng: np.random.Generator, side: int, placed, tries: int = 50) -> tuple[int, int] | None:
    """A random top-left corner where a side×side square overlaps none of the `placed` squares."""
    top, left = rng.integers(0, SIZE - side + 1, (2, tries))
    free = np.ones(tries, bool)
    for other_top, other_left, other in placed:  # squares overlap when both their rows and columns do
        rows = (top < other_top + other) & (other_top < top + side)
        free &= ~(rows & (left < other_left + other) & (other_left < left + side))
    first = np.flatnonzero(free)
    return (int(top[first[0]]), int(left[first[0]])) if len(first) else None
