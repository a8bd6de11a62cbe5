"""Export a trained model to TFLite for phones, with a size/accuracy report.

    python -m cnnapp.export runs/lenet5-digits --mode int8
    python -m cnnapp.export runs/lenet5-digits --mode int8 --prune 0.5 --epochs 3
    python -m cnnapp.export runs/lenet5-digits --compare float32 float16 dynamic int8 int16x8 qat int8-prune50
    python -m cnnapp.export model.keras --dataset digits --mode int8
    python -m cnnapp.export runs/googlenet-digits --mode int8 --per-tensor --debug
    python -m cnnapp.export runs/googlenet-digits --mode int8 --per-tensor --float-layers inception_4e_3x3

Every .tflite carries TFLite metadata (name, labels, input image, normalization) for MediaPipe Tasks;
writes `<tag>.tflite`, `labels.txt` and the report (`<tag>.json`, `<tag>.md`) into --out (default: the run's
`export/` folder), and prints the report.
"""

from __future__ import annotations

import argparse
import dataclasses
import re
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cnnapp import cli, errors, quiet
from cnnapp.deploy.converter import IO_CHOICES, MODES
from cnnapp.deploy.front import INPUT_CHANNELS
from cnnapp.paths import out_folder
from cnnapp.runs import CHECKPOINTS

if TYPE_CHECKING:
    from cnnapp.runs import Run

_TAG = re.compile(
    r"^(?P<mode>[a-z0-9]+?)(?:-prune(?P<prune>\d+))?(?:-cluster(?P<cluster>\d+))?(?P<pertensor>-pertensor)?$"
)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = cli.ArgumentParser(prog="python -m cnnapp.export", description=__doc__.split("\n\n")[0])
    parser.add_argument("model", nargs="?", help="a run folder, a run's checkpoint, or a .keras file")
    parser.add_argument("--mode", default="float32", help=f"one of {', '.join(MODES)} (default float32)")
    parser.add_argument(
        "--prune", type=float, help="prune Conv/Dense kernels to this sparsity first (e.g. 0.5)"
    )
    parser.add_argument("--cluster", type=int, help="cluster Conv/Dense kernels into N shared values first")
    parser.add_argument(
        "--per-tensor",
        action="store_true",
        help="one weight scale per kernel instead of per channel (int8, int16x8): smaller for narrow nets, "
        "and what some accelerators need",
    )
    parser.add_argument("--out", help="output folder (default: RUN/export, or MODEL_export beside a .keras)")
    parser.add_argument("--samples", type=int, default=200, help="calibration images from the training split")
    parser.add_argument(
        "--io",
        choices=IO_CHOICES,
        help="model input/output type (default: uint8 for int8 and qat and their variants, the camera's "
        "pixels; float for the rest; int8 means int16 for int16x8)",
    )
    parser.add_argument(
        "--input-channels",
        choices=INPUT_CHANNELS,
        default="rgb",
        help="rgb (default): a model trained on grey images takes RGB through an in-graph RGB→grey front, "
        "like every camera frame; native: the model's own channels",
    )
    parser.add_argument(
        "--float-layers",
        metavar="NAME[,NAME]",
        help="keep these Keras layers in float in an int8 export (see the --debug table); the report shows "
        "the bytes and accuracy that buys",
    )
    parser.add_argument(
        "--debug",
        action="store_true",
        help="int8: run TFLite's QuantizationDebugger and write the per-layer error table "
        "(<tag>.debug.csv, <tag>.debug.md) beside the report",
    )
    parser.add_argument(
        "--epochs", type=int, default=2, help="fine-tuning epochs for QAT, pruning, clustering"
    )
    parser.add_argument(
        "--learning-rate",
        type=float,
        help="fine-tuning learning rate (Adam; default: 1e-4 pruning, 1e-5 QAT and clustering)",
    )
    parser.add_argument("--saved-model", action="store_true", help="also write a SavedModel folder")
    parser.add_argument(
        "--compare",
        nargs="+",
        metavar="EXPORT",
        help="export several and print them side by side: modes, optionally with -pruneNN "
        "(percent) or -clusterN, and -pertensor, e.g. float32 int8 qat int8-prune50 int8-pertensor",
    )
    parser.add_argument(
        "--dataset", help="the data of a bare .keras model (calibration, fine-tuning, report)"
    )
    parser.add_argument("--checkpoint", default="best", choices=CHECKPOINTS, help="which run checkpoint")
    parser.add_argument("--eval-limit", type=int, help="evaluate on at most N test images")
    return parser.parse_args(argv)


