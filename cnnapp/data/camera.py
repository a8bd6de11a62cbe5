"""A phone camera in the pipeline: real digits made into photos, frames with no digit, and the ink front.

    frames = photos(ink, TRAINING, seed)          # [B, S, S, 1] white-on-black digits → [B, S, S, 3] photos
    images = front(frames)                        # → [B, S, S, 1]: grey, ink bright on black, full contrast

Every op works on a batch and takes a stateless seed (a shape-[2] integer tensor): the same seed gives the
same photos in any process. The pieces are tf.image and tf.nn ops (`ImageProjectiveTransformV3`, what Keras's
RandomRotation/RandomZoom/RandomPerspective run, for the geometry; pooling for erosion and dilation; depthwise
convolutions for blur; `tf.image.adjust_jpeg_quality`). A `Camera` holds the ranges: `TRAINING` for the
training pipeline, `CAMERA_LIKE` and `HARDER` for the world evaluation (cnnapp.deploy.world).

`front` is the one home of the ink front's maths: the training and evaluation pipelines apply it, and the
exported model carries it as its first layer (`cnnapp.deploy.front`), so a phone gives it any RGB frame.
"""

from __future__ import annotations

import dataclasses
import math

import tensorflow as tf

from cnnapp.colour import LUMA  # the grey front's weights
from cnnapp.data import glyphs

# The camera's steps by the name `data.augment` gives them, in the order they are applied: they live with the
# other augmentations' names in cnnapp.data.config, which a recipe loads without TensorFlow.
from cnnapp.data.config import CAMERA_STEPS

# MNIST normalises a digit into a 20×20 box of its 28×28 field: its height is 20/28 of the image.
DIGIT_BOX = 20 / 28
# The front never stretches less than this contrast (grey levels) to full scale: blank paper stays dark.
FRONT_FLOOR = 40.0


@dataclasses.dataclass(frozen=True)
class Camera:
    """The ranges of one camera. Sizes are fractions of the frame; every range is drawn uniformly per image.

    Attributes:
        height: the digit's height as a fraction of the frame's.
        rotation: the largest rotation, degrees either way.
        perspective: the largest projective tilt (0 = none; 0.3 is a phone held at ~20° off square).
        ink_on_paper: the share of dark-ink-on-light-paper photos (the rest are light on dark).
        ruled: the share of photos on ruled or squared paper (half each).
        gradient: the largest brightness change across the frame (0.6 = ±30%).
        shadow: the share of photos with a soft shadow; its darkness is up to 50%.
        noise: the largest sensor noise standard deviation, in grey levels.
        blur: the largest focus blur sigma, in pixels of a 40-pixel frame (scaled with the frame).
        motion: the share of blurred photos whose blur is motion (a line), not focus.
        jpeg: the JPEG quality range (0, 0 = no JPEG).
    """

    height: tuple[float, float] = (0.2, 1.0)
    rotation: float = 15.0
    perspective: float = 0.3
    ink_on_paper: float = 0.75
    ruled: float = 0.3
    gradient: float = 0.6
    shadow: float = 0.3
    noise: float = 12.0
    blur: float = 1.2
    motion: float = 0.3
    jpeg: tuple[int, int] = (30, 95)


TRAINING = Camera()
# What "camera-like" means in the world evaluation: a digit on tinted paper, a little off, uneven light.
CAMERA_LIKE = Camera(
    height=(0.4, 0.7), rotation=10.0, perspective=0.0, ink_on_paper=1.0, ruled=0.0, gradient=0.5, shadow=0.0,
    noise=8.0, blur=1.0, motion=0.0, jpeg=(60, 95),
)  # fmt: skip
# Harder photos: a small digit, ruled or squared paper, perspective, motion blur, a soft shadow, poor JPEG.
HARDER = Camera(
    height=(0.25, 0.45), rotation=15.0, perspective=0.3, ink_on_paper=1.0, ruled=1.0, gradient=0.6,
    shadow=1.0, noise=10.0, blur=1.2, motion=1.0, jpeg=(30, 60),
)  # fmt: skip
# The training camera's second lens: small digits photographed badly, either polarity. TRAINING alone draws
# a digit under half the frame's height, on lined paper, with a shadow, in one photo of 30; half of every
# training batch is taken by SMALL instead, so the network sees them as often as the large ones.
SMALL = dataclasses.replace(HARDER, height=(0.2, 0.5), ink_on_paper=0.75, ruled=0.6, jpeg=(30, 95))


