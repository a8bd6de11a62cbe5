"""Fast and smoke tiers: start from trained weights (a run, a keras.applications file), freeze, two phases.

The keras.applications file is written offline, as the issue asks, by
`tf_keras.applications.VGG16(weights=None, include_top=False).save_weights(PATH.h5)` (the legacy HDF5
format of keras.applications' downloads), at a 32×32 input: conv weights do not depend on the input size.
The runs are tiny (LeNet-5 on 200 digits, 3 steps an epoch), the source run shared by the module.
"""

from __future__ import annotations

import numpy as np
import pytest

from cnnapp import models
from cnnapp.errors import CnnappError
from cnnapp.recipes import load_recipe
from cnnapp.runs import RunDir
from cnnapp.tasks import build_model
from cnnapp.training import train_and_evaluate, transfer

TINY = ["train.steps_per_epoch=3", "data.limit=200", "train.batch_size=32", "train.holdout=0"]
FINE_TUNE = [*TINY, "transfer.freeze=head", "data.per_class=0", "data.limit=200"]


def _caffe_meta(architecture: str, **options) -> dict:
    return {
        "architecture": architecture,
        "model_options": {"include_top": False, **options},
        "input_shape": [32, 32, 3],
        "num_classes": 10,
        "normalization": {"mean": list(transfer.CAFFE_MEAN_RGB), "std": [1.0, 1.0, 1.0]},
        "channel_order": "bgr",
    }


@pytest.fixture(scope="module", autouse=True)
def _no_figures():
    """The runs here check weights; their figures (seconds each) are tests/explain's business."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("cnnapp.training.hooks._DRAW", {})  # whatever another test registered
        yield


@pytest.fixture(scope="module")
def vgg16_file(tmp_path_factory):
    """keras.applications' VGG16 without its top, saved in the legacy HDF5 format of its downloads."""
    import tf_keras

    reference = tf_keras.applications.VGG16(weights=None, include_top=False, input_shape=(32, 32, 3))
    path = tmp_path_factory.mktemp("applications") / "vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5"
    reference.save_weights(str(path))
    return path, reference


@pytest.fixture(scope="module")
def source_run(tmp_path_factory):
    """A tiny run of LeNet-5 on the digits 0-4 (the demonstration's source recipe)."""
    out = tmp_path_factory.mktemp("transfer") / "source"
    train_and_evaluate(load_recipe("lenet5-digits04", [*TINY, "train.epochs=2"]), out, verbose=0)
    return out


def test_a_keras_applications_vgg16_file_loads_into_our_vgg16_with_the_same_outputs(vgg16_file):
    path, reference = vgg16_file
    meta = _caffe_meta("vgg16")
    ours = build_model(meta)  # raw RGB → normalization (caffe mean) → rgb_to_bgr → our VGG-16 backbone
    report = transfer.load_weights(ours, transfer.read_weights(str(path)), transfer.backbone(meta), "vgg16")
    assert len(report.loaded) == 13 and not report.new and not report.skipped
    for layer in reference.layers[1:]:  # loaded weights equal the source's, layer by layer (not the input)
        for theirs, mine in zip(layer.get_weights(), ours.get_layer(layer.name).get_weights(), strict=True):
            np.testing.assert_array_equal(mine, theirs)
    import tf_keras

    images = np.random.default_rng(0).uniform(0, 255, size=(2, 32, 32, 3)).astype("float32")
    expected = reference(tf_keras.applications.vgg16.preprocess_input(images.copy())).numpy()
    np.testing.assert_allclose(ours(images).numpy(), expected, rtol=1e-4, atol=1e-3)


@pytest.mark.parametrize("suffix", [".weights.h5", ".keras"])
def test_a_keras_3_weights_file_or_a_bare_model_file_loads_into_a_backbone(suffix, tmp_path):
    full = models.build("lenet5")
    path = tmp_path / f"lenet5{suffix}"
    full.save_weights(path) if suffix == ".weights.h5" else full.save(path)
    backbone = models.build("lenet5", include_top=False)
    names = {layer.name for layer in backbone.layers if layer.weights}
    report = transfer.load_weights(backbone, transfer.read_weights(str(path)), names, "lenet5")
    assert report.loaded == ["C1", "C3", "C5"] and report.skipped == ["F6", "predictions"] and not report.new
    for name in report.loaded:
        for theirs, mine in zip(
            full.get_layer(name).get_weights(), backbone.get_layer(name).get_weights(), strict=True
        ):
            np.testing.assert_array_equal(mine, theirs)


