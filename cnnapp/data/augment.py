"""Per-image geometry and the papers' augmentations, as stateless tf ops on one H×W×C float32 image.

Every random op takes a `seed` (a shape-[2] integer tensor), so the same seed gives the same result in any
process: that is what makes an epoch of the training pipeline reproducible on its own.
"""

from __future__ import annotations

import tensorflow as tf

from cnnapp.colour import LUMA


def to_channels(image: tf.Tensor, channels: int) -> tf.Tensor:
    """Convert a grey (1) or RGB (3) image to `channels` channels."""
    have = image.shape[-1]
    if have == channels:
        return image
    if have == 1 and channels == 3:
        return tf.image.grayscale_to_rgb(image)
    if have == 3 and channels == 1:
        # The luma sum of cnnapp.colour, not tf.image.rgb_to_grayscale's rounded 0.2989: one value everywhere.
        return tf.tensordot(image, tf.constant(LUMA, image.dtype), [[-1], [0]])[..., None]
    raise ValueError(f"cannot convert {have} channels to {channels}")


def stretch(image: tf.Tensor, size: int) -> tf.Tensor:
    """Resize the whole image to size×size (bilinear; antialiased when shrinking)."""
    return tf.image.resize(image, [size, size], method="bilinear", antialias=True)


def fit_and_pad(image: tf.Tensor, size: int) -> tf.Tensor:
    """Resize so that the long side is `size`, keeping the aspect ratio (bilinear, antialiased), then centre
    on a black size×size canvas: keras's `pad_to_aspect_ratio` and `tf.image.resize_with_pad` (which does not
    centre odd margins), so 8×8 digits fill LeNet-5's 32×32 field and a 300×400 photo keeps its whole view."""
    shape = tf.cast(tf.shape(image)[:2], tf.float32)
    scale = size / tf.reduce_max(shape)
    new = tf.clip_by_value(tf.cast(tf.round(shape * scale), tf.int32), 1, size)
    image = tf.image.resize(image, new, method="bilinear", antialias=True)
    return tf.image.resize_with_crop_or_pad(image, size, size)


def centre_on_canvas(image: tf.Tensor, size: int) -> tf.Tensor:
    """Centre the image unscaled on a black size×size canvas, or take its centre when it is larger: LeNet-5's
    MNIST, whose 28×28 field (a 20×20 digit) sits in the 32×32 input so that strokes reach the feature maps'
    centres (LeCun et al. 1998, section II.B)."""
    return tf.image.resize_with_crop_or_pad(image, size, size)


def resize_short_side(image: tf.Tensor, short: tf.Tensor | int) -> tf.Tensor:
    """Resize so that the short side is `short`, keeping the aspect ratio (bilinear, antialiased)."""
    shape = tf.cast(tf.shape(image)[:2], tf.float32)
    short = tf.cast(short, tf.float32)
    scale = short / tf.reduce_min(shape)
    # max() keeps the short side exactly `short` despite rounding.
    new = tf.cast(tf.maximum(tf.round(shape * scale), short), tf.int32)
    return tf.image.resize(image, new, method="bilinear", antialias=True)


def centre_crop(image: tf.Tensor, size: int) -> tf.Tensor:
    """The central size×size crop (the image must be at least that large)."""
    return tf.image.resize_with_crop_or_pad(image, size, size)


def random_crop(image: tf.Tensor, size: int, seed: tf.Tensor) -> tf.Tensor:
    """AlexNet: a size×size crop at a uniformly random position."""
    return tf.image.stateless_random_crop(image, [size, size, tf.shape(image)[-1]], seed)


def pad_crop(image: tf.Tensor, size: int, pad: int, seed: tf.Tensor) -> tf.Tensor:
    """CIFAR: pad `pad` pixels of zeros on every side, then a random size×size crop (shifts of up to ±pad)."""
    padded = tf.pad(image, [[pad, pad], [pad, pad], [0, 0]])
    return random_crop(padded, size, seed)


def flip(image: tf.Tensor, seed: tf.Tensor) -> tf.Tensor:
    """A horizontal mirror with probability 0.5."""
    return tf.image.stateless_random_flip_left_right(image, seed)


def pca_colour(
    image: tf.Tensor, eigvals: tf.Tensor, eigvecs: tf.Tensor, std: float, seed: tf.Tensor
) -> tf.Tensor:
    """AlexNet's colour augmentation: add sum_i alpha_i lambda_i p_i to every RGB pixel, alpha_i ~ N(0, std).

    Args:
        image: RGB pixels in [0, 255].
        eigvals: the 3 eigenvalues lambda_i of the training set's RGB covariance, with pixels scaled to [0, 1]
            (the scale the paper's formula needs to give shifts of a few grey levels).
        eigvecs: the eigenvectors p_i as the rows of a 3×3 matrix.
        std: the standard deviation of alpha (0.1 in the paper).
        seed: the stateless seed; one alpha per image, the same shift for all of its pixels.

    Returns:
        The shifted image, clipped back to [0, 255].
    """
    alpha = tf.random.stateless_normal([3], seed, stddev=std)
    shift = tf.linalg.matvec(eigvecs, alpha * eigvals, transpose_a=True) * 255.0
    return tf.clip_by_value(image + shift, 0.0, 255.0)


