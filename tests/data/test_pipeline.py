"""Fast tier: the tf.data pipelines keep labels with their images, reproduce each epoch, batch right."""

import dataclasses

import numpy as np
import pytest
import tensorflow as tf

from cnnapp import data
from cnnapp.data import DataConfig, evaluation_pipeline, ten_crop_pipeline, training_pipeline
from cnnapp.errors import CnnappError


def labelled(n=37, size=12, channels=1):
    """Constant images whose value encodes the label (10 * label + 5), labels in a scrambled order."""
    labels = (np.arange(n) * 7 % 23).astype(np.int32)
    images = np.broadcast_to((10.0 * labels + 5)[:, None, None, None], (n, size, size, channels))
    return tf.data.Dataset.from_tensor_slices((images.astype(np.float32), labels))


def indexed(n=37, size=6):
    """Image i is filled with i and labelled i: the label names the example."""
    values = np.arange(n, dtype=np.float32)
    images = np.broadcast_to(values[:, None, None, None], (n, size, size, 1)).copy()
    return tf.data.Dataset.from_tensor_slices((images, np.arange(n, dtype=np.int32)))


def collect(ds):
    batches = [(x.numpy(), y.numpy()) for x, y in ds]
    return np.concatenate([x for x, _ in batches]), np.concatenate([y for _, y in batches]), batches


# In-memory path (the default for small splits) and the streaming path with windowed shuffling.
PATHS = {"memory": {}, "stream": {"cache": "none", "shuffle_buffer": 10}}

