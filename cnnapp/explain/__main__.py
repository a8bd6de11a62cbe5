"""Draw what a network learned, where it looks, how it trained: `python -m cnnapp.explain RUN [FIGURE ...]`.

    python -m cnnapp.explain runs/lenet5-digits                          # every figure, into RUN/figures/
    python -m cnnapp.explain runs/lenet5-digits gradcam --index 0 7 --class 3
    python -m cnnapp.explain runs/alexnet-small patches --layer conv2_gpu1 --channels 6
    python -m cnnapp.explain export/lenet5-digits/int8.tflite occlusion --image seven.png
    python -m cnnapp.explain runs/a --compare runs/b runs/c              # training curves overlaid

RUN_OR_MODEL is a run folder, a `.keras` model (a run's checkpoint or any other) or a `.tflite` export
(occlusion only: it needs no gradients). Figures: curves, errors (confusion matrix, per-class scores, worst
mistakes), filters (first-layer filters, or linear/MLP templates), activations, patches (top-9 patches per
channel), occlusion, gradcam. Each is a PNG with its numbers beside it as CSV or JSON.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path

from cnnapp import cli
from cnnapp.errors import CnnappError, check_range, run_cli
from cnnapp.explain import figures_dir
from cnnapp.explain.subject import load_subject, read_images
from cnnapp.paths import out_folder
from cnnapp.runs import CHECKPOINTS

FIGURES = ("curves", "errors", "filters", "activations", "patches", "dead", "occlusion", "gradcam")
NEEDS_RUN = ("curves", "errors", "patches", "dead")
NEEDS_KERAS = ("filters", "activations", "patches", "dead", "gradcam")
EXAMPLES = 4  # test images shown by occlusion and Grad-CAM by default
PATCH_IMAGES = 1000  # test images searched for the top patches by default


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = cli.ArgumentParser(
        prog="python -m cnnapp.explain",
        description=__doc__.splitlines()[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="\n".join(__doc__.splitlines()[2:8]),
    )
    parser.add_argument("subject", metavar="RUN_OR_MODEL", help="a run folder, a .keras or a .tflite model")
    parser.add_argument(
        "figures", nargs="*", metavar="FIGURE", help=f"any of {', '.join(FIGURES)} (default: all that apply)"
    )
    parser.add_argument("--out", help="where figures go (default: RUN/figures, or MODEL-figures/)")
    parser.add_argument("--checkpoint", default="best", choices=CHECKPOINTS, help="a run's checkpoint")
    parser.add_argument(
        "--layer", action="append", default=[], help="layer to draw (repeatable; default: per figure)"
    )
    parser.add_argument("--image", action="append", default=[], type=Path, help="an image file (repeatable)")
    parser.add_argument(
        "--index", type=int, nargs="+", default=[], help="test images by index in the run's split"
    )
    parser.add_argument(
        "--class", dest="cls", help="class name or index for occlusion and Grad-CAM (default: predicted)"
    )
    parser.add_argument(
        "--channels", type=int, help="channels shown by patches (default 8) and activations (default 32)"
    )
    parser.add_argument("--limit", type=int, default=PATCH_IMAGES, help="test images searched for patches")
    parser.add_argument("--size", type=int, help="occluder size in pixels (default: a quarter of the image)")
    parser.add_argument("--stride", type=int, help="occluder stride (default: half its size)")
    parser.add_argument(
        "--compare", nargs="+", type=Path, default=[], metavar="RUN", help="overlay these runs' curves"
    )
    return parser.parse_args(argv)


def default_out(subject) -> Path:
    if subject.run is not None:
        return figures_dir(subject.run.path)
    return subject.path.parent / f"{subject.path.stem}-figures"


def chosen_figures(args, subject) -> list[str]:
    bad = [f for f in args.figures if f not in FIGURES]
    if bad:
        raise CnnappError(f"unknown figure {bad[0]!r}; valid figures: {', '.join(FIGURES)}")
    if args.figures:
        wanted = list(dict.fromkeys(args.figures))
        for name in wanted:
            if name in NEEDS_KERAS and subject.model is None:
                raise CnnappError(
                    f"{name} needs a Keras model (a run or a .keras file); a .tflite gives occlusion"
                )
            if name in ("curves", "errors") and subject.run is None:
                raise CnnappError(
                    f"{name} needs a run folder (its log and test split); {subject.path} is not in one"
                )
        return wanted
    if args.compare:
        return []
    keras_only = set(NEEDS_KERAS) if subject.model is None else set()
    run_only = set(NEEDS_RUN) if subject.run is None else set()
    return [f for f in FIGURES if f not in keras_only | run_only]


def images_for(args, subject, default_count: int):
    """(images, captions): --image files, else --index test images, else the first `default_count`."""
    if args.image:
        return read_images(args.image, subject.input_shape, subject.data), [p.name for p in args.image]
    if subject.run is None:
        raise CnnappError(f"{subject.path} is not part of a run, so it has no test images; pass --image FILE")
    indices = args.index or list(range(default_count))
    images, labels = subject.test_images(limit=max(indices) + 1)
    bad = [i for i in indices if not 0 <= i < len(images)]
    if bad:
        raise CnnappError(f"test image {bad[0]} does not exist; the test split has {len(images)} images")
    captions = [f"test #{i}, true {subject.class_name(int(labels[i]))}" for i in indices]
    return images[indices], captions


def explain(args) -> list[Path]:
    # Deferred: the figure modules import Keras and TensorFlow, which `--help` and a bad argument need not.
    from cnnapp.explain import activations, curves, dead, filters, gradcam, occlusion, patches, run_figures
    from cnnapp.explain import layers as L

    subject = load_subject(args.subject, args.checkpoint)
    out = out_folder(args.out) or default_out(subject)
    figures = chosen_figures(args, subject)
    cls = subject.class_index(args.cls) if args.cls is not None else None
    paths: list[Path] = []
    if args.compare:
        runs = [subject.run.path if subject.run is not None else subject.path, *args.compare]
        paths.append(curves.draw_compare(runs, out / "compare.png"))
    title = subject.name
    for name in figures:
        if name == "curves":
            paths.append(curves.draw_curves(subject.run.path, out / "curves.png"))
        elif name == "errors":
            paths += run_figures.write_error_analysis(subject.run, subject.model, out)
        elif name == "filters":
            paths += filters.draw_filters(
                subject.model, out, args.layer[0] if args.layer else None, subject.class_names, title
            )
        elif name == "activations":
            if not L.conv_layers(subject.model) and not args.layer and not args.figures:
                continue  # linear and mlp: no maps (their templates are the filters figure)
            images, _ = images_for(args, subject, 1)
            channels = args.channels or activations.MAX_CHANNELS
            paths += activations.draw_activations(
                subject.model, images[0], out, args.layer or None, channels, title
            )
        elif name == "patches":
            if not L.conv_layers(subject.model) and not args.layer and not args.figures:
                continue
            layers = args.layer or patches.default_layers(subject.model)
            if not layers:
                raise CnnappError(f"{subject.path} has no conv layers, so no maps to find patches for")
            images, _ = (
                subject.test_images(limit=args.limit) if not args.image else images_for(args, subject, 0)
            )
            for layer in layers:
                paths += patches.draw_patches(subject.model, layer, images, out, args.channels or 8, title)
        elif name == "dead":
            images, _ = subject.test_images(limit=args.limit)
            paths += dead.draw_dead(subject.model, images, out, title)
        elif name == "occlusion":
            images, captions = images_for(args, subject, EXAMPLES)
            paths += occlusion.draw_occlusion(subject, images, out, cls, args.size, args.stride, captions)
        elif name == "gradcam":
            if not L.conv_layers(subject.model) and not args.figures:
                continue
            images, captions = images_for(args, subject, EXAMPLES)
            paths += gradcam.draw_gradcam(subject, images, out, args.layer or None, cls, captions)
    return paths


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    for value, option in ((args.size, "--size"), (args.stride, "--stride"), (args.channels, "--channels")):
        check_range(value, option, 1, 100_000)
    check_range(args.limit, "--limit", 1, 10_000_000)
    for path in explain(args):
        print(path)
    return 0


if __name__ == "__main__":
    run_cli(main, "python -m cnnapp.explain")
