"""An export is scored on the classes its run learnt: a run of data.classes = 5..9 on those test images only,
relabelled 0..4 as in training (not on every digit, under labels the model never had)."""

import numpy as np

from cnnapp.data import DataConfig, load_dataset
from cnnapp.deploy.subject import split_loader


def test_the_export_loader_keeps_the_runs_classes_relabelled_as_it_trained():
    config = DataConfig(image_size=32, channels=1)
    everything = split_loader("digits", None, config)("test")[1]
    images, labels = split_loader("digits", None, config, ("5", "6", "7", "8", "9"))("test")
    names = load_dataset("digits").info.class_names
    expected = np.isin(everything, [names.index(c) for c in "56789"]).sum()
    assert len(labels) == len(images) == expected and 0 < expected < len(everything)
    assert sorted(set(labels.tolist())) == [0, 1, 2, 3, 4]
    assert np.bincount(labels).tolist() == [int((everything == names.index(c)).sum()) for c in "56789"]


def test_a_runs_export_is_scored_on_the_splits_it_trained_on():
    """lenet5-digits59's export loader is the run-data loader: test images of 5..9 only, labelled 0..4, and
    the same 10-per-class training and held-out examples that training used (not the full train split)."""
    import types

    from cnnapp.recipes import load_recipe
    from cnnapp.tasks.classification import task

    recipe = load_recipe("lenet5-digits59-scratch")
    load_split = task().export_loader(types.SimpleNamespace(recipe=recipe), None)
    _, labels = load_split("test")
    everything = split_loader("digits", None, DataConfig(image_size=32, channels=1))("test")[1]
    names = load_dataset("digits").info.class_names
    assert np.bincount(labels).tolist() == [int((everything == names.index(c)).sum()) for c in "56789"]
    for split in ("train", "validation"):
        assert np.bincount(load_split(split)[1]).tolist() == [10] * 5, split
