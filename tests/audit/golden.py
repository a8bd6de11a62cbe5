"""Generate tests/audit/golden.json: every registered architecture's audit totals at its paper input size.

    python -m tests.audit.golden        # after a deliberate change to an architecture or to the audit

Published figures are cited beside the computed totals with the tolerance they are checked at: a paper that
says "650,000 neurons" is checked loosely, one that gives an exact count exactly. The papers' "FLOPs" for
ResNet and VGG (He et al. 2016) are multiply-adds, so they are compared with `macs`.
"""

from __future__ import annotations

from pathlib import Path

GOLDEN = Path(__file__).with_name("golden.json")

FIELDS = ("units", "weight_layer_units", "weights", "biases", "other", "state", "params", "macs",
          "connections_with_bias")  # fmt: skip

_HE = "He et al. 2016 (ResNet), Table 1 'FLOPs', which section 3.3 says are multiply-adds"


def _fig(field: str, value: float, tolerance: float, source: str) -> dict:
    return {"field": field, "value": value, "tolerance": tolerance, "source": source}


# field "units_with_input" is units + the input's elements (LeNet 1989 counts its 256 input units).
PUBLISHED = {
    "lenet1989": [
        _fig("units_with_input", 1_256, 0, "LeCun et al. 1989, section 5: 1,256 units"),
        _fig("connections_with_bias", 64_660, 0, "LeCun et al. 1989, section 5: 64,660 connections"),
        _fig("params", 9_760, 0, "LeCun et al. 1989, section 5: 9,760 independent parameters"),
    ],
    "lenet5-paper": [
        _fig(
            "connections_with_bias",
            340_908,
            1e-4,
            "LeCun et al. 1998, section II.B: 340,908 connections; "
            "ours has a 10-way softmax layer (850) where the paper has RBF units (840): +10",
        ),
    ],
    "alexnet": [
        _fig(
            "weight_layer_units",
            650_000,
            0.02,
            "Krizhevsky et al. 2012, abstract: 650,000 neurons (the "
            "section 3.5 layer list sums to 622,312 because its first figure, 253,440, should be 290,400)",
        ),
        _fig("params", 60e6, 0.02, "Krizhevsky et al. 2012, abstract: 60 million parameters"),
    ],
    "vgg16": [
        _fig(
            "macs",
            15.5e9,
            0.01,
            "the commonly quoted 15.5 G multiply-adds at 224×224 (not a figure of the paper)",
        )
    ],
    "vgg19": [
        _fig(
            "macs", 19.6e9, 0.01, "He et al. 2016, section 3.3: VGG-19 has 19.6 billion FLOPs (multiply-adds)"
        )
    ],
    "googlenet": [
        _fig(
            "macs",
            1.5e9,
            0.1,
            "Szegedy et al. 2014, section 1: a budget of 1.5 billion multiply-adds at inference time",
        )
    ],
    "resnet18": [_fig("macs", 1.8e9, 0.03, _HE)],
    "resnet34": [_fig("macs", 3.6e9, 0.03, _HE + "; section 3.3: 3.6 billion FLOPs (multiply-adds)")],
    "resnet50": [_fig("macs", 3.8e9, 0.03, _HE)],
    "resnet101": [_fig("macs", 7.6e9, 0.03, _HE)],
    "resnet152": [_fig("macs", 11.3e9, 0.03, _HE)],
}


def totals(result) -> dict:
    """The golden figures of one audit."""
    t = result.totals
    data = {field: getattr(t, field) for field in FIELDS}
    data["input_units"] = result.input_units
    data["units_with_input"] = t.units + result.input_units
    data["auxiliary_params"] = result.auxiliary.params if result.auxiliary else 0
    data["auxiliary_macs"] = result.auxiliary.macs if result.auxiliary else 0
    return data


def entry(name: str, result) -> dict:
    """The golden entry of architecture `name` from its paper-size audit `result`, published figures cited."""
    from cnnapp import models

    arch = models.get(name)
    published = list(PUBLISHED.get(name, []))
    if arch.published_params is not None:
        published.append(_fig("params", arch.published_params, 0, arch.params_source))
    return {"input_shape": list(result.input_shape), **totals(result), "published": published}


def generate() -> dict:
    """Audit every registered architecture at its paper input size; cite the published figures."""
    from cnnapp import models
    from cnnapp.audit import audit_architecture

    table = {name: entry(name, audit_architecture(name)) for name in models.names()}
    return {"generated_by": "python -m tests.audit.golden", "architectures": table}


if __name__ == "__main__":
    import json
    import os

    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    from cnnapp import atomic

    atomic.write_text(GOLDEN, json.dumps(generate(), indent=2, ensure_ascii=False) + "\n")
    print(f"wrote {GOLDEN}")
