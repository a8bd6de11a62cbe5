"""Error analysis (`explain.errors`): the confusion matrix and per-class scores agree with scikit-learn's,
ties go to the lower class as top-1 accuracy counts them, and the worst mistakes are the most confident."""

import csv
import json

import numpy as np
from sklearn.metrics import confusion_matrix, precision_recall_fscore_support

from cnnapp.explain import errors


def predictions(n=300, classes=5, seed=0):
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, classes - 1, n)  # the last class is never true: its recall is undefined
    logits = rng.normal(size=(n, classes)) + 2.5 * np.eye(classes)[labels]
    probs = np.exp(logits) / np.exp(logits).sum(1, keepdims=True)
    return probs, labels


def test_the_matrix_and_per_class_scores_are_scikit_learns():
    probs, labels = predictions()
    analysis = errors.analyse(probs, labels)
    predicted = probs.argmax(1)
    np.testing.assert_array_equal(analysis.matrix, confusion_matrix(labels, predicted, labels=range(5)))
    precision, recall, f1, support = precision_recall_fscore_support(
        labels, predicted, labels=range(5), zero_division=0
    )
    rows = analysis.per_class()
    np.testing.assert_allclose([r["precision"] for r in rows], precision)
    np.testing.assert_allclose([r["recall"] for r in rows], recall)
    np.testing.assert_allclose([r["f1"] for r in rows], f1)
    assert [r["support"] for r in rows] == list(support) and rows[4]["support"] == 0
    assert analysis.errors == int((predicted != labels).sum())


def test_ties_go_to_the_lower_class():
    analysis = errors.analyse(np.array([[0.4, 0.4, 0.2], [0.1, 0.45, 0.45]]), np.array([1, 2]))
    assert list(analysis.predicted) == [0, 1] and analysis.errors == 2


def test_the_worst_are_the_most_confident_mistakes_at_most_worst():
    probs, labels = predictions()
    analysis = errors.analyse(probs, labels, worst=5)
    assert len(analysis.worst) == 5
    assert all(analysis.predicted[i] != analysis.labels[i] for i in analysis.worst)
    confidence = analysis.confidence[analysis.worst]
    assert list(confidence) == sorted(confidence, reverse=True)
    wrong = analysis.predicted != analysis.labels
    assert confidence[-1] >= np.sort(analysis.confidence[wrong])[-5]


def test_the_figures_carry_their_numbers(tmp_path):
    probs, labels = predictions(n=40, classes=3)
    analysis = errors.analyse(probs, labels, worst=4)
    names = ["zero", "one", "two"]
    paths = errors.draw_confusion(analysis, names, tmp_path, "toy")
    assert [p.name for p in paths] == ["confusion.png", "confusion.csv", "per_class.csv"]
    table = list(csv.reader((tmp_path / "confusion.csv").open()))
    assert table[0] == ["true \\ predicted", *names]
    assert [[int(v) for v in row[1:]] for row in table[1:]] == analysis.matrix.tolist()
    images = np.zeros((len(analysis.worst), 8, 8, 1), "uint8")
    errors.draw_worst(analysis, images, names, tmp_path, "toy")
    worst = json.loads((tmp_path / "worst_errors.json").read_text())
    assert worst["errors"] == analysis.errors
    assert [e["index"] for e in worst["worst"]] == [int(i) for i in analysis.worst]
    assert worst["worst"][0]["true_name"] == names[analysis.labels[analysis.worst[0]]]


def test_no_mistake_is_said_in_the_figure(tmp_path):
    analysis = errors.analyse(np.eye(3), np.arange(3))
    errors.draw_worst(analysis, np.zeros((0, 4, 4, 1)), ["a", "b", "c"], tmp_path, "toy")
    assert json.loads((tmp_path / "worst_errors.json").read_text()) == {"errors": 0, "worst": []}
    assert (tmp_path / "worst_errors.png").stat().st_size > 0
