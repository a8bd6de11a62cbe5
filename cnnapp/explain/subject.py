"""What is explained: a run folder, a saved `.keras` model or a `.tflite` export, and the images to show it.

subject = load_subject("runs/lenet5-digits")        # the run's best checkpoint, class names, test split
images, labels = subject.test_images(limit=500)     # raw pixels [N, H, W, C] in [0, 255]
probs = subject.predict(images)
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np

from cnnapp.deploy.classifier import check_classifier_model, class_names_for, read_image
from cnnapp.deploy.runtime import LiteModel
from cnnapp.errors import CnnappError
from cnnapp.runs import load_run, run_of


@dataclasses.dataclass
class Subject:
    """A model to explain and where it came from.

    Attributes:
        path: the run folder or model file given.
        model: the Keras inference model (raw pixels in, probabilities out), or None for a `.tflite`.
        lite: the LiteRT model of a `.tflite`, else None.
        run: the run (`cnnapp.runs.Run`) the model belongs to, or None.
        class_names: one name per output.
        input_shape: (H, W, C) the model takes.
    """

    path: Path
    model: object | None
    lite: object | None
    run: object | None
    class_names: tuple[str, ...]
    input_shape: tuple[int, int, int]

    @property
    def data(self):
        """The input pipeline a run's Keras model was evaluated with (images are resized as it resizes them,
        as `python -m cnnapp.predict` does), or None: a `.tflite` or a model without a run stretches."""
        return self.run.recipe.data.pipeline if self.run is not None and self.model is not None else None

    @property
    def name(self) -> str:
        return self.run.path.name if self.run is not None else self.path.stem

    def predict(self, images: np.ndarray, batch_size: int = 64) -> np.ndarray:
        """Class probabilities [N, classes] of raw-pixel images [N, H, W, C]."""
        images = check_images(images, self.input_shape)
        if self.lite is not None:
            return self.lite.predict(images, batch_size=batch_size)
        return predict_keras(self.model, images, batch_size)

    def fill_value(self) -> np.ndarray:
        """The grey of an occluder: the training images' mean pixel (0 after normalization), else 127.5."""
        if self.run is not None:
            return np.asarray(self.run.meta["normalization"]["mean"], np.float32)
        return np.full(self.input_shape[-1], 127.5, np.float32)

    def test_images(self, limit: int = 0) -> tuple[np.ndarray, np.ndarray]:
        """The run's test split as the model sees it (resized, raw pixels) with labels; the first `limit`."""
        if self.run is None:
            raise CnnappError(
                f"{self.path} is not part of a run folder, so it has no test images; pass --image"
            )
        return run_test_images(self.run, limit)

    def class_name(self, index: int) -> str:
        return self.class_names[index] if 0 <= index < len(self.class_names) else str(index)

    def class_index(self, name_or_index: str | int) -> int:
        """A class given by name (as in run.json) or by index."""
        text = str(name_or_index)
        if text in self.class_names:
            return self.class_names.index(text)
        if text.lstrip("-").isdigit() and 0 <= int(text) < len(self.class_names):
            return int(text)
        raise CnnappError(
            f"unknown class {text!r}; valid classes: {', '.join(self.class_names)} "
            f"(or an index 0-{len(self.class_names) - 1})"
        )


def predict_keras(model, images: np.ndarray, batch_size: int = 64) -> np.ndarray:
    """Probabilities of a Keras model, batch by batch in inference mode (one traced function)."""
    import tensorflow as tf

    run = tf.function(lambda x: tf.cast(model(x, training=False), tf.float32), reduce_retracing=True)
    out = [run(tf.constant(images[i : i + batch_size])).numpy() for i in range(0, len(images), batch_size)]
    return np.concatenate(out) if out else np.zeros((0, int(model.output_shape[-1])), np.float32)


