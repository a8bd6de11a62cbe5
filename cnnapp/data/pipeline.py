"""The tf.data input pipelines: training (augmented, shuffled, reproducible per epoch) and evaluation.

Determinism: every random choice is a stateless op whose seed is derived from (seed, epoch, the example's
index in the split or the batch's index in the epoch), and the shuffle's permutation from (seed, epoch). So
the batches of epoch k are a function of (seed, k) alone: a run resumed at epoch k sees exactly the batches
an uninterrupted run saw, whatever the global TF seed, the thread timing, or how many epochs came before.

Small splits (known size, fixed prepared shape, under `cache_mb`) are decoded and resized once and kept in
memory; each epoch is a fresh permutation of them, batched, and augmented by one op per batch (crops, flips,
colour; with a seed per batch) or per image (the rescaling crops of VGG and GoogLeNet), in parallel. Large
splits (ImageNet) stream from tfds, are augmented per image in parallel, and are shuffled in windows of
`shuffle_buffer` examples (tfds writes its splits already shuffled, so windows mix well).
"""

from __future__ import annotations

import functools
import math
import weakref

import tensorflow as tf

from cnnapp.data import augment as aug
from cnnapp.data import camera, folder
from cnnapp.data.config import DataConfig
from cnnapp.data.records import records_of
from cnnapp.data.stats import colour_pca

AUTOTUNE = tf.data.AUTOTUNE

# Prepared splits kept in memory, per source dataset and preparation, so that calling `training_pipeline` once
# per epoch decodes and resizes a split once, not every epoch.
_PREPARED: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def training_pipeline(
    ds: tf.data.Dataset,
    cfg: DataConfig,
    batch_size: int,
    seed: int,
    *,
    epoch: int = 0,
    epochs: int | None = 1,
    drop_remainder: bool = False,
) -> tf.data.Dataset:
    """Batches of augmented training examples for `epochs` epochs starting at `epoch`.

    Args:
        ds: unbatched `(image, label)` examples at native size (a `Source` split).
        cfg: what the network wants and which augmentations are on.
        batch_size: examples per batch; each epoch ends with a smaller batch unless `drop_remainder`.
        seed: the run's seed.
        epoch: the first epoch (0-based) to produce; epoch k's batches depend only on (seed, k).
        epochs: how many consecutive epochs to produce (None: forever; then pass `steps_per_epoch` to fit).
        drop_remainder: drop each epoch's last partial batch (static batch shapes for XLA and TPUs).

    Returns:
        A dataset of `(images [B, size, size, C] float32 in [0, 255], labels [B] int32)`.
    """
    native = any(name in cfg.augment for name in ("scale_jitter", "inception_crop"))
    pca = _pca(ds, cfg) if "pca_colour" in cfg.augment else None

    def prepare(image, label):
        image = aug.to_channels(image, cfg.channels)
        return (image if native else _resize(image, cfg)), label

    files = _files(ds)
    if files is not None and cfg.cache != "memory":
        # Image files: each epoch shuffles the paths and decodes in the parallel map (first batch at once).
        epoch_fn = functools.partial(_file_epoch, files, cfg, native, batch_size, seed, drop_remainder, pca)
    elif _fits_in_memory(base := _prepared(ds, cfg, prepare), cfg):
        key = (cfg.channels, native, cfg.resize, cfg.image_size, cfg.resize_short_side, _central_square(cfg))
        arrays = _materialize(ds, base, key)
        # Crops, flips and colour shifts of same-size images run one op per batch; rescaling crops cannot.
        make = _batched_epoch if not native else _memory_epoch
        epoch_fn = functools.partial(make, arrays, cfg, batch_size, seed, drop_remainder, pca)
    else:
        base = _prepared(ds, cfg, prepare)
        source = base.cache() if cfg.cache == "memory" else base
        epoch_fn = functools.partial(_stream_epoch, source, cfg, batch_size, seed, drop_remainder, pca)

    if epochs == 1:
        batches = epoch_fn(tf.constant(epoch, tf.int64))
    else:
        last = 2**62 if epochs is None else epoch + epochs
        batches = tf.data.Dataset.range(epoch, last).flat_map(epoch_fn)
    return batches.prefetch(AUTOTUNE).with_options(deterministic())


def _prepared(ds: tf.data.Dataset, cfg: DataConfig, prepare) -> tf.data.Dataset:
    return _at_channels(ds, cfg.channels).map(prepare, num_parallel_calls=AUTOTUNE, deterministic=True)


