"""The ink map: the per-frame model that finds the ink of a number on paper, exported for MediaPipe.

    content = inkmap_tflite()                 # a builtin-ops TFLite, ImageSegmenter metadata
    ink = InkMap(content).run(frame)          # H×W float32 in [0, 1]: how much ink at each pixel

A frame (1×240×320×3, raw pixels 0–255, 4:3 like a phone's photo) → per-pixel [paper, ink] in [0, 1]
(they sum to 1), which MediaPipe's ImageSegmenter gives as two confidence masks. It has no weights: it is the
classifier's ink front (`cnnapp.data.camera.front`: grey, polarity from the frame) made local, because a
number spans the frame and the light across it is uneven:

1. grey (BT.601 luma), inverted when the paper is light, so ink is bright;
2. a 3×3 mean against sensor noise;
3. the paper's own level by a morphological opening of a 4× smaller copy (min-pool then max-pool, 9×9 = 36
   frame pixels: wider than any stroke), smoothed and resized back: the light gradient and shadows;
4. ink = (frame − paper) / max(brightest ink, FLOOR): 1 for the darkest stroke, 0 on paper; a blank page
   stays under the reader's threshold because the floor does not stretch noise to full scale.

Every op is a TFLite builtin (CONV_2D, MEAN, REDUCE_MIN/MAX, AVERAGE_POOL_2D, MAX_POOL_2D, RESIZE_BILINEAR,
arithmetic), so MediaPipe (no Flex ops) runs it on a phone and in the browser.
"""

from __future__ import annotations

import functools

import numpy as np

from cnnapp.colour import LUMA

HEIGHT, WIDTH = 240, 320  # the frame the reader works on: 4:3, landscape
LABELS = ("paper", "ink")
FILE = "inkmap.tflite"  # its name in an export folder and in the demo site
SHRINK = 4  # the paper estimate's scale
OPENING = 9  # in shrunk pixels: 36 frame pixels, wider than a stroke of a digit a third of the frame tall
FLOOR = 40.0  # grey levels: the least contrast stretched to full ink (the classifier front's FRONT_FLOOR)


def ink_map(frames):
    """[B, H, W, 3] raw pixels (0–255) → [B, H, W, 2]: paper and ink, in [0, 1]. TensorFlow ops only."""
    import tensorflow as tf

    kernel = tf.constant(np.reshape(LUMA, (1, 1, 3, 1)), tf.float32)
    grey = tf.nn.conv2d(frames, kernel, strides=1, padding="VALID")
    mean = tf.reduce_mean(grey, axis=[1, 2, 3], keepdims=True)
    low = tf.reduce_min(grey, axis=[1, 2, 3], keepdims=True)
    high = tf.reduce_max(grey, axis=[1, 2, 3], keepdims=True)
    # The classifier front's polarity rule: paper is most of a photo; a mean above mid-range is light paper.
    light = tf.clip_by_value((mean - (low + high) * 0.5) * 0.25 + 0.5, 0.0, 1.0)
    ink = grey + light * (255.0 - 2.0 * grey)
    ink = tf.nn.avg_pool2d(ink, 3, 1, "SAME")
    small = tf.nn.avg_pool2d(ink, SHRINK, SHRINK, "VALID")
    opened = tf.nn.max_pool2d(-tf.nn.max_pool2d(-small, OPENING, 1, "SAME"), OPENING, 1, "SAME")
    paper = tf.nn.avg_pool2d(opened, 5, 1, "SAME")
    size = frames.shape[1:3]
    paper = tf.image.resize(paper, size, method="bilinear")
    contrast = tf.nn.relu(ink - paper)
    top = tf.reduce_max(contrast, axis=[1, 2, 3], keepdims=True)
    level = tf.clip_by_value(contrast / tf.maximum(top, FLOOR), 0.0, 1.0)
    return tf.concat([1.0 - level, level], axis=-1)


@functools.cache
def inkmap_tflite() -> bytes:
    """The ink map as a float32 TFLite with MediaPipe ImageSegmenter metadata (built once per process)."""
    import tensorflow as tf

    from cnnapp import quiet
    from cnnapp.deploy import metadata

    spec = tf.TensorSpec([1, HEIGHT, WIDTH, 3], tf.float32, name="image")
    function = tf.function(ink_map, input_signature=[spec])
    converter = tf.lite.TFLiteConverter.from_concrete_functions([function.get_concrete_function()], function)
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS]
    info = metadata.Info(
        name="inkmap",
        description=f"Ink of handwriting on paper, per pixel. Input: an RGB photo, {WIDTH}×{HEIGHT}, raw "
        "pixels 0-255; output: paper and ink in [0, 1] (cnnapp's number reader).",
        version="float32, cnnapp " + metadata.CNNAPP_VERSION,
        author="cnnapp",
        licence="Apache-2.0 (no weights, no training data).",
        labels=LABELS,
    )
    with quiet.hidden_output(False):  # the converter's log, and the interpreter that checks the metadata
        return metadata.with_metadata(converter.convert(), info, segmenter=True)


class InkMap:
    """The ink map through MediaPipe Tasks' ImageSegmenter, as a phone app runs it."""

    def __init__(self, content: bytes):
        from mediapipe.tasks.python import vision
        from mediapipe.tasks.python.core.base_options import BaseOptions

        options = vision.ImageSegmenterOptions(
            base_options=BaseOptions(model_asset_buffer=content),
            output_confidence_masks=True,
            output_category_mask=False,
        )
        self._segmenter = vision.ImageSegmenter.create_from_options(options)

    def run(self, frame: np.ndarray) -> np.ndarray:
        """uint8 RGB frame HEIGHT×WIDTH×3 → the ink channel, HEIGHT×WIDTH float32."""
        import mediapipe as mp

        image = mp.Image(image_format=mp.ImageFormat.SRGB, data=np.ascontiguousarray(frame))
        masks = self._segmenter.segment(image).confidence_masks
        ink = np.array(masks[LABELS.index("ink")].numpy_view(), np.float32)
        return ink.reshape(ink.shape[:2])

    def close(self) -> None:
        self._segmenter.close()
