"""What a run's batch augmentations do (`explain.augmentations`): a row per augmentation the recipe has on,
each alone, and under a mixed image the weight its own label keeps — for CutMix the share of its pixels."""

import json
from types import SimpleNamespace

import numpy as np
import pytest

from cnnapp.explain import augmentations
from cnnapp.recipes import BatchAugmentSection, load_recipe


def test_a_row_per_augmentation_on_with_the_recipes_values():
    cfg = BatchAugmentSection(randaugment_ops=2, random_erasing=0.25, mixup_alpha=0.2, cutmix_alpha=1.0)
    rows = augmentations.rows_of(cfg)
    titles = [
        "RandAugment (2 ops, factor 0.5)",
        "random erasing (p = 0.25)",
        "MixUp (α = 0.2)",
        "CutMix (α = 1)",
    ]
    assert [title for title, _ in rows] == titles
    alone = rows[3][1]
    assert alone.cutmix_alpha == 1.0 and not (
        alone.mixup_alpha or alone.randaugment_ops or alone.random_erasing
    )
    assert augmentations.rows_of(BatchAugmentSection()) == []
    assert [t for t, _ in augmentations.rows_of(BatchAugmentSection(augmix=True))] == ["AugMix"]


def distinct_images(count=8, size=16):
    """Image i is filled with the grey value 20·i + 10: a pixel says which image it came from."""
    return np.stack([np.full((size, size, 1), 20.0 * i + 10, "float32") for i in range(count)])


def test_cutmix_own_weight_is_the_share_of_the_images_own_pixels():
    images = distinct_images()
    rows = augmentations.augmented_rows(images, BatchAugmentSection(cutmix_alpha=1.0), seed=3)
    (_, originals, none), (title, mixed, own) = rows
    assert none is None and np.array_equal(originals, images) and title.startswith("CutMix")
    for i in range(len(images)):
        kept = np.mean(np.isclose(mixed[i], images[i]))
        assert own[i] == pytest.approx(kept, abs=1 / 256 + 1e-6)


def test_mixup_own_weight_is_the_blend():
    images = distinct_images()
    greys = images[:, 0, 0, 0]
    (_, mixed, own) = augmentations.augmented_rows(images, BatchAugmentSection(mixup_alpha=0.4), seed=1)[1]
    for i, weight in enumerate(own):
        # A blend of two flat images is flat: own·grey_i + (1 − own)·grey_j for the partner j.
        blends = weight * greys[i] + (1 - weight) * greys
        assert np.min(np.abs(blends - mixed[i].mean())) < 0.05 and np.ptp(mixed[i]) < 0.05


def test_the_same_seed_gives_the_same_row():
    images = distinct_images()
    cfg = BatchAugmentSection(cutmix_alpha=1.0)
    first = augmentations.augmented_rows(images, cfg, seed=5)[1][1]
    assert np.array_equal(first, augmentations.augmented_rows(images, cfg, seed=5)[1][1])
    assert not np.array_equal(first, augmentations.augmented_rows(images, cfg, seed=6)[1][1])


def test_the_figure_of_a_run_and_none_without_augmentation(tmp_path):
    recipe = load_recipe("lenet5-digits-modern")
    paths = augmentations.draw_augmentations(SimpleNamespace(recipe=recipe), tmp_path / "augmentations.png")
    assert [p.name for p in paths] == ["augmentations.png", "augmentations.json"]
    data = json.loads(paths[1].read_text())
    assert data["seed"] == recipe.train.seed
    assert list(data["own_weight"]) == [title for title, _ in augmentations.rows_of(recipe.batch_augment)]
    plain = SimpleNamespace(recipe=load_recipe("lenet5-digits"))
    assert augmentations.draw_augmentations(plain, tmp_path / "none.png") == []
