"""Error analysis on the test split: confusion matrix (counts and row-normalised), per-class precision,
recall and F1, and the worst misclassified images (the most confident mistakes).

    analysis = analyse(probs, labels)          # from class probabilities [N, classes] and labels [N]
    analysis.matrix.sum() - np.trace(analysis.matrix) == errors
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from cnnapp.explain import figure as fig

WORST = 16  # misclassified images shown


@dataclasses.dataclass
class Analysis:
    """Predictions and what they add up to.

    Attributes:
        labels: true classes [N].
        predicted: the most probable class [N] (ties: the lower index, as top-1 accuracy counts them).
        confidence: the predicted class's probability [N].
        matrix: confusion counts [classes, classes], rows true, columns predicted.
        worst: indices of the misclassified examples, most confident first (at most WORST).
    """

    labels: np.ndarray
    predicted: np.ndarray
    confidence: np.ndarray
    matrix: np.ndarray
    worst: np.ndarray

    @property
    def errors(self) -> int:
        return int(self.matrix.sum() - np.trace(self.matrix))

    def per_class(self) -> list[dict]:
        """Precision, recall, F1 and support of each class (0 where undefined: no predictions/examples)."""
        rows = []
        for c in range(len(self.matrix)):
            hit = self.matrix[c, c]
            predicted, support = self.matrix[:, c].sum(), self.matrix[c].sum()
            precision = hit / predicted if predicted else 0.0
            recall = hit / support if support else 0.0
            f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
            rows.append({"class": c, "precision": precision, "recall": recall, "f1": f1, "support": support})
        return rows


def top1(probs: np.ndarray) -> np.ndarray:
    """The predicted class, ties broken towards the lower index (as `evaluation.top_k_accuracy`)."""
    return np.argsort(-probs, axis=1, kind="stable")[:, 0]


def analyse(probs: np.ndarray, labels: np.ndarray, worst: int = WORST) -> Analysis:
    probs, labels = np.asarray(probs, np.float64), np.asarray(labels, np.int64)
    classes = probs.shape[1]
    predicted = top1(probs)
    confidence = probs[np.arange(len(labels)), predicted]
    matrix = np.zeros((classes, classes), np.int64)
    np.add.at(matrix, (labels, predicted), 1)
    wrong = np.flatnonzero(predicted != labels)
    order = wrong[np.argsort(-confidence[wrong], kind="stable")][:worst]
    return Analysis(labels, predicted, confidence, matrix, order)


def draw_confusion(
    analysis: Analysis, class_names: Sequence[str], out_dir: str | Path, title: str
) -> list[Path]:
    """`confusion.png` (counts | row-normalised), `confusion.csv`, `per_class.csv`."""
    out_dir = Path(out_dir)
    matrix = analysis.matrix
    n = len(matrix)
    rows = matrix.sum(axis=1, keepdims=True)
    normalised = np.where(rows > 0, matrix / np.maximum(rows, 1), 0.0)
    size = min(16.0, max(4.0, 0.35 * n + 2.0))
    figure = fig.new_figure(2 * size + 1.0, size, layout=None)  # fixed margins: a layout pass costs seconds
    figure.subplots_adjust(
        left=0.7 / (2 * size + 1), right=0.98, bottom=0.7 / size, top=1 - 0.6 / size, wspace=0.2
    )
    axes = figure.subplots(1, 2)
    labels = [str(c) for c in class_names]
    for axis, values, what in ((axes[0], matrix, "counts"), (axes[1], normalised, "row-normalised (recall)")):
        image = axis.imshow(values, cmap="Blues", interpolation="nearest", vmin=0)
        figure.colorbar(image, ax=axis, shrink=0.8)
        axis.set_title(what)
        axis.set_xlabel("predicted class")
        axis.set_ylabel("true class")
        if n <= 30:  # beyond that the labels overlap; the CSV has them
            axis.set_xticks(range(n), labels, rotation=90 if n > 10 else 0, fontsize=8)
            axis.set_yticks(range(n), labels, fontsize=8)
            if n <= 12:
                high = values.max() / 2 if values.max() else 1
                for (i, j), v in np.ndenumerate(values):
                    text = f"{v:d}" if values is matrix else f"{v:.2f}"
                    label = axis.text(
                        j,
                        i,
                        text,
                        ha="center",
                        va="center",
                        fontsize=7,
                        color="white" if v > high else "black",
                    )
                    label.set_in_layout(False)  # inside the axes: no need to measure it for the layout
    figure.suptitle(f"{title}: {analysis.errors} errors in {int(matrix.sum())} test images")
    paths = [fig.save_png(figure, out_dir / "confusion.png")]
    paths.append(
        fig.save_csv(
            out_dir / "confusion.csv",
            ["true \\ predicted", *labels],
            ([labels[i], *matrix[i]] for i in range(n)),
        )
    )
    per_class = analysis.per_class()
    paths.append(
        fig.save_csv(
            out_dir / "per_class.csv",
            ["class", "name", "precision", "recall", "f1", "support"],
            (
                [r["class"], labels[r["class"]], r["precision"], r["recall"], r["f1"], r["support"]]
                for r in per_class
            ),
        )
    )
    return paths


def draw_worst(
    analysis: Analysis, images: np.ndarray, class_names: Sequence[str], out_dir: str | Path, title: str
) -> list[Path]:
    """`worst_errors.png` (the images of `analysis.worst`, given in that order) and `worst_errors.json`."""
    out_dir = Path(out_dir)
    entries = [
        {
            "index": int(i),
            "true": int(analysis.labels[i]),
            "true_name": str(class_names[analysis.labels[i]]),
            "predicted": int(analysis.predicted[i]),
            "predicted_name": str(class_names[analysis.predicted[i]]),
            "confidence": float(analysis.confidence[i]),
        }
        for i in analysis.worst
    ]
    json_path = fig.save_json(out_dir / "worst_errors.json", {"errors": analysis.errors, "worst": entries})
    if not entries:
        figure = fig.new_figure(4.0, 1.2)
        figure.text(0.5, 0.5, f"{title}: no misclassified test image", ha="center", va="center")
        return [fig.save_png(figure, out_dir / "worst_errors.png"), json_path]
    tiles = np.stack([fig.pixels(image) for image in images])
    labels = [
        f"#{e['index']}: true {e['true_name']}\npredicted {e['predicted_name']} ({e['confidence']:.0%})"
        for e in entries
    ]
    figure = fig.tile_grid(
        tiles, f"{title}: the most confident mistakes", labels, max_columns=8, tile_inches=1.3
    )
    return [fig.save_png(figure, out_dir / "worst_errors.png"), json_path]
