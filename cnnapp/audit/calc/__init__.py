"""A layer calculator: output shapes, weights and connections of a stack of layers, with the arithmetic shown.

    python -m cnnapp.audit.calc 227x227x3 conv:96:11:4 pool:3:2 fc:4096
    python -m cnnapp.audit.calc 7x7x1 conv:1:3:3          # (7 − 3)/3 + 1 = 2.33: does not fit
    python -m cnnapp.audit.calc --stack 3 --depth 3        # three 3×3 convs against one 7×7
    python -m cnnapp.audit.calc --story                    # fully connected → locally connected → conv

    from cnnapp.audit import calc
    print(calc.calculate("227x227x3 conv:96:11:4 pool:3:2 fc:4096"))

Layers: `conv:FILTERS:SIZE[:STRIDE[:PADDING]]` (PADDING a number or "same"; a ReLU after it),
`pool:SIZE[:STRIDE]` (max) and `avgpool:SIZE[:STRIDE]`, `lc:FILTERS:SIZE[:STRIDE]` (locally connected),
`fc:UNITS`. The numbers are the audit's own: the stack is built as a Keras model and audited
(`cnnapp.audit.core`), so the calculator and the audit count the same way; only the arithmetic is
written here.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from fractions import Fraction

from cnnapp.errors import CnnappError

KINDS = ("conv", "pool", "avgpool", "lc", "fc")


@dataclasses.dataclass(frozen=True)
class Spec:
    """One layer as the calculator reads it."""

    kind: str
    number: int = 0  # filters or units
    size: int = 1
    stride: int = 1
    padding: int | str = 0

    @property
    def text(self) -> str:
        if self.kind == "fc":
            return f"fc:{self.number}"
        if self.kind in ("pool", "avgpool"):
            return f"{self.kind}:{self.size}:{self.stride}" + (f":{self.padding}" if self.padding else "")
        return f"{self.kind}:{self.number}:{self.size}:{self.stride}" + (
            f":{self.padding}" if self.padding else ""
        )


def parse_input(text: str) -> tuple[int, int, int]:
    """ "227x227x3" → (227, 227, 3); "32x32" is one channel."""
    parts = text.lower().replace("×", "x").split("x")
    try:
        dims = tuple(int(p) for p in parts)
    except ValueError:
        dims = ()
    if len(dims) == 2:
        dims = (*dims, 1)
    if len(dims) != 3 or min(dims) < 1:
        raise CnnappError(f"input {text!r} is not HEIGHTxWIDTHxCHANNELS (e.g. 227x227x3)")
    return dims


def parse_layer(text: str) -> Spec:
    """ "conv:96:11:4" → Spec("conv", 96, 11, 4); see the module docstring for the forms."""
    kind, *fields = text.lower().split(":")
    if kind not in KINDS:
        raise CnnappError(f"layer {text!r}: unknown kind {kind!r}; valid kinds: {', '.join(KINDS)}")
    padding: int | str = 0
    if kind in ("conv", "pool", "avgpool") and fields and fields[-1] == "same":
        padding, fields = "same", fields[:-1]
    try:
        numbers = [int(f) for f in fields]
    except ValueError:
        numbers = []
    forms = {"conv": (2, 4), "lc": (2, 3), "pool": (1, 3), "avgpool": (1, 3), "fc": (1, 1)}
    low, high = forms[kind]
    if not low <= len(numbers) <= high - (padding == "same") or min(numbers, default=0) < 0:
        usage = {
            "conv": "conv:FILTERS:SIZE[:STRIDE[:PADDING]]",
            "lc": "lc:FILTERS:SIZE[:STRIDE]",
            "pool": "pool:SIZE[:STRIDE]",
            "avgpool": "avgpool:SIZE[:STRIDE]",
            "fc": "fc:UNITS",
        }
        raise CnnappError(f"layer {text!r} is not {usage[kind]} with whole numbers (e.g. conv:96:11:4)")
    if kind == "fc":
        return Spec("fc", numbers[0])
    if kind in ("pool", "avgpool"):
        size = numbers[0]
        stride = numbers[1] if len(numbers) > 1 else size
        return Spec(kind, 0, size, stride, numbers[2] if len(numbers) > 2 else padding)
    stride = numbers[2] if len(numbers) > 2 else 1
    return Spec(kind, numbers[0], numbers[1], stride, numbers[3] if len(numbers) > 3 else padding)


def pattern(
    n: int, m: int, k: int, *, pool: bool = True, filters: int = 32, fc_units: int = 512, classes: int = 10
) -> list[Spec]:
    """The lectures' INPUT → [[CONV → RELU]*N → POOL?]*M → [FC → RELU]*K → FC as layers, expanded by
    `cnnapp.models.pattern` (the trainable `pattern` architecture's own expansion): 3×3 'same' convs,
    `filters` doubled at every stage after the first, 2×2 max pools, K hidden FC layers of `fc_units`."""
    from cnnapp.models import pattern as lecture_pattern

    chosen = lecture_pattern.checked(lecture_pattern.Pattern(n, m, k, pool))
    expanded = lecture_pattern.layers(chosen, filters=filters, fc_units=fc_units, classes=classes)
    return [Spec(layer.kind, layer.number, layer.size, layer.stride, layer.padding) for layer in expanded]


def pattern_text(text: str, **sizes) -> list[Spec]:
    """`pattern` from the lecture's string, as `cnnapp.models.pattern.parse` reads it, e.g.
    `INPUT -> [[CONV -> RELU]*2 -> POOL]*2 -> [FC -> RELU]*1 -> FC`."""
    from cnnapp.models import pattern as lecture_pattern

    parsed = lecture_pattern.parse(text)
    return pattern(parsed.n, parsed.m, parsed.k, pool=parsed.pool, **sizes)


@dataclasses.dataclass
class Step:
    """One layer's result: its output and cost, and the arithmetic that gives them."""

    spec: Spec
    input_shape: tuple
    output_shape: tuple
    units: int
    weights: int
    biases: int
    macs: int
    receptive_field: tuple | None
    arithmetic: list[str]
    fits: bool = True

    @property
    def params(self) -> int:
        return self.weights + self.biases


def _size_arithmetic(n: int, spec: Spec) -> tuple[int, str, bool]:
    """The output side for input side `n`, the line that computes it, and whether the stride fits."""
    f, s = spec.size, spec.stride
    if spec.padding == "same":
        out = -(-n // s)
        return out, f"'same' padding: ⌈{n}/{s}⌉ = {out}", True
    p = int(spec.padding)
    top = n - f + 2 * p
    if top < 0:
        raise CnnappError(f"{spec.text}: a {f}×{f} window does not fit a {n}-pixel side (padding {p})")
    exact = Fraction(top, s) + 1
    padded = f" + 2·{p}" if p else ""
    line = f"({n} − {f}{padded})/{s} + 1 = "
    if exact.denominator == 1:
        return int(exact), line + str(int(exact)), True
    fitting = [q for q in range(p, p + s) if (n - f + 2 * q) % s == 0]
    advice = f"padding {fitting[0]} would fit" if fitting else "no padding fits this stride"
    advice += f", or an input side of {n + (s - top % s)}"
    strides = [t for t in range(1, f + 1) if top % t == 0 and t != s]
    if strides:
        advice += f", or stride {strides[-1]}"
    floor = math.floor(exact)
    return floor, line + f"{float(exact):.2f}: doesn't fit! ({advice}; Keras floors it to {floor})", False


def _arithmetic(spec: Spec, shape: tuple, out: tuple, row_weights: int, row_macs: int) -> list[str]:
    h, w, c = shape if len(shape) == 3 else (1, 1, shape[-1])
    if spec.kind == "fc":
        fan = math.prod(shape)
        return [
            f"parameters {fan:,}·{spec.number:,} + {spec.number:,} = {fan * spec.number + spec.number:,}",
            f"connections {spec.number:,}·{fan:,} = {spec.number * fan:,}",
        ]
    oh, ow, k = out
    f = spec.size
    if spec.kind in ("pool", "avgpool"):
        return [f"no weights; connections {oh}·{ow}·{k}·{f}² = {oh * ow * k * f * f:,}"]
    if spec.kind == "conv":
        return [
            f"parameters {f}²·{c}·{k} + {k} = {f * f * c * k + k:,}",
            f"connections {oh}·{ow}·{k} · {f}²·{c} = {oh * ow * k * f * f * c:,}",
        ]
    return [
        f"parameters {oh}·{ow} positions · {f}²·{c}·{k} + {oh}·{ow}·{k} = {row_weights + oh * ow * k:,} "
        f"(a conv shares one: {f * f * c * k + k:,})",
        f"connections {oh}·{ow}·{k} · {f}²·{c} = {row_macs:,}",
    ]


def _keras_layers(K, spec: Spec, index: int, rank: int) -> list:
    name = f"L{index}_{spec.kind}"
    pad = (
        [] if spec.padding in (0, "same") else [K.layers.ZeroPadding2D(int(spec.padding), name=f"{name}_pad")]
    )
    padding = "same" if spec.padding == "same" else "valid"
    if spec.kind == "conv":
        return pad + [
            K.layers.Conv2D(spec.number, spec.size, spec.stride, padding, activation="relu", name=name)
        ]
    if spec.kind in ("pool", "avgpool"):
        pool = K.layers.MaxPooling2D if spec.kind == "pool" else K.layers.AveragePooling2D
        return pad + [pool(spec.size, spec.stride, padding, name=name)]
    if spec.kind == "lc":
        from cnnapp.models.local import locally_connected_layer

        return [locally_connected_layer(K)(spec.number, spec.size, spec.stride, name=name)]
    flat = [K.layers.Flatten(name=f"{name}_flatten")] if rank > 1 else []
    return flat + [K.layers.Dense(spec.number, activation="relu", name=name)]


def calculate_layers(input_shape: Sequence[int], specs: Sequence[Spec]) -> list[Step]:
    """Each layer's output, weights and connections, from the audit of the stack built as a Keras model."""
    import keras

    from cnnapp.audit import core

    shape = tuple(input_shape)
    lines, fits = [], []
    current = shape
    for spec in specs:  # the arithmetic, and where a stride does not fit
        if spec.kind == "fc":
            current, notes, ok = (spec.number,), [], True
        else:
            if len(current) != 3:
                raise CnnappError(f"{spec.text} needs image maps; it comes after a fully connected layer")
            (oh, lh, okh), (ow, lw, okw) = (
                _size_arithmetic(current[0], spec),
                _size_arithmetic(current[1], spec),
            )
            if oh < 1 or ow < 1:
                raise CnnappError(f"{spec.text}: no output left from a {current[0]}×{current[1]} input")
            depth = current[2] if spec.kind in ("pool", "avgpool") else spec.number
            notes = [f"side {lh}"] if current[0] == current[1] else [f"height {lh}", f"width {lw}"]
            current, ok = (oh, ow, depth), okh and okw
        lines.append(notes)
        fits.append(ok)
    with core.shapes_only():
        inputs = x = keras.Input(shape)
        for i, spec in enumerate(specs, 1):
            for layer in _keras_layers(keras, spec, i, len(x.shape) - 1):
                x = layer(x)
        model = keras.Model(inputs, x, name="calc")
    audit = core.audit_model(model)
    steps, previous = [], shape
    for i, spec in enumerate(specs, 1):
        rows = [r for r in audit.rows if r.name.split("_")[0] == f"L{i}"]
        main = rows[-1]
        weights, biases, macs = (sum(getattr(r, a) for r in rows) for a in ("weights", "biases", "macs"))
        arithmetic = lines[i - 1] + _arithmetic(spec, previous, main.output_shape, weights, macs)
        steps.append(
            Step(
                spec,
                previous,
                main.output_shape,
                sum(r.units for r in rows),
                weights,
                biases,
                macs,
                main.receptive_field,
                arithmetic,
                fits[i - 1],
            )
        )
        previous = main.output_shape
    return steps


def _shape(shape) -> str:
    return "×".join(map(str, shape))


def render(steps: list[Step]) -> str:
    """The steps as text: one block per layer, then the totals."""
    out = [f"input {_shape(steps[0].input_shape)}" if steps else "no layers"]
    for step in steps:
        rf = "all" if step.receptive_field is None else _shape(sorted(set(step.receptive_field)))
        out.append(
            f"{step.spec.text:<18} → {_shape(step.output_shape):<12} units {step.units:,}, weights "
            f"{step.weights:,}, biases {step.biases:,}, connections {step.macs:,}, receptive field {rf}"
        )
        out += [f"    {line}" for line in step.arithmetic]
    total = lambda attr: sum(getattr(s, attr) for s in steps)  # noqa: E731
    out.append(
        f"total: units {total('units'):,}, parameters {total('params'):,}, connections (MACs) "
        f"{total('macs'):,}, ~{3 * total('macs'):,} training operations per example (×3)"
    )
    if not all(s.fits for s in steps):
        out.append("At least one stride does not fit its input: the last rows or columns are never seen.")
    return "\n".join(out) + "\n"


@dataclasses.dataclass
class Calculation:
    """The calculator's result for a notebook: `.steps`, and printed as the command prints it."""

    steps: list[Step]

    def __str__(self) -> str:
        return render(self.steps)

    def _repr_pretty_(self, printer, cycle):  # IPython shows the text, not the dataclass
        printer.text(str(self))


def calculate(text: str) -> Calculation:
    """`calculate("227x227x3 conv:96:11:4 pool:3:2 fc:4096")`: the input, then the layers, space-separated."""
    first, *layers = text.split()
    if not layers:
        raise CnnappError("give an input and at least one layer, e.g. 227x227x3 conv:96:11:4")
    return Calculation(calculate_layers(parse_input(first), [parse_layer(s) for s in layers]))
