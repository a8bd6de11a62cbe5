"""Smoke tier: every recipe in recipes/ trains a step and writes a complete run folder, through the real CLI.

On `tfds.testing.mock_data` (random images and labels: this proves the plumbing — data, model, losses,
schedule, checkpoints, report — not learning), shrunk by `--set` overrides: the architecture's small build
(`small_options` of the registry), batch 2, one step of one epoch, a few examples.
"""

import json
import time

import pytest
import tensorflow_datasets as tfds

from cnnapp import models, recipes
from cnnapp.runs import load_run
from cnnapp.train import main

# One recipe per dataset, schedule and augmentation code path in the default run: lenet1989 (MNIST, stretch,
# constant rate), vgg16 (ImageNet, short side, scale jitter, PCA colour, plateau), resnet20-cifar10 (CIFAR-10,
# pad-crop, cosine with warm-up). The others repeat one of these paths with another model and run with
# `-m slow`: alexnet's and linear's models get a gradient in every weight in
# tests/models/test_registry.py, their data paths here. The googlenet recipe (auxiliary heads, Polyak
# averaging, inception crops) runs in the default tier through the same CLI and shrinking in
# tests/training/test_polyak.py (with its checkpoints).
DEFAULT = {"lenet1989", "vgg16", "resnet20-cifar10"}


def shrink(recipe, data_dir) -> list[str]:
    """Overrides that make `recipe` a one-step run at the architecture's small size."""
    arch = models.get(recipe.model.architecture)
    small = dict(arch.small_options)
    size = small.pop("input_shape", arch.input_shape)[0]
    small.pop("num_classes", None)
    out = [
        "train.epochs=1",
        "train.steps_per_epoch=1",
        "train.batch_size=2",
        "data.limit=6",
        f"data.image_size={size}",
        "data.short_side=0",
        f"data.scale_min={size}",
        f"data.scale_max={size + 8}",
        f'data.data_dir="{data_dir}"',
        "data.stats_examples=4",
    ]
    out += [f"model.options.{key}={json.dumps(value)}" for key, value in small.items()]
    return out


# Segmentation recipes (model.head) have their own smoke runs: tests/tasks/test_segmentation.py.
CLASSIFIERS = [n for n in recipes.names() if not recipes.load_recipe(n).model.head]


@pytest.mark.parametrize(
    "name", [pytest.param(n, marks=pytest.mark.slow) if n not in DEFAULT else n for n in CLASSIFIERS]
)
def test_recipe_runs_one_step(name, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # a fine-tuning recipe trains its source into runs/ (training/transfer.py)
    recipe = recipes.load_recipe(name)
    out = tmp_path / "run"
    start = time.perf_counter()
    with tfds.testing.mock_data(num_examples=6):
        argv = ["--recipe", name, "--out", str(out), "--quiet"]
        assert main(argv + [a for o in shrink(recipe, tmp_path / "tfds") for a in ("--set", o)]) == 0
    run = load_run(out)
    assert run.recipe.name == name and run.meta["architecture"] == recipe.model.architecture
    for path in ("recipe.toml", "run.json", "log.csv", "report.json", "resume.npz", "checkpoints/last.keras"):
        assert (out / path).is_file(), path
    assert any((out / "tensorboard").rglob("*tfevents*"))
    model = run.model("last")
    assert len(model.outputs) == 1, "checkpoints hold the inference model, no auxiliary heads"
    assert model.get_layer("normalization") is not None
    report = run.report
    assert 0.0 <= report["top1_accuracy"] <= report["top5_accuracy"] <= 1.0
    assert report["examples"] > 0 and report["images_per_second"] > 0
    print(f"{name}: {time.perf_counter() - start:.1f} s")
    assert set(DEFAULT) <= set(recipes.names())
