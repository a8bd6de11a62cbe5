"""Fast tier: every private API behind cnnapp.compat still exists in the installed libraries and does its job.

An upgrade of TensorFlow, Keras or LiteRT that renames or removes one fails here, by name. What each private
name is used for is tested elsewhere too (per-tensor scales: tests/deploy/test_converter.py; the op table:
tests/models; Polyak averages: tests/training/test_polyak.py; the graph walk: tests/audit).
"""

from pathlib import Path

import keras
import numpy as np
import pytest
import tensorflow as tf
import tf_keras

from cnnapp import compat

ROOT = Path(__file__).resolve().parents[1]


def _tiny(module=keras):
    inputs = module.Input((4,), name="image")
    return module.Model(inputs, module.layers.Dense(2, name="predictions")(inputs))


def test_a_missing_private_name_is_an_error_not_a_silent_no_op():
    with pytest.raises(compat.PrivateApiMissing, match="_experimental_disable_per_channel"):
        compat.set_per_tensor_weights(object(), True)
    with pytest.raises(compat.PrivateApiMissing, match="_get_ops_details"):
        compat.ops_details(object())
    with pytest.raises(compat.PrivateApiMissing, match="_model_variables_moving_average"):
        compat.ema_slots(keras.optimizers.SGD())  # no averages without use_ema
    with pytest.raises(compat.PrivateApiMissing, match="_nodes_by_depth"):
        compat.nodes_by_depth(keras.layers.Dense(2))


def test_the_converter_still_has_its_per_channel_switch():
    converter = tf.lite.TFLiteConverter.from_keras_model(_tiny())
    assert converter._experimental_disable_per_channel is False  # the converter's own default
    compat.set_per_tensor_weights(converter, True)
    assert converter._experimental_disable_per_channel is True


def test_the_interpreter_still_lists_its_ops():
    from ai_edge_litert.interpreter import Interpreter

    interpreter = Interpreter(model_path=str(ROOT / "export" / "lenet5-digits" / "int8.tflite"))
    interpreter.allocate_tensors()
    ops = compat.ops_details(interpreter)
    assert {"CONV_2D", "FULLY_CONNECTED"} <= {op["op_name"] for op in ops}
    assert all({"index", "op_name", "operand_types", "result_types"} <= set(op) for op in ops)


def test_a_tflite_file_still_reads_into_an_object_tree_and_writes_back_unchanged():
    content = (ROOT / "export" / "lenet5-digits" / "int8.tflite").read_bytes()
    model = compat.read_tflite(content)
    assert model.subgraphs[0].operators and model.subgraphs[0].tensors
    again = compat.write_tflite(compat.read_tflite(compat.write_tflite(model)))
    assert again == compat.write_tflite(model)  # a round trip is stable: the edits are all the export changes


def test_the_optimizer_still_keeps_its_averages_beside_its_variables():
    model = _tiny()
    optimizer = keras.optimizers.SGD(0.5, use_ema=True, ema_momentum=0.5)
    optimizer.build(model.trainable_variables)
    variables, averages = compat.ema_slots(optimizer)
    assert [v.path for v in variables] == [v.path for v in model.trainable_variables]
    assert [a.shape for a in averages] == [v.shape for v in variables]
    # Two steps of gradient 1: w₁ = w₀ − 0.5, w₂ = w₀ − 1; the average starts at w₁ (Keras's first step)
    # and moves half-way to w₂: w₀ − 0.75.
    start = [v.numpy() for v in variables]
    for _ in range(2):
        optimizer.apply([tf.ones_like(v) for v in variables])
    for average, w0 in zip(averages, start, strict=True):
        np.testing.assert_allclose(average.numpy(), w0 - 0.75, rtol=1e-6)


@pytest.mark.parametrize("kind", ["keras-functional", "keras-sequential", "tf_keras-functional"])
def test_both_kerases_still_keep_their_call_graphs_where_the_audit_reads_them(kind):
    if kind == "keras-sequential":
        model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2)])
    else:
        model = _tiny(tf_keras if kind.startswith("tf_keras") else keras)
    graph = compat.graph_of(model)
    assert graph is not None
    nodes = compat.nodes_by_depth(graph)
    assert sorted(nodes) == [0, 1]  # depth 0: the Dense layer's call, depth 1: the input
    assert compat.graph_of(keras.layers.Dense(2)) is None
    assert compat.graph_of(tf_keras.layers.Dense(2)) is None


