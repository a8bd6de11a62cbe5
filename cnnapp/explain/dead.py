"""Dead ReLU units: per ReLU layer, the units (and whole channels) no test image makes positive.

A ReLU whose input stays below zero passes no gradient, so a unit dead on every image no longer learns (the
lectures' warning about a too-large learning rate, and one reason for leaky ReLU and ELU). Counted on the
images given (the run's test split by default), at every position of every map.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from cnnapp.explain import figure as fig
from cnnapp.explain import layers as L

RELU_TYPES = ("ReLU", "Relu")


def relu_layers(model) -> list[str]:
    """Layers whose output is a ReLU's: ReLU layers, Activation("relu") and layers built with a relu."""
    names = []
    for layer in model.layers:
        activation = getattr(layer, "activation", None)
        kind = getattr(activation, "__name__", str(activation))
        if type(layer).__name__ in RELU_TYPES or kind == "relu":
            names.append(layer.name)
    return names


def count_dead(model, images: np.ndarray, batch_size: int = 64) -> list[dict]:
    """Per ReLU layer: units and channels never positive on `images` (layer, units, dead_units, ...)."""
    names = relu_layers(model)
    if not names:
        return []
    sub = L.outputs_model(model, names)
    alive = None
    for start in range(0, len(images), batch_size):
        outs = sub(images[start : start + batch_size], training=False)
        outs = outs if isinstance(outs, list | tuple) else [outs]
        batch = [np.any(np.asarray(o) > 0, axis=0) for o in outs]  # per unit: positive on some image
        alive = batch if alive is None else [a | b for a, b in zip(alive, batch, strict=True)]
    rows = []
    for name, ever in zip(names, alive, strict=True):
        channels = ever.reshape(-1, ever.shape[-1]).any(axis=0)
        rows.append({
            "layer": name, "units": int(ever.size), "dead_units": int((~ever).sum()),
            "channels": int(channels.size), "dead_channels": int((~channels).sum()),
        })  # fmt: skip
    return rows


def draw_dead(model, images: np.ndarray, out_dir: str | Path, title: str | None = None) -> list[Path]:
    """`dead-relu.png` (the dead share per layer) and `dead-relu.json` (the counts)."""
    rows = count_dead(model, images)
    out_dir = Path(out_dir)
    data = {"images": int(len(images)), "layers": rows}
    if not rows:
        data["note"] = "no ReLU layers: nothing can die (tanh and sigmoid saturate instead)"
        return [fig.save_json(out_dir / "dead-relu.json", data)]
    import matplotlib

    matplotlib.use("Agg", force=False)
    from matplotlib.figure import Figure

    figure = Figure(figsize=(max(6.0, 0.5 * len(rows) + 2), 4.5), dpi=100, layout="constrained")
    axis = figure.subplots()
    shares = [100 * r["dead_units"] / r["units"] for r in rows]
    bars = axis.bar(range(len(rows)), shares, color="tab:red")
    for bar, r in zip(bars, rows, strict=True):
        axis.annotate(f"{r['dead_units']:,}/{r['units']:,}\n{r['dead_channels']}/{r['channels']} ch",
                      (bar.get_x() + bar.get_width() / 2, bar.get_height()), ha="center", va="bottom",
                      fontsize=7)  # fmt: skip
    axis.set_xticks(range(len(rows)), [r["layer"] for r in rows], rotation=90, fontsize=8)
    axis.set_ylabel("dead units, % (never positive)")
    axis.set_ylim(0, max(10.0, max(shares) * 1.3))
    axis.set_title(f"{title or model.name}: dead ReLU units on {len(images)} test images")
    return [fig.save_png(figure, out_dir / "dead-relu.png"), fig.save_json(out_dir / "dead-relu.json", data)]
