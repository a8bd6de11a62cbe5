"""Temperature scaling: the fit finds the temperature that drew the labels, keeps every answer, calibrates."""

import numpy as np
import pytest
from scipy.special import softmax

from cnnapp import calibration
from cnnapp.evaluation import expected_calibration_error


def _drawn(temperature: float, n: int = 20_000, classes: int = 10, seed: int = 0):
    """Probabilities of logits L, and labels drawn from softmax(L / temperature): a model whose confidences
    are off by exactly that temperature."""
    rng = np.random.default_rng(seed)
    logits = rng.normal(0, 3, (n, classes))
    truth = softmax(logits / temperature, axis=1)
    labels = (rng.uniform(size=(n, 1)) > np.cumsum(truth, axis=1)).sum(axis=1).clip(0, classes - 1)
    return softmax(logits, axis=1).astype(np.float32), labels


@pytest.mark.parametrize("temperature", [0.5, 2.0])
def test_the_fit_recovers_the_temperature_that_drew_the_labels(temperature):
    probs, labels = _drawn(temperature)
    assert calibration.fit_temperature(probs, labels) == pytest.approx(temperature, rel=0.05)


def test_scaling_keeps_the_answers_and_lowers_the_calibration_error():
    probs, labels = _drawn(0.5)  # an underconfident model, like one trained with label smoothing
    fitted = calibration.fit_temperature(probs[:10_000], labels[:10_000])
    scaled = calibration.scaled(probs[10_000:], fitted)
    assert np.array_equal(scaled.argmax(axis=1), probs[10_000:].argmax(axis=1))
    assert np.allclose(scaled.sum(axis=1), 1.0, atol=1e-5)
    before = expected_calibration_error(probs[10_000:], labels[10_000:])
    after = expected_calibration_error(scaled, labels[10_000:])
    assert after < 0.03 < before
    assert calibration.scaled(probs, 1.0) == pytest.approx(probs, abs=1e-6)


def test_a_temperature_needs_examples():
    with pytest.raises(ValueError, match="at least one example"):
        calibration.fit_temperature(np.zeros((0, 3)), np.zeros(0))
