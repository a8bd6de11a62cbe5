"""The figures every training run ends with: `RUN/figures/curves.png`, the test split's error analysis,
and (with `[batch_augment]` on) `augmentations.png`, what those augmentations do to its training images.

`write_run_figures(run_path)` is called once at the end of training (cnnapp.training.core, on the chief,
after report.json is written). It reuses the report's own pass over the test split (the report's
checkpoint), which kept only the most confident mistakes' images; called alone (`python -m cnnapp.explain`,
an old run), it makes that pass itself.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from cnnapp.explain import augmentations, camera_grid, curves
from cnnapp.explain import errors as error_analysis
from cnnapp.explain import figure as fig
from cnnapp.runs import RunDir, load_run


def figures_dir(run_path: str | Path) -> Path:
    """RUN/figures/."""

    return RunDir(run_path).figures_dir


class WorstMistakes:
    """Keeps the images of the `keep` most confident mistakes while a split streams past, batch by batch
    (an `evaluation.probabilities` `on_batch`): the split is never held. `images` maps index → image."""

    def __init__(self, keep: int = error_analysis.WORST):
        self.keep = keep
        self.images: dict[int, np.ndarray] = {}
        self._confidence = np.zeros(0)
        self._index = np.zeros(0, np.int64)
        self._seen = 0

    def __call__(self, images, probs: np.ndarray, labels: np.ndarray) -> None:
        start, self._seen = self._seen, self._seen + len(labels)
        predicted = error_analysis.top1(probs)
        wrong = np.flatnonzero(predicted != labels)
        confidence = np.concatenate([self._confidence, probs[wrong, predicted[wrong]]])
        index = np.concatenate([self._index, wrong + start])
        order = np.lexsort((index, -confidence))[: self.keep]  # most confident first, then the earlier image
        batch = None
        kept = {}
        for i in map(int, index[order]):
            if i not in self.images:
                batch = images.numpy() if batch is None else batch
            kept[i] = self.images[i] if i in self.images else batch[i - start]
        self._confidence, self._index, self.images = confidence[order], index[order], kept


def predict_split(model, dataset, keep: int = error_analysis.WORST):
    """Probabilities [N, classes] and labels [N] of `model` over batches `(images, labels)`, and the images of
    the `keep` most confident mistakes {index: image}, found in one pass without holding the split."""
    from cnnapp import evaluation  # deferred: cnnapp.evaluation imports TensorFlow

    worst = WorstMistakes(keep)
    probs, labels = evaluation.probabilities(model, dataset, worst)
    return probs, labels, worst.images


def write_error_analysis(run, model, out_dir: Path, evaluated=None) -> list[Path]:
    """Confusion matrix, per-class scores, test predictions and the worst mistakes of `model` on the run's
    test split; `evaluated` is that pass when the caller has made it already: (probs, labels, WorstMistakes).
    """
    if evaluated is None:
        from cnnapp import evaluation, tasks  # deferred: cnnapp.evaluation imports TensorFlow

        task = tasks.of(run.meta)
        test = task.evaluation_batches(task.load_data(run.recipe).test, run.recipe, evaluation.EVAL_BATCH)
        probs, labels, worst_images = predict_split(model, test)
    else:
        probs, labels, worst = evaluated
        worst_images = worst.images
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


def write_run_figures(run_path: str | Path, *, errors: bool = True, evaluated=None) -> list[Path]:
    """Draw a finished (or stopped) run's training curves and, with `errors`, its test error analysis.

    Args:
        run_path: the run folder.
        errors: evaluate the report's checkpoint (else the best, else the last) on the test split and draw
            the confusion matrix and the worst mistakes.
        evaluated: the training report's own pass over the test split with that checkpoint, (probs, labels,
            WorstMistakes), which the error analysis then uses instead of evaluating again.

    Returns:
        The files written, under `RUN/figures/`.
    """

    run = load_run(run_path)
    out_dir = figures_dir(run.path)
    paths = []
    if run.folder.log_file.is_file():
        curve = curves.draw_curves(run.path, out_dir / "curves.png")
        paths += [curve, curve.with_suffix(".json")]

    if camera_grid.camera_steps(run):  # a phone camera in the pipeline: show what it made
        grid = camera_grid.draw_camera_grid(run, out_dir / "camera.png")
        paths += [grid, grid.with_suffix(".json")]
    if errors:
        which = (run.report or {}).get("checkpoint")
        if which is None:
            which = "best" if run.folder.checkpoint_file("best").is_file() else "last"
        model = None if evaluated is not None else run.model(which)
        paths += write_error_analysis(run, model, out_dir, evaluated)
    # what the recipe's batch augmentations (RandAugment, MixUp, CutMix, ...) do to its training images
    paths += augmentations.draw_augmentations(run, out_dir / "augmentations.png")
    return paths