def _uniform(seed, shape, low=0.0, high=1.0):
    return tf.random.stateless_uniform(shape, seed, low, high)


def _seeds(seed, count):
    return tf.unstack(tf.random.experimental.stateless_split(tf.cast(seed, tf.int64), count))


def stroke(ink: tf.Tensor, seed: tf.Tensor) -> tf.Tensor:
    """Per image: erode (1 in 5), keep (2 in 5), dilate (3 in 10) or dilate twice (1 in 10) the ink."""
    dilated = tf.nn.max_pool2d(ink, 3, 1, "SAME")
    choices = tf.stack(
        [-tf.nn.max_pool2d(-ink, 3, 1, "SAME"), ink, dilated, tf.nn.max_pool2d(dilated, 3, 1, "SAME")]
    )
    pick = tf.searchsorted(tf.constant([0.2, 0.6, 0.9]), _uniform(seed, [tf.shape(ink)[0]]), side="right")
    return tf.gather(tf.transpose(choices, [1, 0, 2, 3, 4]), pick, batch_dims=1)


def geometry(ink: tf.Tensor, size: int, camera: Camera, seed: tf.Tensor) -> tf.Tensor:
    """Place each digit in a size×size frame: its height `camera.height` of the frame, rotated, tilted and
    moved anywhere it still fits (one projective transform per image, bilinear, black outside)."""
    count, source = tf.shape(ink)[0], tf.cast(tf.shape(ink)[1], tf.float32)
    s = _seeds(seed, 5)
    height = _uniform(s[0], [count], *camera.height)
    zoom = height * size / (DIGIT_BOX * source)  # frame pixels per source pixel
    angle = _uniform(s[1], [count], -camera.rotation, camera.rotation) * (math.pi / 180)
    room = tf.maximum(0.0, (1.0 - height) * size / 2) * 0.9  # the digit's centre may move this far
    shift = _uniform(s[2], [count, 2], -1.0, 1.0) * room[:, None]
    tilt = _uniform(s[3], [count, 2], -camera.perspective, camera.perspective) / size
    centre_out = size / 2 + shift  # (x, y) of the digit's centre in the frame
    cos, sin = tf.cos(angle) / zoom, tf.sin(angle) / zoom
    # Output (x, y) → source: rotate by -angle and shrink about the frame's digit centre, then add the tilt.
    a0, a1, b0, b1 = cos, sin, -sin, cos
    a2 = source / 2 - a0 * centre_out[:, 0] - a1 * centre_out[:, 1]
    b2 = source / 2 - b0 * centre_out[:, 0] - b1 * centre_out[:, 1]
    c0, c1 = tilt[:, 0], tilt[:, 1]
    # Tilt about the digit's centre: the projective divisor is 1 there, so the digit stays where it was put.
    k = 1.0 - c0 * centre_out[:, 0] - c1 * centre_out[:, 1]
    transforms = tf.stack([a0 * k, a1 * k, a2 * k, b0 * k, b1 * k, b2 * k, c0, c1], axis=1)
    transforms = transforms / k[:, None]
    return tf.raw_ops.ImageProjectiveTransformV3(
        images=ink,
        transforms=transforms,
        output_shape=tf.constant([size, size]),
        fill_value=0.0,
        interpolation="BILINEAR",
        fill_mode="CONSTANT",
    )


def _grid(size: int):
    coords = (tf.range(size, dtype=tf.float32) + 0.5) / size - 0.5
    return coords[None, None, :, None], coords[None, :, None, None]  # x, y in [-0.5, 0.5], [1, S, S, 1]


