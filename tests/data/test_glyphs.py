"""Fast tier: the glyph bank, the `none` class's letters and signs."""

import numpy as np

from cnnapp.data import glyphs


def test_glyph_bank_holds_no_digits_and_is_fitted_like_mnist():
    assert not set("0123456789") & set(glyphs.CHARACTERS)
    bank = glyphs.bank(28)
    assert bank.shape[1:] == (28, 28) and len(bank) >= len(glyphs.CHARACTERS)
    rows = np.flatnonzero(bank.max(axis=(0, 2)) > 0)
    assert rows.min() >= 3 and rows.max() <= 24  # inside the centre 20×20 box (±1 for rounding)


def test_glyphs_are_white_on_black_at_any_size_and_built_once():
    bank = glyphs.bank(40)
    assert bank.dtype == np.float32 and bank.shape[1:] == (40, 40)
    assert bank.min() == 0 and bank.max() == 255  # white ink, black ground, as MNIST
    corners = bank[:, [0, 0, -1, -1], [0, -1, 0, -1]]
    assert not corners.any()  # the ground around each glyph is black
    assert glyphs.bank(40) is bank  # rendered once per process, however often the camera asks
