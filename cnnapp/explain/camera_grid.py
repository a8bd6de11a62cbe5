"""The camera steps seen: a grid of a run's augmented training images, as photos and through the ink front.

    draw_camera_grid(run, Path("runs/lenet5-phone/figures/camera.png"))

Drawn for a run whose recipe names camera steps (cnnapp.data.camera): 32 training digits made into photos by
the run's own steps and seed (the `negatives` share among them, titled `none`), each above what the network
sees after the ink front. `camera.json` beside it lists the labels shown.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from cnnapp import atomic
from cnnapp.choices import TRAIN
from cnnapp.explain import figure as fig

COUNT = 32
COLUMNS = 8


def camera_steps(run) -> tuple[str, ...]:
    """The camera steps a run's recipe names (empty: no camera)."""
    from cnnapp.data import camera  # deferred: cnnapp.data.camera imports TensorFlow

    return tuple(name for name in run.recipe.data.pipeline.augment if name in camera.CAMERA_STEPS)


def draw_camera_grid(run, path: Path) -> Path:
    """Draw the grid for `run` (a `runs.Run` with camera steps) into `path` (PNG) and its labels as JSON."""
    import tensorflow as tf

    # deferred: cnnapp.data.camera imports TensorFlow
    from cnnapp.data import camera, evaluation_pipeline, load_dataset

    config = run.recipe.data.pipeline
    raw = config.__class__(**{**config.__dict__, "front": "none", "augment": ()})
    ds = load_dataset(run.recipe.data.dataset, run.recipe.data.data_dir or None).split(TRAIN).take(COUNT)
    images, labels = next(iter(evaluation_pipeline(ds, raw, COUNT)))
    seed = tf.constant([run.recipe.train.seed, 0], tf.int64)
    frames, shown = camera.augment_batch(
        images, labels, camera_steps(run), config.negatives, config.none_label, seed
    )
    seen = camera.front(frames).numpy()[..., 0]
    frames, shown = frames.numpy(), shown.numpy()
    names = run.meta["class_names"]
    rows = 2 * int(np.ceil(len(frames) / COLUMNS))
    figure = fig.new_figure(COLUMNS * 1.1, rows * 1.15)
    axes = figure.subplots(rows, COLUMNS)
    for i in range(len(frames)):
        row, column = 2 * (i // COLUMNS), i % COLUMNS
        top, bottom = axes[row, column], axes[row + 1, column]
        top.imshow(frames[i].astype(np.uint8))
        top.set_title(names[int(shown[i])], fontsize=8)
        bottom.imshow(seen[i], cmap="gray", vmin=0, vmax=255)
    for ax in axes.flat:
        ax.set_axis_off()
    figure.suptitle(
        f"{run.recipe.name}: camera photos (odd rows) and the ink front's view (even rows)", fontsize=9
    )
    fig.save_png(figure, path)
    atomic.write_json(path.with_suffix(".json"), {"steps": list(camera_steps(run)), "labels": shown.tolist()})
    return path
