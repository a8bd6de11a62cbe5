"""Where in the image a unit looks: receptive field size, cumulative stride and offset of every layer.

The audit (`cnnapp.audit`) gives each layer's field size and cumulative stride; to crop the patch a unit
sees, its position is needed too. Unit (i, j) of a layer sees input rows `offset + i·stride` to
`offset + i·stride + size − 1` (and the same for columns). The offset is ≤ 0 where padding puts the field
partly outside the image (rows < 0 are padding); `Field.box` clips it to the image.

Computed here, on the audit's flattened graph and with its per-layer window and stride (`counting.count`), so
sizes and strides are the audit's by construction; what is added is each layer's leading padding:
    "same" padding pads (ceil(n/s)−1)·s + k − n in total, floor half of it before (TensorFlow's rule);
    ZeroPadding2D shifts the field by its top/left padding, Cropping2D by its top/left crop.
A layer reading several tensors (concatenation, addition) sees the union of their fields.
"""

from __future__ import annotations

import dataclasses
import math

from cnnapp.audit import counting, graph
from cnnapp.errors import CnnappError


@dataclasses.dataclass(frozen=True)
class Field:
    """A layer's receptive field along its two spatial axes (rows, columns), in input pixels."""

    size: tuple[int, int]
    stride: tuple[int, int]
    offset: tuple[int, int]

    def span(self, row: int, col: int) -> tuple[int, int, int, int]:
        """(top, left, bottom, right) of unit (row, col)'s field, bottom/right exclusive, not clipped."""
        top = self.offset[0] + row * self.stride[0]
        left = self.offset[1] + col * self.stride[1]
        return top, left, top + self.size[0], left + self.size[1]

    def box(self, row: int, col: int, image_size: tuple[int, int]) -> tuple[int, int, int, int]:
        """`span` clipped to an image of `image_size` (height, width), for fields beyond the image."""
        top, left, bottom, right = self.span(row, col)
        height, width = image_size
        return max(top, 0), max(left, 0), min(bottom, height), min(right, width)


def _pair(value) -> tuple[int, int]:
    if isinstance(value, int):
        return value, value
    return int(value[0]), int(value[1])


def _leading_pad(layer, sizes: tuple[int, int], window, strides) -> tuple[int, int]:
    """Pixels of padding before the first row/column that `layer` adds to its input of spatial `sizes`."""
    padding = str(getattr(layer, "padding", "valid")).lower()
    if padding != "same":
        return 0, 0
    pads = []
    for n, k, s in zip(sizes, window, strides, strict=True):
        total = max((math.ceil(n / s) - 1) * s + k - n, 0)
        pads.append(total // 2)
    return pads[0], pads[1]


def _shift(layer) -> tuple[int, int] | None:
    """How far ZeroPadding2D (negative: padding) or Cropping2D (positive: crop) moves the first pixel."""
    name = type(layer).__name__
    if name == "ZeroPadding2D":
        (top, _), (left, _) = (_pair(p) for p in layer.padding)
        return -top, -left
    if name == "Cropping2D":
        (top, _), (left, _) = (_pair(c) for c in layer.cropping)
        return top, left
    return None


def _union(fields: list[Field | None]) -> Field | None:
    if not fields or any(f is None for f in fields):
        return None
    offset = tuple(min(f.offset[a] for f in fields) for a in (0, 1))
    end = tuple(max(f.offset[a] + f.size[a] for f in fields) for a in (0, 1))
    stride = tuple(max(f.stride[a] for f in fields) for a in (0, 1))
    return Field(size=(end[0] - offset[0], end[1] - offset[1]), stride=stride, offset=offset)


def receptive_fields(model) -> dict[str, Field | None]:
    """The field of every layer of `model` (by name; None once a unit sees the whole input).

    Args:
        model: a functional Keras model with one image input H×W×C (nested models are opened up, their
            layers named "outer/inner").
    """
    g = graph.flatten(model)
    if len(g.inputs) != 1 or len(g.input_shapes[0]) != 4:
        raise CnnappError("receptive fields need a model with one image input (height, width, channels)")
    fields: dict[int, Field | None] = {g.inputs[0]: Field((1, 1), (1, 1), (0, 0))}
    out: dict[str, Field | None] = {}
    for call in g.calls:
        field = _union([fields.get(t) for t in call.inputs])
        if field is not None:
            field = _through(call, field)
        for tensor in call.outputs:
            fields[tensor] = field
        out.setdefault(call.name, field)
    return out


def _through(call, field: Field) -> Field | None:
    shift = _shift(call.layer)
    if shift is not None:
        offset = tuple(o + d * j for o, d, j in zip(field.offset, shift, field.stride, strict=True))
        return dataclasses.replace(field, offset=offset)
    c = counting.count(call.layer, call.input_shapes, call.output_shapes)
    if c.is_global or len(call.output_shapes[0]) != 4:
        return None
    if c.window is None or len(c.window) != 2:
        return field
    sizes = tuple(int(d) for d in call.input_shapes[0][1:3])
    pad = _leading_pad(call.layer, sizes, c.window, c.strides)
    j = field.stride
    return Field(
        size=tuple(r + (k - 1) * s for r, k, s in zip(field.size, c.window, j, strict=True)),
        stride=tuple(s * t for s, t in zip(j, c.strides, strict=True)),
        offset=tuple(o - p * s for o, p, s in zip(field.offset, pad, j, strict=True)),
    )


def field_of(model, layer_name: str) -> Field:
    """The field of layer `layer_name`; an error when its units see the whole image."""
    fields = receptive_fields(model)
    if layer_name not in fields:
        raise CnnappError(f"model {model.name!r} has no layer {layer_name!r}")
    field = fields[layer_name]
    if field is None:
        spatial = [name for name, f in fields.items() if f is not None]
        raise CnnappError(
            f"the units of layer {layer_name!r} see the whole image (no spatial map); choose one of: "
            f"{', '.join(spatial)}"
        )
    return field
