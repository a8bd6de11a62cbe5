"""Fast tier: the digit scenes (images and masks) follow their spec and repeat from their seed."""

import numpy as np

from cnnapp.segmentation import scenes


def test_scenes_follow_the_spec_and_repeat_from_their_seed(digits):
    made = scenes.make_scenes(digits["test_images"], digits["test_labels"], 40, seed=3)
    again = scenes.make_scenes(digits["test_images"], digits["test_labels"], 40, seed=3)
    other = scenes.make_scenes(digits["test_images"], digits["test_labels"], 40, seed=4)
    np.testing.assert_array_equal(made.images, again.images)
    np.testing.assert_array_equal(made.masks, again.masks)
    assert not np.array_equal(made.masks, other.masks)
    assert made.images.shape == (40, 64, 64, 1) and made.masks.shape == (40, 64, 64)
    assert made.images.min() >= 0 and made.images.max() <= 255
    for mask, boxes in zip(made.masks, made.boxes, strict=True):
        assert 1 <= len(boxes) <= 3
        inside = np.zeros_like(mask, bool)
        for top, left, side, digit in boxes:
            assert 16 <= side <= 32
            window = (slice(top, top + side), slice(left, left + side))
            assert not inside[window].any()  # the digits' squares do not overlap
            inside[window] = True
            assert set(np.unique(mask[window])) == {0, digit + 1}  # the digit's class + 1, or background
        assert not mask[~inside].any()  # outside the digits: background only
    # Test scenes are made from the digits' test split only; training and validation from the train split.
    assert scenes.SPLITS["test"][0] == "test"
    assert {scenes.SPLITS[s][0] for s in ("train", "validation")} == {"train"}
