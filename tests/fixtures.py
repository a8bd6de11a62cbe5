"""The suite's trained runs and export subjects, shared by every test folder (a plugin of tests/conftest.py).

One factory makes every trained run: `trained_runs(recipe, *overrides)` trains `python -m cnnapp.train
--recipe RECIPE --set OVERRIDE ...` in-process into a fresh folder, once per session for each recipe and
overrides, so two tests that ask for the same run share it. The named runs below are the ones the suite
uses; treat every run folder as read-only (copy it to change it). Export subjects are built from those runs
as `python -m cnnapp.export` builds them (`cnnapp.deploy.subject.load_subject`).
"""

import contextlib
import io
from pathlib import Path

import numpy as np
import pytest

from cnnapp.data import sources

ROOT = Path(__file__).resolve().parents[1]
FAST = dict(samples=20, epochs=1, eval_limit=60, latency_runs=3)


def small_inference_model(name):
    """Architecture `name` at its small size (fresh weights), as the inference model: for figure checks."""
    from cnnapp import models

    return models.inference_model(models.build(name, **models.get(name).small_options))


def meta_for(architecture, input_shape=(32, 32, 3), **options):
    """The run.json keys that rebuild a run's graph of `architecture` (10 classes, RGB normalization)."""
    return {
        "architecture": architecture,
        "model_options": options,
        "input_shape": list(input_shape),
        "num_classes": 10,
        "normalization": {"mean": [120.0, 115.0, 100.0], "std": [60.0, 55.0, 50.0]},
    }


def _meta(architecture, options, mean=70.0, std=100.0):
    return {
        "recipe": f"{architecture}-test",
        "architecture": architecture,
        "model_options": options,
        "input_shape": [32, 32, 1],
        "num_classes": 10,
        "class_names": [str(i) for i in range(10)],
        "dataset": "digits",
        "normalization": {"mean": [mean], "std": [std]},
    }


def _subject(meta, train_limit=None):
    """An untrained model of `meta` as an export subject on the shipped digits (conversion checks only)."""
    import keras
    import tf_keras

    from cnnapp import tasks
    from cnnapp.data import DataConfig
    from cnnapp.deploy.subject import Subject, split_loader

    loader = split_loader("digits", None, DataConfig(image_size=32, channels=1))
    cache = {}

    def load_split(split, limit=None):
        key = (split, limit)
        if key not in cache:
            limit = limit or (train_limit if split == "train" else None)
            cache[key] = loader(split, limit)
        return cache[key]

    keras.utils.set_random_seed(0)
    model = tasks.build_model(meta, keras)
    return Subject(
        name=meta["recipe"],
        model=model,
        class_names=tuple(meta["class_names"]),
        load_split=load_split,
        build_twin=lambda: tasks.build_model(meta, tf_keras),
        task=tasks.of(meta),
        batch_size=32,
        source="test",
    ), meta


# The reliability suite's tiny run: LeNet-5 on 200 digits, 2 epochs of 3 steps (a few seconds).
TINY = ("train.epochs=2", "train.steps_per_epoch=3", "data.limit=200", "train.batch_size=32")
# A short run of the shipped default: 3 of its 20 epochs (its figures and exports are a trained model's).
SHORT = ("train.epochs=3",)


@pytest.fixture(scope="session")
def trained_runs(tmp_path_factory):
    """The factory: `trained_runs(recipe, *overrides)` → a finished run folder, trained once per session."""
    from cnnapp import train

    made: dict[tuple[str, tuple[str, ...]], Path] = {}

    def trained(recipe: str = "lenet5-digits", *overrides: str) -> Path:
        key = (recipe, overrides)
        if key not in made:
            out = tmp_path_factory.mktemp("runs") / recipe
            sets = [arg for override in overrides for arg in ("--set", override)]
            with contextlib.redirect_stdout(io.StringIO()):
                assert train.main(["--recipe", recipe, *sets, "--out", str(out), "--quiet"]) == 0
            made[key] = out
        return made[key]

    return trained


@pytest.fixture(scope="session")
def digits_run(trained_runs):
    """The README's first command, `python -m cnnapp.train --recipe lenet5-digits`: 20 epochs, as shipped."""
    return trained_runs("lenet5-digits")


@pytest.fixture(scope="session")
def short_run(trained_runs):
    """The shipped default trained 3 epochs (SHORT): a real trained run for figures and exports."""
    return trained_runs("lenet5-digits", *SHORT)


@pytest.fixture(scope="session")
def tiny_run(trained_runs):
    """The shipped default on 200 digits for 2 epochs of 3 steps (TINY): a run folder, not a good model."""
    return trained_runs("lenet5-digits", *TINY)


@pytest.fixture(scope="session")
def lenet(short_run):
    """The short run's LeNet-5 as an export subject, with its own grey input (`--input-channels native`)."""
    from cnnapp import runs, tasks
    from cnnapp.deploy.subject import load_subject

    return load_subject(short_run, tasks.of(runs.load_run(short_run).meta), input_channels="native")


@pytest.fixture(scope="session")
def lenet_rgb(lenet):
    """The trained LeNet-5 with the RGB→grey front (what `python -m cnnapp.export` exports by default)."""
    from cnnapp.deploy.subject import with_rgb_input

    return with_rgb_input(lenet)


@pytest.fixture(scope="session")
def googlenet():
    """An untrained GoogLeNet at 1/8 width with the CIFAR stem, on 256 training digits (conversion checks)."""
    return _subject(_meta("googlenet", {"cifar_stem": True, "width": 0.125}), train_limit=256)[0]


@pytest.fixture(scope="session")
def lenet_run(short_run):
    """The run folder the `lenet` subject comes from, for the export and predict command lines."""
    return short_run


@pytest.fixture(scope="session")
def digit_pngs(tmp_path_factory):
    """The first 20 shipped test digits as 8×8 PNG files, with their labels."""
    import tensorflow as tf

    folder = tmp_path_factory.mktemp("digits")
    with np.load(sources.ASSETS / "digits" / "digits.npz") as data:
        images, labels = data["test_images"][:20], data["test_labels"][:20]
    paths = []
    for i, (image, label) in enumerate(zip(images, labels, strict=True)):
        path = folder / f"test{i:02d}_label{label}.png"
        path.write_bytes(tf.io.encode_png(image[..., None]).numpy())
        paths.append(str(path))
    return paths, [int(v) for v in labels]
