"""Image classification: one label per image, scored by top-1 / top-5 accuracy — what every zoo model is.

The task object (`Classification`, chosen by `cnnapp.tasks.of`) owns what a classifier means to the rest of
cnnapp: its data (a run's splits with their class list), its loss (cross-entropy; smoothing and MixUp or
CutMix class weights through `SoftTargetCrossentropy`), its metrics, its test scores, its figures, its curves'
panels, its export's metadata and score, and the commands it serves (predict, explain, the demo classify).
"""

from __future__ import annotations

import dataclasses
import functools

import keras
import tensorflow as tf

from cnnapp import data as cdata
from cnnapp import evaluation, models
from cnnapp.data.splits import RunData, load_run_data
from cnnapp.deploy import exporter, metadata
from cnnapp.deploy import report as export_text
from cnnapp.deploy.subject import run_loader, split_loader
from cnnapp.models.from_run import from_run


def _soft(y_true, y_pred) -> bool:
    """Whether `y_true` holds class weights (MixUp, CutMix) rather than integer labels."""
    return len(y_true.shape) == len(y_pred.shape) and y_true.shape[-1] == y_pred.shape[-1] != 1


def _as_labels(y_true, y_pred):
    return keras.ops.argmax(y_true, axis=-1) if _soft(y_true, y_pred) else y_true


class SoftTargetCrossentropy(keras.losses.Loss):
    """Cross-entropy of probabilities against integer labels or class weights, with label smoothing.

    Integer labels (validation, unmixed batches) are one-hot encoded first; mixed batches bring their
    weights. Smoothing then moves every target towards uniform: t ← (1 − ε)·t + ε/K.
    """

    def __init__(self, smoothing: float = 0.0, name: str = "crossentropy", **kwargs):
        super().__init__(name=name, **kwargs)
        self.smoothing = float(smoothing)

    def call(self, y_true, y_pred):
        if not _soft(y_true, y_pred):
            labels = keras.ops.cast(keras.ops.reshape(y_true, [-1]), "int32")
            y_true = keras.ops.one_hot(labels, y_pred.shape[-1])
        return keras.losses.categorical_crossentropy(y_true, y_pred, label_smoothing=self.smoothing)

    def get_config(self):
        return {**super().get_config(), "smoothing": self.smoothing}


def soft_target_metrics(k: int) -> list[keras.metrics.Metric]:
    """Top-1 (`accuracy`) and top-k (`top5`) accuracy for integer labels or class weights (whose largest
    weight is the label: the image that covers most of a mixed one)."""

    def accuracy(y_true, y_pred):
        return keras.metrics.sparse_categorical_accuracy(_as_labels(y_true, y_pred), y_pred)

    def top_k(y_true, y_pred):
        return keras.metrics.sparse_top_k_categorical_accuracy(_as_labels(y_true, y_pred), y_pred, k=k)

    return [
        keras.metrics.MeanMetricWrapper(accuracy, "accuracy"),
        keras.metrics.MeanMetricWrapper(top_k, "top5"),
    ]


