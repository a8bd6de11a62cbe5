"""One row per image: the image, a heatmap of what was measured, and the heatmap over the image."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from cnnapp.explain import figure as fig


def draw_rows(
    images: np.ndarray,
    heatmaps: Sequence[np.ndarray],
    extents: Sequence[tuple],
    captions: Sequence[str],
    heading: str,
    colour_label: str,
    vmin: float | None = 0.0,
    vmax: float | None = 1.0,
):
    """A figure with a row per image: image | heatmap (colour bar `colour_label`) | heatmap over the image.

    `extents[i]` = (left, right, bottom, top) in image pixel coordinates where heatmap i's cells lie.
    """
    n = len(images)
    figure = fig.new_figure(8.4, 2.6 * n + 0.4)
    axes = np.atleast_2d(figure.subplots(n, 3, squeeze=False))
    for i in range(n):
        image = fig.pixels(images[i])
        height, width = image.shape[:2]
        fig.show_image(axes[i, 0], image, captions[i], fontsize=9)
        low = vmin if vmin is not None else float(np.min(heatmaps[i]))
        high = vmax if vmax is not None else float(np.max(heatmaps[i]))
        shown = axes[i, 1].imshow(
            heatmaps[i], cmap="jet", vmin=low, vmax=high, extent=extents[i], interpolation="nearest"
        )
        axes[i, 1].set_xlim(-0.5, width - 0.5)
        axes[i, 1].set_ylim(height - 0.5, -0.5)
        axes[i, 1].set_xticks([])
        axes[i, 1].set_yticks([])
        figure.colorbar(shown, ax=axes[i, 1], shrink=0.8, label=colour_label)
        fig.show_image(axes[i, 2], image)
        axes[i, 2].imshow(
            heatmaps[i],
            cmap="jet",
            vmin=low,
            vmax=high,
            extent=extents[i],
            alpha=0.45,
            interpolation="bilinear",
        )
        axes[i, 2].set_xlim(-0.5, width - 0.5)
        axes[i, 2].set_ylim(height - 0.5, -0.5)
    axes[0, 1].set_title("heatmap", fontsize=9)
    axes[0, 2].set_title("over the image", fontsize=9)
    figure.suptitle(heading, fontsize=10)
    return figure
