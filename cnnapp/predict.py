"""Classify images with an exported model: `python -m cnnapp.predict MODEL IMAGE...`.

    python -m cnnapp.predict export/lenet5-digits/int8.tflite seven.png
    python -m cnnapp.predict runs/lenet5-digits/checkpoints/best.keras photo.jpg --top 3
    python -m cnnapp.predict runs/lenet5-digits photo.jpg          # a run folder: its best checkpoint
    python -m cnnapp.predict --number export/lenet5-phone meter.jpg  # a whole number: docs/number.md

MODEL is a `.tflite` (run through LiteRT, integer I/O handled), a `.keras` file or a run folder. Prints the
top classes with their probabilities for each image. A model of a run (a run folder, or a checkpoint inside
one) brings each image to its input size by the run's `data.resize` (stretch, pad, centre, short side),
exactly as the run's evaluation did; a bare `.keras` and a `.tflite` stretch the whole image, as MediaPipe
does on a phone.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path

from cnnapp import cli, errors, quiet
from cnnapp.paths import printable


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = cli.ArgumentParser(prog="python -m cnnapp.predict", description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "model",
        help="a .tflite (class names from its metadata, else labels.txt beside it), a .keras model, or a run "
        "folder; a run's model resizes images by the run's data.resize, a bare .keras or a .tflite stretches "
        "them (as MediaPipe does)",
    )
    parser.add_argument("images", nargs="+", help="image files: PNG, JPEG, BMP, GIF; grey or colour")
    parser.add_argument("--top", type=int, default=5, help="how many classes to show (default 5)")
    parser.add_argument(
        "--number",
        action="store_true",
        help="read a handwritten number in each photo (MODEL: a digit classifier's run or export folder, or "
        "its .tflite); prints PATH<TAB>NUMBER, ? for a digit it cannot read (docs/number.md)",
    )
    return parser.parse_args(argv)


def predict(
    model: str | Path,
    images: str | Path | Sequence[str | Path],
    top: int = 5,
    verbose: bool = False,
    with_logits: bool = False,
):
    """The top classes of each image file (one path or several): {image path: [(class name, probability)]};
    with `with_logits`, (that, whether the model's outputs were logits that softmax made probabilities).

    `verbose` shows LiteRT's own log (its XNNPACK line), hidden otherwise.
    """
    quiet.start_tensorflow()
    # Deferred, as every import below: `--help` and a bad argument answer before numpy, Pillow and Keras load.
    from cnnapp import tasks
    from cnnapp.deploy.classifier import load_classifier, read_image

    paths = [str(images)] if isinstance(images, str | Path) else [str(p) for p in images]
    with quiet.hidden_output(verbose):
        classifier = load_classifier(str(model), tasks.of_output)  # a segmenter is refused by its task
        # Every file is read (and checked) before the first prediction.
        pixels = [read_image(path, classifier.input_shape, classifier.data) for path in paths]
        found = {path: classifier.top_k(image, top) for path, image in zip(paths, pixels, strict=True)}
    return (found, classifier.logits) if with_logits else found


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if args.number:
        from cnnapp.number.reader import print_numbers  # deferred: only --number reads numbers

        return print_numbers(args.model, args.images)
    if args.top < 1:
        raise errors.CnnappError(f"--top must be at least 1; got {args.top}")
    results, logits = predict(args.model, args.images, args.top, args.verbose, with_logits=True)
    if logits:
        print(f"note: {printable(args.model)} outputs logits (not probabilities): softmax applied")
    for path, ranked in results.items():
        print(printable(path))
        for name, prob in ranked:
            print(f"  {prob:7.2%}  {printable(name)}")
    return 0


# `cnnapp.predict(...)` in a notebook.
cli.callable_module(__name__, predict)


if __name__ == "__main__":
    errors.run_cli(main, "python -m cnnapp.predict")
