"""python -m cnnapp.audit.datasets: the lectures' dataset sizes beside the reference counts, the archives'
bytes from tensorflow-datasets (offline) and the shipped sets counted from their files."""

import json

import numpy as np

from cnnapp.audit import datasets
from cnnapp.audit.datasets import main
from cnnapp.paths import ASSETS


def test_every_lecture_dataset_and_ours_has_a_row(capsys):
    assert main(["--format", "json"]) == 0
    found = {r["name"]: r for r in json.loads(capsys.readouterr().out)}
    assert set(found) == {"mnist", "cifar10", "imagenet2012", "digits", "mnist4k"}
    mnist = found["mnist"]
    assert mnist["images"] == 70_000 and mnist["raw_bytes"] == 70_000 * 28 * 28
    assert "the lecture's 60 MB is raw pixels" in mnist["note"]
    imagenet = found["imagenet2012"]
    assert imagenet["archive_bytes"] > 150e9 and "neither raw pixels" in imagenet["note"]
    assert "1,281,167, rounded" in imagenet["note"]


def test_the_shipped_sets_are_counted_from_their_files():
    rows = {r.name: r for r in datasets.rows()}
    with np.load(ASSETS / "digits" / "digits.npz") as data:
        images = len(data["train_labels"]) + len(data["test_labels"])
    assert rows["digits"].images == images
    assert rows["digits"].archive_bytes == (ASSETS / "digits" / "digits.npz").stat().st_size


def test_the_archive_bytes_are_tfds_checksum_lists():
    total, source = datasets.tfds_archives("mnist")
    assert total > 10e6 and "url_checksums/mnist.txt" in source
    assert datasets.tfds_archives("no_such_dataset") is None
