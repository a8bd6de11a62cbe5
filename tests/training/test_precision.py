"""`auto` precision on a CPU: the probe's decision, its cache per machine, and the override (fake timings)."""

import json

import pytest

from cnnapp import machine
from cnnapp.training import precision

CPUINFO = "processor : 0\nmodel name : Test CPU 9000\nflags : fpu avx2 avx512f avx512_bf16 avx512_vnni\n"
VERSIONS = {"tensorflow": "2.21.0", "keras": "3.15.1"}


def timings(speedup, low=None):
    return {"speedup": speedup, "min": low or speedup, "max": speedup, "noisy": False,
            "float32_step_ms": 100.0, "bfloat16_step_ms": 100.0 / speedup}  # fmt: skip


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("CNNAPP_CACHE", str(tmp_path))
    monkeypatch.delenv(precision.ENV, raising=False)
    return tmp_path / precision.CACHE_NAME


def test_cpu_info_finds_the_instruction_sets():
    cpu = machine.cpu_info(CPUINFO)
    assert cpu["model"] == "Test CPU 9000"
    assert cpu["features"]["avx512_bf16"] and cpu["features"]["vnni"] and not cpu["features"]["amx"]
    assert machine.instruction_sets(cpu) == "AVX2, AVX-512, AVX512_BF16, VNNI; no AMX"
    assert machine.cpu_info(CPUINFO.replace("avx512_vnni", "amx_tile"))["key"] != cpu["key"]


@pytest.mark.parametrize(
    "probe, chosen",
    [(timings(1.7), "mixed_bfloat16"), (timings(1.05), "float32"), (timings(1.5, low=0.9), "float32"),
     (timings(0.6), "float32")],
)  # fmt: skip
def test_bfloat16_only_where_the_probe_finds_it_faster(probe, chosen):
    decision = precision.decide(machine.cpu_info(CPUINFO), probe)
    assert decision["precision"] == chosen and "probe:" in decision["reason"]


def test_the_probe_runs_once_per_machine_and_versions(cache):
    calls = []

    def probe():
        calls.append(1)
        return timings(1.8)

    cpu = machine.cpu_info(CPUINFO)
    first = precision.cpu_auto_precision(probe, cpu, VERSIONS)
    again = precision.cpu_auto_precision(probe, cpu, VERSIONS)
    assert (first["precision"], first["cached"], again["cached"]) == ("mixed_bfloat16", False, True)
    assert len(calls) == 1 and again["reason"] == first["reason"]
    precision.cpu_auto_precision(probe, cpu, {**VERSIONS, "tensorflow": "2.22.0"})  # new kernels: probe again
    other = machine.cpu_info(CPUINFO.replace("Test CPU 9000", "Other CPU"))
    precision.cpu_auto_precision(probe, other, VERSIONS)
    assert len(calls) == 3 and len(json.loads(cache.read_text())) == 3


def test_no_bfloat16_instructions_means_float32_without_probing(cache):
    cpu = machine.cpu_info(CPUINFO.replace("avx512_bf16", ""))
    choice = precision.cpu_auto_precision(lambda: pytest.fail("probed"), cpu, VERSIONS)
    assert choice["precision"] == "float32" and "no bfloat16 instructions" in choice["reason"]


def test_the_override_decides_without_probing(cache, monkeypatch):
    monkeypatch.setenv(precision.ENV, "mixed_bfloat16")
    choice = precision.cpu_auto_precision(lambda: pytest.fail("probed"))
    assert choice["precision"] == "mixed_bfloat16" and precision.ENV in choice["reason"]
    monkeypatch.setenv(precision.ENV, "fp8")
    with pytest.raises(Exception, match="unknown .CNNAPP_AUTO_PRECISION precision 'fp8'"):
        precision.cpu_auto_precision()


def test_a_corrupt_cache_is_probed_again(cache):
    cache.write_text("{not json")
    choice = precision.cpu_auto_precision(lambda: timings(0.8), machine.cpu_info(CPUINFO), VERSIONS)
    assert choice["cached"] is False
    assert json.loads(cache.read_text())
