"""Two workers on 127.0.0.1 train LeNet-5 on the shipped digits with MultiWorkerMirroredStrategy.

Tolerance: the two workers hold bit-identical weights (they apply the same all-reduced gradients); against a
single worker with the same global batch the weights agree to 1e-5 absolute (the all-reduce sums the two
halves' gradients in another order than one device sums the whole batch: float32 rounding, ~1e-7 measured).
"""

from __future__ import annotations

import json
import os
import signal
import time

import numpy as np
import pytest

from tests.training import cluster

# 3 epochs of 6 global batches of 32: long enough to kill a worker after the first epoch's state is saved.
OVERRIDES = ["train.epochs=3", "train.steps_per_epoch=6", "train.batch_size=32"]
ATOL = 1e-5


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """A two-worker run and a one-worker run of the same recipe, started together (start-ups overlap)."""
    root = tmp_path_factory.mktemp("multiworker")
    ports = cluster.free_ports(2)
    logs = [root / f"worker{i}.log" for i in range(2)] + [root / "single.log"]
    processes = [
        cluster.start(root / "cluster", root / f"w{i}.npz", OVERRIDES, cluster.tf_config(ports, i), logs[i])
        for i in range(2)
    ]
    processes.append(cluster.start(root / "single", root / "single.npz", OVERRIDES, None, logs[2]))
    cluster.finish(processes, logs)
    return root


def test_two_workers_end_with_identical_weights(runs):
    (w0, _), (w1, _) = cluster.weights(runs / "w0.npz"), cluster.weights(runs / "w1.npz")
    assert len(w0) == len(w1) == 10  # LeNet-5: 5 weight layers, kernel and bias each
    for a, b in zip(w0, w1, strict=True):
        np.testing.assert_array_equal(a, b)


def test_two_workers_match_one_worker_with_the_same_global_batch(runs):
    (cluster_weights, _), (single, _) = cluster.weights(runs / "w0.npz"), cluster.weights(runs / "single.npz")
    for a, b in zip(cluster_weights, single, strict=True):
        np.testing.assert_allclose(a, b, rtol=0, atol=ATOL)
    # ... and they learned (10 classes: chance is 10%).
    report = json.loads((runs / "cluster" / "report.json").read_text())
    assert report["replicas"] == 2 and report["global_batch"] == 32 and report["top1_accuracy"] > 0.5


def test_every_worker_reports_the_chiefs_checkpoint(runs):
    """The other worker keeps the chief's best epoch in memory: the same best epoch and test accuracy."""
    reported = [np.load(runs / f"w{i}.npz")["reported"] for i in range(2)]
    report = json.loads((runs / "cluster" / "report.json").read_text())
    assert report["checkpoint"] == "best"
    np.testing.assert_array_equal(reported[0], reported[1])
    assert reported[0][0] == report["best_epoch"] and reported[0][1] == report["top1_accuracy"]


def test_the_chief_writes_an_ordinary_run_folder(runs):
    run = runs / "cluster"
    for name in ("recipe.toml", "run.json", "log.csv", "resume.npz", "report.json", "checkpoints/last.keras"):
        assert (run / name).is_file(), name
    assert len((run / "log.csv").read_text().splitlines()) == 1 + 3  # a header and 3 epochs

    from cnnapp.runs import load_run

    model = load_run(run).model("last")
    assert model.predict(np.zeros((1, 32, 32, 1), np.float32), verbose=0).shape == (1, 10)


@pytest.mark.slow
def test_a_killed_worker_resumes_from_the_last_saved_epoch(runs, tmp_path):
    """Kill worker 1 once the first epoch's state is saved; the chief's collectives fail; restart both."""
    ports = cluster.free_ports(2)
    logs = [tmp_path / f"worker{i}.log" for i in range(2)]
    run = tmp_path / "run"

    def start_both():
        return [
            cluster.start(run, tmp_path / f"w{i}.npz", OVERRIDES, cluster.tf_config(ports, i), logs[i])
            for i in range(2)
        ]

    processes = start_both()
    deadline = time.monotonic() + cluster.TIMEOUT
    while not (run / "resume.npz").is_file():
        assert time.monotonic() < deadline and all(p.poll() is None for p in processes), "no epoch was saved"
        time.sleep(0.05)
    os.kill(processes[1].pid, signal.SIGKILL)
    processes[1].wait()
    # MultiWorkerMirroredStrategy's health check aborts the chief's collectives once worker 1 stops answering.
    processes[0].wait(timeout=cluster.TIMEOUT)
    assert processes[0].returncode != 0
    assert not (run / "report.json").exists()

    processes = start_both()
    cluster.finish(processes, logs)
    (w0, resumed0), (w1, resumed1) = (
        cluster.weights(tmp_path / "w0.npz"),
        cluster.weights(tmp_path / "w1.npz"),
    )
    assert resumed0 == resumed1 >= 1  # not from scratch
    assert resumed0 < 3  # the kill came before the end
    (reference, _) = cluster.weights(runs / "single.npz")  # the uninterrupted run of the same recipe
    for a, b, c in zip(w0, w1, reference, strict=True):
        np.testing.assert_array_equal(a, b)
        np.testing.assert_allclose(a, c, rtol=0, atol=ATOL)
