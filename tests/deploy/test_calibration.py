"""Temperature scaling (cnnapp.deploy.calibration): it finds an over-sure model's temperature, lowers the
expected calibration error, and folds into the softmax layer without changing a top label."""

import numpy as np
import pytest

from cnnapp.deploy import calibration


def _over_sure(count=4000, classes=11, sureness=3.0, seed=0):
    """Labels drawn from softmax(logits), scores from softmax(sureness · logits): too sure by `sureness`."""
    rng = np.random.default_rng(seed)
    logits = rng.normal(0, 2.0, (count, classes))
    truth = np.exp(logits) / np.exp(logits).sum(1, keepdims=True)
    labels = np.array([rng.choice(classes, p=p) for p in truth])
    sure = np.exp(sureness * logits)
    return sure / sure.sum(1, keepdims=True), labels


def test_temperature_of_an_over_sure_model_is_found_and_lowers_the_calibration_error():
    probs, labels = _over_sure()
    temperature = calibration.fit_temperature(probs, labels)
    assert temperature == pytest.approx(3.0, rel=0.1)
    after = calibration.scaled(probs, temperature)
    assert calibration.ece(after, labels) < calibration.ece(probs, labels) / 3
    assert (after.argmax(1) == probs.argmax(1)).all()  # scaling never changes the answer


def test_ece_is_zero_for_a_model_right_exactly_as_often_as_it_says():
    probs = np.tile([[0.75, 0.25]], (400, 1))
    labels = np.array([0, 0, 0, 1] * 100)  # right 3 times in 4 at score 0.75
    assert calibration.ece(probs, labels) == pytest.approx(0.0, abs=1e-9)


def test_the_temperature_folds_into_the_softmax_layer():
    import keras

    inputs = keras.Input((6,))
    model = keras.Model(inputs, keras.layers.Dense(4, activation="softmax")(inputs))
    x = np.random.default_rng(1).normal(0, 3, (32, 6)).astype(np.float32)
    before = model.predict(x, verbose=0)
    calibration.with_temperature(model, 2.5)
    np.testing.assert_allclose(model.predict(x, verbose=0), calibration.scaled(before, 2.5), atol=1e-5)
