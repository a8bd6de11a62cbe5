"""A small grid search of recipe values on the validation split (the test split is never looked at).

    python tools/sweep.py --recipe lenet5-digits-modern --set 'optimizer.name="adamw"' \
        --grid optimizer.lr=0.001,0.003,0.01 --grid optimizer.decoupled_weight_decay=0.01,0.1,0.5 \
        --seeds 0,1 --out runs/sweep-adamw --json docs/tuning/adamw-lenet5-digits-modern.json

Every point of the grid is trained once per seed into OUT/KEY=VALUE,.../seed-S (a finished run is read back,
so a stopped sweep goes on where it stopped). The JSON lists each point's validation top-1 and loss (its best
epoch's, as the recipe keeps it) per seed and their means, and names the best point: the highest mean top-1,
ties (a few hundred validation images give many) broken by the lower mean loss.
"""

from __future__ import annotations

import argparse
import csv
import itertools
import json
import statistics
import sys
import tomllib
from pathlib import Path


def _grid(specs: list[str]) -> list[dict]:
    axes = []
    for spec in specs:
        key, _, values = spec.partition("=")
        if not values:
            sys.exit(f"--grid takes KEY=V1,V2,...; got {spec!r}")
        axes.append([(key, tomllib.loads(f"v = {v}")["v"]) for v in values.split(",")])
    return [dict(point) for point in itertools.product(*axes)]


def _validation_loss(run_dir: Path, epoch: int) -> float:
    """The validation loss of `epoch` (counted from 1, as the report; log.csv counts from 0)."""
    with open(run_dir / "log.csv", newline="") as log:
        return next(float(row["val_loss"]) for row in csv.DictReader(log) if int(row["epoch"]) + 1 == epoch)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--recipe", required=True)
    parser.add_argument("--set", dest="overrides", action="append", default=[])
    parser.add_argument("--grid", action="append", required=True, metavar="KEY=V1,V2,...")
    parser.add_argument("--seeds", default="0,1")
    parser.add_argument("--out", required=True, type=Path)
    parser.add_argument("--json", required=True, type=Path, help="where to write the sweep's numbers")
    args = parser.parse_args(argv)

    from cnnapp.recipes import load_recipe
    from cnnapp.runs import RunDir
    from cnnapp.training.loop import train_and_evaluate

    seeds = [int(s) for s in args.seeds.split(",")]
    points = []
    for point in _grid(args.grid):
        name = ",".join(f"{k}={json.dumps(v)}" for k, v in point.items())
        changes = [f"{k}={json.dumps(v)}" for k, v in point.items()]
        validation, loss = [], []
        for seed in seeds:
            run_dir = args.out / name / f"seed-{seed}"
            recipe = load_recipe(args.recipe, [*args.overrides, *changes, f"train.seed={seed}"])
            folder = RunDir(run_dir)
            report = folder.read_report() if folder.status() == "finished" else None
            if report is None:
                report = train_and_evaluate(recipe, run_dir, verbose=0)
            validation.append(1.0 - report["best_validation_error"])
            loss.append(_validation_loss(run_dir, report["best_epoch"]))
            print(
                f"{name} seed {seed}: validation top-1 {validation[-1]:.4f}, loss {loss[-1]:.4f}", flush=True
            )
        points.append(
            {
                "values": point,
                "validation_top1": validation,
                "validation_loss": loss,
                "mean_top1": statistics.fmean(validation),
                "mean_loss": statistics.fmean(loss),
            }
        )
    best = max(points, key=lambda p: (p["mean_top1"], -p["mean_loss"]))
    table = {
        "recipe": args.recipe,
        "overrides": args.overrides,
        "seeds": seeds,
        "points": points,
        "best": best["values"],
    }
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(table, indent=2) + "\n")
    print(f"best: {best['values']} (validation top-1 {best['mean_top1']:.4f}, loss {best['mean_loss']:.4f})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