AUGMENTED = {
    "pad_crop+flip": dict(image_size=12, channels=3, resize="pad", augment=("pad_crop", "flip"), pad=2),
    "random_crop": dict(
        image_size=8, channels=1, resize="short_side", short_side=12, augment=("random_crop",)
    ),
    "scale_jitter": dict(
        image_size=8, channels=1, augment=("scale_jitter", "flip"), scale_min=8, scale_max=16
    ),
    "inception_crop": dict(image_size=8, channels=1, augment=("inception_crop", "flip")),
    "pca_colour": dict(image_size=12, channels=3, augment=("pca_colour",), pca_std=0.0),
}


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("setup", AUGMENTED)
def test_labels_stay_with_their_images_through_shuffle_and_augmentation(setup, path):
    cfg = DataConfig(**AUGMENTED[setup], **PATHS[path])
    images, labels, _ = collect(training_pipeline(labelled(), cfg, batch_size=8, seed=3))
    assert images.shape == (37, *cfg.input_shape) and images.dtype == np.float32
    # The middle pixel survives every crop of these constant images; it still says which label came along.
    middle = images[:, cfg.image_size // 2, cfg.image_size // 2, 0]
    assert np.allclose(middle, 10.0 * labels + 5, atol=0.05)
    assert sorted(labels) == sorted(np.arange(37) * 7 % 23)


@pytest.mark.parametrize("path", PATHS)
def test_each_epoch_is_a_fresh_permutation(path):
    cfg = DataConfig(image_size=6, **PATHS[path])
    _, first, batches = collect(training_pipeline(indexed(), cfg, batch_size=8, seed=0, epoch=0))
    _, second, _ = collect(training_pipeline(indexed(), cfg, batch_size=8, seed=0, epoch=1))
    assert sorted(first) == sorted(second) == list(range(37))
    assert not np.array_equal(first, second) and not np.array_equal(first, np.arange(37))
    assert [len(y) for _, y in batches] == [8, 8, 8, 8, 5]


def test_streaming_shuffle_permutes_within_windows():
    cfg = DataConfig(image_size=6, cache="none", shuffle_buffer=10)
    _, order, _ = collect(training_pipeline(indexed(), cfg, batch_size=8, seed=0))
    for start in range(0, 37, 10):
        assert sorted(order[start : start + 10]) == list(range(start, min(start + 10, 37)))


@pytest.mark.parametrize("path", PATHS)
def test_same_seed_same_batches_and_epoch_k_reproducible_alone(path):
    cfg = DataConfig(**AUGMENTED["pad_crop+flip"], **PATHS[path])
    source = labelled()
    run = collect(training_pipeline(source, cfg, batch_size=8, seed=5, epoch=0, epochs=3))
    again = collect(training_pipeline(source, cfg, batch_size=8, seed=5, epoch=0, epochs=3))
    assert np.array_equal(run[0], again[0]) and np.array_equal(run[1], again[1])
    # A restart at epoch 2 (new pipeline, other global seed, fresh dataset object) gives epoch 2's batches.
    tf.random.set_seed(1234)
    resumed = collect(training_pipeline(labelled(), cfg, batch_size=8, seed=5, epoch=2))
    assert np.array_equal(resumed[0], run[0][74:]) and np.array_equal(resumed[1], run[1][74:])
    # Epochs differ from one another, and another seed gives other batches.
    assert not np.array_equal(run[0][:37], run[0][37:74])
    other = collect(training_pipeline(source, cfg, batch_size=8, seed=6, epoch=0))
    assert not np.array_equal(other[0], run[0][:37])


def test_forever_and_drop_remainder():
    cfg = DataConfig(image_size=6)
    forever = training_pipeline(indexed(), cfg, batch_size=8, seed=0, epochs=None, drop_remainder=True)
    batches = list(forever.take(9))
    assert all(x.shape == (8, 6, 6, 1) for x, _ in batches)
    assert data.steps_per_epoch(37, 8, drop_remainder=True) == 4 and data.steps_per_epoch(37, 8) == 5
    epoch0 = np.concatenate([y.numpy() for _, y in batches[:4]])
    epoch1 = np.concatenate([y.numpy() for _, y in batches[4:8]])
    assert len(set(epoch0)) == len(set(epoch1)) == 32 and not np.array_equal(epoch0, epoch1)


def test_pca_colour_computed_from_the_training_split_when_not_given():
    rng = np.random.default_rng(0)
    images = rng.uniform(0, 255, size=(20, 8, 8, 3)).astype(np.float32)
    images = np.clip(images, 20, 235)  # room for the colour shift, so that nothing is clipped
    ds = tf.data.Dataset.from_tensor_slices((images, np.arange(20, dtype=np.int32)))
    cfg = DataConfig(image_size=8, channels=3, augment=("pca_colour",), pca_std=0.02)
    out, labels, _ = collect(training_pipeline(ds, cfg, batch_size=20, seed=0))
    # Each output is its input (found by label through the shuffle) plus one colour for all of its pixels.
    delta = (out - images[labels]).reshape(20, -1, 3)
    assert np.allclose(delta, delta[:, :1], atol=1e-3)
    assert np.abs(delta[:, 0]).max() > 0.1


def test_evaluation_pipeline_keeps_order_and_centre_crops():
    cfg = DataConfig(image_size=4, resize="short_side", short_side=6)
    images, labels, batches = collect(evaluation_pipeline(indexed(n=11, size=6), cfg, batch_size=4))
    assert list(labels) == list(range(11)) and [len(y) for _, y in batches] == [4, 4, 3]
    assert images.shape == (11, 4, 4, 1) and np.allclose(images[:, 0, 0, 0], np.arange(11))


def test_evaluation_centres_mnist_in_32_for_lenet():
    # MNIST-shaped digits (28×28 grey) from memory: the tfds path is tested in test_sources.
    originals = np.random.default_rng(0).uniform(0, 255, (4, 28, 28, 1)).astype(np.float32)
    split = tf.data.Dataset.from_tensor_slices((originals, np.arange(4, dtype=np.int32)))
    cfg = DataConfig(image_size=32, channels=1, resize="centre")
    (images, _), *_ = list(evaluation_pipeline(split, cfg, batch_size=4))
    assert images.shape == (4, 32, 32, 1)
    assert np.array_equal(images.numpy()[:, 2:30, 2:30], originals)


def test_digits_pipelines_for_lenet5():
    source = data.load_dataset("digits")
    cfg = DataConfig(image_size=32, channels=1, resize="stretch")
    images, labels = next(iter(training_pipeline(source.splits["train"], cfg, batch_size=64, seed=0)))
    assert images.shape == (64, 32, 32, 1) and labels.dtype == tf.int32
    assert 0 <= float(tf.reduce_min(images)) and float(tf.reduce_max(images)) <= 255.001
    assert sum(int(y.shape[0]) for _, y in evaluation_pipeline(source.splits["test"], cfg, 100)) == 360


def columns(n=8, height=12, width=20):
    """Wide images whose pixels hold their column's index: a crop's values say where it was cut."""
    image = np.broadcast_to(np.arange(width, dtype=np.float32)[None, :, None], (height, width, 1))
    images = np.broadcast_to(image, (n, height, width, 1)).copy()
    return tf.data.Dataset.from_tensor_slices((images, np.zeros(n, np.int32)))


def test_alexnets_paper_crops_come_from_the_central_square():
    # Short side 12 of a 12×20 image: its central square is columns 4..15; 8×8 crops then start at 4..8.
    paper = dict(image_size=8, resize="short_side", short_side=12)
    cfg = DataConfig(augment=("central_square", "random_crop", "flip"), **paper)
    images, *_ = collect(training_pipeline(columns(n=64), cfg, batch_size=32, seed=0))
    lefts = images.min(axis=(1, 2, 3))
    assert images.shape == (64, 8, 8, 1) and lefts.min() >= 4 - 1e-3 and images.max() <= 15 + 1e-3
    assert len(set(np.round(lefts))) >= 3, "the crops move within the square"
    whole_image = DataConfig(augment=("random_crop",), **paper)
    whole, *_ = collect(training_pipeline(columns(n=64), whole_image, batch_size=32, seed=0))
    assert whole.min() < 4 - 1e-3 or whole.max() > 15 + 1e-3, "without it, crops reach the sides"
    evaluated, *_ = collect(evaluation_pipeline(columns(n=2), cfg, batch_size=2))
    assert np.allclose(evaluated[0, 0, :, 0], np.arange(6, 14)), "evaluation: the centre crop"


def test_alexnet_recipes_data_on_mock_imagenet_at_batch_2():
    import tensorflow_datasets as tfds

    from cnnapp import recipes

    cfg = recipes.load_recipe("alexnet").data.pipeline
    assert cfg.augment[:2] == ("central_square", "random_crop")
    small = dataclasses.replace(cfg, image_size=67, short_side=76, stats_examples=2)
    with tfds.testing.mock_data(num_examples=4):
        source = data.load_dataset("imagenet2012", data_dir="unused")
        images, labels = next(iter(training_pipeline(source.splits["train"], small, batch_size=2, seed=0)))
    assert images.shape == (2, 67, 67, 3) and labels.shape == (2,)


def test_ten_crop_pipeline_gives_ten_crops_per_image():
    cfg = DataConfig(image_size=4, channels=3, resize="short_side", short_side=6)
    ds = indexed(n=3, size=6).map(lambda x, y: (tf.image.grayscale_to_rgb(x), y))
    crops, labels = next(iter(ten_crop_pipeline(ds, cfg, batch_size=3)))
    assert crops.shape == (3, 10, 4, 4, 3) and list(labels.numpy()) == [0, 1, 2]
    assert np.allclose(crops.numpy()[2], 2.0)


def test_channel_stats_and_colour_pca_match_numpy():
    rng = np.random.default_rng(1)
    mix = np.array([[1.0, 0.5, 0.2], [0.0, 1.0, 0.3], [0.0, 0.0, 1.0]])
    images = np.clip(rng.normal(size=(30, 5, 7, 3)) @ mix * 30 + 120, 0, 255).astype(np.float32)
    ds = tf.data.Dataset.from_tensor_slices((images, np.zeros(30, np.int32)))
    stats = data.channel_stats(ds)
    pixels = images.reshape(-1, 3).astype(np.float64)
    assert np.allclose(stats.mean, pixels.mean(0), rtol=1e-6) and np.allclose(
        stats.std, pixels.std(0), rtol=1e-6
    )
    mean, std = data.channel_stats(ds, max_examples=10)
    assert np.allclose(mean, images[:10].reshape(-1, 3).mean(0), rtol=1e-5)
    pca = data.colour_pca(ds)
    values, vectors = np.linalg.eigh(np.cov(pixels.T / 255.0, bias=True))
    assert np.allclose(pca.eigvals, values[::-1], rtol=1e-5)
    for row, vector in zip(pca.eigvecs, vectors[:, ::-1].T, strict=True):
        assert abs(abs(np.dot(row, vector)) - 1) < 1e-6
    assert data.IMAGENET_MEAN_RGB == (123.68, 116.779, 103.939)


def test_digits_statistics():
    mean, std = data.channel_stats(data.load_dataset("digits").splits["train"])
    assert 60 < mean[0] < 100 and 80 < std[0] < 110


@pytest.mark.parametrize(
    "fields, match",
    [
        (
            dict(augment=("mixup",)),
            "unknown augmentation 'mixup'; valid augmentations: camera_geometry, central_square, flip",
        ),
        (dict(augment=("pad_crop", "random_crop"), resize="short_side"), "several crops"),
        (dict(augment=("random_crop",)), "resize = 'short_side'"),
        (dict(augment=("pca_colour",), channels=1), "needs RGB"),
        (dict(resize="squash"), "unknown resize mode 'squash'"),
        (dict(channels=2), "channels must be 1 or 3"),
        (dict(image_size=224, resize="short_side", short_side=200), "smaller than data.image_size"),
        (dict(augment=("scale_jitter",), scale_min=10), "scale_min"),
        (dict(area_min=0.0), "area_min"),
        (dict(pca_eigvals=(1, 2, 3)), "go together"),
        (dict(cache="disk"), "unknown cache mode"),
    ],
)
def test_bad_config_is_a_clear_error(fields, match):
    with pytest.raises(CnnappError, match=match):
        DataConfig(**fields)


def test_config_from_toml_lists():
    cfg = DataConfig(
        augment=["flip"], pca_eigvals=[3, 2, 1], pca_eigvecs=[[1, 0, 0], [0, 1, 0], [0, 0, 1]], channels=3
    )
    assert cfg.augment == ("flip",) and cfg.pca_eigvecs[2] == (0.0, 0.0, 1.0)
    assert hash(cfg) == hash(DataConfig(**{f: getattr(cfg, f) for f in cfg.__dataclass_fields__}))
    assert DataConfig(image_size=224).resize_short_side == 256


def test_streaming_split_of_varied_sizes_cached_once_across_epochs():
    reads = []

    def images():
        rng = np.random.default_rng(0)
        for i in range(10):
            reads.append(i)
            height, width = rng.integers(12, 20, 2)
            yield np.full((height, width, 1), 10.0 * i + 5, np.float32), np.int32(i)

    spec = (tf.TensorSpec([None, None, 1], tf.float32), tf.TensorSpec([], tf.int32))
    ds = tf.data.Dataset.from_generator(images, output_signature=spec)
    cfg = DataConfig(
        image_size=8,
        resize="short_side",
        short_side=10,
        augment=("random_crop", "flip"),
        cache="memory",
        shuffle_buffer=4,
    )
    out, labels, _ = collect(training_pipeline(ds, cfg, batch_size=3, seed=0, epochs=3))
    assert len(reads) == 10  # decoded once, served from the cache in epochs 1 and 2
    assert out.shape == (30, 8, 8, 1) and np.allclose(out[:, 4, 4, 0], 10 * labels + 5)
    for epoch in range(3):
        assert sorted(labels[10 * epoch : 10 * epoch + 10]) == list(range(10))
