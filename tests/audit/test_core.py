"""Totals tie out to Keras's own parameter count, for every registered architecture and for models we did
not write; auxiliary heads are kept apart; keras and tf_keras give the same audit. (Memory: test_memory.py;
the flattened graph: test_graph.py.)"""

import keras
import pytest

from cnnapp import models
from cnnapp.audit import audit_architecture, audit_model, shapes_only
from cnnapp.errors import CnnappError

NAMES = models.names()
# The deeper ResNets repeat resnet18/50/20's blocks (tied out here in the default run); their paper-size
# totals are pinned by test_golden.py in the default run too. Their small builds cost seconds each: `-m slow`.
DEEPER = {"resnet34", "resnet101", "resnet152", "resnet32", "resnet44", "resnet56", "resnet110"}
NAMES_DEEPER_SLOW = [pytest.param(n, marks=pytest.mark.slow) if n in DEEPER else n for n in NAMES]


def tie_out(result, model):
    t, aux = result.totals, result.auxiliary
    everything = t.params + (aux.params if aux else 0)
    assert everything == model.count_params() == result.keras_params
    assert t.params == t.weights + t.biases + t.other + t.state
    assert not t.not_counted, f"layers not counted: {t.not_counted}"


@pytest.mark.parametrize("name", NAMES_DEEPER_SLOW)
def test_every_architecture_ties_out_to_count_params(name):
    options = dict(models.get(name).small_options)
    model = models.build(name, **options)
    result = audit_model(model)
    tie_out(result, model)
    assert result.totals.macs > 0 and result.totals.units > 0
    trainable = sum(int(w.numpy().size) for w in model.trainable_weights)
    assert result.totals.trainable + (result.auxiliary.trainable if result.auxiliary else 0) == trainable


@pytest.mark.parametrize(
    "application", [keras.applications.VGG16, keras.applications.ResNet50, keras.applications.MobileNet]
)
def test_keras_applications_tie_out(application):
    model = application(weights=None, input_shape=(32, 32, 3), classes=10)
    tie_out(audit_model(model), model)


@pytest.mark.parametrize(
    "application, macs, params, tolerance",
    [
        # Howard et al. 2017, Table 8: MobileNet-224 1.0, 569 million mult-adds, 4.2 million parameters.
        (keras.applications.MobileNet, 569e6, 4.2e6, 0.005),
        # Sandler et al. 2018, Table 4: MobileNetV2 (width 1.0) 300M multiply-adds, 3.4M parameters.
        (keras.applications.MobileNetV2, 300e6, 3.4e6, 0.005),
        # Tan & Le 2019, Table 2: EfficientNet-B0 0.39B "FLOPS" (a multiply-add counted once), 5.3M params.
        (keras.applications.EfficientNetB0, 0.39e9, 5.3e6, 0.01),
    ],
    ids=["mobilenet", "mobilenetv2", "efficientnetb0"],
)
def test_models_we_did_not_write_match_their_papers(application, macs, params, tolerance):
    with shapes_only():
        model = application(weights=None)
    result = audit_model(model)
    tie_out(result, model)
    assert abs(result.totals.macs / macs - 1) < tolerance
    assert abs(result.totals.params / params - 1) < 0.05  # the papers round to 0.1M


def test_auxiliary_heads_are_reported_apart():
    x = keras.Input((16, 16, 3), name="image")
    y = keras.layers.Conv2D(8, 3, name="conv")(x)
    aux = keras.layers.GlobalAveragePooling2D(name="aux_pool")(y)
    aux = keras.layers.Dense(5, activation="softmax", name="aux1_predictions")(aux)
    z = keras.layers.Conv2D(8, 3, name="conv2")(y)
    z = keras.layers.GlobalAveragePooling2D(name="pool")(z)
    z = keras.layers.Dense(5, activation="softmax", name="predictions")(z)
    model = keras.Model(x, [z, aux])
    result = audit_model(model)
    assert [r.name for r in result.rows if not r.main_path] == ["aux_pool", "aux1_predictions"]
    assert result.auxiliary.params == 8 * 5 + 5
    assert result.auxiliary.macs == 14 * 14 * 8 + 8 * 5
    inference = audit_model(models.inference_model(model))
    assert inference.auxiliary is None
    assert inference.totals.macs == result.totals.macs and inference.totals.params == result.totals.params
    tie_out(result, model)


def test_googlenet_auxiliary_classifiers():
    model = models.build("googlenet", **models.get("googlenet").small_options)
    result = audit_model(model)
    aux_names = [r.name for r in result.rows if not r.main_path]
    assert "aux1_predictions" in aux_names and "aux2_predictions" in aux_names
    assert "predictions" not in aux_names
    assert result.totals.params == models.inference_model(model).count_params()
    tie_out(result, model)


@pytest.mark.parametrize("name", ["lenet5-paper", "alexnet", "resnet20"])
def test_tf_keras_twin_gives_the_same_audit(name):
    import tf_keras

    options = dict(models.get(name).small_options)
    ours = audit_model(models.build(name, **options))
    theirs = audit_model(models.build(name, keras_module=tf_keras, **options))
    fields = ("name", "units", "weights", "biases", "other", "state", "macs", "receptive_field", "main_path")
    assert [[getattr(r, f) for f in fields] for r in ours.rows] == [[getattr(r, f) for f in fields]
                                                                    for r in theirs.rows]  # fmt: skip


def test_a_trained_model_wrapped_behind_normalization_is_flattened():
    net = models.build("lenet5", num_classes=10)
    x = keras.Input((32, 32, 1), name="image")
    y = keras.layers.Normalization(mean=33.0, variance=78.0**2, name="normalization")(x)
    model = keras.Model(x, net(y))
    result = audit_model(model)
    plain = audit_model(net)
    assert result.rows[0].name == "normalization" and result.rows[1].name == "lenet5/C1"
    assert (result.totals.macs, result.totals.params, result.totals.units) == (
        plain.totals.macs, plain.totals.params, plain.totals.units)  # fmt: skip


def test_unknown_input_size_and_subclassed_models_are_clear_errors():
    with pytest.raises(CnnappError, match="unknown sizes"):
        audit_model(keras.applications.MobileNet(weights=None, include_top=False))

    class Net(keras.Model):
        def call(self, x):
            return x

    with pytest.raises(CnnappError, match="not a functional or built Sequential"):
        audit_model(Net())


def test_too_small_input_and_unknown_architecture():
    with pytest.raises(CnnappError, match="at least"):
        audit_architecture("lenet5", input_shape=(8, 8, 1))
    with pytest.raises(CnnappError, match="unknown architecture"):
        audit_architecture("lenet6")


def test_paper_size_audits_leave_no_variables_for_keras_to_initialize_later():
    from cnnapp import compat

    before = compat.uninitialized_variables()
    result = audit_architecture("alexnet")  # built with shapes only, 61M parameters never drawn
    assert result.totals.params == result.keras_params
    after = compat.uninitialized_variables()
    assert [id(v) for v in after] == [id(v) for v in before]
    models.build("linear")  # a later build still works
