"""How the glue's touching-digit constants were chosen: train-split scenes read with each setting.

    results = choose_split(Path("export/lenet5-phone"))     # its int8.tflite
    write_choice(results, Path("export/number"))             # number-split-choice.json

The scenes are made from mnist4k's train digits only (seed TRAIN_SEED), never the validation digits the
world evaluation reports on. Each setting is the glue's own constants with one of them changed (and one
with no cutting at all, for what cutting buys); the glue's constants are the setting that reads the most
numbers exactly over the three layouts together.
"""

from __future__ import annotations

from pathlib import Path

from cnnapp import atomic, quiet
from cnnapp.choices import TRAIN
from cnnapp.number import glue, inkmap, scenes, world
from cnnapp.number.reader import NumberReader

TRAIN_SEED = 777
COUNTS = {"spaced": 200, "touching": 300, "broken": 200}
FILE = "number-split-choice.json"
CONSTANTS = ("SPLIT_ASPECT", "MAX_ASPECT", "PIECE_MIN", "PIECE_MAX", "CUT_WINDOW", "NONE_SCORE")
CHANGES = (
    {},
    {"SPLIT_ASPECT": 1e9},  # never cut: the marks as they are
    {"SPLIT_ASPECT": 0.8},
    {"SPLIT_ASPECT": 1.1},
    {"MAX_ASPECT": 1.2},
    {"PIECE_MIN": 0.15},
    {"PIECE_MAX": 0.9},
    {"PIECE_MAX": 1.2},
    {"CUT_WINDOW": 0.02},
    {"CUT_WINDOW": 0.08},
    {"NONE_SCORE": 0.2},
)


def _name(change: dict) -> str:
    if not change:
        return "chosen"
    if change.get("SPLIT_ASPECT") == 1e9:
        return "no cutting"
    return ", ".join(f"{k}={v}" for k, v in change.items())


def choose_split(folder: Path, counts=None) -> dict:
    """Every setting of CHANGES read on train-split scenes by `folder`'s int8 classifier."""
    counts = counts or COUNTS
    quiet.start_tensorflow()
    reader = NumberReader(folder, inkmap.inkmap_tflite())
    size = reader.classifier.size
    sets = {layout: scenes.make_scenes(TRAIN, n, TRAIN_SEED, layout) for layout, n in counts.items()}
    inks = {layout: [reader.ink_of(f) for f in s.frames] for layout, s in sets.items()}
    chosen = {name: getattr(glue, name) for name in CONSTANTS}
    rows = []
    try:
        for change in CHANGES:
            for name, value in {**chosen, **change}.items():
                setattr(glue, name, value)
            scores = {
                layout: world.score(
                    [world.read_number(ink, reader.classifier.classify, size) for ink in inks[layout]],
                    s.numbers,
                )
                for layout, s in sets.items()
            }
            read = sum(round(scores[k]["exact"] * n / 100) for k, n in counts.items())
            rows.append(
                {
                    "setting": _name(change),
                    "exact": {k: v["exact"] for k, v in scores.items()},
                    "per_digit": {k: v["per_digit"] for k, v in scores.items()},
                    "all_exact": round(100 * read / sum(counts.values()), 2),
                }
            )
    finally:
        for name, value in chosen.items():
            setattr(glue, name, value)
        reader.close()
    return {
        "model": str(reader.classifier_path),
        "dataset": "mnist4k train split (the world evaluation uses the validation split)",
        "seed": TRAIN_SEED,
        "numbers": dict(counts),
        "constants": chosen,
        "settings": rows,
    }


def write_choice(results: dict, out: Path) -> Path:
    out.mkdir(parents=True, exist_ok=True)
    atomic.write_json(out / FILE, results)
    return out / FILE
