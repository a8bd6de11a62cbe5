"""The size audit: units, weights, connections, operations and memory of any Keras model.

    from cnnapp import audit
    result = audit.audit_architecture("alexnet")            # a registered architecture, paper input size
    result = audit.audit_model(model, batch_size=128)        # any functional or Sequential model
    print(audit.render(result, "table"))

The definitions are in `counting` (units, MACs per layer type), `memory` (inference against training memory)
and `core` (totals, receptive fields, auxiliary heads); `python -m cnnapp.audit` is the command line.
"""

from typing import Any

from cnnapp import cli, quiet
from cnnapp.audit.core import Audit, LayerRow, Totals, audit_architecture, audit_model, shapes_only
from cnnapp.audit.memory import Memory
from cnnapp.audit.report import FORMATS, render, to_dict
from cnnapp.audit.rules import sentences

__all__ = [
    "FORMATS",
    "audit",
    "Audit",
    "LayerRow",
    "Memory",
    "Totals",
    "audit_architecture",
    "audit_model",
    "render",
    "sentences",
    "shapes_only",
    "to_dict",
]


def audit(model: Any, *, batch_size: int = 1, **options: Any) -> Audit:
    """The size audit (units, weights, connections, operations, memory) of a Keras model, a registered
    architecture's name (at its paper's input size; `options` go to its builder), or a run."""
    quiet.start_tensorflow()
    from cnnapp.runs import Run

    if isinstance(model, str):
        return audit_architecture(model, batch_size=batch_size, **options)
    if isinstance(model, Run):
        model = model.model()
    return audit_model(model, batch_size=batch_size)


# `cnnapp.audit(model)` in a notebook.
cli.callable_module(__name__, audit)
