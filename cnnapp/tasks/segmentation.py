"""Semantic segmentation: a class per pixel (Long et al. 2015's FCN heads on a zoo backbone), scored by the
FCN paper's pixel accuracy and mean IoU, with void pixels (`VOID`) left out of the loss and every score.

This is the one file that knows what a segmentation run means to the rest of cnnapp: a recipe with a
`model.head` gets a `Segmentation` task (`cnnapp.tasks.of`), which owns its data ((image, mask) pairs,
`cnnapp.segmentation`), its network (`build_segmenter`), its loss and metrics, its report, its figures and
curves, its export's metadata (MediaPipe ImageSegmenter) and score (mean IoU), and which commands it serves.
"""

from __future__ import annotations

import functools
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

from cnnapp import atomic, models
from cnnapp.choices import TEST
from cnnapp.data.splits import RunData
from cnnapp.deploy import metadata
from cnnapp.errors import CnnappError, unknown
from cnnapp.models.from_run import from_run
from cnnapp.segmentation import VOID, metrics, pipeline
from cnnapp.segmentation import run as segmentation_run

__all__ = ["EXPORT_MODES", "VOID", "Segmentation", "task", "test_arrays"]

EXPORT_MODES = ("float32", "float16", "dynamic", "int8")  # post-training: no tfmot fine-tuning
EXPORT_REPORT = "segmentation-export"  # the export set's report: segmentation-export.json and .md

# What each classifier-only command says to a segmentation run or file (one line, naming what works).
REFUSALS = {
    "predict": "{path} outputs {shape}, a map per pixel (a segmenter): predict classifies whole images; a "
    "segmentation run draws its masks in RUN/figures/segmentation.png, and its export runs in MediaPipe's "
    "ImageSegmenter",
    "explain": "{path} is a segmentation model (per-pixel output {shape}): explain draws a classifier's "
    "figures; a segmentation run's curves and masks are drawn by training in RUN/figures (curves.png, "
    "segmentation.png)",
    "demo": "{path} is a segmentation run (its model scores every pixel): {hint}",
    "demo-file": "{path} is an image segmenter (a score per pixel): it returns {shape} scores, not one per "
    "class; {hint}",
    "evaluate": "{path} is a segmentation run: its test scores (mean IoU, ...) are in its report.json, and "
    "python -m cnnapp.export scores its exports",
}


