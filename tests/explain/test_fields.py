"""Fast tier: receptive-field offsets agree with the audit (sizes, strides) and with where gradients reach."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from cnnapp import audit, models
from cnnapp.errors import CnnappError
from cnnapp.explain.fields import Field, field_of, receptive_fields


@pytest.mark.parametrize("name", ["lenet1989", "zfnet", "googlenet", "resnet20"])
def test_sizes_and_strides_are_the_audits(name):
    model = models.inference_model(models.build(name, **models.get(name).small_options))
    fields = receptive_fields(model)
    rows = [r for r in audit.audit_model(model).rows if fields[r.name] is not None]
    assert len(rows) > 5
    for row in rows:
        assert fields[row.name].size == row.receptive_field and fields[row.name].stride == row.stride, (
            row.name
        )


def _linear_net():
    """Positive weights and no ReLU: every pixel of a unit's field reaches it with a non-zero gradient."""
    ones = keras.initializers.Constant(0.1)
    inputs = keras.Input((23, 23, 1), name="image")
    x = keras.layers.ZeroPadding2D(((2, 0), (1, 0)), name="pad")(inputs)
    x = keras.layers.Conv2D(2, 5, strides=2, padding="same", kernel_initializer=ones, name="a")(x)
    x = keras.layers.AveragePooling2D(3, strides=2, padding="same", name="pool")(x)
    x = keras.layers.Conv2D(2, 3, padding="valid", kernel_initializer=ones, name="b")(x)
    return keras.Model(inputs, x)


def test_offsets_match_where_the_gradient_of_a_unit_reaches():
    model = _linear_net()
    field = field_of(model, "b")
    assert field.size == (17, 17) and field.stride == (4, 4) and field.offset == (-6, -2)
    for row, col in [(0, 0), (1, 2), (3, 3)]:
        image = tf.Variable(np.zeros((1, 23, 23, 1), np.float32))
        with tf.GradientTape() as tape:
            unit = model(image)[0, row, col, 0]
        reached = np.argwhere(np.abs(tape.gradient(unit, image).numpy()[0, ..., 0]) > 0)
        top, left, bottom, right = field.box(row, col, (23, 23))
        assert reached.min(axis=0).tolist() == [top, left] and reached.max(axis=0).tolist() == [
            bottom - 1,
            right - 1,
        ]


def test_box_clips_fields_larger_than_the_image():
    field = Field(size=(40, 40), stride=(8, 8), offset=(-10, -10))
    assert field.span(1, 0) == (-2, -10, 38, 30) and field.box(1, 0, (32, 32)) == (0, 0, 32, 30)


def test_dense_layers_have_no_field():
    model = models.build("lenet5", num_classes=10)
    with pytest.raises(CnnappError, match="see the whole image.*C1"):
        field_of(model, "F6")
