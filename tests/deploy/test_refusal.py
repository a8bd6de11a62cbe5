"""Fast tier: the app's "no digit" rule is stated only for a model with a `none` class."""

from cnnapp.deploy import refusal


def test_a_model_with_a_none_class_refuses_under_half_and_on_none():
    rule = refusal.refusal_rule(("0", "1", "none"))
    assert rule == {"label": "none", "min_score": 0.5}
    assert rule["label"] == refusal.NONE and rule["min_score"] == refusal.MIN_SCORE


def test_a_model_without_one_has_no_rule():
    assert refusal.refusal_rule(tuple("0123456789")) is None
    assert refusal.refusal_rule(("None", "nothing")) is None  # the name exactly, as labels.txt writes it
