"""Strategies by name, TF_CONFIG checks, the linear scaling rule, the workers' data slices, and a mirrored
run."""

from __future__ import annotations

import json
import types

import numpy as np
import pytest
import tensorflow as tf

from cnnapp.errors import CnnappError
from cnnapp.recipes import load_recipe
from cnnapp.training import distribute, multiworker


def test_auto_on_one_device_is_the_default_strategy_and_mirrored_with_two_gpus():
    assert distribute.make_strategy("auto", gpus=0) is tf.distribute.get_strategy()
    assert isinstance(distribute.make_strategy("one-device", gpus=0), tf.distribute.OneDeviceStrategy)
    assert isinstance(distribute.make_strategy("mirrored"), tf.distribute.MirroredStrategy)
    assert isinstance(distribute.make_strategy("auto", gpus=2), tf.distribute.MirroredStrategy)


def test_unknown_strategy_lists_the_valid_ones():
    with pytest.raises(CnnappError, match="unknown strategy 'horovod'; valid strategys: auto, mirrored"):
        distribute.make_strategy("horovod")


@pytest.mark.parametrize(
    "value, message",
    [
        (None, "needs the TF_CONFIG environment variable"),
        ("{not json", "TF_CONFIG is not valid JSON"),
        ('{"cluster": {}}', 'needs "cluster" with a "worker" list'),
        ('{"cluster": {"worker": ["a:1"]}, "task": {"type": "worker", "index": 1}}', "is not in its cluster"),
    ],
)
def test_bad_tf_config_is_a_one_line_error(monkeypatch, value, message):
    if value is None:
        monkeypatch.delenv("TF_CONFIG", raising=False)
    else:
        monkeypatch.setenv("TF_CONFIG", value)
    with pytest.raises(CnnappError, match=message):
        distribute.make_strategy("multi-worker")


def test_cluster_spec_reads_tf_config(monkeypatch):
    config = {
        "cluster": {"worker": ["10.0.0.1:2222", "10.0.0.2:2222"]},
        "task": {"type": "worker", "index": 1},
    }
    monkeypatch.setenv("TF_CONFIG", json.dumps(config))
    assert multiworker.cluster_spec() == config


def _resolver(task_type, task_id, cluster):
    spec = types.SimpleNamespace(as_dict=lambda: cluster)
    return types.SimpleNamespace(task_type=task_type, task_id=task_id, cluster_spec=lambda: spec)


def test_the_chief_is_the_chief_task_else_worker_0():
    workers = {"worker": ["a:1", "b:1"]}
    with_chief = {"chief": ["c:1"], **workers}
    assert multiworker.is_chief(tf.distribute.get_strategy())
    assert multiworker.is_chief(types.SimpleNamespace(cluster_resolver=_resolver("worker", 0, workers)))
    assert not multiworker.is_chief(types.SimpleNamespace(cluster_resolver=_resolver("worker", 1, workers)))
    worker_0_with_chief = types.SimpleNamespace(cluster_resolver=_resolver("worker", 0, with_chief))
    assert not multiworker.is_chief(worker_0_with_chief)
    assert multiworker.is_chief(types.SimpleNamespace(cluster_resolver=_resolver("chief", 0, with_chief)))


def test_linear_scaling_multiplies_the_rate_by_k_and_warms_up_for_five_epochs():
    recipe = load_recipe("lenet5-digits", ["train.batch_size=256", "optimizer.lr=0.1"])
    scaled = distribute.linear_scaling(recipe, reference_batch=32)
    assert scaled.optimizer.lr == pytest.approx(0.1 * 256 / 32)
    assert (
        scaled.schedule.warmup == 5.0 and recipe.schedule.warmup == 0.0
    )  # the original stays frozen as it was
    assert scaled.train.batch_size == 256


def test_linear_scaling_keeps_a_recipes_own_warmup_and_is_off_without_a_reference():
    recipe = load_recipe("lenet5-digits", ["train.batch_size=64", "schedule.warmup=2.0"])
    assert distribute.linear_scaling(recipe, reference_batch=32).schedule.warmup == 2.0
    assert distribute.linear_scaling(recipe, reference_batch=0) is recipe
    assert distribute.linear_scaling(recipe, reference_batch=64) is recipe
    assert distribute.linear_scaling(recipe) is recipe  # the recipe names no reference batch
    smaller = distribute.linear_scaling(recipe, reference_batch=128)
    assert smaller.optimizer.lr == pytest.approx(recipe.optimizer.lr / 2) and smaller.schedule.warmup == 2.0
    with pytest.raises(CnnappError, match="reference batch"):
        distribute.linear_scaling(recipe, reference_batch=-1)


