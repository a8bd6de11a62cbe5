"""Regenerate the README's "See inside" pictures: `python docs/figures/make_figures.py [RUN ...]` (minutes).

Trains three small runs on the shipped digits in a temporary folder — the README's main command (LeNet-5,
`--recipe lenet5-digits`), the lectures' `linear` classifier and a two-tower `alexnet` at its smallest input
(67×67, fc 64, 4 epochs at lr 0.01) — draws their figures with `python -m cnnapp.explain`, and copies the
ones the README shows here as `<run>-<figure>.png`, with each run's test report as `<run>-report.json` (the
docs' numbers about these runs are written from it by tools/docnumbers.py).
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1]))

RUNS = {
    "lenet5": ["--recipe", "lenet5-digits"],
    "linear": [
        "--recipe", "lenet5-digits", "--set", 'model.architecture="linear"', "--set", "train.epochs=10",
    ],
    "alexnet": [
        "--recipe", "lenet5-digits", "--set", 'model.architecture="alexnet"', "--set", "data.image_size=67",
        "--set", "model.options.fc_units=64", "--set", "optimizer.lr=0.01", "--set", "train.epochs=4",
    ],
}  # fmt: skip
FIGURES = {
    "lenet5": [
        (["curves", "errors", "filters", "activations", "patches"], []),
        (["occlusion", "gradcam"], ["--index", "0", "2"]),
    ],
    "linear": [(["filters"], [])],
    "alexnet": [
        (["filters"], []),
        (["gradcam"], ["--index", "0", "2"]),
        (["patches"], ["--layer", "conv2_gpu1"]),
    ],
}
KEEP = {
    "lenet5": ["curves", "confusion", "worst_errors", "filters-C1", "activations-C3_act", "patches-C3",
               "occlusion", "gradcam"],
    "linear": ["filters-predictions"],
    "alexnet": ["filters-conv1_gpu1", "filters-conv1_gpu2", "gradcam", "patches-conv2_gpu1"],
}  # fmt: skip


def main(names: list[str]) -> int:
    """Train and draw the runs `names` (default: all three)."""
    from cnnapp import train
    from cnnapp.explain.__main__ import main as explain

    with tempfile.TemporaryDirectory() as tmp:
        for name in names or RUNS:
            argv = RUNS[name]
            run = Path(tmp) / name
            train.main([*argv, "--out", str(run), "--quiet"])
            for figures, extra in FIGURES[name]:
                explain([str(run), *figures, *extra])
            for figure in KEEP[name]:
                shutil.copy(run / "figures" / f"{figure}.png", HERE / f"{name}-{figure}.png")
            shutil.copy(run / "report.json", HERE / f"{name}-report.json")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
