"""Fast tier: stratified, seeded subsets (holdout, data.limit, evaluate --limit), per-split class counts."""

from __future__ import annotations

import json
import pathlib
import warnings

import numpy as np
import pytest
import tensorflow as tf
import tensorflow_datasets as tfds

from cnnapp import data
from cnnapp.data import records, subsets
from cnnapp.errors import CnnappError
from cnnapp.recipes import load_recipe
from cnnapp.training import setup


def class_ordered(counts) -> np.ndarray:
    return np.concatenate([np.full(n, c) for c, n in enumerate(counts)])


def test_stratified_sample_takes_each_class_share_and_depends_on_the_seed_only():
    labels = class_ordered([50, 30, 20])
    index = subsets.stratified_sample(labels, 10, seed=0)
    assert np.bincount(labels[index]).tolist() == [5, 3, 2]
    assert np.all(np.diff(index) > 0)  # stored order kept
    np.testing.assert_array_equal(index, subsets.stratified_sample(labels, 10, seed=0))
    assert not np.array_equal(index, subsets.stratified_sample(labels, 10, seed=1))
    # Largest remainders: 7 of (5, 3, 2)·7/10 = (3.5, 2.1, 1.4) → (4, 2, 1), exactly 7.
    assert np.bincount(labels[subsets.stratified_sample(labels, 7, seed=0)]).tolist() == [4, 2, 1]


def test_holdout_of_a_class_ordered_split_takes_every_class_in_proportion():
    labels = class_ordered([40, 20, 60])
    ds = tf.data.Dataset.from_tensor_slices((np.arange(120, dtype=np.float32)[:, None, None, None], labels))
    train, validation, n_train, n_val = subsets.held_out(ds, 0.1, seed=0, class_names=("a", "b", "c"))
    assert (n_train, n_val) == (108, 12)
    val = np.array([int(y) for _, y in validation])
    assert np.bincount(val).tolist() == [4, 2, 6]
    seen = sorted(int(x[0, 0, 0]) for x, _ in train) + sorted(int(x[0, 0, 0]) for x, _ in validation)
    assert sorted(seen) == list(range(120))  # disjoint, complete


def test_holdout_refuses_a_class_too_small_to_give_one():
    labels = class_ordered([40, 3])
    with pytest.raises(CnnappError, match="class 'b' has 3 training example.*needs at least 5 per class"):
        subsets.held_out(records.in_memory(np.zeros((43, 1, 1, 1), np.float32), labels), 0.1, 0, "ab")


def test_limit_of_the_digits_is_stratified_and_registered_subsets_nest():
    train = data.load_dataset("digits").splits["train"]
    limited, size = subsets.limited(train, 1437, 200, seed=0)
    counts = np.bincount(subsets.labels(limited))
    assert size == 200 and counts.sum() == 200 and counts.min() >= 19 and counts.max() <= 21
    kept, validation, _, n_val = subsets.held_out(limited, 0.1, 0, tuple("0123456789"))
    assert n_val == 20 and np.bincount(subsets.labels(validation)).tolist() == [2] * 10


def test_tfds_labels_are_read_with_images_left_encoded(tmp_path):
    with tfds.testing.mock_data(num_examples=40):
        source = data.load_dataset("mnist", data_dir=str(tmp_path))
        train = source.splits["train"]
        labels = subsets.labels(train)
        assert labels.shape == (40,)
        decoded = np.array([int(y) for _, y in train])
        np.testing.assert_array_equal(labels, decoded)
        index = subsets.stratified_sample(labels, 10, seed=0)
        part = subsets.subset(train, index)
        np.testing.assert_array_equal([int(y) for _, y in part], decoded[index])
        assert int(part.cardinality()) == 10 and next(iter(part))[0].shape == (28, 28, 1)