def test_the_caffe_front_flips_rgb_to_bgr_after_the_mean_in_keras_and_its_tf_keras_twin():
    import tf_keras

    meta = {**_caffe_meta("linear"), "model_options": {}}
    model, twin = build_model(meta), build_model(meta, tf_keras)
    assert [layer.name for layer in model.layers][:3] == ["image", "normalization", "rgb_to_bgr"]
    twin.set_weights(model.get_weights())
    images = np.random.default_rng(0).uniform(0, 255, size=(2, 32, 32, 3)).astype("float32")
    np.testing.assert_allclose(twin(images).numpy(), model(images).numpy(), rtol=1e-5, atol=1e-6)
    bare = models.build("linear")
    bare.set_weights([w for w in model.get_weights() if w.shape != (1, 1, 3, 3)])
    bgr = (images - np.array(transfer.CAFFE_MEAN_RGB, "float32"))[..., ::-1]
    np.testing.assert_allclose(model(images).numpy(), bare(bgr).numpy(), rtol=1e-5, atol=1e-6)


def test_weights_of_another_architecture_or_options_are_one_line_errors_naming_the_first_mismatch(
    vgg16_file, tmp_path
):
    import tf_keras

    path, _ = vgg16_file
    weights = transfer.read_weights(str(path))
    small = {"input_shape": (32, 32, 3), "num_classes": 10, "width": 0.125}
    resnet = models.build("resnet18", **small)
    with pytest.raises(CnnappError, match=r"has no layer 'conv1_conv'.*another architecture") as error:
        transfer.load_weights(resnet, weights, {"conv1_conv"}, "resnet18")
    assert "\n" not in str(error.value)
    # A VGG19 file into a VGG16: block3_conv4 sits inside the loaded backbone and has no place in ours.
    vgg19_file = tmp_path / "vgg19.h5"
    models.build("vgg19", keras_module=tf_keras, **small).save_weights(str(vgg19_file))
    vgg19 = transfer.read_weights(str(vgg19_file))
    names = transfer.backbone({"architecture": "vgg16", "model_options": {"width": 0.125}, **_shape(small)})
    with pytest.raises(CnnappError, match="its layer 'block3_conv4' has no place in vgg16"):
        transfer.load_weights(models.build("vgg16", **small), vgg19, names, "vgg16")
    grey = models.build("vgg19", **{**small, "input_shape": (32, 32, 1)})
    with pytest.raises(CnnappError, match=r"layer 'block1_conv1' has weights .*set data.channels = 3"):
        transfer.load_weights(grey, vgg19, {"block1_conv1"}, "vgg19")
    # keras.applications' ResNet50 has conv biases: our ResNets need conv_bias=True to take its weights.
    biased = tmp_path / "resnet.h5"
    models.build("resnet18", keras_module=tf_keras, conv_bias=True, **small).save_weights(str(biased))
    with pytest.raises(CnnappError, match="set model.options.conv_bias = true"):
        transfer.load_weights(resnet, transfer.read_weights(str(biased)), {"conv1_conv"}, "resnet18")


def _shape(options):
    return {"input_shape": list(options["input_shape"]), "num_classes": options["num_classes"]}


def test_fine_tuning_from_a_run_loads_its_backbone_freezes_it_and_replaces_the_classifier(
    source_run, tmp_path
):
    out = tmp_path / "fine"
    recipe = load_recipe(
        "lenet5-digits59-finetune",
        [*FINE_TUNE, f"transfer.weights='{source_run}'", "transfer.unfreeze_epoch=0", "train.epochs=2"],
    )
    report = train_and_evaluate(recipe, out, verbose=0)
    loaded = report["transfer"]
    assert loaded["loaded"] == ["C1", "C3", "C5", "F6"] and loaded["new"] == ["predictions"]
    assert "the source's classes 0, 1, 2, 3, 4, here 5, 6, 7, 8, 9" in loaded["notes"][0]
    source, tuned = (models.load(RunDir(p).checkpoint("last")) for p in (source_run, out))
    for name in ("C1", "C3", "C5"):  # frozen: the source's weights, unchanged by two epochs of training
        pairs = zip(source.get_layer(name).get_weights(), tuned.get_layer(name).get_weights(), strict=True)
        for theirs, mine in pairs:
            np.testing.assert_array_equal(mine, theirs)
    assert not np.array_equal(source.get_layer("F6").get_weights()[0], tuned.get_layer("F6").get_weights()[0])
    meta = RunDir(out).read_meta()
    assert meta.normalization["mean"] == RunDir(source_run).read_meta().normalization["mean"]
    assert meta.class_names == ("5", "6", "7", "8", "9") and meta.num_classes == 5
    import contextlib
    import io

    from cnnapp import evaluate

    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):  # scored on the digits 5-9 only, labelled as the run trained
        assert evaluate.main([str(out), "--crops", "centre"]) == 0
    assert "180 images" in printed.getvalue(), printed.getvalue()


