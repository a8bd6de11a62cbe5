"""The rule an app applies to say "no digit": the top label is `none`, or its score is under 0.5.

One home for it: the export report states it (deploy.subject), the world evaluation scores by it
(deploy.world), and the number reader reads a refused digit as `?` by it (cnnapp.number).
"""

from __future__ import annotations

NONE = "none"  # the refusal class, the last line of labels.txt (the `negatives` camera step's frames)
MIN_SCORE = 0.5  # an answer below this score is no answer: the app says "no digit"


def refusal_rule(class_names) -> dict | None:
    """The rule as the export report and the demo's model.json carry it, or None without a `none` class."""
    return {"label": NONE, "min_score": MIN_SCORE} if NONE in class_names else None
