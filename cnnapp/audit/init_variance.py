"""The initial weights' variance per layer, measured on a freshly built model, for several init schemes.

    python -m cnnapp.audit.init_variance lenet5 --init paper --init lecun

The lectures' schemes: LeCun Var = 1/n_in, Glorot 2/(n_in + n_out), He 2/n_in; LeNet's own U(±2.4/F_in) has
Var = (2.4/F_in)²/3 = 1.92/F_in², so its ratio to LeCun's grows with the fan-in (13× at LeNet-5's C1, whose
F_in is 25). Measured: each kernel's sample variance right after the build, beside the scheme's formula.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from cnnapp import cli
from cnnapp.errors import CnnappError, run_cli

INITS = ("paper", "lecun", "glorot", "he", "torch7")


def expected(init: str, fan_in: int, fan_out: int, architecture: str) -> float | None:
    """The scheme's variance (None where the "paper" scheme is not LeNet's U(±2.4/F_in))."""
    if init == "lecun":
        return 1 / fan_in
    if init == "glorot":
        return 2 / (fan_in + fan_out)
    if init == "he":
        return 2 / fan_in
    if init == "torch7":  # U(±1/√F_in): (1/√F_in)²/3, a third of LeCun's
        return 1 / (3 * fan_in)
    if architecture.startswith("lenet"):
        return (2.4 / fan_in) ** 2 / 3
    return None


def measure(architecture: str, init: str, seed: int = 0) -> list[dict]:
    """Per layer with a kernel: its fan-in and fan-out, the measured variance and the scheme's."""
    import keras

    from cnnapp import models

    keras.utils.set_random_seed(seed)
    model = models.build(architecture, init=init)
    rows = []
    for layer in model.layers:
        kernels = [w for w in layer.weights if w.name.split("/")[-1].split(":")[0] == "kernel"]
        if not kernels or len(kernels[0].shape) not in (2, 4):  # LeNet's partial C3 stores (k, k, pairs)
            continue
        shape = tuple(int(d) for d in kernels[0].shape)
        fan_in, fan_out = math.prod(shape[:-1]), shape[-1] * math.prod(shape[:-2])
        measured = float(np.var(np.asarray(kernels[0])))
        rows.append({"layer": layer.name, "fan_in": fan_in, "fan_out": fan_out, "measured": measured,
                     "expected": expected(init, fan_in, fan_out, architecture)})  # fmt: skip
    return rows


def render(architecture: str, inits: Sequence[str], seed: int = 0) -> str:
    tables = {init: measure(architecture, init, seed) for init in inits}
    layers = [r["layer"] for r in tables[inits[0]]]
    head = ["layer", "fan-in", *(f"Var {i} (formula)" for i in inits)]
    if len(inits) == 2:
        head.append(f"{inits[1]} / {inits[0]}")
    rows = []
    for k, name in enumerate(layers):
        cells = [name, f"{tables[inits[0]][k]['fan_in']:,}"]
        for init in inits:
            r = tables[init][k]
            formula = "—" if r["expected"] is None else f"{r['expected']:.3g}"
            cells.append(f"{r['measured']:.3g} ({formula})")
        if len(inits) == 2:
            cells.append(f"{tables[inits[1]][k]['measured'] / tables[inits[0]][k]['measured']:.1f}×")
        rows.append(cells)
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(head)]
    out = [f"Initial weight variance of {architecture} (seed {seed}), measured (the scheme's formula)", ""]
    out += ["  ".join(h.ljust(w) for h, w in zip(head, widths, strict=True))]
    out += ["  ".join("-" * w for w in widths)]
    out += ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) for r in rows]
    return "\n".join(out) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    parser = cli.ArgumentParser(
        prog="python -m cnnapp.audit.init_variance",
        description="The initial weights' variance per layer, measured, beside each init scheme's formula.",
    )
    parser.add_argument("architecture", help="a registered architecture, e.g. lenet5")
    parser.add_argument(
        "--init", action="append", choices=INITS, help="schemes to compare (default paper, lecun)"
    )
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    from cnnapp import models

    if "init" not in models.options(args.architecture):
        raise CnnappError(f"{args.architecture} has no init option")
    print(render(args.architecture, tuple(args.init or ("paper", "lecun")), args.seed), end="")
    return 0


if __name__ == "__main__":
    run_cli(main, "python -m cnnapp.audit.init_variance")
