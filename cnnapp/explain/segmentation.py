"""A segmenter's figure: each test image beside its true mask and the predicted mask, with per-image pixel
accuracy (`segmentation.png` + `segmentation.json`); `write_segmentation_figures` draws it (and the training
curves) at the end of a segmentation run, in place of the classifier's error analysis."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from cnnapp.explain import figure as fig
from cnnapp.explain.run_figures import figures_dir, write_run_figures
from cnnapp.runs import load_run
from cnnapp.segmentation import VOID

FIGURE_EXAMPLES = 6


def write_segmentation_figures(run_path: str | Path) -> list[Path]:
    """RUN/figures/: the training curves and `segmentation.png` of the first test images."""
    from cnnapp import tasks  # deferred: cnnapp.tasks imports Keras
    from cnnapp.tasks.segmentation import predict_masks  # deferred: cnnapp.tasks.segmentation imports Keras

    paths = write_run_figures(run_path, errors=False)
    run = load_run(run_path)
    task = tasks.of(run.meta)
    which = (run.report or {}).get("checkpoint", "best")
    test = task.load_data(run.recipe).test.take(FIGURE_EXAMPLES)
    batch = next(predict_masks(run.model(which), task.evaluation_batches(test, run.recipe, FIGURE_EXAMPLES)))
    out = figures_dir(run.path) / "segmentation.png"
    return [*paths, *draw_segmentation(*batch, run.meta.class_names, out)]


def draw_segmentation(
    images: np.ndarray, truth: np.ndarray, predicted: np.ndarray, class_names: Sequence[str], path: str | Path
) -> list[Path]:
    """Rows of image / true mask / predicted mask (one colour per class, void black); returns the files.

    Args:
        images: (N, H, W, C) raw pixels in [0, 255].
        truth: (N, H, W) class indices, VOID for unlabelled pixels.
        predicted: (N, H, W) predicted class indices.
        class_names: one name per class, for the legend.
        path: where the PNG goes (its JSON beside it).
    """
    path = Path(path)
    colours = _palette(len(class_names))
    figure = fig.new_figure(3 * 1.6, len(images) * 1.6 + 0.6)
    axes = figure.subplots(len(images), 3, squeeze=False)
    rows = []
    for i, (image, true_mask, mask) in enumerate(zip(images, truth, predicted, strict=True)):
        labelled = true_mask != VOID
        accuracy = float(np.mean(mask[labelled] == true_mask[labelled])) if labelled.any() else float("nan")
        rows.append({"index": i, "pixel_accuracy": accuracy})
        fig.show_image(axes[i, 0], fig.pixels(image), "image" if i == 0 else None)
        fig.show_image(axes[i, 1], _colour(true_mask, colours), "true mask" if i == 0 else None)
        fig.show_image(axes[i, 2], _colour(mask, colours), f"predicted ({accuracy:.0%})")
    handles = [_patch(colours[c], name) for c, name in enumerate(class_names)]
    figure.legend(handles=handles, loc="outside lower center", ncol=min(6, len(class_names)), fontsize=6)
    return [fig.save_png(figure, path), fig.save_json(path.with_suffix(".json"), {"images": rows})]


def _palette(n: int) -> np.ndarray:
    """n distinguishable RGB colours in [0, 1]; class 0 (background) dark grey."""
    import matplotlib

    colours = np.asarray([matplotlib.colormaps["tab20"](i % 20)[:3] for i in range(n)])
    colours[0] = (0.25, 0.25, 0.25)
    return colours


def _colour(mask: np.ndarray, colours: np.ndarray) -> np.ndarray:
    out = np.zeros((*mask.shape, 3))
    known = mask != VOID
    out[known] = colours[np.clip(mask[known], 0, len(colours) - 1)]
    return out


def _patch(colour, name: str):
    from matplotlib.patches import Patch

    return Patch(color=tuple(colour), label=name)
