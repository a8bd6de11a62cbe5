"""The ablation of a recipe's tricks: every trick turned off (or on) alone, a few seeds each, one table.

    python -m cnnapp.train --recipe lenet5-digits-modern --ablate label_smoothing,mixup,ema --seeds 0,1,2

Rows: the recipe as written, the recipe without each trick it has (with each trick it lacks), and, for a
recipe with a `base` (a modern recipe), the base itself: the paper's recipe, every trick off. Each row is
trained once per seed into OUT/ROW/seed-S (a finished run is read back, so a stopped ablation goes on where
it stopped) and reports the mean and spread over seeds of validation and test top-1 accuracy, the expected
calibration error on the test split as trained and after temperature scaling (T fitted on the run's
validation split, `cnnapp.calibration`), training time, and, when asked (`world=`), the world
evaluation of each run's int8 export. `ablation.json` holds every run's numbers; `ablation.md` is the table
made from it (`markdown(table)`, which the docs use too).
"""

from __future__ import annotations

import dataclasses
import json
import statistics
from pathlib import Path

from cnnapp import atomic
from cnnapp.errors import CnnappError, unknown
from cnnapp.recipes import Recipe, base_of, load_recipe
from cnnapp.runs import RunDir


@dataclasses.dataclass(frozen=True)
class Trick:
    """A trick as recipe keys: the values that turn it on (when the recipe lacks it), what it is, and the
    values that turn off a trick it cannot run beside (`instead_of`: AugMix replaces RandAugment)."""

    on: dict
    what: str
    instead_of: dict = dataclasses.field(default_factory=dict)


TRICKS = {
    "label_smoothing": Trick({"train.label_smoothing": 0.1}, "label smoothing ε"),
    "mixup": Trick({"batch_augment.mixup_alpha": 0.2}, "MixUp α"),
    "cutmix": Trick({"batch_augment.cutmix_alpha": 1.0}, "CutMix α"),
    "randaugment": Trick(
        {"batch_augment.randaugment_ops": 2}, "RandAugment operations", {"batch_augment.augmix": False}
    ),
    "augmix": Trick(  # factor 0.1: the digit recipes' RandAugment strength (stronger rotates a 6 into a 9)
        {"batch_augment.augmix": True, "batch_augment.augmix_factor": 0.1},
        "AugMix",
        {"batch_augment.randaugment_ops": 0},
    ),
    "random_erasing": Trick({"batch_augment.random_erasing": 0.25}, "random erasing probability"),
    "ema": Trick({"optimizer.ema": True, "optimizer.ema_momentum": 0.99}, "Polyak averaging (EMA)"),
    "cosine": Trick({"schedule.name": "cosine", "schedule.warmup": 1.0}, "warm-up + cosine schedule"),
    "adamw": Trick(  # lr 0.003, decay 0.1: the best of lr 0.001/0.003/0.01 × decay 0.01/0.1/0.5 on
        # lenet5-digits-modern's mnist4k validation split, 2 seeds (docs/tuning/, tools/sweep.py)
        {"optimizer.name": "adamw", "optimizer.lr": 0.003, "optimizer.decoupled_weight_decay": 0.1},
        "AdamW",
    ),
    "stochastic_depth": Trick({"model.options.stochastic_depth": 0.1}, "stochastic depth"),
}


def _value(table: dict, key: str):
    node = table
    for part in key.split("."):
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node


def _is_on(recipe: Recipe, name: str) -> bool:
    table = recipe.to_dict()
    key, on = next(iter(TRICKS[name].on.items()))
    value = _value(table, key)
    if name in ("cosine", "adamw"):
        return value == on
    return bool(value)


