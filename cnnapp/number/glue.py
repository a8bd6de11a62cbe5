"""The glue between the ink map and the classifier: marks → digits → crops, left to right.

    frame = fit_frame(rgb)                     # any size → HEIGHT×WIDTH×3 (4:3), padded with the paper
    digits = read_digits(ink, classify, 40)    # ink: HEIGHT×WIDTH in [0, 1], the ink map's ink mask;
                                               # [(piece, label, score)] left to right, classify(40×40 crop)

Written twice, here and in `cnnapp/web/page/number.js` (the demo page), step for step with the same
constants; the browser test reads the same photos with both and compares the answers.

1. Marks: pixels of ink ≥ THRESHOLD, joined 8-connected; marks under MIN_AREA pixels are noise.
2. Pieces of one digit: marks whose columns overlap by MERGE_OVERLAP of the narrower are one digit (a broken
   stroke, the dot over a 5's bar), and so are marks one above the other (their rows overlap by at most
   STACKED of the shorter's height) whose columns meet: the two halves of a stroke broken on a slant;
   then marks far smaller than the largest (under SMALL_HEIGHT of the tallest's height or SMALL_AREA of its
   area) are dropped: specks, dust.
3. More than MAX_DIGITS left is not a number (a page of text, a texture).
4. Touching digits, cut where the classifier reads the pieces best: a mark wider than SPLIT_ASPECT × its
   height is cut at some of its candidate columns — each column with the least ink within CUT_WINDOW of
   the height either side (the first of a run of equal ones) — into pieces PIECE_MIN to PIECE_MAX of the
   height wide (the whole mark, up to MAX_ASPECT wide, is one of the choices: a wide 0), and of all the
   ways to cut it the one whose pieces' scores have the highest product is kept, a piece read as `none`
   counted as a score of NONE_SCORE (a dynamic programme over the candidate columns, left to right; ties
   keep the earlier cut). A mark no such cut fits is read whole.
5. Order: left to right by the centre of each digit's box.
6. Crop: the digit's own ink (and the faint unjoined ink round it) in its box, scaled so its longer side is
   20/28 of the square and centred on its centre of mass — how MNIST framed its digits — and resampled to
   the classifier's input by area.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from cnnapp.deploy.refusal import NONE  # the classifier's refusal class
from cnnapp.number.inkmap import HEIGHT, WIDTH

THRESHOLD = 0.35
MIN_AREA = 12
MERGE_OVERLAP = 0.5
STACKED = 0.25
SMALL_HEIGHT = 0.3
SMALL_AREA = 0.04
MAX_DIGITS = 12
SPLIT_ASPECT = 1.0
MAX_ASPECT = 1.5
PIECE_MIN = 0.25
PIECE_MAX = 1.05
CUT_WINDOW = 0.05
NONE_SCORE = 0.05
BOX = 20 / 28  # MNIST: a digit's longer side in its 28×28 field


class NotANumber(Exception):
    """More marks than a number has."""

    def __init__(self, count: int):
        super().__init__(f"{count} marks")
        self.count = count


@dataclasses.dataclass
class Piece:
    """One digit in the frame: its box (x1, y1 exclusive), the marks it is made of and its columns."""

    x0: int
    y0: int
    x1: int
    y1: int
    marks: tuple[int, ...]
    area: int


def fit_frame(image: np.ndarray) -> np.ndarray:
    """An H×W×{1,3,4} uint8 image → HEIGHT×WIDTH×3: padded to 4:3 with the mean colour of its border
    (the paper, for a photo of a page), then resized (bilinear); alpha is dropped, grey repeated."""
    from PIL import Image

    if image.ndim == 2:
        image = image[..., None]
    image = image[..., :3] if image.shape[-1] >= 3 else np.repeat(image[..., :1], 3, axis=-1)
    h, w = image.shape[:2]
    border = np.concatenate([image[0], image[-1], image[:, 0], image[:, -1]]).astype(np.float64)
    fill = np.round(border.mean(0)).astype(np.uint8)
    target_w, target_h = max(w, round(h * WIDTH / HEIGHT)), max(h, round(w * HEIGHT / WIDTH))
    canvas = np.empty((target_h, target_w, 3), np.uint8)
    canvas[:] = fill
    top, left = (target_h - h) // 2, (target_w - w) // 2
    canvas[top : top + h, left : left + w] = image
    if canvas.shape[:2] == (HEIGHT, WIDTH):
        return canvas
    return np.asarray(Image.fromarray(canvas).resize((WIDTH, HEIGHT), Image.Resampling.BILINEAR))


def _marks(ink: np.ndarray):
    from scipy import ndimage

    labels, count = ndimage.label(ink >= THRESHOLD, structure=np.ones((3, 3), bool))
    areas = np.bincount(labels.ravel(), minlength=count + 1)
    marks = []
    for index, where in enumerate(ndimage.find_objects(labels), start=1):
        if areas[index] >= MIN_AREA:
            rows, cols = where
            marks.append(Piece(cols.start, rows.start, cols.stop, rows.stop, (index,), int(areas[index])))
    return labels, marks


def _join(a: Piece, b: Piece) -> Piece:
    return Piece(
        min(a.x0, b.x0), min(a.y0, b.y0), max(a.x1, b.x1), max(a.y1, b.y1), a.marks + b.marks, a.area + b.area
    )


def _merge(marks: list[Piece]) -> list[Piece]:
    merged = True
    while merged:
        merged = False
        marks.sort(key=lambda p: (p.x0, p.y0))
        for i in range(len(marks)):
            for j in range(i + 1, len(marks)):
                a, b = marks[i], marks[j]
                overlap = min(a.x1, b.x1) - max(a.x0, b.x0)
                rows = min(a.y1, b.y1) - max(a.y0, b.y0)
                stacked = overlap >= 0 and rows <= STACKED * min(a.y1 - a.y0, b.y1 - b.y0)
                if overlap >= MERGE_OVERLAP * min(a.x1 - a.x0, b.x1 - b.x0) or stacked:
                    marks[i] = _join(a, b)
                    del marks[j]
                    merged = True
                    break
            if merged:
                break
    return marks


def _cut(piece: Piece, own: np.ndarray, a: int, b: int) -> Piece | None:
    """Columns a:b of a mark (own: its ink in its box) as a piece, its box shrunk to its rows of ink."""
    rows = np.flatnonzero(own[:, a:b].any(1))
    if len(rows) == 0:
        return None
    area = int(own[:, a:b].sum())
    return Piece(piece.x0 + a, piece.y0 + rows[0], piece.x0 + b, piece.y0 + rows[-1] + 1, piece.marks, area)


def _cut_columns(columns: np.ndarray, height: int) -> list[int]:
    """0, the candidate cut columns (step 4), and the width."""
    reach = max(1, round(CUT_WINDOW * height))
    width = len(columns)
    cuts = [0]
    for x in range(1, width):
        least = columns[max(0, x - reach) : x + reach + 1].min()
        if columns[x] == least and (columns[x] < columns[x - 1] or x - cuts[-1] > reach):
            cuts.append(x)
    return cuts + [width]


def _split(piece: Piece, ink: np.ndarray, labels: np.ndarray, classify, size: int):
    """The pieces of a wide mark (step 4) as [(piece, label, score)], or None when no cut fits."""
    import math

    height = piece.y1 - piece.y0
    own = np.isin(labels[piece.y0 : piece.y1, piece.x0 : piece.x1], piece.marks)
    cuts = _cut_columns(own.sum(0), height)
    last = len(cuts) - 1
    best: list[tuple[float, list] | None] = [(0.0, [])] + [None] * last  # the best reading of [0, cuts[j])
    for j in range(1, last + 1):
        for i in range(j):
            width = cuts[j] - cuts[i]
            widest = MAX_ASPECT if (i, j) == (0, last) else PIECE_MAX
            if best[i] is None or not PIECE_MIN * height <= width <= widest * height:
                continue
            cut = _cut(piece, own, cuts[i], cuts[j])
            if cut is None:
                continue
            label, score = classify(crop(ink, labels, cut, size))
            total = best[i][0] + math.log(max(NONE_SCORE if label == NONE else score, 1e-6))
            if best[j] is None or total > best[j][0]:
                best[j] = (total, best[i][1] + [(cut, label, score)])
    return None if best[last] is None else best[last][1]


def find_marks(ink: np.ndarray) -> tuple[np.ndarray, list[Piece]]:
    """The marks of digits in an ink mask (HEIGHT×WIDTH, 0–1): (mark labels, marks), steps 1–3.

    Raises:
        NotANumber: more than MAX_DIGITS marks.
    """
    labels, marks = _marks(ink)
    groups = _merge(marks)
    if groups:
        tallest = max(g.y1 - g.y0 for g in groups)
        largest = max(g.area for g in groups)
        groups = [
            g for g in groups if g.y1 - g.y0 >= SMALL_HEIGHT * tallest and g.area >= SMALL_AREA * largest
        ]
    if len(groups) > MAX_DIGITS:
        raise NotANumber(len(groups))
    return labels, groups


def read_digits(ink: np.ndarray, classify, size: int) -> list[tuple[Piece, str, float]]:
    """The digits of an ink mask, left to right, each (piece, label, score) by `classify(crop) -> (label,
    score)` on size×size crops.

    Raises:
        NotANumber: more than MAX_DIGITS digits.
    """
    labels, groups = find_marks(ink)
    found = []
    for group in groups:
        pieces = None
        if group.x1 - group.x0 > SPLIT_ASPECT * (group.y1 - group.y0):
            pieces = _split(group, ink, labels, classify, size)
        found += pieces or [(group, *classify(crop(ink, labels, group, size)))]
    if len(found) > MAX_DIGITS:
        raise NotANumber(len(found))
    found.sort(key=lambda f: f[0].x0 + f[0].x1)
    return found


def _area_weights(size: int, length: int, offset: float, scale: float) -> np.ndarray:
    """[size, length]: how much of output pixel u source pixel c covers, the source placed at `offset` in a
    canvas of `size * scale` units (normalised per output pixel)."""
    u = np.arange(size)[:, None] * scale
    c = np.arange(length)[None, :] + offset
    return np.clip(np.minimum(u + scale, c + 1) - np.maximum(u, c), 0, None) / scale


def crop(ink: np.ndarray, labels: np.ndarray, piece: Piece, size: int) -> np.ndarray:
    """size×size float32 (0–255): the piece's ink, MNIST-framed (above)."""
    box = (slice(piece.y0, piece.y1), slice(piece.x0, piece.x1))
    own = labels[box]
    values = ink[box] * ((own == 0) | np.isin(own, piece.marks))
    h, w = values.shape
    total = values.sum()
    rows, cols = np.arange(h) + 0.5, np.arange(w) + 0.5
    cy = (values.sum(1) @ rows) / total if total > 0 else h / 2
    cx = (values.sum(0) @ cols) / total if total > 0 else w / 2
    side = max(h, w) / BOX
    scale = side / size
    wy = _area_weights(size, h, side / 2 - cy, scale)
    wx = _area_weights(size, w, side / 2 - cx, scale)
    return (wy @ values @ wx.T * 255.0).astype(np.float32)
