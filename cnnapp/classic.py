"""The pre-2012 baselines: hand-made features and a linear SVM, reported as a conv net's run is.

    python -m cnnapp.classic --dataset digits --features hog --out runs/classic-hog-digits
    python -m cnnapp.classic --dataset digits --features colour
    python -m cnnapp.audit.results --run runs/classic-hog-digits --run runs/lenet5-digits   # beside a CNN

ILSVRC 2010 and 2011 were won by features of this kind (SIFT, HoG-like gradients, colour statistics, coded
and pooled) with linear SVMs: 28.2% and 25.8% top-5 error, before AlexNet's 16.4%. Here the features are
scikit-image's HoG (Dalal & Triggs 2005: 9 orientations, 8×8-pixel cells, 2×2-cell blocks, L2-Hys) and
per-channel colour (grey-level) histograms; the classifier is scikit-learn's LinearSVC on standardized
features. The report has the keys of `python -m cnnapp.train`'s report.json, so the two compare line by line.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from cnnapp import atomic, cli
from cnnapp.choices import TEST, TRAIN
from cnnapp.colour import LUMA
from cnnapp.errors import CnnappError, run_cli, unknown
from cnnapp.runs import RunDir

FEATURES = ("hog", "colour", "hog+colour", "pixels")
HOG_SIZE = 32  # images are resized to 32×32 first: 4×4 cells of 8×8 pixels (the digits are 8×8 scans)
HISTOGRAM_BINS = 16
# The SVM's C is chosen on a held-out 10% of the training split from this grid (the test split stays unseen):
# a large C on a few hundred HoG features over-fits and takes LinearSVC hundreds of iterations (24 s at C=1).
C_GRID = (0.001, 0.01, 0.1)


def arrays(dataset: str, split: str) -> tuple[np.ndarray, np.ndarray]:
    """(images, labels) of one split as numpy arrays: images float32 (N, H, W, C) in [0, 255]."""
    from cnnapp.data import sources

    source = sources.load_dataset(dataset)
    images, labels = [], []
    for image, label in source.split(split).batch(1024).as_numpy_iterator():
        images.append(image.astype(np.float32))
        labels.append(label.astype(np.int64))
    if not images:
        raise CnnappError(f"dataset {dataset} split {split!r} is empty")
    return np.concatenate(images), np.concatenate(labels)


def _grey(images: np.ndarray) -> np.ndarray:
    if images.shape[-1] == 1:
        return images[..., 0]
    return images[..., :3] @ np.array(LUMA, dtype=np.float32)


def hog_features(images: np.ndarray) -> np.ndarray:
    """HoG of every image on its grey levels resized to 32×32: 9 orientations, 8×8 cells, 2×2 blocks."""
    from skimage.feature import hog
    from skimage.transform import resize

    grey = _grey(images)
    return np.stack([
        hog(resize(g, (HOG_SIZE, HOG_SIZE), anti_aliasing=True, preserve_range=True), orientations=9,
            pixels_per_cell=(8, 8), cells_per_block=(2, 2), block_norm="L2-Hys")
        for g in grey
    ]).astype(np.float32)  # fmt: skip


def colour_features(images: np.ndarray) -> np.ndarray:
    """A normalized 16-bin histogram per channel (grey images: one), concatenated."""
    n, _, _, channels = images.shape
    pixels = images.reshape(n, -1, channels)
    out = np.empty((n, channels * HISTOGRAM_BINS), dtype=np.float32)
    for c in range(channels):
        bins = np.clip((pixels[:, :, c] / 256.0 * HISTOGRAM_BINS).astype(int), 0, HISTOGRAM_BINS - 1)
        counts = np.stack([np.bincount(b, minlength=HISTOGRAM_BINS) for b in bins])
        out[:, c * HISTOGRAM_BINS : (c + 1) * HISTOGRAM_BINS] = counts / pixels.shape[1]
    return out


def features(images: np.ndarray, kind: str) -> np.ndarray:
    if kind == "hog":
        return hog_features(images)
    if kind == "colour":
        return colour_features(images)
    if kind == "hog+colour":
        return np.concatenate([hog_features(images), colour_features(images)], axis=1)
    if kind == "pixels":  # the linear classifier f = Wx on raw pixels, for reference
        return images.reshape(len(images), -1) / 255.0
    raise unknown("features", kind, FEATURES)


def _svm(c: float, seed: int):
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler
    from sklearn.svm import LinearSVC

    return make_pipeline(StandardScaler(), LinearSVC(C=c, random_state=seed, max_iter=5000))


def choose_c(x: np.ndarray, y: np.ndarray, seed: int) -> tuple[float, dict]:
    """The C of `C_GRID` with the best accuracy on a stratified 10% of the training data."""
    from sklearn.model_selection import train_test_split

    fit_x, held_x, fit_y, held_y = train_test_split(x, y, test_size=0.1, random_state=seed, stratify=y)
    accuracy = {c: float(_svm(c, seed).fit(fit_x, fit_y).score(held_x, held_y)) for c in C_GRID}
    return max(C_GRID, key=lambda c: (accuracy[c], -c)), accuracy


def run(dataset: str, kind: str, c: float | None = None, seed: int = 0, test_split: str = TEST) -> dict:
    """Fit the features + linear SVM on the train split, score the test split: a run report (a dict).
    `c` None chooses the SVM's C on a held-out 10% of the training split (`choose_c`)."""
    from cnnapp import evaluation

    if c is not None and c <= 0:
        raise CnnappError(f"--c must be positive (the SVM's inverse regularization); got {c}")
    train_images, train_labels = arrays(dataset, TRAIN)
    test_images, test_labels = arrays(dataset, test_split)
    start = time.perf_counter()
    train_x = features(train_images, kind)
    held_out = None
    if c is None:
        c, held_out = choose_c(train_x, train_labels, seed)
    classifier = _svm(c, seed)
    classifier.fit(train_x, train_labels)
    train_seconds = time.perf_counter() - start
    start = time.perf_counter()
    scores_ = classifier.decision_function(
        features(test_images, kind)
    )  # one-vs-rest margins rank the classes
    eval_seconds = time.perf_counter() - start
    full = np.full((len(test_labels), int(max(train_labels.max(), test_labels.max())) + 1), -np.inf)
    full[:, classifier.classes_] = scores_
    scores = evaluation.scores(full, test_labels)
    return {
        "recipe": f"classic-{kind}",
        "architecture": f"{kind} features + linear SVM",
        "dataset": dataset,
        "split": test_split,
        "checkpoint": "fitted",
        "best_epoch": None,
        "validation": "C fixed" if held_out is None else "holdout 10% of train (chooses C)",
        "held_out_accuracy_by_c": held_out,
        **scores,
        "epochs": None,
        "train_examples": int(len(train_labels)),
        "train_seconds": round(train_seconds, 3),
        "images_per_second": float(f"{len(train_labels) / max(train_seconds, 1e-9):.4g}"),
        "eval_images_per_second": float(f"{len(test_labels) / max(eval_seconds, 1e-9):.4g}"),
        "parameters": int(np.prod(classifier[-1].coef_.shape) + len(classifier[-1].intercept_)),
        "features": int(train_x.shape[1]),
        "device": "CPU (scikit-learn)",
        "num_classes": int(full.shape[1]),
        "svm_c": c,
        "seed": seed,
    }


