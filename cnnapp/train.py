"""Train a network by recipe: `python -m cnnapp.train --recipe lenet5-digits [--set k=v ...] [--out DIR]`.

Prints a progress bar, writes the run folder (recipe.toml, run.json, checkpoints/, log.csv, tensorboard/,
report.json) and a final report. A killed run continues where it stopped: run the same command again (or add
`--resume`).
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cnnapp import cli, quiet
from cnnapp.choices import JIT_MODES, PRECISIONS, STRATEGIES
from cnnapp.errors import run_cli
from cnnapp.paths import out_folder, printable
from cnnapp.runs import RUNS_DIR

if TYPE_CHECKING:
    from cnnapp.runs import Run


def parse_args(argv: Sequence[str] | None):
    parser = cli.ArgumentParser(prog="python -m cnnapp.train", description=__doc__.splitlines()[0])
    parser.add_argument("--recipe", required=True, help="a recipe name (recipes/NAME.toml) or a .toml path")
    parser.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="SECTION.KEY=VALUE",
        help="override a recipe value, in TOML syntax (repeatable): --set optimizer.lr=0.05",
    )
    parser.add_argument(
        "--out",
        help="the run folder (default: runs/RECIPE, or RECIPE-2, ... when that one is finished)",
    )
    parser.add_argument(
        "--resume",
        action="store_true",
        help="continue the run in --out from its last completed epoch (the default when it has "
        "a resume state; where there is none yet, the run starts)",
    )
    parser.add_argument(
        "--precision",
        choices=PRECISIONS,
        help="override train.precision",
    )
    parser.add_argument("--jit", choices=JIT_MODES, help="override train.jit (XLA)")
    parser.add_argument(
        "--strategy",
        choices=STRATEGIES,
        default="auto",
        help="tf.distribute strategy (cnnapp.training.distribute): auto (mirrored when more than one GPU), "
        "one-device, mirrored, multi-worker (the cluster in TF_CONFIG); train.batch_size is the global batch",
    )
    parser.add_argument(
        "--ablate",
        metavar="TRICK,...",
        help="train the recipe with each of these tricks turned off (or on) alone, --seeds each, and write "
        "the table to --out (default runs/ablation-RECIPE): ablation.json and ablation.md; tricks: "
        "label_smoothing, mixup, cutmix, randaugment, augmix, random_erasing, ema, cosine, adamw, "
        'stochastic_depth; "none": only the recipe and its paper recipe (base)',
    )
    parser.add_argument(
        "--seeds", default="0,1,2", metavar="S,...", help="the ablation's seeds (default 0,1,2)"
    )
    parser.add_argument(
        "--world",
        action="store_true",
        help="with --ablate on an mnist4k recipe: also export each run (int8) and add the world evaluation "
        "(MediaPipe on camera-like and harder photos of the validation digits, and frames to refuse) to "
        "the table; slower: a minute or more per run",
    )
    parser.add_argument(
        "--world-limit",
        type=int,
        metavar="N",
        help="--world on N of the 800 validation digits (the same share of every class; default: all)",
    )
    return parser.parse_args(argv)


def default_out(recipe_name: str) -> Path:
    """runs/NAME, unless it holds a finished run: then the first runs/NAME-k that does not."""
    from cnnapp.runs import RunDir

    candidate, k = RUNS_DIR / recipe_name, 1
    while RunDir(candidate).status() == "finished":
        k += 1
        candidate = RUNS_DIR / f"{recipe_name}-{k}"
    return candidate


def format_report(report: dict, run_dir: Path) -> str:
    extended = report.get("extended_from_epochs")
    resumed = report.get("resumed_from_epoch")
    how = f", extended from {extended}" if extended else f", resumed after epoch {resumed}" if resumed else ""
    from cnnapp import tasks  # deferred: tasks import TensorFlow, and `--help` must not

    scores = tasks.of(report).summary(report)  # a segmentation report has its "head"
    return "\n".join(  # a folder dataset's name and the run folder come from the user's files
        printable(line)
        for line in [
            f"{report['recipe']}: {report['architecture']} on {report['dataset']}, {report['epochs']} epochs"
            f"{how} ({report['device']})",
            f"  test split '{report['split']}' ({report['examples']} images, {report['checkpoint']} "
            f"checkpoint from epoch {report['best_epoch']}): {scores}",
            f"  training: {report['train_seconds']:.1f} s, {report['images_per_second']:.0f} images/s",
            *([f"  precision: {report['precision_reason']}"] if report.get("precision_reason") else []),
            *([f"  {summary(report['transfer'])}"] if report.get("transfer") else []),
            *([f"  {report['validation_warning']}"] if report.get("validation_warning") else []),
            *(
                [f"  validation: {report['validation']}; {report['validation_note']}"]
                if report.get("validation_note")
                else []
            ),
            f"  run folder: {run_dir}",
        ]
    )


def summary(transfer: dict) -> str:
    """The start weights' report (cnnapp.training.transfer.Report) as one line."""
    from cnnapp.training.transfer import Report

    return Report(**transfer).summary()


