"""The audit of one model: per-layer rows and totals, for any functional or Sequential Keras model.

    from cnnapp import audit
    report = audit.audit_architecture("alexnet")          # a registered architecture at its paper size
    report = audit.audit_model(model, batch_size=128)      # any built Keras model
    report.totals.macs, report.totals.weights, report.memory.training_bytes

Layers not on a path from the input to the first output (GoogLeNet's auxiliary classifiers) are rows with
`main_path=False`: `totals` covers the inference path, `auxiliary` the rest, and the two add up to the whole
model, whose parameter count equals Keras's `count_params()`.
"""

from __future__ import annotations

import contextlib
import dataclasses
import math
from typing import Any

from cnnapp.audit import counting, graph
from cnnapp.audit.counting import CONV, FC
from cnnapp.errors import CnnappError


@dataclasses.dataclass
class LayerRow:
    """One layer call: what it is, and what it costs per example.

    Attributes:
        name: layer name, prefixed by the models it is nested in.
        type: the layer's class name.
        kind: conv, fc, pool, norm, activation, regularization, merge, shape, bias or other.
        output_shape: output shape without the batch dimension (the first output's).
        units, activations, macs, bias_adds: see `counting`.
        weights, biases, other, state: parameters by role (state: non-trainable, e.g. moving statistics);
            a shared layer's parameters are on its first call only.
        trainable: how many of those parameters are trainable.
        receptive_field: input pixels one output unit sees, per spatial axis; None when it sees the whole
            input (after a fully connected layer or global pooling) or the input has no spatial axes.
        stride: cumulative stride (input pixels between neighbouring units) per spatial axis, or None.
        main_path: on a path from the input to the first output.
        counted: False when the audit does not know this layer type (its units and MACs are not counted).
        inputs: names of the rows (or "input") it reads.
    """

    name: str
    type: str
    kind: str
    output_shape: tuple
    units: int
    activations: int
    weights: int
    biases: int
    other: int
    state: int
    trainable: int
    macs: int
    bias_adds: int
    receptive_field: tuple[int, ...] | None
    stride: tuple[int, ...] | None
    main_path: bool
    counted: bool
    inputs: list[str]
    alias_at_inference: bool = False

    @property
    def params(self) -> int:
        return self.weights + self.biases + self.other + self.state

    @property
    def flops(self) -> int:
        """Floating-point operations of the multiply-adds: 2 per MAC."""
        return 2 * self.macs


@dataclasses.dataclass
class Totals:
    """Sums over a set of rows.

    Attributes:
        units: neurons of every layer (conv, fully connected, pooling).
        weight_layer_units: neurons of the weight layers only (conv and fully connected), what the AlexNet
            paper calls its neurons.
        trainable: trainable parameters.
        macs: multiply-adds of one forward pass (the lectures' connections).
        bias_adds: bias additions; macs + bias_adds are the LeCun papers' "connections".
        not_counted: names of layers whose type the audit does not know.
        by_kind: per kind of layer, its units, weights, params and macs.
    """

    layers: int = 0
    units: int = 0
    weight_layer_units: int = 0
    activations: int = 0
    weights: int = 0
    biases: int = 0
    other: int = 0
    state: int = 0
    trainable: int = 0
    macs: int = 0
    bias_adds: int = 0
    not_counted: list[str] = dataclasses.field(default_factory=list)
    by_kind: dict[str, dict[str, int]] = dataclasses.field(default_factory=dict)

    @property
    def params(self) -> int:
        return self.weights + self.biases + self.other + self.state

    @property
    def flops(self) -> int:
        """2 × MACs: a multiply-add is two floating-point operations."""
        return 2 * self.macs

    @property
    def connections_with_bias(self) -> int:
        """Multiply-adds plus bias additions: "connections" as LeCun et al. 1989 and 1998 count them."""
        return self.macs + self.bias_adds

    @property
    def training_ops(self) -> int:
        """Operations to train on one example: ~3 per connection (1 forward, 2 backward)."""
        return 3 * self.macs


