"""A trained segmenter as phone-ready `.tflite` files, scored by mean IoU on its test split.

    report = export_run("runs/fcn8s-digits", ["float32", "float16", "dynamic", "int8"], "export/fcn8s")

Each file is what MediaPipe Tasks' `ImageSegmenter` loads as it is: H×W×3 RGB raw pixels in (a grey run gets
the weight-free `rgb_to_grey` front, as the classifier exports do; normalization is inside), per-pixel class
probabilities out, uint8 in and out for int8 (calibrated on training images, input at scale 1), and TFLite
metadata with the image-segmenter options and the class names embedded (`cnnapp.deploy.metadata`). The report
(`segmentation-export.json` and `.md` beside the files) gives per mode the test split's mean IoU (all classes
and without background), pixel accuracy, bytes and single-thread LiteRT latency (median of `latency_runs`).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from cnnapp import atomic
from cnnapp.segmentation import metrics

MODES = ("float32", "float16", "dynamic", "int8")
CALIBRATION_IMAGES = 100
REPORT = "segmentation-export"


def test_arrays(run, limit: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The run's test split at the network's size as uint8-valued RGB float images and masks (numpy)."""
    from cnnapp.segmentation.run import splits

    return _arrays(splits(run.recipe)["test"], run.recipe, limit)


def _arrays(ds, recipe, limit):
    from cnnapp.segmentation.run import evaluation_batches

    if limit:
        ds = ds.take(limit)
    images, masks = [], []
    for batch, truth in evaluation_batches(ds, recipe, 64):
        images.append(batch.numpy())
        masks.append(truth.numpy())
    images = np.round(np.concatenate(images)).clip(0, 255)  # what a camera gives: whole pixel values
    if images.shape[-1] == 1:
        images = np.repeat(images, 3, axis=-1)
    return images.astype(np.float32), np.concatenate(masks)


def rgb_model(run, which: str = "best"):
    """The run's checkpoint as a Keras model taking RGB raw pixels (grey runs: the `rgb_to_grey` front)."""
    import keras

    from cnnapp.runs import build_model

    model = build_model(run.meta, keras, rgb_input=True)
    model.set_weights(run.model(which).get_weights())
    return model


def mask_scores(probabilities: np.ndarray, masks: np.ndarray, class_names) -> dict:
    """`metrics.scores` of per-pixel probabilities (N, H, W, classes) against true masks."""
    matrix = metrics.confusion(masks, probabilities.argmax(-1), len(class_names))
    return metrics.scores(matrix, class_names)


def convert_mode(model, mode: str, calibration: np.ndarray, info) -> bytes:
    """One mode's `.tflite` bytes with image-segmenter metadata."""
    from cnnapp.deploy import converter, metadata

    content = converter.convert(model, mode, representative=calibration if mode == "int8" else None)
    return metadata.with_metadata(content, info, segmenter=True)


def export_run(
    run_path: str | Path,
    modes=MODES,
    out_dir: str | Path | None = None,
    *,
    limit: int | None = None,
    calibration_images: int = CALIBRATION_IMAGES,
    latency_runs: int = 20,
    which: str = "best",
) -> dict:
    """Export a segmentation run in `modes`, score each file with LiteRT, write files and report.

    Args:
        run_path: a finished segmentation run folder.
        modes: post-training modes (`MODES`).
        out_dir: where the files go (default: RUN/export/).
        limit: score on the first `limit` test images only (0/None: all).
        calibration_images: training images that calibrate int8's activation ranges.
        latency_runs: timed single-image invocations per mode.
        which: the checkpoint, "best" or "last".
    """
    from cnnapp.errors import CnnappError
    from cnnapp.runs import load_run, output_lock

    run = load_run(run_path)
    if not run.meta.get("head"):
        raise CnnappError(
            f"{run.path} is not a segmentation run (no model.head); export it with cnnapp.export"
        )
    out = Path(out_dir) if out_dir else run.folder.export_dir
    with output_lock(out):  # one export at a time; the files swapped in as a set (atomic.staged_folder)
        return _export(run, modes, out, limit, calibration_images, which, latency_runs)


def _export(run, modes, out: Path, limit, calibration_images, which, latency_runs) -> dict:
    from cnnapp.deploy import metadata
    from cnnapp.deploy.runtime import LiteModel
    from cnnapp.segmentation.run import splits

    names = tuple(run.meta.class_names)
    model = rgb_model(run, which)
    images, masks = test_arrays(run, limit)
    calibration, _ = _arrays(splits(run.recipe)["train"], run.recipe, calibration_images)
    keras_scores = mask_scores(model.predict(images, batch_size=64, verbose=0), masks, names)
    rows, contents = [], {}
    for mode in modes:
        info = metadata.Info(
            name=f"{run.recipe.name}",
            description=f"{run.meta['head']} on {run.meta.architecture}: a class per pixel of an RGB image",
            version=f"{mode}, cnnapp {metadata.CNNAPP_VERSION}",
            author="cnnapp",
            licence=metadata.licence("digits" if run.meta.dataset == "digit_scenes" else run.meta.dataset),
            labels=names,
        )
        content = convert_mode(model, mode, calibration, info)
        lite = LiteModel(content)
        scores = mask_scores(lite.predict(images, batch_size=16), masks, names)
        path = out / f"{run.recipe.name}-{mode}.tflite"
        contents[path.name] = content
        rows.append({
            "mode": mode, "file": path.name, "bytes": len(content),
            "input": str(lite.input_dtype), "output": str(lite.output_dtype),
            "mean_iou": scores["mean_iou"], "mean_iou_foreground": scores["mean_iou_foreground"],
            "pixel_accuracy": scores["pixel_accuracy"], "per_class_iou": scores["per_class_iou"],
            "latency_ms": lite.latency_ms(images[0], runs=latency_runs, warmup=3)["median"],
        })  # fmt: skip
    report = {
        "run": str(run.path),
        "checkpoint": which,
        "images": int(len(images)),
        "keras": {k: keras_scores[k] for k in ("mean_iou", "mean_iou_foreground", "pixel_accuracy")},
        "exports": rows,
    }
    with atomic.staged_folder(out) as staging:
        for name, content in contents.items():
            atomic.write_bytes(staging / name, content)
        atomic.write_text(staging / "labels.txt", "\n".join(names) + "\n")
        atomic.write_json(staging / f"{REPORT}.json", report)
        atomic.write_text(staging / f"{REPORT}.md", markdown(report))
    return report


def markdown(report: dict) -> str:
    """The export report as a Markdown table."""
    lines = [
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
