"""Evaluate checkpoints the papers' way: `python -m cnnapp.evaluate RUN_OR_CHECKPOINT [...]`.

`--world` evaluates a phone export folder as the world sees it instead (cnnapp.deploy.world): real digits
white on black, ink on paper, camera-like and harder photos, and frames with no digit, through MediaPipe's
ImageClassifier, float32 and int8 side by side; it writes world.json and world.md into the folder.

Top-1 and top-5 accuracy with a centre crop and with AlexNet's 10-crop test (4 corners and the centre, and
their mirrors, softmax averaged); given several runs or checkpoints, also their ensemble (mean probabilities).
A run folder means its best checkpoint (`--which last` for the last); a path to `checkpoints/NAME.keras` means
that checkpoint.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

from cnnapp import cli
from cnnapp.errors import CnnappError, run_cli
from cnnapp.runs import CHECKPOINTS

CROP_NAMES = {"centre": "centre crop", "ten": "10-crop"}


def parse_args(argv: Sequence[str] | None):
    parser = cli.ArgumentParser(prog="python -m cnnapp.evaluate", description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="+", type=Path, help="run folders or checkpoints/*.keras files")
    parser.add_argument("--which", choices=CHECKPOINTS, default="best", help="checkpoint of a run folder")
    parser.add_argument("--split", help="split to evaluate (default: the recipe's train.test_split)")
    parser.add_argument("--crops", nargs="+", choices=("centre", "ten"), default=["centre", "ten"])
    parser.add_argument("--limit", type=int, default=0, help="evaluate N examples only (stratified)")
    parser.add_argument("--data-dir", help="where tfds keeps its files (default: the recipe's)")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    parser.add_argument(
        "--world",
        action="store_true",
        help="PATHS are export folders (or runs: their export/): read their .tflite files through MediaPipe "
        "on real handwriting, photos and non-digit frames; writes world.json and world.md there",
    )
    parser.add_argument(
        "--exports", nargs="+", default=["float32", "int8"], help="--world: the export tags to compare"
    )
    return parser.parse_args(argv)


def world(args) -> int:
    """`--world`: the world evaluation of each export folder, written beside its reports."""
    from cnnapp.deploy import world as world_eval
    from cnnapp.runs import run_of

    for path in args.paths:
        run = run_of(path)
        folder = run.export_dir if run is not None and run.path == path else path
        if not folder.is_dir():
            raise CnnappError(f"no export folder at {folder}; export first: python -m cnnapp.export RUN")
        results = world_eval.evaluate_world(folder, tuple(args.exports), limit=args.limit or None)
        world_eval.write_world(results, folder)
        print(json.dumps(results, indent=2) if args.json else world_eval.markdown(results))
        print(f"written to {folder}/{world_eval.FILE}.json and .md")
    return 0


def resolve(path: Path, which: str):
    """(run, checkpoint name) for a run folder or a checkpoint file inside one."""
    from cnnapp.runs import from_any, load_run

    ref = from_any(path, which)
    if ref.run is None or ref.checkpoint is None:
        raise CnnappError(
            f"{path} is not a run folder nor a run's best or last checkpoint; evaluate needs the run's "
            "recipe and data: pass its run folder"
        )
    from cnnapp import tasks

    run = load_run(ref.run.path)
    tasks.of(run.meta).refuse("evaluate", path)  # top-k accuracy is a classifier's (a segmenter says so)
    return run, ref.checkpoint


def format_results(results: dict) -> str:
    lines = [*results.get("warnings", ()), f"split '{results['split']}', {results['examples']} images"]

    def row(label, entry):
        parts = [
            f"{CROP_NAMES[c]}: top-1 {s['top1_accuracy']:.2%} top-5 {s['top5_accuracy']:.2%}"
            for c, s in entry.items()
            if c in CROP_NAMES
        ]
        return f"  {label}: " + " | ".join(parts)

    for member in results["members"]:
        lines.append(row(f"{member['path']} ({member['checkpoint']})", member))
    if "ensemble" in results:
        lines.append(row(f"ensemble of {len(results['members'])}", results["ensemble"]))
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if args.limit < 0 or args.batch_size < 1:
        raise CnnappError("--limit must be ≥ 0 and --batch-size ≥ 1")
    if args.world:
        return world(args)
    from cnnapp.evaluation import evaluate_members

    members = [resolve(path, args.which) for path in args.paths]
    results = evaluate_members(
        members,
        split=args.split,
        crops=tuple(args.crops),
        limit=args.limit,
        data_dir=args.data_dir,
        batch_size=args.batch_size,
    )
    print(json.dumps(results, indent=2) if args.json else format_results(results))
    return 0


if __name__ == "__main__":
    run_cli(main, "python -m cnnapp.evaluate")
