"""Temperature scaling (Guo et al. 2017): one number T that divides the logits, fitted on held-out data.

    temperature = fit_temperature(validation_probs, validation_labels)
    calibrated = scaled(test_probs, temperature)

T > 1 softens an overconfident model, T < 1 sharpens an underconfident one (label smoothing and MixUp make
models hedge); the top-1 answer never changes. It works on probabilities, since every cnnapp model ends in a
softmax: log p differs from the logits only by a constant per example, which the softmax ignores.
The training report's ablation scales probabilities with it; a phone export folds T into the model's last
layer (cnnapp.deploy.calibration).
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import minimize_scalar
from scipy.special import log_softmax

# T is searched on log T within these bounds: wide enough for any trained net, and the search stays finite
# for a model that is right on every held-out example (its NLL keeps falling as T → 0).
BOUNDS = (0.05, 20.0)


def _log_probs(probs: np.ndarray) -> np.ndarray:
    return np.log(np.clip(np.asarray(probs, np.float64), 1e-12, 1.0))


def fit_temperature(probs: np.ndarray, labels: np.ndarray) -> float:
    """The T that minimizes the negative log-likelihood of `labels` under softmax(log probs / T)."""
    logits, labels = _log_probs(probs), np.asarray(labels, np.int64)
    if not len(labels):
        raise ValueError("fitting a temperature needs at least one example")
    rows = np.arange(len(labels))

    def nll(log_t: float) -> float:
        return float(-log_softmax(logits / np.exp(log_t), axis=1)[rows, labels].mean())

    low, high = np.log(BOUNDS[0]), np.log(BOUNDS[1])
    best = minimize_scalar(nll, bounds=(low, high), method="bounded", options={"xatol": 1e-4})
    return float(np.exp(best.x))


def scaled(probs: np.ndarray, temperature: float) -> np.ndarray:
    """`probs` re-scored at `temperature`: softmax(log probs / T), float32."""
    return np.exp(log_softmax(_log_probs(probs) / temperature, axis=1)).astype(np.float32)
