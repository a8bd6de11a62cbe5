"""Image classification's task object (`tasks.classification`): its loss (smoothing, MixUp/CutMix class
weights), its metrics on either kind of label, the compile arguments with auxiliary heads weighted, and the
report line."""

import keras
import numpy as np
import pytest

from cnnapp import models
from cnnapp.recipes import load_recipe
from cnnapp.tasks import classification
from cnnapp.tasks.classification import SoftTargetCrossentropy, soft_target_metrics

PROBS = np.array([[0.7, 0.2, 0.1], [0.1, 0.3, 0.6]], "float32")


def test_smoothing_moves_targets_towards_uniform():
    labels = np.array([0, 2])
    eps, k = 0.1, 3
    targets = np.eye(k)[labels] * (1 - eps) + eps / k
    expected = -np.sum(targets * np.log(PROBS), axis=1).mean()
    assert float(SoftTargetCrossentropy(eps)(labels, PROBS)) == pytest.approx(expected, rel=1e-5)
    plain = -np.log(PROBS[[0, 1], labels]).mean()
    assert float(SoftTargetCrossentropy(0.0)(labels, PROBS)) == pytest.approx(plain, rel=1e-5)
    assert expected > plain, "smoothed targets cost the confident right answers"


def test_soft_labels_flow_through_the_loss_and_the_metrics():
    soft = np.array([[0.6, 0.4, 0.0], [0.0, 0.3, 0.7]], "float32")  # MixUp / CutMix class weights
    expected = -np.sum(soft * np.log(PROBS), axis=1).mean()
    assert float(SoftTargetCrossentropy(0.0)(soft, PROBS)) == pytest.approx(expected, rel=1e-5)
    accuracy, top5 = soft_target_metrics(2)
    accuracy.update_state(soft, PROBS)  # the largest weight is the label: 0 and 2, both right
    top5.update_state(np.array([1, 0]), PROBS)  # integer labels (validation) work too: 1 in top-2, 0 not
    assert float(accuracy.result()) == 1.0 and float(top5.result()) == 0.5


def test_the_loss_is_the_plain_sparse_one_unless_smoothing_or_mixing():
    task = classification.task()
    assert isinstance(task.loss(load_recipe("lenet5-digits")), keras.losses.SparseCategoricalCrossentropy)
    smoothed = task.loss(load_recipe("lenet5-digits", ["train.label_smoothing=0.1"]))
    assert isinstance(smoothed, SoftTargetCrossentropy) and smoothed.smoothing == 0.1
    assert isinstance(task.loss(load_recipe("lenet5-digits-modern")), SoftTargetCrossentropy)
    assert task.loss(load_recipe("lenet5-digits"), reduction=None).reduction is None
    assert SoftTargetCrossentropy.from_config(smoothed.get_config()).smoothing == 0.1


def test_auxiliary_heads_get_the_recipes_weight_and_metrics_go_on_the_main_output():
    task = classification.task()
    recipe = load_recipe("googlenet-digits")
    model = models.build("googlenet", **models.get("googlenet").small_options)
    arguments = task.compile_arguments(model, recipe)
    main, *auxiliary = model.output_names
    assert arguments["loss_weights"] == {main: 1.0, **{n: recipe.train.aux_loss_weight for n in auxiliary}}
    assert list(arguments["metrics"]) == [main] and auxiliary
    single = task.compile_arguments(models.build("lenet5", num_classes=3), load_recipe("lenet5-digits"))
    assert single["loss_weights"] is None
    assert [m.name for m in single["metrics"]] == ["accuracy", "top5"] and single["metrics"][1].k == 3


def test_the_report_line_and_the_export_file():
    task = classification.task()
    line = task.summary({"top1_accuracy": 0.9812, "top1_error": 0.0188, "top5_accuracy": 0.9999})
    assert line == "top-1 accuracy 98.12% (error 1.88%), top-5 accuracy 99.99%"
    assert task.export_file({"export": "int8"}) == "int8.tflite"
    assert classification.task() is task and task.figures == "classification"
