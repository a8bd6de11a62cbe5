"""The issue's case: the shipped digits as a class-ordered folder of PNGs train as well as in random orders.

Fast tier: the folder run's splits hold every class in proportion, and the issue's `data.resize="pad"` gives
the network the very pixels the shipped recipe gives it (no training). Slow tier (-m slow): the shipped
recipe trained on the folder reaches the accuracy of the same files stored in three seeded random orders
(within 1 point of their mean) and the built-in digits' accuracy; its validation accuracy is meaningful from
epoch 1.
"""

from __future__ import annotations

import csv
import pathlib

import numpy as np
import pytest
import tensorflow as tf

from cnnapp import data
from cnnapp.data import folder, records, sources
from cnnapp.recipes import load_recipe
from cnnapp.training import setup

DIGITS = np.load(sources.ASSETS / "digits" / "digits.npz")


@pytest.fixture(scope="module")
def digits_folder(tmp_path_factory) -> pathlib.Path:
    """assets/digits as PATH/{train,test}/<class>/NNNN.png: stored class by class, as every folder is."""
    root = tmp_path_factory.mktemp("digits-folder")
    for split in ("train", "test"):
        images, labels = DIGITS[f"{split}_images"], DIGITS[f"{split}_labels"]
        for index, (image, label) in enumerate(zip(images, labels, strict=True)):
            path = root / split / str(label) / f"{index:04d}.png"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(tf.io.encode_png(image[..., None]).numpy())
    return root


def folder_recipe(root, epochs=None):
    overrides = [f'data.dataset="folder:{root}"', 'data.resize="pad"']
    return load_recipe("lenet5-digits", overrides + ([f"train.epochs={epochs}"] if epochs else []))


def test_every_class_is_in_train_and_validation_in_proportion(digits_folder):
    run_data = setup.load_data(folder_recipe(digits_folder))
    counts = {split: np.array(c) for split, c in run_data.class_counts.items()}
    totals = np.bincount(DIGITS["train_labels"], minlength=10)
    np.testing.assert_array_equal(counts["train"] + counts["validation"], totals)
    # 10% of every class (rounded), not the whole first class.
    np.testing.assert_array_equal(counts["validation"], np.floor(totals * 0.1 + 0.5))
    assert run_data.sizes["validation"] == counts["validation"].sum() == 145
    labels = np.concatenate(
        [y.numpy() for _, y in data.evaluation_pipeline(run_data.validation, data.DataConfig(), 64)]
    )
    np.testing.assert_array_equal(np.bincount(labels, minlength=10), counts["validation"])


def test_pad_gives_the_network_what_the_shipped_recipe_gives_it(digits_folder):
    # "pad" scales the 8×8 scans up to fill LeNet-5's 32×32 field, as the shipped recipe's "stretch" does; it
    # used to centre them unscaled in it (a quarter of the field), which cost the folder run 7 points.
    shipped_cfg = load_recipe("lenet5-digits").data.pipeline
    shipped = np.concatenate(
        [x for x, _ in data.evaluation_pipeline(sources.load_digits().splits["test"], shipped_cfg, 128)]
    )
    folder_test = data.load_dataset(f"folder:{digits_folder}").splits["test"]
    folder_cfg = folder_recipe(digits_folder).data.pipeline
    from_files = np.concatenate([x for x, _ in data.evaluation_pipeline(folder_test, folder_cfg, 128)])
    index = [int(pathlib.Path(path).stem) for path in records.records_of(folder_test).files.paths]
    np.testing.assert_array_equal(from_files, shipped[index])


def _random_order_source(root: pathlib.Path, seed: int):
    """The same PNG files through the same file pipeline, each split stored in a seeded random order (what a
    shuffled dataset looks like) instead of class by class."""
    loaded = data.load_dataset(f"folder:{root}")
    splits = {}
    for split in ("train", "test"):
        files = records.records_of(loaded.splits[split]).files
        paths = np.array(sorted(files.paths))  # back to class-then-name order, then a random one
        labels = np.array([int(pathlib.Path(path).parent.name) for path in paths], np.int32)
        order = np.random.default_rng(seed).permutation(len(paths))
        splits[split] = folder.file_dataset(paths[order], labels[order], 1)
    return data.Source(loaded.info, splits)


@pytest.mark.slow
def test_class_ordered_folder_trains_to_the_accuracy_of_random_orders(digits_folder, tmp_path, monkeypatch):
    from cnnapp.training.loop import train_and_evaluate

    recipe = folder_recipe(digits_folder)
    folder_report = train_and_evaluate(recipe, tmp_path / "folder", verbose=0)
    with open(tmp_path / "folder" / "log.csv") as file:
        epochs = list(csv.DictReader(file))
    # Validation tracks training from epoch 1 (it was 0.0: the held-out class was never trained on).
    for row in epochs:
        assert float(row["val_accuracy"]) >= 0.5 * float(row["accuracy"]) > 0, row

    random_top1 = []
    for seed in (1, 2, 3):
        source = _random_order_source(digits_folder, seed)
        monkeypatch.setattr(setup.cdata, "load_dataset", lambda *_args, source=source: source)
        random_top1.append(train_and_evaluate(recipe, tmp_path / f"random{seed}", verbose=0)["top1_accuracy"])
    print(f"folder top-1 {folder_report['top1_accuracy']:.4f}, random orders {random_top1}")
    # The issue's bound: the folder reaches the random orders' mean to within 1 point. One-sided: the bug
    # made the class-ordered folder worse, and a stored order is itself a seed — the random orders spread
    # 1.7 points among themselves (measured, best checkpoint with ties to the lower validation loss: folder
    # 97.78%, random orders 97.50, 95.83 and 95.83%, mean 96.39%; the first-N holdout this replaces: 54.2%).
    assert folder_report["top1_accuracy"] >= np.mean(random_top1) - 0.01, (folder_report, random_top1)
    # And the accuracy the shipped recipe reaches on the built-in digits (95.8-98.6% over seeds 0-2), not
    # the 87-91% of 8×8 scans left unscaled in the 32×32 field.
    assert folder_report["top1_accuracy"] >= 0.95, folder_report
