"""Architectures side by side, the way the lectures compare LeNet 1989, LeNet-5 and AlexNet.

The operations of a whole training run are connections × 3 (1 forward, 2 backward) × training examples ×
epochs, with the epochs of the architecture's recipe (`recipes/<name>.toml`, the paper's setup).
"""

from __future__ import annotations

import csv
import dataclasses
import io
import json

from cnnapp.audit.core import Audit
from cnnapp.errors import CnnappError, unknown


@dataclasses.dataclass
class Comparison:
    """One architecture's line of the comparison (paper facts from the registry, sizes from the audit)."""

    name: str
    task: str
    categories: int
    input_size: str
    training_examples: int | None
    units: int
    params: int
    connections: int
    epochs: int | None
    training_ops: int | None


def recipe_epochs(name: str) -> int | None:
    """The epochs of the recipe named after architecture `name`, or None when there is no such recipe."""
    try:
        from cnnapp import recipes
    except ImportError:  # the recipes module is not there yet
        return None
    try:
        return int(recipes.load_recipe(name).train.epochs)
    except CnnappError:  # no recipe of that name
        return None


def line(audit: Audit) -> Comparison:
    """The comparison line of one audit (a registered architecture, or any model without paper facts)."""
    arch = audit.architecture
    examples = arch.training_examples if arch is not None else None
    epochs = recipe_epochs(audit.name) if arch is not None else None
    ops = 3 * audit.totals.macs * examples * epochs if examples and epochs else None
    main = [r for r in audit.rows if r.main_path]  # the first output's layer comes last
    return Comparison(
        name=audit.name,
        task=arch.task if arch is not None else "",
        categories=int(main[-1].output_shape[-1]) if main else 0,
        input_size="×".join(map(str, audit.input_shape)),
        training_examples=examples,
        units=audit.totals.units,
        params=audit.totals.params,
        connections=audit.totals.macs,
        epochs=epochs,
        training_ops=ops,
    )


HEADER = ("architecture", "task", "categories", "input", "training examples", "units", "parameters",
          "connections (MACs)", "epochs", "training-run operations")  # fmt: skip


def _cells(c: Comparison) -> list[str]:
    def num(v):
        return "—" if v is None else f"{v:,}"

    ops = "—" if c.training_ops is None else f"{c.training_ops:.1e}"
    return [c.name, c.task or "—", str(c.categories), c.input_size, num(c.training_examples), num(c.units),
            num(c.params), num(c.connections), num(c.epochs), ops]  # fmt: skip


def render(lines: list[Comparison], fmt: str = "table") -> str:
    """The comparison in format `fmt` ("table", "markdown", "json" or "csv"). Without a recipe for any of the
    architectures, the epochs and training-run columns are left out."""
    with_epochs = any(c.epochs is not None for c in lines)
    keep = len(HEADER) if with_epochs else len(HEADER) - 2
    header = list(HEADER[:keep])
    rows = [_cells(c)[:keep] for c in lines]
    if fmt == "json":
        return json.dumps([dataclasses.asdict(c) for c in lines], indent=2) + "\n"
    if fmt == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        fields = [f.name for f in dataclasses.fields(Comparison)][:keep]
        writer.writerow(fields)
        for c in lines:
            writer.writerow([getattr(c, f) for f in fields])
        return buffer.getvalue()
    if fmt == "markdown":
        out = [
            "| " + " | ".join(header) + " |",
            "|" + "|".join("---" if i < 4 else "---:" for i in range(keep)) + "|",
        ]
        out += ["| " + " | ".join(r) + " |" for r in rows]
    elif fmt == "table":
        widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(header)]
        fmt_row = lambda cells: "  ".join(  # noqa: E731
            c.ljust(w) if i < 4 else c.rjust(w) for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        )
        out = [fmt_row(header), "  ".join("-" * w for w in widths)] + [fmt_row(r) for r in rows]
    else:
        raise unknown("format", fmt, ("table", "markdown", "json", "csv"))
    notes = [
        "",
        "units: neurons of the conv, pooling and fully connected layers (the input not included); "
        "connections: multiply-adds of one forward pass.",
    ]
    if with_epochs:
        notes.append(
            "training-run operations: connections × 3 (1 forward, 2 backward) × training examples × "
            "epochs of the architecture's recipe."
        )
    else:
        notes.append("(no recipes/<architecture>.toml yet: epochs and training-run operations left out)")
    return "\n".join(out + notes) + "\n"
