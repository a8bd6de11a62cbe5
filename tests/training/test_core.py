"""The training scaffold's folder check (`training.core.check_folder`): whether a recipe may train into a
folder, decided before anything is written — a finished run extended, not relabelled, not mixed with
another recipe, and every refusal naming the fix."""

import shutil

import pytest

from cnnapp.errors import CnnappError
from cnnapp.recipes import load_recipe
from cnnapp.runs import RunDir
from cnnapp.training.core import check_folder
from tests.fixtures import TINY


def recipe(*extra):
    return load_recipe("lenet5-digits", [*TINY, *extra])


@pytest.fixture
def finished(tiny_run, tmp_path):
    """A copy of a finished 2-epoch run (TINY), to check recipes against."""
    copy = tmp_path / "run"
    shutil.copytree(tiny_run, copy)
    return RunDir(copy)


def test_a_new_folder_starts_afresh_and_cannot_be_resumed(tmp_path):
    assert check_folder(recipe(), RunDir(tmp_path / "new"), resume=None) == (None, None)
    with pytest.raises(CnnappError, match=r"nothing to resume in .* \(no resume.npz\); drop --resume"):
        check_folder(recipe(), RunDir(tmp_path / "new"), resume=True)


def test_a_finished_run_is_extended_by_more_epochs(finished):
    progress, extended = check_folder(recipe("train.epochs=3"), finished, resume=None)
    assert progress["epochs_done"] == 2 and extended == 2


def test_a_finished_run_given_no_more_epochs_says_raise_them(finished):
    with pytest.raises(CnnappError, match="already finished its 2 epochs; raise train.epochs to go on"):
        check_folder(recipe(), finished, resume=None)


def test_fewer_epochs_than_done_would_relabel_the_run(finished):
    with pytest.raises(
        CnnappError, match=r"has already trained 2 epochs; train.epochs=1 .* set train.epochs ≥ 2"
    ):
        check_folder(recipe("train.epochs=1"), finished, resume=None)


def test_another_recipe_is_named_by_what_differs(finished):
    with pytest.raises(CnnappError, match=r"a different recipe \(differs in optimizer.lr\)"):
        check_folder(recipe("train.epochs=3", "optimizer.lr=0.5"), finished, resume=None)


def test_a_recipe_edited_inside_the_run_folder_is_refused(finished):
    finished.recipe_file.write_text(finished.recipe_file.read_text().replace("seed = 0", "seed = 1"))
    with pytest.raises(CnnappError, match="was edited after the run started .* --out NEW_FOLDER"):
        check_folder(recipe("train.epochs=3"), finished, resume=None)


def test_resume_false_leaves_a_run_alone(finished):
    with pytest.raises(CnnappError, match="already holds a run; choose another --out, or resume it"):
        check_folder(recipe("train.epochs=3"), finished, resume=False)


def test_a_resume_state_alone_cannot_be_checked(finished, tmp_path):
    stray = tmp_path / "stray"
    stray.mkdir()
    shutil.copy(finished.state_file, stray / "resume.npz")
    with pytest.raises(CnnappError, match="holds a resume state .* without its recipe.toml and run.json"):
        check_folder(recipe(), RunDir(stray), resume=None)