@dataclasses.dataclass
class Audit:
    """The audit of one model.

    Attributes:
        name: the model's (or architecture's) name.
        input_shape: the input shape without the batch dimension.
        input_units: elements of one input example (LeNet 1989 counts them among its 1,256 units).
        rows: per-layer rows in execution order.
        totals: the inference path (input to the first output).
        auxiliary: layers off that path (auxiliary heads), or None when there are none.
        keras_params: Keras's own `count_params()` of the whole model.
        memory: parameter and activation memory (see `cnnapp.audit.memory`).
        architecture: the registry entry when the model is a registered architecture, else None.
        options: the builder options it was built with.
        depth: weight layers (conv and fully connected) on the longest path from the input to the first
            output: the papers' "8 layers" (AlexNet), "16 weight layers" (VGG-16), "22 layers" (GoogLeNet).
    """

    name: str
    input_shape: tuple
    input_units: int
    rows: list[LayerRow]
    totals: Totals
    auxiliary: Totals | None
    keras_params: int
    memory: Any = None
    architecture: Any = None
    options: dict = dataclasses.field(default_factory=dict)
    depth: int = 0


def depth(rows: list[LayerRow]) -> int:
    """Weight layers on the longest path to the first output: parallel branches (AlexNet's two towers, an
    inception module's four, a residual projection) count once, as the papers count their layers."""
    deep: dict[str, int] = {"input": 0}
    for row in rows:
        own = 1 if row.kind in (CONV, FC) and row.weights else 0
        deep[row.name] = own + max((deep.get(name, 0) for name in row.inputs), default=0)
    main = [r for r in rows if r.main_path]
    return deep[main[-1].name] if main else 0


def _params(layer) -> dict[str, int]:
    parts = {"weights": 0, "biases": 0, "other": 0, "state": 0, "trainable": 0}
    seen: set[int] = set()
    for variable in getattr(layer, "weights", ()):  # a raw keras.ops call in a functional graph has none
        if id(variable) in seen:
            continue
        seen.add(id(variable))
        size = math.prod(int(d) for d in variable.shape)
        parts[counting.variable_role(variable)] += size
        parts["trainable"] += size if variable.trainable else 0
    return parts


def _field(rf_in, stride_in, count: counting.Count):
    """Receptive field and cumulative stride after a layer, from its input's (None: the whole input)."""
    if count.is_global or rf_in is None:
        return None, None
    if count.window is None or len(count.window) != len(rf_in):
        return rf_in, stride_in
    rf = tuple(r + (k - 1) * j for r, k, j in zip(rf_in, count.window, stride_in, strict=True))
    return rf, tuple(j * s for j, s in zip(stride_in, count.strides, strict=True))


def _merge_fields(fields):
    """A layer reading several tensors sees the union of their fields: the largest, or all when any is all."""
    if not fields or any(rf is None for rf, _ in fields):
        return None, None
    rank = {len(rf) for rf, _ in fields}
    if len(rank) != 1:
        return None, None
    rf = tuple(map(max, zip(*(rf for rf, _ in fields), strict=True)))
    return rf, tuple(map(max, zip(*(s for _, s in fields), strict=True)))


def _main_path(g: graph.Graph) -> set[int]:
    """Indices of the calls the first output depends on."""
    producer = {t: i for i, call in enumerate(g.calls) for t in call.outputs}
    todo, seen = [g.outputs[0]], set()
    while todo:
        tensor = todo.pop()
        i = producer.get(tensor)
        if i is None or i in seen:
            continue
        seen.add(i)
        todo.extend(g.calls[i].inputs)
    return seen


def _total(rows: list[LayerRow]) -> Totals:
    t = Totals()
    for row in rows:
        t.layers += 1
        t.units += row.units
        t.weight_layer_units += row.units if row.kind in (CONV, FC) else 0
        t.activations += row.activations
        t.weights += row.weights
        t.biases += row.biases
        t.other += row.other
        t.state += row.state
        t.trainable += row.trainable
        t.macs += row.macs
        t.bias_adds += row.bias_adds
        if not row.counted:
            t.not_counted.append(row.name)
        kind = t.by_kind.setdefault(row.kind, {"units": 0, "weights": 0, "params": 0, "macs": 0})
        kind["units"] += row.units
        kind["weights"] += row.weights
        kind["params"] += row.params
        kind["macs"] += row.macs
    return t


