"""Fast tier: the FCN paper's scores (pixel accuracy, mean accuracy, mean IoU, frequency-weighted IoU)."""

import numpy as np
import pytest

from cnnapp.segmentation import metrics


def test_scores_follow_the_fcn_papers_definitions():
    truth = np.array([[0, 0, 1, 1], [2, 2, 255, 0]])
    predicted = np.array([[0, 1, 1, 1], [2, 0, 2, 0]])
    matrix = metrics.confusion(truth, predicted, 3)  # void (255) left out: 7 pixels
    np.testing.assert_array_equal(matrix, [[2, 1, 0], [0, 2, 0], [1, 0, 1]])
    s = metrics.scores(matrix, ("background", "a", "b"))
    iou = [2 / 4, 2 / 3, 1 / 2]  # n_ii / (t_i + Σ_j n_ji − n_ii)
    assert s["pixel_accuracy"] == pytest.approx(5 / 7)
    assert s["mean_accuracy"] == pytest.approx((2 / 3 + 1 + 1 / 2) / 3)
    assert s["mean_iou"] == pytest.approx(np.mean(iou))
    assert s["mean_iou_foreground"] == pytest.approx(np.mean(iou[1:]))
    assert s["frequency_weighted_iou"] == pytest.approx((3 * iou[0] + 2 * iou[1] + 2 * iou[2]) / 7)
    assert s["per_class_iou"]["a"] == pytest.approx(2 / 3)
    assert metrics.scores(np.diag([5, 0, 3]))["per_class_iou"]["1"] is None  # absent class: no IoU