def variants(recipe_name: str, tricks: list[str], overrides: list[str]) -> dict[str, tuple[str, list[str]]]:
    """Row name → (recipe, its overrides): "recipe", "-TRICK" (turned off), "+TRICK" (on), "paper"."""
    bad = [t for t in tricks if t not in TRICKS]
    if bad:
        raise unknown("trick", bad[0], TRICKS)
    recipe = load_recipe(recipe_name, overrides)
    base = base_of(recipe_name)
    if not tricks and not base:
        raise CnnappError(
            f"{recipe_name} has no paper recipe (base) to compare with: name tricks to --ablate, "
            "e.g. --ablate mixup,ema"
        )
    paper = load_recipe(base, overrides).to_dict() if base else None
    rows = {"recipe": (recipe_name, [])}
    for name in tricks:
        keys = TRICKS[name].on
        if _is_on(recipe, name):  # off: the paper's values where there is a paper recipe, else the defaults
            off = {key: _value(paper, key) if paper else None for key in keys}
            rows[f"-{name}"] = (recipe_name, [_override(k, v, name) for k, v in off.items()])
        else:  # on, in place of a trick it cannot run beside where the recipe has that one
            clash = {k: v for k, v in TRICKS[name].instead_of.items() if _value(recipe.to_dict(), k)}
            on = [_override(k, v, name) for k, v in {**keys, **clash}.items()]
            rows[f"+{name}"] = (recipe_name, on)
    if base:
        rows["paper"] = (base, [])
    return rows


_OFF = {  # a trick's off value where a recipe without a base has it on
    "train.label_smoothing": 0.0,
    "batch_augment.mixup_alpha": 0.0,
    "batch_augment.cutmix_alpha": 0.0,
    "batch_augment.randaugment_ops": 0,
    "batch_augment.augmix": False,
    "batch_augment.random_erasing": 0.0,
    "optimizer.ema": False,
    "model.options.stochastic_depth": 0.0,
}


def _override(key: str, value, trick: str) -> str:
    if value is None:
        if key not in _OFF:
            raise CnnappError(
                f"the recipe has no paper recipe (base) to turn {trick} off against; give it one"
            )
        value = _OFF[key]
    return f"{key}={json.dumps(value)}"


def folder_name(row: str) -> str:
    return {"-": "no-", "+": "with-"}.get(row[0], "") + row.lstrip("+-")


def run(
    recipe_name: str,
    tricks: list[str],
    seeds: list[int],
    out: Path,
    overrides: list[str] = (),
    *,
    verbose: int = 0,
    world=None,
) -> dict:
    """Train every row × seed into `out`, write `ablation.json` and `ablation.md` there; returns the table.

    `world(run_dir) -> dict | None` adds a run's world evaluation numbers (an extra column) where it has one.
    """
    from cnnapp.training.loop import train_and_evaluate

    if not seeds:
        raise CnnappError("--seeds needs at least one seed, e.g. --seeds 0,1,2")
    rows = variants(recipe_name, tricks, list(overrides))
    runs = []
    for row, (source, changes) in rows.items():
        for seed in seeds:
            run_dir = out / folder_name(row) / f"seed-{seed}"
            recipe = load_recipe(source, [*overrides, *changes, f"train.seed={seed}"])
            folder = RunDir(run_dir)
            report = folder.read_report() if folder.status() == "finished" else None
            if report is None:
                report = train_and_evaluate(recipe, run_dir, verbose=verbose)
            entry = {
                "row": row,
                "seed": seed,
                "run": str(run_dir.relative_to(out)),
                "validation_top1": 1.0 - report["best_validation_error"],
                "test_top1": report["top1_accuracy"],
                "test_ece": report["ece"],
                "train_seconds": report["train_seconds"],
                "best_epoch": report["best_epoch"],
            }
            entry.update(calibrated(run_dir, report))
            extra = world(run_dir) if world is not None else None
            if extra:
                entry["world"] = extra
            runs.append(entry)
    table = {
        "recipe": recipe_name,
        "overrides": list(overrides),
        "seeds": list(seeds),
        "rows": {row: {"recipe": source, "overrides": changes} for row, (source, changes) in rows.items()},
        "runs": runs,
        "summary": summarize(runs),
    }
    out.mkdir(parents=True, exist_ok=True)
    atomic.write_json(out / "ablation.json", table)
    atomic.write_text(out / "ablation.md", markdown(table))
    return table


