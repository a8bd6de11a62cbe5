"""Classify image files with an exported `.tflite` (through LiteRT) or a `.keras` model: top-k names.

    classifier = load_classifier("export/lenet5-digits/int8.tflite")
    classifier.top_k(read_image("seven.png", classifier.input_shape))  # [("7", 0.98), ("1", 0.01), ...]
    run = load_classifier("runs/lenet5-digits")  # a run folder (its best checkpoint) or a checkpoint in one
    run.top_k(read_image("seven.png", run.input_shape, run.data))  # resized by the run's data.resize

Images are decoded (PNG, JPEG, BMP, GIF), converted to the model's channels (grey or RGB), brought to its
input size, and passed as raw pixels in [0, 255]; the model normalizes them itself. A model of a run (a run
folder, or checkpoints/NAME.keras inside one) knows its recipe: its images go through the run's evaluation
resize (`data.resize`: stretch, pad, centre or short side; `cnnapp.data.pipeline.evaluation_image`), so a file
is classified exactly as the run's evaluation saw it. A bare `.keras` and a `.tflite` stretch the whole image
to the input, as a phone app does (MediaPipe Tasks resizes by itself).
A `.tflite` with TFLite metadata is read the way MediaPipe Tasks reads it: class names from its embedded
labels, and its NormalizationOptions applied to a float input ((x − mean) / std; cnnapp writes 0 and 1, as
the model normalizes inside). Without metadata, class names come from `labels.txt` beside the model, else
from the run the model belongs to.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from cnnapp import runs
from cnnapp.errors import CnnappError
from cnnapp.paths import read_utf8

if TYPE_CHECKING:
    from cnnapp.data.config import DataConfig


@dataclasses.dataclass
class Classifier:
    """A loaded model and its class names. `predict` takes float pixels (N, H, W, C) in [0, 255].

    `data` is the run's input pipeline (`DataConfig`) for a model of a run, whose evaluation resize
    `read_image` applies; None (a `.tflite`, a bare `.keras`) stretches.
    """

    path: Path
    predict_fn: object
    input_shape: tuple[int, int, int]
    class_names: tuple[str, ...]
    data: DataConfig | None = None
    logits: bool = False  # set by `predict` when an output is not a probability distribution

    def predict(self, images: np.ndarray) -> np.ndarray:
        """Class probabilities (N, classes). An output that is not a distribution (negative values, or rows
        not summing to 1: a model built with `classifier_activation=None`) is read as logits: softmax."""
        out = np.asarray(self.predict_fn(np.asarray(images, np.float32)), np.float64)
        if not np.all(np.isfinite(out)):
            raise CnnappError(f"{self.path} gives non-finite outputs (NaN or inf): the model is broken")
        sums = out.sum(axis=-1)
        # A quantized uint8 output is a distribution up to 1/256 per class.
        if np.any(out < -1e-6) or np.any(np.abs(sums - 1) > max(0.02, out.shape[-1] / 256)):
            self.logits = True
            out = np.exp(out - out.max(axis=-1, keepdims=True))
            out /= out.sum(axis=-1, keepdims=True)
        return out.astype(np.float32)

    def top_k(self, image: np.ndarray, k: int = 5) -> list[tuple[str, float]]:
        """The k most probable classes of one image, as (name, probability), best first."""
        probs = self.predict(image[None])[0]
        order = np.argsort(-probs)[:k]
        return [(self._name(i), float(probs[i])) for i in order]

    def _name(self, index: int) -> str:
        return self.class_names[index] if index < len(self.class_names) else str(index)


def load_classifier(path: str | Path, task_of_output=None) -> Classifier:
    """Load a `.tflite` or `.keras` model (or a run folder's best checkpoint), its class names, and for a
    model of a run, the run's input pipeline. `task_of_output(shape)` (`cnnapp.tasks.of_output`) names the
    task of the model's output, whose refusal a model that is not a classifier gets."""
    path = Path(path)
    if path.is_dir():
        path = runs.from_any(path).model_file
    if not path.is_file():
        raise CnnappError(f"no model file at {path}")
    if path.suffix == ".tflite":
        from cnnapp.deploy.metadata import read_metadata
        from cnnapp.deploy.runtime import LiteModel

        lite = LiteModel.from_file(path)
        shape, predict = lite.input_shape, lite.predict
        _check_flat_output(path, tuple(int(d) for d in lite.output_detail["shape"]), task_of_output)
        outputs = int(lite.output_detail["shape"][-1])
        meta = read_metadata(lite.content)
        if meta is not None:
            predict = _normalized(lite, meta)
            if meta["labels"]:
                if len(meta["labels"]) != outputs:
                    raise CnnappError(
                        f"{path}: its metadata has {len(meta['labels'])} labels for {outputs} outputs: "
                        "re-export it with python -m cnnapp.export"
                    )
                return Classifier(path, predict, shape, meta["labels"])
    elif path.suffix == ".keras":
        from cnnapp import models

        model = models.load(path)
        check_classifier_model(path, model, task_of_output)
        if None in model.input_shape[1:]:
            raise CnnappError(f"{path} takes images of any size {model.input_shape}; predict needs one size")
        shape = tuple(int(d) for d in model.input_shape[1:])
        outputs = int(model.output_shape[-1])

        def predict(images):
            return np.asarray(model.predict(images, verbose=0))

    else:
        raise CnnappError(f"{path} is not a model file: predict takes a .tflite or a .keras model")
    data = _run_pipeline(path, shape) if path.suffix == ".keras" else None
    return Classifier(path, predict, shape, class_names_for(path, outputs), data)


def check_classifier_model(path: Path, model, task_of_output=None, command: str = "predict") -> None:
    """Refuse, in one line, a model `command` (predict, explain) cannot read as a classifier: several inputs
    or outputs, or a per-pixel (segmentation) output."""
    if len(model.inputs) != 1 or len(model.outputs) != 1:
        raise CnnappError(
            f"{path} has {len(model.inputs)} input(s) and {len(model.outputs)} outputs; {command} takes an "
            "image classifier with one of each (a run's checkpoints are: give one of those, or save "
            "keras.Model(model.inputs, model.outputs[0]))"
        )
    _check_flat_output(path, tuple(model.output_shape), task_of_output, command)


def _check_flat_output(path: Path, shape: tuple, task_of_output=None, command: str = "predict") -> None:
    task = task_of_output(shape) if task_of_output is not None else None
    if task is not None:
        task.refuse(command, path, shape)  # a segmenter says where its masks are; a classifier passes
    if len(shape) != 2:
        raise CnnappError(f"{path} outputs {shape}: {command} classifies whole images (one score per class)")


def _run_pipeline(path: Path, shape: tuple[int, ...]) -> DataConfig | None:
    """The input pipeline of the run the `.keras` model `path` belongs to; None for a bare model."""
    run = runs.run_of(path)
    if run is None:
        return None
    data = run.read_recipe().data.pipeline
    if data.input_shape != tuple(shape):
        raise CnnappError(
            f"{path} takes {list(shape)} but its run's recipe makes {list(data.input_shape)}: "
            "it is not this run's model; give the model file of its own run, or move it out of the run folder"
        )
    return data


def _normalized(lite, meta: dict):
    """`lite.predict` after the metadata's NormalizationOptions, as MediaPipe applies them (float input)."""
    if lite.input_dtype.kind != "f" or meta["mean"] is None:
        return lite.predict  # a uint8 input takes the pixels as they are
    mean = np.asarray(meta["mean"], np.float32)
    std = np.asarray(meta["std"], np.float32)

    def predict(images):
        return lite.predict((np.asarray(images, np.float32) - mean) / std)

    return predict


def class_names_for(path: Path, outputs: int) -> tuple[str, ...]:
    """labels.txt beside the model, else run.json's class names (model in RUN/checkpoints/), else indices."""
    beside = path.parent / "labels.txt"
    if beside.is_file():
        names = tuple(line.strip() for line in read_utf8(beside, "labels file").splitlines() if line.strip())
    elif runs.run_of(path) is not None:
        names = runs.run_of(path).labels()
    else:
        names = ()
    if names and len(names) != outputs:
        raise CnnappError(f"{beside} has {len(names)} class names but the model has {outputs} outputs")
    return names or tuple(str(i) for i in range(outputs))


def read_image(
    path: str | Path, input_shape: tuple[int, int, int], data: DataConfig | None = None
) -> np.ndarray:
    """Decode an image file into float32 pixels (H, W, C) in [0, 255] at the model's input shape.

    Args:
        path: the image file.
        input_shape: the model's (height, width, channels).
        data: a run's input pipeline (`Classifier.data`): the image is resized exactly as that run's
            evaluation pipeline resizes it. None stretches the whole image to the input (bilinear).
    """
    import tensorflow as tf

    from cnnapp.data.images import decode_bytes, header, refuse_huge
    from cnnapp.data.pipeline import evaluation_image

    path = Path(path)
    if not path.is_file():
        raise CnnappError(f"no image file at {path}")
    refuse_huge(path, header(str(path)))  # before a decode that would take gigabytes
    height, width, channels = input_shape
    try:  # the training pipelines' decode: EXIF orientation, grey(+alpha)/palette/RGBA/CMYK to the channels
        image = decode_bytes(path.read_bytes(), channels)
    except (tf.errors.InvalidArgumentError, ValueError):
        raise CnnappError(f"{path} is not a readable image (PNG, JPEG, BMP or GIF)") from None
    if data is not None:
        image = evaluation_image(image, data)
    elif tuple(image.shape[:2]) != (height, width):
        image = tf.image.resize(image, (height, width), method="bilinear")
    return np.clip(image.numpy(), 0.0, 255.0).astype(np.float32)
