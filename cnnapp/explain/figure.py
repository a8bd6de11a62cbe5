"""Figures that read the same every time: matplotlib's Agg renderer, fixed PNG metadata, atomic writes.

Every figure `NAME.png` is written with the numbers behind it beside it (`NAME.csv` or `NAME.json`), so a
reader can check a picture against its data and a test can check the data.
"""

from __future__ import annotations

import csv
import io
import math
import os
import textwrap
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np

from cnnapp import atomic

DPI = 100


def new_figure(width: float, height: float, layout: str | None = "constrained"):
    """A matplotlib `Figure` (no pyplot state: nothing is shown, nothing leaks between figures).

    Grids of many small images pass `layout=None` and place their tiles themselves: the constrained layout
    measures every tick and title, which costs seconds for a hundred tiles.
    """
    import matplotlib

    matplotlib.use("Agg", force=False)
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), dpi=DPI, layout=layout)


def save_png(figure, path: str | os.PathLike) -> Path:
    """Write `figure` as PNG, atomically; no Software/date metadata, so equal figures are equal bytes."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", metadata={"Software": None})
    atomic.write_bytes(path, buffer.getvalue())
    return Path(path)


def save_csv(path: str | os.PathLike, header: Sequence[str], rows: Iterable[Sequence]) -> Path:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows([_cell(v) for v in row] for row in rows)
    atomic.write_text(path, buffer.getvalue())
    return Path(path)


def save_json(path: str | os.PathLike, value: object) -> Path:
    atomic.write_json(path, _plain(value))
    return Path(path)


def _cell(value):
    if isinstance(value, float | np.floating):
        return f"{float(value):.6g}"
    return value


def _plain(value):
    """JSON-ready: numpy arrays and scalars as lists and numbers (floats to 6 significant digits)."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, np.ndarray):
        return _plain(value.tolist())
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        value = float(value)
        if not math.isfinite(value):
            return None  # JSON has no NaN: a missing value
        return float(f"{value:.6g}")
    if isinstance(value, Path):
        return str(value)
    return value


def stretch(values: np.ndarray, axes: tuple[int, ...] | None = None) -> np.ndarray:
    """Contrast stretch to [0, 1] over `axes` (all by default): min → 0, max → 1; a constant array → 0.5."""
    values = np.asarray(values, np.float64)
    low = values.min(axis=axes, keepdims=True)
    high = values.max(axis=axes, keepdims=True)
    span = high - low
    safe = np.where(span > 0, span, 1.0)
    return np.where(span > 0, (values - low) / safe, 0.5).astype(np.float32)


def grid_shape(n: int, max_columns: int = 16) -> tuple[int, int]:
    """(rows, columns) of a near-square grid holding n tiles, at most `max_columns` wide."""
    columns = min(max_columns, max(1, math.ceil(math.sqrt(n))))
    return math.ceil(n / columns), columns


def show_image(axis, image: np.ndarray, title: str | None = None, fontsize: int = 8, **kwargs) -> None:
    """Draw an H×W×C image (C = 1 grey, C = 3 colour; values in [0, 1]) without ticks."""
    image = np.asarray(image)
    if image.ndim == 3 and image.shape[-1] == 1:
        image = image[..., 0]
    if image.ndim == 2:
        kwargs.setdefault("cmap", "gray")
        kwargs.setdefault("vmin", 0.0)
        kwargs.setdefault("vmax", 1.0)
    axis.imshow(np.clip(image, 0.0, 1.0) if image.ndim == 3 else image, interpolation="nearest", **kwargs)
    axis.set_xticks([])
    axis.set_yticks([])
    if title:
        axis.set_title(title, fontsize=fontsize)


def mosaic(tiles: np.ndarray, columns: int, gap: int, band: int) -> np.ndarray:
    """Tiles [N, H, W, C] in [0, 1] laid out `columns` wide on white, `gap` px apart, `band` px above each
    row for labels: one RGB image, so a grid of a hundred tiles is one picture to draw, not a hundred axes."""
    n, h, w, c = tiles.shape
    rows = -(-n // columns)
    canvas = np.ones((rows * (h + gap + band) + gap, columns * (w + gap) + gap, 3), np.float32)
    rgb = tiles if c == 3 else np.repeat(tiles[..., :1], 3, axis=-1)
    for i in range(n):
        r, k = divmod(i, columns)
        top, left = gap + band + r * (h + gap + band), gap + k * (w + gap)
        canvas[top : top + h, left : left + w] = rgb[i]
    return canvas


def tile_grid(
    tiles: np.ndarray,
    title: str,
    labels: Sequence[str] | None = None,
    max_columns: int = 16,
    tile_inches: float = 0.6,
):
    """A figure with one image per tile ([N, H, W, C] in [0, 1], grey or RGB), in a near-square grid,
    each tile's label above it."""
    n, h, w, _ = tiles.shape
    rows, columns = grid_shape(n, max_columns)
    lines = max((label.count("\n") + 1 for label in labels), default=0) if labels else 0
    gap = max(1, round(0.08 * max(h, w)))
    band = round(h * 0.2 * lines / tile_inches) if lines else 0  # ~0.2 in of text per line
    canvas = mosaic(tiles, columns, gap, band)
    scale = tile_inches / w  # inches per pixel
    width, height = canvas.shape[1] * scale, canvas.shape[0] * scale
    fig_w = max(width, 3.0) + 0.2
    # ~12 characters an inch at 10 pt: a long title (LeNet-5's C1 grid is 3 in wide) wraps instead of clipping
    title = textwrap.fill(title, width=max(20, int(fig_w * 12)))
    fig_h = height + 0.32 + 0.18 * (title.count("\n") + 1)
    figure = new_figure(fig_w, fig_h, layout=None)
    axis = figure.add_axes(((fig_w - width) / 2 / fig_w, 0.05 / fig_h, width / fig_w, height / fig_h))
    axis.imshow(canvas, interpolation="nearest")
    axis.set_axis_off()
    if labels:
        for i, label in enumerate(labels[:n]):
            r, k = divmod(i, columns)
            x = gap + k * (w + gap) + w / 2 - 0.5
            y = gap + band + r * (h + gap + band) - 0.5 - gap / 2
            axis.text(x, y, label, ha="center", va="bottom", fontsize=6)
    figure.suptitle(title, fontsize=10, y=1 - 0.05 / fig_h, va="top")
    return figure


def pixels(image: np.ndarray) -> np.ndarray:
    """Raw pixels in [0, 255] as display values in [0, 1]."""
    return np.clip(np.asarray(image, np.float32) / 255.0, 0.0, 1.0)
