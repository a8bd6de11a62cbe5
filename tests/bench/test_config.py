"""Fast tier: what both benches share: the size checks, the preset merge, how a result leaves the CLI, and
the cores counted; a leaf that loads no TensorFlow."""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys

import pytest

from cnnapp.bench import config
from cnnapp.bench.config import SpeedConfig
from cnnapp.errors import CnnappError
from tests.fixtures import ROOT


def test_the_defaults_pass_and_each_bad_size_is_named():
    SpeedConfig().check_sizes(**{"LiteRT runs": 1})
    with pytest.raises(CnnappError, match="--image-size must be at least 32.*got 31"):
        SpeedConfig(image_size=31).check_sizes()
    with pytest.raises(CnnappError, match="unknown bench model 'alexnet'"):
        SpeedConfig(models=("vgg16", "alexnet")).check_sizes()
    with pytest.raises(CnnappError, match="^steps, classes, LiteRT runs must be ≥ 1$"):
        SpeedConfig(steps=0, num_classes=0).check_sizes(**{"LiteRT runs": 0})


def test_a_preset_gives_the_sizes_and_a_cli_option_overrides_its_own():
    presets = {"small": {"image_size": 32, "batch_size": 4}, "big": {"image_size": 224, "batch_size": 64}}
    args = argparse.Namespace(
        size="small", image_size=None, batch_size=16, models=("vgg16",), num_classes=3, precision="auto"
    )
    options = config.speed_options(args, presets)
    assert options == {
        "models": ("vgg16",),
        "num_classes": 3,
        "precision": "auto",
        "image_size": 32,  # not given: the preset's
        "batch_size": 16,  # given: the option's
    }
    SpeedConfig(**options).check_sizes()


def test_print_and_save_prints_the_table_and_writes_the_json_only_when_named(tmp_path, capsys):
    path = tmp_path / "bench.json"
    config.print_and_save("TABLE", {"speed": [1, 2]}, str(path))
    assert json.loads(path.read_text()) == {"speed": [1, 2]}
    assert capsys.readouterr().out == f"TABLE\n\nwrote {path}\n"
    config.print_and_save("TABLE", {"speed": []}, "")
    assert capsys.readouterr().out == "TABLE\n" and list(tmp_path.iterdir()) == [path]


def test_cores_are_the_ones_this_process_may_run_on(monkeypatch):
    assert config.cpu_cores() == len(os.sched_getaffinity(0))
    monkeypatch.delattr(os, "sched_getaffinity")
    monkeypatch.setattr(os, "cpu_count", lambda: 7)
    assert config.cpu_cores() == 7
    monkeypatch.setattr(os, "cpu_count", lambda: None)  # the system cannot tell: one
    assert config.cpu_cores() == 1


def test_the_jax_bench_can_use_it_without_tensorflow():
    check = (
        "import sys, cnnapp.bench.config as c; c.SpeedConfig().check_sizes(); "
        "print('tensorflow' in sys.modules)"
    )
    done = subprocess.run([sys.executable, "-c", check], cwd=ROOT, capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"
