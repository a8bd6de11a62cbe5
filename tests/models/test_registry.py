"""Fast tier: every registered architecture, checked the same way.

Each architecture's `small_options` give a quick build; paper-size builds are only constructed (not run) to
pin their parameter counts against the published numbers cited in the registry (`params_source`).
"""

import functools
import json
import subprocess
import sys
import textwrap

import numpy as np
import pytest
import tensorflow as tf
import tf_keras

from cnnapp import models
from cnnapp.audit import shapes_only
from cnnapp.errors import CnnappError

NAMES = models.names()
# The gradients, the twin, the too-small input and the fresh-process reload cost seconds per architecture. The
# default run covers every builder module and layer kind; the deeper ResNets and VGGs repeat the same blocks
# (built by the same function with another depth) and run with `-m slow`.
SAME_BLOCKS_DEEPER = {
    *("vgg13", "vgg19"),
    *("resnet34", "resnet101", "resnet152", "resnet32", "resnet44", "resnet56", "resnet110"),
}
NAMES_DEEPER_SLOW = [pytest.param(n, marks=pytest.mark.slow) if n in SAME_BLOCKS_DEEPER else n for n in NAMES]
# What a fresh process must find registered: cnnapp's custom layers (untied biases and the fan-in init; scaled
# tanh, trainable subsampling, the partial connection table; LRN and the two towers; option-A shortcuts).
# The other architectures are Keras's own layers, which Keras reloads itself: `-m slow`.
CUSTOM_LAYERS = ["lenet1989", "lenet5-paper", "alexnet", "resnet20"]
# The LeNets' own layers (untied biases, trainable subsampling, partial table) in their tf_keras twins too.
TWIN_CUSTOM_LAYERS = ["lenet5-paper", "lenet1989"]


def small(name, **extra):
    if not extra:
        return _small_shared(name)
    arch = models.get(name)
    return models.build(name, **{**arch.small_options, **extra})


@functools.cache
def _small_shared(name):
    """One small build per architecture for the tests that only run it (build time dominates them)."""
    arch = models.get(name)
    return models.build(name, **arch.small_options)


def batch_for(model, n=2, seed=0):
    shape = (n, *model.input_shape[1:])
    return np.random.default_rng(seed).normal(size=shape).astype("float32")


@pytest.mark.parametrize("name", NAMES_DEEPER_SLOW)
def test_small_build_outputs_and_gradients(name):
    model = small(name)
    x = batch_for(model)
    num_classes = models.get(name).small_options.get("num_classes", models.get(name).num_classes)
    with tf.GradientTape() as tape:
        outputs = model(x, training=True)
        outputs = outputs if isinstance(outputs, list | tuple) else [outputs]
        loss = sum(tf.reduce_sum(tf.math.log(o + 1e-7) * np.arange(1, num_classes + 1)) for o in outputs)
    main = outputs[0].numpy()
    assert main.shape == (2, num_classes)
    assert np.isfinite(main).all()
    np.testing.assert_allclose(main.sum(axis=1), 1.0, rtol=1e-4)
    grads = tape.gradient(loss, model.trainable_weights)
    missing = [w.path for w, g in zip(model.trainable_weights, grads, strict=True) if g is None]
    assert not missing, f"no gradient reaches {missing}"
    dead = [w.path for w, g in zip(model.trainable_weights, grads, strict=True) if not np.any(g.numpy())]
    assert not dead, f"zero gradient for {dead}"


@pytest.mark.parametrize("name", NAMES)
def test_paper_size_parameter_count(name):
    arch = models.get(name)
    if arch.published_params is None:
        pytest.skip(f"{name}: no published parameter count")
    with shapes_only():  # a count needs shapes, not VGG's 138M random draws
        model = models.inference_model(models.build(name))
    assert model.input_shape[1:] == arch.input_shape
    assert model.output_shape[-1] == arch.num_classes
    assert model.count_params() == arch.published_params, arch.params_source


