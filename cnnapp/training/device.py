"""The device policy: which numeric precision and whether XLA, chosen for the hardware present.

On a CPU, float32 and no XLA: float16 has no fast kernels there and XLA measured 5× slower on this project's
CPU. On a GPU, mixed float16 (float32 variables, float16 compute on Tensor Cores; Keras's `fit` wraps the
optimizer in a `LossScaleOptimizer` so small float16 gradients do not underflow) and XLA, which fuses the
element-wise ops between convolutions. Both are overridable (recipe `train.precision` / `train.jit`, or the
CLI's `--precision` / `--jit`).
"""

from __future__ import annotations

import dataclasses

from cnnapp.choices import JIT_MODES, PRECISIONS
from cnnapp.errors import CnnappError, unknown


@dataclasses.dataclass(frozen=True)
class Device:
    """The chosen policy.

    Attributes:
        kind: "gpu" or "cpu" (what was found).
        count: how many of them (GPUs; 1 for the CPU).
        precision: the Keras dtype policy name ("float32", "mixed_float16", "mixed_bfloat16").
        jit: compile the train step with XLA (`jit_compile`).
    """

    kind: str
    count: int
    precision: str
    jit: bool

    def apply(self) -> None:
        """Set the global Keras dtype policy (before the model is built: layers take it at construction)."""
        import keras

        keras.mixed_precision.set_global_policy(self.precision)

    def describe(self) -> str:
        return f"{self.count} {self.kind.upper()}{'s' if self.count > 1 else ''}, {self.precision}" + (
            ", XLA" if self.jit else ""
        )


def choose(precision: str = "auto", jit: str | bool = "auto", gpus: int | None = None) -> Device:
    """The precision and compilation for this machine, with overrides.

    Args:
        precision: "auto" (float32 on CPU, mixed_float16 on GPU) or a Keras policy name.
        jit: "auto" (XLA on GPU only), "on"/"off" or a bool.
        gpus: the number of GPUs (default: as TensorFlow sees them); for tests of the GPU branch.
    """
    if precision not in PRECISIONS:
        raise unknown("precision", precision, PRECISIONS)
    if isinstance(jit, str) and jit not in JIT_MODES:
        raise unknown("jit mode", jit, JIT_MODES)
    if gpus is None:
        import tensorflow as tf

        gpus = len(tf.config.list_physical_devices("GPU"))
    on_gpu = gpus > 0
    if precision == "auto":
        precision = "mixed_float16" if on_gpu else "float32"
    use_jit = on_gpu if jit == "auto" else jit in ("on", True)
    if not isinstance(use_jit, bool):
        raise CnnappError(f"jit must be auto, on or off; got {jit!r}")
    return Device(
        kind="gpu" if on_gpu else "cpu", count=gpus if on_gpu else 1, precision=precision, jit=use_jit
    )