def replace_rows(table: dict, other: dict, rows: list[str]) -> dict:
    """`table` with `rows` (e.g. ["+adamw"]) taken from `other`, an ablation of the same recipe, overrides and
    seeds trained later (a trick's values changed), and its summary made again.

    The rows both tables have besides `rows` (the recipe, the paper recipe) must agree run for run in their
    validation and test top-1, which says the two ablations trained alike; otherwise one clear error.
    """
    for key in ("recipe", "overrides", "seeds"):
        if table[key] != other[key]:
            raise CnnappError(f"the two ablations differ in {key}: {table[key]} and {other[key]}")
    missing = [row for row in rows if row not in other["rows"]]
    if missing:
        raise CnnappError(f"the newer ablation has no row {missing[0]}: train it with --ablate")

    def scores(t: dict) -> dict:
        return {(r["row"], r["seed"]): (r["validation_top1"], r["test_top1"]) for r in t["runs"]}

    mine, theirs = scores(table), scores(other)
    differ = [k for k in mine.keys() & theirs.keys() if k[0] not in rows and mine[k] != theirs[k]]
    if differ:
        row, seed = sorted(differ)[0]
        raise CnnappError(
            f"row {row}, seed {seed} scored differently in the two ablations ({mine[row, seed]} and "
            f"{theirs[row, seed]}): they did not train alike, so their rows do not belong in one table"
        )
    runs = [r for r in table["runs"] if r["row"] not in rows] + [r for r in other["runs"] if r["row"] in rows]
    order = list(table["rows"]) + [row for row in rows if row not in table["rows"]]
    runs.sort(key=lambda r: (order.index(r["row"]), r["seed"]))
    definitions = {row: other["rows"][row] if row in rows else table["rows"][row] for row in order}
    return {**table, "rows": definitions, "runs": runs, "summary": summarize(runs)}


def calibrated(run_dir: Path, report: dict) -> dict:
    """The temperature fitted on the run's validation split (its best checkpoint, as the report), and the
    test split's ECE at that temperature."""
    from cnnapp import calibration, evaluation
    from cnnapp.runs import load_run
    from cnnapp.training import setup

    run = load_run(run_dir)
    model = run.model(report["checkpoint"])
    data = setup.load_data(run.recipe)
    validation = evaluation.probabilities(model, setup.evaluation_batches(data.validation, run.recipe))
    probs, labels = evaluation.probabilities(model, setup.evaluation_batches(data.test, run.recipe))
    temperature = calibration.fit_temperature(*validation)
    scaled = calibration.scaled(probs, temperature)
    ece = evaluation.expected_calibration_error(scaled, labels)
    return {"temperature": temperature, "test_ece_scaled": ece}


METRICS = ("validation_top1", "test_top1", "test_ece", "test_ece_scaled", "temperature", "train_seconds")
WORLD = {"camera_like": "camera-like", "harder": "harder photos", "refused": "no digit refused"}


def summarize(runs: list[dict]) -> dict:
    """Row → {metric: {"mean", "std"}} over the row's seeds (std 0 with one seed); the world evaluation's
    sets as `world_SET` where the runs have one (percentages, as world.json)."""
    out = {}
    for row in dict.fromkeys(r["row"] for r in runs):
        mine = [r for r in runs if r["row"] == row]
        flat = [{**r, **{f"world_{k}": v for k, v in r.get("world", {}).items()}} for r in mine]
        names = [m for m in METRICS if all(m in r for r in flat)]
        names += sorted(k for k in flat[0] if k.startswith("world_") and all(k in r for r in flat))
        out[row] = {}
        for metric in names:
            values = [r[metric] for r in flat]
            if not all(isinstance(v, int | float) for v in values):
                continue
            spread = statistics.stdev(values) if len(values) > 1 else 0.0
            out[row][metric] = {"mean": statistics.fmean(values), "std": spread}
    return out


