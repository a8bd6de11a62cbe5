"""What a run's batch augmentations do to its training images: `figures/augmentations.png` (+ `.json`).

One row of training images as the network sees them without augmentation, then a row per batch augmentation
the recipe has on (RandAugment or AugMix, random erasing, MixUp, CutMix), each with the recipe's values and
the random numbers of the run's first step. Under a mixed image: the weight its own label keeps (1 − the
weight of the image mixed in), which for CutMix is the share of the image that stays its own.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np

from cnnapp import data as cdata
from cnnapp.choices import TRAIN
from cnnapp.explain import figure as fig

COUNT = 8  # images in a row


def rows_of(cfg) -> list[tuple[str, object]]:
    """(title, a [batch_augment] with only that augmentation on) for each one the recipe has on."""
    off = dataclasses.replace(
        cfg, randaugment_ops=0, augmix=False, random_erasing=0.0, mixup_alpha=0.0, cutmix_alpha=0.0
    )
    rows = []
    if cfg.randaugment_ops:
        title = f"RandAugment ({cfg.randaugment_ops} ops, factor {cfg.randaugment_factor:g})"
        rows.append((title, dataclasses.replace(off, randaugment_ops=cfg.randaugment_ops)))
    if cfg.augmix:
        rows.append(("AugMix", dataclasses.replace(off, augmix=True)))
    if cfg.random_erasing:
        title = f"random erasing (p = {cfg.random_erasing:g})"
        rows.append((title, dataclasses.replace(off, random_erasing=cfg.random_erasing)))
    if cfg.mixup_alpha:
        rows.append(
            (f"MixUp (α = {cfg.mixup_alpha:g})", dataclasses.replace(off, mixup_alpha=cfg.mixup_alpha))
        )
    if cfg.cutmix_alpha:
        title = f"CutMix (α = {cfg.cutmix_alpha:g})"
        rows.append((title, dataclasses.replace(off, cutmix_alpha=cfg.cutmix_alpha)))
    return rows


def augmented_rows(images: np.ndarray, cfg, seed: int) -> list[tuple[str, np.ndarray, list | None]]:
    """(title, images, own-label weights or None) per row: the originals, then each augmentation alone."""
    import tensorflow as tf

    from cnnapp.data.mixing import BatchAugment, step_seed  # deferred: cnnapp.data.mixing imports Keras

    count = len(images)
    labels = tf.range(count)  # one pseudo-class per image: its own weight is the diagonal
    out = [("training images (no augmentation)", images, None)]
    for title, only in rows_of(cfg):
        augmented, targets = BatchAugment(only, count)(tf.constant(images), labels, step_seed(seed, 0))
        own = np.diagonal(targets.numpy()).tolist() if only.mixes else None
        out.append((title, np.asarray(augmented), own))
    return out


def draw_augmentations(run, out_path: Path) -> list[Path]:
    """The grid for `run` (a `cnnapp.runs.Run`), from the first training images; [] when it has none on."""
    recipe = run.recipe
    if not recipe.batch_augment.active:
        return []

    source = cdata.load_dataset(recipe.data.dataset, recipe.data.data_dir or None)
    batch = cdata.evaluation_pipeline(source.split(TRAIN).take(COUNT), recipe.data.pipeline, COUNT)
    images = next(iter(batch))[0].numpy()
    rows = augmented_rows(images, recipe.batch_augment, recipe.train.seed)
    figure = fig.new_figure(1.2 * len(images), 1.45 * len(rows), layout=None)
    grey = images.shape[-1] == 1
    for r, (title, row, own) in enumerate(rows):
        for c, image in enumerate(row):
            axis = figure.add_axes([c / len(row), 1 - (r + 0.82) / len(rows), 1 / len(row), 0.66 / len(rows)])
            shown = image[..., 0] if grey else np.clip(image / 255.0, 0, 1)
            axis.imshow(shown, cmap="gray" if grey else None, vmin=0, vmax=255 if grey else 1)
            axis.set_xticks([]), axis.set_yticks([])
            if own is not None:
                axis.set_xlabel(f"own {own[c]:.2f}", fontsize=7, labelpad=1)
        figure.text(0.01, 1 - (r + 0.14) / len(rows), title, fontsize=9)
    path = fig.save_png(figure, out_path)
    numbers = {title: own for title, _, own in rows[1:]}
    return [
        path,
        fig.save_json(out_path.with_suffix(".json"), {"seed": recipe.train.seed, "own_weight": numbers}),
    ]
