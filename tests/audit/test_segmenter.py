"""A segmenter's size (`audit.segmenter`): the audit of a built FCN, tied out to Keras, and its MACs per
output pixel, which stay put as the image grows while the total grows with it."""

import pytest

from cnnapp.audit.segmenter import audit_segmenter, segmenter_size

OPTIONS = dict(width=0.25, fc_units=64)


def test_audit_sizes_a_segmenter_per_output_pixel():
    result = audit_segmenter("vgg16", "fcn8s", 11, input_shape=(64, 64, 1), **OPTIONS)
    size = segmenter_size(result)
    assert size["weights"] == result.keras_params > 0
    assert size["output_pixels"] == 64 * 64 and size["units"] > 0
    assert size["macs_per_output_pixel"] == pytest.approx(size["macs"] / 4096)
    assert all(row.counted for row in result.rows)  # transposed convs, crops, adds: all known to the audit
    assert result.options == {"backbone": "vgg16", "head": "fcn8s", "num_classes": 11,
                              "input_shape": (64, 64, 1), **OPTIONS}  # fmt: skip


def test_per_pixel_cost_is_what_compares_image_sizes():
    small = segmenter_size(audit_segmenter("vgg16", "fcn32s", 3, input_shape=(64, 64, 1), **OPTIONS))
    large = segmenter_size(audit_segmenter("vgg16", "fcn32s", 3, input_shape=(128, 128, 1), **OPTIONS))
    assert large["weights"] == small["weights"] and large["macs"] > 3 * small["macs"]
    assert large["macs_per_output_pixel"] == pytest.approx(small["macs_per_output_pixel"], rel=0.25)