class Classification:
    """A classifier run: `models.build`'s networks, one softmax over the classes per image."""

    name = "classification"
    head = ""
    # (panel title, log.csv column for training, column for validation) of curves.png
    curve_panels = (
        ("loss", "loss", "val_loss"),
        ("top-1 accuracy", "accuracy", "val_accuracy"),
        ("top-5 accuracy", "top5", "val_top5"),
    )
    # (log.csv column, title) of the validation panels `explain --compare` overlays
    compare_panels = (("val_accuracy", "validation top-1 accuracy"),)
    figures = "classification"  # the figures a finished run draws (cnnapp.training.hooks)
    reports_ema = True  # the report scores the Polyak averages against the raw weights

    # --- a run
    def run_meta(self, recipe) -> dict:
        """What run.json adds for this task: nothing (a classifier is the default)."""
        return {}

    def load_data(self, recipe) -> RunData:
        return load_run_data(recipe)

    def architecture(self, meta: dict, keras_module):
        return models.build(
            meta["architecture"],
            input_shape=tuple(meta["input_shape"]),
            num_classes=int(meta["num_classes"]),
            keras_module=keras_module,
            **meta["model_options"],
        )

    def build_model(self, meta: dict, keras_module, training: bool = False):
        return from_run(meta, self.architecture(meta, keras_module), keras_module, training=training)

    def training_pipeline(self, train, config, batch_size, seed, *, epoch, epochs, drop_remainder=False):
        return cdata.training_pipeline(
            train, config, batch_size, seed, epoch=epoch, epochs=epochs, drop_remainder=drop_remainder
        )

    def evaluation_batches(self, ds: tf.data.Dataset, recipe, batch_size: int) -> tf.data.Dataset:
        return cdata.evaluation_pipeline(ds, recipe.data.pipeline, batch_size)

    def check_loop(self, loop_name: str) -> None:
        """Every loop trains a classifier."""

    # --- loss and metrics
    def loss(self, recipe, reduction: str | None = "sum_over_batch_size") -> keras.losses.Loss:
        """Cross-entropy of the softmax; smoothing needs one-hot targets and MixUp/CutMix give class weights
        in training (integer labels in validation): one loss takes both. `reduction=None` is the per-example
        loss a `strategy.run` step averages over the global batch."""
        if recipe.train.label_smoothing or recipe.batch_augment.mixes:
            return SoftTargetCrossentropy(recipe.train.label_smoothing, reduction=reduction)
        return keras.losses.SparseCategoricalCrossentropy(reduction=reduction)

    def compile_arguments(self, model, recipe) -> dict:
        """`loss`, `loss_weights` and `metrics` for `model.compile` (auxiliary heads weighted)."""
        names = list(model.output_names)
        k = min(5, int(model.outputs[0].shape[-1]))
        metrics = [
            keras.metrics.SparseCategoricalAccuracy(name="accuracy"),
            keras.metrics.SparseTopKCategoricalAccuracy(k=k, name="top5"),
        ]
        if recipe.batch_augment.mixes:
            metrics = soft_target_metrics(k)
        if len(names) == 1:
            return {"loss": self.loss(recipe), "loss_weights": None, "metrics": metrics}
        return {
            "loss": {name: self.loss(recipe) for name in names},
            "loss_weights": {n: 1.0 if i == 0 else recipe.train.aux_loss_weight for i, n in enumerate(names)},
            "metrics": {names[0]: metrics},
        }

    # --- the report
    def test_report(self, model, batches, meta, on_batch=None):
        """(scores, probabilities, labels): top-1/top-5 accuracy and error and calibration of the test pass;
        `on_batch(images, probs, labels)` sees every batch (the figures' worst mistakes)."""
        probs, labels = evaluation.probabilities(model, batches, on_batch)
        return evaluation.scores(probs, labels), probs, labels

    def summary(self, report: dict) -> str:
        """The test scores of a report in a line."""
        return (
            f"top-1 accuracy {report['top1_accuracy']:.2%} (error {report['top1_error']:.2%}), "
            f"top-5 accuracy {report['top5_accuracy']:.2%}"
        )

    # --- commands
    def refuse(self, command: str, path, shape=None, hint: str = "") -> None:
        """Every command serves a classifier."""

    # --- export (the pipeline: cnnapp.deploy.exporter)
    export_modes = None  # every converter mode and tfmot optimization

    def check_export(self, options) -> None:
        """Every export option applies to a classifier."""

    def export_baseline(self, subject, eval_limit):
        """The float32 export and the test images every export of `subject` is measured against."""
        return exporter.ClassifierBaseline(subject, eval_limit)

    def export_metadata(self, subject, tag: str):
        return exporter.classifier_metadata(subject, tag)

    def with_metadata(self, content: bytes, info) -> bytes:
        """The `.tflite` with MediaPipe ImageClassifier metadata (the labels on the output)."""
        return metadata.with_metadata(content, info)

    def export_report(self, subject, measured, baseline) -> dict:
        """Top-1/top-5 through LiteRT against Keras and the float32 file, size, latency (`deploy.report`)."""
        return exporter.classifier_report(subject, measured, baseline)

    def write_exports(self, results, options_list, subject, folder, baseline) -> None:
        exporter.classifier_exports(results, options_list, subject, folder)

    def export_file(self, report: dict) -> str:
        """The `.tflite` an export's report describes."""
        return f"{report['export']}.tflite"

    def export_summary(self, reports: list[dict], folder) -> str:
        """What `python -m cnnapp.export` prints: one report, or several side by side, and float ops kept."""
        text = export_text.markdown(reports[0]) if len(reports) == 1 else export_text.compare_table(reports)
        notes = [
            f"note: {rep['export']} keeps ops in float: {', '.join(rep['graph']['float_ops'])}"
            for rep in reports
            if rep["graph"]["float_ops"] and rep["mode"] in ("int8", "int16x8", "qat")
        ]
        return "\n".join([text, *notes])

    def export_loader(self, run, dataset: str | None, run_data=None):
        """`load_split(split, limit)` of a run's export: the run's own splits (`load_run_data`, so its classes
        relabelled as in training; `run_data` when already loaded), or with `dataset`, that dataset's;
        through the evaluation pipeline without its front (the front goes into the model)."""
        data = run.recipe.data
        config = dataclasses.replace(data.pipeline, front="none", augment=())
        if dataset and dataset != data.dataset:
            return split_loader(dataset, None, config)
        return run_loader(run.recipe, config, self.load_data, run_data)


@functools.cache
def task() -> Classification:
    return Classification()