def test_keras_still_lists_the_variables_a_stateless_scope_left_uninitialized():
    with compat.keep_uninitialized_variables():
        before = compat.uninitialized_variables()
        with keras.StatelessScope(initialize_variables=False):
            variable = keras.Variable(keras.initializers.Zeros(), shape=(3,))
        assert [id(v) for v in compat.uninitialized_variables()] == [*map(id, before), id(variable)]
    assert [id(v) for v in compat.uninitialized_variables()] == [id(v) for v in before]


def test_the_converter_still_stops_after_calibration_and_quantizes_the_calibrated_graph():
    model = _tiny()
    converter = tf.lite.TFLiteConverter.from_keras_model(model)
    converter.optimizations = [tf.lite.Optimize.DEFAULT]
    converter.representative_dataset = lambda: ([np.full((1, 4), v, np.float32)] for v in (-1.0, 1.0))
    compat.set_calibrate_only(converter)
    calibrated = converter.convert()
    quantized = compat.quantize_calibrated_graph(calibrated, False, tf.uint8)
    from ai_edge_litert.interpreter import Interpreter

    interpreter = Interpreter(model_content=quantized)
    assert interpreter.get_input_details()[0]["dtype"] == np.uint8
    assert interpreter.get_output_details()[0]["dtype"] == np.uint8
    with pytest.raises(compat.PrivateApiMissing, match="_experimental_calibrate_only"):
        compat.set_calibrate_only(object())


def test_mediapipes_metadata_writer_still_keeps_its_general_metadata():
    from mediapipe.tasks.python.metadata.metadata_writers import metadata_info

    from cnnapp.deploy import metadata

    writer_module, _ = metadata._writer_module()
    content = tf.lite.TFLiteConverter.from_keras_model(_tiny()).convert()
    writer = writer_module.MetadataWriter.create(bytearray(content))
    general = metadata_info.GeneralMd(name="tiny", version="v9")
    compat.set_general_metadata(writer, general)
    assert writer._general_md is general
    compat.close_metadata_writer(writer)
    assert not Path(writer._temp_folder.name).exists()
    writer = None  # mediapipe keeps this frame alive: drop the writer before interpreter exit (see compat)
    with pytest.raises(compat.PrivateApiMissing, match="_general_md"):
        compat.set_general_metadata(object(), general)


def test_keras_preprocessing_layers_still_draw_from_their_generator():
    layer = keras.layers.RandomErasing(factor=1.0, value_range=(0, 255))
    images = tf.fill([2, 8, 8, 1], 100.0)

    def erased(seed):
        generator = compat.stateless_seeds(layer, tf.constant(seed, tf.int64))
        return layer.transform_images(images, layer.get_random_transformation(images, seed=generator)).numpy()

    np.testing.assert_array_equal(erased([1, 2]), erased([1, 2]))
    assert not np.array_equal(erased([1, 2]), erased([3, 4]))
    with pytest.raises(compat.PrivateApiMissing):
        compat.stateless_seeds(keras.layers.Dense(2), tf.constant([1, 2], tf.int64))


def test_keras_augmix_still_names_its_operations():
    operations = compat.augmix_operations(keras.layers.AugMix(all_ops=False))
    assert len(operations) == 7 and isinstance(operations[0], keras.layers.RandomShear)
    with pytest.raises(compat.PrivateApiMissing):
        compat.augmix_operations(keras.layers.RandAugment())


def test_keras_cutmix_still_hands_its_box_mask_and_weights():
    layer = keras.layers.CutMix()
    data = {"images": tf.zeros([4, 8, 8, 1]), "labels": tf.one_hot(tf.range(4), 4)}
    generator = compat.stateless_seeds(layer, tf.constant([5, 6], tf.int64))
    transformation = compat.exact_cutmix_weights(layer.get_random_transformation(data, seed=generator))
    mask = np.asarray(transformation["batch_masks"], bool)
    np.testing.assert_allclose(transformation["mix_weight"], 1 - mask.mean(axis=(1, 2, 3)))


def test_parent_layers_walks_a_layer_back_to_its_inputs():
    """explain's filters figure asks which layer reads the image (Keras 3 `_inbound_nodes`)."""
    inputs = keras.Input((4, 4, 1), name="image")
    conv = keras.layers.Conv2D(2, 3, name="conv")
    model = keras.Model(inputs, conv(inputs))
    assert [layer.name for layer in compat.parent_layers(model.get_layer("conv"))] == ["image"]
    assert compat.parent_layers(model.get_layer("image")) == []
