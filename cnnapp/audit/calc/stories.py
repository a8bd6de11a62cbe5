"""The lectures' three size arguments, computed: stacked small filters against one large one, fully connected
against locally connected against convolutional, and the naive inception module against the reduced one.

Every number comes from an audited Keras model (`cnnapp.audit.calc.calculate_layers` or the GoogLeNet
builder), so the arguments are counted the audit's way; the lectures' own figures come from
`assets/lectures/figures.toml` ([[story]] tables) and are printed beside.
"""

from __future__ import annotations

import dataclasses

from cnnapp.audit.calc import Spec, calculate_layers


@dataclasses.dataclass
class Line:
    """One option of a comparison: its parameters, connections, receptive field and non-linearities."""

    option: str
    layers: str
    params: int
    weights: int
    macs: int
    receptive_field: int
    nonlinearities: int
    lecture: str = ""


def lecture_story(name: str) -> dict[str, dict]:
    """The lectures' figures of story `name`, by option."""
    from cnnapp.audit import lecture

    return {s["option"]: s for s in lecture.stories() if s["story"] == name}


def stack_vs_single(kernel: int = 3, depth: int = 3, channels: int = 64, size: int = 56) -> list[Line]:
    """`depth` stacked kernel×kernel convs against the one conv with their receptive field,
    1 + depth(kernel − 1), C → C channels on a size×size map ("same" padding, a ReLU after each conv)."""
    field = 1 + depth * (kernel - 1)
    shape = (size, size, channels)
    lines = []
    figures = lecture_story("stack")
    for option, specs in (
        (f"{depth} × {kernel}×{kernel}", [Spec("conv", channels, kernel, 1, "same")] * depth),
        (f"1 × {field}×{field}", [Spec("conv", channels, field, 1, "same")]),
    ):
        steps = calculate_layers(shape, specs)
        per_pair = sum(s.spec.size**2 for s in steps)
        formula = f"{depth}·{kernel}² = {per_pair}" if len(steps) > 1 else f"{field}² = {per_pair}"
        key = "stack" if len(steps) > 1 else "single"
        lines.append(
            Line(
                option=option,
                layers=f"{formula} weights per channel pair",
                params=sum(s.params for s in steps),
                weights=sum(s.weights for s in steps),
                macs=sum(s.macs for s in steps),
                receptive_field=steps[-1].receptive_field[0],
                nonlinearities=len(steps),
                lecture=figures.get(key, {}).get("lecture", ""),
            )
        )
    return lines


def fc_local_conv(side: int = 1000, patch: int = 10, filters: int = 100) -> list[Line]:
    """The lectures' side×side image: a fully connected layer of side² hidden units, a locally connected
    layer of patch×patch fields (one unit per position), and a conv layer of `filters` shared patch×patch
    filters."""
    shape = (side, side, 1)
    figures = lecture_story("fc-lc-conv")
    lines = []
    for key, option, spec in (
        ("fc", f"fully connected, {side * side:,} hidden units", Spec("fc", side * side)),
        ("lc", f"locally connected, {patch}×{patch} fields", Spec("lc", 1, patch, 1)),
        ("conv", f"convolutional, {filters} filters of {patch}×{patch}", Spec("conv", filters, patch, 1)),
    ):
        (step,) = calculate_layers(shape, [spec])
        rf = side if step.receptive_field is None else step.receptive_field[0]
        lines.append(
            Line(
                option=option,
                layers=step.arithmetic[-2],
                params=step.params,
                weights=step.weights,
                macs=step.macs,
                receptive_field=rf,
                nonlinearities=1,
                lecture=figures.get(key, {}).get("lecture", ""),
            )
        )
    return lines


def inception(stage: str = "3a") -> list[Line]:
    """GoogLeNet's inception `stage` at 224×224 with the paper's 1×1 reductions and without (naive)."""
    from cnnapp.audit import core
    from cnnapp.models.googlenet import INCEPTIONS

    if stage not in INCEPTIONS:
        from cnnapp.errors import unknown

        raise unknown("inception module", stage, list(INCEPTIONS))
    figures = lecture_story(f"inception {stage}")
    lines = []
    for kind in ("reduced", "naive"):
        audit = core.audit_architecture("googlenet", inception=kind)
        rows = [r for r in audit.rows if r.name.startswith(f"inception_{stage}_")]
        out = next(r for r in rows if r.name.endswith("_output")).output_shape
        convs = sum(1 for r in rows if r.kind == "conv")
        lines.append(
            Line(
                option=f"{kind}, output {'×'.join(map(str, out))}",
                layers=f"{convs} convs",
                params=sum(r.params for r in rows),
                weights=sum(r.weights for r in rows),
                macs=sum(r.macs for r in rows),
                receptive_field=0,
                nonlinearities=convs,
                lecture=figures.get(kind, {}).get("lecture", ""),
            )
        )
    return lines


def render(title: str, lines: list[Line], receptive_field: bool = True) -> str:
    head = ["option", "parameters", "weights", "connections (MACs)"]
    head += ["receptive field", "non-linearities"] if receptive_field else []
    head += ["lecture", "how"]
    rows = []
    for line in lines:
        cells = [line.option, f"{line.params:,}", f"{line.weights:,}", f"{line.macs:,}"]
        cells += [str(line.receptive_field), str(line.nonlinearities)] if receptive_field else []
        rows.append(cells + [line.lecture or "—", line.layers])
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(head)]

    def fmt(cells):
        return "  ".join(
            c.ljust(w) if i in (0, len(head) - 1) else c.rjust(w)
            for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        )

    out = [title, "", fmt(head), "  ".join("-" * w for w in widths), *map(fmt, rows)]
    first, second = lines[0], lines[-1]
    if second.weights:
        ratio = first.weights / second.weights
        times = f"{ratio:.2f}" if ratio < 100 else f"{ratio:,.0f}"
        out += ["", f"{first.option}: {times}× the weights of {second.option}."]
    return "\n".join(out) + "\n"
