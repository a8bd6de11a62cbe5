"""What a unit responds to, Zeiler & Fergus style without deconvnets: for each of a layer's first channels,
the test images whose maps reach the highest values, cropped to the receptive field of the unit that did.

Each image counts once per channel (at its strongest unit); ties go to the earlier image. A crop is the unit's
whole field (`fields.Field`), drawn on a grey canvas of the field's size where it reaches past the image edge.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np

from cnnapp.explain import fields
from cnnapp.explain import figure as fig
from cnnapp.explain import layers as L
from cnnapp.explain.activations import check_map_layers
from cnnapp.explain.subject import check_images

TOP = 9
CHANNELS = 8


@dataclasses.dataclass(frozen=True)
class Hit:
    """One of a channel's strongest responses: image index, unit (row, col), value, clipped field box."""

    image: int
    row: int
    col: int
    value: float
    box: tuple[int, int, int, int]


def default_layers(model) -> list[str]:
    """The last stage's conv (both towers for AlexNet), before its activation: a tanh's outputs saturate
    (LeNet-5's C3 after the scaled tanh put every top patch at 1.70-1.72), while the pre-activation keeps the
    same order and still tells the strongest images apart. A conv with a built-in activation is itself."""
    last = L.stage_outputs(model)[-1:]
    if not last:
        return []
    convs = [c for c in L.conv_layers(model) if L.stage_output(model, c)[-1:] == last]
    return [layer.name for layer in L.towers(model, convs[-1])] if convs else last


def top_patches(
    model, layer: str, images: np.ndarray, channels: int = CHANNELS, top: int = TOP, batch_size: int = 64
) -> tuple[fields.Field, list[list[Hit]]]:
    """The field of `layer` and, for each of its first `channels` channels, its `top` strongest images."""
    check_map_layers(model, [layer])
    images = check_images(images, tuple(int(d) for d in model.input_shape[1:]))
    field = fields.field_of(model, layer)
    sub = L.outputs_model(model, [layer])
    values, positions = [], []
    for start in range(0, len(images), batch_size):
        maps = np.asarray(sub(images[start : start + batch_size], training=False), np.float32)
        maps = maps[..., :channels]
        flat = maps.reshape(len(maps), -1, maps.shape[-1])  # [B, H·W, C]
        where = np.argmax(flat, axis=1)  # the first strongest unit of each image and channel
        values.append(np.take_along_axis(flat, where[:, None, :], axis=1)[:, 0])
        positions.append(where)
        width = maps.shape[2]
    values, positions = np.concatenate(values), np.concatenate(positions)
    hits = []
    size = images.shape[1:3]
    for c in range(values.shape[1]):
        order = np.lexsort((np.arange(len(values)), -values[:, c]))[:top]
        channel = []
        for i in order:
            row, col = divmod(int(positions[i, c]), width)
            channel.append(Hit(int(i), row, col, float(values[i, c]), field.box(row, col, size)))
        hits.append(channel)
    return field, hits


def crop(image: np.ndarray, field: fields.Field, hit: Hit) -> np.ndarray:
    """The field of `hit`'s unit on a grey canvas of the field's size, in display values [0, 1]."""
    top, left, _, _ = field.span(hit.row, hit.col)
    y0, x0, y1, x1 = hit.box
    canvas = np.full((*field.size, image.shape[-1]), 0.5, np.float32)
    canvas[y0 - top : y1 - top, x0 - left : x1 - left] = fig.pixels(image[y0:y1, x0:x1])
    return canvas


def draw_patches(
    model,
    layer: str,
    images: np.ndarray,
    out_dir: str | Path,
    channels: int = CHANNELS,
    title: str | None = None,
) -> list[Path]:
    """`patches-LAYER.png` (a row per channel, its top 9 crops) and `patches-LAYER.json` (the hits)."""
    field, hits = top_patches(model, layer, images, channels)
    tiles, labels = [], []
    for c, channel in enumerate(hits):
        for k, hit in enumerate(channel):
            tiles.append(crop(images[hit.image], field, hit))
            labels.append(f"ch {c}: {hit.value:.3g}" if k == 0 else f"{hit.value:.3g}")
        for _ in range(TOP - len(channel)):  # fewer images than TOP
            tiles.append(np.full_like(tiles[-1], 0.5))
            labels.append("")
    heading = (
        f"{title or model.name}: {layer}, top {TOP} test images per channel, cropped to the "
        f"{field.size[0]}×{field.size[1]} receptive field (stride {field.stride[0]})"
    )
    figure = fig.tile_grid(np.stack(tiles), heading, labels, max_columns=TOP, tile_inches=0.8)
    out_dir = Path(out_dir)
    data = {
        "layer": layer,
        "field": dataclasses.asdict(field),
        "channels": [[dataclasses.asdict(h) for h in channel] for channel in hits],
    }
    return [
        fig.save_png(figure, out_dir / f"patches-{layer}.png"),
        fig.save_json(out_dir / f"patches-{layer}.json", data),
    ]
