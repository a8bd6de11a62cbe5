"""A segmenter's figure (`explain.segmentation`): image | true mask | predicted mask, with the per-image pixel
accuracy over labelled pixels only (void left out) in the JSON beside it."""

import json
import math

import numpy as np

from cnnapp.explain import segmentation
from cnnapp.segmentation import VOID


def test_pixel_accuracy_leaves_void_out_and_a_void_image_is_nan(tmp_path):
    truth = np.zeros((3, 4, 4), np.int64)
    truth[0, :2] = 1
    truth[1, 0] = VOID  # a void row: whatever is predicted there does not count
    truth[2] = VOID
    predicted = np.zeros((3, 4, 4), np.int64)
    predicted[0, 0] = 1  # 12 of 16 right
    predicted[1, 0] = 2  # only under void
    images = np.zeros((3, 4, 4, 3), np.float32)
    paths = segmentation.draw_segmentation(images, truth, predicted, ["background", "one", "two"],
                                           tmp_path / "segmentation.png")  # fmt: skip
    assert [p.name for p in paths] == ["segmentation.png", "segmentation.json"]
    rows = json.loads(paths[1].read_text())["images"]
    assert rows[0] == {"index": 0, "pixel_accuracy": 0.75} and rows[1]["pixel_accuracy"] == 1.0
    assert rows[2]["pixel_accuracy"] is None or math.isnan(rows[2]["pixel_accuracy"])


def test_masks_are_coloured_by_class_with_void_black():
    colours = segmentation._palette(25)
    assert colours.shape == (25, 3) and tuple(colours[0]) == (0.25, 0.25, 0.25)
    assert len({tuple(c) for c in colours[:20]}) == 20  # tab20: twenty distinct colours before they repeat
    mask = np.array([[0, 1], [VOID, 24]])
    coloured = segmentation._colour(mask, colours)
    assert tuple(coloured[1, 0]) == (0, 0, 0) and tuple(coloured[0, 1]) == tuple(colours[1])
    assert tuple(coloured[1, 1]) == tuple(colours[24])
