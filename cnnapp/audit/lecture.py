"""The lectures' figures beside ours: every size the decks (and papers) state, our count, and why they differ.

    from cnnapp.audit import lecture
    rows = lecture.beside(audit.audit_architecture("alexnet"))   # one Row per figure the lectures give
    print(lecture.render(rows, "table"))

The figures live in one data file, `assets/lectures/figures.toml`, each with its source; this module only
computes our side (`quantities`) and lays the two side by side. A figure's `lecture_way` names the same model
counted the lecture's way (input units included, the output layer left out, no ×3 for the backward pass), so
a reader sees that a difference is one of counting, not of the network.
"""

from __future__ import annotations

import csv
import dataclasses
import functools
import io
import json
import tomllib

from cnnapp.audit.counting import CONV, FC, POOL
from cnnapp.errors import CnnappError, unknown

# Within this share of the lecture's number, a figure is the same one rounded.
ROUNDED = 0.05


def figures_file():
    from cnnapp.paths import ASSETS

    return ASSETS / "lectures" / "figures.toml"


@functools.cache
def figures() -> tuple[dict, ...]:
    """Every [[figure]] of the data file, as dicts (arch, figure, lecture, source, page, ours, ...)."""
    return tuple(tomllib.loads(figures_file().read_text())["figure"])


def stories() -> tuple[dict, ...]:
    """The [[story]] tables: the lectures' figures for the calculator's size arguments."""
    return tuple(tomllib.loads(figures_file().read_text())["story"])


def archs_with_figures() -> list[str]:
    return sorted({f["arch"] for f in figures()})


def _first_conv(audit):
    """The first conv layer's rows (both of AlexNet's towers): convs with no weight layer before them."""
    before = {"input"}  # names of rows with no weight layer up to them
    first = []
    for r in audit.rows:
        if not all(name in before for name in r.inputs):
            continue
        if r.kind == CONV and r.weights:
            first.append(r)
        elif not r.weights:
            before.add(r.name)
    return first


def _lecture_number(arch: str, figure: str) -> float | None:
    for f in figures():
        if f["arch"] == arch and f["figure"] == figure:
            return f["lecture"]
    return None


def quantities(audit) -> dict:
    """Our side: every quantity a figure can name, computed from the audit (and the recipe's epochs)."""
    from cnnapp.audit import compare

    t = audit.totals
    main = [r for r in audit.rows if r.main_path]
    out_row = main[-1] if main else None
    output_units = out_row.units if out_row is not None else 0
    output_params = out_row.params if out_row is not None else 0
    output_connections = (out_row.macs + out_row.bias_adds) if out_row is not None else 0
    line = compare.line(audit)
    examples, epochs = line.training_examples or 0, line.epochs or 0
    weight_macs = sum(r.macs for r in main if r.kind in (CONV, FC))
    first = _first_conv(audit)
    lecture_connections = _lecture_number(audit.name, "connections") or 0
    q = {
        "units": t.units,
        "input_units": audit.input_units,
        "units_with_input": t.units + audit.input_units,
        "output_units": output_units,
        "units_without_output": t.units - output_units,
        "weight_layer_units": t.weight_layer_units,
        "weight_layer_units_without_output": t.weight_layer_units - output_units,
        "pool_units": t.by_kind.get(POOL, {}).get("units", 0),
        "params": t.params,
        "weights": t.weights,
        "output_params": output_params,
        "params_without_output": t.params - output_params,
        "macs": t.macs,
        "bias_adds": t.bias_adds,
        "weight_layer_macs": weight_macs,
        "other_macs": t.macs - weight_macs,
        "connections_with_bias": t.connections_with_bias,
        "output_connections": output_connections,
        "connections_with_bias_without_output": t.connections_with_bias - output_connections,
        "training_examples": examples,
        "epochs": epochs,
        "training_ops": line.training_ops or 0,
        "lecture_ops": t.connections_with_bias * examples * epochs,
        "lecture_ops_from_figure": lecture_connections * examples * epochs,
        "lecture_ops_from_figure_x3": 3 * lecture_connections * examples * epochs,
        "depth": audit.depth,
        "fc_layers": sum(1 for r in main if r.kind == FC and r.weights),
        "first_layer_filters": sum(int(r.output_shape[-1]) for r in first),
        "first_layer_output": _first_output(first),
        "first_layer_kernel": _first_kernel(first),
    }
    side = int(audit.input_shape[0])  # AlexNet's crops of a 256×256 image, and their mirror images
    q["crop_positions"] = 2 * (256 - side + 1) ** 2 if side <= 256 else 0
    q["crop_positions_224"] = 2 * (256 - 224) ** 2  # the paper's count: 32 offsets per axis
    if audit.name == "lenet5":  # the paper's network, which the lecture's LeNet-5 figures quote
        q["paper_connections"] = quantities(_audit("lenet5-paper"))["connections_with_bias_without_output"]
    if audit.name == "googlenet":
        module = [r for r in main if r.name.startswith("inception_3a_")]
        q["inception_3a_weights"] = sum(r.weights for r in module)
        q["inception_3a_params"] = sum(r.params for r in module)
        q["inception_3a_macs"] = sum(r.macs for r in module)
        q["inception_3a_conv_macs"] = sum(r.macs for r in module if r.kind == CONV)
        q["inception_3a_pool_macs"] = q["inception_3a_macs"] - q["inception_3a_conv_macs"]
        q["alexnet_params"] = _audit("alexnet").totals.params
        q["alexnet_ratio"] = q["alexnet_params"] / t.params
    return q


