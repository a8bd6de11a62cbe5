"""Segmentation scores as the FCN paper defines them (Long et al. 2015, section 5), from a confusion matrix.

With n_ij the pixels of class i predicted as class j, t_i = Σ_j n_ij the pixels of class i, and
IU_i = n_ii / (t_i + Σ_j n_ji − n_ii):

    pixel accuracy            Σ_i n_ii / Σ_i t_i
    mean accuracy             (1/n_cl) Σ_i n_ii / t_i
    mean IU                   (1/n_cl) Σ_i IU_i
    frequency weighted IU     (Σ_k t_k)⁻¹ Σ_i t_i · IU_i

Void pixels (255) are left out of every count. A class absent from both the labels and the predictions has
no IU (0/0); means are over the classes that have one, and `per_class_iou` shows it as None.
"""

from __future__ import annotations

import keras
import numpy as np

from cnnapp.segmentation import VOID


def confusion(labels: np.ndarray, predicted: np.ndarray, num_classes: int) -> np.ndarray:
    """The (num_classes, num_classes) matrix n_ij of integer label and prediction arrays, void left out."""
    labels, predicted = np.asarray(labels).ravel(), np.asarray(predicted).ravel()
    keep = labels != VOID
    index = labels[keep].astype(np.int64) * num_classes + predicted[keep].astype(np.int64)
    return np.bincount(index, minlength=num_classes**2).reshape(num_classes, num_classes)


def scores(matrix: np.ndarray, class_names=None) -> dict:
    """Pixel accuracy, mean accuracy, mean IoU over all classes and over classes 1.. (not background),
    frequency-weighted IoU and per-class IoU of a confusion matrix."""
    matrix = np.asarray(matrix, np.float64)
    hits, truth, predicted = np.diag(matrix), matrix.sum(axis=1), matrix.sum(axis=0)
    union = truth + predicted - hits
    with np.errstate(invalid="ignore", divide="ignore"):
        iou = np.where(union > 0, hits / union, np.nan)
        class_accuracy = np.where(truth > 0, hits / truth, np.nan)
    total = truth.sum()
    names = list(class_names) if class_names is not None else [str(i) for i in range(len(hits))]
    return {
        "pixels": int(total),
        "pixel_accuracy": float(hits.sum() / total) if total else float("nan"),
        "mean_accuracy": _nanmean(class_accuracy),
        "mean_iou": _nanmean(iou),
        "mean_iou_foreground": _nanmean(iou[1:]),
        "frequency_weighted_iou": float(np.nansum(truth * iou) / total) if total else float("nan"),
        "per_class_iou": {
            name: None if np.isnan(v) else float(v) for name, v in zip(names, iou, strict=True)
        },
    }


def _nanmean(values: np.ndarray) -> float:
    values = values[~np.isnan(values)]
    return float(values.mean()) if len(values) else float("nan")


def keras_metrics(num_classes: int) -> list:
    """The training-time metrics: pixel accuracy (`accuracy`, which the plateau schedule and the best
    checkpoint read as val_accuracy) and mean IoU (`mean_iou`), both leaving void pixels out."""
    return [
        PixelAccuracy(name="accuracy"),
        keras.metrics.MeanIoU(num_classes, ignore_class=VOID, sparse_y_pred=False, name="mean_iou"),
    ]


class PixelAccuracy(keras.metrics.Metric):
    """Correct pixels / labelled pixels over an epoch (void left out)."""

    def __init__(self, name="accuracy", **kwargs):
        super().__init__(name=name, **kwargs)
        self.correct = self.add_variable(shape=(), initializer="zeros", name="correct")
        self.labelled = self.add_variable(shape=(), initializer="zeros", name="labelled")

    def update_state(self, y_true, y_pred, sample_weight=None):
        ops = keras.ops
        y_true = ops.cast(ops.reshape(y_true, ops.shape(y_pred)[:-1]), "int32")
        valid = ops.cast(ops.not_equal(y_true, VOID), "float32")
        hit = ops.cast(ops.equal(ops.cast(ops.argmax(y_pred, axis=-1), "int32"), y_true), "float32")
        self.correct.assign_add(ops.sum(hit * valid))
        self.labelled.assign_add(ops.sum(valid))

    def result(self):
        return self.correct / keras.ops.maximum(self.labelled, 1.0)
