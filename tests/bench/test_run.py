"""Fast tier: the bench's configuration (sections, presets, counts) and `run_bench` at its smallest: only the
sections asked for run, the result is plain data, and each pipeline is judged against the models it feeds."""

from __future__ import annotations

import dataclasses
import json

import pytest

from cnnapp.bench import run
from cnnapp.bench.run import PRESETS, BenchConfig, run_bench
from cnnapp.errors import CnnappError

SMALL = dict(image_size=32, batch_size=4, pipeline_batches=2, folder_images=0, small_files=0, tune=False)


def test_a_bench_refuses_an_unknown_section_and_its_own_counts_below_one():
    with pytest.raises(CnnappError, match="unknown bench section 'disk'"):
        BenchConfig(sections=("speed", "disk"))
    with pytest.raises(CnnappError, match="^pipeline batches, LiteRT runs must be ≥ 1$"):
        BenchConfig(pipeline_batches=0, litert_runs=0)


@pytest.mark.parametrize("size", sorted(PRESETS))
def test_each_preset_is_a_valid_bench(size):
    config = BenchConfig(**PRESETS[size])
    assert {key: getattr(config, key) for key in PRESETS[size]} == PRESETS[size]


def test_run_bench_runs_only_the_sections_asked_for_and_returns_plain_data(tmp_path):
    config = BenchConfig(sections=("pipeline",), folder_cache=str(tmp_path), **SMALL)
    result = run_bench(config)
    assert not {"speed", "roofs", "memory", "litert", "tuning"} & set(result)
    assert result["config"] == dataclasses.asdict(config) and result["precision"] == "float32"
    assert result["machine"]["cpu_cores"] >= 1 and result["machine"]["gpus"] == 0
    assert [row["source"] for row in result["pipeline"]] == ["digits", "synthetic 64×64 RGB"]
    assert all(row["images_per_s"] > 0 and row["consumers"] == {} for row in result["pipeline"])
    assert result["folder"] == {"cache": str(tmp_path)}  # no folder images, no small files: nothing timed
    assert isinstance(result["targets"], list)
    json.dumps(result)  # what the CLI writes


def test_a_pipeline_is_starved_by_a_model_faster_than_it_and_feeds_a_slower_one():
    speed_rows = [
        {"model": "vgg16", "ours_images_per_s": 1e12},
        {"model": "resnet50", "ours_images_per_s": 1e-3},
    ]
    rows = run._pipeline(BenchConfig(**SMALL), speed_rows)
    for row in rows:
        assert row["consumers"]["vgg16"] == {"images_per_s": 1e12, "verdict": "starved"}
        assert row["consumers"]["resnet50"]["verdict"] == "fed"