def ablate(args, recipe_file) -> int:
    """--ablate: every trick on and off, a few seeds each (cnnapp.training.ablation)."""
    from cnnapp.errors import CnnappError
    from cnnapp.training import ablation

    try:
        seeds = [int(s) for s in args.seeds.split(",") if s.strip()]
    except ValueError:
        raise CnnappError(
            f"--seeds takes integers separated by commas, e.g. 0,1,2; got {args.seeds!r}"
        ) from None
    tricks = [t.strip() for t in args.ablate.split(",") if t.strip() and t.strip() != "none"]
    out = out_folder(args.out) or RUNS_DIR / f"ablation-{Path(str(recipe_file)).stem}"
    world = None
    if args.world:
        from cnnapp.deploy.world import DATASET, RunWorld
        from cnnapp.recipes import load_recipe

        dataset = load_recipe(recipe_file, args.overrides).data.dataset
        if dataset != DATASET:
            raise CnnappError(
                f"--world reads {DATASET}'s validation digits as photos, and this recipe trains on "
                f"{dataset}: "
                f"add --set 'data.dataset=\"{DATASET}\"' or leave --world out"
            )
        from cnnapp import tasks

        world = RunWorld(tasks.classification.task(), args.world_limit or None)
    verbose = 0 if args.quiet else 2
    table = ablation.run(str(recipe_file), tricks, seeds, out, args.overrides, verbose=verbose, world=world)
    print(ablation.markdown(table))
    print(f"ablation table: {out / 'ablation.json'}, {out / 'ablation.md'}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    from cnnapp.recipes import load_recipe
    from cnnapp.runs import RunDir

    # --recipe RUN: a run folder names its effective recipe
    recipe_file = RunDir(args.recipe).recipe_file if Path(args.recipe).is_dir() else args.recipe
    recipe = load_recipe(recipe_file, args.overrides)
    from cnnapp.explain import register_run_figures

    register_run_figures()  # every run ends with its figures (RUN/figures/), the ablation's too
    if args.ablate:
        return ablate(args, recipe_file)
    if args.world:
        from cnnapp.errors import CnnappError

        raise CnnappError("--world goes with --ablate (a single run: python -m cnnapp.evaluate --world)")
    out = out_folder(args.out) or default_out(recipe.name)
    from cnnapp.training.distribute import train_distributed
    from cnnapp.training.transfer import source_recipe

    # --quiet: no epoch lines; a terminal gets a progress bar, a log file one line per epoch
    verbose = 0 if args.quiet else 1 if sys.stdout.isatty() else 2
    options = dict(verbose=verbose, precision=args.precision, jit=args.jit)
    source = source_recipe(recipe)  # transfer.weights = "recipe:NAME": its run first, when it is missing
    if source is not None and RunDir(RUNS_DIR / source).status() != "finished" and not RunDir(out).is_run():
        print(f"transfer.weights: training its source first (python -m cnnapp.train --recipe {source})")
        source_report = train_distributed(load_recipe(source), RUNS_DIR / source, args.strategy, **options)
        print(format_report(source_report, RUNS_DIR / source))
    resume = True if args.resume else None
    if args.resume and RunDir(out).progress() is None:  # a first run given --resume: there is nothing to lose
        print(f"nothing to resume in {out} yet: starting the run")
        resume = None
    report = train_distributed(recipe, out, args.strategy, resume=resume, **options)
    print(format_report(report, out))
    return 0


def train(
    recipe: str | Path,
    out: str | Path | None = None,
    *,
    resume: bool | None = None,
    strategy: str = "auto",
    progress: bool = True,
    **overrides: Any,
) -> Run:
    """Train a recipe into a run folder, as `cnnapp train --recipe RECIPE` does; return the run.

    Args:
        recipe: a shipped recipe's name (`cnnapp.recipes.names()`) or a .toml file.
        out: the run folder (default: runs/RECIPE, or RECIPE-2, ... when that one is finished).
        resume: None continues a run with a resume state and starts afresh otherwise; True requires one;
            False refuses a folder that already holds a run.
        strategy: a tf.distribute strategy name (cnnapp.choices.STRATEGIES).
        progress: Keras's one line per epoch (False: nothing until the report).
        **overrides: recipe values: a section as a dict (`train={"epochs": 2}`) or a dotted key
            (`**{"optimizer.lr": 0.05}`).

    Returns:
        The finished run (`cnnapp.runs.Run`): `.path`, `.report`, `.model()`, `.recipe`.
    """
    quiet.start_tensorflow()
    from cnnapp.explain import register_run_figures
    from cnnapp.recipes import load_recipe, python_overrides
    from cnnapp.runs import load_run
    from cnnapp.training.distribute import train_distributed

    register_run_figures()
    frozen = load_recipe(recipe, python_overrides(overrides))
    folder = Path(out) if out is not None else default_out(frozen.name)
    train_distributed(frozen, folder, strategy, resume=resume, verbose=2 if progress else 0)
    return load_run(folder)


# `cnnapp.train(...)` in a notebook.
cli.callable_module(__name__, train)


if __name__ == "__main__":
    run_cli(main, "python -m cnnapp.train")