def test_the_recipes_reference_batch_turns_the_rule_on_once():
    recipe = load_recipe("lenet5-digits", ["train.batch_size=128", "optimizer.reference_batch=32"])
    scaled = distribute.linear_scaling(recipe)
    assert scaled.optimizer.lr == pytest.approx(recipe.optimizer.lr * 4)
    assert scaled.optimizer.reference_batch == 128
    assert distribute.linear_scaling(scaled) is scaled  # a saved effective recipe is not scaled twice
    with pytest.raises(CnnappError, match="reference_batch must be ≥ 0"):
        load_recipe("lenet5-digits", ["optimizer.reference_batch=-4"])


def test_a_global_batch_that_does_not_split_over_the_replicas_is_an_error(tmp_path):
    from cnnapp.training.multiworker import fit_multi_worker

    recipe = load_recipe("lenet5-digits", ["train.batch_size=32"])
    three = types.SimpleNamespace(num_replicas_in_sync=3, cluster_resolver=None)
    with pytest.raises(CnnappError, match="batch_size 32 does not split evenly over 3 replicas"):
        fit_multi_worker(recipe, tmp_path / "run", three)


@pytest.mark.parametrize("workers, local_replicas", [(2, 1), (2, 2)])
def test_workers_take_disjoint_slices_that_make_up_each_global_batch(workers, local_replicas):
    from cnnapp.training import setup
    from cnnapp.training.multiworker import _worker_batches

    recipe = load_recipe("lenet5-digits", ["train.batch_size=16", "data.limit=64"])
    train = setup.load_data(recipe).train
    replicas = workers * local_replicas
    parts = []
    for worker in range(workers):
        context = tf.distribute.InputContext(workers, worker, replicas)
        batches = list(_worker_batches(train, recipe, epoch=1, steps=3)(context))
        assert len(batches) == 3 * local_replicas and all(len(y) == 16 // replicas for _, y in batches)
        parts.append(
            [
                np.concatenate([b[0].numpy() for b in batches[s * local_replicas : (s + 1) * local_replicas]])
                for s in range(3)
            ]
        )
    from cnnapp import data as cdata

    whole = list(
        cdata.training_pipeline(
            train, recipe.data.pipeline, 16, recipe.train.seed, epoch=1, drop_remainder=True
        ).take(3)
    )
    for step, (images, _) in enumerate(whole):
        np.testing.assert_array_equal(np.concatenate([p[step] for p in parts]), images.numpy())


def test_mirrored_strategy_runs_the_fit_loop_and_writes_a_run(tmp_path):
    recipe = load_recipe("lenet5-digits", ["train.epochs=1", "train.steps_per_epoch=3", "data.limit=200"])
    report = distribute.train_distributed(recipe, tmp_path / "run", "mirrored", verbose=0)
    assert report["strategy"] == "mirrored" and report["replicas"] == 1
    assert (tmp_path / "run" / "checkpoints" / "last.keras").is_file()
    assert 0 <= report["top1_accuracy"] <= 1


def test_train_cli_takes_a_strategy(tmp_path, capsys):
    from cnnapp.train import main

    argv = [
        "--recipe",
        "lenet5-digits",
        "--set",
        "train.epochs=1",
        "--set",
        "train.steps_per_epoch=2",
        "--set",
        "data.limit=100",
        "--quiet",
        "--out",
        str(tmp_path / "run"),
        "--strategy",
        "one-device",
    ]
    assert main(argv) == 0
    report = json.loads((tmp_path / "run" / "report.json").read_text())
    assert report["epochs"] == 1 and "top-1 accuracy" in capsys.readouterr().out


def test_train_cli_multi_worker_without_tf_config_is_a_clear_error(tmp_path, monkeypatch):
    from cnnapp.train import main

    monkeypatch.delenv("TF_CONFIG", raising=False)
    with pytest.raises(CnnappError, match="needs the TF_CONFIG environment variable"):
        main(["--recipe", "lenet5-digits", "--out", str(tmp_path / "run"), "--strategy", "multi-worker"])


def test_a_multi_worker_run_checks_its_folder_as_the_fit_path_does(tmp_path):
    """Both loops run the same folder checks (core.check_folder): here, a resume state with no recipe."""
    from cnnapp.runs import RunDir
    from cnnapp.training.multiworker import fit_multi_worker

    np.savez(RunDir(tmp_path).state_file, extra=np.array(json.dumps({"epochs_done": 1})))
    with pytest.raises(CnnappError, match=r"without its recipe.toml and run.json"):
        fit_multi_worker(load_recipe("lenet5-digits"), tmp_path, tf.distribute.get_strategy())
