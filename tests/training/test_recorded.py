"""Fast tier: a run made before validation defaulted to a holdout resumes validating as it started, with a
warning; any other difference, or a recipe that chose its validation, is left to the resume check."""

import json
import warnings

import pytest

from cnnapp.recipes import load_recipe
from cnnapp.runs import RunDir, RunMeta
from cnnapp.training.recorded import as_recorded

BEFORE = ["train.holdout=0", 'train.validation="test"']  # what a run from before the default recorded


def _run(folder, overrides, **extra) -> RunDir:
    run = RunDir(folder)
    folder.mkdir()
    run.recipe_file.write_text(load_recipe("lenet5-digits", overrides).to_toml())
    meta = RunMeta("lenet5-digits", "lenet5", {}, (32, 32, 1), 10, tuple("0123456789"), "digits",
                   {"mean": [0.0], "std": [1.0]})  # fmt: skip
    run.meta_file.write_text(json.dumps({**meta.to_dict(), **extra}))
    return run


def test_a_run_from_before_the_default_goes_on_validating_on_its_split_and_says_so(tmp_path):
    run = _run(tmp_path / "old", BEFORE)
    with pytest.warns(UserWarning, match="started before validation defaulted to a holdout.*'test'"):
        recorded = as_recorded(load_recipe("lenet5-digits"), run)
    assert (recorded.train.validation, recorded.train.holdout) == ("test", 0.0)


def test_a_recipe_that_chose_its_validation_is_compared_as_it_is(tmp_path):
    run = _run(tmp_path / "old", BEFORE)
    chosen = load_recipe("lenet5-digits", ["train.holdout=0.2"])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert as_recorded(chosen, run) is chosen


def test_a_newer_run_a_warned_run_a_changed_recipe_or_no_run_stay_as_they_are(tmp_path):
    recipe = load_recipe("lenet5-digits")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert as_recorded(recipe, _run(tmp_path / "new", [])) is recipe  # validated on a holdout already
        warned = _run(tmp_path / "warned", BEFORE, validation_warning="validates on the test split")
        assert as_recorded(recipe, warned) is recipe  # chose "test" after the default, and was told
        changed = _run(tmp_path / "changed", [*BEFORE, "optimizer.lr=0.05"])
        assert as_recorded(recipe, changed) is recipe  # more than its validation differs: refused later
        assert as_recorded(recipe, RunDir(tmp_path / "none")) is recipe
