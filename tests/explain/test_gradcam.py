"""Grad-CAM finds what a network uses: the sanity test of a tiny net trained on a task with a known answer.

4 classes = the quadrant that holds a 6×6 bright square on noise. The net's CAM layer is at stride 2 (16×16
maps of a 32×32 image); a 1×1 conv reads it into one "square" map and a non-negative readout sums that map per
class, so the class's evidence is read from one map. The Grad-CAM peak must fall inside the square, dilated
by one map cell. Cascading randomization (Adebayo et al. 2018, "Sanity checks for saliency maps") re-draws
the weights from the top layer down to the first; the issue asks that the peak then fall in the square on at
most 40% of the images.

Why the task is built this way (measured, 100 test images, trained net 100% in-square in every variant): with
noise in [0, 128) and a 255 square at stride 4, a fully randomized net still put the peak in the square on
41%, 84%, 20%, 32%, 90% of the images (seeds 0-4; mean 58% over 10 seeds): a random ReLU conv stack responds
most to the brightest patch. Here the noise is N(0, 1) per pixel and the square is 1.5, a level 7% of the
noise pixels exceed, so a random filter no longer singles it out while the trained net still learns it; at
stride 2 the dilated square covers 11% of the map (23% at stride 4): chance sits well below the 40% bound.
Training seed 0 is fixed: over seeds 0-4 the net learns the task every time (test accuracy ≥ 98%) and the peak
is in the square on 4 of 5; the fifth net (seed 4, 2%) reads the square's absence from the other three
quadrants (its "square" map is strongly negative on the square), and Grad-CAM rightly points there.
"""

import keras
import numpy as np
import pytest

from cnnapp.errors import CnnappError
from cnnapp.explain.gradcam import gradcam

SIZE, SQUARE, STRIDE, LEVEL = 32, 6, 2, 1.5
RANDOMIZATION_SEEDS = 10


def quadrant_squares(n, seed):
    """N(0, 1) noise, a square of LEVEL in a random place of a random quadrant: (images, labels, corners)."""
    rng = np.random.default_rng(seed)
    images = rng.normal(0, 1, (n, SIZE, SIZE, 1)).astype(np.float32)
    labels = rng.integers(0, 4, n)
    corners = np.zeros((n, 2), np.int64)
    half = SIZE // 2
    for i, label in enumerate(labels):
        qy, qx = divmod(int(label), 2)
        top = qy * half + rng.integers(0, half - SQUARE + 1)
        left = qx * half + rng.integers(0, half - SQUARE + 1)
        images[i, top : top + SQUARE, left : left + SQUARE] = LEVEL
        corners[i] = top, left
    return images, labels, corners


def tiny_cam_net():
    inputs = keras.Input((SIZE, SIZE, 1), name="image")
    x = keras.layers.Conv2D(8, 3, padding="same", activation="relu", name="conv1")(inputs)
    x = keras.layers.MaxPooling2D(2, name="pool1")(x)
    x = keras.layers.Conv2D(16, 3, padding="same", activation="relu", name="cam")(x)  # stride 2
    # Linear, not ReLU: on this low-contrast task a ReLU here dies, training stuck at chance on 3 of 5 seeds.
    x = keras.layers.Conv2D(1, 1, name="square")(x)
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
    """A copy of `model` whose weighted layers are re-drawn cumulatively, top (logits) to bottom (input).

    Yields (layer name, the copy) after each layer is re-drawn: the last yield is the fully randomized net.

    Each layer is re-drawn from its own initializers (the distribution it started training from: Glorot
    uniform kernels, the biases' initial values), so the last copy is the net before training, fresh draw.
    """
    copy = keras.models.clone_model(model)
    copy.set_weights(model.get_weights())
    for k, layer in enumerate(reversed([layer for layer in copy.layers if layer.weights])):
        config = layer.kernel_initializer.get_config() | {"seed": seed * 100 + k}
        layer.kernel.assign(type(layer.kernel_initializer).from_config(config)(layer.kernel.shape))
        layer.bias.assign(layer.bias_initializer(layer.bias.shape))
        yield layer.name, copy


def test_gradcam_peak_leaves_the_square_after_cascading_randomization(trained):
    """Read at full randomization, averaged over seeds: one seed's rate is one random net's luck (8-50%)."""
    model, (images, _, corners) = trained
    rates = []
    for seed in range(RANDOMIZATION_SEEDS):
        *_, (_, randomized) = randomize_cascade(model, seed)
        rates.append(peak_in_square(randomized, images, corners))
    assert np.mean(rates) <= 0.4, rates  # measured: mean 0.18, median 0.12 (a uniform peak: 0.11)


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