def write_class_ordered_folder(root: pathlib.Path, per_class=(30, 30, 3)) -> pathlib.Path:
    for label, count in enumerate(per_class):
        for i in range(count):
            pixels = np.full((4, 4, 1), label * 50 + 1, np.uint8)
            path = root / "train" / f"class{label}" / f"{i:03d}.png"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(tf.io.encode_png(pixels).numpy())
        path = root / "test" / f"class{label}" / "0.png"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(tf.io.encode_png(np.full((4, 4, 1), label * 50 + 1, np.uint8)).numpy())
    return root


def folder_recipe(root, holdout=0.1, limit=0):
    overrides = [f'data.dataset="folder:{root}"', f"train.holdout={holdout}", f"data.limit={limit}"]
    return load_recipe("lenet5-digits", overrides)


def test_run_data_of_a_class_ordered_folder_counts_classes_and_warns_of_imbalance(tmp_path):
    root = write_class_ordered_folder(tmp_path, (60, 60, 5))
    with pytest.warns(UserWarning, match="imbalanced more than 10×: 'class0' has 54 .*'class2' 4"):
        run_data = setup.load_data(folder_recipe(root, holdout=0.1))
    assert run_data.class_counts == {"train": [54, 54, 4], "validation": [6, 6, 1], "test": [1, 1, 1]}
    assert run_data.sizes == {"train": 112, "validation": 13, "test": 3}
    meta = setup.run_meta(folder_recipe(root), run_data, {"mean": [0.0], "std": [1.0]})
    assert json.loads(json.dumps(meta))["class_counts"]["validation"] == [6, 6, 1]


def test_a_training_split_without_a_class_of_the_test_split_is_refused(tmp_path):
    root = write_class_ordered_folder(tmp_path, (20, 20, 20))
    for path in (root / "train" / "class1").iterdir():
        path.unlink()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(CnnappError, match="class folder .*class1' holds no images"):
            setup.load_data(folder_recipe(root, holdout=0.0))


def test_data_limit_is_stratified_in_a_run(tmp_path):
    root = write_class_ordered_folder(tmp_path, (30, 30, 30))
    run_data = setup.load_data(folder_recipe(root, holdout=0.2, limit=30))
    assert run_data.class_counts["train"] == [8, 8, 8] and run_data.class_counts["validation"] == [2, 2, 2]


def test_a_class_subset_with_n_examples_per_class_is_seeded_relabelled_and_counted():
    overrides = ["data.classes=['7', '3']", "data.per_class=6", "train.holdout=0.5"]
    run_data = setup.load_data(load_recipe("lenet5-digits", overrides))
    assert run_data.info.class_names == ("7", "3") and run_data.info.num_classes == 2
    assert run_data.class_counts["train"] == [3, 3] and run_data.class_counts["validation"] == [3, 3]
    assert run_data.sizes["test"] == sum(run_data.class_counts["test"]) > 60  # every test 7 and 3
    labels = [int(y) for _, y in run_data.test.as_numpy_iterator()]
    assert set(labels) == {0, 1}, "7 → 0, 3 → 1, in the order the recipe names them"

    def chosen(seed):
        ds = setup.load_data(load_recipe("lenet5-digits", [*overrides, f"train.seed={seed}"])).train
        return [x.tobytes() for x, _ in ds.as_numpy_iterator()]

    same = [x.tobytes() for x, _ in run_data.train.as_numpy_iterator()]
    assert chosen(0) == same, "the same seed chooses the same examples"
    assert chosen(1) != chosen(0)


@pytest.mark.parametrize(
    "overrides, words",
    [
        (["data.classes=['5', 'five']"], "unknown class name 'five'; valid class names: 0, 1, 2"),
        (["data.classes=['5', '6']", "data.per_class=500"], "class .5. has 145 training examples, fewer"),
        (["data.classes=['3']"], "names 1 distinct class; a classifier needs at least two"),
    ],
)
def test_a_subset_naming_an_unknown_class_or_too_many_examples_is_a_one_line_error(overrides, words):
    with pytest.raises(CnnappError, match=words) as error:
        setup.load_data(load_recipe("lenet5-digits", overrides))
    assert "\n" not in str(error.value)