def check_images(images, input_shape) -> np.ndarray:
    """Raw-pixel images as float32 [N, H, W, C], or a one-line error naming the shape the model takes."""
    images = np.asarray(images, np.float32)
    if images.ndim == 3:
        images = images[None]
    if images.ndim != 4 or tuple(images.shape[1:3]) != tuple(input_shape[:2]):
        raise CnnappError(
            f"images of shape {images.shape[1:]} given to a model taking {tuple(input_shape)}; resize them "
            f"to {input_shape[0]}×{input_shape[1]}"
        )
    if images.shape[-1] != input_shape[-1]:
        raise CnnappError(
            f"images with {images.shape[-1]} channels given to a model taking {input_shape[-1]} "
            f"({'grey' if input_shape[-1] == 1 else 'colour'}); convert them first"
        )
    return images


def load_subject(path: str | Path, checkpoint: str = "best") -> Subject:
    """A run folder (its `checkpoint`), a `.keras` model (inside a run or not) or a `.tflite` export."""
    from cnnapp import models, tasks  # deferred: cnnapp.tasks imports Keras

    path = Path(path)
    if path.is_dir():
        run = load_run(path)
        model = run.model(checkpoint)
        lite = None
    elif path.suffix == ".keras":
        model, lite = models.load(path), None
        run = load_run(path) if run_of(path) is not None else None
    elif path.suffix == ".tflite":
        model, lite, run = None, LiteModel.from_file(path), None
    elif not path.exists():
        raise CnnappError(f"no run folder or model file at {path}")
    else:
        raise CnnappError(f"{path} is not a run folder, a .keras model or a .tflite export")
    if model is not None:
        if run is None:  # a bare model's second output is no run's training head: refuse, as predict does
            check_classifier_model(path, model, tasks.of_output, "explain")
        model = models.inference_model(model)  # GoogLeNet's training graph: its inference path
        if len(model.inputs) != 1 or len(model.inputs[0].shape) != 4:
            raise CnnappError(f"{path} is not an image classifier (one input of height × width × channels)")
        _refuse_other_tasks(path, model.output_shape, run)
        check_classifier_model(path, model, tasks.of_output, "explain")
        shape = tuple(int(d) for d in model.input_shape[1:])
        outputs = int(model.output_shape[-1])
    else:
        _refuse_other_tasks(path, lite.output_detail["shape"], run)
        shape, outputs = tuple(lite.input_shape), int(lite.output_detail["shape"][-1])
    if run is not None:
        names = tuple(run.meta["class_names"])
    else:
        names = class_names_for(path if path.is_file() else path / "model", outputs)
    if len(names) != outputs:
        names = tuple(str(i) for i in range(outputs))
    return Subject(path, model, lite, run, names, shape)


def _refuse_other_tasks(path: Path, output_shape, run) -> None:
    """Explain draws a classifier's figures: the run's task (else the output's) refuses anything else."""
    from cnnapp import tasks  # deferred: cnnapp.tasks imports Keras

    task = tasks.of(run.meta) if run is not None else tasks.of_output(output_shape)
    if task is not None:
        task.refuse("explain", path, tuple(output_shape))


def run_test_images(run, limit: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """The test split of `run` through its evaluation pipeline (resize, raw pixels), the first `limit`."""
    from cnnapp import evaluation, tasks  # deferred: cnnapp.evaluation imports TensorFlow

    task = tasks.of(run.meta)
    run_data = task.load_data(run.recipe)  # the run's own classes (data.classes), as it trained
    test = run_data.test.take(limit) if limit else run_data.test
    images, labels = [], []
    for batch, batch_labels in task.evaluation_batches(test, run.recipe, evaluation.EVAL_BATCH):
        images.append(batch.numpy())
        labels.append(batch_labels.numpy())
    if not images:
        raise CnnappError(f"the test split of {run.path} is empty")
    return np.concatenate(images).astype(np.float32), np.concatenate(labels).astype(np.int64)


def read_images(paths, input_shape, data=None) -> np.ndarray:
    """Image files as the model takes them (decoded, channels converted, resized; by `data`, a run's input
    pipeline, as its evaluation resizes them, else stretched), raw pixels."""

    return np.stack([read_image(p, tuple(input_shape), data) for p in paths]).astype(np.float32)
