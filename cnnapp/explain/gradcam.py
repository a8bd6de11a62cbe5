"""Grad-CAM (Selvaraju et al. 2017): where the network looks for a class.

For a conv layer's maps A^k and a class score y^c (the logit, before the softmax), the map's weight is the
gradient averaged over the map, α_k = mean_ij ∂y^c/∂A^k_ij, and the heatmap is ReLU(Σ_k α_k A^k), at the
layer's resolution. AlexNet's "last conv" is its two towers' conv5 together: the sum over both towers' maps.
Gradients come from `tf.GradientTape` on the Keras 3 model (TensorFlow backend).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np

from cnnapp import models
from cnnapp.errors import CnnappError
from cnnapp.explain import figure as fig
from cnnapp.explain import layers as L
from cnnapp.explain.overlay import draw_rows
from cnnapp.explain.subject import check_images


@dataclasses.dataclass
class GradCam:
    """Heatmaps of a batch of images.

    Attributes:
        layers: the layers whose maps were weighed (two for AlexNet's towers).
        cams: ReLU(Σ α_k A^k) per image [N, h, w] at the layers' resolution, unscaled.
        classes: the class each heatmap is for [N].
        probs: the model's probabilities [N, classes].
    """

    layers: list[str]
    cams: np.ndarray
    classes: np.ndarray
    probs: np.ndarray

    def peaks(self) -> np.ndarray:
        """(row, col) of each heatmap's maximum [N, 2] (the first, for ties)."""
        flat = self.cams.reshape(len(self.cams), -1).argmax(axis=1)
        return np.stack(np.unravel_index(flat, self.cams.shape[1:]), axis=1)


def _logits_head(model):
    """The `predictions` Dense layer when it applies a softmax: Grad-CAM differentiates its logits."""
    last = model.layers[-1]
    activation = getattr(getattr(last, "activation", None), "__name__", "")
    if type(last).__name__ == "Dense" and activation == "softmax":
        return last
    return None


def check_cam_layers(model, names: list[str]) -> list[str]:
    convs = L.conv_layers(model)
    if not convs:
        raise CnnappError(
            f"model {model.name!r} has no conv layers, so Grad-CAM has nothing to weigh; it needs a conv net"
        )
    valid = L.spatial_layer_names(model)
    shapes = set()
    for name in names:
        layer = L.get_layer(model, name, "layer", valid)
        shape = L.spatial_shape(layer)
        if shape is None:
            raise CnnappError(
                f"layer {name!r} has no spatial maps for Grad-CAM; choose one of: {', '.join(valid)}"
            )
        shapes.add(shape[:2])
    if len(shapes) > 1:
        raise CnnappError(
            f"layers {', '.join(names)} have maps of different sizes; Grad-CAM sums same-size maps"
        )
    return names


def gradcam(
    model, images: np.ndarray, layers: list[str] | None = None, class_index: int | None = None
) -> GradCam:
    """Grad-CAM heatmaps of raw-pixel `images` for `class_index` (default: each image's predicted class).

    Args:
        model: a Keras inference model (raw pixels in, probabilities out); GoogLeNet's training graph is
            reduced to its inference path.
        images: [N, H, W, C] or one [H, W, C].
        layers: the layer(s) whose maps are weighed (same resolution; summed); default
            `layers.last_conv_stage` (both AlexNet towers' conv5).
        class_index: the class, or None for each image's most probable one.
    """
    import keras
    import tensorflow as tf

    model = models.inference_model(model)
    names = check_cam_layers(model, layers) if layers else L.last_conv_stage(model)
    images = check_images(images, tuple(int(d) for d in model.input_shape[1:]))
    head = _logits_head(model)
    ends = [model.get_layer(n).output for n in names]
    ends += [head.input if head is not None else model.output, model.output]
    sub = keras.Model(model.inputs[0], ends)
    x = tf.constant(images)
    with tf.GradientTape() as tape:
        tape.watch(x)
        outs = sub(x, training=False)
        maps, features, probs = outs[:-2], outs[-2], tf.cast(outs[-1], tf.float32)
        if head is not None:
            scores = tf.matmul(tf.cast(features, tf.float32), tf.cast(head.kernel, tf.float32))
            scores = scores + tf.cast(head.bias, tf.float32) if head.use_bias else scores
        else:
            scores = tf.cast(features, tf.float32)
        if class_index is None:
            classes = tf.argmax(probs, axis=1, output_type=tf.int32)
        else:
            if not 0 <= class_index < int(probs.shape[-1]):
                raise CnnappError(f"class {class_index} out of range 0-{int(probs.shape[-1]) - 1}")
            classes = tf.fill([tf.shape(x)[0]], class_index)
        chosen = tf.gather(scores, classes, axis=1, batch_dims=1)
    grads = tape.gradient(chosen, maps)
    cam = 0.0
    for a, g in zip(maps, grads, strict=True):
        a, g = tf.cast(a, tf.float32), tf.cast(g, tf.float32)
        weights = tf.reduce_mean(g, axis=(1, 2), keepdims=True)  # α_k
        cam = cam + tf.reduce_sum(weights * a, axis=-1)
    cams = tf.nn.relu(cam).numpy()
    return GradCam(names, cams, classes.numpy().astype(np.int64), probs.numpy())


def draw_gradcam(
    subject,
    images: np.ndarray,
    out_dir: str | Path,
    layers: list[str] | None = None,
    class_index: int | None = None,
    captions=None,
) -> list[Path]:
    """`gradcam.png` (a row per image: image, heatmap, overlay) and `gradcam.json` (the heatmaps)."""
    result = gradcam(subject.model, images, layers, class_index)
    height, width = images.shape[1:3]
    h, w = result.cams.shape[1:]
    extent = (-0.5, width - 0.5, height - 0.5, -0.5)  # the map spread over the image, as Grad-CAM upsamples
    scaled = [cam / cam.max() if cam.max() > 0 else cam for cam in result.cams]
    texts = []
    for i, c in enumerate(result.classes):
        prefix = captions[i] + "\n" if captions else ""
        texts.append(f"{prefix}{subject.class_name(int(c))}: p = {result.probs[i, c]:.2f}")
    heading = f"{subject.name}: Grad-CAM on {' + '.join(result.layers)} ({h}×{w} maps)"
    figure = draw_rows(images, scaled, [extent] * len(images), texts, heading, "Grad-CAM (÷ max)")
    out_dir = Path(out_dir)
    data = {
        "layers": result.layers,
        "images": [
            {
                "class": int(c),
                "class_name": subject.class_name(int(c)),
                "probability": result.probs[i, c],
                "peak": result.peaks()[i],
                "cam": result.cams[i],
            }
            for i, c in enumerate(result.classes)
        ],
    }
    return [fig.save_png(figure, out_dir / "gradcam.png"), fig.save_json(out_dir / "gradcam.json", data)]
