"""The field's results, as the lectures quote them, beside our own runs.

    python -m cnnapp.audit.results                                # ILSVRC by year, VGG's Table 7, human error
    python -m cnnapp.audit.results --run runs/lenet5-digits --chart results.png

The published numbers live in `assets/lectures/results.toml`, each with its source. Our runs (any run folder
or classic-baseline folder with a `report.json`) are rows marked "ours", with their dataset and test size:
on 10 classes their top-5 error is near 0 and says little, so ours show the top-1 error beside the papers'
top-5 — the chart says so on its axis.
"""

from __future__ import annotations

import csv
import dataclasses
import functools
import io
import json
import re
import textwrap
import tomllib
from collections.abc import Sequence
from pathlib import Path

from cnnapp import atomic, cli
from cnnapp.audit import chart
from cnnapp.choices import TEST
from cnnapp.errors import CnnappError, run_cli, unknown
from cnnapp.runs import RunDir

TABLES = ("ilsvrc", "human", "vgg-table7", "digits", "cifar10")
FORMATS = ("table", "markdown", "json", "csv")


@dataclasses.dataclass
class Result:
    table: str
    year: int | None
    entry: str
    metric: str
    value: float
    source: str
    note: str = ""
    ours: bool = False


def results_file() -> Path:
    from cnnapp.paths import ASSETS

    return ASSETS / "lectures" / "results.toml"


@functools.cache
def published() -> tuple[Result, ...]:
    """Every published result of the data file (notes and the lectures' differing figures in `note`)."""
    rows = tomllib.loads(results_file().read_text())["result"]
    out = []
    for r in rows:
        note = "; ".join(x for x in (r.get("note", ""), r.get("lecture", "")) if x)
        out.append(
            Result(r["table"], r.get("year"), r["entry"], r["metric"], float(r["value"]), r["source"], note)
        )
    return tuple(out)


def ours(run: str | Path) -> Result:
    """Our run (a run folder or a classic-baseline folder with report.json) as a result row."""
    path = Path(run)
    report_path = RunDir(path).report_file if path.is_dir() else path
    if not report_path.is_file():
        raise CnnappError(f"{run}: no report.json; give a finished run folder (python -m cnnapp.train)")
    try:
        report = json.loads(report_path.read_text())
        error = 100 * float(report["top1_error"])
        name = f"{report['architecture']} on {report['dataset']}"
        size = f"{int(report['examples']):,} test images ('{report.get('split', TEST)}')"
    except (ValueError, KeyError, TypeError) as exc:
        raise CnnappError(
            f"{report_path} is not a classification run's report ({exc}); no top-1 error"
        ) from None
    return Result("ours", None, f"ours: {name}, {size}", "top-1 error", round(error, 2), str(path), ours=True)


def select(tables: Sequence[str] = TABLES, runs: Sequence[str] = ()) -> list[Result]:
    for t in tables:
        if t not in TABLES:
            raise unknown("results table", t, TABLES)
    return [r for r in published() if r.table in tables] + [ours(run) for run in runs]


def render(rows: list[Result], fmt: str = "table") -> str:
    if fmt == "json":
        return json.dumps([dataclasses.asdict(r) for r in rows], indent=2, ensure_ascii=False) + "\n"
    if fmt == "csv":
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, [f.name for f in dataclasses.fields(Result)], lineterminator="\n")
        writer.writeheader()
        writer.writerows(dataclasses.asdict(r) for r in rows)
        return buffer.getvalue()
    if fmt not in FORMATS:
        raise unknown("format", fmt, FORMATS)
    header = ["table", "year", "entry", "metric", "%", "source"]
    cells = [[r.table, str(r.year or "—"), r.entry, r.metric, f"{r.value:g}", r.source] for r in rows]
    if fmt == "markdown":
        out = ["| " + " | ".join(header) + " |", "|---|---|---|---|---:|---|"]
        out += ["| " + " | ".join(c) + " |" for c in cells]
    else:
        widths = [max(len(h), *(len(c[i]) for c in cells)) for i, h in enumerate(header)]
        out = ["  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)).rstrip()]
        out.append("  ".join("-" * w for w in widths))
        out += ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in cells]
    notes = [f"{r.entry}: {r.note}" for r in rows if r.note]
    if notes:
        out += ["", "Notes:"] + [f"- {n}" for n in notes]
    if any(r.ours for r in rows):
        out += ["", "Ours are top-1 errors on their own test split and classes, not ImageNet top-5 errors."]
    return "\n".join(out) + "\n"


def chart_png(rows: list[Result]) -> bytes:
    """ILSVRC top-5 error by year (the winners, the VGG runner-up, human), then our runs, hatched."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    from matplotlib.figure import Figure

    bars = [r for r in rows if r.table == "ilsvrc"] + [r for r in rows if r.ours]
    if not bars:
        raise CnnappError("the chart shows the ILSVRC results and our runs: keep --table ilsvrc or add --run")
    human = [r for r in rows if r.table == "human"]
    figure = Figure(figsize=(max(7.0, 0.9 * len(bars) + 2), 5.5), dpi=100, layout="constrained")
    axis = figure.subplots()
    labels = [
        textwrap.fill(r.entry.removeprefix("ours: "), 18)
        if r.ours
        else f"{r.year}\n{re.split('[,:]', r.entry)[0]}"
        for r in bars
    ]
    colours = ["tab:orange" if r.ours else ("tab:gray" if "SVM" in r.entry else "tab:blue") for r in bars]
    drawn = axis.bar(
        range(len(bars)), [r.value for r in bars], color=colours, edgecolor="black", linewidth=0.4
    )
    for bar, r in zip(drawn, bars, strict=True):
        bar.set_hatch("//" if r.ours else "")
        axis.annotate(f"{r.value:g}%", (bar.get_x() + bar.get_width() / 2, r.value), ha="center", va="bottom")
    for h in human:
        axis.axhline(h.value, color="tab:red", linestyle="--", linewidth=1)
        axis.annotate(
            f"human {h.value:g}%", (len(bars) - 0.5, h.value), ha="right", va="bottom", color="tab:red"
        )
    axis.set_xticks(range(len(bars)), labels, fontsize=7)
    axis.set_ylabel("top-5 error, % (ours, hatched: top-1 error on their test split)")
    axis.set_title("ILSVRC classification: hand-made features + SVM (grey), conv nets (blue), ours (orange)")
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


def main(argv: Sequence[str] | None = None) -> int:
    parser = cli.ArgumentParser(
        prog="python -m cnnapp.audit.results",
        description="The field's results the lectures quote (ILSVRC top-5 error by year, the VGG paper's "
        "Table 7, human error, digits, CIFAR-10), with sources, beside our own runs.",
    )
    parser.add_argument("--table", action="append", choices=TABLES, help="only these tables (repeatable)")
    parser.add_argument(
        "--run", action="append", default=[], metavar="FOLDER", help="our run to show (repeatable)"
    )
    parser.add_argument("--format", default="table", choices=FORMATS)
    parser.add_argument("--chart", metavar="FILE.png", help="write a chart of ILSVRC by year and our runs")
    parser.add_argument("--output", metavar="FILE", help="write the table to FILE instead of the terminal")
    args = parser.parse_args(argv)
    rows = select(args.table or TABLES, args.run)
    if args.chart:
        chart.check_png_name(args.chart)
        atomic.write_bytes(args.chart, chart_png(rows))
    chart.emit(render(rows, args.format), args.output)
    return 0


if __name__ == "__main__":
    run_cli(main, "python -m cnnapp.audit.results")
