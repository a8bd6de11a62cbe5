"""The input pipeline's configuration (`data.config`): TOML lists frozen, sizes worked out, and every
combination that cannot work refused in one line that says what to set."""

import dataclasses

import pytest

from cnnapp.data.config import AUGMENTATIONS, CAMERA_STEPS, DataConfig
from cnnapp.errors import CnnappError


def test_toml_lists_are_frozen_and_the_config_hashable():
    config = DataConfig(
        augment=["flip"], pca_eigvals=[1, 2, 3], pca_eigvecs=[[1, 0, 0], [0, 1, 0], [0, 0, 1]]
    )
    assert config.augment == ("flip",) and config.pca_eigvals == (1.0, 2.0, 3.0)
    assert config.pca_eigvecs[2] == (0.0, 0.0, 1.0)
    assert hash(config) == hash(dataclasses.replace(config))


def test_sizes_worked_out():
    assert DataConfig(image_size=224, channels=3).input_shape == (224, 224, 3)
    assert DataConfig(image_size=224).resize_short_side == 256  # AlexNet and VGG's single-scale test
    assert DataConfig(image_size=227, resize="short_side", short_side=300).resize_short_side == 300


def test_every_camera_step_is_an_augmentation():
    assert set(CAMERA_STEPS) <= set(AUGMENTATIONS)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"image_size": 0}, "data.image_size must be positive"),
        ({"channels": 2}, "data.channels must be 1 or 3, got 2"),
        (
            {"resize": "fit"},
            "unknown resize mode 'fit'; valid resize modes: centre, pad, short_side, stretch",
        ),
        ({"cache": "disk"}, "unknown cache mode 'disk'"),
        ({"augment": ("mosaic",)}, "unknown augmentation 'mosaic'"),
        ({"front": "phone"}, "unknown front 'phone'; valid fronts: camera, none"),
        ({"augment": ("paper",)}, "set data.front = 'camera' and data.channels = 1"),
        ({"augment": ("paper",), "front": "camera", "channels": 3}, "data.channels = 1"),
        ({"negatives": 1.0}, r"data.negatives is a share of each batch, in \[0, 1\)"),
        ({"augment": ("pad_crop", "scale_jitter")}, "several crops .* keep one of them"),
        ({"augment": ("random_crop",)}, "random_crop crops from the short-side resize; set data.resize"),
        ({"augment": ("central_square",)}, "central_square cuts the short-side resize's central square"),
        ({"resize": "short_side", "image_size": 224, "short_side": 200}, "smaller than data.image_size"),
        ({"augment": ("scale_jitter",), "image_size": 224, "scale_min": 512, "scale_max": 256}, "increasing"),
        ({"area_min": 0.0}, r"area_min..area_max \(0.0..1.0\) must be in \(0, 1\]"),
        ({"aspect_min": 2.0, "aspect_max": 1.0}, "increasing range of positive ratios"),
        ({"pad": -1}, "data.pad and data.pca_std must be ≥ 0"),
        ({"shuffle_buffer": 0}, "data.shuffle_buffer and data.stats_examples ≥ 1"),
        ({"pca_eigvals": (1.0, 2.0, 3.0)}, "go together; give both or neither"),
        ({"pca_eigvals": (1.0, 2.0), "pca_eigvecs": ((1, 0), (0, 1))}, r"3 numbers\) and .*\(3 rows of 3\)"),
    ],
)
def test_what_cannot_work_is_one_line_saying_what_to_set(fields, message):
    with pytest.raises(CnnappError, match=message) as error:
        DataConfig(**fields)
    assert "\n" not in str(error.value)


def test_the_camera_front_with_its_steps_is_a_valid_config():
    config = DataConfig(front="camera", augment=tuple(CAMERA_STEPS))
    assert config.front == "camera" and "negatives" in config.augment
