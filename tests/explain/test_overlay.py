"""The heatmap rows (`explain.overlay`): image | heatmap | heatmap over the image, placed where measured."""

import numpy as np

from cnnapp.explain import overlay


def test_a_row_per_image_with_the_heatmap_placed_on_the_image():
    images = np.zeros((2, 10, 20, 3), "uint8")
    heatmaps = [np.arange(6.0).reshape(2, 3), np.ones((4, 4))]
    extents = [(0, 19, 9, 0), (2, 8, 7, 1)]
    figure = overlay.draw_rows(images, heatmaps, extents, ["a", "b"], "heading", "p", vmin=None, vmax=None)
    image_axes = [axis for axis in figure.axes if axis.images]
    assert len(image_axes) == 6  # three per row (the colour bars draw no image)
    heat, over = image_axes[1].images[-1], image_axes[2].images[-1]
    assert tuple(heat.get_extent()) == (0, 19, 9, 0) and over.get_alpha() == 0.45
    assert heat.get_clim() == (0.0, 5.0)  # vmin/vmax None: the map's own range
    assert image_axes[4].get_xlim() == (-0.5, 19.5)  # the whole image stays in view
    assert figure.get_suptitle() == "heading"
