"""Fast tier: the training core's parts — losses, weight decay, schedules, device policy, the model twin."""

import math

import keras
import numpy as np
import pytest
import tensorflow as tf
import tf_keras

from cnnapp import models
from cnnapp.recipes import load_recipe
from cnnapp.tasks import build_model
from cnnapp.training import device as devices
from cnnapp.training import setup
from cnnapp.training.schedules import PlateauCut, RecipeSchedule


def meta_for(architecture, input_shape=(32, 32, 3), **options):
    return {
        "architecture": architecture,
        "model_options": options,
        "input_shape": list(input_shape),
        "num_classes": 10,
        "normalization": {"mean": [120.0, 115.0, 100.0], "std": [60.0, 55.0, 50.0]},
    }


def crossentropy(probs, labels):
    return float(np.mean(-np.log(probs[np.arange(len(labels)), labels])))


def test_googlenet_total_loss_is_main_plus_03_aux_plus_l2():
    recipe = load_recipe("googlenet-cifar10", ["optimizer.ema=false"])
    meta = meta_for("googlenet", **recipe.model.options)
    model, inference = setup.build_models(meta, recipe)
    setup.compile_model(model, recipe, devices.choose("float32", "off", gpus=0), steps=10)
    assert model.output_names == ["predictions", "aux1_predictions", "aux2_predictions"]
    rng = np.random.default_rng(0)
    x = rng.uniform(0, 255, (4, 32, 32, 3)).astype("float32")
    y = np.array([0, 3, 7, 9])
    main, aux1, aux2 = (o.numpy() for o in model(x, training=False))
    kernels = [v for v in model.trainable_variables if v.regularizer is not None]
    assert len(kernels) > 50, "every conv and dense kernel is decayed"
    l2 = sum(recipe.optimizer.weight_decay / 2 * float(np.sum(np.square(v.numpy()))) for v in kernels)
    expected = crossentropy(main, y) + 0.3 * crossentropy(aux1, y) + 0.3 * crossentropy(aux2, y) + l2
    logs = model.evaluate(x, {n: y for n in model.output_names}, verbose=0, return_dict=True)
    assert logs["loss"] == pytest.approx(expected, rel=1e-4)
    assert l2 > 0.01 * expected, "the L2 term is really in the total"
    # The inference model shares the layers and has no auxiliary heads.
    assert len(inference.outputs) == 1
    np.testing.assert_allclose(inference(x, training=False).numpy(), main, rtol=1e-5, atol=1e-6)


def test_l2_decay_is_coupled_with_momentum():
    """One SGD step with the L2 term equals the paper's v ← m·v − λ·ε·w − ε·∂L/∂w, w ← w + v."""
    recipe = load_recipe("alexnet-cifar10", ["optimizer.weight_decay=0.1", "optimizer.lr=0.5"])
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2, use_bias=False, name="fc")])
    from cnnapp.training.optimizers import add_weight_decay, make_optimizer

    assert add_weight_decay(model, 0.1) == 1
    model.compile(make_optimizer(recipe.optimizer, 0.5), loss="mse")
    w0 = model.get_weights()[0].copy()
    x, y = np.ones((1, 3), "float32"), np.zeros((1, 2), "float32")
    model.train_on_batch(x, y)
    grad = 2 * (x.T @ (x @ w0)) / 2  # d/dw mean((xw)²) over 2 outputs
    np.testing.assert_allclose(model.get_weights()[0], w0 - 0.5 * (grad + 0.1 * w0), rtol=1e-5)


def schedule(recipe_overrides, steps=10, epochs=10):
    recipe = load_recipe("lenet5-digits", recipe_overrides + [f"train.epochs={epochs}"])
    return RecipeSchedule(recipe.optimizer.lr, recipe.schedule, steps, steps * epochs)


def test_step_cosine_and_warmup_schedules():
    s = schedule(["schedule.name=step", "schedule.step_size=3", "schedule.factor=0.5", "optimizer.lr=0.1"])
    assert [round(float(s(e * 10)), 6) for e in (0, 2, 3, 6)] == [0.1, 0.1, 0.05, 0.025]
    s = schedule(
        ["schedule.name=step", 'schedule.unit="steps"', "schedule.boundaries=[32, 48]", "optimizer.lr=0.1"]
    )
    assert [round(float(s(i)), 6) for i in (31, 32, 47, 48)] == [0.1, 0.01, 0.01, 0.001]
    s = schedule(["schedule.name=cosine", "optimizer.lr=0.1"])
    assert [float(s(i)) for i in (0, 50, 100)] == pytest.approx([0.1, 0.05, 0.0], rel=1e-6, abs=1e-8)
    s = schedule(["schedule.name=constant", "schedule.warmup=2", "optimizer.lr=0.1"])
    assert [float(s(i)) for i in (0, 10, 20)] == pytest.approx([0.001, 0.0505, 0.1], rel=1e-6)


def test_plateau_divides_by_10_after_patience_at_most_max_cuts_times():
    s = schedule(["schedule.name=plateau", "schedule.patience=2", "schedule.max_cuts=2", "optimizer.lr=0.1"])
    cut = PlateauCut(s)
    cut.set_model(type("M", (), {"optimizer": type("O", (), {"iterations": tf.constant(5)})()})())
    errors = [0.5, 0.4, 0.4, 0.45, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3]
    scales = []
    for epoch, error in enumerate(errors):
        cut.on_epoch_end(epoch, {"val_accuracy": 1 - error})
        scales.append(round(float(s.scale.numpy()), 6))
    assert scales == [1, 1, 1, 0.1, 0.1, 0.1, 0.01, 0.01, 0.01, 0.01]
    assert float(s(100)) == pytest.approx(0.001, rel=1e-6)
    state = cut.state()
    assert state["cuts"] == 2 and state["best"] == pytest.approx(0.3)
    other = PlateauCut(schedule(["schedule.name=plateau"]))
    other.restore(state)
    assert other.state() == state and float(other.schedule.scale.numpy()) == pytest.approx(0.01)


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


@pytest.mark.parametrize(
    "architecture, options", [("lenet5", {}), ("alexnet", {"fc_units": 16, "towers": 2})]
)
def test_run_model_is_one_flat_graph_with_a_tf_keras_twin(architecture, options):
    shape = (32, 32, 1) if architecture == "lenet5" else (67, 67, 3)
    meta = meta_for(architecture, shape, **options)
    if shape[-1] == 1:
        meta["normalization"] = {"mean": [30.0], "std": [50.0]}
    model = build_model(meta)
    assert model.layers[1].name == "normalization"
    assert not any(isinstance(layer, keras.Model) for layer in model.layers), "no nested model"
    twin = build_model(meta, tf_keras)
    twin.set_weights(model.get_weights())
    x = np.random.default_rng(1).uniform(0, 255, (2, *shape)).astype("float32")
    np.testing.assert_allclose(twin(x).numpy(), model(x).numpy(), rtol=1e-5, atol=1e-6)
    # The normalization layer computes (x − mean) / std, what the bare architecture expects.
    arch = models.build(architecture, input_shape=shape, num_classes=10, **options)
    arch.set_weights(model.get_weights())
    mean, std = np.array(meta["normalization"]["mean"]), np.array(meta["normalization"]["std"])
    np.testing.assert_allclose(arch((x - mean) / std).numpy(), model(x).numpy(), rtol=1e-4, atol=1e-6)
    assert math.isclose(float(model(x).numpy().sum()), 2.0, rel_tol=1e-5)
