"""What the first layer learned: conv filters as a grid of small images (AlexNet's Fig. 3), and for the
lectures' `linear` and `mlp` baselines, each class's (or hidden unit's) weights as a whole-image template.

Every tile is contrast-stretched on its own (its min → black, its max → white; colour filters over their
three channels together, so the hue is kept), since filters differ in scale. The weights act on the
*normalized* image (the `normalization` layer precedes them), so a template shows what it weighs, not pixels.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from cnnapp import compat
from cnnapp.errors import CnnappError
from cnnapp.explain import figure as fig
from cnnapp.explain import layers as L


def kernel(layer) -> np.ndarray:
    """A conv layer's kernel (kh, kw, in, out); cnnapp's partial conv as a dense kernel (0: no link)."""
    if hasattr(layer, "dense_kernel"):
        return np.asarray(layer.dense_kernel())
    return np.asarray(layer.kernel)


def filter_tiles(layer) -> np.ndarray:
    """The filters of a conv layer reading a 1- or 3-channel image: [out, kh, kw, in], each in [0, 1]."""
    weights = kernel(layer)
    if weights.ndim != 4 or weights.shape[2] not in (1, 3):
        raise CnnappError(
            f"layer {layer.name!r} reads {weights.shape[2]} maps, not the image's 1 or 3 channels, so its "
            f"filters are not pictures; ask for a conv layer that reads the image"
        )
    tiles = np.moveaxis(weights, -1, 0)  # (out, kh, kw, in)
    return fig.stretch(tiles, axes=(1, 2, 3))


def _reads_image(model, layer) -> bool:
    """Whether `layer` sees the image: reads the input, its normalization, or a flatten/padding of those."""
    passthrough = {"InputLayer", "Normalization", "Flatten", "ZeroPadding2D", "Rescaling"}
    node = layer
    while True:
        parents = compat.parent_layers(node)
        if not parents:
            return type(node).__name__ == "InputLayer"
        if len(parents) != 1 or type(parents[0]).__name__ not in passthrough:
            return False
        if type(parents[0]).__name__ == "InputLayer":
            return True
        node = parents[0]


def template_tiles(layer, input_shape) -> np.ndarray:
    """A dense layer reading the flattened image, one template per unit: [units, H, W, C] in [0, 1]."""
    weights = np.asarray(layer.kernel)
    if weights.shape[0] != int(np.prod(input_shape)):
        raise CnnappError(f"dense layer {layer.name!r} does not read the flattened image")
    tiles = weights.T.reshape((-1, *input_shape))  # Flatten is row-major over (H, W, C)
    return fig.stretch(tiles, axes=(1, 2, 3))


def first_layers(model) -> list:
    """The layers whose weights face the image: the first conv layer (both of AlexNet's towers), or for a
    network without conv layers, the first dense layer (a template per unit)."""
    convs = L.conv_layers(model)
    if convs:
        return L.towers(model, convs[0])
    dense = [layer for layer in model.layers if type(layer).__name__ == "Dense"]
    if not dense:
        raise CnnappError(f"model {model.name!r} has neither conv nor dense layers to draw")
    return [dense[0]]


def filter_layers(model, name: str | None) -> list:
    """The layers to draw for `--layer name` (default: `first_layers`), checked."""
    if name is None:
        return first_layers(model)
    drawable = [layer.name for layer in model.layers if L.is_conv(layer) or _is_image_dense(model, layer)]
    layer = L.get_layer(model, name, "layer", drawable)
    if L.is_conv(layer):
        return [layer]
    if type(layer).__name__ == "Dense":
        if _is_image_dense(model, layer):
            return [layer]
        raise CnnappError(
            f"{name!r} is a dense layer reading {int(np.asarray(layer.kernel).shape[0])} features, not "
            f"the image: it has no filters to draw; choose one of: {', '.join(drawable)}"
        )
    raise CnnappError(
        f"layer {name!r} ({type(layer).__name__}) has no filters; choose one of: {', '.join(drawable)}"
    )


def _is_image_dense(model, layer) -> bool:
    return type(layer).__name__ == "Dense" and _reads_image(model, layer)


def tiles_of(model, layer) -> tuple[np.ndarray, str]:
    """(tiles, what they are) for one drawable layer."""
    if L.is_conv(layer):
        tiles = filter_tiles(layer)
        k = tiles.shape[1:3]
        return tiles, f"{len(tiles)} filters of {k[0]}×{k[1]}×{tiles.shape[-1]}"
    shape = tuple(int(d) for d in model.input_shape[1:])
    tiles = template_tiles(layer, shape)
    what = "class templates" if layer.name == "predictions" else "hidden-unit templates"
    return tiles, f"{len(tiles)} {what} of {shape[0]}×{shape[1]}×{shape[2]}"


def draw_filters(
    model, out_dir: str | Path, layer: str | None = None, class_names=None, title: str | None = None
) -> list[Path]:
    """`filters-LAYER.png` and `.json` (the tiles, stretched, and the raw weights' range) per layer."""
    out_dir = Path(out_dir)
    paths = []
    for target in filter_layers(model, layer):
        tiles, what = tiles_of(model, target)
        labels = None
        if target.name == "predictions" and class_names is not None and len(class_names) == len(tiles):
            labels = [str(c) for c in class_names]
        tile_inches = 0.45 if tiles.shape[1] <= 11 and len(tiles) > 16 else 0.9
        figure = fig.tile_grid(
            tiles,
            f"{title or model.name}: {target.name}, {what}",
            labels,
            max_columns=16,
            tile_inches=tile_inches,
        )
        raw = kernel(target) if L.is_conv(target) else np.asarray(target.kernel)
        paths.append(fig.save_png(figure, out_dir / f"filters-{target.name}.png"))
        paths.append(
            fig.save_json(
                out_dir / f"filters-{target.name}.json",
                {
                    "layer": target.name,
                    "what": what,
                    "weight_min": raw.min(),
                    "weight_max": raw.max(),
                    "tile_shape": list(tiles.shape[1:]),
                    "tiles": tiles,
                },
            )
        )
    return paths
