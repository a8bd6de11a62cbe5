"""A real image folder changed between two loads changes the run's fingerprint, and the check names what:
a file added is other data, a class folder renamed is other classes (labels would be permuted)."""

import numpy as np
import pytest
from PIL import Image

from cnnapp import fingerprint
from cnnapp.data import load_dataset
from cnnapp.errors import CnnappError
from cnnapp.recipes import load_recipe


def _folder(root):
    for name in ("a", "b"):
        (root / name).mkdir(parents=True)
        for i in range(3):
            Image.fromarray(np.full((8, 8), 40 * i, np.uint8)).save(root / name / f"{i}.png")
    return root


def _print(root):
    recipe = load_recipe("lenet5-digits", [f'data.dataset="folder:{root}"'])
    return fingerprint.make(recipe, load_dataset(f"folder:{root}").info)


def test_a_changed_folder_is_other_data_and_renamed_classes_are_other_classes(tmp_path):
    root = _folder(tmp_path / "images")
    saved = _print(root)
    fingerprint.check(saved, _print(root), tmp_path)  # the same folder: goes on
    Image.fromarray(np.full((8, 8), 255, np.uint8)).save(root / "a" / "3.png")  # a file added
    with pytest.raises(CnnappError, match="was trained with other data"):
        fingerprint.check(saved, _print(root), tmp_path)
    saved = _print(root)
    (root / "b").rename(root / "c")
    with pytest.raises(CnnappError, match="other classes"):
        fingerprint.check(saved, _print(root), tmp_path)
