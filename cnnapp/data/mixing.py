"""Whole-batch augmentations on Keras's layers: RandAugment, AugMix, random erasing, MixUp, CutMix.

    augment = BatchAugment(recipe.batch_augment, num_classes=10)
    images, labels = augment(images, labels, seed)          # one batch; seed: shape-[2] int tensor
    batches = augment_batches(batches, recipe.batch_augment, 10, seed=0, first_step=0)

They run after the per-image pipeline (`cnnapp.data.pipeline`), on batches of pixels in [0, 255], in the order
timm and torchvision use: RandAugment or AugMix, random erasing, then MixUp or CutMix. The last two mix pairs
of images of a batch, so labels become class weights (one-hot rows that sum to 1, float32); without them the
labels stay integers. Keras's RandAugment draws its operations once per batch (the magnitudes per image).

Every random number is a function of (seed, step), by `cnnapp.compat.stateless_seeds`: batch k of a run is
the same in an uninterrupted run and in one resumed before it.
"""

from __future__ import annotations

import keras
import tensorflow as tf

from cnnapp import compat
from cnnapp.data.config import BatchAugmentSection

VALUE_RANGE = (0, 255)  # the pipelines' pixels
_SALT = 0x6D6978  # "mix": this stage's seeds differ from the per-image pipeline's for the same train.seed


class BatchAugment:
    """The recipe's batch augmentations as one seeded function of (images, labels, seed).

    Args:
        cfg: the recipe's [batch_augment].
        num_classes: for the one-hot labels MixUp and CutMix mix.
    """

    def __init__(self, cfg: BatchAugmentSection, num_classes: int):
        self.cfg = cfg
        self.num_classes = int(num_classes)
        common = dict(dtype="float32")  # pixels stay float32 under a mixed-precision policy
        self.image_ops = []
        if cfg.randaugment_ops:
            self.image_ops.append(
                keras.layers.RandAugment(
                    value_range=VALUE_RANGE,
                    num_ops=cfg.randaugment_ops,
                    factor=cfg.randaugment_factor,
                    **common,
                )  # fmt: skip
            )
        if cfg.augmix:
            self.image_ops.append(
                keras.layers.AugMix(value_range=VALUE_RANGE, factor=cfg.augmix_factor, **common)
            )
        if cfg.random_erasing:
            self.image_ops.append(
                keras.layers.RandomErasing(factor=cfg.random_erasing, value_range=VALUE_RANGE, **common)
            )
        self.mixup = keras.layers.MixUp(alpha=cfg.mixup_alpha, **common) if cfg.mixup_alpha else None
        self.cutmix = keras.layers.CutMix(factor=cfg.cutmix_alpha, **common) if cfg.cutmix_alpha else None

    @property
    def soft_labels(self) -> bool:
        return self.mixup is not None or self.cutmix is not None

    def __call__(self, images: tf.Tensor, labels: tf.Tensor, seed: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
        """One batch: images [B, H, W, C] in [0, 255], integer labels [B]; soft labels [B, classes] when
        MixUp or CutMix is on."""
        images = tf.cast(images, tf.float32)
        for k, layer in enumerate(self.image_ops):
            if isinstance(layer, keras.layers.AugMix):
                images = tf.clip_by_value(_augmix(layer, images, _fold(seed, k)), *VALUE_RANGE)
                continue
            generator = compat.stateless_seeds(layer, _fold(seed, k))
            transformation = layer.get_random_transformation(images, training=True, seed=generator)
            images = tf.clip_by_value(layer.transform_images(images, transformation), *VALUE_RANGE)
        if not self.soft_labels:
            return images, labels
        targets = tf.one_hot(tf.cast(tf.reshape(labels, [-1]), tf.int32), self.num_classes)
        mix_seed = _fold(seed, len(self.image_ops))
        if self.mixup is not None and self.cutmix is not None:
            use_cutmix = tf.random.stateless_uniform([], _fold(mix_seed, 1)) < self.cfg.mix_switch
            return tf.cond(
                use_cutmix,
                lambda: _mix(self.cutmix, images, targets, mix_seed),
                lambda: _mix(self.mixup, images, targets, mix_seed),
            )
        return _mix(self.mixup or self.cutmix, images, targets, mix_seed)


def _augmix(layer, images, seed):
    """Hendrycks et al. 2020's AugMix with Keras AugMix's operations, chains, depth and α, every choice drawn
    from `seed`: per chain up to `chain_depth` operations (each step one of them or none, as Keras picks),
    the chains blended by Dirichlet(α) weights, the blend mixed with the batch by a Beta(α, α) weight.
    Keras picks the operations once per trace (`cnnapp.compat.augmix_operations` says why); here
    `tf.switch_case` runs the one picked for this batch."""
    operations = compat.augmix_operations(layer)
    generator = compat.stateless_seeds(layer, seed)
    alpha = float(layer.alpha)
    gammas = tf.random.stateless_gamma([layer.num_chains], _fold(seed, 1), alpha)
    chain_weights = gammas / tf.reduce_sum(gammas)
    pair = tf.random.stateless_gamma([2], _fold(seed, 2), alpha)
    keep = pair[0] / tf.reduce_sum(pair)  # Beta(α, α): the share of the batch itself

    def apply(operation, x):
        transformation = operation.get_random_transformation(x, training=True, seed=generator)
        return tf.clip_by_value(
            tf.cast(operation.transform_images(x, transformation), tf.float32), *VALUE_RANGE
        )

    mixed = tf.zeros_like(images)
    for chain in range(layer.num_chains):
        x = images
        for depth in range(layer.chain_depth):
            step = _fold(seed, 3 + chain * layer.chain_depth + depth)
            pick = tf.random.stateless_uniform([], step, 0, len(operations) + 1, tf.int32)
            branches = [lambda x=x: x] + [lambda op=op, x=x: apply(op, x) for op in operations]
            x = tf.ensure_shape(tf.switch_case(pick, branches), images.shape)
        mixed += chain_weights[chain] * x
    return keep * images + (1 - keep) * mixed


def _mix(layer, images, targets, seed):
    generator = compat.stateless_seeds(layer, seed)
    data = {"images": images, "labels": targets}
    transformation = layer.get_random_transformation(data, training=True, seed=generator)
    if isinstance(layer, keras.layers.CutMix):  # label weights = the pasted pixels' share, exactly
        transformation = compat.exact_cutmix_weights(transformation)
    mixed = layer.transform_images(images, transformation)
    return tf.cast(mixed, tf.float32), tf.cast(layer.transform_labels(targets, transformation), tf.float32)


def _fold(seed: tf.Tensor, k) -> tf.Tensor:
    return tf.random.experimental.stateless_fold_in(tf.cast(seed, tf.int64), k)


def step_seed(seed: int, step) -> tf.Tensor:
    """The seed of the batch at optimizer step `step` of a run seeded `seed`."""
    return _fold(tf.constant([seed, _SALT], tf.int64), tf.cast(step, tf.int64))


def augment_batches(
    batches: tf.data.Dataset, cfg: BatchAugmentSection, num_classes: int, seed: int, first_step: int = 0
) -> tf.data.Dataset:
    """`batches` ((images, labels), the training pipeline's) through the recipe's batch augmentations; the
    first batch is optimizer step `first_step` of the run (a resumed run's pipeline starts later)."""
    if not cfg.active:
        return batches
    augment = BatchAugment(cfg, num_classes)

    def apply(index, batch):
        images, labels = batch
        return augment(images, labels, step_seed(seed, index + first_step))

    return batches.enumerate().map(apply, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)
