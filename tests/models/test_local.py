"""The locally connected layer: the maths against a loop, the keras and tf_keras classes agree, a save/load
round trip, its parameter count, and a TFLite export with builtin ops only that computes the same."""

import numpy as np
import pytest

from cnnapp.models.local import locally_connected_layer, patch_kernel


def reference(x, kernel, bias, size, stride):
    n, h, w, _ = x.shape
    oh, ow = (h - size) // stride + 1, (w - size) // stride + 1
    out = np.zeros((n, oh, ow, kernel.shape[-1]), "float32")
    for i in range(oh):
        for j in range(ow):
            patch = x[:, i * stride : i * stride + size, j * stride : j * stride + size, :].reshape(n, -1)
            out[:, i, j, :] = patch @ kernel[i, j] + bias[i, j]
    return out


def _model(K, shape=(7, 6, 2), filters=3, size=3, stride=2):
    inputs = K.Input(shape)
    layer = locally_connected_layer(K)(
        filters, size, strides=stride, bias_initializer="glorot_uniform", name="lc"
    )
    return K.Model(inputs, layer(inputs)), layer


def test_patch_kernel_is_one_hot_in_row_column_channel_order():
    kernel = patch_kernel(2, 3)
    assert kernel.shape == (2, 2, 3, 12) and kernel.sum() == 12
    assert kernel[1, 0, 2, 1 * 2 * 3 + 0 * 3 + 2] == 1.0


@pytest.mark.parametrize("module", ["keras", "tf_keras"])
def test_matches_the_loop_and_counts_unshared_weights(module):
    K = pytest.importorskip(module)
    model, layer = _model(K)
    x = np.random.default_rng(0).normal(size=(2, 7, 6, 2)).astype("float32")
    kernel, bias = (np.asarray(v) for v in layer.get_weights())
    assert kernel.shape == (3, 2, 3 * 3 * 2, 3)  # (7 − 3)/2 + 1 = 3 rows, (6 − 3)/2 + 1 = 2 columns
    np.testing.assert_allclose(model.predict(x, verbose=0), reference(x, kernel, bias, 3, 2), atol=1e-5)
    assert model.count_params() == 3 * 2 * (3 * 3 * 2 * 3 + 3)


def test_saves_and_loads(tmp_path):
    import keras

    model, _ = _model(keras)
    path = tmp_path / "lc.keras"
    model.save(path)
    x = np.ones((1, 7, 6, 2), "float32")
    np.testing.assert_allclose(
        keras.models.load_model(path).predict(x, verbose=0), model.predict(x, verbose=0)
    )


def test_audit_counts_it_as_unshared():
    from cnnapp import audit

    model, _ = _model(__import__("keras"))
    row = next(r for r in audit.audit_model(model).rows if r.name == "lc")
    assert (row.units, row.weights, row.macs) == (3 * 2 * 3, 3 * 2 * 18 * 3, 3 * 2 * 3 * 18)
    assert row.receptive_field == (3, 3)


def test_exports_with_builtin_ops_and_computes_the_same():
    import keras

    from cnnapp.deploy import converter, runtime

    model, _ = _model(keras)
    content = converter.convert(model, "float32")
    ops = runtime.op_summary(content)["ops"]
    assert "FlexExtractImagePatches" not in ops and not any(op.startswith("Flex") for op in ops), ops
    from ai_edge_litert.interpreter import Interpreter

    interp = Interpreter(model_content=content)
    interp.allocate_tensors()
    x = np.random.default_rng(1).normal(size=(1, 7, 6, 2)).astype("float32")
    interp.set_tensor(interp.get_input_details()[0]["index"], x)
    interp.invoke()
    got = interp.get_tensor(interp.get_output_details()[0]["index"])
    np.testing.assert_allclose(got, model.predict(x, verbose=0), atol=1e-5)
