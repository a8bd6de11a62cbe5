"""Photos of numbers: seeded, from one split only, laid out as asked."""

import numpy as np
import pytest

from cnnapp.errors import CnnappError
from cnnapp.number import scenes
from cnnapp.number.inkmap import HEIGHT, WIDTH


def test_scenes_are_seeded_and_phone_shaped():
    a = scenes.make_scenes("validation", 4, 1)
    b = scenes.make_scenes("validation", 4, 1)
    assert a.frames.shape == (4, HEIGHT, WIDTH, 3) and a.frames.dtype == np.uint8
    np.testing.assert_array_equal(a.frames, b.frames)
    assert a.numbers == b.numbers and [len(n) for n in a.numbers] == [2, 3, 4, 5]
    assert not np.array_equal(a.frames, scenes.make_scenes("validation", 4, 2).frames)


def test_a_scene_uses_the_digits_of_its_split_only(monkeypatch):
    seen = []
    real = scenes.split_digits
    monkeypatch.setattr(scenes, "split_digits", lambda split: seen.append(split) or real(split))
    scenes.make_scenes("train", 1, 1)
    scenes.make_scenes("validation", 1, 1)
    assert seen == ["train", "validation"]


@pytest.mark.parametrize("layout", scenes.LAYOUTS)
def test_layouts_space_the_digits_as_named(layout):
    s = scenes.make_scenes("validation", 8, 3, layout)
    for boxes, layers in zip(s.boxes, s.layers, strict=True):
        gaps = [b[0] - a[2] for a, b in zip(boxes, boxes[1:], strict=False)]
        if layout == "touching":
            assert all(g <= 0 for g in gaps)
        else:
            assert all(g > 0 for g in gaps)
        assert all(0 <= x0 < x1 <= WIDTH and 0 <= y0 < y1 <= HEIGHT for x0, y0, x1, y1 in boxes)
        assert all(
            layer.shape == (y1 - y0, x1 - x0) for layer, (x0, y0, x1, y1) in zip(layers, boxes, strict=True)
        )


def test_an_unknown_layout_is_refused():
    with pytest.raises(CnnappError, match="unknown layout 'tidy'"):
        scenes.make_scenes("validation", 1, 1, "tidy")
