"""The figures every training run ends with: `RUN/figures/curves.png` and the test split's error analysis.

`write_run_figures(run_path)` is called once at the end of training (cnnapp.training.core, on the chief,
after report.json is written). It evaluates the report's checkpoint on the test split again, one pass, keeping
only the most confident mistakes' images in memory, so its cost is one more test-split evaluation.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from cnnapp.explain import curves
from cnnapp.explain import errors as error_analysis
from cnnapp.explain import figure as fig


def figures_dir(run_path: str | Path) -> Path:
    """RUN/figures/."""
    from cnnapp.runs import RunDir

    return RunDir(run_path).figures_dir


def predict_split(model, dataset, keep: int = error_analysis.WORST):
    """Probabilities [N, classes] and labels [N] of `model` over batches `(images, labels)`, and the images of
    the `keep` most confident mistakes {index: image}, found in one pass without holding the split."""
    import tensorflow as tf

    run = tf.function(lambda x: tf.cast(model(x, training=False), tf.float32), reduce_retracing=True)
    probs, labels = [], []
    kept_conf = np.zeros(0)
    kept_index = np.zeros(0, np.int64)
    kept_images: dict[int, np.ndarray] = {}
    start = 0
    for images, batch_labels in dataset:
        p = run(images).numpy()
        y = batch_labels.numpy().astype(np.int64)
        predicted = error_analysis.top1(p)
        wrong = np.flatnonzero(predicted != y)
        conf = np.concatenate([kept_conf, p[wrong, predicted[wrong]]])
        index = np.concatenate([kept_index, wrong + start])
        order = np.lexsort((index, -conf))[:keep]  # most confident first, then the earlier image
        images_np = None
        new_images = {}
        for i in index[order]:
            if int(i) in kept_images:
                new_images[int(i)] = kept_images[int(i)]
            else:
                images_np = images.numpy() if images_np is None else images_np
                new_images[int(i)] = images_np[int(i) - start]
        kept_conf, kept_index, kept_images = conf[order], index[order], new_images
        probs.append(p)
        labels.append(y)
        start += len(y)
    return np.concatenate(probs), np.concatenate(labels), kept_images


def write_error_analysis(run, model, out_dir: Path) -> list[Path]:
    """Confusion matrix, per-class scores, test predictions and the worst mistakes of `model` on the run's
    test split."""
    from cnnapp import data as cdata
    from cnnapp.training import setup

    run_data = setup.load_data(run.recipe)
    test = cdata.evaluation_pipeline(run_data.test, run.recipe.data.pipeline, setup.EVAL_BATCH)
    probs, labels, worst_images = predict_split(model, test)
    analysis = error_analysis.analyse(probs, labels)
    names = list(run.meta["class_names"])
    title = run.path.name
    paths = error_analysis.draw_confusion(analysis, names, out_dir, title)
    paths.append(
        fig.save_csv(
            out_dir / "test_predictions.csv",
            ["index", "label", "predicted", "confidence"],
            zip(range(len(labels)), labels, analysis.predicted, analysis.confidence, strict=True),
        )
    )
    images = [worst_images[int(i)] for i in analysis.worst]
    paths += error_analysis.draw_worst(analysis, images, names, out_dir, title)
    return paths


def write_run_figures(run_path: str | Path, *, errors: bool = True) -> list[Path]:
    """Draw a finished (or stopped) run's training curves and, with `errors`, its test error analysis.

    Args:
        run_path: the run folder.
        errors: evaluate the report's checkpoint (else the best, else the last) on the test split and draw
            the confusion matrix and the worst mistakes.

    Returns:
        The files written, under `RUN/figures/`.
    """
    from cnnapp.runs import load_run

    run = load_run(run_path)
    out_dir = figures_dir(run.path)
    paths = []
    if run.folder.log_file.is_file():
        curve = curves.draw_curves(run.path, out_dir / "curves.png")
        paths += [curve, curve.with_suffix(".json")]
    if errors:
        which = (run.report or {}).get("checkpoint")
        if which is None:
            which = "best" if run.folder.checkpoint_file("best").is_file() else "last"
        paths += write_error_analysis(run, run.model(which), out_dir)
    return paths
