"""Fast tier: a recipe naming a split its dataset does not have is a one-line error listing the splits."""

import pytest

from cnnapp.errors import CnnappError
from cnnapp.recipes import load_recipe
from cnnapp.training import setup


@pytest.mark.parametrize(
    "overrides",
    [
        ['train.test_split="validation"'],  # the shipped digits have train and test only
        ["train.holdout=0.0", 'train.validation="dev"'],
    ],
    ids=["test-split", "validation-split"],
)
def test_a_missing_split_names_the_dataset_its_splits_and_the_fix(overrides):
    with pytest.raises(CnnappError) as error:
        setup.load_data(load_recipe("lenet5-digits", overrides))
    message = str(error.value)
    wrong = overrides[-1].split("=")[1].strip('"')
    assert f"dataset digits has no split {wrong!r}; its splits: train, test" in message
    assert "train.validation / train.test_split" in message and "\n" not in message
