"""Fast tier: 10-crop evaluation on a case whose answer is known by hand, top-k, and ensembles."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from cnnapp import data, evaluation


def corner_detector():
    """p(class 0) = σ(10·a − 1), a = the mean brightness (0..1) of the input's top-left 4×4 pixels."""
    inputs = keras.Input((32, 32, 1))
    x = keras.layers.Cropping2D(((0, 28), (0, 28)))(inputs)
    x = keras.layers.GlobalAveragePooling2D()(x)
    dense = keras.layers.Dense(2, activation="softmax")
    outputs = dense(x)
    dense.set_weights([np.array([[10 / 255, 0.0]], "float32"), np.array([-1.0, 0.0], "float32")])
    return keras.Model(inputs, outputs)


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def test_ten_crop_averages_softmax_over_the_ten_crops_known_answer():
    # A 37×37 black image with a white 4×4 block in its top-left corner, labelled 0. Its 32×32 crops
    # (offsets 0 and 5, centre 2): the top-left crop sees the whole block (a = 1), the centre crop a quarter
    # of it (rows and cols 0-1: a = 0.25), the other three corners and all five mirrors none of it (a = 0).
    image = np.zeros((37, 37, 1), "float32")
    image[:4, :4] = 255.0
    ds = tf.data.Dataset.from_tensors((image, np.int32(0)))
    cfg = data.DataConfig(image_size=32, channels=1, resize="short_side", short_side=37)
    model = corner_detector()

    centre, labels = evaluation.probabilities(model, data.evaluation_pipeline(ds, cfg, 4))
    assert centre[0, 0] == pytest.approx(sigmoid(10 * 0.25 - 1), rel=1e-5)  # 0.818: right
    ten, _ = evaluation.probabilities(model, data.ten_crop_pipeline(ds, cfg, 4))
    expected = (sigmoid(9) + sigmoid(1.5) + 8 * sigmoid(-1)) / 10  # 2 crops right, 8 wrong: 0.397
    assert ten[0, 0] == pytest.approx(expected, rel=1e-5)
    assert ten[0].sum() == pytest.approx(1.0, rel=1e-6)
    assert evaluation.top_k_accuracy(centre, labels, 1) == 1.0
    assert evaluation.top_k_accuracy(ten, labels, 1) == 0.0  # the averaged vote goes to class 1


def test_top_k_and_scores():
    probs = np.array(
        [[0.1, 0.2, 0.3, 0.4, 0.0, 0.0], [0.5, 0.1, 0.1, 0.1, 0.1, 0.1], [0.0, 0.1, 0.1, 0.1, 0.1, 0.6]]
    )
    labels = np.array([3, 4, 0])
    assert evaluation.top_k_accuracy(probs, labels, 1) == pytest.approx(1 / 3)
    assert evaluation.top_k_accuracy(probs, labels, 5) == pytest.approx(2 / 3)  # label 0 of row 3 is 6th
    s = evaluation.scores(probs, labels)
    assert s["top1_error"] == pytest.approx(2 / 3) and s["examples"] == 3


def test_ensemble_averages_probabilities():
    a = np.array([[0.6, 0.4], [0.2, 0.8]])
    b = np.array([[0.0, 1.0], [0.4, 0.6]])
    np.testing.assert_allclose(evaluation.ensemble([a, b]), [[0.3, 0.7], [0.3, 0.7]])
    # Two members that are each right on one example, wrong on the other; together right on both.
    labels = np.array([0, 1])
    m1, m2 = np.array([[0.9, 0.1], [0.6, 0.4]]), np.array([[0.45, 0.55], [0.1, 0.9]])
    assert evaluation.top_k_accuracy(m1, labels, 1) == 0.5 == evaluation.top_k_accuracy(m2, labels, 1)
    assert evaluation.top_k_accuracy(evaluation.ensemble([m1, m2]), labels, 1) == 1.0
    with pytest.raises(ValueError):
        evaluation.ensemble([a, np.ones((3, 2))])


def test_evaluating_models_again_and_again_does_not_warn_of_retracing(caplog):
    image = np.zeros((37, 37, 1), "float32")
    ds = tf.data.Dataset.from_tensors((image, np.int32(0))).repeat(5)
    cfg = data.DataConfig(image_size=32, channels=1, resize="short_side", short_side=37)
    members = [corner_detector(), corner_detector()]
    with caplog.at_level("WARNING", logger="tensorflow"):
        for _ in range(3):  # as evaluate's centre crop and 10 crops for an ensemble's members
            for model in members:
                evaluation.probabilities(model, data.evaluation_pipeline(ds, cfg, 2))
                evaluation.probabilities(model, data.ten_crop_pipeline(ds, cfg, 2))
    assert "retracing" not in caplog.text