def test_frozen_batch_norm_keeps_its_statistics_and_the_unfrozen_layers_learn():
    import keras

    from cnnapp.models.resnet import cifar_resnet

    model = cifar_resnet(depth=8, input_shape=(8, 8, 3), num_classes=3)  # one block per stage: quick
    model.compile(optimizer=keras.optimizers.SGD(0.1, momentum=0.9), loss="sparse_categorical_crossentropy")
    model.optimizer.build(model.trainable_variables)
    backbone = cifar_resnet(depth=8, input_shape=(8, 8, 3), num_classes=3, include_top=False)
    names = {layer.name for layer in backbone.layers if layer.weights}
    frozen = transfer.frozen_layers(model, "conv3", names, "resnet8")
    assert frozen[-1] == "conv3_block1_out" and "conv4_block1_1_conv" not in frozen

    class Schedule:
        phase_scale = keras.Variable(1.0)

    from cnnapp.recipes import from_dict

    recipe = from_dict(
        {"name": "x", "transfer": {"freeze": "conv3", "unfreeze_epoch": 1}, "train": {"epochs": 2}}
    )
    phases = transfer.Phases(recipe, frozen, Schedule)
    phases.enter(model, epochs_done=0)
    before = {
        n: [w.copy() for w in model.get_layer(n).get_weights()]
        for n in ("conv2_block1_1_bn", "conv4_block1_1_conv")
    }
    x = np.random.default_rng(0).normal(size=(16, 8, 8, 3)).astype("float32")
    y = np.arange(16) % 3
    model.fit(x, y, epochs=2, batch_size=8, verbose=0, callbacks=[phases])
    bn = model.get_layer("conv2_block1_1_bn")
    for old, new in zip(before["conv2_block1_1_bn"], bn.get_weights(), strict=True):  # γ, β, mean, variance
        np.testing.assert_array_equal(new, old)
    assert not bn.trainable, "frozen batch norm stays frozen (inference mode) in the second phase too"
    assert model.get_layer("conv2_block1_1_conv").trainable, "phase 2 unfroze the convs"
    assert not np.array_equal(
        before["conv4_block1_1_conv"][0], model.get_layer("conv4_block1_1_conv").get_weights()[0]
    )
    assert float(Schedule.phase_scale.numpy()) == pytest.approx(0.1)


class _Killed(Exception):
    pass


def test_a_two_phase_run_interrupted_at_and_after_the_change_resumes_bit_identically(
    source_run, tmp_path, monkeypatch
):
    from cnnapp.training.state import RunCheckpoint

    overrides = [
        *FINE_TUNE,
        f"transfer.weights='{source_run}'",
        "transfer.unfreeze_epoch=2",
        "train.epochs=4",
    ]
    recipe = load_recipe("lenet5-digits59-finetune", overrides)
    reference = tmp_path / "reference"
    train_and_evaluate(recipe, reference, verbose=0)

    save = RunCheckpoint.on_epoch_end
    for kill_after in (
        2,
        3,
    ):  # the state of epoch 2 (phase 1's, the next epoch is phase 2's), then of epoch 3

        def killing(self, epoch, logs=None, kill_after=kill_after):
            save(self, epoch, logs)
            if epoch + 1 == kill_after:
                raise _Killed

        monkeypatch.setattr(RunCheckpoint, "on_epoch_end", killing)
        with pytest.raises(_Killed):
            train_and_evaluate(recipe, tmp_path / "killed", verbose=0)
        assert RunDir(tmp_path / "killed").progress()["epochs_done"] == kill_after
    monkeypatch.setattr(RunCheckpoint, "on_epoch_end", save)
    train_and_evaluate(recipe, tmp_path / "killed", verbose=0)

    with np.load(RunDir(reference).state_file) as a, np.load(RunDir(tmp_path / "killed").state_file) as b:
        assert a.files == b.files
        for key in a.files:  # every weight and optimizer slot, bit for bit
            if key != "extra":
                np.testing.assert_array_equal(b[key], a[key], err_msg=key)
    assert (
        RunDir(tmp_path / "killed").read_report()["transfer"] == RunDir(reference).read_report()["transfer"]
    )


@pytest.mark.parametrize(
    "overrides, words",
    [
        (["transfer.freeze=head", "transfer.unfreeze_epoch=4", "train.epochs=4"], "past the end of the run"),
        (["transfer.unfreeze_epoch=1"], "needs something frozen first"),
        (["transfer.preprocessing=vgg"], "valid preprocessings: , caffe"),
    ],
)
def test_bad_transfer_keys_are_one_line_errors(overrides, words):
    with pytest.raises(CnnappError, match=words) as error:
        load_recipe("lenet5-digits", overrides)
    assert "\n" not in str(error.value)


