"""tf.data pipelines of (image, mask) pairs: the network's size, and augmentations that move both together.

Images are resized bilinearly and masks with nearest neighbours (a label is never blended with its neighbour
into a third class). The recipe's `[data]` section is the same `DataConfig` as for classifiers; of its
augmentations, segmentation takes these, applied to image and mask with the same random numbers:

    flip          horizontal mirror with probability 0.5
    pad_crop      pad `pad` px (image: zeros, mask: void) on each side, then a random image_size crop
    scale_jitter  rescale to a side S ~ U[scale_min, scale_max], then a random image_size crop

Epoch k's batches depend only on (seed, k): the shuffle's seed and every example's augmentation seed are
derived from them, so a resumed run sees the batches an uninterrupted one saw.
"""

from __future__ import annotations

import numpy as np
import tensorflow as tf

from cnnapp.data.augment import to_channels
from cnnapp.data.config import DataConfig
from cnnapp.data.pipeline import deterministic
from cnnapp.errors import CnnappError
from cnnapp.segmentation import VOID

AUGMENTATIONS = ("flip", "pad_crop", "scale_jitter")
AUTOTUNE = tf.data.AUTOTUNE


def check_config(cfg: DataConfig) -> None:
    """Refuse what the segmentation pipeline cannot do (one line, naming the fix)."""
    bad = [name for name in cfg.augment if name not in AUGMENTATIONS]
    if bad:
        raise CnnappError(
            f"augmentation {bad[0]!r} does not move masks with images; segmentation takes "
            f"{', '.join(AUGMENTATIONS)}"
        )
    if cfg.resize != "stretch":
        raise CnnappError(
            f"segmentation resizes images and masks whole: set data.resize = 'stretch' ({cfg.resize})"
        )


def resize_pair(image: tf.Tensor, mask: tf.Tensor, size) -> tuple[tf.Tensor, tf.Tensor]:
    """Image bilinear (antialiased when shrinking), mask nearest-neighbour, both to size×size."""
    image = tf.image.resize(image, [size, size], method="bilinear", antialias=True)
    mask = tf.image.resize(mask[..., None], [size, size], method="nearest")[..., 0]
    return image, mask


def prepare(image: tf.Tensor, mask: tf.Tensor, cfg: DataConfig) -> tuple[tf.Tensor, tf.Tensor]:
    """The deterministic part: the network's channels and size."""
    image, mask = resize_pair(to_channels(image, cfg.channels), tf.cast(mask, tf.int32), cfg.image_size)
    image.set_shape(cfg.input_shape)
    mask.set_shape(cfg.input_shape[:2])
    return image, mask


def augment(image: tf.Tensor, mask: tf.Tensor, cfg: DataConfig, seed: tf.Tensor):
    """The recipe's augmentations of one prepared pair, the same random numbers for image and mask."""
    scale_seed, crop_seed, flip_seed = tf.unstack(tf.random.experimental.stateless_split(seed, 3))
    size, channels = cfg.image_size, cfg.channels
    if "scale_jitter" in cfg.augment:
        side = tf.random.stateless_uniform([], scale_seed, cfg.scale_min, cfg.scale_max + 1, tf.int32)
        image, mask = resize_pair(image, mask, side)
    elif "pad_crop" in cfg.augment:
        pad = [[cfg.pad, cfg.pad], [cfg.pad, cfg.pad]]
        image = tf.pad(image, [*pad, [0, 0]])
        mask = tf.pad(mask, pad, constant_values=VOID)
    # Crop and flip the stacked pair: one op, one set of random numbers for both.
    both = tf.concat([image, tf.cast(mask[..., None], tf.float32)], axis=-1)
    if "scale_jitter" in cfg.augment or "pad_crop" in cfg.augment:
        both = tf.image.stateless_random_crop(both, [size, size, channels + 1], crop_seed)
    if "flip" in cfg.augment:
        both = tf.image.stateless_random_flip_left_right(both, flip_seed)
    image, mask = both[..., :channels], tf.cast(tf.round(both[..., channels]), tf.int32)
    image.set_shape(cfg.input_shape)
    mask.set_shape(cfg.input_shape[:2])
    return image, mask


def training_pipeline(
    ds: tf.data.Dataset, cfg: DataConfig, batch_size: int, seed: int, *, epoch: int = 0, epochs: int = 1
) -> tf.data.Dataset:
    """Batches `(images [B, S, S, C] float32, masks [B, S, S] int32)` of `epochs` epochs from `epoch`."""
    check_config(cfg)
    prepared = _prepared(ds, cfg)
    count = int(prepared.cardinality())
    buffer = count if 0 < count <= 10_000 else min(cfg.shuffle_buffer, 2_000)

    def one_epoch(k: int) -> tf.data.Dataset:
        shuffle_seed, example_seed = (int(v) for v in np.random.SeedSequence([seed, k]).generate_state(2))
        shuffled = prepared.shuffle(buffer, seed=shuffle_seed, reshuffle_each_iteration=False)

        def augmented(index, pair):
            pair_seed = tf.random.experimental.stateless_fold_in(
                tf.constant([example_seed, k], tf.int64), index
            )
            return augment(pair[0], pair[1], cfg, pair_seed)

        examples = shuffled.enumerate().map(augmented, num_parallel_calls=AUTOTUNE, deterministic=True)
        return examples.batch(batch_size)

    # Each epoch is batched on its own, as the classifiers' pipeline is: an epoch is exactly
    # `steps_per_epoch` batches (its last one short), so epoch k's batches are the same whether the run
    # started at epoch 0 or resumed at k, and no batch mixes two epochs.
    batches = one_epoch(epoch)
    for k in range(epoch + 1, epoch + epochs):
        batches = batches.concatenate(one_epoch(k))
    return batches.prefetch(AUTOTUNE).with_options(deterministic())


def evaluation_pipeline(ds: tf.data.Dataset, cfg: DataConfig, batch_size: int) -> tf.data.Dataset:
    """Batches `(images, masks)` at the network's size, in split order, no augmentation."""
    check_config(cfg)
    return _prepared(ds, cfg).batch(batch_size).prefetch(AUTOTUNE).with_options(deterministic())


def _prepared(ds: tf.data.Dataset, cfg: DataConfig) -> tf.data.Dataset:
    prepared = ds.map(
        lambda image, mask: prepare(image, mask, cfg), num_parallel_calls=AUTOTUNE, deterministic=True
    )
    count = int(prepared.cardinality())
    fits = 0 < count and count * cfg.image_size**2 * (cfg.channels + 1) * 4 <= cfg.cache_mb * 2**20
    return prepared.cache() if cfg.cache == "memory" or (cfg.cache == "auto" and fits) else prepared