def format_report(report: dict, out: Path | None) -> str:
    r = report
    return "\n".join([
        f"{r['recipe']}: {r['architecture']} on {r['dataset']} ({r['features']:,} features, "
        f"{r['parameters']:,} parameters, C = {r['svm_c']:g})",
        f"  test split '{report['split']}' ({report['examples']} images): top-1 accuracy "
        f"{report['top1_accuracy']:.2%} (error {report['top1_error']:.2%}), top-5 accuracy "
        f"{report['top5_accuracy']:.2%}",
        f"  training: {r['train_seconds']:.1f} s on {r['train_examples']:,} images (features + SVM)",
        *([f"  run folder: {out}"] if out else []),
    ])  # fmt: skip


def main(argv: Sequence[str] | None = None) -> int:
    parser = cli.ArgumentParser(
        prog="python -m cnnapp.classic",
        description="Hand-made features (HoG, colour histograms) and a linear SVM: the pre-2012 baseline, "
        "with a run report like python -m cnnapp.train's.",
    )
    parser.add_argument("--dataset", default="digits", help="a dataset name (as a recipe's data.dataset)")
    parser.add_argument("--features", default="hog", choices=FEATURES)
    parser.add_argument(
        "--c", type=float, help=f"the SVM's C (default: the best of {C_GRID} on a held-out 10%% of train)"
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--split", default=TEST, help="the split to score (default test)")
    parser.add_argument("--out", help="a folder for report.json (created; nothing else is written)")
    args = parser.parse_args(argv)
    report = run(args.dataset, args.features, args.c, args.seed, args.split)
    out = Path(args.out) if args.out else None
    if out is not None:
        import json

        if out.exists() and not out.is_dir():
            raise CnnappError(f"--out {out} is a file; give a folder for report.json")
        out.mkdir(parents=True, exist_ok=True)
        atomic.write_text(RunDir(out).report_file, json.dumps(report, indent=2) + "\n")
    print(format_report(report, out))
    return 0


if __name__ == "__main__":
    run_cli(main, "python -m cnnapp.classic")
