"""A Keras model as a flat list of layer calls in execution order, with nested models opened up.

cnnapp's own models are flat (a run's checkpoint is one graph: `normalization`, then the architecture's
layers), but users nest Sequential blocks or whole models inside functional models, as Keras's
transfer-learning recipes do; the audit wants the real layers, so a nested model is replaced by its own graph,
wired to the outer tensors. Works for Keras 3 and tf_keras models, which keep their graphs in different
private attributes (read through `cnnapp.compat`) and nodes (`node.operation`/`input_tensors` against
`node.layer`/`keras_inputs`).
"""

from __future__ import annotations

import dataclasses
from typing import Any

from cnnapp import compat
from cnnapp.errors import CnnappError


@dataclasses.dataclass
class Call:
    """One call of a layer in the flattened graph.

    Attributes:
        layer: the Keras layer (or operation) called.
        name: its name, prefixed by the names of the models it is nested in ("alexnet/conv1").
        inputs: ids of the tensors it reads (ids into `Graph.producer`).
        outputs: ids of the tensors it writes.
        input_shapes: shapes of its inputs, batch dimension included (None).
        output_shapes: shapes of its outputs.
        first_call: False when the layer was already called earlier (shared weights are counted once).
    """

    layer: Any
    name: str
    inputs: list[int]
    outputs: list[int]
    input_shapes: list[tuple]
    output_shapes: list[tuple]
    first_call: bool = True


@dataclasses.dataclass
class Graph:
    """The flattened graph: calls in execution order, and the model's input and output tensor ids."""

    calls: list[Call]
    inputs: list[int]
    outputs: list[int]
    input_shapes: list[tuple]


def _flat(structure) -> list:
    """The tensors of a node's (possibly nested) outputs: `keras.tree`, so the audit needs no TensorFlow."""
    import keras

    return keras.tree.flatten(structure)


def _shape(tensor) -> tuple:
    return tuple(None if d is None else int(d) for d in tuple(tensor.shape))


def _node_parts(node):
    """(layer, input tensors, output tensors) of a node of either Keras."""
    if hasattr(node, "operation"):  # Keras 3
        return node.operation, list(node.input_tensors), _flat(node.outputs)
    return node.layer, list(node.keras_inputs), _flat(node.outputs)


def _is_input(layer) -> bool:
    return type(layer).__name__ == "InputLayer"


def flatten(model) -> Graph:
    """Flatten `model` (functional or Sequential, of keras or tf_keras) into its layer calls.

    Raises:
        CnnappError: for a subclassed model, whose graph Keras does not record.
    """
    graph = compat.graph_of(model)
    if graph is None:
        raise CnnappError(
            f"model {getattr(model, 'name', model)!r} is not a functional or built Sequential Keras model "
            f"(build it with keras.Input so its layer graph is known)"
        )
    calls: list[Call] = []
    seen_layers: set[int] = set()
    shapes: dict[int, tuple] = {}
    inputs = [id(t) for t in _flat(graph.inputs)]
    for tensor in _flat(graph.inputs):
        shapes[id(tensor)] = _shape(tensor)
    outputs = _walk(graph, {i: i for i in inputs}, "", calls, seen_layers, shapes)
    return Graph(calls, inputs, outputs, [shapes[i] for i in inputs])


def _walk(graph, mapping: dict[int, int], prefix: str, calls, seen_layers, shapes) -> list[int]:
    """Append the calls of `graph` with its input tensors mapped by `mapping`; return its mapped outputs."""
    by_depth = compat.nodes_by_depth(graph)
    for depth in sorted(by_depth, reverse=True):
        for node in by_depth[depth]:
            layer, node_inputs, node_outputs = _node_parts(node)
            if layer is None or _is_input(layer) or not node_inputs:
                continue
            if any(id(t) not in mapping for t in node_inputs):
                continue  # a node of another graph this layer was also called in
            ins = [mapping[id(t)] for t in node_inputs]
            name = f"{prefix}{layer.name}"
            inner = compat.graph_of(layer) if layer is not graph else None
            if inner is not None:
                inner_inputs = _flat(inner.inputs)
                inner_map = {id(t): outer for t, outer in zip(inner_inputs, ins, strict=True)}
                inner_outs = _walk(inner, inner_map, f"{name}/", calls, seen_layers, shapes)
                for tensor, produced in zip(node_outputs, inner_outs, strict=True):
                    mapping[id(tensor)] = produced
                continue
            outs = [id(t) for t in node_outputs]
            for tensor in node_outputs:
                mapping[id(tensor)] = id(tensor)
                shapes[id(tensor)] = _shape(tensor)
            first = id(layer) not in seen_layers
            seen_layers.add(id(layer))
            if not first:
                name = f"{name}#{sum(c.layer is layer for c in calls) + 1}"
            calls.append(
                Call(layer, name, ins, outs, [shapes[i] for i in ins], [shapes[o] for o in outs], first)
            )
    return [mapping[id(t)] for t in _flat(graph.outputs)]
