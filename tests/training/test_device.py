"""Fast tier: the device policy — precision and XLA by device kind, and the mixed-precision policies."""

import keras
import pytest

from cnnapp.recipes import load_recipe
from cnnapp.training import device as devices
from cnnapp.training import setup
from tests.fixtures import meta_for


def test_device_policy():
    cpu = devices.choose(gpus=0)  # the suite's auto on a CPU is float32 (conftest); the probe: test_precision
    assert (cpu.precision, cpu.jit) == ("float32", False)
    faster = {"precision": "mixed_bfloat16", "reason": "probe: faster"}
    assert devices.choose(gpus=0, cpu_precision=lambda: faster).precision == "mixed_bfloat16"
    assert devices.choose(gpus=1, cpu_precision=lambda: faster).precision == "mixed_float16"
    gpu = devices.choose(gpus=2)
    assert (gpu.precision, gpu.jit, gpu.count) == ("mixed_float16", True, 2)
    assert devices.choose("float32", "off", gpus=1).precision == "float32"
    assert devices.choose(jit="on", gpus=0).jit is True
    with pytest.raises(Exception, match="unknown precision 'fp8'"):
        devices.choose("fp8")


@pytest.mark.parametrize("precision, gpus", [("mixed_float16", 1), ("mixed_bfloat16", 0)])
def test_mixed_precision_policies(precision, gpus):
    """float16 gets loss scaling (its small gradients underflow); bfloat16 has float32's exponent range and
    needs none. Both keep float32 variables and float32 outputs (the softmax and the loss)."""
    recipe = load_recipe("lenet5-digits")
    device = devices.choose(precision, "off", gpus=gpus)
    try:
        device.apply()
        model, _ = setup.build_models(
            meta_for("lenet5", (32, 32, 1)) | {"normalization": {"mean": [0.0], "std": [1.0]}}, recipe
        )
        setup.compile_model(model, recipe, device, steps=5)
        scaled = isinstance(model.optimizer, keras.optimizers.LossScaleOptimizer)
        assert scaled == (precision == "mixed_float16")
        assert model.outputs[0].dtype == "float32"
        assert {v.dtype for v in model.trainable_variables} == {"float32"}
        convolutions = [layer for layer in model.layers if isinstance(layer, keras.layers.Conv2D)]
        assert convolutions and {c.compute_dtype for c in convolutions} == {precision[len("mixed_") :]}
    finally:
        keras.mixed_precision.set_global_policy("float32")
