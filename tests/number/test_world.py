"""The number world evaluation: its scoring (the whole evaluation of the committed export is
test_main's: the command runs it)."""

import pytest

from cnnapp.number import world


@pytest.mark.parametrize(
    "read, truth, counts",
    [
        ("2026", "2026", dict(right=4, wrong=0, missed=0, invented=0)),
        ("2?26", "2026", dict(right=3, wrong=1, missed=0, invented=0)),
        ("226", "2026", dict(right=3, wrong=0, missed=1, invented=0)),
        ("20126", "2026", dict(right=4, wrong=0, missed=0, invented=1)),
        ("", "17", dict(right=0, wrong=0, missed=2, invented=0)),
    ],
)
def test_a_reading_is_aligned_with_the_truth(read, truth, counts):
    assert world.align(read, truth) == counts


def test_scores_are_exact_per_digit_and_by_length():
    result = world.score(["17", "2?26", "953"], ["17", "2026", "953"])
    assert result["exact"] == pytest.approx(66.67) and result["per_digit"] == pytest.approx(
        100 * 8 / 9, abs=0.01
    )
    assert result["refused"] == 1 and result["exact_by_length"] == {"2": 100.0, "3": 100.0, "4": 0.0}