class Segmentation:
    """A segmentation run: an FCN head (`fcn32s`, `fcn16s`, `fcn8s`) on a zoo backbone."""

    name = "segmentation"
    curve_panels = (
        ("loss", "loss", "val_loss"),
        ("pixel accuracy", "accuracy", "val_accuracy"),  # its log's "accuracy" is pixel accuracy
        ("mean IoU", "mean_iou", "val_mean_iou"),
    )
    compare_panels = (
        ("val_accuracy", "validation pixel accuracy"),
        ("val_mean_iou", "validation mean IoU"),
    )
    figures = "segmentation"  # curves and image / true mask / predicted mask (cnnapp.explain.segmentation)
    reports_ema = False

    def __init__(self, head: str):
        self.head = head

    # --- a run
    def run_meta(self, recipe) -> dict:
        """run.json's `head`, which makes the run's model a segmenter again (`cnnapp.tasks.of`)."""
        return {"head": self.head}

    def load_data(self, recipe) -> RunData:
        """The (image, mask) splits; class counts None (pixels are counted in the report instead)."""
        return RunData(**segmentation_run.splits(recipe))

    def architecture(self, meta: dict, keras_module):
        return models.build_segmenter(
            meta["architecture"],
            self.head,
            input_shape=tuple(meta["input_shape"]),
            num_classes=int(meta["num_classes"]),
            keras_module=keras_module,
            **meta["model_options"],
        )

    def build_model(self, meta: dict, keras_module, training: bool = False):
        # The builder may load a backbone's weights (`backbone_weights`): keep them across the rewiring.
        arch = self.architecture(meta, keras_module)
        return from_run(meta, arch, keras_module, training=training, keep_weights=True)

    def training_pipeline(self, train, config, batch_size, seed, *, epoch, epochs, drop_remainder=False):
        """Image and mask augmented together (the same random numbers)."""
        return pipeline.training_pipeline(train, config, batch_size, seed, epoch=epoch, epochs=epochs)

    def evaluation_batches(self, ds: tf.data.Dataset, recipe, batch_size: int) -> tf.data.Dataset:
        return pipeline.evaluation_pipeline(ds, recipe.data.pipeline, batch_size)

    def check_loop(self, loop_name: str) -> None:
        """Asked before anything is written: the multi-worker step is a classifier's."""
        if loop_name == "multi-worker":
            raise CnnappError(
                "segmentation runs (model.head) train on --strategy auto, one-device or mirrored; the "
                "multi-worker loop trains classifiers"
            )

    # --- loss and metrics
    def loss(self, recipe=None, reduction: str | None = "sum_over_batch_size") -> keras.losses.Loss:
        """Per-pixel cross-entropy over the softmax output, void pixels ignored (Keras's `ignore_class`)."""
        return keras.losses.SparseCategoricalCrossentropy(ignore_class=VOID, reduction=reduction)

    def compile_arguments(self, model, recipe) -> dict:
        """Loss (void ignored) and metrics: pixel accuracy (`accuracy`, which drives the best checkpoint and
        the plateau cuts as val_accuracy) and mean IoU (`mean_iou`); one output, the per-pixel softmax."""
        num_classes = int(model.outputs[0].shape[-1])
        return {
            "loss": self.loss(recipe),
            "loss_weights": None,
            "metrics": metrics.keras_metrics(num_classes),
        }

    # --- the report
    def test_report(self, model, batches, meta, on_batch=None):
        """(scores, None, None): the FCN paper's scores of the test pass, with the head and image count."""
        names = meta.class_names if hasattr(meta, "class_names") else meta["class_names"]
        return {"head": self.head, **test_scores(model, batches, names)}, None, None

    def summary(self, report: dict) -> str:
        return (
            f"mean IoU {report['mean_iou']:.2%} ({report['mean_iou_foreground']:.2%} without background), "
            f"pixel accuracy {report['pixel_accuracy']:.2%}, frequency-weighted IoU "
            f"{report['frequency_weighted_iou']:.2%}"
        )

    # --- commands
    def refuse(self, command: str, path, shape=None, hint: str = "") -> None:
        """The classifier-only commands (predict, explain, evaluate, the demo) refuse a segmenter in a line;
        `hint` is the command's own pointer to what it takes."""
        raise CnnappError(REFUSALS[command].format(path=path, shape=shape, hint=hint))

    # --- export (the pipeline: cnnapp.deploy.exporter)
    export_modes = EXPORT_MODES

    def check_export(self, options) -> None:
        """Post-training modes only (no tfmot fine-tuning: its twin trains a classifier's labels)."""
        if options.mode not in EXPORT_MODES or options.prune or options.cluster:
            raise unknown("segmentation export mode", options.tag, EXPORT_MODES)

    def export_loader(self, run, dataset: str | None, run_data=None):
        """`load_split(split, limit)`: the first `limit` (image, mask) pairs of a split at the network's size,
        as whole pixel values (what a camera gives); `run_data`: the run's data when already loaded."""
        splits = run_data or self.load_data(run.recipe)

        def load_split(split: str, limit: int | None = None):
            return _arrays(getattr(splits, split), run.recipe, limit, self)

        return load_split

    def export_baseline(self, subject, eval_limit):
        """The test images and masks every export is scored on, and the Keras model's scores on them."""
        images, masks = subject.images(TEST, eval_limit, need="the report's mean IoU")
        probs = subject.model.predict(images, batch_size=64, verbose=0)
        return images, masks, self.mask_scores(probs, masks, subject.class_names)

    def export_metadata(self, subject, tag: str):
        return metadata.Info(
            name=subject.name,
            description=f"{self.head} on {subject.architecture}: a class per pixel of an RGB image",
            version=f"{tag}, cnnapp {metadata.CNNAPP_VERSION}",
            author="cnnapp",
            licence=metadata.licence("digits" if subject.dataset == "digit_scenes" else subject.dataset),
            labels=tuple(subject.class_names),
        )

    def export_report(self, subject, measured, baseline) -> dict:
        """One mode's row: bytes, I/O, mean IoU (all classes, without background), pixel accuracy, per-class
        IoU through LiteRT, single-thread latency."""
        images, masks, _ = baseline
        lite, mode = measured.lite, measured.options.mode
        scores = self.mask_scores(lite.predict(images, batch_size=16), masks, subject.class_names)
        return {
            "mode": mode, "file": f"{subject.name}-{mode}.tflite", "bytes": len(measured.content),
            "input": str(lite.input_dtype), "output": str(lite.output_dtype),
            "mean_iou": scores["mean_iou"], "mean_iou_foreground": scores["mean_iou_foreground"],
            "pixel_accuracy": scores["pixel_accuracy"], "per_class_iou": scores["per_class_iou"],
            "latency_ms": lite.latency_ms(images[0], runs=measured.options.latency_runs, warmup=3)["median"],
        }  # fmt: skip

    def write_exports(self, results, options_list, subject, folder, baseline) -> None:
        """Each mode's `.tflite`, `labels.txt`, and the set's report `segmentation-export.json` and `.md`."""
        rows = [result.report for result in results]
        for result, row in zip(results, rows, strict=True):
            atomic.write_bytes(folder / row["file"], result.content)
        images, _, keras_scores = baseline
        report = {
            "run": subject.source,
            "checkpoint": subject.checkpoint,
            "images": int(len(images)),
            "keras": {k: keras_scores[k] for k in ("mean_iou", "mean_iou_foreground", "pixel_accuracy")},
            "exports": rows,
            **({"warnings": list(subject.warnings)} if subject.warnings else {}),
        }
        atomic.write_text(folder / "labels.txt", "\n".join(subject.class_names) + "\n")
        atomic.write_json(folder / f"{EXPORT_REPORT}.json", report)
        atomic.write_text(folder / f"{EXPORT_REPORT}.md", export_markdown(report))

    def export_file(self, report: dict) -> str:
        return report["file"]

    def export_summary(self, reports: list[dict], folder) -> str:
        """What `python -m cnnapp.export` prints: the set's report (`segmentation-export.md`) as written."""
        return (Path(folder) / f"{EXPORT_REPORT}.md").read_text()

    def with_metadata(self, content: bytes, info) -> bytes:
        """The `.tflite` with MediaPipe ImageSegmenter metadata (activation NONE, labels on the output)."""
        return metadata.with_metadata(content, info, segmenter=True)

    def mask_scores(self, probabilities: np.ndarray, masks: np.ndarray, class_names) -> dict:
        """`metrics.scores` of per-pixel probabilities (N, H, W, classes) against true masks."""
        matrix = metrics.confusion(masks, probabilities.argmax(-1), len(class_names))
        return metrics.scores(matrix, class_names)


