"""Shared subjects for the export tests: a briefly trained LeNet-5, a small untrained GoogLeNet, digits.

Module-wide fixtures, so each model is built (and LeNet-5 trained) once per session.
"""

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from cnnapp.data import sources
from cnnapp.recipes import RECIPE_DIR

ROOT = Path(__file__).resolve().parents[1]
FAST = dict(samples=20, epochs=1, eval_limit=60, latency_runs=3)


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


def _subject(meta, train_limit=None, epochs=0):
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
    if epochs:
        x, y = load_split("train", None)
        model.compile(keras.optimizers.Adam(2e-3), "sparse_categorical_crossentropy")
        model.fit(x, y, epochs=epochs, batch_size=32, verbose=0)
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


@pytest.fixture(scope="session")
def lenet():
    """LeNet-5 (lecture variant) trained 8 epochs on the shipped digits: ~95% test accuracy."""
    return _subject(_meta("lenet5", {"init": "lecun"}), epochs=8)[0]


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
def lenet_run(lenet, tmp_path_factory):
    """A run folder (docs/architecture.md "Runs") holding the trained LeNet-5, for the CLI."""
    run = tmp_path_factory.mktemp("runs") / "lenet5-test"
    (run / "checkpoints").mkdir(parents=True)
    lenet.model.save(run / "checkpoints" / "best.keras")
    shutil.copy(RECIPE_DIR / "lenet5-digits.toml", run / "recipe.toml")
    meta = _meta("lenet5", {"init": "lecun"})
    meta["recipe"] = "lenet5-digits"
    (run / "run.json").write_text(json.dumps(meta))
    return run


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
