"""A segmentation recipe's splits (`segmentation.run`): the named validation split, or a seeded hold-out of
training pairs that never overlaps what is trained on; `data.limit`; one-line errors."""

import hashlib

import numpy as np
import pytest

from cnnapp.errors import CnnappError
from cnnapp.recipes import load_recipe
from cnnapp.segmentation import run


def fingerprints(ds):
    return {hashlib.sha1(np.asarray(image).tobytes()).hexdigest() for image, _mask in ds.as_numpy_iterator()}


def test_the_recipes_named_validation_split():
    splits = run.splits(load_recipe("fcn8s-digits"))
    assert splits["validation_name"] == "validation"
    assert splits["sizes"] == {
        role: splits["info"].split_sizes[role] for role in ("train", "validation", "test")
    }
    image, mask = next(iter(splits["validation"]))
    assert image.shape[:2] == mask.shape[:2]


def test_a_holdout_is_seeded_and_disjoint_from_training():
    recipe = load_recipe("fcn8s-digits", ["train.holdout=0.25", "data.limit=40"])
    splits = run.splits(recipe)
    assert splits["sizes"] == {"train": 30, "validation": 10, "test": 40}
    assert splits["validation_name"] == "holdout (10 of the training split)"
    held, trained = fingerprints(splits["validation"]), fingerprints(splits["train"])
    assert len(held) == 10 and len(trained) == 30 and not held & trained
    assert fingerprints(run.splits(recipe)["validation"]) == held
    reseeded = load_recipe("fcn8s-digits", ["train.holdout=0.25", "data.limit=40", "train.seed=1"])
    assert fingerprints(run.splits(reseeded)["validation"]) != held


def test_limit_takes_the_first_pairs_of_every_split():
    limited = run.splits(load_recipe("fcn8s-digits", ["data.limit=3"]))
    full = run.splits(load_recipe("fcn8s-digits"))
    assert limited["sizes"] == {"train": 3, "validation": 3, "test": 3}
    assert fingerprints(limited["test"]) == fingerprints(full["test"].take(3))


def test_too_few_pairs_to_hold_out_says_what_to_set():
    with pytest.raises(
        CnnappError, match=r"1 training pair\(s\) are too few to hold some out; set train.validation"
    ):
        run.splits(load_recipe("fcn8s-digits", ["train.holdout=0.5", "data.limit=1"]))


def test_an_unknown_split_names_the_setting():
    with pytest.raises(CnnappError, match="train.validation / train.test_split"):
        run.splits(load_recipe("fcn8s-digits", ['train.validation="dev"']))