def scale_jitter(image: tf.Tensor, size: int, smin: int, smax: int, seed: tf.Tensor) -> tf.Tensor:
    """VGG: resize the short side to S, uniform in [smin, smax], then a random size×size crop."""
    scale_seed, crop_seed = tf.unstack(tf.random.experimental.stateless_split(seed, 2))
    short = tf.random.stateless_uniform([], scale_seed, minval=smin, maxval=smax + 1, dtype=tf.int32)
    return random_crop(resize_short_side(image, short), size, crop_seed)


def inception_crop(
    image: tf.Tensor, size: int, area: tuple[float, float], aspect: tuple[float, float], seed: tf.Tensor
) -> tf.Tensor:
    """GoogLeNet: a crop of area[0]..area[1] of the image, aspect w/h in aspect[0]..aspect[1], resized.

    After 10 failed attempts to fit such a crop, the whole image is used (tf.image's rule).
    """
    begin, extent, _ = tf.image.stateless_sample_distorted_bounding_box(
        tf.shape(image),
        bounding_boxes=tf.constant([[[0.0, 0.0, 1.0, 1.0]]]),
        seed=seed,
        min_object_covered=0.0,
        aspect_ratio_range=aspect,
        area_range=area,
        max_attempts=10,
        use_image_if_no_bounding_boxes=True,
    )
    crop = tf.slice(image, begin, extent)
    return tf.image.resize(crop, [size, size], method="bilinear", antialias=True)


def ten_crops(image: tf.Tensor, crop_size: int) -> tf.Tensor:
    """AlexNet's test-time crops: the 4 corners and the centre, then the same 5 mirrored.

    Args:
        image: H×W×C with H, W ≥ crop_size (AlexNet: 256×256 → 224 crops).
        crop_size: the crops' side.

    Returns:
        [10, crop_size, crop_size, C] in the order top-left, top-right, bottom-left, bottom-right, centre,
        then those five flipped horizontally.
    """
    height, width = tf.shape(image)[0], tf.shape(image)[1]
    bottom, right = height - crop_size, width - crop_size
    corners = [(0, 0), (0, right), (bottom, 0), (bottom, right), (bottom // 2, right // 2)]
    crops = tf.stack([image[top : top + crop_size, left : left + crop_size] for top, left in corners])
    return tf.concat([crops, tf.reverse(crops, axis=[2])], axis=0)


# Batched forms for splits kept in memory: one op per batch instead of one per image, the same distributions.
# Images are [B, H, W, C]; `seed` gives all of the batch's random numbers.


def random_crop_batch(images: tf.Tensor, size: int, seed: tf.Tensor) -> tf.Tensor:
    """`random_crop` for every image of a batch, each at its own uniformly random position."""
    shape = tf.shape(images)
    count, height, width = shape[0], shape[1], shape[2]
    top = tf.random.stateless_uniform([count, 1], seed, 0, height - size + 1, tf.int32)
    left = tf.random.stateless_uniform(
        [count, 1], tf.random.experimental.stateless_fold_in(seed, 1), 0, width - size + 1, tf.int32
    )
    rows = tf.gather(images, top + tf.range(size)[None], axis=1, batch_dims=1)
    return tf.gather(rows, left + tf.range(size)[None], axis=2, batch_dims=1)


def pad_crop_batch(images: tf.Tensor, size: int, pad: int, seed: tf.Tensor) -> tf.Tensor:
    """`pad_crop` for every image of a batch."""
    return random_crop_batch(tf.pad(images, [[0, 0], [pad, pad], [pad, pad], [0, 0]]), size, seed)


def flip_batch(images: tf.Tensor, seed: tf.Tensor) -> tf.Tensor:
    """`flip` for every image of a batch: each mirrored with probability 0.5."""
    mirror = tf.random.stateless_uniform([tf.shape(images)[0], 1, 1, 1], seed) < 0.5
    return tf.where(mirror, tf.reverse(images, axis=[2]), images)


def pca_colour_batch(
    images: tf.Tensor, eigvals: tf.Tensor, eigvecs: tf.Tensor, std: float, seed: tf.Tensor
) -> tf.Tensor:
    """`pca_colour` for every image of a batch: one alpha per image."""
    alpha = tf.random.stateless_normal([tf.shape(images)[0], 3], seed, stddev=std)
    shift = tf.matmul(alpha * eigvals, eigvecs) * 255.0
    return tf.clip_by_value(images + shift[:, None, None, :], 0.0, 255.0)
