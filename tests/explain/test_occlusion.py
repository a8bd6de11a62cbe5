"""Occlusion sensitivity (`explain.occlusion`): the map is low exactly where the evidence is hidden, the
squares tile the image by the stride, and a square that does not fit is a one-line error."""

import json

import numpy as np
import pytest

from cnnapp.errors import CnnappError
from cnnapp.explain import occlusion


def evidence_at(top, left):
    """A 'classifier' whose class 1 is the brightness of pixel (top, left) (class 0 the rest)."""

    def predict(batch):
        p = batch[:, top, left, 0] / 255.0
        return np.stack([1 - p, p], axis=1)

    return predict


def test_the_map_drops_where_the_evidence_is_covered():
    image = np.full((12, 12, 1), 255.0, "float32")
    probs, tops, lefts = occlusion.occlusion_map(evidence_at(5, 9), image, 1, size=4, stride=2, fill=0.0)
    assert list(tops) == [0, 2, 4, 6, 8] and list(lefts) == [0, 2, 4, 6, 8]
    covering = np.array([[t <= 5 < t + 4 and l <= 9 < l + 4 for l in lefts] for t in tops])  # noqa: E741
    np.testing.assert_array_equal(probs == 0.0, covering)
    assert np.all(probs[~covering] == 1.0)


def test_the_fill_is_what_the_square_holds():
    image = np.zeros((4, 4, 1), "float32")
    probs, _, _ = occlusion.occlusion_map(evidence_at(0, 0), image, 1, size=2, stride=2, fill=127.5)
    assert probs[0, 0] == pytest.approx(0.5) and probs[1, 1] == 0.0


@pytest.mark.parametrize(("size", "stride"), [(0, 1), (5, 1), (2, 0)])
def test_a_square_that_does_not_fit_says_what_does(size, stride):
    with pytest.raises(CnnappError, match="choose a size from 1 to 4 and a stride of at least 1"):
        occlusion.occlusion_map(evidence_at(0, 0), np.zeros((4, 6, 1)), 0, size, stride, 0.0)


def test_default_size_is_a_quarter_of_the_image():
    assert [occlusion.default_size(n) for n in (4, 32, 224)] == [2, 8, 56]


class Subject:
    """The `explain.subject` interface occlusion needs: predict, input shape, fill, class names."""

    name = "toy"
    input_shape = (8, 8, 1)

    def predict(self, images):
        return evidence_at(2, 2)(np.asarray(images))

    def fill_value(self):
        return 0.0

    def class_name(self, index):
        return ["background", "spot"][index]


def test_draw_occlusion_writes_the_figure_and_its_numbers(tmp_path):
    images = np.full((2, 8, 8, 1), 255.0, "float32")
    paths = occlusion.draw_occlusion(Subject(), images, tmp_path, captions=["a", "b"])
    assert [p.name for p in paths] == ["occlusion.png", "occlusion.json"]
    data = json.loads((tmp_path / "occlusion.json").read_text())
    assert data["size"] == 2 and data["stride"] == 1 and data["fill"] == 0.0
    first = data["images"][0]
    assert first["class_name"] == "spot" and first["probability"] == 1.0
    assert np.asarray(first["map"]).shape == (7, 7) and np.asarray(first["map"])[1, 1] == 0.0
