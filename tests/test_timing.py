"""Alternated timings on fake clocks: the A-B-B-A order, medians, the noise flag, bounded extra rounds."""

import itertools

import pytest

from cnnapp import timing


def fake_timer(seconds: dict):
    """A timer reading each side's next scripted (wall, cpu) seconds; the side's work records its call."""
    scripted = {name: iter(values) for name, values in seconds.items()}
    calls = []

    def timer(work):
        name = work()
        calls.append(name)
        wall = next(scripted[name])
        return wall, wall / 2

    return timer, calls


def sides(*names):
    return {name: (lambda n=name: n) for name in names}


def test_rounds_run_in_palindrome_order_after_a_warm_up():
    timer, calls = fake_timer(
        {"a": itertools.repeat(1.0), "b": itertools.repeat(2.0), "c": itertools.repeat(4.0)}
    )
    timed = timing.alternate(sides("a", "b", "c"), rounds=2, timer=timer)
    assert calls == ["a", "b", "c", "c", "b", "a"] * 2  # warm-up calls are not timed
    assert timed["rounds"] == 2 and not timed["noisy"]
    speed = timing.ratio(timed, "a", "b")
    assert (speed["median"], speed["min"], speed["max"], speed["noisy"]) == (2.0, 2.0, 2.0, False)
    assert speed["cpu"] == 2.0


def test_a_round_is_the_mean_of_its_two_calls_and_the_ratio_the_median_of_rounds():
    # a: rounds (1, 1), (1, 1), (1, 1); b: (2, 4) → 3, (2, 2) → 2, (3, 3) → 3.
    timer, _ = fake_timer({"a": [1.0] * 6, "b": [2.0, 4.0, 2.0, 2.0, 3.0, 3.0]})
    timed = timing.alternate(sides("a", "b"), rounds=3, max_rounds=3, timer=timer)
    assert timed["wall"]["b"] == [3.0, 2.0, 3.0]
    speed = timing.ratio(timed, "a", "b")
    assert speed["median"] == 3.0 and (speed["min"], speed["max"]) == (2.0, 3.0)
    assert speed["spread"] == pytest.approx(1 / 3) and speed["noisy"] and timed["noisy"]


def test_noisy_rounds_add_rounds_up_to_the_bound_and_stop_once_steady():
    steady = {"a": itertools.repeat(1.0), "b": itertools.chain([2.0, 2.0, 3.0, 3.0], itertools.repeat(2.0))}
    timer, _ = fake_timer(steady)
    timed = timing.alternate(sides("a", "b"), rounds=2, max_rounds=8, timer=timer)
    # Rounds 2.0, 3.0 spread ±20%; a third round of 2.0 makes the median 2.0 with 3.0 still 50% out, ...
    assert 2 < timed["rounds"] <= 8
    timer, _ = fake_timer({"a": itertools.repeat(1.0), "b": itertools.cycle([1.0, 1.0, 3.0, 3.0])})
    timed = timing.alternate(sides("a", "b"), rounds=2, max_rounds=5, timer=timer)
    assert timed["rounds"] == 5 and timed["noisy"], "always noisy: stops at the bound, flagged"


def test_spread_within_ten_percent_is_not_noisy():
    assert timing.spread([1.0, 1.09, 0.92]) < timing.NOISE < timing.spread([1.0, 1.0, 1.12])
    assert timing.summary([0.5, 0.25, 1.0], units=10) == {"median": 20.0, "min": 10.0, "max": 40.0}