def audit_model(model, *, name: str | None = None, batch_size: int = 1, optimizer: str = "momentum") -> Audit:
    """Audit a built Keras model (functional or Sequential, keras or tf_keras, nested models opened up).

    Args:
        model: the model; every input dimension but the batch must be known.
        name: name to report (default: the model's).
        batch_size: the batch size for the memory estimates.
        optimizer: the optimizer whose state the training memory includes (see `memory.OPTIMIZER_SLOTS`).
    """
    from cnnapp.audit import memory

    g = graph.flatten(model)
    for shape in g.input_shapes:
        if any(d is None for d in shape[1:]):
            raise CnnappError(
                f"model {model.name!r} has input shape {shape[1:]} with unknown sizes; build it with a fixed "
                f"input shape to audit it"
            )
    main = _main_path(g)
    fields: dict[int, tuple] = {}
    names: dict[int, str] = {}
    for tensor, shape in zip(g.inputs, g.input_shapes, strict=True):
        spatial = len(shape) - 2
        fields[tensor] = ((1,) * spatial, (1,) * spatial) if spatial > 0 else (None, None)
        names[tensor] = "input"
    rows: list[LayerRow] = []
    for i, call in enumerate(g.calls):
        c = counting.count(call.layer, call.input_shapes, call.output_shapes)
        parts = (
            _params(call.layer)
            if call.first_call
            else dict.fromkeys(("weights", "biases", "other", "state", "trainable"), 0)
        )
        rf, stride = _field(*_merge_fields([fields[t] for t in call.inputs]), c)
        for tensor in call.outputs:
            fields[tensor] = (rf, stride)
            names[tensor] = call.name
        rows.append(LayerRow(
            name=call.name, type=type(call.layer).__name__, kind=c.kind,
            output_shape=call.output_shapes[0][1:],
            units=c.units, activations=c.activations, weights=parts["weights"], biases=parts["biases"],
            other=parts["other"], state=parts["state"], trainable=parts["trainable"],
            macs=c.macs, bias_adds=c.bias_adds,
            receptive_field=rf, stride=stride, main_path=i in main, counted=c.counted,
            inputs=[names[t] for t in call.inputs], alias_at_inference=c.alias_at_inference,
        ))  # fmt: skip
    aux_rows = [r for r in rows if not r.main_path]
    result = Audit(
        name=name or model.name,
        input_shape=g.input_shapes[0][1:],
        input_units=sum(counting.elements(s) for s in g.input_shapes),
        rows=rows,
        totals=_total([r for r in rows if r.main_path]),
        auxiliary=_total(aux_rows) if aux_rows else None,
        keras_params=int(model.count_params()),
        depth=depth(rows),
    )
    result.memory = memory.estimate(result, batch_size=batch_size, optimizer=optimizer)
    return result


@contextlib.contextmanager
def shapes_only():
    """Within this context, Keras 3 models are built with variables that have shapes but no values.

        with audit.shapes_only():
            model = keras.applications.VGG19(weights=None)   # no 144M random draws
        audit.audit_model(model)                              # the model cannot be run, only audited

    The audit reads no weight values, and drawing VGG's 138M initial weights takes seconds. Keras keeps such
    variables in a global list and initializes the whole list when any later top-level StatelessScope exits
    (every symbolic op call opens one), so our variables are taken off that list again: they are never
    initialized, and a later build in the same process does not pay for them.
    """
    import keras

    from cnnapp import compat

    with compat.keep_uninitialized_variables(), keras.StatelessScope(initialize_variables=False):
        yield


def audit_architecture(name: str, *, batch_size: int = 1, optimizer: str = "momentum", **options) -> Audit:
    """Audit registered architecture `name`, built with `options` (its paper's input size by default)."""
    from cnnapp import models

    arch = models.get(name)
    module = options.get("keras_module")
    if module is None or module.__name__ == "keras":
        with shapes_only():
            model = models.build(name, **options)
    else:
        model = models.build(name, **options)
    result = audit_model(model, name=name, batch_size=batch_size, optimizer=optimizer)
    result.architecture = arch
    result.options = dict(options)
    return result
