"""python -m cnnapp.audit: the size of an architecture or a saved model, or several side by side.

python -m cnnapp.audit alexnet
python -m cnnapp.audit vgg16 --set input_shape=32,32,3 --set num_classes=10 --format markdown
python -m cnnapp.audit runs/x/checkpoints/best.keras --chart best.png --batch-size 128
python -m cnnapp.audit --compare lenet1989 lenet5 alexnet --lecture
"""

from __future__ import annotations

import ast
import json
from collections.abc import Sequence
from pathlib import Path

from cnnapp import atomic, cli
from cnnapp.audit import compare, core, lecture, memory, report
from cnnapp.audit.segmenter import audit_segmenter, segmenter_size
from cnnapp.choices import SEGMENTATION_HEADS
from cnnapp.errors import CnnappError, run_cli
from cnnapp.paths import out_folder


def parse_options(pairs: Sequence[str]) -> dict:
    """Builder options from "key=value" strings; values are Python literals (32,32,3 → a tuple) or strings."""
    options = {}
    for pair in pairs:
        key, sep, text = pair.partition("=")
        if not sep or not key.strip():
            raise CnnappError(f"builder option {pair!r} is not key=value (e.g. --set num_classes=10)")
        try:
            value = ast.literal_eval(text)
        except (ValueError, SyntaxError):
            value = text
        options[key.strip()] = tuple(value) if isinstance(value, list) else value
    return options


def _is_file(target: str) -> bool:
    from cnnapp.runs import RunDir

    return target.endswith(".keras") or Path(target).is_file() or RunDir(target).is_run()  # or a run folder


def audit_target(target: str, options: dict, batch_size: int, optimizer: str) -> core.Audit:
    """Audit a registered architecture name (built with `options`) or a saved `.keras` model file."""
    if _is_file(target):
        if options:
            raise CnnappError(
                "builder options (--set, --keras) apply to architecture names, not to a saved model file"
            )
        from cnnapp import models, runs

        path = runs.from_any(target).model_file if Path(target).is_dir() else target  # a run: its best
        model = models.load(path)
        return core.audit_model(model, name=Path(target).stem, batch_size=batch_size, optimizer=optimizer)
    return core.audit_architecture(target, batch_size=batch_size, optimizer=optimizer, **options)


def _with_lecture(text: str, audits: list[core.Audit], fmt: str, options: dict) -> str:
    """`text` (the audit or comparison in `fmt`) with the lectures' figures beside ours added."""
    if options:
        raise CnnappError(
            "--lecture compares the lectures' networks at their paper sizes; drop the builder options (--set)"
        )
    for a in audits:
        lecture.check_has_figures(a.name)
    rows = [row for a in audits for row in lecture.beside(a)]
    if fmt == "csv":  # one table a spreadsheet reads
        return lecture.render(rows, "csv")
    if fmt == "json":
        return json.dumps({"audit": json.loads(text), "lecture": lecture.to_data(rows)}, indent=2,
                          ensure_ascii=False) + "\n"  # fmt: skip
    title = "The lectures' figures beside ours"
    return text + "\n" + ("## " if fmt == "markdown" else "") + title + "\n\n" + lecture.render(rows, fmt)


def main(argv: Sequence[str] | None = None) -> int:
    parser = cli.ArgumentParser(
        prog="python -m cnnapp.audit",
        description="Units, weights, connections (multiply-adds), operations and memory of a conv net.",
    )
    parser.add_argument("target", nargs="?", help="a registered architecture name or a saved .keras model")
    parser.add_argument(
        "--set",
        "--option",
        dest="options",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="a builder option, e.g. input_shape=32,32,3 or num_classes=10 (repeatable)",
    )
    parser.add_argument("--compare", nargs="+", metavar="ARCH", help="compare architectures side by side")
    parser.add_argument("--format", default="table", choices=report.FORMATS, help="output format")
    parser.add_argument(
        "--chart", metavar="FILE.png", help="write a per-layer chart of weights and connections"
    )
    parser.add_argument("--batch-size", type=int, default=1, help="batch size of the memory estimates")
    parser.add_argument(
        "--optimizer",
        default="momentum",
        choices=sorted(memory.OPTIMIZER_SLOTS),
        help="optimizer whose state the training memory includes (default: SGD momentum)",
    )
    parser.add_argument(
        "--keras",
        default="keras",
        choices=("keras", "tf_keras"),
        help="build the architecture with Keras 3 (default) or tf_keras (the tfmot twin)",
    )
    parser.add_argument(
        "--head",
        choices=SEGMENTATION_HEADS,
        help="audit the FCN segmenter with this head on the architecture (num_classes 21 unless --set)",
    )
    parser.add_argument(
        "--lecture",
        action="store_true",
        help="print the lectures' (and papers') figures beside ours, with why they differ "
        "(with --format csv: those rows only)",
    )
    parser.add_argument("--output", metavar="FILE", help="write the report to FILE instead of the terminal")
    args = parser.parse_args(argv)  # fmt: skip
    for value, option in ((args.chart, "--chart"), (args.output, "--output")):
        out_folder(value, option)  # an empty file name is refused

    if (args.target is None) == (args.compare is None):
        raise CnnappError("give one architecture (or .keras file) to audit, or --compare A B ...")
    if args.batch_size < 1:
        raise CnnappError(f"--batch-size must be at least 1; got {args.batch_size}")
    options = parse_options(args.options)
    if args.keras == "tf_keras":
        import tf_keras

        options["keras_module"] = tf_keras
    if args.compare:
        if args.chart:
            raise CnnappError("--chart draws one model; drop it with --compare")
        audits = [audit_target(t, options, args.batch_size, args.optimizer) for t in args.compare]
        text = compare.render([compare.line(a) for a in audits], args.format)
        if args.lecture:
            text = _with_lecture(text, audits, args.format, options)
    elif args.head:  # a segmenter: the same report, and its cost per labelled pixel
        num_classes = options.pop("num_classes", 21)
        result = audit_segmenter(args.target, args.head, num_classes, batch_size=args.batch_size, **options)
        text = report.render(result, args.format)
        if args.format in ("table", "markdown"):
            size = segmenter_size(result)
            pixels, per_pixel = size["output_pixels"], size["macs_per_output_pixel"]
            text += f"MACs per output pixel: {per_pixel:,.0f} (over {pixels:,} output pixels)\n"
    else:
        result = audit_target(args.target, options, args.batch_size, args.optimizer)
        text = report.render(result, args.format)
        if args.lecture:
            text = _with_lecture(text, [result], args.format, options)
        if args.chart:
            from cnnapp.audit import chart

            chart.check_png_name(args.chart)
            atomic.write_bytes(args.chart, chart.png(result))
    from cnnapp.audit.chart import emit

    emit(text, args.output)
    return 0


if __name__ == "__main__":
    run_cli(main, "python -m cnnapp.audit")
