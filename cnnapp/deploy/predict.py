"""Classify image files with an exported `.tflite` (through LiteRT) or a `.keras` model: top-k names.

    classifier = load_classifier("export/lenet5-digits/int8.tflite")
    classifier.top_k(read_image("seven.png", classifier.input_shape))  # [("7", 0.98), ("1", 0.01), ...]

Images are read as a phone app would: decoded (PNG, JPEG, BMP, GIF), converted to the model's channels (grey
or RGB), resized to its input, and passed as raw pixels in [0, 255]; the model normalizes them itself.
Class names come from `labels.txt` beside the model, else from the run the model belongs to.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np

from cnnapp.errors import CnnappError


@dataclasses.dataclass
class Classifier:
    """A loaded model and its class names. `predict` takes float pixels (N, H, W, C) in [0, 255]."""

    path: Path
    predict_fn: object
    input_shape: tuple[int, int, int]
    class_names: tuple[str, ...]

    def predict(self, images: np.ndarray) -> np.ndarray:
        return self.predict_fn(np.asarray(images, np.float32))

    def top_k(self, image: np.ndarray, k: int = 5) -> list[tuple[str, float]]:
        """The k most probable classes of one image, as (name, probability), best first."""
        probs = self.predict(image[None])[0]
        order = np.argsort(-probs)[:k]
        return [(self._name(i), float(probs[i])) for i in order]

    def _name(self, index: int) -> str:
        return self.class_names[index] if index < len(self.class_names) else str(index)


def load_classifier(path: str | Path) -> Classifier:
    """Load a `.tflite` or `.keras` model and find its class names."""
    path = Path(path)
    if not path.is_file():
        raise CnnappError(f"no model file at {path}")
    if path.suffix == ".tflite":
        from cnnapp.deploy.runtime import LiteModel

        lite = LiteModel.from_file(path)
        shape, predict = lite.input_shape, lite.predict
        outputs = int(lite.output_detail["shape"][-1])
    elif path.suffix == ".keras":
        from cnnapp import models

        model = models.load(path)
        shape = tuple(int(d) for d in model.input_shape[1:])
        outputs = int(model.output_shape[-1])

        def predict(images):
            return np.asarray(model.predict(images, verbose=0))

    else:
        raise CnnappError(f"{path} is not a model file: predict takes a .tflite or a .keras model")
    return Classifier(path, predict, shape, class_names_for(path, outputs))


def class_names_for(path: Path, outputs: int) -> tuple[str, ...]:
    """labels.txt beside the model, else run.json's class names (model in RUN/checkpoints/), else indices."""
    beside = path.parent / "labels.txt"
    if beside.is_file():
        names = tuple(line.strip() for line in beside.read_text().splitlines() if line.strip())
    elif (path.parent.parent / "run.json").is_file():
        names = tuple(json.loads((path.parent.parent / "run.json").read_text()).get("class_names", ()))
    else:
        names = ()
    if names and len(names) != outputs:
        raise CnnappError(f"{beside} has {len(names)} class names but the model has {outputs} outputs")
    return names or tuple(str(i) for i in range(outputs))


def read_image(path: str | Path, input_shape: tuple[int, int, int]) -> np.ndarray:
    """Decode an image file into float32 pixels (H, W, C) in [0, 255] at the model's input shape."""
    import tensorflow as tf

    from cnnapp.data.images import decode_bytes

    path = Path(path)
    if not path.is_file():
        raise CnnappError(f"no image file at {path}")
    height, width, channels = input_shape
    try:  # the training pipelines' decode: EXIF orientation, grey(+alpha)/palette/RGBA/CMYK to the channels
        image = decode_bytes(path.read_bytes(), channels)
    except (tf.errors.InvalidArgumentError, ValueError):
        raise CnnappError(f"{path} is not a readable image (PNG, JPEG, BMP or GIF)") from None
    if tuple(image.shape[:2]) != (height, width):
        image = tf.image.resize(image, (height, width), method="bilinear")
    return np.clip(image.numpy(), 0.0, 255.0).astype(np.float32)
