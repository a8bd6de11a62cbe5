"""A per-layer chart of weights and connections on log scales: where each lives, at a glance."""

from __future__ import annotations

import io

from cnnapp.audit.counting import CONV, FC, NORM, POOL

COLOURS = {CONV: "tab:blue", FC: "tab:orange", POOL: "tab:green", NORM: "tab:purple"}
OTHER_COLOUR = "tab:gray"


def check_png_name(path: str) -> None:
    """--chart takes a .png name: a clear error for any other, before the work is done."""
    from cnnapp.errors import CnnappError

    if not path.lower().endswith(".png"):
        raise CnnappError(f"--chart writes a PNG; give a file name ending in .png, not {path!r}")


def emit(text: str, output: str | None) -> None:
    """A command's report: to the file --output names (written whole), else to the terminal."""
    from cnnapp import atomic

    if output:
        atomic.write_text(output, text)
    else:
        print(text, end="")


def png(audit, title: str | None = None) -> bytes:
    """The chart of `audit` as PNG bytes: weights (top) and multiply-adds (bottom) of every layer that has
    either, coloured by kind; auxiliary-head layers hatched."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    from matplotlib.figure import Figure
    from matplotlib.patches import Patch

    rows = [r for r in audit.rows if r.weights or r.macs]
    names = [r.name if r.main_path else f"{r.name} (aux)" for r in rows]
    colours = [COLOURS.get(r.kind, OTHER_COLOUR) for r in rows]
    hatches = ["" if r.main_path else "//" for r in rows]
    width = min(30.0, max(6.0, 0.22 * len(rows) + 2.0))
    figure = Figure(figsize=(width, 7.5), dpi=100, layout="constrained")
    top, bottom = figure.subplots(2, 1, sharex=True)
    positions = range(len(rows))
    for axis, values, label in (
        (top, [r.weights for r in rows], "weights"),
        (bottom, [r.macs for r in rows], "connections (multiply-adds)"),
    ):
        bars = axis.bar(
            positions, [max(v, 0) for v in values], color=colours, edgecolor="black", linewidth=0.3
        )
        for bar, hatch in zip(bars, hatches, strict=True):
            bar.set_hatch(hatch)
        if any(values):
            axis.set_yscale("log")
        axis.set_ylabel(f"{label}\n(log scale)")
        axis.grid(axis="y", which="major", alpha=0.3)
    t = audit.totals
    top.set_title(title or f"{audit.name}: {t.weights:,} weights, {t.macs:,} multiply-adds per image")
    step = max(1, len(rows) // 80)  # at most ~80 labels stay readable
    bottom.set_xticks(list(positions)[::step])
    bottom.set_xticklabels(names[::step], rotation=90, fontsize=7 if len(rows) > 30 else 9)
    kinds = [(k, c) for k, c in COLOURS.items() if any(r.kind == k for r in rows)]
    if any(COLOURS.get(r.kind) is None for r in rows):
        kinds.append(("other", OTHER_COLOUR))
    top.legend(handles=[Patch(color=c, label=k) for k, c in kinds], loc="upper left", fontsize=8)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()
