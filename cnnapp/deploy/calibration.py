"""Temperature scaling: scores that mean what they say, so that an app's `score < 0.5` rule is honest.

    temperature = fit_temperature(probs, labels)        # one number, by the held-out frames' likelihood
    ece(probs, labels)                                  # expected calibration error of the top answer
    model = with_temperature(model, temperature)        # the same graph, its last layer's logits ÷ T

Guo et al. 2017 ("On calibration of modern neural networks"): divide the logits by one temperature T fitted
on held-out data by negative log-likelihood; the top label never changes, only how sure the model says it is.
The softmax layer's logits are `x·W + b`, so dividing W and b by T is the whole change: no new op in the
exported graph, and the tf_keras twin that copies the weights carries it too.
"""

from __future__ import annotations

import numpy as np

from cnnapp.calibration import fit_temperature, scaled  # the one temperature fit

BINS = 15  # Guo et al.'s bins for the expected calibration error


def ece(probs: np.ndarray, labels: np.ndarray, bins: int = BINS) -> float:
    """The expected calibration error of the top answer: the gap between its score and how often it is
    right, averaged over `bins` equal score bins weighted by their share of frames (0 = calibrated)."""
    from cnnapp.evaluation import expected_calibration_error

    return expected_calibration_error(probs, labels, bins)


def top_answer_ece(scores: np.ndarray, right: np.ndarray, bins: int = BINS) -> float:
    """`ece` from the top answers' scores and whether each was right (all a client like MediaPipe returns)."""
    from cnnapp.evaluation import top_answer_ece as ece_of_answers

    return ece_of_answers(scores, right, bins)


def with_temperature(model, temperature: float):
    """`model` (Keras 3 or tf_keras, ending in a softmax Dense layer) with its logits divided by
    `temperature`, in place; returns it."""
    last = model.layers[-1]
    if not hasattr(last, "kernel") or getattr(last.activation, "__name__", "") != "softmax":
        raise ValueError(f"{model.name}'s last layer {last.name} is not a softmax Dense layer")
    last.set_weights([w / temperature for w in last.get_weights()])
    return model


def calibrate(model, frames: np.ndarray, labels: np.ndarray) -> dict:
    """Fit the temperature of `model` on held-out `frames` and fold it into the model (in place); returns
    what the export report states: the temperature, the frames it was fitted on, ECE before and after."""
    probs = model.predict(frames, verbose=0, batch_size=256)
    temperature = fit_temperature(probs, labels)
    with_temperature(model, temperature)
    return {
        "temperature": round(temperature, 4),
        "frames": int(len(labels)),
        "ece_before": round(ece(probs, labels), 4),
        "ece_after": round(ece(scaled(probs, temperature), labels), 4),
    }
