"""Activation maps: "one filter ⇒ one activation map". For one image, the maps of a named layer (default:
each stage's output) as a grid, the input first, all maps of a layer on one grey scale (so a dead map is
black and the strongest is white), with the layer's shape in the title.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from cnnapp.errors import CnnappError
from cnnapp.explain import figure as fig
from cnnapp.explain import layers as L
from cnnapp.explain.subject import check_images

MAX_CHANNELS = 32


def activation_maps(model, image: np.ndarray, names: list[str]) -> dict[str, np.ndarray]:
    """The maps (H, W, C) of layers `names` for one raw-pixel image."""
    image = check_images(image, tuple(int(d) for d in model.input_shape[1:]))[:1]
    outputs = L.outputs_model(model, names)(image, training=False)
    outputs = outputs if isinstance(outputs, list | tuple) else [outputs]
    return {name: np.asarray(out, np.float32)[0] for name, out in zip(names, outputs, strict=True)}


def check_map_layers(model, names: list[str]) -> list[str]:
    """`names` if each is a layer with spatial maps, else an error listing those that have them."""
    valid = L.spatial_layer_names(model)
    for name in names:
        L.get_layer(model, name, "layer", valid)
        if name not in valid:
            raise CnnappError(
                f"layer {name!r} has no spatial maps (its output is a vector); choose one of: "
                f"{', '.join(valid)}"
            )
    return names


def draw_activations(
    model,
    image: np.ndarray,
    out_dir: str | Path,
    layers: list[str] | None = None,
    channels: int = MAX_CHANNELS,
    title: str | None = None,
) -> list[Path]:
    """`activations-LAYER.png` and `.json` (the maps shown, the layer's shape) per layer."""
    names = check_map_layers(model, layers) if layers else L.stage_outputs(model)
    if not names:
        raise CnnappError(f"model {model.name!r} has no conv layers, so no activation maps")
    maps = activation_maps(model, image, names)
    out_dir = Path(out_dir)
    paths = []
    for name, values in maps.items():
        shown = values[..., :channels]
        tiles = fig.stretch(np.moveaxis(shown, -1, 0))[..., None]
        inp = fig.pixels(image)
        if inp.shape[:2] != tiles.shape[1:3]:  # the input at the maps' size, to keep one tile size
            import tensorflow as tf

            inp = tf.image.resize(inp, tiles.shape[1:3], method="area").numpy()
        if inp.shape[-1] == 3:
            tiles = np.repeat(tiles, 3, axis=-1)
        h, w, c = values.shape
        labels = ["input", *(f"{k}" for k in range(shown.shape[-1]))]
        more = f", first {shown.shape[-1]}" if shown.shape[-1] < c else ""
        heading = f"{title or model.name}: {name} activation maps, {h}×{w}×{c}{more}"
        figure = fig.tile_grid(
            np.concatenate([inp[None], tiles]), heading, labels, max_columns=11, tile_inches=0.9
        )
        paths.append(fig.save_png(figure, out_dir / f"activations-{name}.png"))
        paths.append(
            fig.save_json(
                out_dir / f"activations-{name}.json",
                {
                    "layer": name,
                    "shape": [h, w, c],
                    "channels_shown": shown.shape[-1],
                    "min": values.min(),
                    "max": values.max(),
                    "maps": np.moveaxis(shown, -1, 0),
                },
            )
        )
    return paths