def test_an_unknown_frozen_layer_lists_the_blocks():
    model = models.build("lenet5")
    with pytest.raises(
        CnnappError, match=r"'C9' names no layer or block of lenet5; valid: none, head, a block \(C1"
    ):
        transfer.frozen_layers(model, "C9", set(), "lenet5")
    assert transfer.frozen_layers(model, "C3", set(), "lenet5")[-1] == "C3_act"


@pytest.mark.parametrize(
    "overrides, words",
    [
        (["transfer.weights='{vgg16}'"], "does not fit lenet5: it has no layer 'C1'"),
        (["transfer.freeze=C9"], "'C9' names no layer or block of lenet5"),
        (["transfer.freeze=head", "transfer.unfreeze_epoch=2"], "past the end of the run (train.epochs=2)"),
        (["data.classes=['0', 'x']"], "unknown class name 'x'"),
        (["transfer.weights='recipe:no-such-recipe'"], "unknown recipe 'no-such-recipe'; valid recipes: "),
    ],
)
def test_bad_transfer_input_at_the_cli_is_one_line_and_leaves_nothing(overrides, words, vgg16_file, tmp_path):
    from cnnapp import train
    from tests.reliability.conftest import run_cli, train_argv

    overrides = [o.format(vgg16=vgg16_file[0]) for o in overrides]
    code, _, err = run_cli(train, train_argv(tmp_path / "new", *overrides))
    assert code == 2, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("python -m cnnapp.train: error: "), err
    assert words in lines[0], lines[0]
    assert not (tmp_path / "new").exists()


# Slow: the other keras.applications files (VGG19, ResNet50: 20M and 24M weights to draw and write). The same
# loader and the same caffe front run by default in
# test_a_keras_applications_vgg16_file_loads_into_our_vgg16_with_the_same_outputs.
@pytest.mark.slow
@pytest.mark.parametrize(
    "application, architecture, options",
    [("VGG19", "vgg19", {}), ("ResNet50", "resnet50", {"conv_bias": True})],
)
def test_keras_applications_vgg19_and_resnet50_files_give_the_same_outputs(
    application, architecture, options, tmp_path
):
    import tf_keras

    reference = getattr(tf_keras.applications, application)(
        weights=None, include_top=False, input_shape=(32, 32, 3)
    )
    path = tmp_path / f"{architecture}_notop.h5"
    reference.save_weights(str(path))
    meta = _caffe_meta(architecture, **options)
    ours = build_model(meta)
    weights = transfer.read_weights(str(path))
    report = transfer.load_weights(ours, weights, transfer.backbone(meta), architecture)
    assert not report.new and not report.skipped
    module = tf_keras.applications.vgg19 if application == "VGG19" else tf_keras.applications.resnet50
    images = np.random.default_rng(0).uniform(0, 255, size=(2, 32, 32, 3)).astype("float32")
    expected = reference(module.preprocess_input(images.copy()), training=False).numpy()
    np.testing.assert_allclose(ours(images).numpy(), expected, rtol=1e-4, atol=1e-3)


# Slow: a real SIGKILL of `python -m cnnapp.train` in the second phase (a process start-up, ~10 s or more on a
# busy machine). The same resume across the phase change runs by default, in-process, in
# test_a_two_phase_run_interrupted_at_and_after_the_change_resumes_bit_identically.
@pytest.mark.slow
def test_sigkill_in_the_second_phase_then_resume_equals_an_uninterrupted_run(source_run, tmp_path):
    import os
    import signal
    import subprocess
    import sys
    import time
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    overrides = [*FINE_TUNE, f"transfer.weights='{source_run}'", "transfer.unfreeze_epoch=2"]
    overrides += ["train.epochs=6"]
    killed = tmp_path / "killed"
    sets = [a for o in overrides for a in ("--set", o)]
    argv = ["--recipe", "lenet5-digits59-finetune", "--out", str(killed), "--quiet", *sets]
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2", "PYTHONPATH": str(root)}
    process = subprocess.Popen(
        [sys.executable, "-m", "cnnapp.train", *argv], cwd=root, env=env, stdout=subprocess.DEVNULL
    )
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline and process.poll() is None:  # kill once 3 epochs are logged
        log = RunDir(killed).log_file
        if log.is_file() and len(log.read_text().splitlines()) >= 4:
            break
        time.sleep(0.05)
    assert process.poll() is None, "the run ended before it could be killed"
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert 2 <= RunDir(killed).progress()["epochs_done"] < 6
    from cnnapp.train import main

    assert main(argv) == 0
    reference = tmp_path / "reference"
    train_and_evaluate(load_recipe("lenet5-digits59-finetune", overrides), reference, verbose=0)
    with np.load(RunDir(reference).state_file) as a, np.load(RunDir(killed).state_file) as b:
        for key in a.files:
            if key != "extra":
                np.testing.assert_array_equal(b[key], a[key], err_msg=key)
