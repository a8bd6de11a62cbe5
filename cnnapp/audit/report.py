"""An audit as text: a terminal table, Markdown, JSON or CSV. Pure functions returning strings."""

from __future__ import annotations

import csv
import dataclasses
import io
import json

from cnnapp.audit import rules
from cnnapp.audit.rules import human
from cnnapp.errors import unknown

FORMATS = ("table", "markdown", "json", "csv")

COLUMNS = ("layer", "type", "output", "units", "weights", "biases", "params", "MACs", "RF", "stride")


def _axes(value) -> str:
    if value is None:
        return "all"
    if len(set(value)) == 1:
        return str(value[0])
    return "×".join(map(str, value))


def _shape(shape) -> str:
    return "×".join(str(d) for d in shape)


def _cells(row) -> list[str]:
    stride = "" if row.stride is None else _axes(row.stride)
    rf = _axes(row.receptive_field)
    name = row.name if row.counted else f"{row.name} (not counted)"
    return [name, row.type, _shape(row.output_shape), f"{row.units:,}", f"{row.weights:,}", f"{row.biases:,}",
            f"{row.params:,}", f"{row.macs:,}", rf, stride]  # fmt: skip


def totals_dict(t) -> dict:
    """A Totals as plain data, its derived figures (params, FLOPs, connections) included."""
    data = dataclasses.asdict(t)
    data.update(params=t.params, flops=t.flops, connections_with_bias=t.connections_with_bias,
                training_ops_per_example=t.training_ops)  # fmt: skip
    return data


def _plain(value):
    """A builder option as JSON data (a tuple as a list; a module such as tf_keras by its name)."""
    if isinstance(value, tuple):
        return list(value)
    if value is None or isinstance(value, bool | int | float | str | list | dict):
        return value
    return getattr(value, "__name__", str(value))


def to_dict(audit) -> dict:
    """The whole audit as JSON-ready data."""
    arch = audit.architecture
    data = {
        "name": audit.name,
        "options": {k: _plain(v) for k, v in audit.options.items()},
        "input_shape": list(audit.input_shape),
        "input_units": audit.input_units,
        "depth": audit.depth,
        "keras_params": audit.keras_params,
        "totals": totals_dict(audit.totals),
        "auxiliary": totals_dict(audit.auxiliary) if audit.auxiliary else None,
        "memory": {**dataclasses.asdict(audit.memory), "training_bytes": audit.memory.training_bytes},
        "rules_of_thumb": rules.sentences(audit),
        "layers": [{**dataclasses.asdict(r), "params": r.params, "flops": r.flops} for r in audit.rows],
    }
    if arch is not None:
        data["paper"] = {"paper": arch.paper, "task": arch.task, "num_classes": arch.num_classes,
                         "input_shape": list(arch.input_shape), "training_examples": arch.training_examples,
                         "published_params": arch.published_params}  # fmt: skip
    return data


def _grid(header: list[str], rows: list[list[str]], markdown: bool) -> list[str]:
    right = [i >= 3 for i in range(len(header))]
    if markdown:
        lines = [
            "| " + " | ".join(header) + " |",
            "|" + "|".join("---:" if r else "---" for r in right) + "|",
        ]
        return lines + ["| " + " | ".join(cells) + " |" for cells in rows]
    widths = [max(len(h), *(len(c[i]) for c in rows)) if rows else len(h) for i, h in enumerate(header)]

    def line(cells):
        return "  ".join(
            c.rjust(w) if r else c.ljust(w) for c, w, r in zip(cells, widths, right, strict=True)
        )

    return [line(header), "  ".join("-" * w for w in widths)] + [line(c) for c in rows]


