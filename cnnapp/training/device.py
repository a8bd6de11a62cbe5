"""The device policy: which numeric precision and whether XLA, chosen for the hardware present.

On a CPU, no XLA (it measured 5× slower on this project's CPU), and the precision chosen by measurement:
mixed bfloat16 only where a short probe finds it faster than float32, cached per machine
(`cnnapp.training.precision`; no loss scaling: bfloat16 has float32's exponent range); float16 has no fast
kernels there. On a GPU, mixed float16 (float32 variables, float16 compute on Tensor Cores; Keras's `fit`
wraps the optimizer in a `LossScaleOptimizer` so small float16 gradients do not underflow) and XLA, which
fuses the element-wise ops between convolutions. Both are overridable (recipe `train.precision` /
`train.jit`, or the CLI's `--precision` / `--jit`).
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
        reason: why this precision (the probe's timings when `auto` chose it on a CPU).
    """

    kind: str
    count: int
    precision: str
    jit: bool
    reason: str = ""

    def apply(self) -> None:
        """Set the global Keras dtype policy (before the model is built: layers take it at construction)."""
        import keras

        keras.mixed_precision.set_global_policy(self.precision)

    def describe(self) -> str:
        return f"{self.count} {self.kind.upper()}{'s' if self.count > 1 else ''}, {self.precision}" + (
            ", XLA" if self.jit else ""
        )


def choose(
    precision: str = "auto", jit: str | bool = "auto", gpus: int | None = None, cpu_precision=None
) -> Device:
    """The precision and compilation for this machine, with overrides.

    Args:
        precision: "auto" (on a CPU the probe's choice, float32 or mixed_bfloat16; mixed_float16 on a GPU)
            or a Keras policy name.
        jit: "auto" (XLA on GPU only), "on"/"off" or a bool.
        gpus: the number of GPUs (default: as TensorFlow sees them); for tests of the GPU branch.
        cpu_precision: () → {"precision", "reason"}, `auto` on a CPU (default: the cached probe,
            `cnnapp.training.precision.cpu_auto_precision`); for tests.
    """
    if precision not in PRECISIONS:
        raise unknown("precision", precision, PRECISIONS)
    if isinstance(jit, str) and jit not in JIT_MODES:
        raise unknown("jit mode", jit, JIT_MODES)
    if gpus is None:
        import tensorflow as tf

        gpus = len(tf.config.list_physical_devices("GPU"))
    on_gpu = gpus > 0
    reason = f"{precision} as given (recipe train.precision or --precision)"
    if precision == "auto" and on_gpu:
        precision, reason = "mixed_float16", "a GPU: float16 Tensor Cores, with loss scaling"
    elif precision == "auto":
        from cnnapp.training.precision import cpu_auto_precision

        choice = (cpu_precision or cpu_auto_precision)()
        precision, reason = choice["precision"], choice["reason"]
    use_jit = on_gpu if jit == "auto" else jit in ("on", True)
    if not isinstance(use_jit, bool):
        raise CnnappError(f"jit must be auto, on or off; got {jit!r}")
    return Device(
        kind="gpu" if on_gpu else "cpu",
        count=gpus if on_gpu else 1,
        precision=precision,
        jit=use_jit,
        reason=reason,
    )
