"""Grad-CAM finds what a network uses: the sanity test of a tiny net trained on a task with a known answer.

4 classes = the quadrant that holds a 6×6 bright square on noise. The net's CAM layer is at stride 4 (8×8 maps
of a 32×32 image); a 1×1 conv reads it into one "square" map and a non-negative readout sums that map per
class, so the class's evidence is the square itself. The Grad-CAM peak must fall inside the square, dilated
by one map cell. Cascading randomization (Adebayo et al. 2018, "Sanity checks for saliency maps") re-draws
the weights from the top layer down to the first; the issue asks that the peak then fall in the square on at
most 40% of the images.
"""

import keras
import numpy as np
import pytest

from cnnapp.errors import CnnappError
from cnnapp.explain.gradcam import gradcam

SIZE, SQUARE, STRIDE = 32, 6, 4


def quadrant_squares(n, seed):
    """Noise in [0, 128), a 255 square in a random place of a random quadrant: (images, labels, corners)."""
    rng = np.random.default_rng(seed)
    images = rng.uniform(0, 128, (n, SIZE, SIZE, 1)).astype(np.float32)
    labels = rng.integers(0, 4, n)
    corners = np.zeros((n, 2), np.int64)
    half = SIZE // 2
    for i, label in enumerate(labels):
        qy, qx = divmod(int(label), 2)
        top = qy * half + rng.integers(0, half - SQUARE + 1)
        left = qx * half + rng.integers(0, half - SQUARE + 1)
        images[i, top : top + SQUARE, left : left + SQUARE] = 255.0
        corners[i] = top, left
    return images, labels, corners


def tiny_cam_net():
    inputs = keras.Input((SIZE, SIZE, 1), name="image")
    x = keras.layers.Rescaling(1 / 255.0, name="scale")(inputs)
    x = keras.layers.Conv2D(8, 3, padding="same", activation="relu", name="conv1")(x)
    x = keras.layers.MaxPooling2D(2, name="pool1")(x)
    x = keras.layers.Conv2D(16, 3, padding="same", activation="relu", name="conv2")(x)
    x = keras.layers.MaxPooling2D(2, name="pool2")(x)
    x = keras.layers.Conv2D(16, 3, padding="same", activation="relu", name="cam")(x)  # stride 4
    x = keras.layers.Conv2D(1, 1, activation="relu", bias_initializer=keras.initializers.Constant(0.1),
                            name="square")(x)  # fmt: skip
    x = keras.layers.Flatten(name="flatten")(x)
    outputs = keras.layers.Dense(4, activation="softmax", kernel_constraint=keras.constraints.NonNeg(),
                                 name="predictions")(x)  # fmt: skip
    return keras.Model(inputs, outputs)


def peak_in_square(model, images, corners) -> float:
    """The fraction of images whose Grad-CAM peak (on `cam`, predicted class) is in the dilated square."""
    peaks = gradcam(model, images, ["cam"]).peaks()
    first = corners // STRIDE - 1
    last = (corners + SQUARE - 1) // STRIDE + 1
    return float(np.mean(np.all((peaks >= first) & (peaks <= last), axis=1)))


@pytest.fixture(scope="module")
def trained():
    keras.utils.set_random_seed(0)
    images, labels, _ = quadrant_squares(400, seed=0)
    model = tiny_cam_net()
    model.compile(keras.optimizers.Adam(0.003), "sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(images, labels, epochs=8, batch_size=32, verbose=0)
    test = quadrant_squares(100, seed=1)
    return model, test


def test_gradcam_peak_falls_inside_the_square(trained):
    model, (images, labels, corners) = trained
    assert model.evaluate(images, labels, verbose=0)[1] >= 0.95
    assert peak_in_square(model, images, corners) >= 0.9  # measured: 1.00


def randomize_cascade(model, seed):
    """A copy of `model` whose weighted layers are re-drawn, top to bottom; the hit rate after each."""
    copy = keras.models.clone_model(model)
    copy.set_weights(model.get_weights())
    for k, layer in enumerate(reversed([layer for layer in copy.layers if layer.weights])):
        layer.kernel.assign(keras.initializers.GlorotUniform(seed=seed * 100 + k)(layer.kernel.shape))
        layer.bias.assign(np.zeros(layer.bias.shape, np.float32))
    return copy


@pytest.mark.slow
@pytest.mark.xfail(
    strict=True,
    reason="measured: after randomizing every layer the peak still falls in the bright square on 41%, 84%, "
    "20%, 32%, 90% of the images for randomization seeds 0-4: random conv features respond to a bright "
    "square too, so this task cannot show Grad-CAM's dependence on the weights by peak position",
)
def test_gradcam_peak_leaves_the_square_after_cascading_randomization(trained):
    model, (images, _, corners) = trained
    rates = [peak_in_square(randomize_cascade(model, seed), images, corners) for seed in range(5)]
    assert np.mean(rates) <= 0.4, rates


def test_gradcam_of_alexnet_sums_both_towers_and_bad_input_is_an_error():
    from cnnapp import models

    alexnet = models.build("alexnet", **models.get("alexnet").small_options)
    images = np.random.default_rng(0).uniform(0, 255, (2, 67, 67, 3)).astype(np.float32)
    both = gradcam(alexnet, images)
    assert both.layers == ["conv5_gpu1", "conv5_gpu2"] and both.cams.shape == (2, 3, 3)
    assert (both.cams >= 0).all() and both.classes.tolist() == np.argmax(
        alexnet.predict(images, verbose=0), 1
    ).tolist()
    with pytest.raises(CnnappError, match="no conv layer"):
        gradcam(models.build("linear", input_shape=(8, 8, 1), num_classes=3), np.zeros((1, 8, 8, 1)))
    with pytest.raises(CnnappError, match="unknown layer 'conv9'; valid layers: .*conv5_gpu2"):
        gradcam(alexnet, images, ["conv9"])
    with pytest.raises(CnnappError, match="images with 1 channels given to a model taking 3"):
        gradcam(alexnet, images[..., :1])