@pytest.mark.parametrize("name", NAMES_DEEPER_SLOW)
def test_tf_keras_twin_gives_the_same_outputs(name):
    import tf_keras

    model = small(name)
    twin = small(name, keras_module=tf_keras)
    assert isinstance(twin, tf_keras.Model)
    assert [w.shape for w in twin.get_weights()] == [w.shape for w in model.get_weights()]
    twin.set_weights(model.get_weights())
    x = batch_for(model)
    ours, theirs = model(x, training=False), twin(x, training=False)
    ours = ours if isinstance(ours, list | tuple) else [ours]
    theirs = theirs if isinstance(theirs, list | tuple) else [theirs]
    for a, b in zip(ours, theirs, strict=True):
        np.testing.assert_allclose(np.asarray(a), np.asarray(b), atol=1e-5)


@pytest.mark.parametrize(
    "names",
    [
        pytest.param(CUSTOM_LAYERS, id="custom-layers"),
        pytest.param([n for n in NAMES if n not in CUSTOM_LAYERS], id="keras-layers", marks=pytest.mark.slow),
    ],
)
def test_save_and_load_in_a_fresh_process(names, tmp_path):
    """`.keras` files load in a process that only imported cnnapp.models; with the custom layers, so do the
    tf_keras twins the export stage saves for tfmot (`layers.register_tf_keras`), in the same process."""
    expected = {}
    for name in names:
        model = small(name)
        x = batch_for(model)
        model.save(tmp_path / f"{name}.keras")
        np.save(tmp_path / f"{name}.x.npy", x)
        out = model(x, training=False)
        np.save(tmp_path / f"{name}.y.npy", np.asarray(out[0] if isinstance(out, list | tuple) else out))
        expected[name] = True
    twins = [n for n in TWIN_CUSTOM_LAYERS if n in names]
    for name in twins:
        model = models.build(name, keras_module=tf_keras)
        x = batch_for(model)
        model.save(tmp_path / f"{name}.twin.keras")
        np.save(tmp_path / f"{name}.twin.x.npy", x)
        np.save(tmp_path / f"{name}.twin.y.npy", model(x).numpy())
    script = textwrap.dedent(
        f"""
        import json, sys
        import numpy as np
        from cnnapp import models
        worst = {{}}
        for name in {json.dumps(list(expected))}:
            model = models.load(r"{tmp_path}/" + name + ".keras")
            x = np.load(r"{tmp_path}/" + name + ".x.npy")
            y = np.load(r"{tmp_path}/" + name + ".y.npy")
            out = model(x, training=False)
            out = out[0] if isinstance(out, (list, tuple)) else out
            worst[name] = float(np.abs(np.asarray(out) - y).max())
        if {json.dumps(twins)}:
            import tf_keras
            from cnnapp.models import layers
            layers.register_tf_keras()
        for name in {json.dumps(twins)}:
            model = tf_keras.models.load_model(r"{tmp_path}/" + name + ".twin.keras")
            y = model(np.load(r"{tmp_path}/" + name + ".twin.x.npy")).numpy()
            worst[name + " twin"] = float(np.abs(y - np.load(r"{tmp_path}/" + name + ".twin.y.npy")).max())
        print(json.dumps(worst))
        """
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    worst = json.loads(result.stdout.strip().splitlines()[-1])
    assert worst == {name: 0.0 for name in [*expected, *(f"{n} twin" for n in twins)]}
    assert names != CUSTOM_LAYERS or len(twins) == len(TWIN_CUSTOM_LAYERS)


def test_unknown_name_lists_the_valid_ones():
    with pytest.raises(CnnappError, match="valid architectures: .*linear"):
        models.build("lenet-6")


@pytest.mark.parametrize("name", NAMES)
def test_num_classes_below_one_is_refused(name):
    with pytest.raises(CnnappError, match="num_classes must be a positive integer"):
        small(name, num_classes=0)


@pytest.mark.parametrize("name", NAMES_DEEPER_SLOW)
def test_too_small_input_names_the_minimum(name):
    arch = models.get(name)
    channels = arch.input_shape[-1]
    try:
        models.build(name, **{**arch.small_options, "input_shape": (1, 1, channels)})
    except CnnappError as error:
        assert "needs inputs of at least" in str(error)
        assert "\n" not in str(error)
    else:
        pytest.skip(f"{name} takes any input size")


def test_unknown_option_lists_the_valid_ones():
    with pytest.raises(CnnappError, match="its options: .*input_shape"):
        models.build("linear", depth=3)


def test_unknown_initializer_lists_the_valid_ones():
    with pytest.raises(CnnappError, match="valid initializers: glorot, he, lecun, paper"):
        models.build("linear", init="xavier2")
