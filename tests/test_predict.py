"""Predict resizes an image as the model's run was evaluated (its `data.resize`); a `.tflite` stretches.

A tiny run folder per resize mode, as `python -m cnnapp.train` leaves it (recipe.toml, run.json, the best
checkpoint), over a real folder of non-square colour photos; its model is untrained: predict and the run's
evaluation pipeline must agree on the probabilities whatever the weights.
"""

import shutil

import keras
import numpy as np
import pytest
import tensorflow as tf

from cnnapp import predict, recipes, runs, tasks
from cnnapp.data import evaluation_pipeline
from cnnapp.data.records import records_of
from cnnapp.deploy.classifier import read_image
from cnnapp.deploy.runtime import LiteModel
from cnnapp.training import setup
from tests.fixtures import ROOT

CLASSES = ("cat", "dog")
SIZES = ((20, 12), (45, 38))  # (height, width): smaller than the 32×32 input, and larger (centre: cropped)


@pytest.fixture(scope="module")
def photos(tmp_path_factory):
    """A user's folder, PATH/{train,test}/<class>/*.png: non-square RGB photos, a bright off-centre block."""
    folder = tmp_path_factory.mktemp("photos")
    rng = np.random.default_rng(0)
    for split in ("train", "test"):
        for label in CLASSES:
            for i, (height, width) in enumerate(SIZES):
                image = rng.integers(0, 120, (height, width, 3), np.uint8)
                image[: height // 2, : width // 3] = 250
                path = folder / split / label / f"{i}.png"
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(tf.io.encode_png(image).numpy())
    return folder


@pytest.fixture(scope="module")
def made_runs(photos, tmp_path_factory):
    """{resize mode: (run folder, model)}: a run of LeNet-5 on `photos` per mode, as training writes it."""
    folders = tmp_path_factory.mktemp("runs")
    made, model = {}, None
    for resize in ("pad", "centre"):
        recipe = recipes.load_recipe(
            "lenet5-digits",
            [
                f'data.dataset="folder:{photos}"',
                f'data.resize="{resize}"',
                "train.holdout=0",
                'train.validation="test"',
            ],
        )
        meta = runs.RunMeta(
            recipe="photos",
            architecture="lenet5",
            model_options={},
            input_shape=recipe.data.pipeline.input_shape,
            num_classes=len(CLASSES),
            class_names=CLASSES,
            dataset=recipe.data.dataset,
            normalization={"mean": [80.0], "std": [60.0]},
        )
        if model is None:  # untrained: the same weights serve every mode
            keras.utils.set_random_seed(1)
            model = tasks.build_model(meta)
            head = model.get_layer("predictions").kernel
            # Untrained, its probabilities stay within 0.001 of uniform: a head 10⁴× larger makes them move
            # with the pixels (0.2..0.8), so that the comparisons below can fail.
            head.assign(head * 1e4)
        run = runs.RunDir(folders / resize)
        run.path.mkdir()
        run.begin(recipe, meta)
        run.checkpoints_dir.mkdir()
        model.save(run.checkpoint_file("best"))
        made[resize] = run, model
    return made


def evaluated(run, model):
    """The run's test split through its evaluation pipeline and model: {file: probabilities}, and pixels."""
    recipe = runs.load_run(run.path).recipe
    test = setup.load_data(recipe).test
    paths = records_of(test).files.paths
    images = np.concatenate([x.numpy() for x, _ in evaluation_pipeline(test, recipe.data.pipeline, 8)])
    probs = model.predict(images, verbose=0)
    return dict(zip(paths, probs, strict=True)), dict(zip(paths, images, strict=True))


def as_vector(ranked) -> np.ndarray:
    return np.array([dict(ranked)[name] for name in CLASSES])


@pytest.mark.parametrize("resize", ["pad", "centre"])
def test_predict_on_a_run_resizes_as_its_evaluation(resize, made_runs):
    run, model = made_runs[resize]
    expected, pixels = evaluated(run, model)
    files = list(expected)
    given = (
        run.path if resize == "pad" else run.checkpoint_file("best")
    )  # a run folder, or a checkpoint in one
    ranked = predict.predict(str(given), files, top=len(CLASSES))
    for file in files:
        np.testing.assert_allclose(as_vector(ranked[file]), expected[file], atol=1e-6)
    # The check can fail: stretching (what predict did before) gives other pixels and other probabilities.
    stretched = np.stack([read_image(f, (32, 32, 1)) for f in files])
    assert np.abs(stretched - np.stack([pixels[f] for f in files])).max() > 100
    moved = np.abs(model.predict(stretched, verbose=0) - np.stack([expected[f] for f in files])).max()
    assert moved > 0.02


def test_a_tflite_stretches_even_inside_a_run(photos, made_runs):
    lite_file = made_runs["pad"][0].export_dir / "float32.tflite"
    lite_file.parent.mkdir(exist_ok=True)
    shutil.copy(ROOT / "export" / "lenet5-digits" / "float32.tflite", lite_file)
    files = sorted(str(p) for p in (photos / "test").glob("*/*.png"))
    ranked = predict.predict(str(lite_file), files, top=10)
    # What a phone app does: the whole photo stretched to the input (bilinear), raw RGB pixels.
    stretched = np.stack(
        [tf.image.resize(tf.io.decode_png(tf.io.read_file(f), 3), (32, 32)).numpy() for f in files]
    )
    probs = LiteModel.from_file(lite_file).predict(stretched)
    names = [str(i) for i in range(10)]
    for file, row in zip(files, probs, strict=True):
        np.testing.assert_allclose([dict(ranked[file])[n] for n in names], row, atol=1e-6)
