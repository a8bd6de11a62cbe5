"""Runs made before a default changed, resumed as they were made, with a note: never silently retuned.

Validation became a held-out part of the training split by default (`train.validation = "holdout"`); a run
started before validated on the reported split (`"test"`, no holdout), and its recipe never said so. Resumed
with `--recipe NAME`, today's recipe differs from the run's only in those two values, through no change of
the user's: the run goes on validating as it started (its epochs so far were chosen and cut on that split),
and says so in one line. A recipe that sets the validation itself (another holdout, a split) is a change,
and the resume check refuses it as it refuses any other.
"""

from __future__ import annotations

import dataclasses
import warnings

from cnnapp.errors import CnnappError
from cnnapp.recipes import DEFAULT_HOLDOUT, HOLDOUT, Recipe, recipe_changes
from cnnapp.runs import RunDir


def as_recorded(recipe: Recipe, run: RunDir) -> Recipe:
    """`recipe`, or, for a run in `run` made before the holdout default, `recipe` with the run's recorded
    validation (a warning names it). Anything unreadable is left to the resume check to refuse."""
    if recipe.train.validation != HOLDOUT or recipe.train.holdout != DEFAULT_HOLDOUT:
        return recipe  # the recipe chose its validation: compared as it is
    if not (run.recipe_file.is_file() and run.meta_file.is_file()):
        return recipe
    try:
        saved, meta = run.read_recipe(), run.read_meta()
    except (CnnappError, OSError, ValueError):
        return recipe
    before_default = (
        saved.train.holdout == 0
        and saved.train.validation == saved.train.test_split
        and not meta.get("validation_warning")  # a run since then that chose "test" is warned about
    )
    if not before_default:
        return recipe
    train = dataclasses.replace(recipe.train, validation=saved.train.validation, holdout=0.0)
    recorded = dataclasses.replace(recipe, train=train)

    if recipe_changes(saved, recorded):
        return recipe  # changed in more than its validation: the resume check lists what
    warnings.warn(
        f"{run.path} was started before validation defaulted to a holdout of the training split: it goes "
        f"on validating on {saved.train.validation!r}, as it started (a new run validates on a holdout)",
        stacklevel=3,
    )
    return recorded