def _first_output(first) -> str:
    if not first:
        return "—"
    h, w = first[0].output_shape[:2]
    return f"{h}×{w}×{sum(int(r.output_shape[-1]) for r in first)}"


def _first_kernel(first) -> str:
    if not first:
        return "—"
    return f"{first[0].receptive_field[0]}×{first[0].receptive_field[1]}/{first[0].stride[0]}"


@functools.cache
def _audit(name: str):
    from cnnapp.audit import core

    return core.audit_architecture(name)


@dataclasses.dataclass
class Row:
    """One figure beside ours. `match`: "=" the same, "≈" the same rounded (within 5%), "≠" different."""

    arch: str
    figure: str
    lecture: float | str
    ours: float | str
    match: str
    lecture_way: float | str | None
    lecture_way_match: str | None
    reason: str
    source: str
    page: str


def _match(lecture, ours) -> str:
    if isinstance(lecture, str) or isinstance(ours, str):
        return "=" if str(lecture) == str(ours) else "≠"
    if lecture == ours:
        return "="
    return "≈" if lecture and abs(ours - lecture) <= ROUNDED * abs(lecture) else "≠"


def beside(audit) -> list[Row]:
    """The lectures' figures about `audit`'s architecture beside our numbers (empty when there are none)."""
    mine = [f for f in figures() if f["arch"] == audit.name]
    if not mine:
        return []
    q = quantities(audit)
    rows = []
    for f in mine:
        if f["ours"] not in q:
            raise unknown("quantity", f["ours"], sorted(q))
        ours = q[f["ours"]]
        way = q[f["lecture_way"]] if "lecture_way" in f else None
        match = _match(f["lecture"], ours)
        reason = f.get("reason", "").format(**q) if match != "=" else ""
        rows.append(Row(
            arch=audit.name, figure=f["figure"], lecture=f["lecture"], ours=ours, match=match,
            lecture_way=way, lecture_way_match=None if way is None else _match(f["lecture"], way),
            reason=reason, source=f["source"], page=f.get("page", ""),
        ))  # fmt: skip
    return rows


def check_has_figures(name: str) -> None:
    """A clear error for `--lecture` on an architecture no deck gives figures for."""
    if name not in archs_with_figures():
        known = ", ".join(archs_with_figures())
        raise CnnappError(f"the lectures give no figures for {name!r}; --lecture works for: {known}")


def _num(value) -> str:
    if value is None:
        return "—"
    if isinstance(value, str):
        return value
    if isinstance(value, float) and not value.is_integer():
        return f"{value:.2f}" if value < 1000 else f"{value:.3g}"
    value = int(value)
    return f"{value:.3g}" if value >= 10**10 else f"{value:,}"


HEADER = ("architecture", "figure", "lecture", "ours", "", "lecture's way", "why they differ")


def _cells(r: Row) -> list[str]:
    way = "" if r.lecture_way is None else f"{_num(r.lecture_way)} ({r.lecture_way_match})"
    return [r.arch, r.figure, _num(r.lecture), _num(r.ours), r.match, way, r.reason or "—"]


def to_data(rows: list[Row]) -> list[dict]:
    return [dataclasses.asdict(r) for r in rows]


def render(rows: list[Row], fmt: str = "table") -> str:
    """The rows as "table", "markdown", "json" or "csv" (the table and Markdown end with the sources)."""
    if fmt == "json":
        return json.dumps(to_data(rows), indent=2, ensure_ascii=False) + "\n"
    if fmt == "csv":
        buffer = io.StringIO()
        fields = [f.name for f in dataclasses.fields(Row)]
        writer = csv.DictWriter(buffer, fields, lineterminator="\n")
        writer.writeheader()
        writer.writerows(to_data(rows))
        return buffer.getvalue()
    cells = [_cells(r) for r in rows]
    if fmt == "markdown":
        out = ["| " + " | ".join(HEADER) + " |", "|---|---|---:|---:|:-:|---:|---|"]
        out += ["| " + " | ".join(c) + " |" for c in cells]
    elif fmt == "table":
        widths = [max(len(h), *(len(c[i]) for c in cells)) for i, h in enumerate(HEADER[:-1])]
        right = (False, False, True, True, False, True)

        def line(c):
            head = [x.rjust(w) if r else x.ljust(w) for x, w, r in zip(c[:-1], widths, right, strict=True)]
            return "  ".join(head) + "  " + c[-1]

        out = [line(list(HEADER)), "  ".join("-" * w for w in widths) + "  " + "-" * 15]
        out += [line(c) for c in cells]
    else:
        raise unknown("format", fmt, ("table", "markdown", "json", "csv"))
    sources = sorted({r.source + (f", {r.page}" if r.page and r.page not in r.source else "") for r in rows})
    out += ["", "= the same, ≈ the same rounded (within 5%), ≠ different. Sources:"]
    out += [f"- {s}" if fmt == "markdown" else f"  {s}" for s in sources]
    return "\n".join(out) + "\n"