def _summary(audit) -> list[str]:
    t, m = audit.totals, audit.memory
    tie = "=" if t.params + (audit.auxiliary.params if audit.auxiliary else 0) == audit.keras_params else "≠"
    lines = [
        f"units        {t.units:,} ({t.weight_layer_units:,} in conv and fully connected layers; "
        f"input {audit.input_units:,})",
        f"weights      {t.weights:,}",
        f"biases       {t.biases:,}",
        f"other        {t.other:,} trainable (batch norm γ, β, ...) + {t.state:,} non-trainable state",
        f"params       {t.params:,} ({t.trainable:,} trainable)",
        f"connections  {t.macs:,} multiply-adds (MACs) = {human(t.flops)} FLOPs at 2 per MAC; "
        f"{t.connections_with_bias:,} with bias additions",
        f"training     ~{human(t.training_ops)} operations per example "
        "(3 per connection: 1 forward, 2 backward)",
    ]
    if audit.auxiliary is not None:
        a = audit.auxiliary
        lines.append(
            f"auxiliary    {a.layers} layers off the inference path: {a.params:,} params, "
            f"{a.macs:,} MACs, {a.units:,} units"
        )
    lines.append(
        f"Keras        count_params() = {audit.keras_params:,} {tie} params"
        + (" + auxiliary params" if audit.auxiliary else "")
    )
    slots = f"{m.optimizer_slots} state slot{'s' if m.optimizer_slots != 1 else ''} per parameter"
    p = m.parameter_bytes
    lines += [
        f"memory       parameters {human(p['float32'], 'B')} float32, {human(p['float16'], 'B')} float16, "
        f"{human(p['int8'], 'B')} int8",
        f"  inference  {human(m.inference_bytes, 'B')} at batch {m.batch_size}: parameters + peak "
        "activations "
        f"{human(m.peak_activation_bytes_per_example, 'B')} per image (at {m.peak_layer})",
        f"  training   {human(m.training_bytes, 'B')} at batch {m.batch_size} with {m.optimizer} ({slots}): "
        f"parameters {human(m.training_parameter_bytes, 'B')} + gradients {human(m.gradient_bytes, 'B')} + "
        f"optimizer {human(m.optimizer_bytes, 'B')} + activations {human(m.training_activation_bytes, 'B')} "
        f"({human(m.activation_bytes_per_example, 'B')} per example)",
    ]
    return lines


def _text(audit, markdown: bool) -> str:
    title = f"Audit of {audit.name}: input {_shape(audit.input_shape)}, {audit.depth} weight layers deep"
    if audit.architecture is not None:
        title += f" — {audit.architecture.paper}"
    main = [_cells(r) for r in audit.rows if r.main_path]
    aux = [_cells(r) for r in audit.rows if not r.main_path]
    out = [f"## {title}" if markdown else title, ""]
    out += _grid(list(COLUMNS), main, markdown)
    if aux:
        out += ["", "Auxiliary heads (training only, not in the totals):", ""]
        out += _grid(list(COLUMNS), aux, markdown)
    out += ["", "RF: receptive field in input pixels (all: the whole input); stride: cumulative stride.", ""]
    summary = _summary(audit)
    out += ["```", *summary, "```"] if markdown else summary
    out += [""] + [f"- {s}" if markdown else s for s in rules.sentences(audit)]
    return "\n".join(out) + "\n"


def _csv(audit) -> str:
    buffer = io.StringIO()
    fields = ["name", "type", "kind", "output_shape", "units", "activations", "weights", "biases", "other",
              "state", "params", "macs", "flops", "bias_adds", "receptive_field", "stride", "main_path",
              "counted"]  # fmt: skip
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(fields)
    for r in audit.rows:
        values = {**dataclasses.asdict(r), "params": r.params, "flops": r.flops}
        values["output_shape"] = _shape(r.output_shape)
        values["receptive_field"] = _axes(r.receptive_field)
        values["stride"] = "" if r.stride is None else _axes(r.stride)
        writer.writerow([values[f] for f in fields])
    t = audit.totals
    writer.writerow(["TOTAL (inference path)", "", "", _shape(audit.input_shape), t.units, t.activations,
                     t.weights, t.biases, t.other, t.state, t.params, t.macs, t.flops, t.bias_adds, "", "",
                     True, not t.not_counted])  # fmt: skip
    return buffer.getvalue()


def render(audit, fmt: str = "table") -> str:
    """The audit in format `fmt`: "table" (terminal), "markdown", "json" or "csv"."""
    if fmt == "table":
        return _text(audit, markdown=False)
    if fmt == "markdown":
        return _text(audit, markdown=True)
    if fmt == "json":
        return json.dumps(to_dict(audit), indent=2) + "\n"
    if fmt == "csv":
        return _csv(audit)
    raise unknown("format", fmt, FORMATS)
