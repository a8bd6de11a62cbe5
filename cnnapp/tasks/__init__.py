"""What a run is trained to do — classify images or segment them — decided once, here.

    task = tasks.of(recipe)            # or of(run.meta): a recipe's or a run's task
    task = tasks.of_output(shape)      # a model file without a run: by its output (rank 4: a map per pixel)
    model = tasks.build_model(meta)    # the run's graph, as training built it (rgb_input: a phone's front)

One object per task (keras-hub's `ImageClassifier` / `ImageSegmenter` are the model): `classification.py`
and `segmentation.py` each own their data, network, loss and metrics, report, figures and curves, export
metadata and score, and which commands they serve. Data, training, evaluation, figures, export, predict,
explain and the demo ask the task object, never "is this a segmenter?". A third task is one more module here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from cnnapp.deploy.front import with_grey_front
from cnnapp.models.common import resolve_keras
from cnnapp.tasks import classification, segmentation

if TYPE_CHECKING:
    from cnnapp.tasks.classification import Classification
    from cnnapp.tasks.segmentation import Segmentation

    Task = Classification | Segmentation

__all__ = ["build_model", "of", "of_output"]


def of(source) -> Task:
    """The task of a recipe (its `model.head`) or of a run (run.json's `head`, a dict or `RunMeta`)."""
    model = getattr(source, "model", None)
    head = getattr(model, "head", None) if model is not None else source.get("head")
    return segmentation.task(head) if head else classification.task()


def of_output(shape) -> Task | None:
    """The task of a model file by its output shape: (batch, classes) a classifier, (batch, H, W, classes) a
    segmenter; None for anything else (the command names what it takes)."""
    rank = len(tuple(shape))
    if rank == 2:
        return classification.task()
    return segmentation.task("") if rank == 4 else None


def build_model(meta, keras_module=None, training: bool = False, rgb_input: bool = False):
    """The run's model graph, freshly initialized: raw pixels → `normalization` → the task's network.

    Args:
        meta: a run's `RunMeta` (or a dict with its keys).
        keras_module: keras (default) or tf_keras.
        training: keep training-only heads (GoogLeNet's auxiliary classifiers); the default is the inference
            model, whose weights a saved checkpoint's `get_weights()` fits.
        rgb_input: a grey (1-channel) model takes RGB through the weight-free `rgb_to_grey` front before
            `normalization` (cnnapp.deploy.front), as its phone exports do; the weights stay the same. A run
            trained with the ink front (run.json `"front": "camera"`) gets the ink front `ink_front` instead.
    """
    K = resolve_keras(keras_module)
    meta = meta.to_dict() if hasattr(meta, "to_dict") else dict(meta)
    model = of(meta).build_model(meta, K, training)
    if rgb_input and int(meta["input_shape"][-1]) == 1:
        model = with_grey_front(model, K, kind="camera" if meta.get("front") == "camera" else "grey")
    return model