def _seeds(seed: int, epoch: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
    """Epoch k's seeds (for the examples' random ops, for the shuffle), a function of (seed, k) only."""
    epoch_seed = _fold(tf.constant([seed, 0], tf.int64), epoch)
    return tuple(tf.unstack(tf.random.experimental.stateless_split(epoch_seed, 2)))


def _batched_epoch(arrays, cfg, batch_size, seed, drop_remainder, pca, epoch) -> tf.data.Dataset:
    """An epoch of a split kept in memory: a permutation, batched, each batch augmented by batch ops."""
    images, labels = arrays
    example_seeds, shuffle_seed = _seeds(seed, epoch)
    order = tf.random.experimental.stateless_shuffle(tf.range(tf.shape(labels, tf.int64)[0]), shuffle_seed)

    def augment(index, batch):
        batch_seed = _fold(example_seeds, index)
        batch_images = _augment_batch(tf.gather(images, batch), cfg, batch_seed, pca)
        batch_images, batch_labels = _camera_batch(batch_images, tf.gather(labels, batch), cfg, batch_seed)
        batch_images.set_shape([None, *cfg.input_shape])
        return batch_images, batch_labels

    batches = tf.data.Dataset.from_tensor_slices(order).batch(batch_size, drop_remainder=drop_remainder)
    return batches.enumerate().map(augment, num_parallel_calls=AUTOTUNE, deterministic=True)


def _memory_epoch(arrays, cfg, batch_size, seed, drop_remainder, pca, epoch) -> tf.data.Dataset:
    """An epoch of a split kept in memory at native size: a permutation, each image augmented on its own."""
    images, labels = arrays
    example_seeds, shuffle_seed = _seeds(seed, epoch)
    order = tf.random.experimental.stateless_shuffle(tf.range(tf.shape(labels, tf.int64)[0]), shuffle_seed)

    def augment(index):
        image = _augment(tf.gather(images, index), cfg, _fold(example_seeds, index), pca)
        image.set_shape(cfg.input_shape)
        return image, tf.gather(labels, index)

    examples = tf.data.Dataset.from_tensor_slices(order).map(
        augment, num_parallel_calls=AUTOTUNE, deterministic=True
    )
    return examples.batch(batch_size, drop_remainder=drop_remainder)


def _file_epoch(files, cfg, native, batch_size, seed, drop_remainder, pca, epoch) -> tf.data.Dataset:
    """An epoch of a folder split: its paths permuted, each image decoded and augmented in parallel."""
    example_seeds, shuffle_seed = _seeds(seed, epoch)
    order = tf.random.experimental.stateless_shuffle(tf.range(len(files.paths), dtype=tf.int64), shuffle_seed)

    def augment(image, label, index):
        image = image if native else _resize(image, cfg)
        image = _augment(image, cfg, _fold(example_seeds, index), pca)
        image.set_shape(cfg.input_shape)
        return image, label

    examples = folder.decoded(files, augment, cfg.channels, order)
    return examples.batch(batch_size, drop_remainder=drop_remainder)


def _files(ds: tf.data.Dataset):
    records = records_of(ds)
    return None if records is None else records.files


def _at_channels(ds: tf.data.Dataset, channels: int) -> tf.data.Dataset:
    """A folder split decoded straight to `channels` (as predict decodes a file); other splits as they are."""
    files = _files(ds)
    if files is None or files.channels == channels:
        return ds
    return folder.decoded(files, lambda image, label, _index: (image, label), channels)


def _stream_epoch(source, cfg, batch_size, seed, drop_remainder, pca, epoch) -> tf.data.Dataset:
    """An epoch of a streaming split: each image augmented on its own, then shuffled in windows."""
    example_seeds, shuffle_seed = _seeds(seed, epoch)

    def augment(index, example):
        image = _augment(example[0], cfg, _fold(example_seeds, index), pca)
        image.set_shape(cfg.input_shape)
        return image, example[1]

    examples = source.enumerate().map(augment, num_parallel_calls=AUTOTUNE, deterministic=True)
    examples = _window_shuffle(examples, _window(cfg), shuffle_seed)
    return examples.batch(batch_size, drop_remainder=drop_remainder)


def evaluation_pipeline(ds: tf.data.Dataset, cfg: DataConfig, batch_size: int) -> tf.data.Dataset:
    """Batches of evaluation examples: the network's size by `cfg.resize` (short side: then a centre crop).

    Returns:
        A dataset of `(images [B, size, size, C] float32 in [0, 255], labels [B] int32)`, in split order.
    """

    def prepare(image, label):
        return evaluation_image(image, cfg), label

    examples = _at_channels(ds, cfg.channels).map(prepare, num_parallel_calls=AUTOTUNE, deterministic=True)
    if _fits_in_memory(examples, cfg):
        examples = examples.cache()
    return examples.batch(batch_size).prefetch(AUTOTUNE).with_options(deterministic())


def evaluation_image(image: tf.Tensor, cfg: DataConfig) -> tf.Tensor:
    """One decoded image (H×W×C float32 in [0, 255], any size) as `evaluation_pipeline` gives it to the
    network: `cfg.channels`, then `cfg.resize` (short side: then the centre crop). Predict calls it on a
    run's images, so a file is classified exactly as the run was evaluated."""
    image = _resize(aug.to_channels(image, cfg.channels), cfg)
    image = aug.centre_crop(image, cfg.image_size) if cfg.resize == "short_side" else image
    if cfg.front == "camera":
        image = camera.front(image[None])[0]
    image.set_shape(cfg.input_shape)
    return image


def ten_crop_pipeline(ds: tf.data.Dataset, cfg: DataConfig, batch_size: int) -> tf.data.Dataset:
    """AlexNet's 10-crop test: the central square of the short-side resize, cut into `ten_crops`.

    The short side is `cfg.resize_short_side` (256 for a 224 network) whatever `cfg.resize` says, since the
    crops need an image larger than the network's input.

    Returns:
        A dataset of `(crops [B, 10, size, size, C], labels [B])`; average the softmax over axis 1.
    """
    short = cfg.resize_short_side

    def prepare(image, label):
        image = aug.resize_short_side(aug.to_channels(image, cfg.channels), short)
        crops = aug.ten_crops(aug.centre_crop(image, short), cfg.image_size)
        crops.set_shape([10, *cfg.input_shape])
        return crops, label

    examples = _at_channels(ds, cfg.channels).map(prepare, num_parallel_calls=AUTOTUNE, deterministic=True)
    return examples.batch(batch_size).prefetch(AUTOTUNE).with_options(deterministic())


def steps_per_epoch(num_examples: int, batch_size: int, drop_remainder: bool = False) -> int:
    """Batches in one epoch of `training_pipeline` (what `fit` needs when `epochs` is None)."""
    return num_examples // batch_size if drop_remainder else math.ceil(num_examples / batch_size)


def _resize(image: tf.Tensor, cfg: DataConfig) -> tf.Tensor:
    """The deterministic part: the network's size ("stretch", "pad", "centre") or the short-side resize (no
    crop; with `central_square`, its central short_side × short_side square, as AlexNet's paper prepared
    every image before cutting its training crops)."""
    if cfg.resize == "stretch":
        return aug.stretch(image, cfg.image_size)
    if cfg.resize == "pad":
        return aug.fit_and_pad(image, cfg.image_size)
    if cfg.resize == "centre":
        return aug.centre_on_canvas(image, cfg.image_size)
    image = aug.resize_short_side(image, cfg.resize_short_side)
    return aug.centre_crop(image, cfg.resize_short_side) if _central_square(cfg) else image


def _central_square(cfg: DataConfig) -> bool:
    return "central_square" in cfg.augment


def _augment(image: tf.Tensor, cfg: DataConfig, seed: tf.Tensor, pca) -> tf.Tensor:
    crop_seed, flip_seed, colour_seed = tf.unstack(tf.random.experimental.stateless_split(seed, 3))
    size, names = cfg.image_size, cfg.augment
    if "scale_jitter" in names:
        image = aug.scale_jitter(image, size, cfg.scale_min, cfg.scale_max, crop_seed)
    elif "inception_crop" in names:
        image = aug.inception_crop(
            image, size, (cfg.area_min, cfg.area_max), (cfg.aspect_min, cfg.aspect_max), crop_seed
        )
    elif "random_crop" in names:
        image = aug.random_crop(image, size, crop_seed)
    elif "pad_crop" in names:
        image = aug.pad_crop(image, size, cfg.pad, crop_seed)
    elif cfg.resize == "short_side":
        image = aug.centre_crop(image, size)
    if "flip" in names:
        image = aug.flip(image, flip_seed)
    if pca is not None:
        image = aug.pca_colour(image, pca[0], pca[1], cfg.pca_std, colour_seed)
    if cfg.front == "camera":  # one image: the camera without negatives (they replace part of a batch)
        steps = tuple(name for name in _camera_steps(cfg) if name != "negatives")
        frames = camera.photos(image[None], camera.TRAINING, colour_seed, cfg.image_size, steps)
        image = camera.front(frames if steps else image[None])[0]
    return image


def _camera_steps(cfg: DataConfig) -> tuple[str, ...]:
    return tuple(name for name in cfg.augment if name in camera.CAMERA_STEPS)


def _camera_batch(images, labels, cfg: DataConfig, seed):
    """The camera steps and the ink front on a batch (which the `negatives` step may relabel)."""
    if cfg.front != "camera":
        return images, labels
    steps = _camera_steps(cfg)
    if steps:
        seed = tf.random.experimental.stateless_fold_in(seed, 17)
        images, labels = camera.augment_batch(images, labels, steps, cfg.negatives, cfg.none_label, seed)
    return camera.front(images), labels


def _augment_batch(images: tf.Tensor, cfg: DataConfig, seed: tf.Tensor, pca) -> tf.Tensor:
    crop_seed, flip_seed, colour_seed = tf.unstack(tf.random.experimental.stateless_split(seed, 3))
    if "random_crop" in cfg.augment:
        images = aug.random_crop_batch(images, cfg.image_size, crop_seed)
    elif "pad_crop" in cfg.augment:
        images = aug.pad_crop_batch(images, cfg.image_size, cfg.pad, crop_seed)
    elif cfg.resize == "short_side":
        images = tf.image.resize_with_crop_or_pad(images, cfg.image_size, cfg.image_size)
    if "flip" in cfg.augment:
        images = aug.flip_batch(images, flip_seed)
    if pca is not None:
        images = aug.pca_colour_batch(images, pca[0], pca[1], cfg.pca_std, colour_seed)
    return images


def _pca(ds: tf.data.Dataset, cfg: DataConfig) -> tuple[tf.Tensor, tf.Tensor]:
    if cfg.pca_eigvals:
        eigvals, eigvecs = cfg.pca_eigvals, cfg.pca_eigvecs
    else:
        rgb = ds.map(lambda image, label: (aug.to_channels(image, 3), label), num_parallel_calls=AUTOTUNE)
        eigvals, eigvecs = colour_pca(rgb, cfg.stats_examples)
    return tf.constant(eigvals, tf.float32), tf.constant(eigvecs, tf.float32)


def _fits_in_memory(ds: tf.data.Dataset, cfg: DataConfig) -> bool:
    """Keep the prepared split in memory? Needs a known size, a fixed shape and (for "auto") ≤ cache_mb."""
    if cfg.cache == "none":
        return False
    shape, count = ds.element_spec[0].shape, int(ds.cardinality())
    if count < 0 or not shape.is_fully_defined():
        return False
    return cfg.cache == "memory" or count * shape.num_elements() * 4 <= cfg.cache_mb * 2**20


def _materialize(ds: tf.data.Dataset, prepared: tf.data.Dataset, key: tuple) -> tuple[tf.Tensor, tf.Tensor]:
    memo = _PREPARED.setdefault(ds, {})
    if key not in memo:
        memo.clear()  # one preparation per split at a time: memory is the point of caching only small splits
        memo[key] = prepared.batch(int(prepared.cardinality())).get_single_element()
    return memo[key]


def _window(cfg: DataConfig) -> int:
    """The streaming shuffle's window: shuffle_buffer examples, but two windows within cache_mb."""
    example_bytes = 4 * cfg.image_size**2 * cfg.channels
    return max(1, min(cfg.shuffle_buffer, cfg.cache_mb * 2**20 // (2 * example_bytes)))


def _window_shuffle(ds: tf.data.Dataset, window: int, seed: tf.Tensor) -> tf.data.Dataset:
    """Permute each run of `window` consecutive examples with a stateless permutation (ds: fixed shapes).

    The next window is assembled while the current one is consumed (prefetch 1), so the shuffle does not stall
    the stream at window boundaries.
    """

    def permute(index, batch):
        count = tf.shape(batch[1], tf.int64)[0]
        order = tf.random.experimental.stateless_shuffle(tf.range(count), _fold(seed, index))
        return tf.nest.map_structure(lambda t: tf.gather(t, order), batch)

    return ds.batch(window).enumerate().map(permute).prefetch(1).unbatch()


def _fold(seed: tf.Tensor, data) -> tf.Tensor:
    return tf.random.experimental.stateless_fold_in(seed, tf.cast(data, tf.int64))


def deterministic() -> tf.data.Options:
    """Dataset options that keep parallel maps in order: a seed and an epoch give the same batches."""
    options = tf.data.Options()
    options.deterministic = True
    return options
