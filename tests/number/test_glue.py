"""The glue between the ink map and the classifier, on ink masks drawn by hand (no model)."""

import numpy as np
import pytest

from cnnapp.number import glue
from cnnapp.number.inkmap import HEIGHT, WIDTH


def ink_with(*boxes) -> np.ndarray:
    """An ink mask with a solid block of ink per (x0, y0, x1, y1)."""
    ink = np.zeros((HEIGHT, WIDTH), np.float32)
    for x0, y0, x1, y1 in boxes:
        ink[y0:y1, x0:x1] = 1.0
    return ink


def always(label="3", score=0.99):
    return lambda crop: (label, score)


def test_digits_are_found_left_to_right_and_specks_dropped():
    ink = ink_with((200, 80, 230, 140), (20, 90, 50, 150), (110, 85, 140, 145), (300, 10, 302, 12))
    found = glue.read_digits(ink, always(), 40)
    assert [p.x0 for p, _, _ in found] == [20, 110, 200]


def test_a_broken_digit_is_one_digit():
    # A stroke with a gap: two marks one above the other are one digit.
    ink = ink_with((100, 60, 130, 95), (100, 102, 130, 140))
    found = glue.read_digits(ink, always(), 40)
    assert len(found) == 1 and (found[0][0].y0, found[0][0].y1) == (60, 140)


def by_aspect(low, high, label="3"):
    """A classifier that reads `label` surely when the crop's ink is low–high times as wide as tall,
    and is unsure (0.3) otherwise: it likes pieces of one width."""

    def classify(crop):
        rows, cols = np.flatnonzero((crop > 50).any(1)), np.flatnonzero((crop > 50).any(0))
        aspect = (cols[-1] - cols[0] + 1) / (rows[-1] - rows[0] + 1)
        return (label, 0.95) if low <= aspect <= high else (label, 0.3)

    return classify


def test_touching_digits_are_cut_where_the_pieces_read_best():
    # Two 40-wide digits joined by a thin bridge at x 140–150: one mark 1.8 times as wide as tall.
    ink = ink_with((100, 100, 140, 150), (150, 100, 190, 150), (140, 120, 150, 124))
    found = glue.read_digits(ink, by_aspect(0.7, 1.05), 40)
    assert [label for _, label, _ in found] == ["3", "3"]
    assert 140 <= found[0][0].x1 <= 150 and found[1][0].x0 == found[0][0].x1


def test_three_touching_digits_are_three():
    ink = ink_with((60, 100, 100, 150), (110, 100, 150, 150), (160, 100, 200, 150))
    ink[120:124, 100:110] = ink[120:124, 150:160] = 1.0
    found = glue.read_digits(ink, by_aspect(0.7, 1.05), 40)
    assert len(found) == 3 and [p.x0 for p, _, _ in found][0] == 60


def test_a_wide_mark_that_reads_best_whole_stays_whole():
    ink = ink_with((100, 100, 165, 150))  # 1.3 times as wide as tall: a wide 0, say
    assert len(glue.read_digits(ink, by_aspect(1.2, 1.4, "0"), 40)) == 1
    assert len(glue.read_digits(ink, by_aspect(0.5, 0.8), 40)) == 2  # two narrow digits read better


def test_pieces_read_as_none_count_as_unsure():
    ink = ink_with((100, 100, 165, 150))

    def classify(crop):  # narrow pieces are `none`, surely; the whole is a digit, but unsure
        return ("0", 0.2) if (crop > 50).any(0).sum() > 30 else ("none", 0.99)

    assert len(glue.read_digits(ink, classify, 40)) == 1


def test_more_than_twelve_marks_is_not_a_number():
    bars = [(10 + 20 * k, 100, 16 + 20 * k, 150) for k in range(13)]
    with pytest.raises(glue.NotANumber) as error:
        glue.read_digits(ink_with(*bars), always(), 40)
    assert error.value.count == 13
    assert len(glue.read_digits(ink_with(*bars[:12]), always(), 40)) == 12


def test_blank_ink_has_no_digits():
    assert glue.read_digits(np.full((HEIGHT, WIDTH), 0.2, np.float32), always(), 40) == []


def test_a_crop_is_framed_like_mnist():
    ink = ink_with((100, 50, 120, 150))  # 20 × 100: the long side is 20/28 of the crop, centred
    labels, (piece,) = glue.find_marks(ink)
    crop = glue.crop(ink, labels, piece, 28)
    rows = np.flatnonzero(crop.max(1) > 0)
    assert crop.shape == (28, 28) and rows[0] == 4 and rows[-1] == 23
    assert crop.max() == pytest.approx(255.0)
    assert crop.sum() == pytest.approx(255.0 * 20 * 100 * (28 / 140) ** 2, rel=1e-4)  # area is kept


def test_a_neighbours_ink_stays_out_of_a_crop():
    ink = ink_with((100, 50, 140, 150), (141, 50, 145, 60))  # a speck of another mark inside the box
    labels, marks = glue.find_marks(ink)
    big = max(marks, key=lambda m: m.area)
    wide = glue.Piece(big.x0, big.y0, 145, big.y1, big.marks, big.area)
    assert glue.crop(ink, labels, wide, 28).sum() == pytest.approx(
        glue.crop(ink_with((100, 50, 140, 150)), labels, wide, 28).sum()
    )


@pytest.mark.parametrize(
    "shape", [(240, 320, 3), (480, 640, 3), (100, 333, 1), (333, 100, 4), (37, 41)], ids=str
)
def test_any_frame_fits_the_reader_frame(shape):
    image = np.full(shape, 200, np.uint8)
    frame = glue.fit_frame(image)
    assert frame.shape == (HEIGHT, WIDTH, 3) and frame.dtype == np.uint8 and (frame == 200).all()


def test_a_stroke_broken_on_a_slant_is_one_digit():
    # The halves of a stroke broken on a slant: one above the other, their columns just meeting.
    ink = ink_with((120, 60, 150, 98), (100, 104, 121, 140))
    found = glue.read_digits(ink, always(), 40)
    assert len(found) == 1 and (found[0][0].x0, found[0][0].x1) == (100, 150)
    # Side by side on one baseline they stay two digits.
    assert len(glue.read_digits(ink_with((100, 60, 121, 140), (126, 60, 150, 140)), always(), 40)) == 2