def _arrays(ds, recipe, limit, task):
    """A split's first `limit` pairs at the network's size: uint8-valued float images and masks (numpy)."""
    if limit:
        ds = ds.take(limit)
    images, masks = [], []
    for batch, truth in task.evaluation_batches(ds, recipe, 64):
        images.append(batch.numpy())
        masks.append(truth.numpy())
    images = np.round(np.concatenate(images)).clip(0, 255)  # what a camera gives: whole pixel values
    return images.astype(np.float32), np.concatenate(masks)


def test_arrays(run, limit: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The run's test split as its exports are scored: RGB whole-pixel float images and masks (numpy)."""
    task = Segmentation(run.meta["head"])
    images, masks = _arrays(task.load_data(run.recipe).test, run.recipe, limit, task)
    return (np.repeat(images, 3, axis=-1) if images.shape[-1] == 1 else images), masks


def export_markdown(report: dict) -> str:
    """A segmentation export set's report as a Markdown table."""
    lines = [
        *(f"**{warning}**\n" for warning in report.get("warnings", ())),
        f"Test images: {report['images']}; Keras float32 mean IoU {report['keras']['mean_iou']:.2%}.",
        "",
        "| mode | bytes | I/O | mean IoU | mean IoU (digits) | pixel accuracy | latency ms (1 thread) |",
        "|---|---:|---|---:|---:|---:|---:|",
    ]
    for row in report["exports"]:
        lines.append(
            f"| {row['mode']} | {row['bytes']:,} | {row['input']} | {row['mean_iou']:.2%} | "
            f"{row['mean_iou_foreground']:.2%} | {row['pixel_accuracy']:.2%} | {row['latency_ms']:.2f} |"
        )
    return "\n".join(lines) + "\n"


def predict_masks(model, batches: tf.data.Dataset):
    """Yield (images, true masks, predicted masks) per batch (numpy)."""
    run = tf.function(lambda x: tf.argmax(model(x, training=False), axis=-1, output_type=tf.int32))
    for images, masks in batches:
        yield images.numpy(), masks.numpy(), run(images).numpy()


def test_scores(model, batches: tf.data.Dataset, class_names) -> dict:
    """The FCN paper's scores of `model` over `batches` (`metrics.scores`) and the number of images."""
    num_classes = len(class_names)
    matrix = np.zeros((num_classes, num_classes), np.int64)
    images = 0
    for batch, truth, predicted in predict_masks(model, batches):
        matrix += metrics.confusion(truth, predicted, num_classes)
        images += len(batch)
    if not images:
        raise ValueError("the evaluation data is empty")
    return {"examples": images, **metrics.scores(matrix, class_names)}


@functools.cache
def task(head: str) -> Segmentation:
    return Segmentation(head)
