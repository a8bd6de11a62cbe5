"""Fast tier: the figures' grids are one mosaic with every tile in its place."""

import numpy as np


def test_grids_are_one_mosaic_with_every_tile_in_its_place():
    from cnnapp.explain.figure import mosaic

    tiles = np.random.default_rng(2).uniform(0, 1, (5, 4, 3, 1)).astype(np.float32)
    canvas = mosaic(tiles, columns=2, gap=1, band=2)
    assert canvas.shape == (3 * (4 + 1 + 2) + 1, 2 * (3 + 1) + 1, 3)
    np.testing.assert_array_equal(canvas[1 + 2 + 7 : 1 + 2 + 7 + 4, 1 + 4 : 1 + 4 + 3, 1], tiles[3, ..., 0])
    assert (canvas[:3] == 1).all()  # the label band and the gap stay white
