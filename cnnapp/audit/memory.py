"""Memory at inference against memory in training: "train on a cluster, run on a phone".

- Parameter bytes: parameters × 4 (float32), 2 (float16) or 1 (int8; TFLite keeps biases in int32, which this
  simple figure leaves out).
- Inference: the inference path's parameters plus the peak of the activations alive at once in one forward
  pass, walking the layers in execution order: a tensor lives from the layer that writes it to the last layer
  that reads it (views and inference-time dropout share their input's buffer).
- Training: every parameter, its gradient (1× the trainable parameters), the optimizer's state (SGD 0×,
  SGD with momentum 1×, RMSProp 1×, Adam 2× the trainable parameters), and every activation of the forward
  pass kept for backprop (input included), times the batch size. Activations are counted at float32.
- Not counted: the framework's workspace — initializers' and the backward pass's temporaries, oneDNN scratch
  and reordered weight copies, the allocator's cached blocks. `python -m cnnapp.bench --sections memory`
  measures the gap per model (docs/bench.md: VGG-16's is well beyond 25%, ResNet-50's within a few %).
"""

from __future__ import annotations

import dataclasses

from cnnapp.errors import CnnappError, unknown

BYTES = {"float32": 4, "float16": 2, "int8": 1}
OPTIMIZER_SLOTS = {"sgd": 0, "momentum": 1, "rmsprop": 1, "adam": 2}
ACTIVATION_BYTES = 4


@dataclasses.dataclass
class Memory:
    """Memory estimates in bytes.

    Attributes:
        batch_size: examples per batch of the estimates below.
        optimizer: the optimizer whose state is included; optimizer_slots: its state per trainable parameter.
        parameter_bytes: the inference path's parameters at float32, float16 and int8.
        activation_bytes_per_example: every activation kept for backprop, one example, float32.
        peak_activation_bytes_per_example: the most activation memory alive at once in one forward pass.
        peak_layer: the layer at which that peak is reached.
        inference_bytes: float32 parameters + peak activations × batch.
        training_parameter_bytes, gradient_bytes, optimizer_bytes, training_activation_bytes: the parts of
            training_bytes (the whole network's parameters, auxiliary heads included).
    """

    batch_size: int
    optimizer: str
    optimizer_slots: int
    parameter_bytes: dict[str, int]
    activation_bytes_per_example: int
    peak_activation_bytes_per_example: int
    peak_layer: str
    inference_bytes: int
    training_parameter_bytes: int
    gradient_bytes: int
    optimizer_bytes: int
    training_activation_bytes: int

    @property
    def training_bytes(self) -> int:
        return (self.training_parameter_bytes + self.gradient_bytes + self.optimizer_bytes
                + self.training_activation_bytes)  # fmt: skip


def peak_live(audit) -> tuple[int, str]:
    """Peak elements alive at once in a forward pass of the inference path, and the layer where it occurs."""
    rows = [r for r in audit.rows if r.main_path]
    buffer_of: dict[str, str] = {"input": "input"}
    size: dict[str, int] = {"input": audit.input_units}
    born: dict[str, int] = {"input": -1}
    last_use: dict[str, int] = {"input": -1}
    for step, row in enumerate(rows):
        read = [buffer_of.get(name, name) for name in row.inputs]
        for buffer in read:
            last_use[buffer] = step
        if row.alias_at_inference and read:
            buffer_of[row.name] = read[0]
            last_use[read[0]] = step
            continue
        buffer_of[row.name] = row.name
        size[row.name] = row.activations
        born[row.name] = step
        last_use[row.name] = step
    if rows:  # the output stays alive until the end
        last_use[buffer_of[rows[-1].name]] = len(rows)
    peak, where = audit.input_units, "input"
    for step, row in enumerate(rows):
        live = sum(size[b] for b in size if born[b] <= step <= last_use[b])
        if live > peak:
            peak, where = live, row.name
    return peak, where


def estimate(audit, batch_size: int = 1, optimizer: str = "momentum") -> Memory:
    """Memory of `audit`'s model at inference and in training, at `batch_size`, training with `optimizer`."""
    if not isinstance(batch_size, int) or batch_size < 1:
        raise CnnappError(f"batch size must be a positive integer; got {batch_size!r}")
    if optimizer not in OPTIMIZER_SLOTS:
        raise unknown("optimizer", optimizer, OPTIMIZER_SLOTS)
    params = audit.totals.params
    every_param = params + (audit.auxiliary.params if audit.auxiliary else 0)
    trainable = audit.totals.trainable + (audit.auxiliary.trainable if audit.auxiliary else 0)
    peak, where = peak_live(audit)
    kept = audit.input_units + sum(r.activations for r in audit.rows)
    slots = OPTIMIZER_SLOTS[optimizer]
    return Memory(
        batch_size=batch_size,
        optimizer=optimizer,
        optimizer_slots=slots,
        parameter_bytes={dtype: params * n for dtype, n in BYTES.items()},
        activation_bytes_per_example=kept * ACTIVATION_BYTES,
        peak_activation_bytes_per_example=peak * ACTIVATION_BYTES,
        peak_layer=where,
        inference_bytes=params * BYTES["float32"] + peak * ACTIVATION_BYTES * batch_size,
        training_parameter_bytes=every_param * BYTES["float32"],
        gradient_bytes=trainable * BYTES["float32"],
        optimizer_bytes=slots * trainable * BYTES["float32"],
        training_activation_bytes=kept * ACTIVATION_BYTES * batch_size,
    )
