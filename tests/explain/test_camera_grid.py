"""Fast tier: the camera grid of a phone run — its recipe's own camera steps and seed, 32 training digits as
photos above the ink front's view, a fifth of them `none` frames, drawn the same twice."""

import json
import types

from PIL import Image

from cnnapp.explain import camera_grid
from cnnapp.recipes import load_recipe

CLASSES = [*map(str, range(10)), "none"]


def _run(name):
    return types.SimpleNamespace(recipe=load_recipe(name), meta={"class_names": CLASSES})


def test_only_a_recipe_with_camera_steps_has_them():
    assert camera_grid.camera_steps(_run("lenet5-digits")) == ()
    steps = camera_grid.camera_steps(_run("lenet5-phone"))
    assert steps == ("stroke", "camera_geometry", "paper", "light", "sensor", "negatives")


def test_the_grid_shows_32_photos_over_the_ink_fronts_view_and_lists_their_labels(tmp_path):
    run = _run("lenet5-phone")
    path = camera_grid.draw_camera_grid(run, tmp_path / "camera.png")
    shown = json.loads(path.with_suffix(".json").read_text())
    assert shown["steps"] == list(camera_grid.camera_steps(run)) and len(shown["labels"]) == camera_grid.COUNT
    none = CLASSES.index("none")
    assert 0 < shown["labels"].count(none) < camera_grid.COUNT // 2  # the negatives' share, about a fifth
    assert set(shown["labels"]) - {none} and max(shown["labels"]) <= none
    with Image.open(path) as image:
        width, height = image.size
    assert height > width / 2  # 8 rows of photo and view, 8 columns: about square
    again = camera_grid.draw_camera_grid(run, tmp_path / "again.png")
    assert json.loads(again.with_suffix(".json").read_text()) == shown  # the run's seed: the same photos