def markdown(table: dict) -> str:
    """The ablation table in Markdown: a row per variant, mean ± std over seeds, Δ against the recipe."""
    summary, seeds = table["summary"], table["seeds"]
    reference = summary["recipe"]
    lines = [
        f"Recipe `{table['recipe']}`"
        + (f" with {', '.join(f'`{o}`' for o in table['overrides'])}" if table["overrides"] else "")
        + f", seeds {', '.join(map(str, seeds))} (mean ± std over seeds; Δ test top-1 against the recipe).",
        "",
    ]
    world = all(f"world_{k}" in numbers for numbers in summary.values() for k in WORLD)
    head = ["row", "validation top-1", "test top-1", "Δ test top-1", "test ECE", "ECE at T", "T"]
    head += [f"world: {WORLD[k]}" for k in WORLD] if world else []
    lines += ["| " + " | ".join([*head, "training s"]) + " |", "|" + "---|" * (len(head) + 1)]
    for row, numbers in summary.items():
        cells = [_percent(numbers["validation_top1"]), _percent(numbers["test_top1"])]
        delta = numbers["test_top1"]["mean"] - reference["test_top1"]["mean"]
        cells.append("—" if row == "recipe" else f"{delta * 100:+.2f}")
        cells += [_spread(numbers["test_ece"], ".3f"), _spread(numbers.get("test_ece_scaled"), ".3f")]
        cells.append(_spread(numbers.get("temperature"), ".2f"))
        cells += [_spread(numbers[f"world_{k}"], ".1f") for k in WORLD] if world else []
        cells.append(f"{numbers['train_seconds']['mean']:.0f}")
        changes = table.get("rows", {}).get(row, {}).get("overrides", [])
        label = _label(row, changes) if row != "recipe" or "paper" in summary else "the recipe"
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    if world:
        lines += ["", WORLD_NOTE]
    return "\n".join(lines) + "\n"


WORLD_NOTE = (
    "World columns: the int8 export of each run read by MediaPipe Tasks' ImageClassifier, % right "
    "(a digit at a score of 0.5 or more; a frame with no digit refused), on mnist4k's validation digits "
    "made into photos (cnnapp.deploy.world)."
)


def _spread(stat: dict | None, spec: str) -> str:
    """mean ± std, or — for a number the table's runs lack (an ablation measured before it was added)."""
    return "—" if stat is None else f"{format(stat['mean'], spec)} ± {format(stat['std'], spec)}"


def _percent(stat: dict) -> str:
    return f"{stat['mean'] * 100:.2f} ± {stat['std'] * 100:.2f}"


def _label(row: str, changes: list[str] = ()) -> str:
    if row == "recipe":
        return "the recipe (all its tricks)"
    if row == "paper":
        return "paper recipe (no tricks)"
    if row[0] == "-":
        return f"without {row[1:]}"
    name, keys = row[1:], {change.split("=", 1)[0] for change in changes}
    clash = keys & TRICKS[name].instead_of.keys()  # the keys of the trick it replaced in this recipe
    replaced = [t for t in TRICKS if t != name and clash & TRICKS[t].on.keys()]
    return f"with {name}" + (f" instead of {', '.join(replaced)}" if replaced else "")


def refresh_doc(doc: Path, tables: Path) -> str:
    """`doc`'s text with every `<!-- ablation NAME -->` … `<!-- /ablation NAME -->` block rewritten as
    `markdown()` of `tables/NAME.json` (docs/modern-training.md and docs/ablation/)."""
    text = doc.read_text()
    for path in sorted(tables.glob("*.json")):
        start, end = f"<!-- ablation {path.stem} -->\n", f"<!-- /ablation {path.stem} -->"
        if start not in text or end not in text:
            raise CnnappError(f"{doc} has no {start.strip()} … {end} block for {path}: add one")
        head, rest = text.split(start, 1)
        _, tail = rest.split(end, 1)
        text = f"{head}{start}{markdown(json.loads(path.read_text()))}{end}{tail}"
    return text