def _lines(size: int, count, seed) -> tf.Tensor:
    """Ruled (horizontal) or squared lines, soft, a little rotated: [B, S, S, 1] in [0, 1]."""
    x, y = _grid(size)
    s = _seeds(seed, 4)
    angle = _uniform(s[0], [count, 1, 1, 1], -0.08, 0.08)
    period = _uniform(s[1], [count, 1, 1, 1], 0.12, 0.3)
    offset = _uniform(s[2], [count, 1, 1, 1])
    width = _uniform(s[3], [count, 1, 1, 1], 0.012, 0.03)

    def lines(u):
        phase = tf.math.floormod(u / period + offset, 1.0) * period  # distance past the last line
        return tf.nn.relu(1.0 - tf.minimum(phase, period - phase) / width)

    rows = lines(y * tf.cos(angle) + x * tf.sin(angle))
    columns = lines(x * tf.cos(angle) - y * tf.sin(angle))
    squared = tf.cast(
        _uniform(tf.random.experimental.stateless_fold_in(seed, 9), [count, 1, 1, 1]) < 0.5, tf.float32
    )
    return tf.maximum(rows, squared * columns)


def paper(ink: tf.Tensor, camera: Camera, seed: tf.Tensor) -> tf.Tensor:
    """Colour the ink mask [B, S, S, 1] (0-255) as a photo [B, S, S, 3]: dark ink of some opacity on tinted
    paper (ruled or squared at `camera.ruled`), or light ink on a dark ground."""
    count, size = tf.shape(ink)[0], int(ink.shape[1])
    s = _seeds(seed, 8)
    mask = ink / 255.0
    opacity = _uniform(s[0], [count, 1, 1, 1], 0.45, 1.0)
    paper_level = _uniform(s[1], [count, 1, 1, 1], 150.0, 255.0)
    tint = 1.0 + _uniform(s[2], [count, 1, 1, 3], -0.12, 0.12)
    ink_level = _uniform(s[3], [count, 1, 1, 1], 0.0, 90.0) + _uniform(s[4], [count, 1, 1, 3], -25.0, 25.0)
    sheet = tf.clip_by_value(paper_level * tint, 0.0, 255.0)
    ruled = tf.cast(_uniform(s[5], [count, 1, 1, 1]) < camera.ruled, tf.float32)
    line_colour = sheet * tf.constant([0.75, 0.8, 0.95]) * _uniform(s[6], [count, 1, 1, 1], 0.55, 0.85)
    lines = ruled * _lines(size, count, s[7])
    sheet = sheet + lines * (line_colour - sheet)
    ink_rgb = tf.clip_by_value(ink_level, 0.0, 255.0)
    on_paper = sheet + opacity * mask * (ink_rgb - sheet)
    # Light on dark: chalk on a board, a screen, MNIST itself. Dark ground 0-90, ink 160-255.
    ground = 255.0 - sheet * (90.0 / 255.0) - 165.0
    ground = tf.clip_by_value(ground, 0.0, 90.0)
    chalk = 255.0 - ink_rgb * (95.0 / 90.0)
    on_dark = ground + opacity * mask * (chalk - ground)
    light = tf.cast(
        _uniform(tf.random.experimental.stateless_fold_in(seed, 11), [count, 1, 1, 1]) < camera.ink_on_paper,
        tf.float32,
    )
    return light * on_paper + (1.0 - light) * on_dark


def light(frames: tf.Tensor, camera: Camera, seed: tf.Tensor) -> tf.Tensor:
    """Uneven light: multiply by a linear gradient in a random direction, and by a soft shadow's edge."""
    count, size = tf.shape(frames)[0], int(frames.shape[1])
    x, y = _grid(size)
    s = _seeds(seed, 6)
    direction = _uniform(s[0], [count, 1, 1, 1], 0.0, 2 * math.pi)
    along = x * tf.cos(direction) + y * tf.sin(direction)
    gradient = 1.0 + _uniform(s[1], [count, 1, 1, 1], -camera.gradient, camera.gradient) * along
    edge_angle = _uniform(s[2], [count, 1, 1, 1], 0.0, 2 * math.pi)
    edge = x * tf.cos(edge_angle) + y * tf.sin(edge_angle) - _uniform(s[3], [count, 1, 1, 1], -0.3, 0.3)
    softness = _uniform(s[4], [count, 1, 1, 1], 0.03, 0.15)
    shadowed = tf.cast(_uniform(s[5], [count, 1, 1, 1]) < camera.shadow, tf.float32)
    depth = shadowed * _uniform(tf.random.experimental.stateless_fold_in(seed, 7), [count, 1, 1, 1], 0.2, 0.5)
    shade = 1.0 - depth * tf.sigmoid(edge / softness)
    return tf.clip_by_value(frames * gradient * shade, 0.0, 255.0)