def _options(args, spec: str | None = None):
    from cnnapp.deploy.exporter import Options

    mode, prune, cluster, per_tensor = args.mode, args.prune, args.cluster, args.per_tensor
    if spec is not None:
        match = _TAG.match(spec)
        if not match:
            raise errors.CnnappError(
                f"cannot read --compare entry {spec!r}: use MODE[-pruneNN][-clusterN][-pertensor]"
            )
        mode = match["mode"]
        prune = int(match["prune"]) / 100 if match["prune"] else prune
        cluster = int(match["cluster"]) if match["cluster"] else cluster
        per_tensor = per_tensor or bool(match["pertensor"])
    return Options(
        mode=mode,
        prune=prune,
        cluster=cluster,
        io=args.io,
        granularity="per-tensor" if per_tensor else "per-channel",
        samples=args.samples,
        epochs=args.epochs,
        learning_rate=args.learning_rate,
        eval_limit=args.eval_limit,
        saved_model=args.saved_model,
        float_layers=tuple(n.strip() for n in (args.float_layers or "").split(",") if n.strip()),
        debug=args.debug,
        input_channels=args.input_channels,
    )


def default_out(model: str) -> Path:
    from cnnapp.runs import run_of

    path = Path(model)
    run = run_of(path)
    return run.export_dir if run is not None else path.with_name(f"{path.stem}_export")


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if not args.model:
        raise errors.CnnappError(
            "name a run folder or a .keras model to export (the parameter story is python -m cnnapp.story)"
        )
    from cnnapp.deploy.exporter import export
    from cnnapp.deploy.subject import load_subject

    task = task_of(args.model)  # a segmentation run's exports are scored by mean IoU (cnnapp.tasks)
    specs = args.compare or [None]
    options = [_options(args, spec) for spec in specs]
    for option in options:
        task.check_export(option)  # a bad mode or option fails before the model loads
        option.check()
        if option.mode == "qat" or option.prune or option.cluster:
            errors.require_optional("tensorflow_model_optimization")
    out = out_folder(args.out) or default_out(args.model)
    # The converter's, Keras's SavedModel and LiteRT's own output, shown by --verbose (or when it fails)
    with quiet.hidden_output(args.verbose):
        # A model that cannot be loaded fails before anything is written
        subject = load_subject(
            args.model, task, dataset=args.dataset, which=args.checkpoint, input_channels=args.input_channels
        )
        out.mkdir(parents=True, exist_ok=True)  # an unwritable --out fails now, not after the conversion
        reports = export(subject, options, out)
    print(task.export_summary(reports, out))
    print(f"written to {out}/")
    for warning in subject.warnings:  # last, where it is seen: the scores above are not the run's
        print(warning, file=sys.stderr)
    return 0


def task_of(model: str | Path):
    """The task of what is exported: a run's (run.json), else a bare model's, a classifier's."""
    from cnnapp import tasks  # deferred: tasks import TensorFlow, and `--help` must not
    from cnnapp.runs import run_of

    run = run_of(Path(model))
    return tasks.of(run.read_meta()) if run is not None else tasks.classification.task()


@dataclasses.dataclass(frozen=True)
class Exported:
    """One export: the .tflite file and its report (size, accuracy through LiteRT, latency)."""

    model: Path
    report: dict

    def markdown(self) -> str:
        from cnnapp.deploy import report

        return report.markdown(self.report)


def export(
    run: Run | str | Path,
    mode: str = "int8",
    out: str | Path | None = None,
    *,
    verbose: bool = False,
    **options: Any,
) -> Exported:
    """Export a run (or a run's checkpoint, or a .keras file) for phones, as `cnnapp export` does.

    Args:
        run: a `cnnapp.runs.Run`, a run folder, or a model file.
        mode: a conversion mode (cnnapp.deploy.converter.MODES: float32, float16, dynamic, int8, int16x8,
            qat).
        out: the folder (default: the run's export/ folder).
        verbose: show the converter's and LiteRT's own logs (hidden by default).
        **options: further `cnnapp.deploy.exporter.Options` fields (prune=0.5, cluster=16, samples=200, ...).
    """
    quiet.start_tensorflow()
    from cnnapp.deploy.exporter import Options
    from cnnapp.deploy.exporter import export as export_all
    from cnnapp.deploy.subject import load_subject

    path = str(getattr(run, "path", run))
    task = task_of(path)
    chosen = Options(mode=mode, **options)
    task.check_export(chosen)
    chosen.check()
    folder = Path(out) if out is not None else default_out(path)
    folder.mkdir(parents=True, exist_ok=True)
    with quiet.hidden_output(verbose):
        (report,) = export_all(load_subject(path, task), [chosen], folder)
    return Exported(folder / task.export_file(report), report)


# `cnnapp.export(...)` in a notebook.
cli.callable_module(__name__, export)


if __name__ == "__main__":
    errors.run_cli(main, "python -m cnnapp.export")