def _gaussian_kernel(sigma: float) -> tf.Tensor:
    radius = max(1, math.ceil(2.5 * sigma))
    taps = tf.exp(-(tf.range(-radius, radius + 1, dtype=tf.float32) ** 2) / (2 * sigma**2))
    taps = taps / tf.reduce_sum(taps)
    return taps[:, None] * taps[None, :]


def _motion_kernel(length: int, diagonal: bool) -> tf.Tensor:
    kernel = tf.eye(length) if diagonal else tf.one_hot([length // 2] * length, length)
    return kernel / tf.reduce_sum(kernel)


def _filter(frames: tf.Tensor, kernel: tf.Tensor) -> tf.Tensor:
    channels, (rows, cols) = int(frames.shape[-1]), kernel.shape
    kernel = tf.tile(kernel[:, :, None, None], [1, 1, channels, 1])
    # Mirror the frame's edges: zero padding would draw a dark rim round light paper.
    pad = [[0, 0], [rows // 2, rows // 2], [cols // 2, cols // 2], [0, 0]]
    return tf.nn.depthwise_conv2d(tf.pad(frames, pad, "SYMMETRIC"), kernel, [1, 1, 1, 1], "VALID")


def sensor(frames: tf.Tensor, camera: Camera, seed: tf.Tensor) -> tf.Tensor:
    """Blur (focus, or motion along a row or a diagonal), then noise, then JPEG, each drawn per image."""
    count, size = tf.shape(frames)[0], int(frames.shape[1])
    scale = size / 40  # the ranges are for a 40-pixel frame
    s = _seeds(seed, 5)
    variants = [frames]
    if camera.blur > 0:
        variants += [_filter(frames, _gaussian_kernel(camera.blur * f * scale)) for f in (0.5, 1.0)]
    motion = max(3, round(4 * scale) | 1)
    variants += [_filter(frames, _motion_kernel(motion, d)) for d in (False, True)]
    blurred = _uniform(s[0], [count]) < 0.7
    moving = _uniform(s[1], [count]) < camera.motion
    focus = 1 + tf.cast(_uniform(s[2], [count]) * (len(variants) - 3), tf.int32) if camera.blur > 0 else 0
    direction = (
        len(variants)
        - 2
        + tf.cast(_uniform(tf.random.experimental.stateless_fold_in(seed, 5), [count]) < 0.5, tf.int32)
    )
    pick = tf.where(blurred, tf.where(moving, direction, focus), 0)
    if camera.blur == 0 and camera.motion == 0:
        pick = tf.zeros_like(pick)
    frames = tf.gather(tf.transpose(tf.stack(variants), [1, 0, 2, 3, 4]), pick, batch_dims=1)
    sigma = _uniform(s[3], [count, 1, 1, 1], 0.0, camera.noise)
    frames = tf.clip_by_value(frames + sigma * tf.random.stateless_normal(tf.shape(frames), s[4]), 0.0, 255.0)
    if camera.jpeg[1] == 0:
        return frames
    quality = tf.random.stateless_uniform(
        [count],
        tf.random.experimental.stateless_fold_in(seed, 3),
        camera.jpeg[0],
        camera.jpeg[1] + 1,
        tf.int32,
    )

    def jpeg(args):
        image, q = args
        return tf.image.adjust_jpeg_quality(image / 255.0, q) * 255.0

    out = tf.map_fn(jpeg, (frames, quality), fn_output_signature=tf.TensorSpec(frames.shape[1:], tf.float32))
    return tf.ensure_shape(out, frames.shape)


def photos(ink: tf.Tensor, camera: Camera, seed: tf.Tensor, size: int | None = None, steps=None) -> tf.Tensor:
    """White-on-black digits [B, H, W, 1] (0-255) as photos [B, size, size, 3] (0-255) by `camera`.

    `steps` names the camera steps to take (CAMERA_STEPS; default all but negatives); a step left out is the
    identity (a digit without `paper` stays white on black, in RGB).
    """
    steps = tuple(CAMERA_STEPS) if steps is None else steps
    size = size or int(ink.shape[1])
    s = _seeds(seed, 5)
    if "stroke" in steps:
        ink = stroke(ink, s[0])
    if "camera_geometry" in steps:
        ink = geometry(ink, size, camera, s[1])
    elif int(ink.shape[1]) != size:
        ink = tf.image.resize(ink, [size, size], antialias=True)
    frames = paper(ink, camera, s[2]) if "paper" in steps else tf.tile(ink, [1, 1, 1, 3])
    if "light" in steps:
        frames = light(frames, camera, s[3])
    if "sensor" in steps:
        frames = sensor(frames, camera, s[4])
    return frames


def negative_ink(count, size: int, seed: tf.Tensor) -> tf.Tensor:
    """Ink masks [count, size, size, 1] (0-255) holding no digit, as white-on-black digits are held: a letter
    or sign from a font (2 in 5), a scribble (3 in 10), or nothing at all (3 in 10: blank, ruled or squared
    paper once `paper` colours it)."""
    s = _seeds(seed, 4)
    bank = tf.constant(glyphs.bank(size), tf.float32)[..., None]
    letters = tf.gather(bank, tf.random.stateless_uniform([count], s[0], 0, bank.shape[0], tf.int32))
    kind = tf.searchsorted(tf.constant([0.4, 0.7]), _uniform(s[1], [count]), side="right")
    marks = tf.stack([letters, scribbles(count, size, s[2]), tf.zeros_like(letters)], axis=1)
    return tf.gather(marks, kind, batch_dims=1)


def scribbles(count, size: int, seed: tf.Tensor) -> tf.Tensor:
    """Connected random strokes (a crossed-out word, a tangle): [count, size, size, 1] in 0-255. Seven
    points make six strokes: few enough to stay thin, too many to pass for a digit."""
    points = 7
    s = _seeds(seed, 3)
    xy = _uniform(s[0], [count, points, 2], 0.15, 0.85) * size
    width = _uniform(s[1], [count, 1, 1, 1], 0.04, 0.09) * size
    grid = tf.stack(tf.meshgrid(tf.range(size, dtype=tf.float32), tf.range(size, dtype=tf.float32)), -1) + 0.5
    start, end = xy[:, :-1], xy[:, 1:]  # [B, P-1, 2]
    direction = end - start
    p = grid[None, None] - start[:, :, None, None]  # [B, P-1, S, S, 2]
    along = tf.reduce_sum(p * direction[:, :, None, None], -1) / (
        tf.reduce_sum(direction**2, -1)[:, :, None, None] + 1e-6
    )
    nearest = tf.clip_by_value(along, 0.0, 1.0)[..., None] * direction[:, :, None, None]
    distance = tf.reduce_min(tf.norm(p - nearest, axis=-1), axis=1)[..., None]  # [B, S, S, 1]
    keep = tf.cast(_uniform(s[2], [count, 1, 1, 1]) < 0.9, tf.float32)  # a tenth: dots only
    return 255.0 * keep * tf.clip_by_value(width / 2 - distance + 0.5, 0.0, 1.0)


def textures(count, size: int, seed: tf.Tensor) -> tf.Tensor:
    """Frames with no paper and no ink: uniform noise, coloured blotches (smooth noise), or fine grain."""
    s = _seeds(seed, 4)
    noise = _uniform(s[0], [count, size, size, 3], 0.0, 255.0)
    coarse = _uniform(s[1], [count, 6, 6, 3], 0.0, 255.0)
    blotches = tf.image.resize(coarse, [size, size], method="bicubic")
    grain = tf.clip_by_value(blotches + _uniform(s[2], [count, size, size, 3], -40.0, 40.0), 0.0, 255.0)
    kind = tf.cast(_uniform(s[3], [count]) * 3, tf.int32)
    frames = tf.stack([noise, tf.clip_by_value(blotches, 0.0, 255.0), grain], axis=1)
    return tf.gather(frames, kind, batch_dims=1)


def negatives(count, size: int, camera: Camera, seed: tf.Tensor) -> tf.Tensor:
    """Frames with no digit [count, size, size, 3]: letters, scribbles and blank paper photographed by
    `camera` (4 in 5), or textures and noise (1 in 5)."""
    s = _seeds(seed, 3)
    shot = photos(negative_ink(count, 28, s[0]), camera, s[1], size)
    texture = textures(count, size, s[2])
    pick = _uniform(tf.random.experimental.stateless_fold_in(seed, 1), [count, 1, 1, 1]) < 0.2
    return tf.where(pick, texture, shot)


def _two_lenses(images, seed, size: int, steps) -> tf.Tensor:
    """Photos of a batch of digits: the first half by TRAINING, the rest by SMALL (the batch is shuffled)."""
    count = tf.shape(images)[0]
    half = count // 2
    s = _seeds(seed, 2)

    def shoot(part, cam, part_seed):  # no convolution of no images: a batch of one has no first half
        empty = lambda: tf.zeros([0, size, size, 3])  # noqa: E731
        return tf.cond(tf.shape(part)[0] > 0, lambda: photos(part, cam, part_seed, size, steps), empty)

    wide = shoot(images[:half], TRAINING, s[0])
    small = shoot(images[half:], SMALL, s[1])
    return tf.concat([wide, small], axis=0)


def augment_batch(images, labels, steps, share: float, none_label: int, seed):
    """The training pipeline's camera: photos of the batch's digits by TRAINING, a `share` of them replaced by
    negatives labelled `none_label` when "negatives" is among `steps`; returns RGB frames and labels."""
    s = _seeds(seed, 2)
    size = int(images.shape[1])
    if "negatives" not in steps:
        return _two_lenses(images, s[0], size, steps), labels
    # The batch is in random order: its first `share` become negatives (made only for those).
    count = tf.cast(tf.round(share * tf.cast(tf.shape(images)[0], tf.float32)), tf.int32)
    # (An empty batch of negatives is not made: convolutions of no images report a padded shape.)
    none = tf.cond(
        count > 0, lambda: negatives(count, size, TRAINING, s[1]), lambda: tf.zeros([0, size, size, 3])
    )
    frames = tf.concat([none, _two_lenses(images[count:], s[0], size, steps)], axis=0)
    labels = tf.concat([tf.fill([count], tf.cast(none_label, labels.dtype)), labels[count:]], axis=0)
    return frames, labels


def front(images: tf.Tensor) -> tf.Tensor:
    """The ink front: any frame [B, H, W, 1 or 3] (0-255) → grey [B, H, W, 1], ink bright on black, 0-255.

    Grey by the BT.601 luma weights; polarity from the frame itself (paper is most of a photo, so when the
    frame's mean is above the middle of its range the paper is light: invert); then contrast: the mean (the
    paper) goes to 0 and the brightest ink to 255, stretching at most 255/FRONT_FLOOR times. Every op is a
    TFLite builtin with an int8 kernel (CONV_2D, MEAN, REDUCE_MAX/MIN, ADD, SUB, MUL, MINIMUM, MAXIMUM).
    """
    if images.shape[-1] == 3:
        kernel = tf.constant([[list(zip(LUMA))]], images.dtype)  # [1, 1, 3, 1]
        grey = tf.nn.conv2d(images, kernel, strides=1, padding="VALID")
    else:
        grey = images
    mean = tf.reduce_mean(grey, axis=[1, 2, 3], keepdims=True)
    low = tf.reduce_min(grey, axis=[1, 2, 3], keepdims=True)
    high = tf.reduce_max(grey, axis=[1, 2, 3], keepdims=True)
    # 1 when the paper is light, 0 when dark; a ramp 4 grey levels wide keeps the graph differentiable.
    light = tf.clip_by_value((mean - (low + high) * 0.5) * 0.25 + 0.5, 0.0, 1.0)
    ink = grey + light * (255.0 - 2.0 * grey)
    paper_level = mean + light * (255.0 - 2.0 * mean)
    top = tf.reduce_max(ink, axis=[1, 2, 3], keepdims=True)
    gain = 255.0 / tf.maximum(top - paper_level, FRONT_FLOOR)
    return tf.clip_by_value((ink - paper_level) * gain, 0.0, 255.0)
